// Binary cross-entropy, log-softmax and negative log-likelihood.
#include <algorithm>
#include <cmath>

#include "engine/autograd.h"
#include "engine/ops.h"
#include "engine/ops/loss_cuda.h"
#include "kernels/op_math.h"

namespace aafgan {

Tensor binary_cross_entropy(const Tensor& p, const Tensor& target) {
  AAFGAN_CHECK(p.shape() == target.shape(),
               "binary_cross_entropy: predictions {} and target {} must have the same shape", p.str(), target.str());
  check_same_dtype("binary_cross_entropy", p, target);
  check_same_device("binary_cross_entropy", p, target);
  AAFGAN_CHECK(p.numel() > 0, "binary_cross_entropy of an empty batch");
  if (p.device().is_cuda()) return detail::binary_cross_entropy_cuda(p, target);
  const int64_t n = p.numel();
  Tensor out = Tensor::empty(Shape{}, p.dtype(), p.device());
  dispatch(p.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* pp = p.data<T>();
    const T* pt = target.data<T>();
    double acc = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double pi = pp[i], ti = pt[i];
      // A NaN passes through as a NaN loss, which the trainer reports as divergence.
      AAFGAN_CHECK(kernels::bce_prediction_ok(pi), "binary_cross_entropy: prediction {} at index {} is outside [0, 1]",
                   pi, i);
      acc -= kernels::bce_term(pi, ti);
    }
    *out.data<T>() = static_cast<T>(acc / static_cast<double>(n));
  });
  autograd::record("binary_cross_entropy", {p, target}, out, [p, target, n](const Tensor& g, autograd::Grads& grads) {
    const double scale = g.item() / static_cast<double>(n);
    dispatch(p.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* pp = p.data<T>();
      const T* pt = target.data<T>();
      if (grads.needs(0)) {
        Tensor gp = Tensor::empty(p.shape(), p.dtype(), p.device());
        T* o = gp.data<T>();
        for (int64_t i = 0; i < n; ++i) o[i] = static_cast<T>(kernels::bce_grad_p(pp[i], pt[i], scale));
        grads.set(0, gp);
      }
      if (grads.needs(1)) {
        Tensor gt = Tensor::empty(p.shape(), p.dtype(), p.device());
        T* o = gt.data<T>();
        for (int64_t i = 0; i < n; ++i) o[i] = static_cast<T>(kernels::bce_grad_t(pp[i], scale));
        grads.set(1, gt);
      }
    });
  });
  return out;
}

Tensor log_softmax(const Tensor& x) {
  AAFGAN_CHECK(x.ndim() == 2, "log_softmax expects [N, C], got {}", x.str());
  if (x.device().is_cuda()) return detail::log_softmax_cuda(x);
  const int64_t rows = x.size(0), cols = x.size(1);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  dispatch(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* px = x.data<T>();
    T* py = y.data<T>();
    for (int64_t r = 0; r < rows; ++r) {
      const T* xr = px + r * cols;
      const T m = *std::max_element(xr, xr + cols);
      double s = 0;
      for (int64_t c = 0; c < cols; ++c) s += kernels::log_softmax_exp_term(xr[c], m);
      const T lse = kernels::log_softmax_lse(m, s);
      for (int64_t c = 0; c < cols; ++c) py[r * cols + c] = kernels::log_softmax_fwd(xr[c], lse);
    }
  });
  autograd::record("log_softmax", {x}, y, [y, rows, cols](const Tensor& g, autograd::Grads& grads) {
    Tensor gx = Tensor::empty(y.shape(), y.dtype(), y.device());
    dispatch(y.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* py = y.data<T>();
      const T* pg = g.data<T>();
      T* po = gx.data<T>();
      for (int64_t r = 0; r < rows; ++r) {
        double gs = 0;
        for (int64_t c = 0; c < cols; ++c) gs += pg[r * cols + c];
        for (int64_t c = 0; c < cols; ++c)
          po[r * cols + c] = kernels::log_softmax_bwd(py[r * cols + c], pg[r * cols + c], static_cast<T>(gs));
      }
    });
    grads.set(0, gx);
  });
  return y;
}

Tensor nll_loss(const Tensor& logp, const Tensor& labels) {
  AAFGAN_CHECK(logp.ndim() == 2 && labels.ndim() == 1 && labels.size(0) == logp.size(0),
               "nll_loss expects log-probabilities [N, C] and labels [N], got {} and {}", logp.str(), labels.str());
  check_same_device("nll_loss", logp, labels);
  if (logp.device().is_cuda()) return detail::nll_loss_cuda(logp, labels);
  const int64_t rows = logp.size(0), cols = logp.size(1);
  std::vector<int64_t> idx(static_cast<size_t>(rows));
  const std::vector<double> lv = labels.to_vector();
  for (int64_t r = 0; r < rows; ++r) {
    const double l = lv[static_cast<size_t>(r)];
    const int64_t k = kernels::nll_class_index(l, cols);
    AAFGAN_CHECK(k >= 0, "nll_loss: label {} at row {} is not a class index in [0, {})", l, r, cols);
    idx[static_cast<size_t>(r)] = k;
  }
  Tensor out = Tensor::empty(Shape{}, logp.dtype(), logp.device());
  dispatch(logp.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = logp.data<T>();
    double acc = 0;
    for (int64_t r = 0; r < rows; ++r) acc -= p[r * cols + idx[static_cast<size_t>(r)]];
    *out.data<T>() = static_cast<T>(acc / static_cast<double>(rows));
  });
  autograd::record("nll_loss", {logp}, out, [idx, rows, cols, logp](const Tensor& g, autograd::Grads& grads) {
    Tensor gx = Tensor::zeros(logp.shape(), logp.dtype(), logp.device());
    const double v = kernels::nll_grad_value(g.item(), rows);
    dispatch(logp.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* po = gx.data<T>();
      for (int64_t r = 0; r < rows; ++r) po[r * cols + idx[static_cast<size_t>(r)]] = static_cast<T>(v);
    });
    grads.set(0, gx);
  });
  return out;
}

}  // namespace aafgan
