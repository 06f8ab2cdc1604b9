#pragma once
// BHSA: symmetric bi-hyperbolic adaptive (activations.md).
#include "kernels/math/act_common.h"

namespace aafgan::kernels {

// --- BHSA ---------------------------------------------------------------------------------
// y = D/k + off with D = 4u/(a + b), u = kλx, a = hypot(1 + u, kτ), b = hypot(1 − u, kτ).
template <typename T>
AAFGAN_HD T bhsa_forward(T x, T lam, T tau, Range r) {
  const T k = range_k<T>(r), t = k * tau;
  return hold_range(act_detail::bihyp(act_detail::scaled_input(k, lam, x), t, t).D / k + range_off<T>(r), r);
}

template <typename T>
AAFGAN_HD T bhsa_backward(T x, T lam, T tau, Range r, T& dlam, T& dtau) {
  const T k = range_k<T>(r), u = act_detail::scaled_input(k, lam, x), t = k * tau;
  const act_detail::BiHyp<T> h = act_detail::bihyp(u, t, t);
  const T dDdu = act_detail::bihyp_dDdu(u, t, t, h);
  dlam = x * dDdu;
  dtau = act_detail::bhsa_dDdt(t, h);  // (1/k)·dD/dt·k
  return lam * dDdu;
}

// The table's uniform signature (kernels/math/act_table.h): p holds the parameters in the
// row's order, dp receives their derivatives.
struct BhsaFormula {
  template <typename T>
  AAFGAN_HD static T forward(T x, const T* p, Range r) {
    return bhsa_forward(x, p[0], p[1], r);
  }
  template <typename T>
  AAFGAN_HD static T backward(T x, const T* p, Range r, T* dp) {
    return bhsa_backward(x, p[0], p[1], r, dp[0], dp[1]);
  }
};

}  // namespace aafgan::kernels
