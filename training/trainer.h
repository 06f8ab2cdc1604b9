#pragma once
// The adversarial training loop of gan-protocol.md §3–§5, shared by both apps: the D and G
// steps, per-epoch bookkeeping (learning-rate decay, freezing, sample grids, metrics, stats
// files, checkpoints), resume, graceful stop on SIGINT/SIGTERM, and divergence handling.
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/cuda_graph.h"
#include "engine/device.h"
#include "engine/host_stager.h"
#include "engine/step_stats.h"
#include "base/stop_signal.h"
#include "engine/optim/adam.h"
#include "experiment/experiment.h"
#include "models/gan.h"
#include "training/run_event_log.h"
#include "training/trainer_schedule.h"
#include "models/training_data.h"

namespace aafgan::models {

// A per-epoch score of the generator (classifier accuracy, FID, ...).
struct EpochMetric {
  EpochMetric(std::string column_, std::string csv_name_, std::function<double(GanModel&)> compute_,
              double stats_scale_ = 1.0, std::string reference_stats_ = "")
      : column(std::move(column_)), csv_name(std::move(csv_name_)), compute(std::move(compute_)),
        stats_scale(stats_scale_), reference_stats(std::move(reference_stats_)) {}

  std::string column;    // its name in progress lines, e.g. "classifier_accuracy"
  std::string csv_name;  // metrics.csv column and stats/<csv_name>.csv, e.g. "pre_classifier_accuracies"
  std::function<double(GanModel&)> compute;
  // stats/ holds the reference code's units and names, metrics.csv our own: stats/<csv_name>.csv
  // is written × stats_scale (100: the reference's accuracies are percent), and also as
  // stats/<reference_stats>.csv when the reference named it differently (e.g. "lls_avg").
  double stats_scale = 1.0;
  std::string reference_stats;
};

struct TrainOptions {
  std::string run_dir;  // EXPERIMENT_DIR/output…/<seed index>
  uint64_t seed = 0;
  int epochs = 100;
  int64_t batch_size = 100;
  double lr = 1e-3, beta1 = 0.5, beta2 = 0.999, eps = 1e-8;
  double lr_decay_rate = 1.0;  // × after each epoch (0-based) < lr_decay_until (training/trainer_schedule.h)
  int lr_decay_until = 0;
  int freeze_epoch = -1;  // activation parameters stop learning from the end of this epoch (1-based)
  double real_target = 0.9;
  int log_every = 300;  // batches between progress lines
  bool resume = true;       // load the run's checkpoint when there is one
  bool start_over = false;  // --no-resume: empty an unfinished run's folder first (under its lock)
  bool overwrite = false;   // with start_over, a completed run's folder too
  bool force_resume = false;  // resume although the settings differ from the checkpoint's
  // Fixed-noise sample grid: samples (class order when conditional), laid out rows × cols.
  int grid_samples = 30, grid_rows = 3, grid_cols = 10, grid_scale = 4;
  bool grid_column_major = true;
  std::vector<EpochMetric> metrics;
  nlohmann::json config;  // written to config.json when the run completes
  std::string label;      // names the run in messages
  Device device;          // where the model trains; the trainer moves the model there
  // On a GPU, capture the whole step (both networks' steps, both Adam updates, the noise and
  // dropout draws) into a CUDA graph after `graph_warmup` eager steps and replay it; recaptured
  // when shapes or frozen parameters change. Ignored on the CPU. A capture that fails falls back
  // to eager steps with one warning.
  bool cuda_graph = true;
  int graph_warmup = 3;
  // Set by the caller to stop this run as a signal would (checkpoint, RunOutcome::interrupted)
  // without stopping the process: a worker whose claim was taken over steps aside.
  const std::atomic<bool>* cancel = nullptr;
  // <run>/tensorboard/ event files (training/run_event_log.h); --no-tensorboard turns them off.
  bool tensorboard = RunEventLog::available();
};

// The options every run of experiment e shares: its hyperparameters, schedule and logging. The
// caller adds what is the run's own (folder, seed, label, device, metrics, config, grid layout).
TrainOptions train_options(const Experiment& e);

enum class RunOutcome { completed, already_complete, previously_failed, interrupted, diverged };
const char* outcome_name(RunOutcome o);

// error.txt in a run folder: a failed run, skipped by later grids (rerun after removing it).
void mark_run_failed(const std::string& run_dir, const std::string& reason);
// Its first line, or "" when the run has not failed.
std::string run_failure_reason(const std::string& run_dir);

// Set by the signal handlers (base/stop_signal.h); the trainer finishes its batch, checkpoints
// and returns.
using aafgan::install_stop_signal_handlers;
using aafgan::stop_requested;

class AdversarialTrainer {
 public:
  // `model` must have been built from the same seed the options carry.
  AdversarialTrainer(GanModel& model, const TrainingData& data, TrainOptions options, DType dtype,
                     std::shared_ptr<Generator> dropout_gen);

