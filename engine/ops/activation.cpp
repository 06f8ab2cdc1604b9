// Fixed activations and dropout.
#include "engine/autograd.h"
#include "engine/ops.h"
#include "kernels/cpu/parallel.h"
#include "kernels/elementwise_math.h"
#include "kernels/philox.h"

namespace aafgan {

namespace {

using kernels::cpu::parallel_for;

// y[i] = f(x[i]) for a functor templated on the element type.
template <typename Fwd>
Tensor map_unary(const char* op, const Tensor& x, Fwd fwd) {
  check_cpu(op, x);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  dispatch(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* px = x.data<T>();
    T* py = y.data<T>();
    parallel_for(x.numel(), [&](int64_t i) { py[i] = fwd(px[i]); });
  });
  return y;
}

// gx[i] = f(s[i], g[i]) where s is the saved input or output.
template <typename Bwd>
Tensor map_grad(const Tensor& saved, const Tensor& g, Bwd bwd) {
  Tensor gx = Tensor::empty(saved.shape(), saved.dtype(), saved.device());
  dispatch(saved.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* ps = saved.data<T>();
    const T* pg = g.data<T>();
    T* po = gx.data<T>();
    parallel_for(saved.numel(), [&](int64_t i) { po[i] = bwd(ps[i], pg[i]); });
  });
  return gx;
}

}  // namespace

Tensor relu(const Tensor& x) {
  Tensor y = map_unary("relu", x, [](auto v) { return kernels::relu_fwd(v); });
  autograd::record("relu", {x}, y, [x](const Tensor& g, autograd::Grads& grads) {
    grads.set(0, map_grad(x, g, [](auto v, auto gv) { return kernels::relu_bwd(v, gv); }));
  });
  return y;
}

Tensor leaky_relu(const Tensor& x, double slope) {
  Tensor y = map_unary("leaky_relu", x, [slope](auto v) { return kernels::leaky_relu_fwd(v, decltype(v)(slope)); });
  autograd::record("leaky_relu", {x}, y, [x, slope](const Tensor& g, autograd::Grads& grads) {
    grads.set(0, map_grad(x, g, [slope](auto v, auto gv) { return kernels::leaky_relu_bwd(v, decltype(v)(slope), gv); }));
  });
  return y;
}

Tensor sigmoid(const Tensor& x) {
  Tensor y = map_unary("sigmoid", x, [](auto v) { return kernels::sigmoid_fwd(v); });
  autograd::record("sigmoid", {x}, y, [y](const Tensor& g, autograd::Grads& grads) {
    grads.set(0, map_grad(y, g, [](auto v, auto gv) { return kernels::sigmoid_bwd(v, gv); }));
  });
  return y;
}

Tensor tanh(const Tensor& x) {
  Tensor y = map_unary("tanh", x, [](auto v) { return kernels::tanh_fwd(v); });
  autograd::record("tanh", {x}, y, [y](const Tensor& g, autograd::Grads& grads) {
    grads.set(0, map_grad(y, g, [](auto v, auto gv) { return kernels::tanh_bwd(v, gv); }));
  });
  return y;
}

Tensor dropout(const Tensor& x, double p, bool training, Generator& gen) {
  AAFGAN_CHECK(p >= 0.0 && p < 1.0, "dropout: probability {} outside [0, 1)", p);
  if (!training || p == 0.0) return x;
  check_cpu("dropout", x);
  // The mask holds 0 or 1/(1 − p), so backward is one multiply.
  Tensor mask = Tensor::empty(x.shape(), x.dtype(), x.device());
  const uint64_t seed = gen.seed(), start = gen.advance(static_cast<uint64_t>(x.numel()));
  const uint32_t stream = gen.stream();
  dispatch(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* pm = mask.data<T>();
    const T keep_scale = static_cast<T>(1.0 / (1.0 - p));
    parallel_for(x.numel(), [&](int64_t i) {
      pm[i] = kernels::philox_uniform(seed, start, static_cast<uint64_t>(i), stream) > p ? keep_scale : T(0);
    });
  });
  Tensor y;
  {
    autograd::NoGradGuard no_grad;
    y = mul(x, mask);
  }
  autograd::record("dropout", {x}, y, [mask](const Tensor& g, autograd::Grads& grads) { grads.set(0, g * mask); });
  return y;
}

}  // namespace aafgan
