#pragma once
// defines: conv2d_forward, conv2d_backward_data, conv2d_backward_filter, conv2d_backward_bias,
//          conv_transpose2d_forward, conv_transpose2d_backward_data,
//          conv_transpose2d_backward_filter, conv_transpose2d_backward_bias, conv_workspace_limit,
//          set_conv_workspace_limit, conv_algorithm_cache_size
//
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
// fp32 (CUDNN_FMA_MATH); see set_allow_tf32. No choice is made while the context stream is
// being captured into a CUDA graph (it would invalidate the capture): a combination first seen
// then throws std::runtime_error naming it (conv_plan_cache.h), so every convolution shape
// must run eagerly once before capture.
//
// Errors throw std::runtime_error naming the operation, the shapes, the dtype and cuDNN's
// message. A CUDA build without cuDNN throws "this build has no cuDNN"; a build without the
// CUDA toolkit throws "this build has no CUDA backend".
#include <cstddef>
#include <cstdint>
#include <string>

#include "kernels/cuda/device_context.h"
#include "kernels/math/conv.h"

namespace aafgan::kernels::cuda {

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

AAFGAN_CONV_KERNELS(extern template, float)
AAFGAN_CONV_KERNELS(extern template, double)

}  // namespace aafgan::kernels::cuda
