#pragma once
// Batch normalisation as a layer.
#include "engine/nn/module.h"
#include "engine/ops.h"

namespace aafgan::nn {

// Over [N, C, H, W] inputs; batch statistics in train mode, running ones in eval mode.
class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(int64_t channels, double eps = 1e-5, double momentum = 0.1, DType dtype = DType::f32);
  Tensor forward(const Tensor& x) override;

  Tensor weight, bias;               // [C] parameters: ones and zeros
  Tensor running_mean, running_var;  // [C] buffers: zeros and ones
  double eps, momentum;
};

}  // namespace aafgan::nn
