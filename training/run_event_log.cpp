#include "training/run_event_log.h"

#include <filesystem>

#include <fmt/format.h>

#include "base/error.h"
#include "tensorboard/event_file.h"

namespace aafgan::models {

namespace fs = std::filesystem;

bool RunEventLog::available() { return true; }
std::string RunEventLog::unavailable_reason() { return ""; }

struct RunEventLog::Impl {
  tb::EventFileWriter file;
};

RunEventLog::RunEventLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RunEventLog::~RunEventLog() = default;

std::string RunEventLog::folder(const std::string& run_dir) { return (fs::path(run_dir) / "tensorboard").string(); }

void RunEventLog::discard(const std::string& run_dir) {
  std::error_code ec;
  fs::remove_all(folder(run_dir), ec);
  AAFGAN_CHECK(!ec, "cannot remove the earlier event files in '{}': {}", folder(run_dir), ec.message());
}

std::unique_ptr<RunEventLog> RunEventLog::start(const std::string& run_dir) {
  return std::unique_ptr<RunEventLog>(
      new RunEventLog(std::make_unique<Impl>(Impl{tb::EventFileWriter::create(folder(run_dir))})));
}

std::unique_ptr<RunEventLog> RunEventLog::resume(const std::string& run_dir, const nlohmann::json& recorded,
                                                 std::string& note) {
  AAFGAN_CHECK(recorded.is_object() && recorded.contains("file") && recorded.contains("bytes"),
               "the checkpoint's TensorBoard position {} has no file and bytes", recorded.dump());
  const tb::EventFilePosition pos{recorded.at("file").get<std::string>(), recorded.at("bytes").get<uint64_t>()};
  return std::unique_ptr<RunEventLog>(
      new RunEventLog(std::make_unique<Impl>(Impl{tb::EventFileWriter::reopen(folder(run_dir), pos, note)})));
}

void RunEventLog::batch(int64_t step, const StepValues& last, double lr, double it_per_s) {
  impl_->file.scalars(step, {{"batch/d_loss", last.d_loss},
                       {"batch/g_loss", last.g_loss},
                       {"batch/D(x)", last.d_real},
                       {"batch/D(G(z))", last.d_fake},
                       {"batch/lr", lr},
                       {"batch/it_per_s", it_per_s}});
}

void RunEventLog::epoch(int epoch, const std::vector<std::pair<std::string, double>>& columns) {
  std::vector<std::pair<std::string, double>> values;
  for (const auto& [column, v] : columns) {
    // The adaptive parameters' statistics sit beside their histograms, not among the losses.
    const bool adaptive = column.rfind("G.", 0) == 0 || column.rfind("D.", 0) == 0;
    values.emplace_back((adaptive ? "adaptive/" : "epoch/") + column, v);
  }
  impl_->file.scalars(epoch, values);
}

void RunEventLog::parameters(int epoch, const GanModel& model) {
  const auto log = [&](const std::vector<AdaptiveLayer>& layers, const char* net) {
    for (const AdaptiveLayer& l : layers) {
      const auto& params = l.layer->params();
      for (size_t k = 0; k < params.size(); ++k)
        impl_->file.histogram(epoch, fmt::format("adaptive/{}.{}.{}", net, l.name, kernels::act_param_name(l.layer->act(), static_cast<int>(k))),
                        params[k].to_vector());
    }
  };
  log(model.generator_adaptive(), "G");
  log(model.discriminator_adaptive(), "D");
}

void RunEventLog::samples(int epoch, const data::Image& grid) {
  impl_->file.image(epoch, "samples", grid.width, grid.height, grid.channels,
              data::encode_png(grid.width, grid.height, grid.channels, grid.pixels.data(), "samples"));
}

nlohmann::json RunEventLog::position() {
  const tb::EventFilePosition p = impl_->file.sync();
  return {{"file", p.file}, {"bytes", p.bytes}};
}

}  // namespace aafgan::models
