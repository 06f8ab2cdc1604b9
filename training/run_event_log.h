#pragma once
// A training run's live log for TensorBoard, <run>/tensorboard/events.out.tfevents.*:
//   batch/<d_loss|g_loss|D(x)|D(G(z))|lr|it_per_s>   every --log-every batches, at step = batches
//                                                     trained since the run began
//   epoch/<column>, adaptive/<column>                 every column of metrics.csv (adaptive/:
//                                                     the G./D. parameter statistics), at step =
//                                                     epoch (1-based)
//   adaptive/<G|D>.<layer>.<param>                    a histogram of the parameter over its
//                                                     features, every epoch
//   samples                                           the epoch's sample grid (samples_img/)
// Resumes continue where the checkpoint left the file (position()), so no step is logged twice.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/png_writer.h"
#include "engine/step_stats.h"
#include "models/gan.h"

namespace aafgan::models {

// A build without Protobuf has no tensorboard/ library (cmake/optional_parts.cmake):
// run_event_log_unavailable.cpp then stands in, available() is false and start/resume throw the
// reason, so that the trainer and the apps need no build switches of their own.
class RunEventLog {
 public:
  static bool available();
  // Why there are no event files ("" when there are), for the one line the apps print about it.
  static std::string unavailable_reason();
  // A run from scratch: the event files of an earlier start hold steps it does again; they go.
  static void discard(const std::string& run_dir);
  // A new event file for a run starting (from scratch, or resuming without a recorded position).
  static std::unique_ptr<RunEventLog> start(const std::string& run_dir);
  // Continues where `recorded` (position() as a checkpoint keeps it) says; `note` tells of any
  // damage that had to be cut away.
  static std::unique_ptr<RunEventLog> resume(const std::string& run_dir, const nlohmann::json& recorded,
                                             std::string& note);

  void batch(int64_t step, const StepValues& last, double lr, double it_per_s);
  // (metrics.csv column, its value at `epoch`) pairs.
  void epoch(int epoch, const std::vector<std::pair<std::string, double>>& columns);
  void parameters(int epoch, const GanModel& model);
  void samples(int epoch, const data::Image& grid);
  // Synced to disk; what the checkpoint records for resume().
  nlohmann::json position();

  static std::string folder(const std::string& run_dir);

  ~RunEventLog();
  RunEventLog(const RunEventLog&) = delete;
  RunEventLog& operator=(const RunEventLog&) = delete;

 private:
  // The event file (tensorboard/event_file.h, which needs Protobuf's generated headers).
  struct Impl;
  explicit RunEventLog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace aafgan::models
