#include "kernels/cpu/loss.h"

#include <algorithm>

#include "kernels/math/loss.h"

namespace aafgan::kernels::cpu {

namespace {

constexpr uint32_t kAllValid = 0xFFFFFFFFu;

}  // namespace

template <typename T>
void bce_forward(const T* p, const T* target, T* loss, int64_t n, uint32_t* first_invalid) {
  uint32_t bad = kAllValid;
  double acc = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double pi = p[i], ti = target[i];
    // A NaN passes through as a NaN loss, which the trainer reports as divergence.
    if (bad == kAllValid && !bce_prediction_ok(pi)) bad = static_cast<uint32_t>(i);
    acc -= bce_term(pi, ti);
  }
  *loss = static_cast<T>(acc / static_cast<double>(n));
  if (first_invalid) *first_invalid = bad;
}

template <typename T>
void bce_backward(const T* p, const T* target, const T* gloss, T* gp, T* gt, int64_t n) {
  const double scale = static_cast<double>(*gloss) / static_cast<double>(n);
  if (gp)
    for (int64_t i = 0; i < n; ++i) gp[i] = static_cast<T>(bce_grad_p(p[i], target[i], scale));
  if (gt)
    for (int64_t i = 0; i < n; ++i) gt[i] = static_cast<T>(bce_grad_t(p[i], scale));
}

template <typename T>
void log_softmax_forward(const T* x, T* y, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * cols;
    const T m = *std::max_element(xr, xr + cols);
    double s = 0;
    for (int64_t c = 0; c < cols; ++c) s += log_softmax_exp_term(xr[c], m);
    const T lse = log_softmax_lse(m, s);
    for (int64_t c = 0; c < cols; ++c) y[r * cols + c] = log_softmax_fwd(xr[c], lse);
  }
}

template <typename T>
void log_softmax_backward(const T* y, const T* g, T* gx, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    double gs = 0;
    for (int64_t c = 0; c < cols; ++c) gs += g[r * cols + c];
    for (int64_t c = 0; c < cols; ++c)
      gx[r * cols + c] = log_softmax_bwd(y[r * cols + c], g[r * cols + c], static_cast<T>(gs));
  }
}

template <typename T>
void nll_forward(const T* logp, const T* labels, T* loss, int64_t rows, int64_t cols, uint32_t* first_invalid) {
  uint32_t bad = kAllValid;
  double acc = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t k = nll_class_index(static_cast<double>(labels[r]), cols);
    if (k < 0) {
      if (bad == kAllValid) bad = static_cast<uint32_t>(r);
      continue;  // nothing to read: the loss is not meaningful anyway
    }
    acc -= logp[r * cols + k];
  }
  *loss = static_cast<T>(acc / static_cast<double>(rows));
  if (first_invalid) *first_invalid = bad;
}

template <typename T>
void nll_backward(const T* labels, const T* gloss, T* gx, int64_t rows, int64_t cols) {
  std::fill(gx, gx + rows * cols, T(0));
  const T v = static_cast<T>(nll_grad_value(static_cast<double>(*gloss), rows));
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t k = nll_class_index(static_cast<double>(labels[r]), cols);
    if (k >= 0) gx[r * cols + k] = v;  // a row with an invalid label stays 0, as on the GPU
  }
}

#define AAFGAN_INSTANTIATE(T)                                                            \
  template void bce_forward<T>(const T*, const T*, T*, int64_t, uint32_t*);              \
  template void bce_backward<T>(const T*, const T*, const T*, T*, T*, int64_t);          \
  template void log_softmax_forward<T>(const T*, T*, int64_t, int64_t);                  \
  template void log_softmax_backward<T>(const T*, const T*, T*, int64_t, int64_t);       \
  template void nll_forward<T>(const T*, const T*, T*, int64_t, int64_t, uint32_t*);     \
  template void nll_backward<T>(const T*, const T*, T*, int64_t, int64_t);
AAFGAN_INSTANTIATE(float)
AAFGAN_INSTANTIATE(double)
#undef AAFGAN_INSTANTIATE

}  // namespace aafgan::kernels::cpu
