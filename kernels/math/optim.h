#pragma once
// Optimizer updates, one element at a time: kernels/cpu/optim.cpp and kernels/cuda/optim.cu
// both loop over these formulas.
//
// Each formula follows the operation order of PyTorch's single-tensor (non-fused) optimizers,
// with the scalar coefficients precomputed in double by the caller and rounded to T once, as
// PyTorch does when it passes a Python float to a float tensor op. The gradient is read, never
// written: it may be shared with another parameter's gradient (add passes one tensor to both).
#include <cmath>
#include <cstdint>

#include "kernels/math/hd.h"

namespace aafgan::kernels {

template <typename T>
struct AdamCoeffs {
  T beta1, one_minus_beta1;
  T beta2, one_minus_beta2;
  T weight_decay;
  T bias_correction2_sqrt;  // sqrt(1 − β2^t)
  T eps;
  T neg_step_size;          // −lr / (1 − β1^t)
};

template <typename T>
AAFGAN_HD void adam_update(T& p, T g, T& m, T& v, const AdamCoeffs<T>& c) {
  if (c.weight_decay != T(0)) g = g + c.weight_decay * p;
  m = m * c.beta1 + c.one_minus_beta1 * g;
  v = v * c.beta2 + c.one_minus_beta2 * g * g;
  const T denom = std::sqrt(v) / c.bias_correction2_sqrt + c.eps;
  p = p + c.neg_step_size * m / denom;
}

template <typename T>
struct SgdCoeffs {
  T neg_lr;
  T momentum;
  T one_minus_dampening;
  T weight_decay;
  bool nesterov;
  bool first_step;  // the momentum buffer starts as a copy of the first gradient, undamped
};

template <typename T>
AAFGAN_HD void sgd_update(T& p, T g, T* buf, const SgdCoeffs<T>& c) {
  if (c.weight_decay != T(0)) g = g + c.weight_decay * p;
  if (buf) {
    *buf = c.first_step ? g : *buf * c.momentum + c.one_minus_dampening * g;
    g = c.nesterov ? g + c.momentum * *buf : *buf;
  }
  p = p + c.neg_lr * g;
}

template <typename T>
struct AdadeltaCoeffs {
  T rho, one_minus_rho;
  T eps;
  T weight_decay;
  T neg_lr;
};

template <typename T>
AAFGAN_HD void adadelta_update(T& p, T g, T& square_avg, T& acc_delta, const AdadeltaCoeffs<T>& c) {
  if (c.weight_decay != T(0)) g = g + c.weight_decay * p;
  square_avg = square_avg * c.rho + c.one_minus_rho * g * g;
  const T std_dev = std::sqrt(square_avg + c.eps);
  const T delta = std::sqrt(acc_delta + c.eps) / std_dev * g;
  acc_delta = acc_delta * c.rho + c.one_minus_rho * delta * delta;
  p = p + c.neg_lr * delta;
}

// One parameter of a multi-tensor Adam step. Each parameter has its own step count t, hence its
// own coefficients (bias corrections in double, rounded to T).
template <typename T>
struct AdamTensor {
  T* param = nullptr;
  const T* grad = nullptr;
  T* exp_avg = nullptr;     // m
  T* exp_avg_sq = nullptr;  // v
  int64_t numel = 0;
  AdamCoeffs<T> coeffs{};
  // When set, the coefficients are read from here (device memory on a GPU) when the update runs
  // instead: a CUDA graph replays its kernels with the captured arguments, so a captured Adam step
  // takes each replay's step counts and learning rate from memory the host rewrites.
  const AdamCoeffs<T>* coeffs_at = nullptr;
};

template <typename T>
AAFGAN_HD AdamCoeffs<T> adam_coeffs(const AdamTensor<T>& t) {
  return t.coeffs_at ? *t.coeffs_at : t.coeffs;
}

}  // namespace aafgan::kernels
