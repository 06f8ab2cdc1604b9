#include "apps/common/gan_app.h"

#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "apps/common/experiment_flags.h"
#include "engine/device.h"
#include "engine/random_streams.h"

namespace aafgan::apps {

namespace fs = std::filesystem;

namespace {

// Streams of a run's seed (engine/random_streams.h).
constexpr uint32_t kInitStream = stream_id(RandomStream::gan_init),
                   kDropoutStream = stream_id(RandomStream::gan_dropout);

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
  app.add_option("--threads", o.threads, "CPU threads (default: all cores)")->check(CLI::Range(1, 1 << 30));
  app.add_option("--max-images", o.max_images, "train on the first N images (smoke runs)")
      ->check(CLI::Range(1, 1 << 30));
  app.add_flag("--no-resume", o.no_resume, "start runs from scratch even when a checkpoint exists");
  app.add_flag("--retry-double", o.retry_double, "rerun a diverged run in float64 (the failed one is kept aside)");
}

models::Experiment resolve_experiment(const CLI::App& app, const GanAppOptions& o, models::Experiment defaults) {
  if (!o.experiment_key.empty() && o.config_path.empty()) fail("--experiment needs --config FILE");
  if (!o.config_path.empty() && o.experiment_key.empty()) fail("--config needs --experiment KEY");
  models::Experiment e =
      o.config_path.empty() ? defaults : models::load_experiment(o.config_path, o.experiment_key, defaults);
  for (const std::string& w : e.warnings) fmt::print("note: {}\n", w);
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
    fmt::print("device: {} ({}{}{})\n", d.str(), aafgan::device_name(d), o.tf32 ? ", TF32 allowed" : "",
               o.cuda_graph ? ", CUDA graphs" : "");
  } else if (o.device == "auto") {
    fmt::print("device: cpu ({})\n", cuda_unavailable_reason());
  }
  return d;
}

int run_grid(const models::Experiment& e, const GanAppOptions& o, const models::TrainingData& data,
             const GridCallbacks& cb, Device device) {
  const std::vector<models::RunSpec> runs = models::expand_grid(e);
  fmt::print("data: {}; {} run(s), {} epoch(s) each, batch {}, {}\n", data.describe(), runs.size(), e.epochs,
             e.batch_size, dtype_name(e.dtype));
  models::install_stop_signal_handlers();
  int failed = 0;
  for (const models::RunSpec& run : runs) {
    const std::string label = fmt::format("[{} seed {}]", models::run_dir_name(run.models), run.seed_index);
    DType dtype = e.dtype;
    for (int attempt = 0; attempt < 2; ++attempt) {
      Generator init(run.seed, kInitStream);
      auto dropout_gen = std::make_shared<Generator>(run.seed, kDropoutStream);
      std::unique_ptr<models::GanModel> model = cb.make_model(run, dtype, init, dropout_gen);

      models::TrainOptions t = models::train_options(e);
      t.run_dir = (fs::path(o.out_dir) / run.dir).string();
      t.seed = run.seed;
      t.resume = !o.no_resume;
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
      if (o.no_resume && fs::exists(t.run_dir)) fs::remove_all(t.run_dir);

      models::AdversarialTrainer trainer(*model, data, t, dtype, dropout_gen);
      const models::RunOutcome outcome = trainer.run();
      fmt::print("{} {} ({})\n", label, models::outcome_name(outcome), t.run_dir);
      if (outcome == models::RunOutcome::interrupted) return 0;
      if (outcome == models::RunOutcome::diverged && o.retry_double && dtype == DType::f32) {
        const std::string aside = t.run_dir + "_failed_float32";
        fs::remove_all(aside);
        fs::rename(t.run_dir, aside);
        fmt::print("{} retrying in float64; the failed float32 run is kept in {}\n", label, aside);
        dtype = DType::f64;
        continue;
      }
      failed += outcome == models::RunOutcome::diverged || outcome == models::RunOutcome::previously_failed;
      break;
    }
  }
  if (failed) fmt::print("{} run(s) failed (see error.txt in their folders)\n", failed);
  return failed ? 3 : 0;
}

}  // namespace aafgan::apps
