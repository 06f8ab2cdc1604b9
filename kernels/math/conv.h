#pragma once
// The shapes of a 2-D convolution and a transposed convolution, as kernels/cpu/conv.cpp and
// kernels/cuda/conv.cu both take them.
#include <cstdint>
#include <string>

#include "kernels/math/write_mode.h"

namespace aafgan::kernels {

// One convolution as its forward pass sees it: input [n, in_channels, in_h, in_w], weight
// [out_channels, in_channels, kernel_h, kernel_w], output [n, out_channels, out_h(), out_w()].
struct ConvShape {
  int64_t n = 0, in_channels = 0, in_h = 0, in_w = 0;
  int64_t out_channels = 0, kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0;

  int64_t out_h() const { return (in_h + 2 * pad_h - kernel_h) / stride_h + 1; }
  int64_t out_w() const { return (in_w + 2 * pad_w - kernel_w) / stride_w + 1; }
  int64_t input_elems() const { return n * in_channels * in_h * in_w; }
  int64_t weight_elems() const { return out_channels * in_channels * kernel_h * kernel_w; }
  int64_t output_elems() const { return n * out_channels * out_h() * out_w(); }
  std::string str() const {
    auto s = [](int64_t v) { return std::to_string(v); };
    return "x [" + s(n) + ", " + s(in_channels) + ", " + s(in_h) + ", " + s(in_w) + "] * w [" + s(out_channels) +
           ", " + s(in_channels) + ", " + s(kernel_h) + ", " + s(kernel_w) + "] stride (" + s(stride_h) + ", " +
           s(stride_w) + ") pad (" + s(pad_h) + ", " + s(pad_w) + ")";
  }
};

// One transposed convolution: input [n, in_channels, in_h, in_w], weight
// [in_channels, out_channels, kernel_h, kernel_w], output [n, out_channels, out_h(), out_w()],
// with 0 ≤ output_pad < stride per axis.
struct ConvTransposeShape {
  int64_t n = 0, in_channels = 0, in_h = 0, in_w = 0;
  int64_t out_channels = 0, kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0;
  int64_t output_pad_h = 0, output_pad_w = 0;

  int64_t out_h() const { return (in_h - 1) * stride_h - 2 * pad_h + kernel_h + output_pad_h; }
  int64_t out_w() const { return (in_w - 1) * stride_w - 2 * pad_w + kernel_w + output_pad_w; }
  int64_t input_elems() const { return n * in_channels * in_h * in_w; }
  int64_t weight_elems() const { return in_channels * out_channels * kernel_h * kernel_w; }
  int64_t output_elems() const { return n * out_channels * out_h() * out_w(); }
  // The convolution this is the transpose of: its input is our output, its output our input,
  // and its [Cout, Cin, kH, kW] weight is our [in_channels, out_channels, kH, kW] one.
  ConvShape as_conv() const {
    ConvShape c;
    c.n = n;
    c.in_channels = out_channels;
    c.in_h = out_h();
    c.in_w = out_w();
    c.out_channels = in_channels;
    c.kernel_h = kernel_h;
    c.kernel_w = kernel_w;
    c.stride_h = stride_h;
    c.stride_w = stride_w;
    c.pad_h = pad_h;
    c.pad_w = pad_w;
    return c;
  }
  std::string str() const {
    auto s = [](int64_t v) { return std::to_string(v); };
    return "x [" + s(n) + ", " + s(in_channels) + ", " + s(in_h) + ", " + s(in_w) + "] *T w [" + s(in_channels) +
           ", " + s(out_channels) + ", " + s(kernel_h) + ", " + s(kernel_w) + "] stride (" + s(stride_h) + ", " +
           s(stride_w) + ") pad (" + s(pad_h) + ", " + s(pad_w) + ") output_pad (" + s(output_pad_h) + ", " +
           s(output_pad_w) + ")";
  }
};

}  // namespace aafgan::kernels

// The conv kernels that both backends define with the same arguments (kernels/cpu/conv.h,
// kernels/cuda/conv.h), listed once for their explicit instantiations: HOW is `template` or
// `extern template`, T float or double; used inside the backend's namespace.
#define AAFGAN_CONV_KERNELS(HOW, T)                                                                              \
  HOW void conv2d_forward<T>(const ConvShape&, const T*, const T*, const T*, T*, WriteMode);                      \
  HOW void conv2d_backward_data<T>(const ConvShape&, const T*, const T*, T*, WriteMode);                          \
  HOW void conv2d_backward_filter<T>(const ConvShape&, const T*, const T*, T*, WriteMode);                        \
  HOW void conv2d_backward_bias<T>(const ConvShape&, const T*, T*, WriteMode);                                    \
  HOW void conv_transpose2d_forward<T>(const ConvTransposeShape&, const T*, const T*, const T*, T*, WriteMode);   \
  HOW void conv_transpose2d_backward_data<T>(const ConvTransposeShape&, const T*, const T*, T*, WriteMode);       \
  HOW void conv_transpose2d_backward_filter<T>(const ConvTransposeShape&, const T*, const T*, T*, WriteMode);     \
  HOW void conv_transpose2d_backward_bias<T>(const ConvTransposeShape&, const T*, T*, WriteMode);
