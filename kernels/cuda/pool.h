#pragma once
// defines: max_pool2d_forward, max_pool2d_backward
//
// CUDA max_pool2d (engine/ops/pool.cpp): k×k windows, stride s (0 means s = k), zero padding p
// on every side (0 ≤ 2p ≤ k; default 0), floor mode, over x [planes = N·C, h, w]; the output is
// [planes, oh, ow] with oh = (h + 2p − k)/s + 1, ow = (w + 2p − k)/s + 1. The same bits as the
// CPU in both directions:
// - forward: one thread per output scans its window clipped to the input (padded cells take no
//   part, so they never win) in the CPU's order (rows, then columns), starting from the clipped
//   window's first cell; a strictly greater element replaces the maximum (the first maximum
//   wins ties) and so does any NaN (which then propagates, as PyTorch); the argmax is the index
//   within the plane (h·w), as the CPU's int32 argmax buffer;
// - backward: no atomics. One thread per input element gathers the gradients of the windows
//   that contain it and chose it as their argmax, in ascending window order, adding in T from
//   +0: exactly the CPU's scatter-add order, overlapping windows (s < k) included.
//
// No CUDA headers; device pointers; work on `stream` (nullptr = default stream), nothing
// synchronises; planes·h·w at most 2^31 − 1; failures throw std::runtime_error naming the kernel
// and the sizes.
#include <cstdint>

namespace aafgan::kernels::cuda {

// argmax may be null (no backward will run).
template <typename T>
void max_pool2d_forward(const T* x, T* y, int32_t* argmax, int64_t planes, int64_t h, int64_t w, int kernel,
                             int stride, int padding, void* stream);

// gx [planes, h, w] from gy [planes, oh, ow] and the forward's argmax; every element of gx is
// written (zeros where no window chose it).
template <typename T>
void max_pool2d_backward(const T* gy, const int32_t* argmax, T* gx, int64_t planes, int64_t h, int64_t w,
                              int kernel, int stride, int padding, void* stream);

extern template void max_pool2d_forward<float>(const float*, float*, int32_t*, int64_t, int64_t, int64_t, int,
                                                    int, int, void*);
extern template void max_pool2d_forward<double>(const double*, double*, int32_t*, int64_t, int64_t, int64_t, int,
                                                     int, int, void*);
extern template void max_pool2d_backward<float>(const float*, const int32_t*, float*, int64_t, int64_t, int64_t,
                                                     int, int, int, void*);
extern template void max_pool2d_backward<double>(const double*, const int32_t*, double*, int64_t, int64_t,
                                                      int64_t, int, int, int, void*);

}  // namespace aafgan::kernels::cuda
