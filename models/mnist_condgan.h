#pragma once
// The conditional MLP GAN of gan-protocol.md §1.
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "models/gan.h"

namespace aafgan::models {

struct MnistGanSpec {
  std::string gen = "default", dis = "default", gen_hidden = "default", dis_hidden = "default";
  nlohmann::json gen_initializers, dis_initializers;  // the <NAME>_INITIALIZER objects
  double leaky_slope = 0.2;
  double dropout = 0.3;
  int64_t noise_size = 100;
  // The data's: an image of height × width is one H·W-vector, a label one of `classes`.
  int height = 28, width = 28;
  int classes = 10;
};

class MnistCondGan : public GanModel {
 public:
  // `init` draws the weights and activation parameters (in layer order); `dropout_gen` drives
  // the discriminator's dropout masks, so checkpoints can capture it.
  MnistCondGan(const MnistGanSpec& spec, Generator& init, std::shared_ptr<Generator> dropout_gen, DType dtype);

  int64_t noise_size() const override { return noise_size_; }
  int num_classes() const override { return classes_; }
  Shape sample_shape() const override { return Shape{int64_t{height_} * width_}; }
  Shape image_shape() const override { return Shape{1, height_, width_}; }
  Tensor generate(const Tensor& z, const Tensor& onehot) override;
  Tensor discriminate(const Tensor& x, const Tensor& onehot) override;

 private:
  int64_t noise_size_;
  int height_, width_, classes_;
};

}  // namespace aafgan::models
