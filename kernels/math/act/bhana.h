#pragma once
// BHANA: BHAA normalised so that its exact range is the target range (activations.md).
#include "kernels/math/act_common.h"

namespace aafgan::kernels {

// --- BHANA: BHAA rescaled so that its exact range is the target range ----------------------
// With H = hypot(2, k·d), d = |τ1| − |τ2|, the extremum is D* = sign(d)·H, and both cases of
// activations.md reduce to
//   y = lo + (4/k)·(D + c)/(2 + H),   c = 2 (|τ1| > |τ2|) or H (|τ2| > |τ1|),
// since hi − lo = 4/k and (B − lo) = (D + 2)/k, (E − lo) = (2 + H)/k, (B − E) = (D + H)/k,
// (hi − E) = (2 + H)/k. At d → 0, H → 2 and y → BHAA (continuous).
// Everything of BHANA that depends on the parameters only (not on x), so that a caller walking
// many elements of one parameter slot can form it once: bhana_slot(τ1, τ2, r).
template <typename T>
struct BhanaSlot {
  bool equal;   // |τ1| ≈ |τ2| (activations.md's band): BHANA is BHAA itself
  bool over;    // |τ1| > |τ2|: c = 2, else c = H
  T c;          // D + c is the numerator
  T dH1, dH2;   // ∂H/∂τ1, ∂H/∂τ2 (times 1, H = hypot(2, k·d))
  act_detail::Denom<T> Q;  // 2 + H
};

template <typename T>
AAFGAN_HD BhanaSlot<T> bhana_slot(T tau1, T tau2, Range r) {
  const T a1 = std::fabs(tau1), a2 = std::fabs(tau2);
  const T k = range_k<T>(r);
  const T d = a1 - a2;
  const T H = act_detail::hyp(T(2), k * d);
  BhanaSlot<T> s;
  s.equal = act_detail::bhana_equal(a1, a2);
  s.over = a1 > a2;
  s.c = s.over ? T(2) : H;
  // Derivative of H (the envelope-theorem dE/dτ, times k).
  const T dHdd = act_detail::quot(k * k * d, H);
  s.dH1 = dHdd * act_detail::sign_of(tau1);
  s.dH2 = -dHdd * act_detail::sign_of(tau2);
  s.Q = act_detail::denom(T(2) + H);
  return s;
}

template <typename T>
AAFGAN_HD T bhana_forward(T x, T lam, T tau1, T tau2, Range r, const BhanaSlot<T>& s) {
  if (s.equal) return hold_range(act_detail::bhaa_value(x, lam, tau1, tau2, r), r);  // BHAA at τ1 = τ2: BHSA
  const T k = range_k<T>(r);
  const T D = act_detail::bihyp(act_detail::scaled_input(k, lam, x), k * tau1, k * tau2).D;
  // Rounding of D + c (c = H where D ≈ −H) and of the quotient can leave the range by an ulp:
  // the committed study's seed 2 of D-output BHANA saw −5.9e-8 in f32, which BCE refused.
  return hold_range(range_lo<T>(r) + (T(4) / k) * act_detail::quot(D + s.c, s.Q), r);
}

template <typename T>
AAFGAN_HD T bhana_forward(T x, T lam, T tau1, T tau2, Range r) {
  return bhana_forward(x, lam, tau1, tau2, r, bhana_slot(tau1, tau2, r));
}

template <typename T>
AAFGAN_HD T bhana_backward(T x, T lam, T tau1, T tau2, Range r, const BhanaSlot<T>& s, T& dlam, T& dtau1,
                           T& dtau2) {
  const act_detail::BhaaGrad<T> g = act_detail::bhaa_grad(x, lam, tau1, tau2, r);
  if (s.equal) {
    dlam = g.dl;
    dtau1 = g.dt1;
    dtau2 = g.dt2;
    return g.dx;
  }
  const T k = range_k<T>(r);
  const T N = g.h.D + s.c;
  // Derivatives of D = k·(BHAA − off) and of H.
  const T dD1 = k * g.dt1, dD2 = k * g.dt2;
  const T dN1 = s.over ? dD1 : dD1 + s.dH1;
  const T dN2 = s.over ? dD2 : dD2 + s.dH2;
  const T scale = act_detail::quot(T(4) / k, s.Q);  // dy/dN
  const T NQ = act_detail::quot(N, s.Q);
  dtau1 = scale * (dN1 - NQ * s.dH1);
  dtau2 = scale * (dN2 - NQ * s.dH2);
  // dD/dx = k·λ·dD/du, dD/dλ = k·x·dD/du; E does not depend on λ.
  dlam = scale * k * x * g.dDdu;
  return scale * k * lam * g.dDdu;
}

template <typename T>
AAFGAN_HD T bhana_backward(T x, T lam, T tau1, T tau2, Range r, T& dlam, T& dtau1, T& dtau2) {
  return bhana_backward(x, lam, tau1, tau2, r, bhana_slot(tau1, tau2, r), dlam, dtau1, dtau2);
}

// The table's uniform signature (kernels/math/act_table.h): p holds the parameters in the
// row's order, dp receives their derivatives.
struct BhanaFormula {
  template <typename T>
  AAFGAN_HD static T forward(T x, const T* p, Range r) {
    return bhana_forward(x, p[0], p[1], p[2], r);
  }
  template <typename T>
  AAFGAN_HD static T backward(T x, const T* p, Range r, T* dp) {
    return bhana_backward(x, p[0], p[1], p[2], r, dp[0], dp[1], dp[2]);
  }
};

}  // namespace aafgan::kernels
