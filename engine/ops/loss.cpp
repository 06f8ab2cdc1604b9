// Binary cross-entropy, log-softmax and negative log-likelihood.
#include "engine/autograd.h"
#include "engine/backend.h"
#include "engine/ops.h"

namespace aafgan {

Tensor binary_cross_entropy(const Tensor& p, const Tensor& target) {
  AAFGAN_CHECK(p.shape() == target.shape(),
               "binary_cross_entropy: predictions {} and target {} must have the same shape", p.str(), target.str());
  check_same_dtype("binary_cross_entropy", p, target);
  check_same_device("binary_cross_entropy", p, target);
  AAFGAN_CHECK(p.numel() > 0, "binary_cross_entropy of an empty batch");
  Tensor out = Tensor::empty(Shape{}, p.dtype(), p.device());
  backend::bce_forward(p, target, out);
  autograd::record("binary_cross_entropy", {p, target}, out, [p, target](const Tensor& g, autograd::Grads& grads) {
    Tensor gp, gt;
    if (grads.needs(0)) gp = Tensor::empty(p.shape(), p.dtype(), p.device());
    if (grads.needs(1)) gt = Tensor::empty(p.shape(), p.dtype(), p.device());
    backend::bce_backward(p, target, g, gp, gt);
    if (gp.defined()) grads.set(0, gp);
    if (gt.defined()) grads.set(1, gt);
  });
  return out;
}

Tensor log_softmax(const Tensor& x) {
  AAFGAN_CHECK(x.ndim() == 2, "log_softmax expects [N, C], got {}", x.str());
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  backend::log_softmax_forward(x, y);
  const Tensor saved = y.detach();
  autograd::record("log_softmax", {x}, y, [saved](const Tensor& g, autograd::Grads& grads) {
    Tensor gx = Tensor::empty(saved.shape(), saved.dtype(), saved.device());
    backend::log_softmax_backward(saved, g, gx);
    grads.set(0, gx);
  });
  return y;
}

Tensor nll_loss(const Tensor& logp, const Tensor& labels) {
  AAFGAN_CHECK(logp.ndim() == 2 && labels.ndim() == 1 && labels.size(0) == logp.size(0),
               "nll_loss expects log-probabilities [N, C] and labels [N], got {} and {}", logp.str(), labels.str());
  check_same_device("nll_loss", logp, labels);
  // The kernels read the labels in the log-probabilities' dtype (class indices are exact in both).
  const Tensor lab = labels.dtype() == logp.dtype() ? labels : labels.to(logp.dtype());
  Tensor out = Tensor::empty(Shape{}, logp.dtype(), logp.device());
  backend::nll_forward(logp, lab, out);
  const Shape shape = logp.shape();
  const DType dtype = logp.dtype();
  const Device device = logp.device();
  autograd::record("nll_loss", {logp}, out, [lab, shape, dtype, device](const Tensor& g, autograd::Grads& grads) {
    Tensor gx = Tensor::empty(shape, dtype, device);
    backend::nll_backward(lab, g, gx);
    grads.set(0, gx);
  });
  return out;
}

}  // namespace aafgan
