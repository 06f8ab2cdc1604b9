#pragma once
// Broadcasting binary arithmetic (add, sub, mul, div) and the scalar maps affine and rdiv:
// the op enum, its names and the formulas, for kernels/cpu/elementwise.cpp and
// kernels/cuda/elementwise.cu alike.
#include "kernels/math/broadcast.h"
#include "kernels/math/hd.h"
#include "kernels/math/rounding.h"

namespace aafgan::kernels {

enum class BinaryOp { add, sub, mul, div };

inline const char* binary_op_name(BinaryOp op) {
  switch (op) {
    case BinaryOp::add: return "add";
    case BinaryOp::sub: return "sub";
    case BinaryOp::mul: return "mul";
    case BinaryOp::div: return "div";
  }
  return "?";
}

template <BinaryOp Op, typename T>
AAFGAN_HD T binary_apply(T a, T b) {
  if constexpr (Op == BinaryOp::add) return a + b;
  else if constexpr (Op == BinaryOp::sub) return a - b;
  else if constexpr (Op == BinaryOp::mul) return a * b;
  else return a / b;
}

// y = s·x + t, s and t already rounded to T.
template <typename T>
AAFGAN_HD T affine_fwd(T x, T s, T t) { return add_rn(mul_rn(s, x), t); }

// y = s / x, s already rounded to T.
template <typename T>
AAFGAN_HD T rdiv_fwd(T s, T x) { return s / x; }

}  // namespace aafgan::kernels
