// The AdversarialTrainer's run: the epoch loop with its stops, resume and divergence handling,
// and the bookkeeping at each epoch's end. The step is in trainer_step.cpp, the checkpoint in
// trainer_checkpoint.cpp, the files of a run folder in trainer_outputs.cpp, the learning-rate
// decay and the freeze in trainer_schedule.h.
#include "training/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "data/batch_order.h"
#include "data/prefetcher.h"
#include "base/durable_file.h"
#include "training/console.h"
#include "training/live_line.h"
#include "grid/run_completion.h"
#include "grid/run_lock.h"
#include "training/trainer_internal.h"

namespace aafgan::models {

namespace fs = std::filesystem;
using trainer_detail::kCheckpoint;
using trainer_detail::kFailedMarker;
using trainer_detail::write_text_atomic;

namespace {

// One prefetched batch: float32 images in [−1, 1] and their labels.
struct Batch {
  Tensor images;
  std::vector<int32_t> labels;
};

bool finite(double v) { return std::isfinite(v); }

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

AdversarialTrainer::AdversarialTrainer(GanModel& model, const TrainingData& data, TrainOptions options, DType dtype,
                                       std::shared_ptr<Generator> dropout_gen)
    : model_(model),
      data_(data),
      opt_(std::move(options)),
      dtype_(dtype),
      dropout_gen_(std::move(dropout_gen)),
      schedule_(opt_),
      noise_gen_(opt_.seed, trainer_detail::kNoiseStream),
      label_gen_(opt_.seed, trainer_detail::kLabelStream) {
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

std::string AdversarialTrainer::path(const std::string& rel) const { return (fs::path(opt_.run_dir) / rel).string(); }

void AdversarialTrainer::freeze_activations() {
  frozen_ = true;
  for (auto& l : model_.generator_adaptive()) l.layer->freeze();
  for (auto& l : model_.discriminator_adaptive()) l.layer->freeze();
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
  // From the optimizers' own lr, not schedule_.lr_at_epoch: after --force-resume with new settings
  // it is the new lr, undecayed (trainer_checkpoint.cpp).
  opt_g_->set_lr(schedule_.lr_after(epoch, opt_g_->lr()));
  opt_d_->set_lr(schedule_.lr_after(epoch, opt_d_->lr()));
  if (schedule_.freezes_after(epoch) && !frozen_) {
    drop_graph();  // the frozen parameters leave the step: a new graph
    freeze_activations();
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

RunOutcome AdversarialTrainer::run() {
  // Complete by what the folder holds, not by config.json existing (grid/run_completion.h).
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
    // claim (grid/run_claim.h) and the record of who trained the run.
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
    for (const std::string& s : trainer_detail::loss_series()) history_[s] = nlohmann::json::array();
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

}  // namespace aafgan::models
