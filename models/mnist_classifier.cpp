#include "models/mnist_classifier.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "engine/autograd.h"
#include "engine/checkpoint.h"
#include "base/error.h"

namespace aafgan::models {

namespace {

constexpr int kSide = 28;
constexpr int64_t kPixels = kSide * kSide;
constexpr int kClasses = 10;
// After two unpadded 3×3 convolutions (28 → 26 → 24) and a 2×2 pool: 64 × 12 × 12.
constexpr int64_t kFlat = 64 * 12 * 12;
constexpr const char* kModelTag = "mnist_classifier";

}  // namespace

MnistClassifier::MnistClassifier(Generator& init, std::shared_ptr<Generator> dropout_gen, DType dtype)
    : dtype_(dtype) {
  AAFGAN_CHECK(dropout_gen != nullptr, "MnistClassifier needs a dropout generator");
  // Created in the reference's order, so weights are drawn in the same sequence of layers.
  conv1_ = register_module("conv1", std::make_shared<nn::Conv2d>(1, 32, 3, 1, 0, init, true, dtype));
  conv2_ = register_module("conv2", std::make_shared<nn::Conv2d>(32, 64, 3, 1, 0, init, true, dtype));
  dropout1_ = register_module("dropout1", std::make_shared<nn::Dropout>(0.25, dropout_gen));
  dropout2_ = register_module("dropout2", std::make_shared<nn::Dropout>(0.5, dropout_gen));
  fc1_ = register_module("fc1", std::make_shared<nn::Linear>(kFlat, 128, init, true, dtype));
  fc2_ = register_module("fc2", std::make_shared<nn::Linear>(128, kClasses, init, true, dtype));
}

Tensor MnistClassifier::forward(const Tensor& x) {
  AAFGAN_CHECK(x.ndim() == 4 && x.size(1) == 1 && x.size(2) == kSide && x.size(3) == kSide,
               "MnistClassifier expects images [N, 1, 28, 28], got {}", x.str());
  Tensor h = relu(conv1_->forward(x));
  h = relu(conv2_->forward(h));
  h = dropout1_->forward(max_pool2d(h, 2));
  h = reshape(h, {h.size(0), kFlat});
  h = dropout2_->forward(relu(fc1_->forward(h)));
  return log_softmax(fc2_->forward(h));
}

void MnistClassifier::save(const std::string& path, const nlohmann::json& meta) const {
  AAFGAN_CHECK(meta.is_object() || meta.is_null(), "MnistClassifier::save: metadata must be a JSON object");
  nlohmann::json m = meta.is_object() ? meta : nlohmann::json::object();
  m["model"] = kModelTag;
  m["dtype"] = dtype_name(dtype_);
  save_checkpoint(path, named_parameters(), m);
}

MnistClassifier MnistClassifier::load(const std::string& path, DType dtype, std::shared_ptr<Generator> dropout_gen) {
  const Checkpoint ckpt = load_checkpoint(path);
  // A GAN checkpoint also holds "*.weight" tensors; naming the mix-up beats a shape error.
  AAFGAN_CHECK(ckpt.metadata.is_object() && ckpt.metadata.value("model", std::string()) == kModelTag,
               "'{}' is not an MNIST classifier checkpoint (its metadata has no \"model\": \"{}\"); "
               "train one with ./mnist_classifier",
               path, kModelTag);
  // The initial values are overwritten, so any seed will do.
  Generator scratch(0);
  if (!dropout_gen) dropout_gen = std::make_shared<Generator>(0);
  MnistClassifier net(scratch, std::move(dropout_gen), dtype);
  load_into(ckpt, net.named_parameters());
  net.metadata_ = ckpt.metadata;
  return net;
}

Tensor mnist_pixels_to_input(const std::vector<uint8_t>& pixels, int64_t first, int64_t count, DType dtype) {
  AAFGAN_CHECK(first >= 0 && count >= 0 && static_cast<size_t>((first + count) * kPixels) <= pixels.size(),
               "mnist_pixels_to_input: images [{}, {}) outside the {} available", first, first + count,
               static_cast<int64_t>(pixels.size()) / kPixels);
  Tensor t = Tensor::empty(Shape{count, 1, kSide, kSide}, dtype);
  dispatch(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* out = t.data<T>();
    const uint8_t* in = pixels.data() + first * kPixels;
    const int64_t n = count * kPixels;
    // As torchvision: ToTensor divides by 255, then Normalize; in double, then rounded once.
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>((in[i] / 255.0 - kMnistMean) / kMnistStd);
  });
  return t;
}

Tensor gan_to_classifier_input(const Tensor& gan_images) {
  AAFGAN_CHECK(gan_images.ndim() >= 1 && gan_images.size(0) > 0 && gan_images.numel() == gan_images.size(0) * kPixels,
               "gan_to_classifier_input expects [N, 784] or [N, 1, 28, 28] images, got {}", gan_images.str());
  // ((g + 1)/2 − mean)/std folded into one affine op.
  const double scale = 0.5 / kMnistStd;
  const double shift = (0.5 - kMnistMean) / kMnistStd;
  return reshape(affine(gan_images, scale, shift), {gan_images.size(0), 1, kSide, kSide});
}

std::vector<int> argmax_rows(const Tensor& scores) {
  AAFGAN_CHECK(scores.ndim() == 2 && scores.size(1) > 0, "argmax_rows expects [N, C], got {}", scores.str());
  const int64_t rows = scores.size(0), cols = scores.size(1);
  std::vector<int> out(static_cast<size_t>(rows));
  dispatch(scores.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = scores.data<T>();
    for (int64_t r = 0; r < rows; ++r) {
      const T* row = p + r * cols;
      out[static_cast<size_t>(r)] = static_cast<int>(std::max_element(row, row + cols) - row);
    }
  });
  return out;
}

double accuracy(MnistClassifier& net, const Tensor& images, const std::vector<int>& labels, int batch) {
  AAFGAN_CHECK(images.ndim() == 4 && images.size(1) == 1 && images.size(2) == kSide && images.size(3) == kSide,
               "accuracy expects images [N, 1, 28, 28], got {}", images.str());
  const int64_t n = images.size(0);
  AAFGAN_CHECK(static_cast<int64_t>(labels.size()) == n, "accuracy: {} images but {} labels", n, labels.size());
  AAFGAN_CHECK(batch > 0, "accuracy: batch size must be positive, got {}", batch);
  check_cpu("accuracy", images);
  if (n == 0) return 0.0;
  const Tensor input = images.dtype() == net.dtype() ? images : images.to(net.dtype());
  const bool was_training = net.training();
  net.eval();
  autograd::NoGradGuard no_grad;
  const int64_t elem = static_cast<int64_t>(dtype_size(input.dtype()));
  int64_t correct = 0;
  try {
    for (int64_t start = 0; start < n; start += batch) {
      const int64_t b = std::min<int64_t>(batch, n - start);
      // A copy of rows [start, start + b): a millisecond beside the forward it feeds.
      Tensor chunk = Tensor::empty(Shape{b, 1, kSide, kSide}, input.dtype());
      std::memcpy(chunk.raw_data(), static_cast<const char*>(input.raw_data()) + start * kPixels * elem,
                  chunk.nbytes());
      const std::vector<int> pred = argmax_rows(net.forward(chunk));
      for (int64_t i = 0; i < b; ++i) correct += pred[static_cast<size_t>(i)] == labels[static_cast<size_t>(start + i)];
    }
  } catch (...) {
    net.train(was_training);
    throw;
  }
  net.train(was_training);
  return static_cast<double>(correct) / static_cast<double>(n);
}

}  // namespace aafgan::models
