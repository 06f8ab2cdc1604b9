#pragma once
// Convolution and pooling layers.
#include "engine/nn/module.h"
#include "engine/ops.h"

namespace aafgan::nn {

class Conv2d : public Module {
 public:
  // weight and bias ~ U(−1/√fan_in, 1/√fan_in), fan_in = in·k·k, as PyTorch's default.
  Conv2d(int64_t in, int64_t out, int kernel, int stride, int pad, Generator& gen, bool bias = true,
         DType dtype = DType::f32);
  Tensor forward(const Tensor& x) override;
  Tensor weight, bias;  // [out, in, k, k], [out] (bias undefined when disabled)
  Conv2dParams params;
};

class ConvTranspose2d : public Module {
 public:
  // weight and bias ~ U(−1/√fan_in, 1/√fan_in) with fan_in = out·k·k: PyTorch computes it from
  // the [in, out, k, k] weight as if it were a convolution's, and so do we, to match its runs.
  ConvTranspose2d(int64_t in, int64_t out, int kernel, int stride, int pad, Generator& gen, bool bias = true,
                  DType dtype = DType::f32, int output_pad = 0);
  Tensor forward(const Tensor& x) override;
  Tensor weight, bias;  // [in, out, k, k], [out] (bias undefined when disabled)
  Conv2dParams params;
};

class MaxPool2d : public Module {
 public:
  // stride 0 means stride = kernel.
  explicit MaxPool2d(int kernel, int stride = 0);
  Tensor forward(const Tensor& x) override;
  int kernel, stride;
};

}  // namespace aafgan::nn
