#include "engine/nn/batchnorm.h"

namespace aafgan::nn {

BatchNorm2d::BatchNorm2d(int64_t channels, double epsilon, double mom, DType dtype) : eps(epsilon), momentum(mom) {
  AAFGAN_CHECK(channels > 0, "BatchNorm2d: channels must be positive, got {}", channels);
  weight = register_parameter("weight", Tensor::ones(Shape{channels}, dtype));
  bias = register_parameter("bias", Tensor::zeros(Shape{channels}, dtype));
  running_mean = register_buffer("running_mean", Tensor::zeros(Shape{channels}, dtype));
  running_var = register_buffer("running_var", Tensor::ones(Shape{channels}, dtype));
}

Tensor BatchNorm2d::forward(const Tensor& x) {
  // The op accepts [N, C] too; a 2-d input here usually means a missing reshape, as PyTorch
  // also reports.
  AAFGAN_CHECK(x.ndim() == 4, "BatchNorm2d({}): expected a 4-d input [N, C, H, W], got {}", weight.size(0),
               x.str());
  return batch_norm(x, weight, bias, running_mean, running_var, training(), momentum, eps);
}

}  // namespace aafgan::nn
