#include "models/trainer.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "data/batch_order.h"
#include "data/image_grid.h"
#include "data/plot.h"
#include "data/png_writer.h"
#include "data/prefetcher.h"
#include "engine/autograd.h"
#include "engine/checkpoint.h"
#include "engine/ops.h"
#include "engine/random_streams.h"

namespace aafgan::models {

namespace fs = std::filesystem;

namespace {

// Random streams of one run under its seed (engine/random_streams.h).
constexpr uint32_t kNoiseStream = stream_id(RandomStream::trainer_noise),
                   kLabelStream = stream_id(RandomStream::trainer_labels),
                   kFixedSampleStream = stream_id(RandomStream::fixed_samples);
constexpr const char* kCheckpoint = "model_checkpoints/last.ckpt";
constexpr const char* kFailedMarker = "error.txt";

// Per-epoch series written to stats/<name>.csv, as the reference code names them.
const std::vector<std::string> kLossSeries = {"d_losses", "g_losses", "d_accuracies", "times"};

extern "C" void on_stop_signal(int) { stop_requested().store(true); }

// One prefetched batch: float32 images in [−1, 1] and their labels.
struct Batch {
  Tensor images;
  std::vector<int32_t> labels;
};

bool finite(double v) { return std::isfinite(v); }

// Temporarily stops parameter gradients of a network (the G step needs D's input gradients
// only), restoring each parameter's own flag (frozen ones stay frozen) afterwards.
class NoParamGrads {
 public:
  explicit NoParamGrads(nn::Module& m) : params_(m.parameters()) {
    for (Tensor& p : params_) {
      flags_.push_back(p.requires_grad());
      p.set_requires_grad(false);
    }
  }
  ~NoParamGrads() {
    for (size_t i = 0; i < params_.size(); ++i) params_[i].set_requires_grad(flags_[i]);
  }

 private:
  std::vector<Tensor> params_;
  std::vector<bool> flags_;
};

// Both networks' parameters and buffers under "G." / "D.": what a checkpoint holds of the model.
nn::NamedTensors model_tensors(GanModel& model) {
  nn::NamedTensors out;
  for (const char* net : {"G.", "D."}) {
    nn::Module& m = net[0] == 'G' ? model.generator() : model.discriminator();
    for (auto& [name, t] : m.named_parameters()) out.emplace_back(net + name, t);
    for (auto& [name, t] : m.named_buffers()) out.emplace_back(net + name, t);
  }
  return out;
}

void write_text_atomic(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out) fail("cannot write {}", tmp);
  }
  fs::rename(tmp, path);
}

std::string format_eta(double seconds) {
  if (!finite(seconds) || seconds < 0) return "?";
  const int s = static_cast<int>(seconds);
  return s >= 3600 ? fmt::format("{}h{:02d}m", s / 3600, s % 3600 / 60) : fmt::format("{}m{:02d}s", s / 60, s % 60);
}

}  // namespace

const char* outcome_name(RunOutcome o) {
  switch (o) {
    case RunOutcome::completed: return "completed";
    case RunOutcome::already_complete: return "already complete";
    case RunOutcome::previously_failed: return "failed earlier";
    case RunOutcome::interrupted: return "interrupted";
    case RunOutcome::diverged: return "diverged";
  }
  return "?";
}

std::atomic<bool>& stop_requested() {
  static std::atomic<bool> flag{false};
  return flag;
}

void install_stop_signal_handlers() {
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
}

AdversarialTrainer::AdversarialTrainer(GanModel& model, const TrainingData& data, TrainOptions options, DType dtype,
                                       std::shared_ptr<Generator> dropout_gen)
    : model_(model),
      data_(data),
      opt_(std::move(options)),
      dtype_(dtype),
      dropout_gen_(std::move(dropout_gen)),
      noise_gen_(opt_.seed, kNoiseStream),
      label_gen_(opt_.seed, kLabelStream) {
  AAFGAN_CHECK(opt_.batch_size > 0 && opt_.batch_size <= data_.size(),
               "batch size {} does not fit the {} training images", opt_.batch_size, data_.size());
  AAFGAN_CHECK(data_.sample_shape() == model_.sample_shape(), "the data's samples {} do not fit the model's {}",
               data_.sample_shape().str(), model_.sample_shape().str());
  model_.generator().to(opt_.device);
  model_.discriminator().to(opt_.device);
  optim::AdamOptions ao;
  ao.lr = opt_.lr;
  ao.beta1 = opt_.beta1;
  ao.beta2 = opt_.beta2;
  ao.eps = opt_.eps;
  opt_g_ = std::make_unique<optim::Adam>(model_.generator().parameters(), ao);
  opt_d_ = std::make_unique<optim::Adam>(model_.discriminator().parameters(), ao);
}

