#pragma once
// BHATA: BHAA clamped to the target range (activations.md).
#include "kernels/math/act_common.h"

namespace aafgan::kernels {

// --- BHATA: BHAA clamped to the target range; zero gradient where the clamp is active -------
template <typename T>
AAFGAN_HD T bhata_forward(T x, T lam, T tau1, T tau2, Range r) {
  const T y = act_detail::bhaa_value(x, lam, tau1, tau2, r);
  const T lo = range_lo<T>(r), hi = range_hi<T>(r);
  return y > hi ? hi : (y < lo ? lo : y);
}

template <typename T>
AAFGAN_HD T bhata_backward(T x, T lam, T tau1, T tau2, Range r, T& dlam, T& dtau1, T& dtau2) {
  const act_detail::BhaaGrad<T> g = act_detail::bhaa_grad(x, lam, tau1, tau2, r);
  if (g.y > range_hi<T>(r) || g.y < range_lo<T>(r)) {
    dlam = dtau1 = dtau2 = T(0);
    return T(0);
  }
  dlam = g.dl;
  dtau1 = g.dt1;
  dtau2 = g.dt2;
  return g.dx;
}

// The table's uniform signature (kernels/math/act_table.h): p holds the parameters in the
// row's order, dp receives their derivatives.
struct BhataFormula {
  template <typename T>
  AAFGAN_HD static T forward(T x, const T* p, Range r) {
    return bhata_forward(x, p[0], p[1], p[2], r);
  }
  template <typename T>
  AAFGAN_HD static T backward(T x, const T* p, Range r, T* dp) {
    return bhata_backward(x, p[0], p[1], p[2], r, dp[0], dp[1], dp[2]);
  }
};

}  // namespace aafgan::kernels
