#include "models/mnist_classifier.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "engine/autograd.h"
#include "engine/checkpoint.h"
#include "base/error.h"

namespace aafgan::models {

namespace {

constexpr const char* kModelTag = "mnist_classifier";
// Two unpadded 3×3 convolutions take 4 off each side, the 2×2 pool halves what is left.
constexpr int kMinSide = 6;

// After the convolutions and the pool: 64 × 12 × 12 for MNIST's 28 × 28.
int64_t flat_features(const ClassifierShape& s) { return int64_t{64} * ((s.height - 4) / 2) * ((s.width - 4) / 2); }

void check_images(const char* what, const Tensor& x, const ClassifierShape& s) {
  AAFGAN_CHECK(x.ndim() == 4 && x.size(1) == 1 && x.size(2) == s.height && x.size(3) == s.width,
               "{} expects images [N, 1, {}, {}], got {}", what, s.height, s.width, x.str());
}

}  // namespace

std::string ClassifierShape::str() const { return fmt::format("{}×{} images, {} classes", height, width, classes); }

MnistClassifier::MnistClassifier(Generator& init, std::shared_ptr<Generator> dropout_gen, DType dtype,
                                 ClassifierShape shape)
    : dtype_(dtype), shape_(shape), flat_(flat_features(shape)) {
  AAFGAN_CHECK(dropout_gen != nullptr, "MnistClassifier needs a dropout generator");
  AAFGAN_CHECK(shape.height >= kMinSide && shape.width >= kMinSide,
               "the reference classifier needs images of at least {}×{} (two 3×3 convolutions and a 2×2 pool), got "
               "{}×{}", kMinSide, kMinSide, shape.height, shape.width);
  AAFGAN_CHECK(shape.classes >= 1, "the classifier needs at least one class, got {}", shape.classes);
  // Created in the reference's order, so weights are drawn in the same sequence of layers.
  conv1_ = register_module("conv1", std::make_shared<nn::Conv2d>(1, 32, 3, 1, 0, init, true, dtype));
  conv2_ = register_module("conv2", std::make_shared<nn::Conv2d>(32, 64, 3, 1, 0, init, true, dtype));
  dropout1_ = register_module("dropout1", std::make_shared<nn::Dropout>(0.25, dropout_gen));
  dropout2_ = register_module("dropout2", std::make_shared<nn::Dropout>(0.5, dropout_gen));
  fc1_ = register_module("fc1", std::make_shared<nn::Linear>(flat_, 128, init, true, dtype));
  fc2_ = register_module("fc2", std::make_shared<nn::Linear>(128, shape.classes, init, true, dtype));
}

Tensor MnistClassifier::forward(const Tensor& x) {
  check_images("MnistClassifier", x, shape_);
  Tensor h = relu(conv1_->forward(x));
  h = relu(conv2_->forward(h));
  h = dropout1_->forward(max_pool2d(h, 2));
  h = reshape(h, {h.size(0), flat_});
  h = dropout2_->forward(relu(fc1_->forward(h)));
  return log_softmax(fc2_->forward(h));
}

void MnistClassifier::save(const std::string& path, const nlohmann::json& meta) const {
  AAFGAN_CHECK(meta.is_object() || meta.is_null(), "MnistClassifier::save: metadata must be a JSON object");
  nlohmann::json m = meta.is_object() ? meta : nlohmann::json::object();
  m["model"] = kModelTag;
  m["dtype"] = dtype_name(dtype_);
  m["image_height"] = shape_.height;
  m["image_width"] = shape_.width;
  m["classes"] = shape_.classes;
  save_checkpoint(path, named_parameters(), m);
}

MnistClassifier MnistClassifier::load(const std::string& path, DType dtype, std::shared_ptr<Generator> dropout_gen) {
  const Checkpoint ckpt = load_checkpoint(path);
  // A GAN checkpoint also holds "*.weight" tensors; naming the mix-up beats a shape error.
  AAFGAN_CHECK(ckpt.metadata.is_object() && ckpt.metadata.value("model", std::string()) == kModelTag,
               "'{}' is not an MNIST classifier checkpoint (its metadata has no \"model\": \"{}\"); "
               "train one with ./mnist_classifier",
               path, kModelTag);
  ClassifierShape shape;
  const auto dim = [&](const char* key, int fallback) {
    const nlohmann::json& v = ckpt.metadata.contains(key) ? ckpt.metadata.at(key) : nlohmann::json(fallback);
    AAFGAN_CHECK(v.is_number_integer() && v.get<int64_t>() >= 1 && v.get<int64_t>() <= 65536,
                 "'{}': metadata \"{}\" is {}, expected a positive integer", path, key, v.dump());
    return v.get<int>();
  };
  shape.height = dim("image_height", shape.height);
  shape.width = dim("image_width", shape.width);
  shape.classes = dim("classes", shape.classes);
  // The initial values are overwritten, so any seed will do.
  Generator scratch(0);
  if (!dropout_gen) dropout_gen = std::make_shared<Generator>(0);
  MnistClassifier net(scratch, std::move(dropout_gen), dtype, shape);
  load_into(ckpt, net.named_parameters());
  net.metadata_ = ckpt.metadata;
  return net;
}

Tensor mnist_pixels_to_input(const std::vector<uint8_t>& pixels, int64_t first, int64_t count, DType dtype,
                             const ClassifierShape& shape) {
  const int64_t image_pixels = shape.pixels();
  AAFGAN_CHECK(image_pixels > 0 && first >= 0 && count >= 0 &&
                   static_cast<size_t>((first + count) * image_pixels) <= pixels.size(),
               "mnist_pixels_to_input: images [{}, {}) outside the {} available", first, first + count,
               image_pixels > 0 ? static_cast<int64_t>(pixels.size()) / image_pixels : 0);
  Tensor t = Tensor::empty(Shape{count, 1, shape.height, shape.width}, dtype);
  dispatch(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* out = t.data<T>();
    const uint8_t* in = pixels.data() + first * image_pixels;
    const int64_t n = count * image_pixels;
    // As torchvision: ToTensor divides by 255, then Normalize; in double, then rounded once.
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>((in[i] / 255.0 - kMnistMean) / kMnistStd);
  });
  return t;
}

Tensor gan_to_classifier_input(const Tensor& gan_images, const ClassifierShape& shape) {
  const int64_t pixels = shape.pixels();
  AAFGAN_CHECK(gan_images.ndim() >= 1 && gan_images.size(0) > 0 && gan_images.numel() == gan_images.size(0) * pixels,
               "gan_to_classifier_input expects [N, {}] or [N, 1, {}, {}] images, got {}", pixels, shape.height,
               shape.width, gan_images.str());
  // ((g + 1)/2 − mean)/std folded into one affine op.
  const double scale = 0.5 / kMnistStd;
  const double shift = (0.5 - kMnistMean) / kMnistStd;
  return reshape(affine(gan_images, scale, shift), {gan_images.size(0), 1, shape.height, shape.width});
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
  const ClassifierShape& shape = net.shape();
  check_images("accuracy", images, shape);
  const int64_t pixels = shape.pixels();
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
      Tensor chunk = Tensor::empty(Shape{b, 1, shape.height, shape.width}, input.dtype());
      std::memcpy(chunk.raw_data(), static_cast<const char*>(input.raw_data()) + start * pixels * elem,
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
