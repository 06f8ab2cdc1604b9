#pragma once
// The reference MNIST classifier (PyTorch's examples/mnist net) that scores the conditional
// GAN: the share of generated digits it assigns to the class they were conditioned on.
//
//   conv 1→32 3×3, ReLU, conv 32→64 3×3, ReLU, max-pool 2, dropout 0.25, flatten,
//   linear 9216→128, ReLU, dropout 0.5, linear 128→10, log-softmax
//
// for MNIST's 28×28 images and 10 classes; images of H×W (at least 6×6) flatten to
// 64·⌊(H−4)/2⌋·⌊(W−4)/2⌋, and C classes make the last layer 128→C.
//
// Parameters are named as in PyTorch's Net (conv1.*, conv2.*, fc1.*, fc2.*), so the names in a
// checkpoint read the same as a state_dict of the reference.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/nn/conv.h"
#include "engine/nn/layers.h"
#include "engine/random.h"

namespace aafgan::models {

// The PyTorch example's normalisation of pixels in [0, 1].
constexpr double kMnistMean = 0.1307;
constexpr double kMnistStd = 0.3081;

// The images a classifier reads and the classes it tells apart.
struct ClassifierShape {
  int height = 28, width = 28, classes = 10;
  int64_t pixels() const { return int64_t{height} * width; }
  bool operator==(const ClassifierShape& o) const {
    return height == o.height && width == o.width && classes == o.classes;
  }
  bool operator!=(const ClassifierShape& o) const { return !(*this == o); }
  std::string str() const;  // "28×28 images, 10 classes"
};

class MnistClassifier : public nn::Module {
 public:
  // `init` draws the initial weights (PyTorch's default fan-in uniform); `dropout_gen` draws
  // the dropout masks and is shared so a trainer can checkpoint its state.
  MnistClassifier(Generator& init, std::shared_ptr<Generator> dropout_gen, DType dtype = DType::f32,
                  ClassifierShape shape = {});
  // A copy would share parameter storage with the original (modules hold tensor handles), so
  // two "independent" classifiers would silently train one set of weights.
  MnistClassifier(const MnistClassifier&) = delete;
  MnistClassifier& operator=(const MnistClassifier&) = delete;
  MnistClassifier(MnistClassifier&&) = default;

  // x [N, 1, H, W], normalised as (x/255 − mean)/std → log-probabilities [N, classes].
  Tensor forward(const Tensor& x) override;

  // Writes the parameters and `meta` (plus "model", "dtype" and the shape: "image_height",
  // "image_width", "classes") atomically.
  void save(const std::string& path, const nlohmann::json& meta) const;
  // Reads a checkpoint written by save(); the weights are converted to `dtype`. A checkpoint
  // without the shape keys (written before them) is MNIST's. The dropout generator only matters
  // if the loaded net is trained further.
  static MnistClassifier load(const std::string& path, DType dtype = DType::f32,
                              std::shared_ptr<Generator> dropout_gen = nullptr);

  DType dtype() const { return dtype_; }
  const ClassifierShape& shape() const { return shape_; }
  // The metadata of the checkpoint this net was loaded from (null for a fresh net).
  const nlohmann::json& metadata() const { return metadata_; }

 private:
  DType dtype_;
  ClassifierShape shape_;
  int64_t flat_;
  std::shared_ptr<nn::Conv2d> conv1_, conv2_;
  std::shared_ptr<nn::Dropout> dropout1_, dropout2_;
  std::shared_ptr<nn::Linear> fc1_, fc2_;
  nlohmann::json metadata_;
};

// Images `first` … `first + count − 1` of an MNIST-format split's pixels (count × H·W bytes,
// 0..255) as the classifier's input [count, 1, H, W] (the shape's classes are not used).
Tensor mnist_pixels_to_input(const std::vector<uint8_t>& pixels, int64_t first, int64_t count,
                             DType dtype = DType::f32, const ClassifierShape& shape = {});

// GAN output [N, H·W] (or [N, 1, H, W]) in [−1, 1] → classifier input [N, 1, H, W]:
// x01 = (g + 1)/2, then (x01 − mean)/std. Differentiable, keeps the dtype.
Tensor gan_to_classifier_input(const Tensor& gan_images, const ClassifierShape& shape = {});

// Index of the largest entry of each row of [N, C].
std::vector<int> argmax_rows(const Tensor& scores);

// The share (0..1) of `images` (normalised classifier input [N, 1, H, W]) whose predicted
// class equals labels[i]. Runs in eval mode without recording, `batch` images at a time, and
// leaves the net in the mode it was in.
double accuracy(MnistClassifier& net, const Tensor& images, const std::vector<int>& labels, int batch = 1000);

}  // namespace aafgan::models
