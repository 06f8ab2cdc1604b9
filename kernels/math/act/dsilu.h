#pragma once
// DSILU: the adaptive derivative of SiLU (activations.md).
#include "kernels/math/act_common.h"

namespace aafgan::kernels {

// --- DSILU: d(z) = σ(z)(1 + z(1 − σ(z))), z = βx ---------------------------------------------
// unit: (d + 0.1)/1.28; sym: 2((d + 0.1)/1.28 − 0.5). d'(z) = σ(1 − σ)(2 + z(1 − 2σ)).
// z = βx, 0 for β = 0 whatever x (x = ±inf must not give 0·inf).
template <typename T>
AAFGAN_HD T dsilu_z(T x, T beta) {
  return beta == T(0) ? T(0) : beta * x;
}

template <typename T>
AAFGAN_HD T dsilu_forward(T x, T beta, Range r) {
  const T z = dsilu_z(x, beta);
  T s, sc;
  act_detail::sigmoid_pair(z, s, sc);
  // At z = ±inf one logistic factor is 0 and z·sc or s·(1 + z) is 0·inf; its limit is 0. For
  // finite z the selects give the same bits as the products.
  const T zsc = sc == T(0) ? T(0) : z * sc;
  const T d = s == T(0) ? T(0) : s * (T(1) + zsc);
  const T unit = (d + T(0.1)) / T(1.28);
  return hold_range(r == Range::unit ? unit : T(2) * (unit - T(0.5)), r);
}

template <typename T>
AAFGAN_HD T dsilu_backward(T x, T beta, Range r, T& dbeta) {
  const T z = dsilu_z(x, beta);
  T s, sc;
  act_detail::sigmoid_pair(z, s, sc);
  const T ssc = s * sc;
  const T dd = ssc == T(0) ? T(0) : ssc * (T(2) + z * (sc - s));
  const T dydz = (r == Range::unit ? T(1) : T(2)) * dd / T(1.28);
  dbeta = dydz * x;
  return dydz * beta;
}

// The table's uniform signature (kernels/math/act_table.h): p holds the parameters in the
// row's order, dp receives their derivatives.
struct DsiluFormula {
  template <typename T>
  AAFGAN_HD static T forward(T x, const T* p, Range r) {
    return dsilu_forward(x, p[0], r);
  }
  template <typename T>
  AAFGAN_HD static T backward(T x, const T* p, Range r, T* dp) {
    return dsilu_backward(x, p[0], r, dp[0]);
  }
};

}  // namespace aafgan::kernels
