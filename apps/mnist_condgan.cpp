// ./mnist_condgan: the conditional MLP GAN of gan-protocol.md §1 with adaptive activations,
// over a grid of models × seeds, with resume, sample grids, metrics and checkpoints.
#include <omp.h>

#include <CLI/CLI.hpp>
#include <Eigen/Core>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "data/mnist.h"
#include "engine/autograd.h"
#include "engine/ops.h"
#include "models/experiment.h"
#include "models/mnist_classifier.h"
#include "models/mnist_condgan.h"
#include "models/mnist_data.h"
#include "models/trainer.h"

using namespace aafgan;
namespace fs = std::filesystem;

namespace {

// Streams of a run's seed (the trainer owns the noise, label and sample streams).
constexpr uint32_t kInitStream = 1, kDropoutStream = 4, kMetricStream = 6;

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

// Accuracy of the pre-trained classifier on generated digits, 1/10 of them per class, from
// the same noise every epoch so epochs compare like with like.
models::EpochMetric classifier_metric(std::shared_ptr<models::MnistClassifier> net, uint64_t seed, int count,
                                      DType dtype) {
  return {"classifier_accuracy", "pre_classifier_accuracies", [net, seed, count, dtype](models::GanModel& gan) {
            Generator gen(seed, kMetricStream);
            std::vector<int32_t> labels(static_cast<size_t>(count));
            for (int i = 0; i < count; ++i) labels[static_cast<size_t>(i)] = i % 10;
            autograd::NoGradGuard no_grad;
            const Tensor z = randn(Shape{count, gan.noise_size()}, gen, dtype);
            const Tensor images = gan.generate(z, models::one_hot(labels, 10, dtype)).to(net->dtype());
            return models::accuracy(*net, models::gan_to_classifier_input(images),
                                    std::vector<int>(labels.begin(), labels.end()));
          }};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Conditional MLP GAN on MNIST with adaptive activation functions (gan-protocol.md §1).\n"
               "A comma list in --gen/--dis/--gen-hidden/--dis-hidden runs a grid; rerunning a command resumes it."};
  app.option_defaults()->always_capture_default();
  std::string gen = "default", dis = "default", gen_hidden = "default", dis_hidden = "default";
  std::string config_path, experiment_key, data_dir, out_dir = ".", dtype_name_opt, device = "auto", classifier_path;
  int epochs = 0, batch_size = 0, seeds_n = 0, threads = 0, log_every = -1, freeze_epoch = -1, lr_decay_until = -1;
  int64_t max_images = 0;
  uint64_t seed = 0;
  double lr = 0, beta1 = 0, lr_decay = 0;
  bool no_resume = false, retry_double = false;
  const std::string outputs = "default,BHSA,BHAA,BHATA,BHANA,DSILU", hiddens = "default,SHReLU,Mish,MiDA";
  app.add_option("--gen", gen, "generator output activation(s): " + outputs);
  app.add_option("--dis", dis, "discriminator output activation(s): " + outputs);
  app.add_option("--gen-hidden", gen_hidden, "generator hidden activation(s): " + hiddens);
  app.add_option("--dis-hidden", dis_hidden, "discriminator hidden activation(s): " + hiddens);
  app.add_option("--config", config_path, "experiment file in the reference JSON format")->check(CLI::ExistingFile);
  app.add_option("--experiment", experiment_key, "key of the experiment in --config");
  app.add_option("--data", data_dir, "MNIST folder (train + t10k IDX files, plain or .gz); default: the bundled t10k");
  app.add_option("--out", out_dir, "folder that receives EXPERIMENT_DIR/output…/<seed index>/");
  app.add_option("--epochs", epochs, "epochs per run (default 100)")->check(CLI::Range(1, 1 << 30));
  app.add_option("--batch-size", batch_size, "batch size (default 100)")->check(CLI::Range(1, 1 << 30));
  app.add_option("--lr", lr, "Adam learning rate (default 0.001)")->check(CLI::Range(1e-12, 10.0));
  app.add_option("--beta1", beta1, "Adam beta1 (default 0.5)")->check(CLI::Range(0.0, 0.999999));
  app.add_option("--lr-decay", lr_decay, "learning-rate factor after each epoch (default 0.95)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--lr-decay-until", lr_decay_until, "decay after epochs 0 … N−1 only (default 31)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--freeze-epoch", freeze_epoch, "freeze activation parameters from the end of epoch E (1-based)")
      ->check(CLI::Range(1, 1 << 30));
  app.add_option("--seed", seed, "seed of the run (default: the reference seed list)");
  app.add_option("--seeds", seeds_n, "number of seeds per model combination (default 1)")->check(CLI::Range(1, 1 << 30));
  app.add_option("--dtype", dtype_name_opt, "float32 or float64 (default float32)")
      ->check(CLI::IsMember({"float32", "float64"}));
  app.add_option("--device", device, "auto, cpu or cuda")->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  app.add_option("--threads", threads, "CPU threads (default: all cores)")->check(CLI::Range(1, 1 << 30));
  app.add_option("--max-images", max_images, "train on the first N images (smoke runs)")->check(CLI::Range(1, 1 << 30));
  app.add_option("--log-every", log_every, "batches between progress lines (default 300)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--classifier", classifier_path, "weights from ./mnist_classifier: record its accuracy on "
                                                  "generated digits each epoch")->check(CLI::ExistingFile);
  app.add_flag("--no-resume", no_resume, "start runs from scratch even when a checkpoint exists");
  app.add_flag("--retry-double", retry_double, "rerun a diverged run in float64 (the failed one is kept aside)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  try {
    if (device == "cuda")
      fail("--device cuda: this build's engine trains on the CPU only so far (the CUDA tensor backend is not wired "
           "into the ops yet); use --device cpu");
    if (!experiment_key.empty() && config_path.empty()) fail("--experiment needs --config FILE");
    if (!config_path.empty() && experiment_key.empty()) fail("--config needs --experiment KEY");
    models::Experiment e = config_path.empty() ? models::mnist_defaults()
                                               : models::load_experiment(config_path, experiment_key,
                                                                         models::mnist_defaults());
    for (const std::string& w : e.warnings) fmt::print("note: {}\n", w);
    if (app.count("--gen") || config_path.empty()) e.gen_models = split_list(gen);
    if (app.count("--dis") || config_path.empty()) e.dis_models = split_list(dis);
    if (app.count("--gen-hidden") || config_path.empty()) e.gen_hidden_models = split_list(gen_hidden);
    if (app.count("--dis-hidden") || config_path.empty()) e.dis_hidden_models = split_list(dis_hidden);
    if (epochs) e.epochs = epochs;
    if (batch_size) e.batch_size = batch_size;
    if (app.count("--lr")) e.lr = lr;
    if (app.count("--beta1")) e.beta1 = beta1;
    if (app.count("--lr-decay")) e.lr_decay_rate = lr_decay;
    if (app.count("--lr-decay-until")) e.lr_decay_until = lr_decay_until;
    if (app.count("--freeze-epoch")) e.freeze_epoch = freeze_epoch;
    if (!dtype_name_opt.empty()) e.dtype = parse_dtype(dtype_name_opt);
    if (log_every >= 0) e.verbose_batch_step = log_every;
    if (app.count("--seed")) {
      e.seeds.clear();
      for (int i = 0; i < std::max(seeds_n, 1); ++i) e.seeds.push_back(seed + static_cast<uint64_t>(i));
      e.n_seeds = static_cast<int>(e.seeds.size());
    } else if (seeds_n) {
      AAFGAN_CHECK(seeds_n <= static_cast<int>(e.seeds.size()), "--seeds {}: the seed list has only {} seeds",
                   seeds_n, e.seeds.size());
      e.n_seeds = seeds_n;
    }
    if (threads) {
      omp_set_num_threads(threads);
      Eigen::setNbThreads(threads);
    }
    const std::vector<models::RunSpec> runs = models::expand_grid(e);

    const std::string dir = data::find_mnist_dir(data_dir);
    const bool has_train = data::has_mnist_split(dir, "train");
    if (!has_train)
      fmt::print("note: {} holds only the t10k split; training on its 10,000 test images (pass --data with the "
                 "full MNIST for the 60,000-image train split)\n", dir);
    models::MnistTrainingData data(data::load_mnist_split(dir, has_train ? "train" : "t10k"), max_images);
    fmt::print("data: {}; {} run(s), {} epoch(s) each, batch {}, {}\n", data.describe(), runs.size(), e.epochs,
               e.batch_size, dtype_name(e.dtype));

    std::shared_ptr<models::MnistClassifier> classifier;
    if (!classifier_path.empty())
      classifier = std::make_shared<models::MnistClassifier>(models::MnistClassifier::load(classifier_path));

    models::install_stop_signal_handlers();
    int failed = 0;
    for (const models::RunSpec& run : runs) {
      const std::string label = fmt::format("[{} seed {}]", models::run_dir_name(run.models), run.seed_index);
      DType dtype = e.dtype;
      for (int attempt = 0; attempt < 2; ++attempt) {
        models::MnistGanSpec spec;
        spec.gen = run.models.gen;
        spec.dis = run.models.dis;
        spec.gen_hidden = run.models.gen_hidden;
        spec.dis_hidden = run.models.dis_hidden;
        spec.gen_initializers = e.gen_initializers;
        spec.dis_initializers = e.dis_initializers;
        spec.leaky_slope = e.dis_hidden_slope;
        spec.noise_size = e.noise_size;
        Generator init(run.seed, kInitStream);
        auto dropout_gen = std::make_shared<Generator>(run.seed, kDropoutStream);
        models::MnistCondGan model(spec, init, dropout_gen, dtype);

        models::TrainOptions o;
        o.run_dir = (fs::path(out_dir) / run.dir).string();
        o.seed = run.seed;
        o.epochs = e.epochs;
        o.batch_size = e.batch_size;
        o.lr = e.lr;
        o.beta1 = e.beta1;
        o.beta2 = e.beta2;
        o.eps = e.eps;
        o.lr_decay_rate = e.lr_decay_rate;
        o.lr_decay_until = e.lr_decay_until < 0 ? e.epochs : e.lr_decay_until;
        o.freeze_epoch = e.freeze_epoch;
        o.log_every = e.verbose_batch_step;
        o.resume = !no_resume;
        o.grid_samples = e.samples_in_visualization;
        o.grid_rows = std::max(1, e.samples_in_visualization / 10);
        o.grid_cols = 10;
        o.label = label;
        if (classifier) o.metrics.push_back(classifier_metric(classifier, run.seed, e.generate_n, dtype));
        nlohmann::json cfg = e.raw.is_null() ? models::to_json(e) : e.raw;
        cfg["RUN"] = {{"gen", run.models.gen}, {"dis", run.models.dis}, {"gen_hidden", run.models.gen_hidden},
                      {"dis_hidden", run.models.dis_hidden}, {"seed", run.seed}, {"seed_index", run.seed_index},
                      {"dtype", dtype_name(dtype)}};
        o.config = cfg;
        if (no_resume && fs::exists(o.run_dir)) fs::remove_all(o.run_dir);

        models::AdversarialTrainer trainer(model, data, o, dtype, dropout_gen);
        const models::RunOutcome outcome = trainer.run();
        fmt::print("{} {} ({})\n", label, models::outcome_name(outcome), o.run_dir);
        if (outcome == models::RunOutcome::interrupted) return 0;
        if (outcome == models::RunOutcome::diverged && retry_double && dtype == DType::f32) {
          const std::string aside = o.run_dir + "_failed_float32";
          fs::remove_all(aside);
          fs::rename(o.run_dir, aside);
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
  } catch (const std::exception& ex) {
    fmt::print(stderr, "mnist_condgan: {}\n", ex.what());
    return 1;
  }
}
