// The one-input maps: one forward and one recorded backward for all of them (unary.h).
#include "engine/ops/pointwise.h"

#include "engine/autograd.h"
#include "engine/backend.h"
#include "engine/ops/unary.h"

namespace aafgan {

namespace detail {

Tensor unary(kernels::UnaryOp op, const Tensor& x, double a, double b) {
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  backend::unary_forward(op, x, y, a, b);
  const Tensor saved = kernels::unary_backward_uses_output(op) ? y.detach() : x;
  autograd::record(kernels::unary_op_name(op), {x}, y, [op, saved, a, b](const Tensor& g, autograd::Grads& grads) {
    check_same_device(kernels::unary_op_name(op), saved, g);
    Tensor gx = Tensor::empty(saved.shape(), saved.dtype(), saved.device());
    backend::unary_backward(op, saved, g, gx, a, b);
    grads.set(0, gx);
  });
  return y;
}

}  // namespace detail

using kernels::UnaryOp;

Tensor sqrt(const Tensor& x) { return detail::unary(UnaryOp::sqrt, x); }
Tensor exp(const Tensor& x) { return detail::unary(UnaryOp::exp, x); }
Tensor log(const Tensor& x) { return detail::unary(UnaryOp::log, x); }
Tensor log1p(const Tensor& x) { return detail::unary(UnaryOp::log1p, x); }
Tensor softplus(const Tensor& x) { return detail::unary(UnaryOp::softplus, x); }
Tensor abs(const Tensor& x) { return detail::unary(UnaryOp::abs, x); }
Tensor square(const Tensor& x) { return detail::unary(UnaryOp::square, x); }

Tensor clamp(const Tensor& x, double lo, double hi) {
  AAFGAN_CHECK(lo <= hi, "clamp: lower bound {} is above upper bound {}", lo, hi);
  return detail::unary(UnaryOp::clamp, x, lo, hi);
}

}  // namespace aafgan
