#pragma once
// Scalar formulas of the fixed activations, shared by the CPU loops and CUDA kernels.
#include <cmath>

#include "kernels/hd.h"
#if !defined(__CUDA_ARCH__)
#include "kernels/cpu/vec_math.h"
#endif

namespace aafgan::kernels {

template <typename T>
AAFGAN_HD T relu_fwd(T x) { return x > T(0) ? x : T(0); }
template <typename T>
AAFGAN_HD T relu_bwd(T x, T g) { return x > T(0) ? g : T(0); }

template <typename T>
AAFGAN_HD T leaky_relu_fwd(T x, T slope) { return x > T(0) ? x : x * slope; }
template <typename T>
AAFGAN_HD T leaky_relu_bwd(T x, T slope, T g) { return x > T(0) ? g : g * slope; }

// Written so that exp never overflows: for x < 0 use e^x / (1 + e^x).
template <typename T>
AAFGAN_HD T sigmoid_fwd(T x) {
  if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
  const T e = std::exp(x);
  return e / (T(1) + e);
}
// In terms of the output y = sigmoid(x).
template <typename T>
AAFGAN_HD T sigmoid_bwd(T y, T g) { return g * y * (T(1) - y); }

template <typename T>
AAFGAN_HD T tanh_fwd(T x) {
#if defined(__CUDA_ARCH__)
  return std::tanh(x);
#else
  return vm::tanh(x);  // libm's tanhf is an opaque call through expm1f, ~3× slower
#endif
}
template <typename T>
AAFGAN_HD T tanh_bwd(T y, T g) { return g * (T(1) - y * y); }

}  // namespace aafgan::kernels