std::string AdversarialTrainer::path(const std::string& rel) const { return (fs::path(opt_.run_dir) / rel).string(); }

Tensor AdversarialTrainer::noise(int64_t n) {
  return randn(Shape{n, model_.noise_size()}, noise_gen_, dtype_, opt_.device);
}

Tensor AdversarialTrainer::onehot(const std::vector<int32_t>& labels) const {
  const int classes = model_.num_classes();
  if (classes == 0) return Tensor();
  const Tensor t = one_hot(labels, classes, dtype_);
  return opt_.device.is_cpu() ? t : t.to(opt_.device);
}

std::vector<int32_t> AdversarialTrainer::random_labels(int64_t n) {
  std::vector<int32_t> labels(static_cast<size_t>(n), 0);
  if (model_.num_classes() > 0)
    for (auto& l : labels) l = static_cast<int32_t>(label_gen_.next_below(static_cast<uint64_t>(model_.num_classes())));
  return labels;
}

bool AdversarialTrainer::train_step(const Tensor& real, const std::vector<int32_t>& labels) {
  const int64_t n = real.size(0);
  const Tensor real_target = Tensor::full(Shape{n, 1}, opt_.real_target, dtype_, opt_.device);
  const Tensor fake_target = Tensor::zeros(Shape{n, 1}, dtype_, opt_.device);

  // D step: the fake batch carries no history, so only D's parameters get gradients.
  opt_d_->zero_grad();
  const Tensor p_real = model_.discriminate(real, onehot(labels));
  const Tensor loss_real = binary_cross_entropy(p_real, real_target);
  const std::vector<int32_t> fake_labels = random_labels(n);
  const Tensor fake_onehot = onehot(fake_labels);
  Tensor fake;
  {
    autograd::NoGradGuard no_grad;
    fake = model_.generate(noise(n), fake_onehot);
  }
  const Tensor p_fake = model_.discriminate(fake, fake_onehot);
  const Tensor loss_fake = binary_cross_entropy(p_fake, fake_target);
  const Tensor d_loss = loss_real + loss_fake;
  last_.d_loss = d_loss.item();
  if (!finite(last_.d_loss)) {
    autograd::clear_tape();
    return false;
  }
  autograd::backward(d_loss);
  opt_d_->step();

  // D accuracy over both halves: real counts when p > 0.5, fake when p ≤ 0.5.
  const std::vector<double> pr = p_real.to_vector(), pf = p_fake.to_vector();
  double correct = 0, sum_real = 0, sum_fake = 0;
  for (double v : pr) {
    correct += v > 0.5;
    sum_real += v;
  }
  for (double v : pf) {
    correct += v <= 0.5;
    sum_fake += v;
  }
  last_.d_accuracy = correct / static_cast<double>(2 * n);
  last_.d_real = sum_real / static_cast<double>(n);
  last_.d_fake = sum_fake / static_cast<double>(n);

  // G step: backpropagate through D into G; D's weights need no gradient here.
  opt_g_->zero_grad();
  const std::vector<int32_t> g_labels = random_labels(n);
  const Tensor g_onehot = onehot(g_labels);
  Tensor g_loss;
  {
    NoParamGrads frozen_d(model_.discriminator());
    const Tensor p = model_.discriminate(model_.generate(noise(n), g_onehot), g_onehot);
    g_loss = binary_cross_entropy(p, real_target);
    last_.g_loss = g_loss.item();
    if (!finite(last_.g_loss)) {
      autograd::clear_tape();
      return false;
    }
    autograd::backward(g_loss);
  }
  opt_g_->step();
  return true;
}

