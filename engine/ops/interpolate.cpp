// interpolate_bilinear (engine/ops/image_ops.h): PyTorch's align_corners=False taps, computed by
// kernels/math/image_ops.h for both backends.
#include "engine/autograd.h"
#include "engine/backend.h"
#include "engine/ops/image_ops.h"
#include "engine/ops/pool_shape.h"

namespace aafgan {

Tensor interpolate_bilinear(const Tensor& x, int64_t out_h, int64_t out_w) {
  check_nchw("interpolate_bilinear", x);
  AAFGAN_CHECK(out_h > 0 && out_w > 0, "interpolate_bilinear: output size {}x{} must be positive", out_h, out_w);
  AAFGAN_CHECK(x.size(2) > 0 && x.size(3) > 0, "interpolate_bilinear: input {} has an empty plane", x.str());
  Tensor y = Tensor::empty(Shape{x.size(0), x.size(1), out_h, out_w}, x.dtype(), x.device());
  backend::interpolate_bilinear_forward(x, y);
  const Shape in_shape = x.shape();
  autograd::record("interpolate_bilinear", {x}, y, [in_shape](const Tensor& g, autograd::Grads& grads) {
    Tensor gx = Tensor::empty(in_shape, g.dtype(), g.device());
    backend::interpolate_bilinear_backward(g, gx);
    grads.set(0, gx);
  });
  return y;
}

}  // namespace aafgan
