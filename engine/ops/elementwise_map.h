#pragma once
// The two loops every elementwise op is made of: y = f(x), and gx = f(saved, g) for its backward.
// On the CPU they run the op's functors; on a GPU the same formula's kernel, named by `cuda`.
#include "engine/device.h"
#include "engine/tensor.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cuda/pointwise.h"

namespace aafgan::detail {

// Which CUDA kernel computes an op, with its scalars (clamp's bounds, leaky_relu's slope).
struct CudaUnary {
  kernels::cuda::UnaryOp op;
  double a = 0.0, b = 0.0;
};

template <typename Fwd>
Tensor map_unary(const Tensor& x, Fwd fwd, CudaUnary cuda) {
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  dispatch(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* px = x.data<T>();
    T* py = y.data<T>();
    if (x.device().is_cuda()) {
      kernels::cuda::unary_forward_cuda<T>(cuda.op, px, py, x.numel(), cuda.a, cuda.b, cuda_stream(x.device()));
      return;
    }
    kernels::cpu::parallel_for(x.numel(), [&](int64_t i) { py[i] = fwd(px[i]); });
  });
  return y;
}

// gx[i] = bwd(saved[i], g[i]), saved being the input or the output, whichever the formula uses
// (on a GPU: kernels::cuda::unary_backward_uses_output(cuda.op) says which).
template <typename Bwd>
Tensor map_grad(const char* op, const Tensor& saved, const Tensor& g, Bwd bwd, CudaUnary cuda) {
  check_same_device(op, saved, g);
  Tensor gx = Tensor::empty(saved.shape(), saved.dtype(), saved.device());
  dispatch(saved.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* ps = saved.data<T>();
    const T* pg = g.data<T>();
    T* po = gx.data<T>();
    if (saved.device().is_cuda()) {
      kernels::cuda::unary_backward_cuda<T>(cuda.op, ps, pg, po, saved.numel(), cuda.a, cuda.b,
                                            cuda_stream(saved.device()));
      return;
    }
    kernels::cpu::parallel_for(saved.numel(), [&](int64_t i) { po[i] = bwd(ps[i], pg[i]); });
  });
  return gx;
}

}  // namespace aafgan::detail
