#include "engine/ops/conv_cuda.h"

#include "engine/autograd.h"
#include "engine/device.h"
#include "kernels/cuda/cudnn_conv.h"

namespace aafgan::detail {

namespace {

using kernels::cuda::WriteMode;

template <typename T>
const T* data_or_null(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
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

kernels::cuda::ConvShape conv_shape(const Tensor& x, const Tensor& w, const Conv2dParams& p) {
  return shape_of<kernels::cuda::ConvShape>(x, w, p, 0);
}

kernels::cuda::ConvTransposeShape transpose_shape(const Tensor& x, const Tensor& w, const Conv2dParams& p) {
  auto s = shape_of<kernels::cuda::ConvTransposeShape>(x, w, p, 1);
  s.output_pad_h = p.output_pad_h;
  s.output_pad_w = p.output_pad_w;
  return s;
}

}  // namespace

Tensor conv2d_cuda(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& p) {
  cuda_stream(x.device());  // the device current for cuDNN
  const kernels::cuda::ConvShape s = conv_shape(x, weight, p);
  Tensor y = Tensor::empty(Shape{s.n, s.out_channels, s.out_h(), s.out_w()}, x.dtype(), x.device());
  dispatch(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    kernels::cuda::conv2d_forward<T>(s, x.data<T>(), weight.data<T>(), data_or_null<T>(bias), y.data<T>(),
                                     WriteMode::overwrite);
  });
  autograd::record("conv2d", {x, weight, bias}, y, [x, weight, s](const Tensor& gy, autograd::Grads& grads) {
    cuda_stream(gy.device());
    dispatch(gy.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      if (grads.needs(0)) {
        Tensor gx = Tensor::empty(x.shape(), x.dtype(), x.device());
        kernels::cuda::conv2d_backward_data<T>(s, gy.data<T>(), weight.data<T>(), gx.data<T>(), WriteMode::overwrite);
        grads.set(0, gx);
      }
      if (grads.needs(1)) {
        Tensor gw = Tensor::empty(weight.shape(), weight.dtype(), weight.device());
        kernels::cuda::conv2d_backward_filter<T>(s, x.data<T>(), gy.data<T>(), gw.data<T>(), WriteMode::overwrite);
        grads.set(1, gw);
      }
      if (grads.needs(2)) {
        Tensor gb = Tensor::empty(Shape{s.out_channels}, gy.dtype(), gy.device());
        kernels::cuda::conv2d_backward_bias<T>(s, gy.data<T>(), gb.data<T>(), WriteMode::overwrite);
        grads.set(2, gb);
      }
    });
  });
  return y;
}

Tensor conv_transpose2d_cuda(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& p) {
  cuda_stream(x.device());
  const kernels::cuda::ConvTransposeShape s = transpose_shape(x, weight, p);
  Tensor y = Tensor::empty(Shape{s.n, s.out_channels, s.out_h(), s.out_w()}, x.dtype(), x.device());
  dispatch(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    kernels::cuda::conv_transpose2d_forward<T>(s, x.data<T>(), weight.data<T>(), data_or_null<T>(bias), y.data<T>(),
                                               WriteMode::overwrite);
  });
  autograd::record("conv_transpose2d", {x, weight, bias}, y,
                   [x, weight, s](const Tensor& gy, autograd::Grads& grads) {
    cuda_stream(gy.device());
    dispatch(gy.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      if (grads.needs(0)) {
        Tensor gx = Tensor::empty(x.shape(), x.dtype(), x.device());
        kernels::cuda::conv_transpose2d_backward_data<T>(s, gy.data<T>(), weight.data<T>(), gx.data<T>(),
                                                         WriteMode::overwrite);
        grads.set(0, gx);
      }
      if (grads.needs(1)) {
        Tensor gw = Tensor::empty(weight.shape(), weight.dtype(), weight.device());
        kernels::cuda::conv_transpose2d_backward_filter<T>(s, x.data<T>(), gy.data<T>(), gw.data<T>(),
                                                           WriteMode::overwrite);
        grads.set(1, gw);
      }
      if (grads.needs(2)) {
        Tensor gb = Tensor::empty(Shape{s.out_channels}, gy.dtype(), gy.device());
        kernels::cuda::conv_transpose2d_backward_bias<T>(s, gy.data<T>(), gb.data<T>(), WriteMode::overwrite);
        grads.set(2, gb);
      }
    });
  });
  return y;
}

}  // namespace aafgan::detail
