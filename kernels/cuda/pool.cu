// max_pool2d with padding (see pool.h): a thread per output (forward) or per input element (backward).
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/pool.h"

namespace aafgan::kernels::cuda {

using namespace ops_detail;

namespace {

struct PoolGeom {
  uint32_t planes, h, w, k, s, p, oh, ow;
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
    // The window clipped to the input (h + p, w + p < 2^31: checked on the host): padded cells
    // take no part, so they never win.
    const int hs = static_cast<int>(r * g.s) - static_cast<int>(g.p);
    const int ws = static_cast<int>(q * g.s) - static_cast<int>(g.p);
    const uint32_t h0 = static_cast<uint32_t>(max(hs, 0)), w0 = static_cast<uint32_t>(max(ws, 0));
    const uint32_t h1 = static_cast<uint32_t>(min(hs + static_cast<int>(g.k), static_cast<int>(g.h)));
    const uint32_t w1 = static_cast<uint32_t>(min(ws + static_cast<int>(g.k), static_cast<int>(g.w)));
    uint32_t best_at = h0 * g.w + w0;
    T best = src[best_at];
    for (uint32_t i = h0; i < h1; ++i)
      for (uint32_t j = w0; j < w1; ++j) {
        const uint32_t at = i * g.w + j;
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
    // In padded coordinates hp = hh + p: windows r with r·s ≤ hp ≤ r·s + k − 1, likewise q.
    const uint32_t hp = hh + g.p, wp = ww + g.p;
    const uint32_t r_lo = hp < g.k ? 0 : (hp - g.k) / g.s + 1, r_hi = min(g.oh - 1, hp / g.s);
    const uint32_t q_lo = wp < g.k ? 0 : (wp - g.k) / g.s + 1, q_hi = min(g.ow - 1, wp / g.s);
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

std::string pool_str(int64_t planes, int64_t h, int64_t w, int kernel, int stride, int padding) {
  return "planes=" + std::to_string(planes) + ", h=" + std::to_string(h) + ", w=" + std::to_string(w) +
         ", kernel=" + std::to_string(kernel) + ", stride=" + std::to_string(stride) +
         ", padding=" + std::to_string(padding);
}

// Checks the sizes as the CPU op does and returns the geometry; n_in/n_out are set.
template <typename Sizes>
PoolGeom make_geom(const char* fn, int64_t planes, int64_t h, int64_t w, int kernel, int stride, int padding,
                   int64_t& n_in, int64_t& n_out, const Sizes& sizes) {
  if (planes < 0 || h < 0 || w < 0) bad_args(fn, sizes(), "negative size");
  if (kernel <= 0) bad_args(fn, sizes(), "the kernel size must be positive");
  if (stride < 0) bad_args(fn, sizes(), "the stride must not be negative (0 means the kernel size)");
  // Beyond k/2 a window could lie wholly in the padding and have nothing to take the max of.
  if (padding < 0 || 2 * static_cast<int64_t>(padding) > kernel)
    bad_args(fn, sizes(), "the padding must be in [0, kernel/2]");
  const int64_t k = kernel, s = stride == 0 ? kernel : stride, p = padding;
  if (h + 2 * p < k || w + 2 * p < k)
    bad_args(fn, sizes(), p == 0 ? "the kernel is larger than the input plane"
                                 : "the kernel is larger than the input plane padded on every side");
  check_count(fn, planes, sizes);
  check_count(fn, h + 2 * p, sizes);  // the kernels' signed window bounds
  check_count(fn, w + 2 * p, sizes);
  check_count(fn, h * w, sizes);
  n_in = planes * h * w;
  check_count(fn, n_in, sizes);
  const int64_t oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1;
  n_out = planes * oh * ow;
  check_count(fn, n_out, sizes);
  PoolGeom g;
  g.planes = static_cast<uint32_t>(planes);
  g.h = static_cast<uint32_t>(h);
  g.w = static_cast<uint32_t>(w);
  g.k = static_cast<uint32_t>(k);
  g.s = static_cast<uint32_t>(s);
  g.p = static_cast<uint32_t>(p);
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
void max_pool2d_forward(const T* x, T* y, int32_t* argmax, int64_t planes, int64_t h, int64_t w, int kernel,
                             int stride, int padding, void* stream) {
  const auto sizes = [&] { return pool_str(planes, h, w, kernel, stride, padding); };
  int64_t n_in = 0, n_out = 0;
  const PoolGeom g =
      make_geom("max_pool2d_forward", planes, h, w, kernel, stride, padding, n_in, n_out, sizes);
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
      make_geom("max_pool2d_backward", planes, h, w, kernel, stride, padding, n_in, n_out, sizes);
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