void AdversarialTrainer::save_checkpoint(int epoch, int64_t next_batch, const nlohmann::json& partial) {
  nn::NamedTensors tensors = model_tensors(model_);
  for (auto& [name, t] : opt_g_->state()) tensors.emplace_back("optG." + name, t);
  for (auto& [name, t] : opt_d_->state()) tensors.emplace_back("optD." + name, t);
  nlohmann::json meta = {
      {"epoch", epoch},
      {"next_batch", next_batch},
      {"seed", opt_.seed},
      {"dtype", dtype_name(dtype_)},
      {"rng", {{"noise", noise_gen_.offset()}, {"labels", label_gen_.offset()}, {"dropout", dropout_gen_->offset()}}},
      {"frozen", frozen_},
      {"history", history_},
      {"partial", partial},
  };
  fs::create_directories(path("model_checkpoints"));
  aafgan::save_checkpoint(path(kCheckpoint), tensors, meta);
}

bool AdversarialTrainer::load_checkpoint(int& epoch, int64_t& next_batch, nlohmann::json& partial) {
  if (!fs::exists(path(kCheckpoint))) return false;
  const Checkpoint ck = aafgan::load_checkpoint(path(kCheckpoint));
  const nlohmann::json& m = ck.metadata;
  if (m.at("seed").get<uint64_t>() != opt_.seed)
    fail("{} was written by a run with seed {}, not {}", path(kCheckpoint), m.at("seed").get<uint64_t>(), opt_.seed);
  if (m.at("dtype").get<std::string>() != dtype_name(dtype_))
    fail("{} holds a {} run; this run is {}", path(kCheckpoint), m.at("dtype").get<std::string>(), dtype_name(dtype_));
  load_into(ck, model_tensors(model_));
  const auto with_prefix = [&](const std::string& prefix) {
    nn::NamedTensors out;
    for (auto& [name, t] : ck.tensors)
      if (name.rfind(prefix, 0) == 0) out.emplace_back(name.substr(prefix.size()), t);
    return out;
  };
  opt_g_->load_state(with_prefix("optG."));
  opt_d_->load_state(with_prefix("optD."));
  noise_gen_.set_state(opt_.seed, m.at("rng").at("noise").get<uint64_t>());
  label_gen_.set_state(opt_.seed, m.at("rng").at("labels").get<uint64_t>());
  dropout_gen_->set_state(dropout_gen_->seed(), m.at("rng").at("dropout").get<uint64_t>());
  if (m.at("frozen").get<bool>()) {
    frozen_ = true;
    for (auto& l : model_.generator_adaptive()) l.layer->freeze();
    for (auto& l : model_.discriminator_adaptive()) l.layer->freeze();
  }
  history_ = m.at("history");
  partial = m.at("partial");
  epoch = m.at("epoch").get<int>();
  next_batch = m.at("next_batch").get<int64_t>();
  return true;
}

void AdversarialTrainer::write_sample_grid(int epoch) {
  const int n = opt_.grid_samples;
  // The same noise every epoch: a fresh generator at the run's fixed-sample stream.
  Generator fixed(opt_.seed, kFixedSampleStream);
  const Tensor z = randn(Shape{n, model_.noise_size()}, fixed, dtype_, opt_.device);
  std::vector<int32_t> labels(static_cast<size_t>(n), 0);
  const int classes = model_.num_classes();
  for (int i = 0; i < n && classes > 0; ++i) labels[static_cast<size_t>(i)] = i * classes / n;
  Tensor samples;
  {
    autograd::NoGradGuard no_grad;
    samples = model_.generate(z, onehot(labels)).to(Device::cpu()).to(DType::f32);
  }
  const Shape s = model_.sample_shape();
  const int channels = s.ndim() == 3 ? static_cast<int>(s[0]) : 1;
  const int side = s.ndim() == 3 ? static_cast<int>(s[1]) : static_cast<int>(std::lround(std::sqrt(s.numel())));
  const data::Image grid = data::make_grid(samples.data<float>(), n, channels, side, side, opt_.grid_rows,
                                           opt_.grid_cols, opt_.grid_scale, 2, opt_.grid_column_major);
  fs::create_directories(path("samples_img"));
  data::write_png(path(fmt::format("samples_img/{}.png", epoch)), grid.width, grid.height, grid.channels,
                  grid.pixels.data());
}

