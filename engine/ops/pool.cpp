// max_pool2d.
#include <cstdint>
#include <limits>
#include <memory>

#include "engine/autograd.h"
#include "engine/backend.h"
#include "engine/ops.h"

namespace aafgan {

Tensor max_pool2d(const Tensor& x, int kernel, int stride, int padding) {
  AAFGAN_CHECK(x.ndim() == 4, "max_pool2d: input {} must be [N, C, H, W]", x.str());
  AAFGAN_CHECK(kernel > 0, "max_pool2d: kernel {} must be positive", kernel);
  AAFGAN_CHECK(stride >= 0, "max_pool2d: stride {} must not be negative (0 means the kernel size)", stride);
  // Beyond k/2 a window could lie wholly in the padding and have nothing to take the max of.
  AAFGAN_CHECK(padding >= 0 && 2 * padding <= kernel, "max_pool2d: padding {} must be in [0, kernel/2] (kernel {})",
               padding, kernel);
  const int k = kernel, s = stride == 0 ? kernel : stride, p = padding;
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  AAFGAN_CHECK(h + 2 * p >= k && w + 2 * p >= k, "max_pool2d: kernel {}x{} is larger than input {} padded by {}", k,
               k, x.str(), p);
  AAFGAN_CHECK(h * w <= std::numeric_limits<int32_t>::max(), "max_pool2d: input {} has too many pixels per plane",
               x.str());
  const int64_t oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1;
  Tensor y = Tensor::empty(Shape{n, c, oh, ow}, x.dtype(), x.device());
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
