#pragma once
// Optimizer updates on plain pointers. The per-element formulas are AAFGAN_HD so a CUDA
// kernel can call the very same arithmetic; the CPU loops below only add the iteration.
//
// Each formula follows the operation order of PyTorch's single-tensor (non-fused) optimizers,
// with the scalar coefficients precomputed in double by the caller and rounded to T once, as
// PyTorch does when it passes a Python float to a float tensor op. The gradient is read, never
// written: it may be shared with another parameter's gradient (add passes one tensor to both).
#include <cmath>
#include <cstdint>

#include "kernels/cpu/parallel.h"
#include "kernels/hd.h"

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

namespace cpu {

template <typename T>
void adam_step(int64_t n, T* param, const T* grad, T* exp_avg, T* exp_avg_sq, const AdamCoeffs<T>& c) {
  parallel_for(n, [&](int64_t i) { adam_update(param[i], grad[i], exp_avg[i], exp_avg_sq[i], c); });
}

// momentum_buffer is null when momentum is 0 (plain SGD keeps no state).
template <typename T>
void sgd_step(int64_t n, T* param, const T* grad, T* momentum_buffer, const SgdCoeffs<T>& c) {
  if (momentum_buffer)
    parallel_for(n, [&](int64_t i) { sgd_update(param[i], grad[i], momentum_buffer + i, c); });
  else
    parallel_for(n, [&](int64_t i) { sgd_update(param[i], grad[i], static_cast<T*>(nullptr), c); });
}

template <typename T>
void adadelta_step(int64_t n, T* param, const T* grad, T* square_avg, T* acc_delta, const AdadeltaCoeffs<T>& c) {
  parallel_for(n, [&](int64_t i) { adadelta_update(param[i], grad[i], square_avg[i], acc_delta[i], c); });
}

}  // namespace cpu
}  // namespace aafgan::kernels
