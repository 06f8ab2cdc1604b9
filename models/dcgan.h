#pragma once
// The DCGAN of gan-protocol.md §2 (64×64 images, widths 1024-512-256-128), unconditional.
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "models/gan.h"

namespace aafgan::models {

struct DcGanSpec {
  std::string gen = "default", dis = "default", gen_hidden = "default", dis_hidden = "default";
  nlohmann::json gen_initializers, dis_initializers;  // the <NAME>_INITIALIZER objects
  // Conv/BN initialisation per network, as Experiment::gen_init_weights: null = framework
  // default (fan-in uniform conv weights, BN ones/zeros), 1 = DCGAN (conv N(0, 0.02), BN weight
  // N(1, 0.02), bias 0), {"name": "default" | "glorot" | "he_normal"} = conv N(0, 0.02),
  // Xavier normal or He normal (fan-in), BN as DCGAN.
  nlohmann::json gen_init_weights, dis_init_weights;
  double gen_hidden_slope = 0.0;  // "default" hidden activation: ReLU in G
  double dis_hidden_slope = 0.2;  // and LeakyReLU(0.2) in D
  int64_t channels = 3;           // 1 for MNIST resized to 64
  int64_t noise_size = 100;
};

class DcGan : public GanModel {
 public:
  // `init` draws the weights and activation parameters in layer order (G first).
  DcGan(const DcGanSpec& spec, Generator& init, DType dtype);

  int64_t noise_size() const override { return noise_size_; }
  int num_classes() const override { return 0; }
  Shape sample_shape() const override { return Shape{channels_, 64, 64}; }
  // z [N, noise_size] (reshaped to [N, noise_size, 1, 1]); onehot must be undefined.
  Tensor generate(const Tensor& z, const Tensor& onehot) override;
  // x [N, C, 64, 64] → [N, 1].
  Tensor discriminate(const Tensor& x, const Tensor& onehot) override;

 private:
  int64_t noise_size_, channels_;
};

}  // namespace aafgan::models
