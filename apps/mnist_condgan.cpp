// ./mnist_condgan: the conditional MLP GAN of gan-protocol.md §1 with adaptive activations,
// over a grid of models × seeds, with resume, sample grids, metrics and checkpoints.
#include <CLI/CLI.hpp>

#include <fmt/format.h>

#include "apps/common/gan_app.h"
#include "data/mnist.h"
#include "engine/autograd.h"
#include "engine/ops.h"
#include "models/fid/gan_metrics.h"
#include "models/mnist_classifier.h"
#include "models/mnist_condgan.h"
#include "models/mnist_data.h"

using namespace aafgan;

namespace {

// The metric's own stream of a run's seed (apps/common/gan_app.cpp and the trainer own 1–5).
constexpr uint32_t kMetricStream = 6;

// Accuracy of the pre-trained classifier on generated digits, 1/10 of them per class, from
// the same noise every epoch so epochs compare like with like.
models::EpochMetric classifier_metric(std::shared_ptr<models::MnistClassifier> net, uint64_t seed, int count,
                                      DType dtype) {
  return {"classifier_accuracy", "pre_classifier_accuracies", [net, seed, count, dtype](models::GanModel& gan) {
            Generator gen(seed, kMetricStream);
            std::vector<int32_t> labels(static_cast<size_t>(count));
            for (int i = 0; i < count; ++i) labels[static_cast<size_t>(i)] = i % 10;
            autograd::NoGradGuard no_grad;
            const Tensor z = randn(Shape{count, gan.noise_size()}, gen, dtype, gan.device());
            const Tensor onehot = models::one_hot(labels, 10, dtype).to(gan.device());
            const Tensor images = gan.generate(z, onehot).to(Device::cpu()).to(net->dtype());
            return models::accuracy(*net, models::gan_to_classifier_input(images),
                                    std::vector<int>(labels.begin(), labels.end()));
          }};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Conditional MLP GAN on MNIST with adaptive activation functions (gan-protocol.md §1).\n"
               "A comma list in --gen/--dis/--gen-hidden/--dis-hidden runs a grid; rerunning a command resumes it."};
  app.option_defaults()->always_capture_default();
  apps::GanAppOptions o;
  std::string classifier_path;
  apps::add_gan_options(app, o, models::mnist_defaults());
  app.add_option("--data", o.data_dir, "MNIST folder (train + t10k IDX files, plain or .gz); default: the bundled t10k");
  app.add_option("--classifier", classifier_path, "weights from ./mnist_classifier: record its accuracy on "
                                                  "generated digits each epoch")->check(CLI::ExistingFile);
  bool parzen = false;
  app.add_flag("--parzen", parzen,
               "each epoch, the Parzen-window log-likelihood of held-out digits under GENERATE_N_IN_CSV generated "
               "ones (stats/parzen_log_likelihood.csv; the config's ENABLE_PARZEN_LL_METRIC turns it on too)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  try {
    const Device device = apps::resolve_device(o);
    const models::Experiment e = apps::resolve_experiment(app, o, models::mnist_defaults());
    models::expand_grid(e);  // bad model names or seeds fail before the data is read

    const std::string dir = data::find_mnist_dir(o.data_dir);
    const bool has_train = data::has_mnist_split(dir, "train");
    if (!has_train)
      fmt::print("note: {} holds only the t10k split; training on its 10,000 test images (pass --data with the "
                 "full MNIST for the 60,000-image train split)\n", dir);
    data::MnistSplit split = data::load_mnist_split(dir, has_train ? "train" : "t10k");
    std::shared_ptr<const models::fid::FeatureMatrix> parzen_valid, parzen_test;
    if (parzen || e.parzen_enabled) {
      // parzen_ll.py chose σ on 1,000 digits of MNIST's validation rows (train[50000:60000]) and
      // evaluated the 10,000 test digits.
      const int64_t start = split.count - std::min<int64_t>(10000, split.count / 6);
      const int64_t valid_n = std::min<int64_t>(1000, split.count - start);
      if (has_train) {
        parzen_valid = std::make_shared<const models::fid::FeatureMatrix>(models::fid::mnist_rows(split, start, valid_n));
        if (data::has_mnist_split(dir, "t10k")) {
          const data::MnistSplit test = data::load_mnist_split(dir, "t10k");
          parzen_test = std::make_shared<const models::fid::FeatureMatrix>(models::fid::mnist_rows(test, 0, test.count));
          fmt::print("Parzen: σ chosen on train[{}:{}], evaluated on the {} t10k digits\n", start, start + valid_n,
                     test.count);
        } else {
          const int64_t first = start + valid_n;
          parzen_test = std::make_shared<const models::fid::FeatureMatrix>(
              models::fid::mnist_rows(split, first, split.count - first));
          fmt::print("Parzen: no t10k split; σ chosen on train[{}:{}], evaluated on train[{}:{}]\n", start,
                     start + valid_n, first, split.count);
        }
      } else {
        // Only t10k: two fixed slices of it, which the GAN also trains on unless --max-images keeps them out.
        const int64_t v0 = split.count * 8 / 10, t0 = split.count * 9 / 10;
        parzen_valid = std::make_shared<const models::fid::FeatureMatrix>(models::fid::mnist_rows(split, v0, t0 - v0));
        parzen_test = std::make_shared<const models::fid::FeatureMatrix>(
            models::fid::mnist_rows(split, t0, split.count - t0));
        fmt::print("note: Parzen: only t10k is available; σ is chosen on t10k[{}:{}] and the score is of t10k[{}:{}], "
                   "digits the GAN also trains on unless --max-images is at most {}\n",
                   v0, t0, t0, split.count, v0);
      }
    }
    const models::MnistTrainingData data(std::move(split), o.max_images);

    std::shared_ptr<models::MnistClassifier> classifier;
    if (!classifier_path.empty())
      classifier = std::make_shared<models::MnistClassifier>(models::MnistClassifier::load(classifier_path));

    apps::GridCallbacks cb;
    cb.make_model = [&e](const models::RunSpec& run, DType dtype, Generator& init,
                         std::shared_ptr<Generator> dropout_gen) -> std::unique_ptr<models::GanModel> {
      models::MnistGanSpec spec;
      spec.gen = run.models.gen;
      spec.dis = run.models.dis;
      spec.gen_hidden = run.models.gen_hidden;
      spec.dis_hidden = run.models.dis_hidden;
      spec.gen_initializers = e.gen_initializers;
      spec.dis_initializers = e.dis_initializers;
      spec.leaky_slope = e.dis_hidden_slope;
      spec.noise_size = e.noise_size;
      return std::make_unique<models::MnistCondGan>(spec, init, std::move(dropout_gen), dtype);
    };
    cb.metrics = [&](const models::RunSpec& run, DType dtype) {
      std::vector<models::EpochMetric> m;
      if (classifier) m.push_back(classifier_metric(classifier, run.seed, e.generate_n, dtype));
      if (parzen_valid) {
        models::fid::ParzenMetricOptions po;
        po.samples = e.generate_n;
        for (auto& metric : models::fid::parzen_metrics(parzen_valid, parzen_test, po, run.seed, dtype))
          m.push_back(std::move(metric));
      }
      return m;
    };
    cb.grid_rows = std::max(1, e.samples_in_visualization / 10);
    cb.grid_cols = 10;
    cb.grid_column_major = true;
    return apps::run_grid(e, o, data, cb, device);
  } catch (const std::exception& ex) {
    fmt::print(stderr, "mnist_condgan: {}\n", ex.what());
    return 1;
  }
}
