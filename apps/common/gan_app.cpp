#include "apps/common/gan_app.h"

#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <csignal>
#include <thread>
#include <filesystem>

#include <fmt/format.h>

#include "apps/common/experiment_flags.h"
#include "data/plot.h"
#include "engine/device.h"
#include "base/random_streams.h"
#include "kernels/cpu/blas_info.h"
#include "kernels/cpu/blas_memory.h"
#include "training/console.h"
#include "grid/run_claim.h"
#include "grid/run_completion.h"
#include "grid/run_lock.h"

namespace aafgan::apps {

namespace fs = std::filesystem;

namespace {

// Streams of a run's seed (base/random_streams.h).
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
  models::say(stdout, fmt::format("{} run(s): {} complete, {} failed, {} interrupted, not started or taken over\n",
                                  results.size(), done, failed, other));
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
  app.add_flag("--tensorboard,!--no-tensorboard", o.tensorboard,
               "write TensorBoard event files to each run's tensorboard/ folder (default on; watch with tensorboard "
               "--logdir EXPERIMENT_DIR)");
  app.add_option("--threads", o.threads, "CPU threads (default: all cores)")->check(CLI::Range(1, 1024));
  app.add_option("--max-images", o.max_images, "train on the first N images (smoke runs)")
      ->check(CLI::Range(1, 1 << 30));
  app.add_flag("--no-resume", o.no_resume,
               "start unfinished runs from scratch even when a checkpoint exists (completed runs are kept)");
  app.add_flag("--overwrite", o.overwrite, "with --no-resume, train completed runs again too");
  app.add_flag("--force-resume", o.force_resume,
               "resume although the settings (batch size, learning rate, …) differ from the checkpoint's");
  app.add_flag("--retry-double", o.retry_double, "rerun a diverged run in float64 (the failed one is kept aside)");
  app.add_option("--shard", o.shard,
                 "train only runs I, I+N, I+2N, … of the grid (0 <= I < N); default: the job array's task from "
                 "SLURM_ARRAY_TASK_ID/COUNT or AWS_BATCH_JOB_ARRAY_INDEX/SIZE when set, else the whole grid")
      ->check([](const std::string& v) {
        try {
          models::parse_grid_shard(v);
        } catch (const std::exception& ex) {
          return std::string(ex.what());
        }
        return std::string();
      });
  app.add_flag("--claim", o.claim,
               "share --out with other workers (any number, any hosts on a shared file system): train the runs "
               "nobody has claimed, take over those of dead workers, wait until the grid is done");
  app.add_option("--claim-timeout", o.claim_timeout,
                 "seconds without a heartbeat after which another worker's claim counts as dead (--claim)")
      ->check(CLI::Range(2.0, 86400.0))
      ->default_str("600");
}

models::GridShard resolve_shard(const GanAppOptions& o) {
  if (!o.shard.empty()) return models::parse_grid_shard(o.shard);
  if (o.claim) return {};  // claimed runs need no split: every worker may take any of them
  return models::grid_shard_from_environment().value_or(models::GridShard{});
}

namespace {

// The optional parts this build lacks (cmake/optional_parts.cmake): a flag that asks for one
// fails by name; otherwise one line says which outputs the runs will not have.
void check_optional_parts(const CLI::App& app, const GanAppOptions& o) {
  if (!models::RunEventLog::available()) {
    if (app.count("--tensorboard") && o.tensorboard)
      fail("--tensorboard: this build writes no TensorBoard event files: {}", models::RunEventLog::unavailable_reason());
    const bool declined = app.count("--tensorboard") > 0 && !o.tensorboard;  // --no-tensorboard: nothing missing
    if (!declined)
      models::say(stdout, fmt::format("note: no TensorBoard event files: {}\n", models::RunEventLog::unavailable_reason()));
  }
  if (!data::plots_available())
    models::say(stdout, fmt::format("note: no graphics/losses.png: {}\n", data::plots_unavailable_reason()));
}

}  // namespace

models::Experiment resolve_experiment(const CLI::App& app, const GanAppOptions& o, models::Experiment defaults) {
  // The startup lines (config notes, device, BLAS) are flushed one by one before run_grid installs
  // the stop handlers: `./mnist_condgan … | head -c 10` must not be killed at the second of them.
  std::signal(SIGPIPE, SIG_IGN);
  check_optional_parts(app, o);
  if (!o.experiment_key.empty() && o.config_path.empty()) fail("--experiment needs --config FILE");
  if (!o.config_path.empty() && o.experiment_key.empty()) fail("--config needs --experiment KEY");
  if (o.claim && o.no_resume)
    fail("--claim with --no-resume: workers would start each other's runs over; empty the folder (or the runs) instead");
  resolve_shard(o);  // a malformed job-array environment fails now, not after the data is loaded
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
  // Bad model names or seeds fail here, before any data is read; and a grid the reference's rules
  // empty would "succeed" having trained nothing.
  if (models::expand_grid(e).empty())
    fail("the grid holds no run: the reference's rules leave out every combination given (a run changes the output "
         "or the hidden activations, never both; SKIP_DEFAULT, SKIP_DIFF_HIDDEN and SKIP_DIFF_OUTPUT leave out more): "
         "run such models as two grids, e.g. --gen BHSA, then --gen-hidden MiDA");
  if (o.threads) {
    omp_set_num_threads(o.threads);
    Eigen::setNbThreads(o.threads);
  }
  return e;
}

namespace {

// Below what the GEMM needs, OpenBLAS would hang on its first call (kernels/cpu/blas_memory.h):
// fewer threads when that fits, else an error before any training.
void fit_gemm_threads_to_address_space() {
  if (const std::string& start = kernels::cpu::blas_start_note(); !start.empty())
    models::say(stderr, fmt::format("note: {}\n", start));
  const kernels::cpu::LinkedBlas blas = kernels::cpu::linked_blas();
  const kernels::cpu::BlasAddressSpace fit = kernels::cpu::fit_blas_address_space(
      kernels::cpu::address_space_limit(), kernels::cpu::address_space_in_use(), blas.threads, blas.openblas,
      blas.start_threads);
  if (!fit.error.empty()) fail("{}", fit.error);
  if (fit.note.empty()) return;
  omp_set_num_threads(fit.threads);
  Eigen::setNbThreads(fit.threads);
  models::say(stderr, fmt::format("note: {}\n", fit.note));
}

}  // namespace

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
  // After the device: a CUDA context's mappings count against the limit too.
  fit_gemm_threads_to_address_space();
  if (!d.is_cuda()) models::say(stdout, fmt::format("cpu: {}\n", kernels::cpu::describe_blas(kernels::cpu::linked_blas())));
  // On every device: the metrics' GEMMs (FID, KID, Parzen) run on the CPU even in GPU runs.
  if (const std::string w = kernels::cpu::linked_blas_warning(); !w.empty())
    models::say(stderr, fmt::format("warning: {}\n", w));
  return d;
}

