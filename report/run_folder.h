#pragma once
// Reading an experiment folder in the reference layout (gan-protocol.md §5):
//   EXPERIMENT_DIR/output[_D<dis_hidden>][_G<gen_hidden>][_Dis_<dis>][_Gen_<gen>]/<seed index>/
// Each run's state comes from its marker files: config.json = complete, error.txt = failed
// (its first line is the reason), neither = in progress (or stopped; resumable from
// model_checkpoints/last.ckpt). A run whose tables cannot be read is `unreadable`: reported with
// the error and left out of every statistic, the other runs are still read.
#include <string>
#include <vector>

#include "base/model_folder_name.h"
#include "report/csv_table.h"

namespace aafgan::report {

// The four activation choices a model folder's name encodes; the naming rule is the apps' own
// (base/model_folder_name.h).
using ModelParts = ModelFolderParts;
using aafgan::model_folder_name;
using aafgan::parse_model_folder;

enum class RunState { complete, in_progress, failed, unreadable };
const char* state_name(RunState s);  // "complete", "in progress", "failed", "unreadable"

struct Run {
  std::string model;      // the model folder's name
  std::string seed;       // the seed index folder's name
  std::string path;
  RunState state = RunState::in_progress;
  std::string reason;     // failed: error.txt's first line; unreadable: the error; in progress: what is there
  int epochs = 0;         // epochs with recorded metrics
  MetricsTable metrics;   // accuracies in percent (see normalise_units)
  std::string notes;      // e.g. how the classifier accuracy's unit was read
  std::string last_sample;  // samples_img/<highest epoch>.png, "" when none
  int last_sample_epoch = 0;
  bool has_checkpoint = false;
};

struct Model {
  std::string name;  // folder name
  ModelParts parts;
  std::vector<Run> runs;  // by seed index
  bool is_default() const { return parts == ModelParts{}; }
};

struct Experiment {
  std::string dir;
  std::vector<Model> models;          // the all-default `output` first, then by name
  std::vector<std::string> ignored;   // sub-folders that are not model or run folders (noted in the report)
  int run_count(RunState s) const;
  int run_count() const;
};

// Reads one run folder (never throws for the run's own files: problems make it `unreadable`).
Run read_run(const std::string& run_dir, const std::string& model, const std::string& seed);

// Reads every model and run below `dir`. Throws aafgan::Error when `dir` is missing or holds
// no run folder (naming an experiment folder below it when `dir` is the apps' --out folder).
Experiment read_experiment(const std::string& dir);

// Accuracy columns in percent: d_accuracies* are fractions (×100); the classifier accuracy
// column is a fraction today and may become percent: a run whose finite values include one
// > 1.5 is read as percent already, otherwise as a fraction (×100). Returns a note saying which.
std::string normalise_units(MetricsTable& table);

}  // namespace aafgan::report
