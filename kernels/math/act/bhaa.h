#pragma once
// BHAA: the raw asymmetric bi-hyperbolic function, untruncated (activations.md).
#include "kernels/math/act_common.h"

namespace aafgan::kernels {

// --- BHAA (raw, untruncated) ----------------------------------------------------------------
template <typename T>
AAFGAN_HD T bhaa_forward(T x, T lam, T tau1, T tau2, Range r) {
  return act_detail::bhaa_value(x, lam, tau1, tau2, r);
}

template <typename T>
AAFGAN_HD T bhaa_backward(T x, T lam, T tau1, T tau2, Range r, T& dlam, T& dtau1, T& dtau2) {
  const act_detail::BhaaGrad<T> g = act_detail::bhaa_grad(x, lam, tau1, tau2, r);
  dlam = g.dl;
  dtau1 = g.dt1;
  dtau2 = g.dt2;
  return g.dx;
}

// The table's uniform signature (kernels/math/act_table.h): p holds the parameters in the
// row's order, dp receives their derivatives.
struct BhaaFormula {
  template <typename T>
  AAFGAN_HD static T forward(T x, const T* p, Range r) {
    return bhaa_forward(x, p[0], p[1], p[2], r);
  }
  template <typename T>
  AAFGAN_HD static T backward(T x, const T* p, Range r, T* dp) {
    return bhaa_backward(x, p[0], p[1], p[2], r, dp[0], dp[1], dp[2]);
  }
};

}  // namespace aafgan::kernels
