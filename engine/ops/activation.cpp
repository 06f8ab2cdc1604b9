// Fixed activations and dropout.
#include "engine/autograd.h"
#include "engine/ops/elementwise_map.h"
#include "engine/ops.h"
#include "kernels/elementwise_math.h"
#include "kernels/cpu/dropout.h"
#include "kernels/cuda/random.h"
#include "kernels/philox.h"

namespace aafgan {

namespace {

using detail::map_grad;
using detail::map_unary;
using kernels::cuda::UnaryOp;

}  // namespace

Tensor relu(const Tensor& x) {
  Tensor y = map_unary(x, [](auto v) { return kernels::relu_fwd(v); }, {UnaryOp::relu});
  autograd::record("relu", {x}, y, [x](const Tensor& g, autograd::Grads& grads) {
    grads.set(0, map_grad("relu", x, g, [](auto v, auto gv) { return kernels::relu_bwd(v, gv); }, {UnaryOp::relu}));
  });
  return y;
}

Tensor leaky_relu(const Tensor& x, double slope) {
  Tensor y = map_unary(x, [slope](auto v) { return kernels::leaky_relu_fwd(v, decltype(v)(slope)); },
      {UnaryOp::leaky_relu, slope});
  autograd::record("leaky_relu", {x}, y, [x, slope](const Tensor& g, autograd::Grads& grads) {
    grads.set(0, map_grad(
                     "leaky_relu", x, g,
                     [slope](auto v, auto gv) { return kernels::leaky_relu_bwd(v, decltype(v)(slope), gv); },
                     {UnaryOp::leaky_relu, slope}));
  });
  return y;
}

Tensor sigmoid(const Tensor& x) {
  Tensor y = map_unary(x, [](auto v) { return kernels::sigmoid_fwd(v); }, {UnaryOp::sigmoid});
  autograd::record("sigmoid", {x}, y, [y](const Tensor& g, autograd::Grads& grads) {
    grads.set(0, map_grad("sigmoid", y, g, [](auto v, auto gv) { return kernels::sigmoid_bwd(v, gv); }, {UnaryOp::sigmoid}));
  });
  return y;
}

Tensor tanh(const Tensor& x) {
  Tensor y = map_unary(x, [](auto v) { return kernels::tanh_fwd(v); }, {UnaryOp::tanh});
  autograd::record("tanh", {x}, y, [y](const Tensor& g, autograd::Grads& grads) {
    grads.set(0, map_grad("tanh", y, g, [](auto v, auto gv) { return kernels::tanh_bwd(v, gv); }, {UnaryOp::tanh}));
  });
  return y;
}

Tensor dropout(const Tensor& x, double p, bool training, Generator& gen) {
  AAFGAN_CHECK(p >= 0.0 && p < 1.0, "dropout: probability {} outside [0, 1)", p);
  if (!training || p == 0.0) return x;
  // The mask holds 0 or 1/(1 − p), so backward is one multiply.
  Tensor mask = Tensor::empty(x.shape(), x.dtype(), x.device());
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  const uint64_t n = static_cast<uint64_t>(x.numel());
  const uint64_t seed = gen.seed(), start = gen.advance(kernels::dropout_counters(n));
  dispatch(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T keep_scale = static_cast<T>(1.0 / (1.0 - p));
    if (x.device().is_cuda())
      kernels::cuda::dropout_forward_cuda<T>(x.numel(), x.data<T>(), y.data<T>(), mask.data<T>(), keep_scale, seed,
                                             start, gen.stream(), kernels::dropout_threshold(p),
                                             cuda_stream(x.device()));
    else
      kernels::cpu::dropout_forward<T>(x.numel(), x.data<T>(), y.data<T>(), mask.data<T>(), keep_scale, seed, start,
                                       gen.stream(), kernels::dropout_threshold(p));
  });
  autograd::record("dropout", {x}, y, [mask](const Tensor& g, autograd::Grads& grads) { grads.set(0, g * mask); });
  return y;
}

}  // namespace aafgan
