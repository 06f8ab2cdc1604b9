#include "models/trainer.h"


#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>

#include <fmt/format.h>

#include "data/batch_order.h"
#include "data/image_grid.h"
#include "data/plot.h"
#include "data/png_writer.h"
#include "data/prefetcher.h"
#include "engine/autograd.h"
#include "engine/checkpoint.h"
#include "engine/durable_file.h"
#include "engine/ops.h"
#include "engine/random_streams.h"
#include "engine/step_stats.h"
#include "models/console.h"
#include "models/live_line.h"
#include "models/run_completion.h"
#include "models/run_event_log.h"
#include "models/run_lock.h"

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

void write_text_atomic(const std::string& path, const std::string& text) { write_file_durably(path, text); }

// JSON has no NaN or infinity (nlohmann writes null, which the next resume cannot read back):
// the history stores them as strings and reads them back as the numbers they were.
nlohmann::json history_to_json(const nlohmann::json& history) {
  nlohmann::json out = history;
  for (auto& [key, series] : out.items())
    for (auto& v : series)
      if (v.is_number_float() && !std::isfinite(v.get<double>()))
        v = std::isnan(v.get<double>()) ? "NaN" : v.get<double>() > 0 ? "Infinity" : "-Infinity";
  return out;
}

nlohmann::json history_from_json(const nlohmann::json& stored, const std::string& where) {
  AAFGAN_CHECK(stored.is_object(), "{}: the history is not an object", where);
  nlohmann::json out = stored;
  for (auto& [key, series] : out.items()) {
    AAFGAN_CHECK(series.is_array(), "{}: history '{}' is not a list", where, key);
    for (auto& v : series) {
      if (v.is_number()) continue;
      const std::string t = v.is_string() ? v.get<std::string>() : v.dump();
      if (t == "NaN") v = std::numeric_limits<double>::quiet_NaN();
      else if (t == "Infinity") v = std::numeric_limits<double>::infinity();
      else if (t == "-Infinity") v = -std::numeric_limits<double>::infinity();
      else fail("{}: history '{}' holds {}, not a number", where, key, t);
    }
  }
  return out;
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
  // Checked before training rather than found by the first sample grid, after an epoch's work.
  AAFGAN_CHECK(opt_.grid_samples > 0 && opt_.grid_rows > 0 && opt_.grid_cols > 0 &&
                   opt_.grid_samples <= int64_t(opt_.grid_rows) * opt_.grid_cols,
               "SAMPLES_IN_VISUALIZATION {} does not fit the sample grid of {}×{}", opt_.grid_samples, opt_.grid_rows,
               opt_.grid_cols);
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

nlohmann::json AdversarialTrainer::settings() const {
  // What decides the trajectory of a run besides its seed (and its epoch count, which a resume may
  // raise): a resume must find the same values.
  return {{"batch_size", opt_.batch_size},         {"lr", opt_.lr},
          {"beta1", opt_.beta1},                   {"beta2", opt_.beta2},
          {"eps", opt_.eps},                       {"lr_decay_rate", opt_.lr_decay_rate},
          {"lr_decay_until", opt_.lr_decay_until}, {"freeze_epoch", opt_.freeze_epoch},
          {"real_target", opt_.real_target},       {"training_images", data_.size()}};
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

void AdversarialTrainer::prepare_step_buffers(int64_t n) {
  if (real_.defined() && real_.size(0) == n) return;
  drop_graph();  // a new batch size: new shapes, a new graph
  std::vector<int64_t> shape = {n};
  for (int64_t d : model_.sample_shape().vec()) shape.push_back(d);
  real_ = Tensor::empty(Shape(shape), dtype_, opt_.device);
  const int classes = model_.num_classes();
  for (Tensor* t : {&real_onehot_, &fake_onehot_, &g_onehot_})
    *t = classes > 0 ? Tensor::empty(Shape{n, classes}, dtype_, opt_.device) : Tensor();
  real_target_ = Tensor::full(Shape{n, 1}, opt_.real_target, dtype_, opt_.device);
  fake_target_ = Tensor::zeros(Shape{n, 1}, dtype_, opt_.device);
}

void AdversarialTrainer::stage_onehot(Tensor& dst, const std::vector<int32_t>& labels) {
  if (!dst.defined()) return;
  const Tensor host = one_hot(labels, model_.num_classes(), dtype_);
  label_stager_.upload(dst.raw_data(), opt_.device, host.raw_data(), host.nbytes());
}

void AdversarialTrainer::train_step(const Tensor& real, const std::vector<int32_t>& labels) {
  const int64_t n = real.size(0);
  AAFGAN_CHECK(static_cast<int64_t>(labels.size()) == n, "train_step: {} labels for a batch of {}", labels.size(), n);
  prepare_step_buffers(n);
  if (!stats_.defined()) restart_stats(nlohmann::json::object());
  // The step's inputs go into the tensors it was built (or captured) with; the labels are drawn
  // here, on the host, in the order the step has always drawn them.
  real_.copy_(real);
  stage_onehot(real_onehot_, labels);
  stage_onehot(fake_onehot_, random_labels(n));
  stage_onehot(g_onehot_, random_labels(n));
  if (!graph_.ready() && opt_.cuda_graph && !graph_off_ && opt_.device.is_cuda() &&
      eager_steps_ >= opt_.graph_warmup)
    try_capture();
  if (graph_.ready()) {
    opt_d_->before_replay();
    opt_g_->before_replay();
    graph_.replay();
    return;
  }
  step_body();
  ++eager_steps_;
}

void AdversarialTrainer::step_body() {
  // D step: the fake batch carries no history, so only D's parameters get gradients.
  opt_d_->zero_grad();
  const Tensor p_real = model_.discriminate(real_, real_onehot_);
  const Tensor loss_real = binary_cross_entropy(p_real, real_target_);
  Tensor fake;
  {
    autograd::NoGradGuard no_grad;
    fake = model_.generate(noise(real_.size(0)), fake_onehot_);
  }
  const Tensor p_fake = model_.discriminate(fake, fake_onehot_);
  const Tensor loss_fake = binary_cross_entropy(p_fake, fake_target_);
  const Tensor d_loss = loss_real + loss_fake;
  // A non-finite loss is found when the statistics are read (every --log-every batches): the
  // run then stops before any checkpoint could keep what this step did to the weights.
  autograd::backward(d_loss);
  opt_d_->step();

  // G step: backpropagate through D into G; D's weights need no gradient here.
  opt_g_->zero_grad();
  Tensor g_loss;
  {
    NoParamGrads frozen_d(model_.discriminator());
    const Tensor p = model_.discriminate(model_.generate(noise(real_.size(0)), g_onehot_), g_onehot_);
    g_loss = binary_cross_entropy(p, real_target_);
    autograd::backward(g_loss);
  }
  opt_g_->step();
  record_step_stats(stats_, d_loss, g_loss, p_real, p_fake);
}

bool AdversarialTrainer::try_capture() {
  std::vector<Generator*> generators = {&noise_gen_};
  if (dropout_gen_) generators.push_back(dropout_gen_.get());
  try {
    graph_.capture(opt_.device, generators, [&] { step_body(); });
    return true;
  } catch (const std::exception& e) {
    // Whatever the capture recorded never ran: the eager step that follows starts from the same state.
    autograd::clear_tape();
    opt_d_->end_replays();
    opt_g_->end_replays();
    graph_off_ = true;
    // Eager steps do the same work without a graph, and a second capture of the same step would
    // fail the same way: the run goes on eagerly rather than stopping or retrying.
    say(stderr, fmt::format("\n{}: CUDA graph capture failed ({}); training continues with eager steps (the same "
                            "results, more kernel launches per step) for the rest of this run, without trying "
                            "to capture again\n",
                            opt_.label, e.what()));
    return false;
  }
}

void AdversarialTrainer::drop_graph() {
  if (!graph_.ready()) return;
  graph_.reset();
  opt_d_->end_replays();
  opt_g_->end_replays();
  eager_steps_ = 0;
}

void AdversarialTrainer::restart_stats(const nlohmann::json& partial) {
  if (!stats_.defined()) stats_ = new_step_stats(opt_.device);
  const auto get = [&](const char* key) { return partial.contains(key) ? partial.at(key).get<double>() : 0.0; };
  reset_step_stats(stats_, StepSums{get("d_loss"), get("g_loss"), get("d_accuracy")});
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
      {"history", history_to_json(history_)},
      {"settings", settings()},
      {"partial", partial},
      {"steps", steps_},
  };
  // Synced before the checkpoint that points at it: a resume never finds the file shorter.
  if (events_) meta["tensorboard"] = events_->position();
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
  // The settings a run was trained with are part of it: a resume with others would silently mix
  // two experiments (the checkpoint's learning rate winning over a new --lr, say).
  const nlohmann::json now = settings();
  const nlohmann::json then = m.contains("settings") ? m.at("settings") : now;  // older checkpoints
  std::string differ;
  for (const auto& [key, value] : now.items())
    if (!then.contains(key) || then.at(key) != value)
      differ += fmt::format("{}{} {} (now {})", differ.empty() ? "" : ", ", key,
                            then.contains(key) ? then.at(key).dump() : "unset", value.dump());
  if (!differ.empty() && !opt_.force_resume)
    fail("{} was written with other settings: {}; rerun with the same settings, --force-resume to continue with "
         "the new ones, or --no-resume to start over", path(kCheckpoint), differ);
  if (!differ.empty())
    say(stdout, fmt::format("{}: resuming with changed settings (--force-resume): {}\n", opt_.label, differ));
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
  history_ = history_from_json(m.at("history"), path(kCheckpoint));
  partial = m.at("partial");
  epoch = m.at("epoch").get<int>();
  next_batch = m.at("next_batch").get<int64_t>();
  const int64_t batches = data_.size() / opt_.batch_size;
  // Older checkpoints lack both; their runs never changed batch size (--force-resume could).
  steps_ = m.contains("steps") ? m.at("steps").get<int64_t>() : epoch * batches + next_batch;
  recorded_events_ = m.contains("tensorboard") ? m.at("tensorboard") : nlohmann::json();
  if (then.contains("batch_size") && then.at("batch_size") != opt_.batch_size && next_batch > 0) {
    // --force-resume with a new batch size: continue after the same number of images.
    next_batch = next_batch * then.at("batch_size").get<int64_t>() / opt_.batch_size;
  }
  AAFGAN_CHECK(epoch >= 0 && next_batch >= 0 && next_batch <= batches,
               "{}: position epoch {} batch {} is outside the run ({} batches per epoch)", path(kCheckpoint), epoch,
               next_batch, batches);
  if (opt_.force_resume && !differ.empty()) {
    opt_g_->set_lr(opt_.lr);
    opt_d_->set_lr(opt_.lr);
  }
  return true;
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
  const Shape s = model_.image_shape();
  const data::Image grid = data::make_grid(samples.data<float>(), n, static_cast<int>(s[0]), static_cast<int>(s[1]),
                                           static_cast<int>(s[2]), opt_.grid_rows,
                                           opt_.grid_cols, opt_.grid_scale, 2, opt_.grid_column_major);
  fs::create_directories(path("samples_img"));
  data::write_png(path(fmt::format("samples_img/{}.png", epoch)), grid.width, grid.height, grid.channels,
                  grid.pixels.data());
  if (events_) events_->samples(epoch, grid);
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
    drop_graph();  // the frozen parameters leave the step: a new graph
    frozen_ = true;
    for (auto& l : model_.generator_adaptive()) l.layer->freeze();
    for (auto& l : model_.discriminator_adaptive()) l.layer->freeze();
  }
  write_sample_grid(epoch + 1);
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
  if (events_) {
    std::vector<std::pair<std::string, double>> columns;  // the metrics come later, in epoch_metrics
    for (const auto& [key, series] : history_.items())
      if (static_cast<int>(series.size()) > epoch) columns.emplace_back(key, series[static_cast<size_t>(epoch)].get<double>());
    events_->epoch(epoch + 1, columns);
    events_->parameters(epoch + 1, model_);
  }
  // The epoch is safe before the long metrics start (FID can take minutes): a kill during them
  // loses only their own work, which the resumed run redoes (epoch_metrics) from this model.
  save_checkpoint(epoch + 1, 0, fresh_partial());
  epoch_metrics(epoch + 1);
}

