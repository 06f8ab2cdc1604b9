#pragma once
// defines: avg_pool2d_forward, avg_pool2d_backward, global_avg_pool2d_forward,
//          global_avg_pool2d_backward, interpolate_bilinear_forward, interpolate_bilinear_backward
//
// CUDA image ops of the FID Inception (engine/ops/image_ops.h): avg_pool2d with padding,
// global_avg_pool2d and bilinear resizing (align_corners=False), forward and backward, over
// planes = N·C contiguous [h, w] images. Max pooling with padding is in pool.h.
//
// Each kernel mirrors its CPU op's arithmetic: the same terms, added in the same order, in the
// same precision, every product and sum rounded on its own (mul_rn/add_rn of kernels/math/*.h,
// never fused into an FMA; the CPU build has -ffp-contract=off), so results are the CPU's bits:
// - avg_pool2d forward: one thread per output sums each window row in double (ascending
//   columns, from +0), then those row sums (ascending rows, from +0), and multiplies by the
//   double 1/divisor, rounded to T once: the CPU's separable sum gives the same terms in the
//   same order;
// - avg_pool2d backward: one thread per input element gathers gy/divisor (in T) of every window
//   that covers it, in ascending output order, from +0: the CPU's scatter-add order;
// - global_avg_pool2d forward: for planes of at most kGlobalPoolSeqMax elements (FID's 8×8),
//   one thread per plane adds in ascending order in double and divides by the count: the CPU's
//   bits. Larger planes take a block per plane (each thread adds a strided subset in ascending
//   order in double, then a fixed tree): deterministic, but the double sum may round
//   differently from the CPU's sequential one, so f32 results can (rarely) differ by an ulp and
//   f64 results by a few ulps;
// - global_avg_pool2d backward: gy / count in T, elementwise, the CPU's bits;
// - interpolate_bilinear forward: one thread per output computes its taps with bilinear_tap
//   (below, the very function the CPU op uses) and mixes its four neighbours as the CPU does;
// - interpolate_bilinear backward: one thread per input element finds the output rows and
//   columns whose taps reach it (a binary search: the taps' first index never decreases along
//   the output) and adds v·a·b of each, in ascending output order and, within an output, in the
//   CPU's order of its four statements, from +0.
// No floating-point atomics anywhere: every run gives the same bits.
//
// No CUDA headers; device pointers; work on `stream` (nullptr = the default stream), nothing
// synchronises; element counts (planes·h·w, planes·out_h·out_w) at most 2^31 − 1; bad sizes and
// failed launches throw std::runtime_error naming the function or kernel and the sizes.
#include <cstdint>

#include "kernels/math/image_ops.h"

namespace aafgan::kernels::cuda {

// --- kernels ---------------------------------------------------------------------------------

// global_avg_pool2d_forward adds a plane in one thread, in the CPU's order, up to this size.
constexpr int64_t kGlobalPoolSeqMax = 1024;

// avg_pool2d: x [planes, h, w] → y [planes, oh, ow], window k×k, stride s (0 means s = k),
// padding p (0 ≤ 2p ≤ k), floor mode: oh = (h + 2p − k)/s + 1, likewise ow. Each window's sum
// is divided by the padded cells it covers when count_include_pad, else by its input cells
// (engine/ops/image_ops.h).
template <typename T>
void avg_pool2d_forward(const T* x, T* y, int64_t planes, int64_t h, int64_t w, int kernel, int stride,
                             int padding, bool count_include_pad, void* stream);
// gx [planes, h, w] from gy [planes, oh, ow]; every element of gx is written.
template <typename T>
void avg_pool2d_backward(const T* gy, T* gx, int64_t planes, int64_t h, int64_t w, int kernel, int stride,
                              int padding, bool count_include_pad, void* stream);

// global_avg_pool2d: x [planes, plane] → y [planes], the mean of each plane (plane ≥ 1).
template <typename T>
void global_avg_pool2d_forward(const T* x, T* y, int64_t planes, int64_t plane, void* stream);
// gx [planes, plane] = gy[pl] / plane.
template <typename T>
void global_avg_pool2d_backward(const T* gy, T* gx, int64_t planes, int64_t plane, void* stream);

// interpolate_bilinear: x [planes, h, w] → y [planes, out_h, out_w] (all sizes ≥ 1).
template <typename T>
void interpolate_bilinear_forward(const T* x, T* y, int64_t planes, int64_t h, int64_t w, int64_t out_h,
                                       int64_t out_w, void* stream);
// gx [planes, h, w] from gy [planes, out_h, out_w]; every element of gx is written.
template <typename T>
void interpolate_bilinear_backward(const T* gy, T* gx, int64_t planes, int64_t h, int64_t w, int64_t out_h,
                                        int64_t out_w, void* stream);

extern template void avg_pool2d_forward<float>(const float*, float*, int64_t, int64_t, int64_t, int, int, int,
                                                    bool, void*);
extern template void avg_pool2d_forward<double>(const double*, double*, int64_t, int64_t, int64_t, int, int, int,
                                                     bool, void*);
extern template void avg_pool2d_backward<float>(const float*, float*, int64_t, int64_t, int64_t, int, int, int,
                                                     bool, void*);
extern template void avg_pool2d_backward<double>(const double*, double*, int64_t, int64_t, int64_t, int, int,
                                                      int, bool, void*);
extern template void global_avg_pool2d_forward<float>(const float*, float*, int64_t, int64_t, void*);
extern template void global_avg_pool2d_forward<double>(const double*, double*, int64_t, int64_t, void*);
extern template void global_avg_pool2d_backward<float>(const float*, float*, int64_t, int64_t, void*);
extern template void global_avg_pool2d_backward<double>(const double*, double*, int64_t, int64_t, void*);
extern template void interpolate_bilinear_forward<float>(const float*, float*, int64_t, int64_t, int64_t,
                                                              int64_t, int64_t, void*);
extern template void interpolate_bilinear_forward<double>(const double*, double*, int64_t, int64_t, int64_t,
                                                               int64_t, int64_t, void*);
extern template void interpolate_bilinear_backward<float>(const float*, float*, int64_t, int64_t, int64_t,
                                                               int64_t, int64_t, void*);
extern template void interpolate_bilinear_backward<double>(const double*, double*, int64_t, int64_t, int64_t,
                                                                int64_t, int64_t, void*);

}  // namespace aafgan::kernels::cuda
