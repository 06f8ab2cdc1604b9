// max_pool2d (see pool.h): a thread per output (forward) or per input element (backward).
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/pool.h"

namespace aafgan::kernels::cuda {

using namespace ops_detail;

namespace {

struct PoolGeom {
  uint32_t planes, h, w, k, s, oh, ow;
  FastDiv ow_div, out_plane_div, w_div, in_plane_div;
};

template <typename T>
__global__ void __launch_bounds__(kThreads)
    max_pool2d_forward_kernel(const T* __restrict__ x, T* __restrict__ y, int32_t* __restrict__ argmax, uint32_t n,
                              PoolGeom g) {
  for (uint32_t idx = blockIdx.x * blockDim.x + threadIdx.x; idx < n; idx += gridDim.x * blockDim.x) {
    const uint32_t pl = g.out_plane_div.div(idx);
    const uint32_t rem = idx - pl * (g.oh * g.ow);
    const uint32_t r = g.ow_div.div(rem), q = rem - r * g.ow;
    const T* src = x + static_cast<size_t>(pl) * g.h * g.w;
    uint32_t best_at = r * g.s * g.w + q * g.s;
    T best = src[best_at];
    for (uint32_t i = 0; i < g.k; ++i)
      for (uint32_t j = 0; j < g.k; ++j) {
        const uint32_t at = (r * g.s + i) * g.w + q * g.s + j;
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
    const uint32_t pl = g.in_plane_div.div(idx);
    const uint32_t at = idx - pl * (g.h * g.w);  // index within the plane, as argmax stores it
    const uint32_t hh = g.w_div.div(at), ww = at - hh * g.w;
    // Windows r with r·s ≤ hh ≤ r·s + k − 1, likewise q for ww.
    const uint32_t r_lo = hh < g.k ? 0 : (hh - g.k) / g.s + 1, r_hi = min(g.oh - 1, hh / g.s);
    const uint32_t q_lo = ww < g.k ? 0 : (ww - g.k) / g.s + 1, q_hi = min(g.ow - 1, ww / g.s);
    const size_t out_base = static_cast<size_t>(pl) * g.oh * g.ow;
    T acc = T(0);
    for (uint32_t r = r_lo; r <= r_hi; ++r)
      for (uint32_t q = q_lo; q <= q_hi; ++q) {
        const size_t o = out_base + r * g.ow + q;
        if (argmax[o] == static_cast<int32_t>(at)) acc = acc + gy[o];
      }
    gx[idx] = acc;
  }
}

std::string pool_str(int64_t planes, int64_t h, int64_t w, int kernel, int stride) {
  return "planes=" + std::to_string(planes) + ", h=" + std::to_string(h) + ", w=" + std::to_string(w) +
         ", kernel=" + std::to_string(kernel) + ", stride=" + std::to_string(stride);
}

// Checks the sizes as the CPU op does and returns the geometry; n_in/n_out are set.
template <typename Sizes>
PoolGeom make_geom(const char* fn, int64_t planes, int64_t h, int64_t w, int kernel, int stride, int64_t& n_in,
                   int64_t& n_out, const Sizes& sizes) {
  if (planes < 0 || h < 0 || w < 0) bad_args(fn, sizes(), "negative size");
  if (kernel <= 0) bad_args(fn, sizes(), "the kernel size must be positive");
  if (stride < 0) bad_args(fn, sizes(), "the stride must not be negative (0 means the kernel size)");
  const int64_t k = kernel, s = stride == 0 ? kernel : stride;
  if (h < k || w < k) bad_args(fn, sizes(), "the kernel is larger than the input plane");
  check_count(fn, planes, sizes);
  check_count(fn, h * w, sizes);
  n_in = planes * h * w;
  check_count(fn, n_in, sizes);
  const int64_t oh = (h - k) / s + 1, ow = (w - k) / s + 1;
  n_out = planes * oh * ow;
  PoolGeom g;
  g.planes = static_cast<uint32_t>(planes);
  g.h = static_cast<uint32_t>(h);
  g.w = static_cast<uint32_t>(w);
  g.k = static_cast<uint32_t>(k);
  g.s = static_cast<uint32_t>(s);
  g.oh = static_cast<uint32_t>(oh);
  g.ow = static_cast<uint32_t>(ow);
  g.ow_div = FastDiv(g.ow);
  g.out_plane_div = FastDiv(g.oh * g.ow);
  g.w_div = FastDiv(g.w);
  g.in_plane_div = FastDiv(g.h * g.w);
  return g;
}

}  // namespace

template <typename T>
void max_pool2d_forward_cuda(const T* x, T* y, int32_t* argmax, int64_t planes, int64_t h, int64_t w, int kernel,
                             int stride, void* stream) {
  const auto sizes = [&] { return pool_str(planes, h, w, kernel, stride); };
  int64_t n_in = 0, n_out = 0;
  const PoolGeom g = make_geom("max_pool2d_forward_cuda", planes, h, w, kernel, stride, n_in, n_out, sizes);
  if (n_out == 0) return;
  const dim3 grid(blocks_for(n_out));
  max_pool2d_forward_kernel<T><<<grid, kThreads, 0, as_stream(stream)>>>(x, y, argmax, static_cast<uint32_t>(n_out),
                                                                         g);
  check_launch("max_pool2d_forward_kernel", type_name<T>(), grid, sizes);
}

template <typename T>
void max_pool2d_backward_cuda(const T* gy, const int32_t* argmax, T* gx, int64_t planes, int64_t h, int64_t w,
                              int kernel, int stride, void* stream) {
  const auto sizes = [&] { return pool_str(planes, h, w, kernel, stride); };
  int64_t n_in = 0, n_out = 0;
  const PoolGeom g = make_geom("max_pool2d_backward_cuda", planes, h, w, kernel, stride, n_in, n_out, sizes);
  if (n_in == 0) return;
  const dim3 grid(blocks_for(n_in));
  max_pool2d_backward_kernel<T><<<grid, kThreads, 0, as_stream(stream)>>>(gy, argmax, gx,
                                                                          static_cast<uint32_t>(n_in), g);
  check_launch("max_pool2d_backward_kernel", type_name<T>(), grid, sizes);
}

template void max_pool2d_forward_cuda<float>(const float*, float*, int32_t*, int64_t, int64_t, int64_t, int, int,
                                             void*);
template void max_pool2d_forward_cuda<double>(const double*, double*, int32_t*, int64_t, int64_t, int64_t, int, int,
                                              void*);
template void max_pool2d_backward_cuda<float>(const float*, const int32_t*, float*, int64_t, int64_t, int64_t, int,
                                              int, void*);
template void max_pool2d_backward_cuda<double>(const double*, const int32_t*, double*, int64_t, int64_t, int64_t, int,
                                               int, void*);

}  // namespace aafgan::kernels::cuda
