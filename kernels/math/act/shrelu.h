#pragma once
// SHReLU: smooth hyperbolic ReLU (activations.md).
#include "kernels/math/act_common.h"

namespace aafgan::kernels {

// --- SHReLU: y = ½(x + sqrt(x² + τ²)) ---------------------------------------------------------
// For x < 0 the sum cancels, so y = ½τ²/(r − x) there (r = hypot(x, τ)). In both forms
// dy/dx = ½(1 + x/r) = y/r, which inherits the stable y.
template <typename T>
AAFGAN_HD T shrelu_forward(T x, T tau) {
  const T r = act_detail::hyp(x, tau);
  return x >= T(0) ? T(0.5) * (x + r) : T(0.5) * tau * act_detail::quot(tau, r - x);
}

template <typename T>
AAFGAN_HD T shrelu_backward(T x, T tau, T& dtau) {
  const T r = act_detail::hyp(x, tau);
  if (r == T(0)) {  // x = τ = 0: the ReLU kink; take the mean of the one-sided slopes
    dtau = T(0);
    return T(0.5);
  }
  const T y = x >= T(0) ? T(0.5) * (x + r) : T(0.5) * tau * act_detail::quot(tau, r - x);
  dtau = T(0.5) * act_detail::quot(tau, r);
  return act_detail::quot(y, r);
}

// The table's uniform signature (kernels/math/act_table.h): p holds the parameters in the
// row's order, dp receives their derivatives.
struct ShreluFormula {
  template <typename T>
  AAFGAN_HD static T forward(T x, const T* p, Range) {
    return shrelu_forward(x, p[0]);
  }
  template <typename T>
  AAFGAN_HD static T backward(T x, const T* p, Range, T* dp) {
    return shrelu_backward(x, p[0], dp[0]);
  }
};

}  // namespace aafgan::kernels
