#pragma once
// Binary cross-entropy, log-softmax along dimension 1 of [N, C], and the negative
// log-likelihood: the per-element formulas kernels/cpu/loss.cpp and kernels/cuda/loss.cu share.
#include <cmath>
#include <cstdint>

#include "kernels/math/hd.h"
#include "kernels/math/rounding.h"

namespace aafgan::kernels {

// --- binary cross-entropy ----------------------------------------------

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
