// What the AdversarialTrainer writes into a run folder besides its checkpoint: stats/*.csv and
// metrics.csv, the loss plot, the sample grids, the TensorBoard log, config.json when the run
// completes and error.txt when it fails.
#include "training/trainer.h"

#include <cmath>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "data/image_grid.h"
#include "data/plot.h"
#include "data/png_writer.h"
#include "engine/autograd.h"
#include "engine/ops.h"
#include "training/console.h"
#include "training/trainer_internal.h"

namespace aafgan::models {

namespace fs = std::filesystem;
using trainer_detail::kFailedMarker;
using trainer_detail::write_text_atomic;

void mark_run_failed(const std::string& run_dir, const std::string& reason) {
  try {
    fs::create_directories(run_dir);
    write_text_atomic((fs::path(run_dir) / kFailedMarker).string(), "failed: " + reason + "\n");
  } catch (const std::exception& e) {
    say(stderr, fmt::format("cannot mark {} failed: {}\n", run_dir, e.what()));
  }
}

std::string run_failure_reason(const std::string& run_dir) {
  std::ifstream in(fs::path(run_dir) / kFailedMarker);
  std::string line;
  std::getline(in, line);
  return line;
}

void AdversarialTrainer::open_event_log(bool resumed) {
  if (!resumed) RunEventLog::discard(opt_.run_dir);  // a fresh start redoes every step they hold
  if (!opt_.tensorboard) return;
  if (!resumed || recorded_events_.is_null()) {
    // Resumed without a recorded position (the run had --no-tensorboard so far): from here on.
    events_ = RunEventLog::start(opt_.run_dir);
    return;
  }
  std::string note;
  events_ = RunEventLog::resume(opt_.run_dir, recorded_events_, note);
  if (!note.empty()) say(stderr, fmt::format("{}: TensorBoard log: {}\n", opt_.label, note));
}

void AdversarialTrainer::write_sample_grid(int epoch) {
  const int n = opt_.grid_samples;
  // The same noise every epoch: a fresh generator at the run's fixed-sample stream.
  Generator fixed(opt_.seed, trainer_detail::kFixedSampleStream);
  const Tensor z = randn(Shape{n, model_.noise_size()}, fixed, dtype_, opt_.device);
  std::vector<int32_t> labels(static_cast<size_t>(n), 0);
  const int classes = model_.num_classes();
  for (int i = 0; i < n && classes > 0; ++i) labels[static_cast<size_t>(i)] = i * classes / n;
  Tensor samples;
  {
    autograd::NoGradGuard no_grad;
    samples = model_.generate(z, onehot(labels)).to(Device::cpu()).to(DType::f32);
  }
  const Shape s = model_.image_shape();
  const data::Image grid = data::make_grid(samples.data<float>(), n, static_cast<int>(s[0]), static_cast<int>(s[1]),
                                           static_cast<int>(s[2]), opt_.grid_rows,
                                           opt_.grid_cols, opt_.grid_scale, 2, opt_.grid_column_major);
  fs::create_directories(path("samples_img"));
  data::write_png(path(fmt::format("samples_img/{}.png", epoch)), grid.width, grid.height, grid.channels,
                  grid.pixels.data());
  if (events_) events_->samples(epoch, grid);
}

void AdversarialTrainer::write_outputs() const {
  fs::create_directories(path("stats"));
  // stats/: the reference code's files, names and units (one row, one value per epoch), which
  // its analysis scripts read.
  const auto write_row = [&](const std::string& file, const nlohmann::json& values, double scale) {
    std::string row;
    for (const auto& v : values) row += (row.empty() ? "" : ",") + fmt::format("{}", v.get<double>() * scale);
    write_text_atomic(path("stats/" + file + ".csv"), row + "\n");
  };
  for (const std::string& name : trainer_detail::loss_series()) write_row(name, history_.at(name), 1.0);
  for (const EpochMetric& m : opt_.metrics) {
    write_row(m.csv_name, history_.at(m.csv_name), m.stats_scale);
    if (!m.reference_stats.empty()) write_row(m.reference_stats, history_.at(m.csv_name), m.stats_scale);
  }
  nlohmann::json x = nlohmann::json::array();
  for (size_t e = 1; e <= history_.at("d_losses").size(); ++e) x.push_back(static_cast<double>(e));
  write_row("x", x, 1.0);
  // One file per adaptive parameter and layer, its mean over the features each epoch.
  const auto params = [&](const std::vector<AdaptiveLayer>& layers, const char* net, const char* file_net) {
    for (const AdaptiveLayer& l : layers)
      for (const nn::ParamStats& s : l.layer->stats()) {
        const auto it = history_.find(fmt::format("{}.{}.{}.mean", net, l.name, s.name));
        if (it != history_.end()) write_row(fmt::format("{}_{}_{}", file_net, s.name, l.index), *it, 1.0);
      }
  };
  params(model_.generator_adaptive(), "G", "Gen");
  params(model_.discriminator_adaptive(), "D", "Dis");
  // metrics.csv: one row per epoch, every recorded series as a column.
  std::vector<std::string> columns;
  for (auto it = history_.begin(); it != history_.end(); ++it) columns.push_back(it.key());
  std::string csv = "epoch";
  for (const auto& c : columns) csv += "," + c;
  csv += "\n";
  const size_t epochs = history_.at("d_losses").size();
  for (size_t e = 0; e < epochs; ++e) {
    csv += std::to_string(e + 1);
    for (const auto& c : columns) {
      const auto& col = history_.at(c);
      csv += "," + (e < col.size() ? fmt::format("{}", col[e].get<double>()) : std::string());
    }
    csv += "\n";
  }
  write_text_atomic(path("metrics.csv"), csv);
  if (!data::plots_available()) return;  // the apps said so once at start
  fs::create_directories(path("graphics"));
  const auto values = [&](const char* key) { return history_.at(key).get<std::vector<double>>(); };
  data::plot_series(path("graphics/losses.png"), "losses per epoch " + opt_.label,
                    {{"d_loss", values("d_losses"), 200, 40, 40}, {"g_loss", values("g_losses"), 40, 90, 200}},
                    "epoch");
}

void AdversarialTrainer::write_completion_marker(int epochs) const {
  nlohmann::json config = opt_.config;
  config["completed_epochs"] = epochs;
  write_text_atomic(path("config.json"), config.dump(2) + "\n");
}

}  // namespace aafgan::models
