#include "metrics/mnist_classifier_training.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
#include <numeric>

#include <fmt/format.h>

#include "data/mnist.h"
#include "engine/autograd.h"
#include "base/error.h"
#include "engine/optim/adadelta.h"
#include "engine/optim/scheduler.h"
#include "base/random_streams.h"
#include "training/console.h"

namespace aafgan::models {

namespace fs = std::filesystem;

namespace {

void append(const data::MnistSplit& s, int64_t first, int64_t count, std::vector<uint8_t>& pixels,
            std::vector<int>& labels) {
  pixels.insert(pixels.end(), s.images.begin() + first * s.pixels(), s.images.begin() + (first + count) * s.pixels());
  for (int64_t i = first; i < first + count; ++i) labels.push_back(s.labels[static_cast<size_t>(i)]);
}

// The batch of training images perm[start, start + b) and their labels.
void gather(const ClassifierData& d, const std::vector<int64_t>& perm, int64_t start, int64_t b, DType dtype,
            Tensor& images, Tensor& labels) {
  const int64_t image_pixels = d.shape.pixels();
  std::vector<uint8_t> pixels(static_cast<size_t>(b * image_pixels));
  std::vector<double> lab(static_cast<size_t>(b));
  for (int64_t i = 0; i < b; ++i) {
    const int64_t src = perm[static_cast<size_t>(start + i)];
    std::copy_n(d.train_pixels.begin() + src * image_pixels, image_pixels, pixels.begin() + i * image_pixels);
    lab[static_cast<size_t>(i)] = d.train_labels[static_cast<size_t>(src)];
  }
  images = mnist_pixels_to_input(pixels, 0, b, dtype, d.shape);
  labels = Tensor::from_vector(Shape{b}, lab, dtype);
}

}  // namespace

std::string ClassifierData::fingerprint() const {
  uint64_t h = 1469598103934665603ull;
  const auto mix = [&h](const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
  };
  const int64_t counts[2] = {train_count, eval_count};
  mix(counts, sizeof counts);
  // Two sets of the same bytes can still differ in shape (28×28 or 14×56) or in classes.
  const int32_t dims[3] = {shape.height, shape.width, shape.classes};
  mix(dims, sizeof dims);
  mix(train_pixels.data(), train_pixels.size());
  mix(train_labels.data(), train_labels.size() * sizeof(int));
  mix(eval_pixels.data(), eval_pixels.size());
  mix(eval_labels.data(), eval_labels.size() * sizeof(int));
  return fmt::format("{:016x}", h);
}

ClassifierData load_classifier_data(const std::string& dir, int64_t max_images) {
  ClassifierData d;
  d.dir = dir;
  const data::MnistFormat format = data::read_mnist_format(dir);
  d.shape = {format.height, format.width, format.classes};
  const bool has_train = data::has_mnist_split(d.dir, "train");
  const bool has_test = data::has_mnist_split(d.dir, "t10k");
  if (has_train && has_test) {
    const data::MnistSplit train = data::load_mnist_split(d.dir, "train");
    const data::MnistSplit test = data::load_mnist_split(d.dir, "t10k");
    d.train_count = max_images > 0 ? std::min(max_images, train.count) : train.count;
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
    d.train_count = max_images > 0 ? std::min(max_images, available) : available;
    append(s, 0, d.train_count, d.train_pixels, d.train_labels);
    append(s, available, d.eval_count, d.eval_pixels, d.eval_labels);
    d.description = fmt::format(
        "only the {} split ({} images) is there: training on images 0–{}, holding out the last {} ({}–{}) "
        "for evaluation",
        split, s.count, d.train_count - 1, d.eval_count, available, s.count - 1);
  }
  return d;
}

nlohmann::json classifier_metadata(const ClassifierData& d, const ClassifierRecipe& r, int epochs_done, double accuracy,
                                   const nlohmann::json& history) {
  return {{"epochs", epochs_done},
          {"epochs_requested", r.epochs},
          {"held_out_accuracy", accuracy},
          {"held_out_images", d.eval_count},
          {"train_images", d.train_count},
          {"data_source", fs::absolute(d.dir).lexically_normal().string()},
          {"data_split", d.description},
          {"data_fingerprint", d.fingerprint()},
          {"data_shape", d.shape.str()},
          {"batch_size", r.batch_size},
          {"lr", r.lr},
          {"gamma", r.gamma},
          {"seed", r.seed},
          {"history", history}};
}

MnistClassifier train_mnist_classifier(const ClassifierData& d, const ClassifierRecipe& r, const std::string& out,
                                       std::FILE* log, double* accuracy_out) {
  // Separate streams, so changing e.g. the batch order does not change the initial weights.
  Generator init(r.seed, stream_id(RandomStream::classifier_init));
  auto dropout_gen = std::make_shared<Generator>(r.seed, stream_id(RandomStream::classifier_dropout));
  Generator order(r.seed, stream_id(RandomStream::classifier_batch_order));
  MnistClassifier net(init, dropout_gen, r.dtype, d.shape);
  optim::AdadeltaOptions aopt;
  aopt.lr = r.lr;
  optim::Adadelta opt(net.parameters(), aopt);
  optim::StepLR sched(opt, 1, r.gamma);

  const Tensor eval_images = mnist_pixels_to_input(d.eval_pixels, 0, d.eval_count, r.dtype, d.shape);
  const bool live = ::isatty(::fileno(log)) != 0 && r.log_interval > 0;
  const int64_t batches = (d.train_count + r.batch_size - 1) / r.batch_size;
  std::vector<int64_t> perm(static_cast<size_t>(d.train_count));
  nlohmann::json history = nlohmann::json::array();
  double accuracy = 0;
  using clock = std::chrono::steady_clock;

  for (int epoch = 1; epoch <= r.epochs; ++epoch) {
    const auto t0 = clock::now();
    const double lr = opt.lr();
    std::iota(perm.begin(), perm.end(), int64_t{0});
    for (int64_t i = d.train_count - 1; i > 0; --i)
      std::swap(perm[static_cast<size_t>(i)], perm[order.next_below(static_cast<uint64_t>(i + 1))]);
    net.train();
    double loss_sum = 0;
    for (int64_t bi = 0; bi < batches; ++bi) {
      const int64_t start = bi * r.batch_size;
      // The last batch may be short, as PyTorch's DataLoader without drop_last.
      const int64_t b = std::min<int64_t>(r.batch_size, d.train_count - start);
      Tensor x, y;
      gather(d, perm, start, b, r.dtype, x, y);
      opt.zero_grad();
      const Tensor loss = nll_loss(net(x), y);
      autograd::backward(loss);
      opt.step();
      const double l = loss.item();
      AAFGAN_CHECK(std::isfinite(l), "epoch {} batch {}: the loss is {}; try a smaller --lr", epoch, bi + 1, l);
      loss_sum += l * static_cast<double>(b);
      if (live && ((bi + 1) % r.log_interval == 0 || bi + 1 == batches)) {
        const double s = std::chrono::duration<double>(clock::now() - t0).count();
        say(log, fmt::format("\r\033[Kepoch {}/{}  batch {}/{}  loss {:.4f}  {:.1f} batches/s", epoch, r.epochs, bi + 1,
                             batches, l, static_cast<double>(bi + 1) / s));
      }
    }
    sched.step();
    const double train_s = std::chrono::duration<double>(clock::now() - t0).count();
    accuracy = models::accuracy(net, eval_images, d.eval_labels, r.test_batch_size);
    const double epoch_s = std::chrono::duration<double>(clock::now() - t0).count();
    const double mean_loss = loss_sum / static_cast<double>(d.train_count);
    say(log, fmt::format("{}epoch {:2d}/{}  lr {:.4g}  train loss {:.4f}  held-out accuracy {:.2f}% ({}/{})  {:.1f} s "
                         "({:.1f} s training)\n",
                         live ? "\r\033[K" : "", epoch, r.epochs, lr, mean_loss, 100 * accuracy,
                         static_cast<int64_t>(std::lround(accuracy * static_cast<double>(d.eval_count))), d.eval_count,
                         epoch_s, train_s));
    history.push_back({{"epoch", epoch}, {"lr", lr}, {"train_loss", mean_loss}, {"held_out_accuracy", accuracy},
                       {"seconds", epoch_s}});
    if (!out.empty()) net.save(out, classifier_metadata(d, r, epoch, accuracy, history));
  }
  if (accuracy_out) *accuracy_out = accuracy;
  return net;
}

}  // namespace aafgan::models
