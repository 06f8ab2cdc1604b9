// ./mnist_condgan: the conditional MLP GAN of gan-protocol.md §1 with adaptive activations,
// over a grid of models × seeds, with resume, sample grids, metrics and checkpoints.
#include <CLI/CLI.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>

#include "apps/common/gan_main.h"
#include "data/mnist.h"
#include "base/std_descriptors.h"
#include "metrics/classifier_cache.h"
#include "models/mnist_classifier.h"
#include "models/mnist_condgan.h"
#include "models/mnist_data.h"
#include "metrics/mnist_metrics.h"

using namespace aafgan;
namespace fs = std::filesystem;

int main(int argc, char** argv) {
  // First of all: a closed 0-2 would be taken by the next file opened (base/std_descriptors.h).
  if (!aafgan::std_descriptors_ready()) return 1;
  CLI::App app{"Conditional MLP GAN on MNIST with adaptive activation functions (gan-protocol.md §1).\n"
               "A comma list in --gen/--dis/--gen-hidden/--dis-hidden runs a grid; rerunning a command resumes it."};
  app.option_defaults()->always_capture_default();
  apps::GanAppOptions o;
  apps::add_gan_options(app, o, models::mnist_defaults());
  app.add_option("--data", o.data_dir, "MNIST folder (train + t10k IDX files, plain or .gz); default: the bundled t10k");
  std::string classifier_path = "auto";
  app.add_option("--classifier", classifier_path,
                 "the classifier whose accuracy on generated digits is recorded each epoch: auto (the reference "
                 "classifier, trained once for the data in use and kept in $AAFGAN_CACHE_DIR, else "
                 "~/.cache/aafgan), none, or weights from ./mnist_classifier")
      ->check([](const std::string& v) {
        return v == "auto" || v == "none" || fs::is_regular_file(v) ? std::string()
                                                                    : "expected auto, none or a file, got " + v;
      });
  bool parzen = false;
  app.add_flag("--parzen", parzen,
               "each epoch, the Parzen-window log-likelihood of held-out digits under GENERATE_N_IN_CSV generated "
               "ones (stats/parzen_log_likelihood.csv; the config's ENABLE_PARZEN_LL_METRIC turns it on too)");
  return apps::gan_main(app, argc, argv, "mnist_condgan", o, models::mnist_defaults(),
                        [&](const models::Experiment& e, Device device) {
    const std::string dir = data::find_mnist_dir(o.data_dir);
    const bool has_train = data::has_mnist_split(dir, "train");
    data::MnistSplit split = data::load_mnist_split(dir, has_train ? "train" : "t10k");
    if (!has_train)
      fmt::print("note: {} holds only the t10k split; training on its {} test images (pass --data with the "
                 "full MNIST for the 60,000-image train split)\n", dir, split.count);
    models::MnistMetrics metrics;
    metrics.samples = e.generate_n;
    if (parzen || e.parzen_enabled) {
      metrics.parzen = models::choose_parzen_reference(split, has_train, dir);
      fmt::print("{}\n", metrics.parzen->description);
    }
    const models::MnistTrainingData data(std::move(split), o.max_images);

    if (classifier_path == "auto")
      metrics.classifier = models::cached_mnist_classifier(dir, stdout);
    else if (classifier_path != "none")
      metrics.classifier = std::make_shared<models::MnistClassifier>(models::MnistClassifier::load(classifier_path));

    apps::GridCallbacks cb;
    cb.make_model = [&e](const models::RunSpec& run, DType dtype, Generator& init,
                         std::shared_ptr<Generator> dropout_gen) -> std::unique_ptr<models::GanModel> {
      models::MnistGanSpec spec;
      apps::set_run_models(spec, run, e);
      spec.leaky_slope = e.dis_hidden_slope;
      spec.noise_size = e.noise_size;
      return std::make_unique<models::MnistCondGan>(spec, init, std::move(dropout_gen), dtype);
    };
    cb.metrics = [metrics](const models::RunSpec& run, DType dtype) { return metrics.for_run(run.seed, dtype); };
    // Ten columns (one per class in the reference's layout); a last row may be partial.
    cb.grid_rows = std::max(1, (e.samples_in_visualization + 9) / 10);
    cb.grid_cols = 10;
    cb.grid_column_major = true;
    return apps::run_grid(e, o, data, cb, device);
  });
}
