// conv2d and conv_transpose2d (PyTorch's semantics and weight layouts): the checks, the output
// shape and the tape record; the arithmetic is kernels/cpu/conv.cpp (im2col + GEMM) or
// kernels/cuda/conv.cu (cuDNN).
#include "engine/autograd.h"
#include "engine/backend.h"
#include "engine/ops.h"

namespace aafgan {

namespace {

// What conv2d and conv_transpose2d check alike. `channel_dim` is the weight dimension that
// must equal the input's channels, `out_dim` the one that gives the output channels.
void check_conv(const char* op, const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dParams& p,
                int channel_dim, int out_dim, const char* layout) {
  AAFGAN_CHECK(x.defined() && w.defined(), "{}: input and weight must be defined", op);
  AAFGAN_CHECK(x.ndim() == 4, "{}: input {} must be [N, C, H, W]", op, x.str());
  AAFGAN_CHECK(w.ndim() == 4, "{}: weight {} must be {}", op, w.str(), layout);
  check_same_dtype(op, x, w);
  check_same_device(op, x, w);
  AAFGAN_CHECK(w.size(0) > 0 && w.size(1) > 0 && w.size(2) > 0 && w.size(3) > 0, "{}: weight {} has an empty dimension",
               op, w.str());
  AAFGAN_CHECK(x.size(1) == w.size(channel_dim), "{}: input {} has {} channels but weight {} ({}) expects {}", op,
               x.str(), x.size(1), w.str(), layout, w.size(channel_dim));
  AAFGAN_CHECK(x.size(2) > 0 && x.size(3) > 0, "{}: input {} has an empty spatial dimension", op, x.str());
  AAFGAN_CHECK(p.stride_h > 0 && p.stride_w > 0, "{}: stride ({}, {}) must be positive", op, p.stride_h, p.stride_w);
  AAFGAN_CHECK(p.pad_h >= 0 && p.pad_w >= 0, "{}: padding ({}, {}) must not be negative", op, p.pad_h, p.pad_w);
  if (bias.defined()) {
    AAFGAN_CHECK(bias.ndim() == 1 && bias.size(0) == w.size(out_dim), "{}: bias {} does not fit weight {} (expected [{}])",
                 op, bias.str(), w.str(), w.size(out_dim));
    check_same_dtype(op, x, bias);
    check_same_device(op, x, bias);
  }
}

// The fields both shape structs share: batch and input from x, kernel from the weight's last
// two dimensions, stride and padding from p. `out_dim` is the weight dimension of the output
// channels (0 for conv2d's [Cout, Cin, kH, kW], 1 for conv_transpose2d's [Cin, Cout, kH, kW]).
template <typename S>
S shape_of(const Tensor& x, const Tensor& w, const Conv2dParams& p, int out_dim) {
  S s;
  s.n = x.size(0);
  s.in_channels = x.size(1);
  s.in_h = x.size(2);
  s.in_w = x.size(3);
  s.out_channels = w.size(out_dim);
  s.kernel_h = w.size(2);
  s.kernel_w = w.size(3);
  s.stride_h = p.stride_h;
  s.stride_w = p.stride_w;
  s.pad_h = p.pad_h;
  s.pad_w = p.pad_w;
  return s;
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& p) {
  check_conv("conv2d", x, weight, bias, p, 1, 0, "[Cout, Cin, kH, kW]");
  AAFGAN_CHECK(p.output_pad_h == 0 && p.output_pad_w == 0,
               "conv2d: output_pad ({}, {}) only applies to conv_transpose2d", p.output_pad_h, p.output_pad_w);
  const kernels::ConvShape s = shape_of<kernels::ConvShape>(x, weight, p, 0);
  AAFGAN_CHECK(s.in_h + 2 * s.pad_h >= s.kernel_h && s.in_w + 2 * s.pad_w >= s.kernel_w,
               "conv2d: kernel {}x{} is larger than input {} padded by ({}, {})", s.kernel_h, s.kernel_w, x.str(),
               p.pad_h, p.pad_w);
  Tensor y = Tensor::empty(Shape{s.n, s.out_channels, s.out_h(), s.out_w()}, x.dtype(), x.device());
  backend::conv2d_forward(s, x, weight, bias, y);
  autograd::record("conv2d", {x, weight, bias}, y, [x, weight, s](const Tensor& gy, autograd::Grads& grads) {
    if (grads.needs(0)) {
      Tensor gx = Tensor::empty(x.shape(), x.dtype(), x.device());
      backend::conv2d_backward_data(s, gy, weight, gx);
      grads.set(0, gx);
    }
    if (grads.needs(1)) {
      Tensor gw = Tensor::empty(weight.shape(), weight.dtype(), weight.device());
      backend::conv2d_backward_filter(s, x, gy, gw);
      grads.set(1, gw);
    }
    if (grads.needs(2)) {
      Tensor gb = Tensor::empty(Shape{s.out_channels}, gy.dtype(), gy.device());
      backend::conv2d_backward_bias(s, gy, gb);
      grads.set(2, gb);
    }
  });
  return y;
}

Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& p) {
  check_conv("conv_transpose2d", x, weight, bias, p, 0, 1, "[Cin, Cout, kH, kW]");
  // As PyTorch: a larger output_pad would add rows that no input pixel reaches.
  AAFGAN_CHECK(p.output_pad_h >= 0 && p.output_pad_w >= 0 && p.output_pad_h < p.stride_h &&
                   p.output_pad_w < p.stride_w,
               "conv_transpose2d: output_pad ({}, {}) must be non-negative and smaller than the stride ({}, {})",
               p.output_pad_h, p.output_pad_w, p.stride_h, p.stride_w);
  kernels::ConvTransposeShape s = shape_of<kernels::ConvTransposeShape>(x, weight, p, 1);
  s.output_pad_h = p.output_pad_h;
  s.output_pad_w = p.output_pad_w;
  AAFGAN_CHECK(s.out_h() > 0 && s.out_w() > 0,
               "conv_transpose2d: input {} with weight {}, stride ({}, {}), padding ({}, {}) gives an empty output {}x{}",
               x.str(), weight.str(), p.stride_h, p.stride_w, p.pad_h, p.pad_w, s.out_h(), s.out_w());
  Tensor y = Tensor::empty(Shape{s.n, s.out_channels, s.out_h(), s.out_w()}, x.dtype(), x.device());
  backend::conv_transpose2d_forward(s, x, weight, bias, y);
  autograd::record("conv_transpose2d", {x, weight, bias}, y, [x, weight, s](const Tensor& gy, autograd::Grads& grads) {
    if (grads.needs(0)) {
      Tensor gx = Tensor::empty(x.shape(), x.dtype(), x.device());
      backend::conv_transpose2d_backward_data(s, gy, weight, gx);
      grads.set(0, gx);
    }
    if (grads.needs(1)) {
      Tensor gw = Tensor::empty(weight.shape(), weight.dtype(), weight.device());
      backend::conv_transpose2d_backward_filter(s, x, gy, gw);
      grads.set(1, gw);
    }
    if (grads.needs(2)) {
      Tensor gb = Tensor::empty(Shape{s.out_channels}, gy.dtype(), gy.device());
      backend::conv_transpose2d_backward_bias(s, gy, gb);
      grads.set(2, gb);
    }
  });
  return y;
}

}  // namespace aafgan
