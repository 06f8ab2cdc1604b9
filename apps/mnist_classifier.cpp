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
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <limits>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "data/mnist.h"
#include "engine/autograd.h"
#include "engine/error.h"
#include "engine/optim/adadelta.h"
#include "engine/optim/scheduler.h"
#include "engine/random_streams.h"
#include "models/mnist_classifier.h"

using namespace aafgan;
namespace fs = std::filesystem;

namespace {

struct Options {
  std::string data;
  int epochs = 14;
  int batch_size = 64;
  int test_batch_size = 1000;
  double lr = 1.0;
  double gamma = 0.7;
  uint64_t seed = 1;
  int threads = 2;
  std::string out = "mnist_classifier.ckpt";
  int64_t max_images = 0;
  std::string dtype = "float32";
  int log_interval = 10;
};

// Training images and the held-out ones, both as raw pixels plus labels.
struct Dataset {
  std::string dir, description;
  std::vector<uint8_t> train_pixels, eval_pixels;
  std::vector<int> train_labels, eval_labels;
  int64_t train_count = 0, eval_count = 0;
};

void append(const data::MnistSplit& s, int64_t first, int64_t count, std::vector<uint8_t>& pixels,
            std::vector<int>& labels) {
  pixels.insert(pixels.end(), s.images.begin() + first * data::kMnistPixels,
                s.images.begin() + (first + count) * data::kMnistPixels);
  for (int64_t i = first; i < first + count; ++i) labels.push_back(s.labels[static_cast<size_t>(i)]);
}

Dataset load_data(const Options& o) {
  Dataset d;
  d.dir = data::find_mnist_dir(o.data);
  const bool has_train = data::has_mnist_split(d.dir, "train");
  const bool has_test = data::has_mnist_split(d.dir, "t10k");
  if (has_train && has_test) {
    const data::MnistSplit train = data::load_mnist_split(d.dir, "train");
    const data::MnistSplit test = data::load_mnist_split(d.dir, "t10k");
    d.train_count = o.max_images > 0 ? std::min(o.max_images, train.count) : train.count;
    append(train, 0, d.train_count, d.train_pixels, d.train_labels);
    d.eval_count = test.count;
    append(test, 0, test.count, d.eval_pixels, d.eval_labels);
    d.description = fmt::format("train split ({} of {} images), evaluated on the t10k split ({} images)",
                                d.train_count, train.count, d.eval_count);
  } else {
    const std::string split = has_test ? "t10k" : "train";
    const data::MnistSplit s = data::load_mnist_split(d.dir, split);
    // The last fifth is never trained on: 2000 of the bundled 10k.
    d.eval_count = s.count / 5;
    const int64_t available = s.count - d.eval_count;
    AAFGAN_CHECK(d.eval_count > 0 && available > 0, "{}: only {} images in the {} split, too few to hold any out",
                 d.dir, s.count, split);
    d.train_count = o.max_images > 0 ? std::min(o.max_images, available) : available;
    append(s, 0, d.train_count, d.train_pixels, d.train_labels);
    append(s, available, d.eval_count, d.eval_pixels, d.eval_labels);
    d.description = fmt::format(
        "only the {} split ({} images) is there: training on images 0–{}, holding out the last {} ({}–{}) "
        "for evaluation",
        split, s.count, d.train_count - 1, d.eval_count, available, s.count - 1);
  }
  return d;
}

// The batch of training images perm[start, start + b) and their labels.
void gather(const Dataset& d, const std::vector<int64_t>& perm, int64_t start, int64_t b, DType dtype,
            Tensor& images, Tensor& labels) {
  std::vector<uint8_t> pixels(static_cast<size_t>(b * data::kMnistPixels));
  std::vector<double> lab(static_cast<size_t>(b));
  for (int64_t i = 0; i < b; ++i) {
    const int64_t src = perm[static_cast<size_t>(start + i)];
    std::copy_n(d.train_pixels.begin() + src * data::kMnistPixels, data::kMnistPixels,
                pixels.begin() + i * data::kMnistPixels);
    lab[static_cast<size_t>(i)] = d.train_labels[static_cast<size_t>(src)];
  }
  images = models::mnist_pixels_to_input(pixels, 0, b, dtype);
  labels = Tensor::from_vector(Shape{b}, lab, dtype);
}

int run(const Options& o) {
  const DType dtype = parse_dtype(o.dtype);
  omp_set_num_threads(o.threads);
  // Fail before a long training, not after it.
  const fs::path out_parent = fs::absolute(o.out).parent_path();
  AAFGAN_CHECK(fs::is_directory(out_parent), "--out {}: folder {} does not exist", o.out, out_parent.string());
  AAFGAN_CHECK(!fs::is_directory(o.out), "--out {}: is a folder, expected a file path", o.out);

  const Dataset d = load_data(o);
  fmt::print("data: {}\n      {}\n", d.dir, d.description);
  fmt::print("model: reference CNN, {}, Adadelta lr {} with StepLR γ {}, batch {}, {} epochs, {} threads, seed {}\n",
             o.dtype, o.lr, o.gamma, o.batch_size, o.epochs, o.threads, o.seed);
  std::fflush(stdout);

  // Separate streams, so changing e.g. the batch order does not change the initial weights.
  Generator init(o.seed, stream_id(RandomStream::classifier_init));
  auto dropout_gen = std::make_shared<Generator>(o.seed, stream_id(RandomStream::classifier_dropout));
  Generator order(o.seed, stream_id(RandomStream::classifier_batch_order));
  models::MnistClassifier net(init, dropout_gen, dtype);
  optim::AdadeltaOptions aopt;
  aopt.lr = o.lr;
  optim::Adadelta opt(net.parameters(), aopt);
  optim::StepLR sched(opt, 1, o.gamma);

  const Tensor eval_images = models::mnist_pixels_to_input(d.eval_pixels, 0, d.eval_count, dtype);
  const bool live = ::isatty(STDOUT_FILENO) != 0 && o.log_interval > 0;
  const int64_t batches = (d.train_count + o.batch_size - 1) / o.batch_size;
  std::vector<int64_t> perm(static_cast<size_t>(d.train_count));
  nlohmann::json history = nlohmann::json::array();
  double accuracy = 0;
  using clock = std::chrono::steady_clock;
  const auto run_start = clock::now();

  for (int epoch = 1; epoch <= o.epochs; ++epoch) {
    const auto t0 = clock::now();
    const double lr = opt.lr();
    std::iota(perm.begin(), perm.end(), int64_t{0});
    for (int64_t i = d.train_count - 1; i > 0; --i)
      std::swap(perm[static_cast<size_t>(i)], perm[order.next_below(static_cast<uint64_t>(i + 1))]);
    net.train();
    double loss_sum = 0;
    for (int64_t bi = 0; bi < batches; ++bi) {
      const int64_t start = bi * o.batch_size;
      // The last batch may be short, as PyTorch's DataLoader without drop_last.
      const int64_t b = std::min<int64_t>(o.batch_size, d.train_count - start);
      Tensor x, y;
      gather(d, perm, start, b, dtype, x, y);
      opt.zero_grad();
      const Tensor loss = nll_loss(net(x), y);
      autograd::backward(loss);
      opt.step();
      const double l = loss.item();
      AAFGAN_CHECK(std::isfinite(l), "epoch {} batch {}: the loss is {}; try a smaller --lr", epoch, bi + 1, l);
      loss_sum += l * static_cast<double>(b);
      if (live && ((bi + 1) % o.log_interval == 0 || bi + 1 == batches)) {
        const double s = std::chrono::duration<double>(clock::now() - t0).count();
        fmt::print("\repoch {}/{}  batch {}/{}  loss {:.4f}  {:.1f} batches/s   ", epoch, o.epochs, bi + 1, batches, l,
                   static_cast<double>(bi + 1) / s);
        std::fflush(stdout);
      }
    }
    sched.step();
    const double train_s = std::chrono::duration<double>(clock::now() - t0).count();
    accuracy = models::accuracy(net, eval_images, d.eval_labels, o.test_batch_size);
    const double epoch_s = std::chrono::duration<double>(clock::now() - t0).count();
    const double mean_loss = loss_sum / static_cast<double>(d.train_count);
    if (live) fmt::print("\r{:78}\r", "");
    fmt::print("epoch {:2d}/{}  lr {:.4g}  train loss {:.4f}  held-out accuracy {:.2f}% ({}/{})  {:.1f} s ({:.1f} s training)\n",
               epoch, o.epochs, lr, mean_loss, 100 * accuracy,
               static_cast<int64_t>(std::lround(accuracy * static_cast<double>(d.eval_count))), d.eval_count, epoch_s,
               train_s);
    std::fflush(stdout);
    history.push_back({{"epoch", epoch}, {"lr", lr}, {"train_loss", mean_loss}, {"held_out_accuracy", accuracy},
                       {"seconds", epoch_s}});

    // Every epoch, so a run stopped early still leaves a usable classifier.
    nlohmann::json meta = {{"epochs", epoch},
                           {"epochs_requested", o.epochs},
                           {"held_out_accuracy", accuracy},
                           {"held_out_images", d.eval_count},
                           {"train_images", d.train_count},
                           {"data_source", fs::absolute(d.dir).lexically_normal().string()},
                           {"data_split", d.description},
                           {"batch_size", o.batch_size},
                           {"lr", o.lr},
                           {"gamma", o.gamma},
                           {"seed", o.seed},
                           {"history", history}};
    net.save(o.out, meta);
  }
  const double total = std::chrono::duration<double>(clock::now() - run_start).count();
  fmt::print("held-out accuracy {:.2f}% after {} epochs ({:.0f} s); weights saved to {}\n", 100 * accuracy, o.epochs,
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
  CLI::App app{
      "Trains the reference MNIST CNN (PyTorch's examples/mnist: two 3x3 convolutions, max-pool, dropout, two "
      "linear layers; Adadelta with StepLR) and saves its weights for `mnist_condgan --classifier`.\n"
      "Data: by default the bundled data/mnist of the repository (found as <executable>/../data/mnist, then "
      "./data/mnist). With train + t10k files it trains on train and reports accuracy on t10k; with one split "
      "only (the bundled t10k) it trains on the first 80% and reports accuracy on the held-out last 20%.",
      "mnist_classifier"};
  Options o;
  app.add_option("--data", o.data, "MNIST folder (IDX files, plain or .gz); default: the bundled data/mnist");
  app.add_option("--epochs", o.epochs, "training epochs")->capture_default_str()->check(CLI::Range(1, 1000000));
  app.add_option("--batch-size", o.batch_size, "training batch size")->capture_default_str()->check(CLI::Range(1, 1 << 20));
  app.add_option("--test-batch-size", o.test_batch_size, "evaluation batch size")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--lr", o.lr, "Adadelta learning rate")->capture_default_str()->check(in_half_open(0, 100, "in (0, 100]"));
  app.add_option("--gamma", o.gamma, "learning-rate decay per epoch (StepLR, step 1)")
      ->capture_default_str()
      ->check(in_half_open(0, 1, "in (0, 1]"));
  app.add_option("--seed", o.seed, "seed of the initial weights, dropout masks and batch order")->capture_default_str();
  app.add_option("--threads", o.threads, "CPU threads")->capture_default_str()->check(CLI::Range(1, 1024));
  app.add_option("--out", o.out, "where to write the weights (atomically, after every epoch)")->capture_default_str();
  app.add_option("--max-images", o.max_images, "train on the first N training images only (smoke runs); 0 = all")
      ->capture_default_str()
      ->check(CLI::Range(0, 1 << 30));
  app.add_option("--dtype", o.dtype, "float32 or float64")->capture_default_str()->check(CLI::IsMember({"float32", "float64"}));
  app.add_option("--log-interval", o.log_interval, "batches between live progress updates on a terminal; 0 = off")
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