nlohmann::json AdversarialTrainer::fresh_partial() {
  return {{"d_loss", 0.0}, {"g_loss", 0.0}, {"d_accuracy", 0.0}, {"batches", 0.0}, {"seconds", 0.0}};
}

void AdversarialTrainer::epoch_metrics(int epochs_done) {
  std::vector<std::pair<std::string, double>> computed;
  for (const EpochMetric& m : opt_.metrics) {
    auto& series = history_[m.csv_name];
    if (static_cast<int>(series.size()) >= epochs_done) continue;
    AAFGAN_CHECK(static_cast<int>(series.size()) == epochs_done - 1, "{}: the history holds {} values of {} after {} epochs",
                 path(kCheckpoint), series.size(), m.csv_name, epochs_done);
    series.push_back(m.compute(model_));
    computed.emplace_back(m.csv_name, series.back().get<double>());
  }
  if (computed.empty()) return;
  write_outputs();
  if (events_) events_->epoch(epochs_done, computed);
  save_checkpoint(epochs_done, 0, fresh_partial());
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
  for (const std::string& name : kLossSeries) write_row(name, history_.at(name), 1.0);
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

RunOutcome AdversarialTrainer::run() {
  // Complete by what the folder holds, not by config.json existing (models/run_completion.h).
  RunCompletion done;
  if (!(opt_.start_over && opt_.overwrite)) {
    done = judge_run_completion(opt_.run_dir, opt_.epochs);
    if (done.complete && !done.repair_marker) {
      if (opt_.start_over)
        say(stdout, fmt::format("{}: complete; kept (--no-resume starts over only unfinished runs; add --overwrite to "
                                "train it again)\n", opt_.label));
      return RunOutcome::already_complete;
    }
  }
  if (!opt_.start_over && fs::exists(path(kFailedMarker))) return RunOutcome::previously_failed;
  const RunLock lock(opt_.run_dir);  // held to the end of the run: one process per run folder
  if (!done.note.empty() && !opt_.start_over) say(stdout, fmt::format("{}: {}\n", opt_.label, done.note));
  if (done.repair_marker) {
    write_completion_marker(done.epochs_done);
    return RunOutcome::already_complete;
  }
  // A marker that claims more than the run holds goes before any training, so that a stop in
  // between leaves a run that reads as unfinished.
  if (done.marker_stale) fs::remove(path("config.json"));
  if (opt_.start_over) {
    // From scratch: everything of an earlier attempt goes, under the lock, except the lock, the
    // claim (models/run_claim.h) and the record of who trained the run.
    for (const auto& entry : fs::directory_iterator(opt_.run_dir)) {
      const std::string name = entry.path().filename().string();
      if (name != ".lock" && name.rfind(".claim", 0) != 0 && name != "claims.log") fs::remove_all(entry.path());
    }
  }
  // Temporaries of an earlier process killed mid-write: the folder is ours now (the lock), and
  // some of their targets may not be written again before this start ends (a stop mid-epoch).
  remove_temps_under(opt_.run_dir);

  int start_epoch = 0;
  int64_t start_batch = 0;
  nlohmann::json partial = fresh_partial();
  if (opt_.resume && load_checkpoint(start_epoch, start_batch, partial)) {
    say(stdout, fmt::format("{}: resuming at epoch {} batch {}\n", opt_.label, start_epoch + 1, start_batch));
    open_event_log(true);
    if (partial.contains("last")) {  // checkpoints of older builds lack it
      const nlohmann::json& l = partial.at("last");
      last_ = StepValues{l.at("d_loss").get<double>(), l.at("g_loss").get<double>(), l.at("d_accuracy").get<double>(),
                         l.at("d_real").get<double>(), l.at("d_fake").get<double>()};
    }
    // A run killed during an epoch's metrics resumes by finishing them.
    try {
      if (start_batch == 0 && start_epoch > 0) epoch_metrics(start_epoch);
    } catch (const StopRequested&) {
      say(stdout, fmt::format("{}: stopped by signal during the metrics of epoch {}\n", opt_.label, start_epoch));
      return RunOutcome::interrupted;
    }
  } else {
    open_event_log(false);
    history_ = nlohmann::json::object();
    for (const std::string& s : kLossSeries) history_[s] = nlohmann::json::array();
    for (const EpochMetric& m : opt_.metrics) history_[m.csv_name] = nlohmann::json::array();
  }

  // Static shapes: the ragged last batch of an epoch is dropped.
  const int64_t n = data_.size(), batches = n / opt_.batch_size;
  std::vector<int64_t> shape = {opt_.batch_size};
  for (int64_t d : data_.sample_shape().vec()) shape.push_back(d);
  LiveLine live(stdout);
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
    // The epoch's sums continue on the device from where the checkpoint left them.
    restart_stats(partial);
    const double batches_before = partial.at("batches").get<double>();
    const auto take_stats = [&] {
      const StepStatsSnapshot st = read_stats();
      partial["d_loss"] = st.sums.d_loss;
      partial["g_loss"] = st.sums.g_loss;
      partial["d_accuracy"] = st.sums.d_accuracy;
      partial["batches"] = batches_before + static_cast<double>(st.steps);
      last_ = st.last;
      // Checkpointed with the sums: a run stopped after an epoch's last batch resumes at the
      // epoch's end, with no batch of its own to read these from.
      partial["last"] = {{"d_loss", last_.d_loss}, {"g_loss", last_.g_loss}, {"d_accuracy", last_.d_accuracy},
                         {"d_real", last_.d_real}, {"d_fake", last_.d_fake}};
      if (st.first_bad_step < 0) return true;
      const int64_t bad = start_batch + st.first_bad_step + 1;
      say(stderr, fmt::format("\n{}: loss is not finite at epoch {} batch {} (d_loss {}, g_loss {}); run marked failed, "
                         "last good checkpoint kept\n", opt_.label, epoch + 1, bad, st.bad_d_loss, st.bad_g_loss));
      write_text_atomic(path(kFailedMarker), fmt::format("diverged: non-finite loss at epoch {} batch {} (d_loss {}, "
                                                         "g_loss {})\n", epoch + 1, bad, st.bad_d_loss,
                                                         st.bad_g_loss));
      return false;
    };
    for (int64_t b = start_batch; b < batches; ++b) {
      Batch* batch = nullptr;
      loader.next(batch);
      train_step(uploader_.upload(batch->images, opt_.device), batch->labels);  // pinned + asynchronous on a GPU
      ++steps_;
      const bool log_point = opt_.log_every > 0 && ((b + 1) % opt_.log_every == 0 || b + 1 == batches);
      const bool stopping = stop_requested().load() || cancelled();
      // The only reads of the device in an epoch: at log points, at its end and on a stop.
      if (!log_point && !stopping && b + 1 != batches) continue;
      if (!take_stats()) return RunOutcome::diverged;
      const double elapsed = std::chrono::duration<double>(Clock::now() - epoch_start).count();
      const int64_t done_here = b + 1 - start_batch;
      const double rate = static_cast<double>(done_here) / elapsed;
      if (log_point && events_) events_->batch(steps_, last_, opt_g_->lr(), rate);
      if (log_point && live.active()) {
        const double remaining = static_cast<double>((opt_.epochs - epoch - 1) * batches + batches - b - 1) / rate;
        live.show(fmt::format("{} epoch {}/{} batch {}/{}  d_loss {:.4f}  g_loss {:.4f}  D(x) {:.3f}  D(G(z)) {:.3f}  "
                              "{:.1f} it/s  ETA {}", opt_.label, epoch + 1, opt_.epochs, b + 1, batches, last_.d_loss,
                              last_.g_loss, last_.d_real, last_.d_fake, rate, format_eta(remaining)));
      }
      if (stopping) {
        partial["seconds"] = seconds_before + elapsed;
        save_checkpoint(epoch, b + 1, partial);
        say(stdout, fmt::format("\n{}: stopped {}after epoch {} batch {}; checkpoint written, rerun the same command to "
                   "continue\n", opt_.label, cancelled() ? "" : "by signal ", epoch + 1, b + 1));
        return RunOutcome::interrupted;
      }
    }
    const double seconds = seconds_before + std::chrono::duration<double>(Clock::now() - epoch_start).count();
    try {
      end_of_epoch(epoch, seconds, partial);
    } catch (const StopRequested&) {
      say(stdout, fmt::format("\n{}: stopped by signal during epoch {}'s metrics; the epoch is checkpointed and its "
                              "metrics are redone on resume\n", opt_.label, epoch + 1));
      return RunOutcome::interrupted;
    }
    live.clear();
    std::string extra;
    for (const EpochMetric& m : opt_.metrics)
      extra += fmt::format("  {} {:.4f}", m.column, history_.at(m.csv_name).back().get<double>());
    say(stdout, fmt::format("{} epoch {}/{}  d_loss {:.4f}  g_loss {:.4f}  d_acc {:.3f}  {:.1f}s{}\n", opt_.label, epoch + 1,
               opt_.epochs, history_["d_losses"].back().get<double>(), history_["g_losses"].back().get<double>(),
               history_["d_accuracies"].back().get<double>(), seconds, extra));
    std::fflush(stdout);
    start_batch = 0;
    partial = fresh_partial();  // end_of_epoch has checkpointed the epoch
    if (stop_requested().load() || cancelled()) {
      say(stdout, fmt::format("{}: stopped after epoch {}; checkpoint written\n", opt_.label, epoch + 1));
      return RunOutcome::interrupted;
    }
  }
  write_completion_marker(opt_.epochs);
  return RunOutcome::completed;
}

void AdversarialTrainer::write_completion_marker(int epochs) const {
  nlohmann::json config = opt_.config;
  config["completed_epochs"] = epochs;
  write_text_atomic(path("config.json"), config.dump(2) + "\n");
}

}  // namespace aafgan::models
