// avg_pool2d and global_avg_pool2d (engine/ops/image_ops.h).
#include "engine/autograd.h"
#include "engine/backend.h"
#include "engine/ops/image_ops.h"
#include "engine/ops/pool_shape.h"

namespace aafgan {

Tensor avg_pool2d(const Tensor& x, int kernel, int stride, int padding, bool count_include_pad) {
  const PoolShape ps = check_pool("avg_pool2d", x, kernel, stride, padding);
  const int k = ps.k, s = ps.s, p = ps.p;
  Tensor y = Tensor::empty(ps.out, x.dtype(), x.device());
  backend::avg_pool2d_forward(x, y, k, s, p, count_include_pad);
  const Shape in_shape = x.shape();
  autograd::record("avg_pool2d", {x}, y, [in_shape, k, s, p, count_include_pad](const Tensor& g, autograd::Grads& grads) {
    Tensor gx = Tensor::empty(in_shape, g.dtype(), g.device());
    backend::avg_pool2d_backward(g, gx, k, s, p, count_include_pad);
    grads.set(0, gx);
  });
  return y;
}

Tensor global_avg_pool2d(const Tensor& x) {
  check_nchw("global_avg_pool2d", x);
  AAFGAN_CHECK(x.size(2) * x.size(3) > 0, "global_avg_pool2d: input {} has an empty plane", x.str());
  Tensor y = Tensor::empty(Shape{x.size(0), x.size(1), 1, 1}, x.dtype(), x.device());
  backend::global_avg_pool2d_forward(x, y);
  const Shape in_shape = x.shape();
  autograd::record("global_avg_pool2d", {x}, y, [in_shape](const Tensor& g, autograd::Grads& grads) {
    Tensor gx = Tensor::empty(in_shape, g.dtype(), g.device());
    backend::global_avg_pool2d_backward(g, gx);
    grads.set(0, gx);
  });
  return y;
}

}  // namespace aafgan
