#include "engine/ops/loss_cuda.h"

#include "engine/autograd.h"
#include "engine/device.h"
#include "kernels/cuda/device_allocator.h"
#include "kernels/cuda/loss.h"

namespace aafgan::detail {

Tensor binary_cross_entropy_cuda(const Tensor& p, const Tensor& target) {
  void* stream = cuda_stream(p.device());
  const int64_t n = p.numel();
  Tensor out = Tensor::empty(Shape{}, p.dtype(), p.device());
  kernels::cuda::CachedBuffer workspace(kernels::cuda::loss_workspace_bytes(n));
  dispatch(p.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    kernels::cuda::bce_forward_cuda<T>(p.data<T>(), target.data<T>(), out.data<T>(), n, nullptr, workspace.get(),
                                       workspace.bytes(), stream);
  });
  autograd::record("binary_cross_entropy", {p, target}, out, [p, target, n](const Tensor& g, autograd::Grads& grads) {
    void* s = cuda_stream(g.device());
    Tensor gp, gt;
    if (grads.needs(0)) gp = Tensor::empty(p.shape(), p.dtype(), p.device());
    if (grads.needs(1)) gt = Tensor::empty(p.shape(), p.dtype(), p.device());
    dispatch(p.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      kernels::cuda::bce_backward_cuda<T>(p.data<T>(), target.data<T>(), g.data<T>(),
                                          gp.defined() ? gp.data<T>() : nullptr,
                                          gt.defined() ? gt.data<T>() : nullptr, n, s);
    });
    if (gp.defined()) grads.set(0, gp);
    if (gt.defined()) grads.set(1, gt);
  });
  return out;
}

Tensor log_softmax_cuda(const Tensor& x) {
  void* stream = cuda_stream(x.device());
  const int64_t rows = x.size(0), cols = x.size(1);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  dispatch(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    kernels::cuda::log_softmax_forward_cuda<T>(x.data<T>(), y.data<T>(), rows, cols, stream);
  });
  const Tensor saved = y.detach();
  autograd::record("log_softmax", {x}, y, [saved, rows, cols](const Tensor& g, autograd::Grads& grads) {
    Tensor gx = Tensor::empty(saved.shape(), saved.dtype(), saved.device());
    dispatch(saved.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      kernels::cuda::log_softmax_backward_cuda<T>(saved.data<T>(), g.data<T>(), gx.data<T>(), rows, cols,
                                                  cuda_stream(g.device()));
    });
    grads.set(0, gx);
  });
  return y;
}

Tensor nll_loss_cuda(const Tensor& logp, const Tensor& labels) {
  void* stream = cuda_stream(logp.device());
  const int64_t rows = logp.size(0), cols = logp.size(1);
  const Tensor lab = labels.dtype() == logp.dtype() ? labels : labels.to(logp.dtype());
  Tensor out = Tensor::empty(Shape{}, logp.dtype(), logp.device());
  kernels::cuda::CachedBuffer workspace(kernels::cuda::loss_workspace_bytes(rows));
  dispatch(logp.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    kernels::cuda::nll_forward_cuda<T>(logp.data<T>(), lab.data<T>(), out.data<T>(), rows, cols, nullptr,
                                       workspace.get(), workspace.bytes(), stream);
  });
  autograd::record("nll_loss", {logp}, out, [lab, rows, cols, logp](const Tensor& g, autograd::Grads& grads) {
    Tensor gx = Tensor::empty(logp.shape(), logp.dtype(), logp.device());
    dispatch(logp.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      kernels::cuda::nll_backward_cuda<T>(lab.data<T>(), g.data<T>(), gx.data<T>(), rows, cols,
                                          cuda_stream(g.device()));
    });
    grads.set(0, gx);
  });
  return out;
}

}  // namespace aafgan::detail
