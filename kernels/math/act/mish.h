#pragma once
// Mish (activations.md).
#include "kernels/math/act_common.h"

namespace aafgan::kernels {

// --- Mish: y = x·tanh(softplus(x)) -----------------------------------------------------------
template <typename T>
AAFGAN_HD T mish_forward(T x) {
  T g, one_minus_g2, s;
  act_detail::mish_gate(x, g, one_minus_g2, s);
  return x * g;
}

template <typename T>
AAFGAN_HD T mish_backward(T x) {
  T g, one_minus_g2, s;
  act_detail::mish_gate(x, g, one_minus_g2, s);
  return g + x * one_minus_g2 * s;  // softplus' = σ
}

// The table's uniform signature (kernels/math/act_table.h): p holds the parameters in the
// row's order, dp receives their derivatives.
struct MishFormula {
  template <typename T>
  AAFGAN_HD static T forward(T x, const T*, Range) {
    return mish_forward(x);
  }
  template <typename T>
  AAFGAN_HD static T backward(T x, const T*, Range, T*) {
    return mish_backward(x);
  }
};

}  // namespace aafgan::kernels