void AdversarialTrainer::end_of_epoch(int epoch, double seconds, const nlohmann::json& sums) {
  const double batches = sums.at("batches").get<double>();
  const auto append = [&](const std::string& key, double v) { history_[key].push_back(v); };
  append("d_losses", sums.at("d_loss").get<double>() / batches);
  append("g_losses", sums.at("g_loss").get<double>() / batches);
  append("d_accuracies", sums.at("d_accuracy").get<double>() / batches);
  append("d_losses_last", last_.d_loss);
  append("g_losses_last", last_.g_loss);
  append("d_accuracies_last", last_.d_accuracy);
  append("times", seconds);
  append("lr", opt_g_->lr());

  // gan-protocol §4: decay, then freeze, then samples and metrics of the epoch's model.
  if (epoch < opt_.lr_decay_until && opt_.lr_decay_rate != 1.0) {
    opt_g_->set_lr(opt_g_->lr() * opt_.lr_decay_rate);
    opt_d_->set_lr(opt_d_->lr() * opt_.lr_decay_rate);
  }
  if (opt_.freeze_epoch > 0 && epoch + 1 == opt_.freeze_epoch && !frozen_) {
    frozen_ = true;
    for (auto& l : model_.generator_adaptive()) l.layer->freeze();
    for (auto& l : model_.discriminator_adaptive()) l.layer->freeze();
  }
  write_sample_grid(epoch + 1);
  for (const EpochMetric& m : opt_.metrics) append(m.csv_name, m.compute(model_));
  const auto stats = [&](const std::vector<AdaptiveLayer>& layers, const char* net) {
    for (const auto& l : layers)
      for (const nn::ParamStats& s : l.layer->stats()) {
        const std::string base = fmt::format("{}.{}.{}", net, l.name, s.name);
        append(base + ".mean", s.mean);
        append(base + ".max", s.max);
        append(base + ".min", s.min);
      }
  };
  stats(model_.generator_adaptive(), "G");
  stats(model_.discriminator_adaptive(), "D");
  write_outputs();
}

void AdversarialTrainer::write_outputs() const {
  fs::create_directories(path("stats"));
  std::vector<std::string> series = kLossSeries;
  for (const EpochMetric& m : opt_.metrics) series.push_back(m.csv_name);
  for (const std::string& name : series) {
    std::string row;
    for (const auto& v : history_.at(name)) row += (row.empty() ? "" : ",") + fmt::format("{}", v.get<double>());
    write_text_atomic(path("stats/" + name + ".csv"), row + "\n");
  }
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
  fs::create_directories(path("graphics"));
  const auto values = [&](const char* key) { return history_.at(key).get<std::vector<double>>(); };
  data::plot_series(path("graphics/losses.png"), "losses per epoch " + opt_.label,
                    {{"d_loss", values("d_losses"), 200, 40, 40}, {"g_loss", values("g_losses"), 40, 90, 200}},
                    "epoch");
}

