// Elementary maps: a forward loop and a recorded backward, each from kernels/pointwise_math.h.
#include "engine/ops/pointwise.h"

#include "engine/autograd.h"
#include "engine/ops/elementwise_map.h"
#include "kernels/pointwise_math.h"

namespace aafgan {

namespace {

using detail::map_grad;
using detail::map_unary;
using kernels::cuda::UnaryOp;

// The common shape of every op here: forward from x, backward from the saved x or y.
template <typename Fwd, typename Bwd>
Tensor unary_op(const char* op, const Tensor& x, detail::CudaUnary cuda, Fwd fwd, Bwd bwd) {
  Tensor y = map_unary(x, fwd, cuda);
  const Tensor saved = kernels::cuda::unary_backward_uses_output(cuda.op) ? y.detach() : x;
  autograd::record(op, {x}, y, [op, saved, bwd, cuda](const Tensor& g, autograd::Grads& grads) {
    grads.set(0, map_grad(op, saved, g, bwd, cuda));
  });
  return y;
}

}  // namespace

Tensor sqrt(const Tensor& x) {
  return unary_op(
      "sqrt", x, {UnaryOp::sqrt}, [](auto v) { return kernels::sqrt_fwd(v); },
      [](auto y, auto g) { return kernels::sqrt_bwd_y(y, g); });
}

Tensor exp(const Tensor& x) {
  return unary_op(
      "exp", x, {UnaryOp::exp}, [](auto v) { return kernels::exp_fwd(v); },
      [](auto y, auto g) { return kernels::exp_bwd_y(y, g); });
}

Tensor log(const Tensor& x) {
  return unary_op(
      "log", x, {UnaryOp::log}, [](auto v) { return kernels::log_fwd(v); },
      [](auto v, auto g) { return kernels::log_bwd_x(v, g); });
}

Tensor log1p(const Tensor& x) {
  return unary_op(
      "log1p", x, {UnaryOp::log1p}, [](auto v) { return kernels::log1p_fwd(v); },
      [](auto v, auto g) { return kernels::log1p_bwd_x(v, g); });
}

Tensor softplus(const Tensor& x) {
  return unary_op(
      "softplus", x, {UnaryOp::softplus}, [](auto v) { return kernels::softplus_fwd(v); },
      [](auto v, auto g) { return kernels::softplus_bwd_x(v, g); });
}

Tensor abs(const Tensor& x) {
  return unary_op(
      "abs", x, {UnaryOp::abs}, [](auto v) { return kernels::abs_fwd(v); },
      [](auto v, auto g) { return kernels::abs_bwd_x(v, g); });
}

Tensor square(const Tensor& x) {
  return unary_op(
      "square", x, {UnaryOp::square}, [](auto v) { return kernels::square_fwd(v); },
      [](auto v, auto g) { return kernels::square_bwd_x(v, g); });
}

Tensor clamp(const Tensor& x, double lo, double hi) {
  AAFGAN_CHECK(lo <= hi, "clamp: lower bound {} is above upper bound {}", lo, hi);
  return unary_op(
      "clamp", x, {UnaryOp::clamp, lo, hi},
      [lo, hi](auto v) {
        using T = decltype(v);
        return kernels::clamp_fwd(v, static_cast<T>(lo), static_cast<T>(hi));
      },
      [lo, hi](auto v, auto g) {
        using T = decltype(v);
        return kernels::clamp_bwd_x(v, static_cast<T>(lo), static_cast<T>(hi), g);
      });
}

}  // namespace aafgan
