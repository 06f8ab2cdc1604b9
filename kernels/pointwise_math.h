#pragma once
// Scalar formulas of the elementary differentiable maps (engine/ops/pointwise.h), shared by the
// CPU loops and any CUDA kernel. Each map has a forward and a backward that returns the input
// gradient from the upstream gradient g and whichever of x or y = f(x) is cheaper to use.
#include <cmath>

#include "kernels/hd.h"

namespace aafgan::kernels {

// y = sqrt(x); dy/dx = 1/(2y), in terms of y. At x = 0 the gradient is +inf, as in PyTorch.
template <typename T>
AAFGAN_HD T sqrt_fwd(T x) { return std::sqrt(x); }
template <typename T>
AAFGAN_HD T sqrt_bwd_y(T y, T g) { return g / (T(2) * y); }

// y = exp(x); dy/dx = y.
template <typename T>
AAFGAN_HD T exp_fwd(T x) { return std::exp(x); }
template <typename T>
AAFGAN_HD T exp_bwd_y(T y, T g) { return g * y; }

// y = log(x); dy/dx = 1/x.
template <typename T>
AAFGAN_HD T log_fwd(T x) { return std::log(x); }
template <typename T>
AAFGAN_HD T log_bwd_x(T x, T g) { return g / x; }

// y = log(1 + x), accurate for small |x|; dy/dx = 1/(1 + x).
template <typename T>
AAFGAN_HD T log1p_fwd(T x) { return std::log1p(x); }
template <typename T>
AAFGAN_HD T log1p_bwd_x(T x, T g) { return g / (T(1) + x); }

// y = log(1 + exp(x)), as activations.md prescribes: x for x > 20, log1p(exp(x)) otherwise, so
// exp never overflows. dy/dx = sigmoid(x), from exp(−|x|) so it never overflows either.
template <typename T>
AAFGAN_HD T softplus_fwd(T x) { return x > T(20) ? x : std::log1p(std::exp(x)); }
template <typename T>
AAFGAN_HD T softplus_bwd_x(T x, T g) {
  const T e = std::exp(-std::fabs(x));
  return g * (x >= T(0) ? T(1) / (T(1) + e) : e / (T(1) + e));
}

// y = |x|; the subgradient 0 at x = 0, as PyTorch.
template <typename T>
AAFGAN_HD T abs_fwd(T x) { return std::fabs(x); }
template <typename T>
AAFGAN_HD T abs_bwd_x(T x, T g) { return x > T(0) ? g : (x < T(0) ? -g : T(0)); }

// y = x².
template <typename T>
AAFGAN_HD T square_fwd(T x) { return x * x; }
template <typename T>
AAFGAN_HD T square_bwd_x(T x, T g) { return T(2) * x * g; }

// y = min(max(x, lo), hi); the gradient passes where lo ≤ x ≤ hi (bounds included, as PyTorch)
// and is zero where the clamp is active.
template <typename T>
AAFGAN_HD T clamp_fwd(T x, T lo, T hi) { return x < lo ? lo : (x > hi ? hi : x); }
template <typename T>
AAFGAN_HD T clamp_bwd_x(T x, T lo, T hi, T g) { return (x < lo || x > hi) ? T(0) : g; }

}  // namespace aafgan::kernels
