#pragma once
// The index arithmetic of the image ops both backends share: PyTorch's bilinear taps
// (align_corners=False); the pooling windows are kernels/math/pool.h.
#include <cstdint>

#include "kernels/math/hd.h"
#include "kernels/math/rounding.h"

namespace aafgan::kernels {

// --- the bilinear taps, shared with the CPU op (kernels/cpu/image_ops.cpp) ----------------------

// Where output row (or column) i of `out` reads from an input of `in`: source indices i0 ≤ i1
// and their weights l0 + l1 = 1. PyTorch's compute_source_index_and_lambda for
// align_corners=False, in T as PyTorch computes it: source = (i + 0.5)·in/out − 0.5, clamped
// below at 0; i1 = i0 + 1 except at the last input index; an equal size copies (i0 = i1 = i).
template <typename T>
struct BilinearTap {
  int64_t i0, i1;
  T l0, l1;
};

template <typename T>
AAFGAN_HD T bilinear_div_rn(T a, T b) {
#if defined(__CUDA_ARCH__)
  if constexpr (sizeof(T) == 4)
    return __fdiv_rn(a, b);
  else
    return __ddiv_rn(a, b);
#else
  return a / b;
#endif
}

template <typename T>
AAFGAN_HD BilinearTap<T> bilinear_tap(int64_t i, int64_t in, int64_t out) {
  BilinearTap<T> t;
  if (in == out) {
    t.i0 = t.i1 = i;
    t.l0 = T(1);
    t.l1 = T(0);
    return t;
  }
  const T scale = bilinear_div_rn(static_cast<T>(in), static_cast<T>(out));
  const T raw = sub_rn(mul_rn(scale, add_rn(static_cast<T>(i), T(0.5))), T(0.5));
  const T src = raw < T(0) ? T(0) : raw;  // std::max(raw, 0)
  const int64_t trunc = static_cast<int64_t>(src);
  t.i0 = in - 1 < trunc ? in - 1 : trunc;  // std::min(trunc, in − 1)
  t.i1 = t.i0 < in - 1 ? t.i0 + 1 : t.i0;
  const T frac = sub_rn(src, static_cast<T>(t.i0));
  const T lo = frac < T(0) ? T(0) : frac;  // std::min(std::max(frac, 0), 1)
  t.l1 = T(1) < lo ? T(1) : lo;
  t.l0 = sub_rn(T(1), t.l1);
  return t;
}

// One output value from its four neighbours x_rc (r: the row tap, c: the column tap), PyTorch's
// order: along the width in each row, then between the rows.
template <typename T>
AAFGAN_HD T bilinear_mix(T x00, T x01, T x10, T x11, T a0, T a1, T b0, T b1) {
  return add_rn(mul_rn(add_rn(mul_rn(x00, b0), mul_rn(x01, b1)), a0),
                mul_rn(add_rn(mul_rn(x10, b0), mul_rn(x11, b1)), a1));
}

}  // namespace aafgan::kernels
