#pragma once
// What ./mnist_condgan and ./celeba_dcgan share: the experiment flags (and their meaning over
// a reference config), and the loop over a grid of runs with resume, --retry-double and exit
// codes. Each app adds its data and model flags and says how to build its model.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "experiment/experiment.h"
#include "experiment/experiment_keys.h"
#include "grid/grid_shard.h"
#include "models/gan.h"
#include "training/trainer.h"
#include "models/training_data.h"

namespace aafgan::apps {

struct GanAppOptions {
  // Experiment keys given by their flags (--epochs, --lr, --gen, …; the rows of
  // experiment/experiment_keys.cpp that name a flag), applied over the defaults or --config.
  models::ExperimentOverrides overrides;
  std::string config_path, experiment_key, data_dir, out_dir = ".", device = "auto";
  int threads = 0;
  int64_t max_images = 0;
  uint64_t seed = 0;  // --seed S: the seeds S, S+1, … (as many as --seeds) replace SEEDS
  bool no_resume = false, overwrite = false, force_resume = false, retry_double = false, tf32 = false, deterministic = false;
  bool cuda_graph = true;  // --cuda-graph / --no-cuda-graph
  bool tensorboard = models::RunEventLog::available();  // --tensorboard / --no-tensorboard
  std::string shard;        // --shard I/N ("" = the job array's task, or the whole grid)
  bool claim = false;       // --claim: share --out with other workers (grid/run_claim.h)
  double claim_timeout = 600;  // --claim-timeout: seconds without a heartbeat before a claim is stale
};

// Registers the shared flags; `defaults` supplies the values quoted in --help.
void add_gan_options(CLI::App& app, GanAppOptions& o, const models::Experiment& defaults);

// The experiment to run: `defaults`, or --config/--experiment, with the flags given on the
// command line applied over it (model lists, hyperparameters, seeds). Also applies --threads,
// ignores SIGPIPE from here on (a closed stdout pipe drops progress lines, never the run),
// refuses a flag whose optional part this build lacks (--tensorboard without Protobuf), and says
// once which outputs this build cannot write.
models::Experiment resolve_experiment(const CLI::App& app, const GanAppOptions& o, models::Experiment defaults);

// This worker's part of the grid: --shard, else (without --claim) the Slurm or AWS Batch array
// task of the environment, else the whole grid. Throws on a malformed value.
models::GridShard resolve_shard(const GanAppOptions& o);

// The engine device for --device (auto = the GPU when one is usable), with --tf32 and
// --deterministic applied; says which device was chosen, on the CPU which BLAS, core and threads
// its GEMMs use (call it after resolve_experiment, which applies --threads), and warns when
// OpenBLAS runs older kernels than the CPU has.
Device resolve_device(const GanAppOptions& o);

struct GridCallbacks {
  // Builds the model of one run, drawing its weights from `init`.
  std::function<std::unique_ptr<models::GanModel>(const models::RunSpec&, DType, Generator& init,
                                                  std::shared_ptr<Generator> dropout_gen)>
      make_model;
  // Per-epoch metrics of one run (may be empty).
  std::function<std::vector<models::EpochMetric>(const models::RunSpec&, DType)> metrics;
  // Sample grid layout: rows × cols of grid_samples, column-major (one class per column) or not.
  int grid_rows = 3, grid_cols = 10;
  bool grid_column_major = true;
  int grid_samples = 0;  // 0: SAMPLES_IN_VISUALIZATION
};

// The apps' exit codes (README "Exit codes"): schedulers retry kExitInterrupted, which means
// "stopped by a signal after a checkpoint, rerun to continue" (EX_TEMPFAIL of sysexits.h).
constexpr int kExitRunsFailed = 3;    // the grid went through; some run failed (error.txt)
constexpr int kExitInterrupted = 75;  // stopped by SIGINT/SIGTERM/SIGHUP; a checkpoint was written

// Trains every run of this worker's shard in order (completed runs are skipped, a killed one
// resumes; with --claim, only the runs this worker claims, waiting for those other workers hold). A
// run that fails, by divergence or by any error, is marked with error.txt and the grid goes on;
// a grid of several runs (or one failed run) ends with a summary table. Returns the exit code:
// 0 when every run is complete, kExitRunsFailed, or kExitInterrupted at once on a stop signal.
int run_grid(const models::Experiment& e, const GanAppOptions& o, const models::TrainingData& data,
             const GridCallbacks& cb, Device device);

}  // namespace aafgan::apps
