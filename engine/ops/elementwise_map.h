#pragma once
// The two loops every elementwise op is made of: y = f(x), and gx = f(saved, g) for its backward.
#include "engine/tensor.h"
#include "kernels/cpu/parallel.h"

namespace aafgan::detail {

template <typename Fwd>
Tensor map_unary(const char* op, const Tensor& x, Fwd fwd) {
  check_cpu(op, x);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  dispatch(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* px = x.data<T>();
    T* py = y.data<T>();
    kernels::cpu::parallel_for(x.numel(), [&](int64_t i) { py[i] = fwd(px[i]); });
  });
  return y;
}

// gx[i] = bwd(saved[i], g[i]), saved being the input or the output, whichever the formula uses.
template <typename Bwd>
Tensor map_grad(const char* op, const Tensor& saved, const Tensor& g, Bwd bwd) {
  check_cpu(op, g);
  Tensor gx = Tensor::empty(saved.shape(), saved.dtype(), saved.device());
  dispatch(saved.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* ps = saved.data<T>();
    const T* pg = g.data<T>();
    T* po = gx.data<T>();
    kernels::cpu::parallel_for(saved.numel(), [&](int64_t i) { po[i] = bwd(ps[i], pg[i]); });
  });
  return gx;
}

}  // namespace aafgan::detail
