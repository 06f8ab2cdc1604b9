#pragma once
// Scalar formulas of engine ops that were written inline in engine/*.cpp (affine, rdiv, the random
// fills, binary cross-entropy, log-softmax, nll), shared by the CPU loops and the CUDA kernels
// (kernels/cuda/*.cu) so that each is written once.
//
// Rounding: the CPU build never fuses a·b + c into one FMA (-ffp-contract=off), but nvcc does by
// default (-fmad=true). The formulas here therefore round each product and sum explicitly through
// mul_rn/add_rn/sub_rn: the __fmul_rn/__dadd_rn/… intrinsics on the device, which are never
// contracted, and the plain operators on the host. +, −, ·, / and sqrt are correctly rounded on
// both (nvcc's defaults -prec-div=true -prec-sqrt=true), so a formula built from them gives the
// same bits on both devices; exp/log/log1p/cos differ by an ulp or so between CUDA's and glibc's
// libraries.
#include <cmath>
#include <cstdint>

#include "kernels/hd.h"

namespace aafgan::kernels {

// --- exactly rounded arithmetic -------------------------------------------------------------

AAFGAN_HD float mul_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}
AAFGAN_HD double mul_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dmul_rn(a, b);
#else
  return a * b;
#endif
}
AAFGAN_HD float add_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(a, b);
#else
  return a + b;
#endif
}
AAFGAN_HD double add_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dadd_rn(a, b);
#else
  return a + b;
#endif
}
AAFGAN_HD float sub_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fsub_rn(a, b);
#else
  return a - b;
#endif
}
AAFGAN_HD double sub_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dsub_rn(a, b);
#else
  return a - b;
#endif
}

// std::max(a, b) exactly: a NaN `a` is returned (passes through), a NaN `b` is not.
template <typename T>
AAFGAN_HD T max_keep_nan_a(T a, T b) { return a < b ? b : a; }

// --- arithmetic (engine/ops/arithmetic.cpp) --------------------------------------------------

// y = s·x + t, s and t already rounded to T.
template <typename T>
AAFGAN_HD T affine_fwd(T x, T s, T t) { return add_rn(mul_rn(s, x), t); }

// y = s / x, s already rounded to T.
template <typename T>
AAFGAN_HD T rdiv_fwd(T s, T x) { return s / x; }

// --- random fills (engine/random.cpp) ----------------------------------------------------------

// mean + std·z for a standard normal z (philox_normal), in double; the caller rounds to T once.
AAFGAN_HD double normal_value(double mean, double std, double z) { return add_rn(mean, mul_rn(std, z)); }

// low + (high − low)·u for a uniform u in (0, 1] (philox_uniform), in double.
AAFGAN_HD double uniform_value(double low, double high, double u) {
  return add_rn(low, mul_rn(sub_rn(high, low), u));
}

// --- binary cross-entropy (engine/ops/loss.cpp) ----------------------------------------------

constexpr double kBceLogClamp = -100.0;  // PyTorch's BCELoss clamps each log at −100
constexpr double kBceGradEps = 1e-12;    // and its gradient's denominator p(1 − p) at 1e-12

// The clamped logs of one prediction: max(log p, −100) and max(log(1 − p), −100). A NaN p gives
// NaN logs (the clamp lets NaN through, as std::max does), so a NaN loss reports divergence.
AAFGAN_HD double bce_log_p(double p) { return max_keep_nan_a(std::log(p), kBceLogClamp); }
AAFGAN_HD double bce_log_1mp(double p) { return max_keep_nan_a(std::log1p(-p), kBceLogClamp); }

// t·log p + (1 − t)·log(1 − p) (clamped): the loss is −mean of these terms.
AAFGAN_HD double bce_term(double p, double t) {
  return add_rn(mul_rn(t, bce_log_p(p)), mul_rn(sub_rn(1.0, t), bce_log_1mp(p)));
}

// ∂loss/∂p for one element, scale = upstream gradient / n: scale·(p − t) / max(p(1 − p), 1e-12).
AAFGAN_HD double bce_grad_p(double p, double t, double scale) {
  return mul_rn(scale, sub_rn(p, t)) / max_keep_nan_a(mul_rn(p, sub_rn(1.0, p)), kBceGradEps);
}

// ∂loss/∂t for one element: scale·(log(1 − p) − log p), both clamped.
AAFGAN_HD double bce_grad_t(double p, double scale) { return mul_rn(scale, sub_rn(bce_log_1mp(p), bce_log_p(p))); }

// Whether p is a valid prediction: not outside [0, 1] (NaN counts as valid: it passes through).
AAFGAN_HD bool bce_prediction_ok(double p) { return !(p < 0.0 || p > 1.0); }

// --- log-softmax along dimension 1 of [N, C] -------------------------------------------------

// One term of the row's sum of exponentials, m being the row maximum: exp(x − m), the difference
// in T, the exponential in double.
template <typename T>
AAFGAN_HD double log_softmax_exp_term(T x, T m) { return std::exp(static_cast<double>(x - m)); }

// The row's log-sum-exp from its maximum and its sum of exp_terms.
template <typename T>
AAFGAN_HD T log_softmax_lse(T m, double sum_exp) { return m + static_cast<T>(std::log(sum_exp)); }

// y = x − lse.
template <typename T>
AAFGAN_HD T log_softmax_fwd(T x, T lse) { return x - lse; }

// gx = g − exp(y)·Σ_row g, with the row sum (taken in double) rounded to T.
template <typename T>
AAFGAN_HD T log_softmax_bwd(T y, T g, T row_sum_g) { return sub_rn(g, mul_rn(std::exp(y), row_sum_g)); }

// --- negative log-likelihood --------------------------------------------------------------------

// The class index a label value holds, or −1 when it is not an integer in [0, classes).
AAFGAN_HD int64_t nll_class_index(double label, int64_t classes) {
  const bool ok = label == std::floor(label) && label >= 0 && label < static_cast<double>(classes);
  return ok ? static_cast<int64_t>(label) : int64_t(-1);
}

// The value the gradient puts at each row's label: −upstream / rows (in double, rounded to T by
// the caller).
AAFGAN_HD double nll_grad_value(double upstream, int64_t rows) { return -upstream / static_cast<double>(rows); }

}  // namespace aafgan::kernels
