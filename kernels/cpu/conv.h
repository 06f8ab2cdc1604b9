#pragma once
// defines: conv2d_forward, conv2d_backward_data, conv2d_backward_filter, conv2d_backward_bias,
//          conv_transpose2d_forward, conv_transpose2d_backward_data,
//          conv_transpose2d_backward_filter, conv_transpose2d_backward_bias
//
// CPU twin of kernels/cuda/conv.h: 2-D convolution and transposed convolution on im2col +
// GEMM (im2col.h, gemm.h), for contiguous NCHW arrays, stride and padding per axis (dilation 1,
// one group). conv2d: x [N, Cin, H, W], weight [Cout, Cin, kH, kW]; conv_transpose2d: x
// [N, Cin, H, W], weight [Cin, Cout, kH, kW] (PyTorch's layouts); shapes in
// kernels/math/conv.h. `mode` overwrites the output or adds to it. Bias sums run in double.
// Host pointers; batches are split over the OpenMP threads.
#include <cstdint>

#include "kernels/math/conv.h"

namespace aafgan::kernels::cpu {

// y = conv(x, weight) (+ bias[c] on channel c when bias is not null).
template <typename T>
void conv2d_forward(const ConvShape& s, const T* x, const T* weight, const T* bias, T* y, WriteMode mode);
template <typename T>
void conv2d_backward_data(const ConvShape& s, const T* gy, const T* weight, T* gx, WriteMode mode);
template <typename T>
void conv2d_backward_filter(const ConvShape& s, const T* x, const T* gy, T* gweight, WriteMode mode);
template <typename T>
void conv2d_backward_bias(const ConvShape& s, const T* gy, T* gbias, WriteMode mode);

template <typename T>
void conv_transpose2d_forward(const ConvTransposeShape& s, const T* x, const T* weight, const T* bias, T* y,
                              WriteMode mode);
template <typename T>
void conv_transpose2d_backward_data(const ConvTransposeShape& s, const T* gy, const T* weight, T* gx,
                                    WriteMode mode);
template <typename T>
void conv_transpose2d_backward_filter(const ConvTransposeShape& s, const T* x, const T* gy, T* gweight,
                                      WriteMode mode);
template <typename T>
void conv_transpose2d_backward_bias(const ConvTransposeShape& s, const T* gy, T* gbias, WriteMode mode);

}  // namespace aafgan::kernels::cpu
