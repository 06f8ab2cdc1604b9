// max_pool2d with padding (see pool.h): a thread per output (forward) or per input element (backward).
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/pool.h"
#include "kernels/cuda/pool_geometry.cuh"

namespace aafgan::kernels::cuda {

using namespace ops_detail;

namespace {

template <typename T>
__global__ void __launch_bounds__(kThreads)
    max_pool2d_forward_kernel(const T* __restrict__ x, T* __restrict__ y, int32_t* __restrict__ argmax, uint32_t n,
                              PoolGeom g) {
  for (uint32_t idx = blockIdx.x * blockDim.x + threadIdx.x; idx < n; idx += gridDim.x * blockDim.x) {
    // The window clipped to the input: padded cells take no part, so they never win.
    const PoolCell cell = pool_cell(idx, g);
    const PoolWindowOf<int>& win = cell.win;
    const T* src = x + static_cast<size_t>(cell.plane) * static_cast<size_t>(g.h) * static_cast<size_t>(g.w);
    int best_at = win.h0 * g.w + win.w0;
    T best = src[best_at];
    for (int i = win.h0; i < win.h1; ++i)
      for (int j = win.w0; j < win.w1; ++j) {
        const int at = i * g.w + j;
        const T v = src[at];
        // Strictly greater keeps the first maximum on ties; NaN wins and propagates (the CPU's rule).
        if (v > best || isnan(v)) {
          best = v;
          best_at = at;
        }
      }
    y[idx] = best;
    if (argmax) argmax[idx] = static_cast<int32_t>(best_at);
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    max_pool2d_backward_kernel(const T* __restrict__ gy, const int32_t* __restrict__ argmax, T* __restrict__ gx,
                               uint32_t n, PoolGeom g) {
  for (uint32_t idx = blockIdx.x * blockDim.x + threadIdx.x; idx < n; idx += gridDim.x * blockDim.x) {
    const PoolCovering c = pool_covering(idx, g);
    const size_t out_base = static_cast<size_t>(c.plane) * static_cast<size_t>(g.oh) * static_cast<size_t>(g.ow);
    T acc = T(0);
    for (int r = c.r_lo; r <= c.r_hi; ++r)
      for (int q = c.q_lo; q <= c.q_hi; ++q) {
        const size_t o = out_base + static_cast<size_t>(r) * static_cast<size_t>(g.ow) + static_cast<size_t>(q);
        if (argmax[o] == static_cast<int32_t>(c.at)) acc = acc + gy[o];
      }
    gx[idx] = acc;
  }
}

}  // namespace

template <typename T>
void max_pool2d_forward(const T* x, T* y, int32_t* argmax, int64_t planes, int64_t h, int64_t w, int kernel,
                             int stride, int padding, void* stream) {
  const auto sizes = [&] { return pool_str(planes, h, w, kernel, stride, padding); };
  int64_t n_in = 0, n_out = 0;
  const PoolGeom g =
      make_pool_geom("max_pool2d_forward", planes, h, w, kernel, stride, padding, false, n_in, n_out, sizes);
  if (n_out == 0) return;
  const dim3 grid(blocks_for(n_out));
  max_pool2d_forward_kernel<T><<<grid, kThreads, 0, as_stream(stream)>>>(x, y, argmax, static_cast<uint32_t>(n_out),
                                                                         g);
  check_launch("max_pool2d_forward_kernel", type_name<T>(), grid, sizes);
}

template <typename T>
void max_pool2d_backward(const T* gy, const int32_t* argmax, T* gx, int64_t planes, int64_t h, int64_t w,
                              int kernel, int stride, int padding, void* stream) {
  const auto sizes = [&] { return pool_str(planes, h, w, kernel, stride, padding); };
  int64_t n_in = 0, n_out = 0;
  const PoolGeom g =
      make_pool_geom("max_pool2d_backward", planes, h, w, kernel, stride, padding, false, n_in, n_out, sizes);
  if (n_in == 0) return;
  const dim3 grid(blocks_for(n_in));
  max_pool2d_backward_kernel<T><<<grid, kThreads, 0, as_stream(stream)>>>(gy, argmax, gx,
                                                                          static_cast<uint32_t>(n_in), g);
  check_launch("max_pool2d_backward_kernel", type_name<T>(), grid, sizes);
}

template void max_pool2d_forward<float>(const float*, float*, int32_t*, int64_t, int64_t, int64_t, int, int, int,
                                             void*);
template void max_pool2d_forward<double>(const double*, double*, int32_t*, int64_t, int64_t, int64_t, int, int,
                                              int, void*);
template void max_pool2d_backward<float>(const float*, const int32_t*, float*, int64_t, int64_t, int64_t, int,
                                              int, int, void*);
template void max_pool2d_backward<double>(const double*, const int32_t*, double*, int64_t, int64_t, int64_t, int,
                                               int, int, void*);

}  // namespace aafgan::kernels::cuda