RunOutcome AdversarialTrainer::run() {
  if (fs::exists(path("config.json"))) return RunOutcome::already_complete;
  if (fs::exists(path(kFailedMarker))) return RunOutcome::previously_failed;
  fs::create_directories(opt_.run_dir);

  int start_epoch = 0;
  int64_t start_batch = 0;
  nlohmann::json partial = {{"d_loss", 0.0}, {"g_loss", 0.0}, {"d_accuracy", 0.0}, {"batches", 0.0}, {"seconds", 0.0}};
  if (opt_.resume && load_checkpoint(start_epoch, start_batch, partial)) {
    fmt::print("{}: resuming at epoch {} batch {}\n", opt_.label, start_epoch + 1, start_batch);
  } else {
    history_ = nlohmann::json::object();
    for (const std::string& s : kLossSeries) history_[s] = nlohmann::json::array();
    for (const EpochMetric& m : opt_.metrics) history_[m.csv_name] = nlohmann::json::array();
  }

  // Static shapes: the ragged last batch of an epoch is dropped.
  const int64_t n = data_.size(), batches = n / opt_.batch_size;
  std::vector<int64_t> shape = {opt_.batch_size};
  for (int64_t d : data_.sample_shape().vec()) shape.push_back(d);
  const bool tty = isatty(fileno(stdout));
  using Clock = std::chrono::steady_clock;

  for (int epoch = start_epoch; epoch < opt_.epochs; ++epoch) {
    const std::vector<int64_t> order = data::epoch_permutation(n, opt_.seed, epoch);
    const auto epoch_start = Clock::now();
    const double seconds_before = partial.at("seconds").get<double>();
    // Batches are decoded on a background thread while the step runs.
    data::Prefetcher<Batch> loader(batches - start_batch, [&](int64_t i, Batch& out) {
      if (!out.images.defined()) {
        out.images = Tensor::empty(Shape(shape), DType::f32);
        out.labels.resize(static_cast<size_t>(opt_.batch_size));
      }
      data_.fill(order.data() + (start_batch + i) * opt_.batch_size, opt_.batch_size, out.images.data<float>(),
                 out.labels.data());
    });
    for (int64_t b = start_batch; b < batches; ++b) {
      Batch* batch = nullptr;
      loader.next(batch);
      Tensor real = uploader_.upload(batch->images, opt_.device);  // pinned + asynchronous on a GPU
      if (dtype_ != DType::f32) real = real.to(dtype_);
      if (!train_step(real, batch->labels)) {
        fmt::print(stderr, "\n{}: loss is not finite at epoch {} batch {} (d_loss {}, g_loss {}); run marked failed, "
                           "last good checkpoint kept\n", opt_.label, epoch + 1, b + 1, last_.d_loss, last_.g_loss);
        write_text_atomic(path(kFailedMarker),
                          fmt::format("diverged: non-finite loss at epoch {} batch {} (d_loss {}, g_loss {})\n",
                                      epoch + 1, b + 1, last_.d_loss, last_.g_loss));
        return RunOutcome::diverged;
      }
      partial["d_loss"] = partial["d_loss"].get<double>() + last_.d_loss;
      partial["g_loss"] = partial["g_loss"].get<double>() + last_.g_loss;
      partial["d_accuracy"] = partial["d_accuracy"].get<double>() + last_.d_accuracy;
      partial["batches"] = partial["batches"].get<double>() + 1;
      const double elapsed = std::chrono::duration<double>(Clock::now() - epoch_start).count();
      const int64_t done_here = b + 1 - start_batch;
      if (opt_.log_every > 0 && ((b + 1) % opt_.log_every == 0 || b + 1 == batches) && tty) {
        const double rate = static_cast<double>(done_here) / elapsed;
        const double remaining = static_cast<double>((opt_.epochs - epoch - 1) * batches + batches - b - 1) / rate;
        fmt::print("\r{} epoch {}/{} batch {}/{}  d_loss {:.4f}  g_loss {:.4f}  D(x) {:.3f}  D(G(z)) {:.3f}  "
                   "{:.1f} it/s  ETA {}   ", opt_.label, epoch + 1, opt_.epochs, b + 1, batches, last_.d_loss,
                   last_.g_loss, last_.d_real, last_.d_fake, rate, format_eta(remaining));
        std::fflush(stdout);
      }
      if (stop_requested().load()) {
        partial["seconds"] = seconds_before + elapsed;
        save_checkpoint(epoch, b + 1, partial);
        fmt::print("\n{}: stopped by signal after epoch {} batch {}; checkpoint written, rerun the same command to "
                   "continue\n", opt_.label, epoch + 1, b + 1);
        return RunOutcome::interrupted;
      }
    }
    const double seconds = seconds_before + std::chrono::duration<double>(Clock::now() - epoch_start).count();
    end_of_epoch(epoch, seconds, partial);
    if (tty) fmt::print("\r");
    std::string extra;
    for (const EpochMetric& m : opt_.metrics)
      extra += fmt::format("  {} {:.4f}", m.column, history_.at(m.csv_name).back().get<double>());
    fmt::print("{} epoch {}/{}  d_loss {:.4f}  g_loss {:.4f}  d_acc {:.3f}  {:.1f}s{}\n", opt_.label, epoch + 1,
               opt_.epochs, history_["d_losses"].back().get<double>(), history_["g_losses"].back().get<double>(),
               history_["d_accuracies"].back().get<double>(), seconds, extra);
    std::fflush(stdout);
    start_batch = 0;
    partial = {{"d_loss", 0.0}, {"g_loss", 0.0}, {"d_accuracy", 0.0}, {"batches", 0.0}, {"seconds", 0.0}};
    save_checkpoint(epoch + 1, 0, partial);
    if (stop_requested().load()) {
      fmt::print("{}: stopped by signal after epoch {}; checkpoint written\n", opt_.label, epoch + 1);
      return RunOutcome::interrupted;
    }
  }
  nlohmann::json config = opt_.config;
  config["completed_epochs"] = opt_.epochs;
  write_text_atomic(path("config.json"), config.dump(2) + "\n");
  return RunOutcome::completed;
}

}  // namespace aafgan::models
