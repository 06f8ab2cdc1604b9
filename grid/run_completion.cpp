#include "grid/run_completion.h"

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/checkpoint.h"
#include "base/error.h"
#include "base/json_limits.h"

namespace aafgan::models {

namespace fs = std::filesystem;

namespace {

// The epochs a checkpoint has finished (its position: epoch E, batch B means E done), or -1.
int checkpoint_epochs(const fs::path& path, std::string& problem) {
  if (!fs::exists(path)) return -1;
  try {
    const nlohmann::json& m = load_checkpoint(path.string()).metadata;
    return m.at("epoch").get<int>();
  } catch (const std::exception& e) {
    problem = e.what();
    return -1;
  }
}

// config.json's completed_epochs (0 when a marker of an older build lacks it), or -1 with the
// reason when the file cannot be read as a run's config.
int marker_epochs(const fs::path& path, std::string& problem) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec) && fs::file_size(path, ec) == 0) {
    problem = "it is empty";
    return -1;
  }
  nlohmann::json j;
  try {
    j = read_json_file_within(path.string(), "a run's config.json", run_config_json_limits());
  } catch (const Error& e) {
    problem = e.what();
    return -1;
  }
  if (!j.is_object()) {
    problem = "it is not a JSON object";
    return -1;
  }
  const auto it = j.find("completed_epochs");
  return it != j.end() && it->is_number_integer() ? it->get<int>() : 0;
}

// Rows of metrics.csv, the outputs a run writes every epoch.
int metrics_rows(const fs::path& path) {
  std::ifstream in(path);
  int lines = 0;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) ++lines;
  return lines > 0 ? lines - 1 : 0;
}

}  // namespace

RunCompletion judge_run_completion(const std::string& run_dir, int epochs) {
  const fs::path dir(run_dir), marker = dir / "config.json", ckpt = dir / "model_checkpoints" / "last.ckpt";
  RunCompletion c;
  // An unfinished run (no marker) is asked about again and again by waiting claim workers: its
  // checkpoint is not read here, the trainer reads it when it resumes.
  if (!fs::exists(marker)) {
    const int rows = fs::exists(ckpt) ? 0 : metrics_rows(dir / "metrics.csv");
    if (rows > 0)
      c.note = fmt::format("metrics.csv holds {} epoch(s) but it has no checkpoint: starting from scratch", rows);
    return c;
  }
  std::string ckpt_problem;
  const int by_ckpt = checkpoint_epochs(ckpt, ckpt_problem);
  const std::string ckpt_state =
      !ckpt_problem.empty() ? fmt::format("its checkpoint is unreadable ({})", ckpt_problem) : "it has no checkpoint";
  std::string marker_problem;
  const int by_marker = marker_epochs(marker, marker_problem);
  if (by_marker < 0) {
    // The marker is damaged; the checkpoint says how far the run got.
    c.epochs_done = by_ckpt;
    if (by_ckpt >= epochs) {
      c.complete = c.repair_marker = true;
      c.note = fmt::format("config.json is unreadable ({}); the checkpoint holds all {} epoch(s): written again",
                           marker_problem, by_ckpt);
    } else {
      c.marker_stale = true;
      c.note = by_ckpt >= 0 ? fmt::format("config.json is unreadable ({}) and the run holds {} of {} epoch(s): "
                                          "resuming from its checkpoint", marker_problem, by_ckpt, epochs)
                            : fmt::format("config.json is unreadable ({}) and {}: starting from scratch",
                                          marker_problem, ckpt_state);
    }
    return c;
  }
  // A readable marker: complete for its epochs; the checkpoint, where there is one, has the last
  // word on how many (a marker of an older build does not say).
  c.epochs_done = by_ckpt >= 0 ? by_ckpt : by_marker;
  if (by_ckpt < 0 && by_marker == 0) {
    c.complete = true;  // nothing to compare with: as the marker says
    return c;
  }
  if (c.epochs_done >= epochs) {
    c.complete = true;
    return c;
  }
  c.marker_stale = true;
  c.note = by_ckpt >= 0 ? fmt::format("complete with {} epoch(s), {} asked: continuing from its checkpoint",
                                      c.epochs_done, epochs)
                        : fmt::format("complete with {} epoch(s), {} asked, but {}: starting from scratch",
                                      c.epochs_done, epochs, ckpt_state);
  return c;
}

}  // namespace aafgan::models
