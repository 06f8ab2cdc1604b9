#include "apps/common/gan_app.h"

#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "apps/common/experiment_flags.h"
#include "engine/device.h"
#include "engine/random_streams.h"
#include "models/console.h"
#include "models/run_lock.h"

namespace aafgan::apps {

namespace fs = std::filesystem;

namespace {

// Streams of a run's seed (engine/random_streams.h).
constexpr uint32_t kInitStream = stream_id(RandomStream::gan_init),
                   kDropoutStream = stream_id(RandomStream::gan_dropout);

struct RunResult {
  std::string dir, outcome, reason;  // reason: why it failed (empty otherwise)
};

void print_grid_summary(const std::vector<RunResult>& results) {
  if (results.size() < 2 && (results.empty() || results[0].reason.empty())) return;
  size_t width = 3;
  for (const RunResult& r : results) width = std::max(width, r.dir.size());
  models::say(stdout, fmt::format("\n{:<{}}  {:<16}  {}\n", "run", width, "outcome", "reason"));
  int done = 0, failed = 0, other = 0;
  for (const RunResult& r : results) {
    models::say(stdout, fmt::format("{:<{}}  {:<16}  {}\n", r.dir, width, r.outcome, r.reason));
    (r.outcome == "completed" || r.outcome == "already complete" ? done : !r.reason.empty() ? failed : other) += 1;
  }
  models::say(stdout, fmt::format("{} run(s): {} complete, {} failed, {} interrupted or not started\n", results.size(), done, failed,
             other));
}

}  // namespace

void add_gan_options(CLI::App& app, GanAppOptions& o, const models::Experiment& d) {
  add_experiment_flags(app, o.overrides, d);
  app.add_option("--config", o.config_path, "experiment file in the reference JSON format")->check(CLI::ExistingFile);
  app.add_option("--experiment", o.experiment_key, "key of the experiment in --config");
  app.add_option("--out", o.out_dir, "folder that receives EXPERIMENT_DIR/output…/<seed index>/");
  app.add_option("--seed", o.seed, "seed of the run (default: the reference seed list)");
  app.add_option("--device", o.device, "auto (the GPU when one is usable), cpu, cuda or cuda:N");
  app.add_flag("--tf32", o.tf32, "allow TF32 tensor cores for float32 GEMMs and convolutions on the GPU");
  app.add_flag("--deterministic", o.deterministic,
               "only deterministic cuDNN convolution algorithms (bit-identical GPU reruns; may be slower)");
  app.add_flag("--cuda-graph,!--no-cuda-graph", o.cuda_graph,
               "on a GPU, replay each training step as one CUDA graph after a few eager steps (default on)");
  app.add_option("--threads", o.threads, "CPU threads (default: all cores)")->check(CLI::Range(1, 1024));
  app.add_option("--max-images", o.max_images, "train on the first N images (smoke runs)")
      ->check(CLI::Range(1, 1 << 30));
  app.add_flag("--no-resume", o.no_resume,
               "start unfinished runs from scratch even when a checkpoint exists (completed runs are kept)");
  app.add_flag("--overwrite", o.overwrite, "with --no-resume, train completed runs again too");
  app.add_flag("--force-resume", o.force_resume,
               "resume although the settings (batch size, learning rate, …) differ from the checkpoint's");
  app.add_flag("--retry-double", o.retry_double, "rerun a diverged run in float64 (the failed one is kept aside)");
}

models::Experiment resolve_experiment(const CLI::App& app, const GanAppOptions& o, models::Experiment defaults) {
  if (!o.experiment_key.empty() && o.config_path.empty()) fail("--experiment needs --config FILE");
  if (!o.config_path.empty() && o.experiment_key.empty()) fail("--config needs --experiment KEY");
  models::Experiment e =
      o.config_path.empty() ? defaults : models::load_experiment(o.config_path, o.experiment_key, defaults);
  for (const std::string& w : e.warnings) models::say(stdout, fmt::format("note: {}\n", w));
  if (app.count("--seed")) {
    // Before the overrides, so that --seeds N counts these seeds.
    const auto it = o.overrides.values.find("N_SEEDS");
    const int n = it == o.overrides.values.end() ? 1 : it->second.get<int>();
    e.seeds.clear();
    for (int i = 0; i < n; ++i) e.seeds.push_back(o.seed + static_cast<uint64_t>(i));
    e.n_seeds = n;
  }
  models::apply_overrides(o.overrides, e);
  if (o.threads) {
    omp_set_num_threads(o.threads);
    Eigen::setNbThreads(o.threads);
  }
  return e;
}

Device resolve_device(const GanAppOptions& o) {
  const Device d = parse_device(o.device);
  if (d.is_cuda()) {
    set_allow_tf32(o.tf32);
    set_deterministic(o.deterministic);
    models::say(stdout, fmt::format("device: {} ({}{}{})\n", d.str(), aafgan::device_name(d), o.tf32 ? ", TF32 allowed" : "",
               o.cuda_graph ? ", CUDA graphs" : ""));
  } else if (o.device == "auto") {
    models::say(stdout, fmt::format("device: cpu ({})\n", cuda_unavailable_reason()));
  }
  return d;
}

int run_grid(const models::Experiment& e, const GanAppOptions& o, const models::TrainingData& data,
             const GridCallbacks& cb, Device device) {
  const std::vector<models::RunSpec> runs = models::expand_grid(e);
  models::say(stdout, fmt::format("data: {}; {} run(s), {} epoch(s) each, batch {}, {}\n", data.describe(), runs.size(), e.epochs,
             e.batch_size, dtype_name(e.dtype)));
  // EXPERIMENT_DIR comes from a config file: it must not lead outside --out (an absolute path
  // or ..), where --no-resume would empty folders that are not the grid's.
  const fs::path out = fs::weakly_canonical(fs::absolute(o.out_dir));
  for (const models::RunSpec& run : runs) {
    const fs::path dir = fs::weakly_canonical(fs::absolute(fs::path(o.out_dir) / run.dir));
    const auto [end, at] = std::mismatch(out.begin(), out.end(), dir.begin(), dir.end());
    if (end != out.end() || dir == out)
      fail("run folder {} is not inside --out {} (EXPERIMENT_DIR must be a relative path without ..)", dir.string(),
           out.string());
  }
  models::install_stop_signal_handlers();

  // One training of `run` in `dtype`, from its checkpoint when there is one.
  const auto train = [&](const models::RunSpec& run, const std::string& label, DType dtype) {
    Generator init(run.seed, kInitStream);
    auto dropout_gen = std::make_shared<Generator>(run.seed, kDropoutStream);
    std::unique_ptr<models::GanModel> model = cb.make_model(run, dtype, init, dropout_gen);
    models::TrainOptions t = models::train_options(e);
    t.run_dir = (fs::path(o.out_dir) / run.dir).string();
    t.seed = run.seed;
    t.resume = !o.no_resume;
    t.start_over = o.no_resume;
    t.overwrite = o.overwrite;
    t.force_resume = o.force_resume;
    t.grid_rows = cb.grid_rows;
    t.grid_cols = cb.grid_cols;
    t.grid_column_major = cb.grid_column_major;
    t.label = label;
    t.device = device;
    t.cuda_graph = o.cuda_graph;
    if (cb.metrics) t.metrics = cb.metrics(run, dtype);
    nlohmann::json cfg = e.raw.is_null() ? models::to_json(e) : e.raw;
    cfg["RUN"] = {{"gen", run.models.gen}, {"dis", run.models.dis}, {"gen_hidden", run.models.gen_hidden},
                  {"dis_hidden", run.models.dis_hidden}, {"seed", run.seed}, {"seed_index", run.seed_index},
                  {"dtype", dtype_name(dtype)}};
    t.config = cfg;
    models::AdversarialTrainer trainer(*model, data, t, dtype, dropout_gen);
    const models::RunOutcome outcome = trainer.run();
    models::say(stdout, fmt::format("{} {} ({})\n", label, models::outcome_name(outcome), t.run_dir));
    return outcome;
  };

  std::vector<RunResult> results;
  bool interrupted = false;
  for (const models::RunSpec& run : runs) {
    if (interrupted) {
      results.push_back({run.dir, "not started", ""});
      continue;
    }
    const std::string label = fmt::format("[{} seed {}]", models::run_dir_name(run.models), run.seed_index);
    const std::string run_dir = (fs::path(o.out_dir) / run.dir).string();
    try {
      // A float64 retry that was interrupted continues as float64 (its float32 attempt is aside).
      const bool retrying = o.retry_double && e.dtype == DType::f32 && fs::exists(run_dir + "_failed_float32");
      models::RunOutcome outcome = train(run, label, retrying ? DType::f64 : e.dtype);
      if (outcome == models::RunOutcome::diverged && o.retry_double && e.dtype == DType::f32 && !retrying) {
        const std::string aside = run_dir + "_failed_float32";
        fs::remove_all(aside);
        fs::rename(run_dir, aside);
        models::say(stdout, fmt::format("{} retrying in float64; the failed float32 run is kept in {}\n", label, aside));
        outcome = train(run, label, DType::f64);
      }
      if (outcome == models::RunOutcome::interrupted) {
        interrupted = true;
        results.push_back({run.dir, "interrupted", ""});
        continue;
      }
      const bool bad = outcome == models::RunOutcome::diverged || outcome == models::RunOutcome::previously_failed;
      results.push_back({run.dir, models::outcome_name(outcome), bad ? models::run_failure_reason(run_dir) : ""});
    } catch (const models::RunFolderBusy& ex) {
      // Another process is training this run: report it, and leave its folder alone.
      models::say(stderr, fmt::format("{} skipped: {}\n", label, ex.what()));
      results.push_back({run.dir, "in use elsewhere", ex.what()});
    } catch (const std::exception& ex) {
      // One run's failure (a bad checkpoint, a device error, a full disk, …) is that run's: it is
      // marked failed and the grid goes on with the next one.
      models::say(stderr, fmt::format("{} failed: {}\n", label, ex.what()));
      models::mark_run_failed(run_dir, ex.what());
      results.push_back({run.dir, "failed", ex.what()});
    }
  }
  print_grid_summary(results);
  if (interrupted) {
    models::say(stdout, fmt::format("stopped by signal: rerun the same command to continue (exit {})\n", kExitInterrupted));
    return kExitInterrupted;
  }
  for (const RunResult& r : results)
    if (!r.reason.empty()) return kExitRunsFailed;
  return 0;
}

}  // namespace aafgan::apps
