// ./mnist_condgan: the conditional MLP GAN of gan-protocol.md §1 with adaptive activations,
// over a grid of models × seeds, with resume, sample grids, metrics and checkpoints.
#include <CLI/CLI.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>

#include "apps/common/gan_main.h"
#include "data/mnist.h"
#include "base/error.h"
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
  app.add_option("--data", o.data_dir,
                 "MNIST-format folder (train + t10k IDX files, plain or .gz: MNIST, Fashion-MNIST, KMNIST, EMNIST; image "
                 "size and classes come from the files); default: the bundled MNIST t10k");
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
  // The data's image size and classes make the networks, so they are read (headers and labels
  // only) before the config, whose IMG_SIZE and CONDITIONAL_LABELS may only restate them.
  std::string dir;
  data::MnistFormat format;
  const auto defaults = [&] {
    dir = data::find_mnist_dir(o.data_dir);
    format = data::read_mnist_format(dir);
    if (format.height != format.width)
      fail("{}: the images are {}×{}; the conditional GAN takes square images (IMG_SIZE × IMG_SIZE)", dir,
           format.height, format.width);
    models::Experiment d = models::mnist_defaults();
    d.img_size = format.height;
    d.conditional_labels = format.classes;
    return d;
  };
  return apps::gan_main(app, argc, argv, "mnist_condgan", o, defaults, [&](const models::Experiment& e, Device device) {
    const bool has_train = format.training_split == "train";
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
    const models::ClassifierShape shape{format.height, format.width, format.classes};
    if (metrics.classifier && metrics.classifier->shape() != shape)
      fail("--classifier {}: it reads {}, but {} holds {}; train one for this data with ./mnist_classifier --data {}, "
           "or pass --classifier auto or none", classifier_path, metrics.classifier->shape().str(), dir, shape.str(),
           dir);

    apps::GridCallbacks cb;
    cb.make_model = [&e, &format](const models::RunSpec& run, DType dtype, Generator& init,
                         std::shared_ptr<Generator> dropout_gen) -> std::unique_ptr<models::GanModel> {
      models::MnistGanSpec spec;
      apps::set_run_models(spec, run, e);
      spec.leaky_slope = e.dis_hidden_slope;
      spec.noise_size = e.noise_size;
      spec.height = format.height;
      spec.width = format.width;
      spec.classes = format.classes;
      return std::make_unique<models::MnistCondGan>(spec, init, std::move(dropout_gen), dtype);
    };
    cb.metrics = [metrics](const models::RunSpec& run, DType dtype) { return metrics.for_run(run.seed, dtype); };
    // One column per class (the reference's ten), as many rows as SAMPLES_IN_VISUALIZATION needs:
    // full columns, so that every column holds one class (30 for MNIST, 52 for 26 classes).
    cb.grid_rows = std::max(1, (e.samples_in_visualization + format.classes - 1) / format.classes);
    cb.grid_cols = format.classes;
    cb.grid_samples = cb.grid_rows * cb.grid_cols;
    cb.grid_column_major = true;
    return apps::run_grid(e, o, data, cb, device);
  });
}
