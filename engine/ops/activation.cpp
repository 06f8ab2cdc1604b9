// Fixed activations (one-input maps, unary.h) and dropout.
#include "engine/autograd.h"
#include "engine/backend.h"
#include "engine/ops.h"
#include "engine/ops/unary.h"
#include "kernels/math/random.h"

namespace aafgan {

using kernels::UnaryOp;

Tensor relu(const Tensor& x) { return detail::unary(UnaryOp::relu, x); }
Tensor leaky_relu(const Tensor& x, double slope) { return detail::unary(UnaryOp::leaky_relu, x, slope); }
Tensor sigmoid(const Tensor& x) { return detail::unary(UnaryOp::sigmoid, x); }
Tensor tanh(const Tensor& x) { return detail::unary(UnaryOp::tanh, x); }

Tensor dropout(const Tensor& x, double p, bool training, Generator& gen) {
  AAFGAN_CHECK(p >= 0.0 && p < 1.0, "dropout: probability {} outside [0, 1)", p);
  if (!training || p == 0.0) return x;
  // The mask holds 0 or 1/(1 − p), so backward is one multiply.
  Tensor mask = Tensor::empty(x.shape(), x.dtype(), x.device());
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  const uint64_t n = static_cast<uint64_t>(x.numel());
  const uint64_t start = gen.advance(kernels::dropout_counters(n));
  backend::dropout_forward(x, y, mask, 1.0 / (1.0 - p), gen.seed(), start, gen.capture_base(), gen.stream(),
                           kernels::dropout_threshold(p));
  autograd::record("dropout", {x}, y, [mask](const Tensor& g, autograd::Grads& grads) { grads.set(0, g * mask); });
  return y;
}

}  // namespace aafgan
