// ./mnist_classifier: trains the reference MNIST CNN (PyTorch's examples/mnist net and recipe:
// Adadelta lr 1.0, StepLR γ 0.7 per epoch, batch 64, 14 epochs) on this engine and saves its
// weights; `mnist_condgan --classifier PATH` then scores generated digits with it.
//
// Data: --data DIR, or by default the bundled data/mnist of the repository, looked for at
// <executable's folder>/../data/mnist (build/mnist_classifier → data/mnist) and then at
// ./data/mnist. With train + t10k in the folder it trains on train and evaluates on t10k;
// with a single split (the bundled t10k) it trains on the first 80% and evaluates on the last
// 20% (8000 / 2000 images), so the reported accuracy is always on images it never saw.
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "data/mnist.h"
#include "engine/dtype.h"
#include "base/error.h"
#include "base/std_descriptors.h"
#include "metrics/mnist_classifier_training.h"

using namespace aafgan;
namespace fs = std::filesystem;

namespace {

// The recipe's defaults are PyTorch's example's (metrics/mnist_classifier_training.h).
struct Options {
  std::string data;
  models::ClassifierRecipe r;
  int threads = 2;
  std::string out = "mnist_classifier.ckpt";
  int64_t max_images = 0;
  std::string dtype = "float32";
};

int run(const Options& o) {
  const DType dtype = parse_dtype(o.dtype);
  omp_set_num_threads(o.threads);
  // Fail before a long training, not after it.
  const fs::path out_parent = fs::absolute(o.out).parent_path();
  AAFGAN_CHECK(fs::is_directory(out_parent), "--out {}: folder {} does not exist", o.out, out_parent.string());
  AAFGAN_CHECK(!fs::is_directory(o.out), "--out {}: is a folder, expected a file path", o.out);

  const models::ClassifierData d = models::load_classifier_data(data::find_mnist_dir(o.data), o.max_images);
  fmt::print("data: {} ({})\n      {}\n", d.dir, d.shape.str(), d.description);
  fmt::print("model: reference CNN, {}, Adadelta lr {} with StepLR γ {}, batch {}, {} epochs, {} threads, seed {}\n",
             o.dtype, o.r.lr, o.r.gamma, o.r.batch_size, o.r.epochs, o.threads, o.r.seed);
  std::fflush(stdout);
  models::ClassifierRecipe r = o.r;
  r.dtype = dtype;
  const auto start = std::chrono::steady_clock::now();
  double accuracy = 0;
  models::train_mnist_classifier(d, r, o.out, stdout, &accuracy);
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print("held-out accuracy {:.2f}% after {} epochs ({:.0f} s); weights saved to {}\n", 100 * accuracy, o.r.epochs,
             total, o.out);
  return 0;
}

// A real number in (low, high]: CLI11's Range prints its bounds as "%f", which for an open
// upper end is a 300-digit number.
CLI::Validator in_half_open(double low, double high, const std::string& what) {
  return CLI::Validator(
      [=](std::string& in) -> std::string {
        double v = 0;
        if (!CLI::detail::lexical_cast(in, v)) return "expected a number, got " + in;
        if (!(v > low && v <= high)) return "must be " + what + ", got " + in;
        return {};
      },
      what);
}

}  // namespace

int main(int argc, char** argv) {
  // First of all: a closed 0-2 would be taken by the next file opened (base/std_descriptors.h).
  if (!aafgan::std_descriptors_ready()) return 1;
  CLI::App app{
      "Trains the reference MNIST CNN (PyTorch's examples/mnist: two 3x3 convolutions, max-pool, dropout, two "
      "linear layers; Adadelta with StepLR) and saves its weights for `mnist_condgan --classifier`.\n"
      "Data: by default the bundled data/mnist of the repository (found as <executable>/../data/mnist, then "
      "./data/mnist). With train + t10k files it trains on train and reports accuracy on t10k; with one split "
      "only (the bundled t10k) it trains on the first 80% and reports accuracy on the held-out last 20%.",
      "mnist_classifier"};
  Options o;
  app.add_option("--data", o.data, "MNIST folder (IDX files, plain or .gz); default: the bundled data/mnist");
  app.add_option("--epochs", o.r.epochs, "training epochs")->capture_default_str()->check(CLI::Range(1, 1000000));
  app.add_option("--batch-size", o.r.batch_size, "training batch size")->capture_default_str()->check(CLI::Range(1, 1 << 20));
  app.add_option("--test-batch-size", o.r.test_batch_size, "evaluation batch size")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--lr", o.r.lr, "Adadelta learning rate")->capture_default_str()->check(in_half_open(0, 100, "in (0, 100]"));
  app.add_option("--gamma", o.r.gamma, "learning-rate decay per epoch (StepLR, step 1)")
      ->capture_default_str()
      ->check(in_half_open(0, 1, "in (0, 1]"));
  app.add_option("--seed", o.r.seed, "seed of the initial weights, dropout masks and batch order")->capture_default_str();
  app.add_option("--threads", o.threads, "CPU threads")->capture_default_str()->check(CLI::Range(1, 1024));
  app.add_option("--out", o.out, "where to write the weights (atomically, after every epoch)")->capture_default_str();
  app.add_option("--max-images", o.max_images, "train on the first N training images only (smoke runs); 0 = all")
      ->capture_default_str()
      ->check(CLI::Range(0, 1 << 30));
  app.add_option("--dtype", o.dtype, "float32 or float64")->capture_default_str()->check(CLI::IsMember({"float32", "float64"}));
  app.add_option("--log-interval", o.r.log_interval, "batches between live progress updates on a terminal; 0 = off")
      ->capture_default_str()
      ->check(CLI::Range(0, 1 << 30));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    return run(o);
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "mnist_classifier: %s\n", e.what());
    return 1;
  }
}
