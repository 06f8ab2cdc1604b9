#pragma once
// MiDA: Mish with its tanh gate replaced by BHSA (activations.md).
#include "kernels/math/act_common.h"
#include "kernels/math/act/bhsa.h"

namespace aafgan::kernels {

// --- MiDA: y = x·BHSA_sym(softplus(x); λ, τ) ---------------------------------------------------
template <typename T>
AAFGAN_HD T mida_forward(T x, T lam, T tau) { return x * bhsa_forward(act_detail::softplus(x), lam, tau, Range::sym); }

template <typename T>
AAFGAN_HD T mida_backward(T x, T lam, T tau, T& dlam, T& dtau) {
  T sp, sig;
  act_detail::softplus_sigmoid(x, sp, sig);
  const T t = T(2) * tau, u = T(2) * lam * sp;
  const act_detail::BiHyp<T> h = act_detail::bihyp(u, t, t);
  const T gate = h.D / T(2);
  const T dDdu = act_detail::bihyp_dDdu(u, t, t, h);
  // gate' w.r.t. its argument is λ·dD/du; softplus' = σ(x).
  dlam = x * (sp * dDdu);
  dtau = x * act_detail::bhsa_dDdt(t, h);
  return gate + x * (lam * dDdu) * sig;
}

// The table's uniform signature (kernels/math/act_table.h): p holds the parameters in the
// row's order, dp receives their derivatives.
struct MidaFormula {
  template <typename T>
  AAFGAN_HD static T forward(T x, const T* p, Range) {
    return mida_forward(x, p[0], p[1]);
  }
  template <typename T>
  AAFGAN_HD static T backward(T x, const T* p, Range, T* dp) {
    return mida_backward(x, p[0], p[1], dp[0], dp[1]);
  }
};

}  // namespace aafgan::kernels
