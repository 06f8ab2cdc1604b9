#pragma once
// defines: max_pool2d_forward, max_pool2d_backward
//
// CPU twin of kernels/cuda/pool.h: max pooling over planes = N·C contiguous [h, w] images,
// window k×k, stride s (0 means s = k), padding p (0 ≤ 2p ≤ k; padded cells never win).
// Host pointers.
#include <cstdint>

namespace aafgan::kernels::cpu {

// y [planes, oh, ow]; argmax (when not null) receives each window's maximum as an index into
// its plane: the first maximum on ties, a NaN wins and propagates (PyTorch's rule).
template <typename T>
void max_pool2d_forward(const T* x, T* y, int32_t* argmax, int64_t planes, int64_t h, int64_t w, int kernel,
                        int stride, int padding = 0);

// gx [planes, h, w] = the gradient gy routed to each window's argmax (overwrites gx).
template <typename T>
void max_pool2d_backward(const T* gy, const int32_t* argmax, T* gx, int64_t planes, int64_t h, int64_t w, int kernel,
                         int stride, int padding = 0);

}  // namespace aafgan::kernels::cpu
