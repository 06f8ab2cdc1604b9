#include "apps/common/gan_app.h"

#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "engine/device.h"
#include "engine/random_streams.h"

namespace aafgan::apps {

namespace fs = std::filesystem;

namespace {

// Streams of a run's seed (engine/random_streams.h).
constexpr uint32_t kInitStream = stream_id(RandomStream::gan_init),
                   kDropoutStream = stream_id(RandomStream::gan_dropout);

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

}  // namespace

void add_gan_options(CLI::App& app, GanAppOptions& o, const models::Experiment& d) {
  const std::string outputs = "default,BHSA,BHAA,BHATA,BHANA,DSILU", hiddens = "default,SHReLU,Mish,MiDA";
  app.add_option("--gen", o.gen, "generator output activation(s): " + outputs);
  app.add_option("--dis", o.dis, "discriminator output activation(s): " + outputs);
  app.add_option("--gen-hidden", o.gen_hidden, "generator hidden activation(s): " + hiddens);
  app.add_option("--dis-hidden", o.dis_hidden, "discriminator hidden activation(s): " + hiddens);
  app.add_option("--config", o.config_path, "experiment file in the reference JSON format")->check(CLI::ExistingFile);
  app.add_option("--experiment", o.experiment_key, "key of the experiment in --config");
  app.add_option("--out", o.out_dir, "folder that receives EXPERIMENT_DIR/output…/<seed index>/");
  app.add_option("--epochs", o.epochs, fmt::format("epochs per run (default {})", d.epochs))
      ->check(CLI::Range(1, 1 << 30));
  app.add_option("--batch-size", o.batch_size, fmt::format("batch size (default {})", d.batch_size))
      ->check(CLI::Range(1, 1 << 30));
  app.add_option("--lr", o.lr, fmt::format("Adam learning rate (default {})", d.lr))->check(CLI::Range(1e-12, 10.0));
  app.add_option("--beta1", o.beta1, fmt::format("Adam beta1 (default {})", d.beta1))
      ->check(CLI::Range(0.0, 0.999999));
  app.add_option("--lr-decay", o.lr_decay,
                 fmt::format("learning-rate factor after each epoch (default {})", d.lr_decay_rate))
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--lr-decay-until", o.lr_decay_until,
                 d.lr_decay_until < 0 ? std::string("decay after epochs 0 … N−1 only (default: every epoch)")
                                      : fmt::format("decay after epochs 0 … N−1 only (default {})", d.lr_decay_until))
      ->check(CLI::NonNegativeNumber);
  app.add_option("--freeze-epoch", o.freeze_epoch, "freeze activation parameters from the end of epoch E (1-based)")
      ->check(CLI::Range(1, 1 << 30));
  app.add_option("--seed", o.seed, "seed of the run (default: the reference seed list)");
  app.add_option("--seeds", o.seeds_n, "number of seeds per model combination (default 1)")
      ->check(CLI::Range(1, 1 << 30));
  app.add_option("--dtype", o.dtype, "float32 or float64 (default float32)")
      ->check(CLI::IsMember({"float32", "float64"}));
  app.add_option("--device", o.device, "auto (the GPU when one is usable), cpu, cuda or cuda:N");
  app.add_flag("--tf32", o.tf32, "allow TF32 tensor cores for float32 GEMMs and convolutions on the GPU");
  app.add_flag("--deterministic", o.deterministic,
               "only deterministic cuDNN convolution algorithms (bit-identical GPU reruns; may be slower)");
  app.add_option("--threads", o.threads, "CPU threads (default: all cores)")->check(CLI::Range(1, 1 << 30));
  app.add_option("--max-images", o.max_images, "train on the first N images (smoke runs)")
      ->check(CLI::Range(1, 1 << 30));
  app.add_option("--log-every", o.log_every,
                 fmt::format("batches between progress lines (default {})", d.verbose_batch_step))
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--no-resume", o.no_resume, "start runs from scratch even when a checkpoint exists");
  app.add_flag("--retry-double", o.retry_double, "rerun a diverged run in float64 (the failed one is kept aside)");
}

models::Experiment resolve_experiment(const CLI::App& app, const GanAppOptions& o, models::Experiment defaults) {
  if (!o.experiment_key.empty() && o.config_path.empty()) fail("--experiment needs --config FILE");
  if (!o.config_path.empty() && o.experiment_key.empty()) fail("--config needs --experiment KEY");
  models::Experiment e =
      o.config_path.empty() ? defaults : models::load_experiment(o.config_path, o.experiment_key, defaults);
  for (const std::string& w : e.warnings) fmt::print("note: {}\n", w);
  const bool cli_only = o.config_path.empty();
  if (app.count("--gen") || cli_only) e.gen_models = split_list(o.gen);
  if (app.count("--dis") || cli_only) e.dis_models = split_list(o.dis);
  if (app.count("--gen-hidden") || cli_only) e.gen_hidden_models = split_list(o.gen_hidden);
  if (app.count("--dis-hidden") || cli_only) e.dis_hidden_models = split_list(o.dis_hidden);
  if (o.epochs) e.epochs = o.epochs;
  if (o.batch_size) e.batch_size = o.batch_size;
  if (app.count("--lr")) e.lr = o.lr;
  if (app.count("--beta1")) e.beta1 = o.beta1;
  if (app.count("--lr-decay")) e.lr_decay_rate = o.lr_decay;
  if (app.count("--lr-decay-until")) e.lr_decay_until = o.lr_decay_until;
  if (app.count("--freeze-epoch")) e.freeze_epoch = o.freeze_epoch;
  if (!o.dtype.empty()) e.dtype = parse_dtype(o.dtype);
  if (o.log_every >= 0) e.verbose_batch_step = o.log_every;
  if (app.count("--seed")) {
    e.seeds.clear();
    for (int i = 0; i < std::max(o.seeds_n, 1); ++i) e.seeds.push_back(o.seed + static_cast<uint64_t>(i));
    e.n_seeds = static_cast<int>(e.seeds.size());
  } else if (o.seeds_n) {
    AAFGAN_CHECK(o.seeds_n <= static_cast<int>(e.seeds.size()), "--seeds {}: the seed list has only {} seeds",
                 o.seeds_n, e.seeds.size());
    e.n_seeds = o.seeds_n;
  }
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
    fmt::print("device: {} ({}{})\n", d.str(), aafgan::device_name(d), o.tf32 ? ", TF32 allowed" : "");
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

      models::TrainOptions t;
      t.run_dir = (fs::path(o.out_dir) / run.dir).string();
      t.seed = run.seed;
      t.epochs = e.epochs;
      t.batch_size = e.batch_size;
      t.lr = e.lr;
      t.beta1 = e.beta1;
      t.beta2 = e.beta2;
      t.eps = e.eps;
      t.lr_decay_rate = e.lr_decay_rate;
      t.lr_decay_until = e.lr_decay_until < 0 ? e.epochs : e.lr_decay_until;
      t.freeze_epoch = e.freeze_epoch;
      t.log_every = e.verbose_batch_step;
      t.resume = !o.no_resume;
      t.grid_samples = e.samples_in_visualization;
      t.grid_rows = cb.grid_rows;
      t.grid_cols = cb.grid_cols;
      t.grid_column_major = cb.grid_column_major;
      t.label = label;
      t.device = device;
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
