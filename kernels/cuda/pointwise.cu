// Pointwise maps (see pointwise.h): one kernel per map and direction, a grid-stride loop over
// 16-byte units (vector accesses when every pointer is aligned, element by element otherwise),
// each element computed by the shared formula of kernels/math/pointwise.h or
// kernels/math/pointwise.h.
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/pointwise.h"
#include "kernels/math/pointwise.h"

namespace aafgan::kernels::cuda {

using namespace ops_detail;

namespace {

// Forward: out = f(x) (g unused). Backward: out = f'(x)·g from x = saved. out may alias x or g.
template <UnaryOp Op, typename T, bool Bwd>
__global__ void __launch_bounds__(kThreads)
    unary_kernel(const T* x, const T* g, T* out, uint32_t n, T a, T b, bool vec) {
  constexpr int V = vec_width<T>();
  const uint32_t units = (n + V - 1) / V;
  for (uint32_t u = blockIdx.x * blockDim.x + threadIdx.x; u < units; u += gridDim.x * blockDim.x) {
    const uint32_t i0 = u * V;
    const int count = static_cast<int>(min(n - i0, uint32_t(V)));
    T xv[V], ov[V];
    load_unit<T>(x + i0, count, vec, xv);
    if constexpr (Bwd) {
      T gv[V];
      load_unit<T>(g + i0, count, vec, gv);
#pragma unroll
      for (int l = 0; l < V; ++l) ov[l] = unary_bwd<Op>(xv[l], gv[l], a, b);
    } else {
#pragma unroll
      for (int l = 0; l < V; ++l) ov[l] = unary_fwd<Op>(xv[l], a, b);
    }
    store_unit<T>(out + i0, count, vec, ov);
  }
}

template <UnaryOp Op, typename T, bool Bwd>
void launch_unary(const T* x, const T* g, T* out, int64_t n, T a, T b, cudaStream_t s) {
  const dim3 grid(blocks_for(ceil_div(n, vec_width<T>())));
  const bool vec = aligned16(x) && aligned16(out) && (!Bwd || aligned16(g));
  unary_kernel<Op, T, Bwd><<<grid, kThreads, 0, s>>>(x, g, out, static_cast<uint32_t>(n), a, b, vec);
  check_launch(Bwd ? "unary_backward_kernel" : "unary_forward_kernel", type_name<T>(), grid,
               [&] { return std::string(unary_op_name(Op)) + ", n=" + std::to_string(n); });
}

template <typename T, bool Bwd>
void launch_unary_op(const char* fn, UnaryOp op, const T* x, const T* g, T* out, int64_t n, double a, double b,
                    void* stream) {
  check_count(fn, n, [&] { return std::string(unary_op_name(op)) + ", n=" + std::to_string(n); });
  if (n == 0) return;
  const T ta = static_cast<T>(a), tb = static_cast<T>(b);
  const cudaStream_t s = as_stream(stream);
  switch (op) {
    case UnaryOp::sqrt: launch_unary<UnaryOp::sqrt, T, Bwd>(x, g, out, n, ta, tb, s); break;
    case UnaryOp::exp: launch_unary<UnaryOp::exp, T, Bwd>(x, g, out, n, ta, tb, s); break;
    case UnaryOp::log: launch_unary<UnaryOp::log, T, Bwd>(x, g, out, n, ta, tb, s); break;
    case UnaryOp::log1p: launch_unary<UnaryOp::log1p, T, Bwd>(x, g, out, n, ta, tb, s); break;
    case UnaryOp::softplus: launch_unary<UnaryOp::softplus, T, Bwd>(x, g, out, n, ta, tb, s); break;
    case UnaryOp::abs: launch_unary<UnaryOp::abs, T, Bwd>(x, g, out, n, ta, tb, s); break;
    case UnaryOp::square: launch_unary<UnaryOp::square, T, Bwd>(x, g, out, n, ta, tb, s); break;
    case UnaryOp::clamp: launch_unary<UnaryOp::clamp, T, Bwd>(x, g, out, n, ta, tb, s); break;
    case UnaryOp::relu: launch_unary<UnaryOp::relu, T, Bwd>(x, g, out, n, ta, tb, s); break;
    case UnaryOp::leaky_relu: launch_unary<UnaryOp::leaky_relu, T, Bwd>(x, g, out, n, ta, tb, s); break;
    case UnaryOp::sigmoid: launch_unary<UnaryOp::sigmoid, T, Bwd>(x, g, out, n, ta, tb, s); break;
    case UnaryOp::tanh: launch_unary<UnaryOp::tanh, T, Bwd>(x, g, out, n, ta, tb, s); break;
  }
}

}  // namespace

template <typename T>
void unary_forward(UnaryOp op, const T* x, T* y, int64_t n, double a, double b, void* stream) {
  launch_unary_op<T, false>("unary_forward", op, x, nullptr, y, n, a, b, stream);
}

template <typename T>
void unary_backward(UnaryOp op, const T* saved, const T* g, T* gx, int64_t n, double a, double b,
                         void* stream) {
  launch_unary_op<T, true>("unary_backward", op, saved, g, gx, n, a, b, stream);
}

template void unary_forward<float>(UnaryOp, const float*, float*, int64_t, double, double, void*);
template void unary_forward<double>(UnaryOp, const double*, double*, int64_t, double, double, void*);
template void unary_backward<float>(UnaryOp, const float*, const float*, float*, int64_t, double, double,
                                         void*);
template void unary_backward<double>(UnaryOp, const double*, const double*, double*, int64_t, double, double,
                                          void*);

}  // namespace aafgan::kernels::cuda
