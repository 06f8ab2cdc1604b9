// Batch normalisation (PyTorch's BatchNorm1d/2d semantics; kernels/cpu/batchnorm.h and its cuDNN twin).
#include "engine/autograd.h"
#include "engine/backend.h"
#include "engine/ops.h"

namespace aafgan {

namespace {

void check_channel_tensor(const char* what, const Tensor& t, const Tensor& x, int64_t c) {
  AAFGAN_CHECK(t.ndim() == 1 && t.size(0) == c, "batch_norm: {} {} does not fit input {} (expected [{}])", what,
               t.str(), x.str(), c);
  AAFGAN_CHECK(t.dtype() == x.dtype(), "batch_norm: {} {} and input {} differ in dtype", what, t.str(), x.str());
  check_same_device("batch_norm", x, t);
}

}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& running_mean,
                  Tensor& running_var, bool training, double momentum, double eps) {
  AAFGAN_CHECK(x.defined() && (x.ndim() == 2 || x.ndim() == 4),
               "batch_norm: input {} must be [N, C] or [N, C, H, W]", x.str());
  AAFGAN_CHECK(eps > 0, "batch_norm: eps {} must be positive", eps);
  const int64_t n = x.size(0), c = x.size(1), s = x.ndim() == 4 ? x.size(2) * x.size(3) : 1;
  if (weight.defined()) check_channel_tensor("weight", weight, x, c);
  if (bias.defined()) check_channel_tensor("bias", bias, x, c);
  // Running statistics may be left undefined in training (not tracked, like PyTorch's
  // track_running_stats=False); eval has nothing else to normalise with.
  const bool track = running_mean.defined() || running_var.defined();
  AAFGAN_CHECK(!track || (running_mean.defined() && running_var.defined()),
               "batch_norm: running_mean and running_var must both be given or both be absent");
  AAFGAN_CHECK(training || track, "batch_norm: eval mode needs running statistics (input {})", x.str());
  if (track) {
    check_channel_tensor("running_mean", running_mean, x, c);
    check_channel_tensor("running_var", running_var, x, c);
  }
  const int64_t count = n * s;
  // One value per channel has zero variance and no unbiased estimate: PyTorch refuses it too.
  AAFGAN_CHECK(!training || count > 1, "batch_norm: training needs more than one value per channel, got input {}",
               x.str());

  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  // Per-channel statistics the backward needs (batch or running, as the mode says).
  Tensor save_mean = Tensor::empty(Shape{c}, x.dtype(), x.device());
  Tensor save_invstd = Tensor::empty(Shape{c}, x.dtype(), x.device());
  backend::batch_norm_forward(x, y, weight, bias, running_mean, running_var, training, momentum, eps, save_mean,
                              save_invstd);
  // The running statistics are state, not inputs: no gradient flows into them, and eval
  // captures their values now, before a later training step overwrites them.
  autograd::record("batch_norm", {x, weight, bias}, y,
                   [x, weight, save_mean, save_invstd, training, eps, c](const Tensor& g, autograd::Grads& grads) {
                     Tensor gx, gw, gb;
                     if (grads.needs(0)) gx = Tensor::empty(x.shape(), x.dtype(), x.device());
                     if (grads.needs(1)) gw = Tensor::empty(Shape{c}, x.dtype(), x.device());
                     if (grads.needs(2)) gb = Tensor::empty(Shape{c}, x.dtype(), x.device());
                     backend::batch_norm_backward(x, g, weight, save_mean, save_invstd, eps, training, gx, gw, gb);
                     if (gx.defined()) grads.set(0, gx);
                     if (gw.defined()) grads.set(1, gw);
                     if (gb.defined()) grads.set(2, gb);
                   });
  return y;
}

}  // namespace aafgan