int run_grid(const models::Experiment& e, const GanAppOptions& o, const models::TrainingData& data,
             const GridCallbacks& cb, Device device) {
  // Too few images for one batch is bad data (exit 1) for every run alike, not a failure of each.
  if (e.batch_size > data.size())
    fail("{}: {} training image(s), fewer than one batch of {} (--batch-size, or more images)", data.describe(),
         data.size(), e.batch_size);
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
  const auto train = [&](const models::RunSpec& run, const std::string& label, DType dtype,
                         const std::atomic<bool>* cancel) {
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
    if (cb.grid_samples > 0) t.grid_samples = cb.grid_samples;
    t.label = label;
    t.device = device;
    t.cuda_graph = o.cuda_graph;
    t.tensorboard = o.tensorboard;
    t.cancel = cancel;
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

  // One run with its --retry-double and failure isolation; `claim` is this worker's claim on it
  // (--claim) or null.
  bool interrupted = false;
  const auto attempt = [&](const models::RunSpec& run, models::RunClaim* claim) -> RunResult {
    const std::string label = fmt::format("[{} seed {}]", models::run_dir_name(run.models), run.seed_index);
    const std::string run_dir = (fs::path(o.out_dir) / run.dir).string();
    const auto train_once = [&](DType dtype) {
      return train(run, label, dtype, claim ? &claim->lost() : nullptr);
    };
    try {
      // A float64 retry that was interrupted continues as float64 (its float32 attempt is aside).
      const bool retrying = o.retry_double && e.dtype == DType::f32 && fs::exists(run_dir + "_failed_float32");
      models::RunOutcome outcome = train_once(retrying ? DType::f64 : e.dtype);
      if (outcome == models::RunOutcome::diverged && o.retry_double && e.dtype == DType::f32 && !retrying) {
        const std::string aside = run_dir + "_failed_float32";
        fs::remove_all(aside);
        fs::rename(run_dir, aside);
        if (claim) claim->renew();  // the claim went aside with the folder
        models::say(stdout, fmt::format("{} retrying in float64; the failed float32 run is kept in {}\n", label, aside));
        outcome = train_once(DType::f64);
      }
      if (claim && claim->lost()) {
        models::say(stderr, fmt::format("{} stepped aside: {} took the run over (this worker was presumed dead)\n", label,
                                        claim->lost_to()));
        return {run.dir, "taken over", ""};
      }
      if (outcome == models::RunOutcome::interrupted) {
        interrupted = true;
        return {run.dir, "interrupted", ""};
      }
      const bool bad = outcome == models::RunOutcome::diverged || outcome == models::RunOutcome::previously_failed;
      return {run.dir, models::outcome_name(outcome), bad ? models::run_failure_reason(run_dir) : ""};
    } catch (const models::RunFolderBusy& ex) {
      // Another process is training this run: report it, and leave its folder alone.
      models::say(stderr, fmt::format("{} skipped: {}\n", label, ex.what()));
      return {run.dir, "in use elsewhere", ex.what()};
    } catch (const std::exception& ex) {
      // One run's failure (a bad checkpoint, a device error, a full disk, …) is that run's: it is
      // marked failed and the grid goes on with the next one.
      models::say(stderr, fmt::format("{} failed: {}\n", label, ex.what()));
      models::mark_run_failed(run_dir, ex.what());
      return {run.dir, "failed", ex.what()};
    }
  };

  // This worker's share of the grid (--shard, or the job array's task).
  const models::GridShard shard = resolve_shard(o);
  std::vector<const models::RunSpec*> mine;
  for (size_t i = 0; i < runs.size(); ++i)
    if (shard.takes(i)) mine.push_back(&runs[i]);
  if (!shard.whole())
    models::say(stdout, fmt::format("shard {}/{} ({}): {} of the grid's {} run(s)\n", shard.index, shard.count,
                                    shard.source, mine.size(), runs.size()));
  if (o.claim)
    models::say(stdout, fmt::format("claiming runs in {} (claims go stale after {} s without a heartbeat)\n",
                                    o.out_dir, o.claim_timeout));

  std::vector<RunResult> results(mine.size());
  if (!o.claim) {
    for (size_t i = 0; i < mine.size(); ++i)
      results[i] = interrupted ? RunResult{mine[i]->dir, "not started", ""} : attempt(*mine[i], nullptr);
  } else {
    // Passes over the runs not yet done: each worker claims what nobody holds, and waits for the
    // runs other workers hold until they are done or their claims go stale (a dead worker's run
    // is then taken over and resumed from its checkpoint). No run is left behind while one
    // worker lives.
    const models::ClaimSettings settings{o.claim_timeout};
    std::vector<size_t> pending(mine.size());
    for (size_t i = 0; i < pending.size(); ++i) pending[i] = i;
    std::string last_wait;
    while (!pending.empty()) {
      std::vector<size_t> held;
      std::string example;
      for (const size_t i : pending) {
        const models::RunSpec& run = *mine[i];
        const std::string run_dir = (fs::path(o.out_dir) / run.dir).string();
        if (interrupted || stop_requested().load()) {
          interrupted = true;
          results[i] = {run.dir, "not started", ""};
          continue;
        }
        if (models::judge_run_completion(run_dir, e.epochs).complete) {
          results[i] = {run.dir, "already complete", ""};
          continue;
        }
        if (const std::string reason = models::run_failure_reason(run_dir); !reason.empty()) {
          results[i] = {run.dir, models::outcome_name(models::RunOutcome::previously_failed), reason};
          continue;
        }
        std::string holder;
        std::unique_ptr<models::RunClaim> claim = models::RunClaim::try_take(run_dir, settings, &holder);
        if (!claim) {
          held.push_back(i);
          if (example.empty()) example = fmt::format("{}: {}", run.dir, holder);
          continue;
        }
        models::say(stdout, fmt::format("[{} seed {}] {}\n", models::run_dir_name(run.models), run.seed_index,
                                        claim->how_taken()));
        results[i] = attempt(run, claim.get());
      }
      pending = std::move(held);
      if (pending.empty() || interrupted) break;
      const std::string wait = fmt::format("waiting for {} run(s) that other workers hold (e.g. {})", pending.size(), example);
      if (wait != last_wait) models::say(stdout, wait + "\n");
      last_wait = wait;
      const auto until = std::chrono::steady_clock::now() +
                         std::chrono::duration<double>(std::clamp(o.claim_timeout / 4, 0.2, 30.0));
      while (std::chrono::steady_clock::now() < until && !stop_requested().load())
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    for (const size_t i : pending) results[i] = {mine[i]->dir, "not started", ""};
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
