// Batch normalisation on the per-channel loops of kernels/cpu/batchnorm.h.
#include <cmath>
#include <memory>
#include <vector>

#include "engine/autograd.h"
#include "engine/device.h"
#include "engine/ops.h"
#include "kernels/cpu/batchnorm.h"
#include "kernels/cuda/cudnn_batchnorm.h"
#include "kernels/cuda/device_context.h"

namespace aafgan {

namespace {

void check_channel_tensor(const char* what, const Tensor& t, const Tensor& x, int64_t c) {
  AAFGAN_CHECK(t.ndim() == 1 && t.size(0) == c, "batch_norm: {} {} does not fit input {} (expected [{}])", what,
               t.str(), x.str(), c);
  AAFGAN_CHECK(t.dtype() == x.dtype(), "batch_norm: {} {} and input {} differ in dtype", what, t.str(), x.str());
  check_same_device("batch_norm", x, t);
}

template <typename T>
const T* data_or_null(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}
template <typename T>
T* mutable_or_null(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

// cuDNN's spatial batch norm (kernels/cuda/cudnn_batchnorm.h) after the shared checks. The
// saved per-channel statistics stay on the device for the backward.
Tensor batch_norm_cuda(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& running_mean,
                       Tensor& running_var, bool training, double momentum, double eps) {
  cuda_stream(x.device());
  const int64_t n = x.size(0), c = x.size(1), s = x.ndim() == 4 ? x.size(2) * x.size(3) : 1;
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  const Tensor save_mean = Tensor::empty(Shape{c}, x.dtype(), x.device());
  const Tensor save_invstd = Tensor::empty(Shape{c}, x.dtype(), x.device());
  dispatch(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (training)
      kernels::cuda::batch_norm_forward_training<T>(n, c, s, x.data<T>(), y.data<T>(), data_or_null<T>(weight),
                                                    data_or_null<T>(bias), mutable_or_null<T>(running_mean),
                                                    mutable_or_null<T>(running_var), momentum, eps,
                                                    save_mean.data<T>(), save_invstd.data<T>());
    else
      kernels::cuda::batch_norm_forward_inference<T>(n, c, s, x.data<T>(), y.data<T>(), data_or_null<T>(weight),
                                                     data_or_null<T>(bias), running_mean.data<T>(),
                                                     running_var.data<T>(), eps, save_mean.data<T>(),
                                                     save_invstd.data<T>());
  });
  autograd::record("batch_norm", {x, weight, bias}, y,
                   [x, weight, save_mean, save_invstd, training, eps, n, c, s](const Tensor& g,
                                                                               autograd::Grads& grads) {
    cuda_stream(g.device());
    Tensor gx, gw, gb;
    if (grads.needs(0)) gx = Tensor::empty(x.shape(), x.dtype(), x.device());
    if (grads.needs(1)) gw = Tensor::empty(Shape{c}, x.dtype(), x.device());
    if (grads.needs(2)) gb = Tensor::empty(Shape{c}, x.dtype(), x.device());
    dispatch(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      kernels::cuda::batch_norm_backward<T>(n, c, s, x.data<T>(), g.data<T>(), data_or_null<T>(weight),
                                            save_mean.data<T>(), save_invstd.data<T>(), eps, training,
                                            mutable_or_null<T>(gx), mutable_or_null<T>(gw), mutable_or_null<T>(gb),
                                            kernels::cuda::WriteMode::overwrite);
    });
    if (gx.defined()) grads.set(0, gx);
    if (gw.defined()) grads.set(1, gw);
    if (gb.defined()) grads.set(2, gb);
  });
  return y;
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

  if (x.device().is_cuda()) return batch_norm_cuda(x, weight, bias, running_mean, running_var, training, momentum, eps);
  // Shared with the backward closure; stats in double whatever the dtype.
  auto mean = std::make_shared<std::vector<double>>(static_cast<size_t>(c));
  auto invstd = std::make_shared<std::vector<double>>(static_cast<size_t>(c));
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  dispatch(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* px = x.data<T>();
    double* pm = mean->data();
    double* pi = invstd->data();
    if (training) {
      std::vector<double> var(static_cast<size_t>(c));
      kernels::cpu::batch_norm_stats<T>(px, n, c, s, pm, var.data());
      if (track) {
        T* rm = running_mean.data<T>();
        T* rv = running_var.data<T>();
        const double unbias = static_cast<double>(count) / static_cast<double>(count - 1);
        for (int64_t ch = 0; ch < c; ++ch) {
          rm[ch] = static_cast<T>((1 - momentum) * static_cast<double>(rm[ch]) + momentum * pm[ch]);
          rv[ch] = static_cast<T>((1 - momentum) * static_cast<double>(rv[ch]) + momentum * var[ch] * unbias);
        }
      }
      for (int64_t ch = 0; ch < c; ++ch) pi[ch] = 1.0 / std::sqrt(var[ch] + eps);
    } else {
      const T* rm = running_mean.data<T>();
      const T* rv = running_var.data<T>();
      for (int64_t ch = 0; ch < c; ++ch) {
        AAFGAN_CHECK(static_cast<double>(rv[ch]) + eps > 0, "batch_norm: running_var[{}] = {} is negative", ch,
                     static_cast<double>(rv[ch]));
        pm[ch] = static_cast<double>(rm[ch]);
        pi[ch] = 1.0 / std::sqrt(static_cast<double>(rv[ch]) + eps);
      }
    }
    kernels::cpu::batch_norm_apply<T>(px, y.data<T>(), n, c, s, pm, pi, weight.defined() ? weight.data<T>() : nullptr,
                                      bias.defined() ? bias.data<T>() : nullptr);
  });

  // The running statistics are state, not inputs: no gradient flows into them, and eval
  // captures their values now, before a later training step overwrites them.
  autograd::record("batch_norm", {x, weight, bias}, y,
                   [x, weight, mean, invstd, training, n, c, s](const Tensor& g, autograd::Grads& grads) {
                     Tensor gx, gw, gb;
                     if (grads.needs(0)) gx = Tensor::empty(x.shape(), x.dtype(), x.device());
                     if (grads.needs(1)) gw = Tensor::empty(Shape{c}, x.dtype(), x.device());
                     if (grads.needs(2)) gb = Tensor::empty(Shape{c}, x.dtype(), x.device());
                     dispatch(x.dtype(), [&](auto tag) {
                       using T = typename decltype(tag)::type;
                       kernels::cpu::batch_norm_backward<T>(
                           g.data<T>(), x.data<T>(), n, c, s, mean->data(), invstd->data(),
                           weight.defined() ? weight.data<T>() : nullptr, training,
                           gx.defined() ? gx.data<T>() : nullptr, gw.defined() ? gw.data<T>() : nullptr,
                           gb.defined() ? gb.data<T>() : nullptr);
                     });
                     if (gx.defined()) grads.set(0, gx);
                     if (gw.defined()) grads.set(1, gw);
                     if (gb.defined()) grads.set(2, gb);
                   });
  return y;
}

}  // namespace aafgan
