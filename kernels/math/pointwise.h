#pragma once
// Scalar formulas of the elementary differentiable maps (engine/ops/pointwise.h) and the fixed
// activations (relu, leaky_relu, sigmoid, tanh), their op enum and names, shared by
// kernels/cpu/pointwise.cpp and kernels/cuda/pointwise.cu. Each map has a forward and a backward that returns the input
// gradient from the upstream gradient g and whichever of x or y = f(x) is cheaper to use.
#include <cmath>
#include <type_traits>

#include "kernels/math/hd.h"
#if !defined(__CUDA_ARCH__)
#include "kernels/cpu/vec_math.h"
#endif

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

// --- fixed activations ------------------------------------------------------------------
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

// --- the op enum ---------------------------------------------------------------------------

enum class UnaryOp { sqrt, exp, log, log1p, softplus, abs, square, clamp, relu, leaky_relu, sigmoid, tanh };

inline const char* unary_op_name(UnaryOp op) {
  switch (op) {
    case UnaryOp::sqrt: return "sqrt";
    case UnaryOp::exp: return "exp";
    case UnaryOp::log: return "log";
    case UnaryOp::log1p: return "log1p";
    case UnaryOp::softplus: return "softplus";
    case UnaryOp::abs: return "abs";
    case UnaryOp::square: return "square";
    case UnaryOp::clamp: return "clamp";
    case UnaryOp::relu: return "relu";
    case UnaryOp::leaky_relu: return "leaky_relu";
    case UnaryOp::sigmoid: return "sigmoid";
    case UnaryOp::tanh: return "tanh";
  }
  return "?";
}

// Whether the backward formula reads the output y (else the input x).
constexpr bool unary_backward_uses_output(UnaryOp op) {
  return op == UnaryOp::sqrt || op == UnaryOp::exp || op == UnaryOp::sigmoid || op == UnaryOp::tanh;
}

// y = f(x); a and b are the op's scalars (clamp's bounds, leaky_relu's slope).
template <UnaryOp Op, typename T>
AAFGAN_HD T unary_fwd(T x, T a, T b) {
  if constexpr (Op == UnaryOp::sqrt) return sqrt_fwd(x);
  else if constexpr (Op == UnaryOp::exp) return exp_fwd(x);
  else if constexpr (Op == UnaryOp::log) return log_fwd(x);
  else if constexpr (Op == UnaryOp::log1p) return log1p_fwd(x);
  else if constexpr (Op == UnaryOp::softplus) return softplus_fwd(x);
  else if constexpr (Op == UnaryOp::abs) return abs_fwd(x);
  else if constexpr (Op == UnaryOp::square) return square_fwd(x);
  else if constexpr (Op == UnaryOp::clamp) return clamp_fwd(x, a, b);
  else if constexpr (Op == UnaryOp::relu) return relu_fwd(x);
  else if constexpr (Op == UnaryOp::leaky_relu) return leaky_relu_fwd(x, a);
  else if constexpr (Op == UnaryOp::sigmoid) return sigmoid_fwd(x);
  else return tanh_fwd(x);
}

// gx = f'(·)·g from s, which is x or y as unary_backward_uses_output(Op) says.
template <UnaryOp Op, typename T>
AAFGAN_HD T unary_bwd(T s, T g, T a, T b) {
  if constexpr (Op == UnaryOp::sqrt) return sqrt_bwd_y(s, g);
  else if constexpr (Op == UnaryOp::exp) return exp_bwd_y(s, g);
  else if constexpr (Op == UnaryOp::log) return log_bwd_x(s, g);
  else if constexpr (Op == UnaryOp::log1p) return log1p_bwd_x(s, g);
  else if constexpr (Op == UnaryOp::softplus) return softplus_bwd_x(s, g);
  else if constexpr (Op == UnaryOp::abs) return abs_bwd_x(s, g);
  else if constexpr (Op == UnaryOp::square) return square_bwd_x(s, g);
  else if constexpr (Op == UnaryOp::clamp) return clamp_bwd_x(s, a, b, g);
  else if constexpr (Op == UnaryOp::relu) return relu_bwd(s, g);
  else if constexpr (Op == UnaryOp::leaky_relu) return leaky_relu_bwd(s, a, g);
  else if constexpr (Op == UnaryOp::sigmoid) return sigmoid_bwd(s, g);
  else return tanh_bwd(s, g);
}

// Calls fn(std::integral_constant<UnaryOp, op>{}): the one place that turns the runtime op
// into a template argument, for the loops of both backends.
template <typename Fn>
void dispatch_unary(UnaryOp op, Fn&& fn) {
  switch (op) {
#define AAFGAN_UNARY_CASE(name) \
  case UnaryOp::name: return fn(std::integral_constant<UnaryOp, UnaryOp::name>{});
    AAFGAN_UNARY_CASE(sqrt) AAFGAN_UNARY_CASE(exp) AAFGAN_UNARY_CASE(log) AAFGAN_UNARY_CASE(log1p)
    AAFGAN_UNARY_CASE(softplus) AAFGAN_UNARY_CASE(abs) AAFGAN_UNARY_CASE(square) AAFGAN_UNARY_CASE(clamp)
    AAFGAN_UNARY_CASE(relu) AAFGAN_UNARY_CASE(leaky_relu) AAFGAN_UNARY_CASE(sigmoid) AAFGAN_UNARY_CASE(tanh)
#undef AAFGAN_UNARY_CASE
  }
}

}  // namespace aafgan::kernels
