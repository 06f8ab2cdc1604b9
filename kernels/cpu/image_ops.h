#pragma once
// defines: avg_pool2d_forward, avg_pool2d_backward, global_avg_pool2d_forward,
//          global_avg_pool2d_backward, interpolate_bilinear_forward, interpolate_bilinear_backward
//
// CPU twins of kernels/cuda/image_ops.h: avg_pool2d with padding, global_avg_pool2d and
// bilinear resizing (align_corners=False), forward and backward, over planes = N·C contiguous
// [h, w] images, with the index arithmetic of kernels/math/image_ops.h. Sums of f32 run in
// double. Host pointers; every output is overwritten.
#include <cstdint>

namespace aafgan::kernels::cpu {

// Window k×k, stride s (0 means s = k), padding p (0 ≤ 2p ≤ k), floor mode; PyTorch's divisor
// rule (count_include_pad).
template <typename T>
void avg_pool2d_forward(const T* x, T* y, int64_t planes, int64_t h, int64_t w, int kernel, int stride, int padding,
                        bool count_include_pad);
template <typename T>
void avg_pool2d_backward(const T* gy, T* gx, int64_t planes, int64_t h, int64_t w, int kernel, int stride,
                         int padding, bool count_include_pad);

// y [planes] = the mean of each plane of `plane` elements.
template <typename T>
void global_avg_pool2d_forward(const T* x, T* y, int64_t planes, int64_t plane);
template <typename T>
void global_avg_pool2d_backward(const T* gy, T* gx, int64_t planes, int64_t plane);

template <typename T>
void interpolate_bilinear_forward(const T* x, T* y, int64_t planes, int64_t h, int64_t w, int64_t out_h,
                                  int64_t out_w);
template <typename T>
void interpolate_bilinear_backward(const T* gy, T* gx, int64_t planes, int64_t h, int64_t w, int64_t out_h,
                                   int64_t out_w);

}  // namespace aafgan::kernels::cpu
