// max_pool2d.
#include <cstdint>
#include <limits>
#include <memory>

#include "engine/autograd.h"
#include "engine/backend.h"
#include "engine/ops.h"
#include "engine/ops/pool_shape.h"

namespace aafgan {

Tensor max_pool2d(const Tensor& x, int kernel, int stride, int padding) {
  const PoolShape ps = check_pool("max_pool2d", x, kernel, stride, padding);
  const int k = ps.k, s = ps.s, p = ps.p;
  AAFGAN_CHECK(x.size(2) * x.size(3) <= std::numeric_limits<int32_t>::max(),
               "max_pool2d: input {} has too many pixels per plane", x.str());
  Tensor y = Tensor::empty(ps.out, x.dtype(), x.device());
  // The argmax of each window, as an index into its plane, stays where the data is for the
  // backward (a gather, no atomics); only kept when a backward will run.
  const bool track = autograd::grad_enabled() && x.requires_grad();
  auto argmax = track ? std::make_shared<backend::Buffer>(x.device(), static_cast<size_t>(y.numel()) * 4) : nullptr;
  backend::max_pool2d_forward(x, y, argmax.get(), k, s, p);
  if (!track) return y;
  const Shape in_shape = x.shape();
  autograd::record("max_pool2d", {x}, y, [argmax, in_shape, k, s, p](const Tensor& g, autograd::Grads& grads) {
    Tensor gx = Tensor::empty(in_shape, g.dtype(), g.device());
    backend::max_pool2d_backward(g, *argmax, gx, k, s, p);
    grads.set(0, gx);
  });
  return y;
}

}  // namespace aafgan
