#pragma once
// 2-D convolution and transposed convolution on cuDNN (its legacy convolution API), for
// contiguous NCHW tensors in float32 or float64, with stride and padding per axis (dilation 1,
// one group). The semantics are those of engine/ops/conv.cpp: conv2d takes x [N, Cin, H, W]
// and weight [Cout, Cin, kH, kW]; conv_transpose2d takes x [N, Cin, H, W] and weight
// [Cin, Cout, kH, kW] (PyTorch's layout) and gives [N, Cout, (H−1)·sH − 2·pH + kH + opH, ...].
// A transposed convolution is the adjoint of the convolution whose input is its output, so
// its forward is that convolution's backward-data, and so on: the wrappers below do the
// swapping.
//
// All pointers are device pointers; nothing may overlap an output. Every call runs on the
// current device's context stream (device_context.h), asynchronously. `mode` says whether the
// result overwrites the output (its old contents are never read) or is added to it.
//
// Algorithms: chosen on first use of a (direction, shapes, strides, padding, dtype, device,
// deterministic flag, TF32 flag, workspace limit) combination and cached for the process.
// Normal mode benchmarks every algorithm (cudnnFind*AlgorithmEx) and takes the fastest that
// runs; deterministic mode (set_deterministic) takes the first of a fixed list of algorithms
// that cuDNN marks deterministic, without timing. Workspaces come from the caching allocator
// and are capped by conv_workspace_limit(). With TF32 off (the default), float32 runs in true
// fp32 (CUDNN_FMA_MATH); see set_allow_tf32.
//
// Errors throw std::runtime_error naming the operation, the shapes, the dtype and cuDNN's
// message. A CUDA build without cuDNN throws "this build has no cuDNN"; a build without the
// CUDA toolkit throws "this build has no CUDA backend".
#include <cstddef>
#include <cstdint>
#include <string>

#include "kernels/cuda/device_context.h"

namespace aafgan::kernels::cuda {

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

// --- conv2d ---------------------------------------------------------------------------------
// y = conv(x, weight) (+ bias[c] on channel c when bias is not null), or y += that.
template <typename T>
void conv2d_forward(const ConvShape& s, const T* x, const T* weight, const T* bias, T* y, WriteMode mode);
// gx [n, Cin, H, W] = the input gradient for output gradient gy [n, Cout, OH, OW].
template <typename T>
void conv2d_backward_data(const ConvShape& s, const T* gy, const T* weight, T* gx, WriteMode mode);
// gweight [Cout, Cin, kH, kW] = Σ over the batch of the weight gradient.
template <typename T>
void conv2d_backward_filter(const ConvShape& s, const T* x, const T* gy, T* gweight, WriteMode mode);
// gbias [Cout] = Σ of gy over n, OH, OW per channel (double accumulation, fixed order:
// deterministic).
template <typename T>
void conv2d_backward_bias(const ConvShape& s, const T* gy, T* gbias, WriteMode mode);

// --- conv_transpose2d -----------------------------------------------------------------------
// y [n, Cout, OH, OW] = conv_transpose(x, weight) (+ bias[c]), or y += that.
template <typename T>
void conv_transpose2d_forward(const ConvTransposeShape& s, const T* x, const T* weight, const T* bias, T* y,
                              WriteMode mode);
// gx [n, Cin, H, W] for output gradient gy [n, Cout, OH, OW].
template <typename T>
void conv_transpose2d_backward_data(const ConvTransposeShape& s, const T* gy, const T* weight, T* gx,
                                    WriteMode mode);
// gweight [Cin, Cout, kH, kW].
template <typename T>
void conv_transpose2d_backward_filter(const ConvTransposeShape& s, const T* x, const T* gy, T* gweight,
                                      WriteMode mode);
// gbias [Cout] = Σ of gy over n, OH, OW per channel.
template <typename T>
void conv_transpose2d_backward_bias(const ConvTransposeShape& s, const T* gy, T* gbias, WriteMode mode);

// The most workspace one convolution may use, and the most the algorithm search may hold
// while benchmarking (default 256 MiB). Process-wide; part of the algorithm cache's key.
size_t conv_workspace_limit();
void set_conv_workspace_limit(size_t bytes);

// How many algorithm choices are cached (for tests and diagnostics). Never throws.
size_t conv_algorithm_cache_size();

#define AAFGAN_CUDA_CONV_EXTERN(T)                                                                              \
  extern template void conv2d_forward<T>(const ConvShape&, const T*, const T*, const T*, T*, WriteMode);         \
  extern template void conv2d_backward_data<T>(const ConvShape&, const T*, const T*, T*, WriteMode);             \
  extern template void conv2d_backward_filter<T>(const ConvShape&, const T*, const T*, T*, WriteMode);           \
  extern template void conv2d_backward_bias<T>(const ConvShape&, const T*, T*, WriteMode);                       \
  extern template void conv_transpose2d_forward<T>(const ConvTransposeShape&, const T*, const T*, const T*, T*, \
                                                   WriteMode);                                                   \
  extern template void conv_transpose2d_backward_data<T>(const ConvTransposeShape&, const T*, const T*, T*,     \
                                                         WriteMode);                                             \
  extern template void conv_transpose2d_backward_filter<T>(const ConvTransposeShape&, const T*, const T*, T*,   \
                                                           WriteMode);                                           \
  extern template void conv_transpose2d_backward_bias<T>(const ConvTransposeShape&, const T*, T*, WriteMode);
AAFGAN_CUDA_CONV_EXTERN(float)
AAFGAN_CUDA_CONV_EXTERN(double)
#undef AAFGAN_CUDA_CONV_EXTERN

}  // namespace aafgan::kernels::cuda
