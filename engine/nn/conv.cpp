#include "engine/nn/conv.h"

#include "engine/nn/init.h"

namespace aafgan::nn {

namespace {

Conv2dParams square_params(const char* layer, int kernel, int stride, int pad, int output_pad) {
  AAFGAN_CHECK(kernel > 0 && stride > 0 && pad >= 0 && output_pad >= 0,
               "{}: kernel {}, stride {}, padding {}, output_pad {} (kernel and stride must be positive, padding "
               "not negative)",
               layer, kernel, stride, pad, output_pad);
  Conv2dParams p;
  p.stride_h = p.stride_w = stride;
  p.pad_h = p.pad_w = pad;
  p.output_pad_h = p.output_pad_w = output_pad;
  return p;
}

}  // namespace

Conv2d::Conv2d(int64_t in, int64_t out, int kernel, int stride, int pad, Generator& gen, bool with_bias, DType dtype)
    : params(square_params("Conv2d", kernel, stride, pad, 0)) {
  AAFGAN_CHECK(in > 0 && out > 0, "Conv2d: channels {} → {} must be positive", in, out);
  weight = register_parameter("weight", Tensor::empty(Shape{out, in, kernel, kernel}, dtype));
  const int64_t fan = init::fan_in(weight);
  init::fan_in_uniform(weight, fan, gen);
  if (with_bias) {
    bias = register_parameter("bias", Tensor::empty(Shape{out}, dtype));
    init::fan_in_uniform(bias, fan, gen);
  }
}

Tensor Conv2d::forward(const Tensor& x) { return conv2d(x, weight, bias, params); }

ConvTranspose2d::ConvTranspose2d(int64_t in, int64_t out, int kernel, int stride, int pad, Generator& gen,
                                 bool with_bias, DType dtype, int output_pad)
    : params(square_params("ConvTranspose2d", kernel, stride, pad, output_pad)) {
  AAFGAN_CHECK(in > 0 && out > 0, "ConvTranspose2d: channels {} → {} must be positive", in, out);
  AAFGAN_CHECK(output_pad < stride, "ConvTranspose2d: output_pad {} must be smaller than the stride {}", output_pad,
               stride);
  weight = register_parameter("weight", Tensor::empty(Shape{in, out, kernel, kernel}, dtype));
  const int64_t fan = init::fan_in(weight);
  init::fan_in_uniform(weight, fan, gen);
  if (with_bias) {
    bias = register_parameter("bias", Tensor::empty(Shape{out}, dtype));
    init::fan_in_uniform(bias, fan, gen);
  }
}

Tensor ConvTranspose2d::forward(const Tensor& x) { return conv_transpose2d(x, weight, bias, params); }

MaxPool2d::MaxPool2d(int k, int s) : kernel(k), stride(s) {
  AAFGAN_CHECK(kernel > 0 && stride >= 0, "MaxPool2d: kernel {} must be positive and stride {} not negative", kernel,
               stride);
}

Tensor MaxPool2d::forward(const Tensor& x) { return max_pool2d(x, kernel, stride); }

}  // namespace aafgan::nn
