#pragma once
// The reference MNIST classifier (PyTorch's examples/mnist net) that scores the conditional
// GAN: the share of generated digits it assigns to the class they were conditioned on.
//
//   conv 1→32 3×3, ReLU, conv 32→64 3×3, ReLU, max-pool 2, dropout 0.25, flatten,
//   linear 9216→128, ReLU, dropout 0.5, linear 128→10, log-softmax
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

class MnistClassifier : public nn::Module {
 public:
  // `init` draws the initial weights (PyTorch's default fan-in uniform); `dropout_gen` draws
  // the dropout masks and is shared so a trainer can checkpoint its state.
  MnistClassifier(Generator& init, std::shared_ptr<Generator> dropout_gen, DType dtype = DType::f32);
  // A copy would share parameter storage with the original (modules hold tensor handles), so
  // two "independent" classifiers would silently train one set of weights.
  MnistClassifier(const MnistClassifier&) = delete;
  MnistClassifier& operator=(const MnistClassifier&) = delete;
  MnistClassifier(MnistClassifier&&) = default;

  // x [N, 1, 28, 28], normalised as (x/255 − mean)/std → log-probabilities [N, 10].
  Tensor forward(const Tensor& x) override;

  // Writes the parameters and `meta` (plus "model" and "dtype") atomically.
  void save(const std::string& path, const nlohmann::json& meta) const;
  // Reads a checkpoint written by save(); the weights are converted to `dtype`. The dropout
  // generator only matters if the loaded net is trained further.
  static MnistClassifier load(const std::string& path, DType dtype = DType::f32,
                              std::shared_ptr<Generator> dropout_gen = nullptr);

  DType dtype() const { return dtype_; }
  // The metadata of the checkpoint this net was loaded from (null for a fresh net).
  const nlohmann::json& metadata() const { return metadata_; }

 private:
  DType dtype_;
  std::shared_ptr<nn::Conv2d> conv1_, conv2_;
  std::shared_ptr<nn::Dropout> dropout1_, dropout2_;
  std::shared_ptr<nn::Linear> fc1_, fc2_;
  nlohmann::json metadata_;
};

// Images `first` … `first + count − 1` of an MNIST split's pixels (count × 784 bytes, 0..255)
// as the classifier's input [count, 1, 28, 28].
Tensor mnist_pixels_to_input(const std::vector<uint8_t>& pixels, int64_t first, int64_t count,
                             DType dtype = DType::f32);

// GAN output [N, 784] (or [N, 1, 28, 28]) in [−1, 1] → classifier input [N, 1, 28, 28]:
// x01 = (g + 1)/2, then (x01 − mean)/std. Differentiable, keeps the dtype.
Tensor gan_to_classifier_input(const Tensor& gan_images);

// Index of the largest entry of each row of [N, C].
std::vector<int> argmax_rows(const Tensor& scores);

// The share (0..1) of `images` (normalised classifier input [N, 1, 28, 28]) whose predicted
// class equals labels[i]. Runs in eval mode without recording, `batch` images at a time, and
// leaves the net in the mode it was in.
double accuracy(MnistClassifier& net, const Tensor& images, const std::vector<int>& labels, int batch = 1000);

}  // namespace aafgan::models
