// avg_pool2d and global_avg_pool2d (engine/ops/image_ops.h).
#include <string>

#include "engine/autograd.h"
#include "engine/backend.h"
#include "engine/ops/image_ops.h"

namespace aafgan {

Tensor avg_pool2d(const Tensor& x, int kernel, int stride, int padding, bool count_include_pad) {
  AAFGAN_CHECK(x.defined() && x.ndim() == 4, "avg_pool2d: input {} must be [N, C, H, W]",
               x.defined() ? x.str() : std::string("(undefined)"));
  AAFGAN_CHECK(kernel > 0, "avg_pool2d: kernel {} must be positive", kernel);
  AAFGAN_CHECK(stride >= 0, "avg_pool2d: stride {} must not be negative (0 means the kernel size)", stride);
  // Beyond k/2 a window could lie wholly in the padding: PyTorch refuses it too.
  AAFGAN_CHECK(padding >= 0 && 2 * padding <= kernel, "avg_pool2d: padding {} must be in [0, kernel/2] (kernel {})",
               padding, kernel);
  const int k = kernel, s = stride == 0 ? kernel : stride, p = padding;
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  AAFGAN_CHECK(h + 2 * p >= k && w + 2 * p >= k, "avg_pool2d: kernel {}x{} is larger than input {} padded by {}", k,
               k, x.str(), p);
  const int64_t oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1;
  Tensor y = Tensor::empty(Shape{n, c, oh, ow}, x.dtype(), x.device());
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
  AAFGAN_CHECK(x.defined() && x.ndim() == 4, "global_avg_pool2d: input {} must be [N, C, H, W]",
               x.defined() ? x.str() : std::string("(undefined)"));
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