  RunOutcome run();

  // One iteration (D step then G step) on a real batch: images [N, sample…] on the training
  // device (or the host), labels. Enqueues the work and returns without waiting for the device;
  // the losses and D's outputs are accumulated where the step runs (read_stats). Exposed for
  // benchmarks and tests.
  void train_step(const Tensor& real, const std::vector<int32_t>& labels);
  // The statistics of the steps since the epoch began (or since resume): waits for the device.
  StepStatsSnapshot read_stats() const { return read_step_stats(stats_); }
  // Whether the steps now replay a CUDA graph.
  bool replaying_graph() const { return graph_.ready(); }

 private:
  // trainer.cpp: the run and each epoch's end.
  bool cancelled() const { return opt_.cancel && opt_.cancel->load(); }
  void end_of_epoch(int epoch, double seconds, const nlohmann::json& sums);
  // The per-epoch metrics not yet in the history after `epochs_done` epochs, then a checkpoint.
  void epoch_metrics(int epochs_done);
  void freeze_activations();
  std::string path(const std::string& rel) const;

  // trainer_step.cpp: the step and its CUDA graph.
  void prepare_step_buffers(int64_t n);
  void stage_onehot(Tensor& dst, const std::vector<int32_t>& labels);
  void step_body();
  bool try_capture();
  void drop_graph();
  void restart_stats(const nlohmann::json& partial);
  Tensor noise(int64_t n);
  Tensor onehot(const std::vector<int32_t>& labels) const;
  std::vector<int32_t> random_labels(int64_t n);

  // trainer_checkpoint.cpp: save, and the checks and restores of a resume.
  void save_checkpoint(int epoch, int64_t next_batch, const nlohmann::json& partial);
  bool load_checkpoint(int& epoch, int64_t& next_batch, nlohmann::json& partial);
  static nlohmann::json fresh_partial();
  nlohmann::json settings() const;

  // trainer_outputs.cpp: the files of the run folder.
  void write_outputs() const;
  void write_sample_grid(int epoch);
  // config.json: the run's config with the epochs it completed (grid/run_completion.h reads it).
  void write_completion_marker(int epochs) const;
  // The TensorBoard log of this start: continued where the checkpoint left it, or new.
  void open_event_log(bool resumed);

  GanModel& model_;
  const TrainingData& data_;
  TrainOptions opt_;
  DType dtype_;
  std::shared_ptr<Generator> dropout_gen_;
  TrainSchedule schedule_;  // of opt_: the lr decay and the freeze
  Generator noise_gen_, label_gen_;
  std::unique_ptr<optim::Adam> opt_g_, opt_d_;
  StepValues last_;         // of the last step read back
  nlohmann::json history_;  // metric name → per-epoch values
  bool frozen_ = false;
  BatchUploader uploader_;
  // The tensors a step reads and writes, fixed so that a CUDA graph can replay it.
  Tensor real_, real_onehot_, fake_onehot_, g_onehot_, real_target_, fake_target_;
  Tensor stats_;  // engine/step_stats.h, on the training device
  HostStager label_stager_{6};
  CudaGraph graph_;
  int eager_steps_ = 0;  // since the graph was last dropped
  bool graph_off_ = false;  // a capture failed: eager from now on
  int64_t steps_ = 0;  // training steps since the run began: the step of the batch/ scalars
  std::unique_ptr<RunEventLog> events_;  // null with --no-tensorboard
  nlohmann::json recorded_events_;       // the checkpoint's position of the log, or null
};

}  // namespace aafgan::models
