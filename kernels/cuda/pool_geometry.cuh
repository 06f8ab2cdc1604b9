#pragma once
// The host checks and the kernels' geometry of k×k pooling, shared by max_pool2d (pool.cu) and
// avg_pool2d (image_ops.cu); the windows themselves are kernels/math/pool.h, as on the CPU.
// Included by .cu files only (common.cuh).
#include <cstdint>
#include <string>

#include "kernels/cuda/common.cuh"
#include "kernels/math/pool.h"

namespace aafgan::kernels::cuda::ops_detail {

// Sizes as int (every size plus the padding is below 2^31: checked on the host), divisions by
// the output row, output plane, input row and input plane as FastDiv.
struct PoolGeom {
  int h, w, k, s, p, oh, ow;
  bool count_include_pad;  // avg_pool2d's divisor rule (pool_window)
  FastDiv ow_div, out_plane_div, w_div, in_plane_div;
};

inline std::string pool_str(int64_t planes, int64_t h, int64_t w, int kernel, int stride, int padding) {
  return "planes=" + std::to_string(planes) + ", h=" + std::to_string(h) + ", w=" + std::to_string(w) +
         ", kernel=" + std::to_string(kernel) + ", stride=" + std::to_string(stride) +
         ", padding=" + std::to_string(padding);
}

// Checks the sizes as the engine ops do and returns the geometry; n_in/n_out are set.
template <typename Sizes>
PoolGeom make_pool_geom(const char* fn, int64_t planes, int64_t h, int64_t w, int kernel, int stride, int padding,
                        bool count_include_pad, int64_t& n_in, int64_t& n_out, const Sizes& sizes) {
  if (planes < 0 || h < 0 || w < 0) bad_args(fn, sizes(), "negative size");
  if (kernel <= 0) bad_args(fn, sizes(), "the kernel size must be positive");
  if (stride < 0) bad_args(fn, sizes(), "the stride must not be negative (0 means the kernel size)");
  // Beyond k/2 a window could lie wholly in the padding and have nothing to pool.
  if (padding < 0 || 2 * static_cast<int64_t>(padding) > kernel)
    bad_args(fn, sizes(), "the padding must be in [0, kernel/2]");
  const int64_t k = kernel, s = pool_stride(kernel, stride), p = padding;
  if (h + 2 * p < k || w + 2 * p < k)
    bad_args(fn, sizes(), p == 0 ? "the kernel is larger than the input plane"
                                 : "the kernel is larger than the input plane padded on every side");
  check_count(fn, planes, sizes);
  check_count(fn, h + 2 * p, sizes);  // the kernels' int window bounds
  check_count(fn, w + 2 * p, sizes);
  check_count(fn, h * w, sizes);
  n_in = planes * h * w;
  check_count(fn, n_in, sizes);
  const int64_t oh = pool_out_size(h, k, s, p), ow = pool_out_size(w, k, s, p);
  check_count(fn, oh * ow, sizes);
  n_out = planes * oh * ow;
  check_count(fn, n_out, sizes);
  PoolGeom g;
  g.h = static_cast<int>(h);
  g.w = static_cast<int>(w);
  g.k = static_cast<int>(k);
  g.s = static_cast<int>(s);
  g.p = static_cast<int>(p);
  g.oh = static_cast<int>(oh);
  g.ow = static_cast<int>(ow);
  g.count_include_pad = count_include_pad;
  g.ow_div = FastDiv(static_cast<uint32_t>(ow));
  g.out_plane_div = FastDiv(static_cast<uint32_t>(oh * ow));
  g.w_div = FastDiv(static_cast<uint32_t>(w));
  g.in_plane_div = FastDiv(static_cast<uint32_t>(h * w));
  return g;
}

// Output cell `idx` of planes × [oh, ow]: its plane and its window.
struct PoolCell {
  uint32_t plane;
  PoolWindowOf<int> win;
};
__device__ __forceinline__ PoolCell pool_cell(uint32_t idx, const PoolGeom& g) {
  const uint32_t pl = g.out_plane_div.div(idx);
  const uint32_t rem = idx - pl * static_cast<uint32_t>(g.oh * g.ow);
  const uint32_t ru = g.ow_div.div(rem);
  const int r = static_cast<int>(ru), q = static_cast<int>(rem - ru * static_cast<uint32_t>(g.ow));
  return {pl, pool_window(r, q, g.k, g.s, g.p, g.h, g.w, g.count_include_pad)};
}

// Input element `idx` of planes × [h, w]: its plane, its index within the plane (as max_pool2d's
// argmax stores it), and the windows r ∈ [r_lo, r_hi], q ∈ [q_lo, q_hi] that contain it. In padded
// coordinates hp = hh + p, window r covers r·s ≤ hp ≤ r·s + k − 1; likewise q.
struct PoolCovering {
  uint32_t plane, at;
  int r_lo, r_hi, q_lo, q_hi;
};
__device__ __forceinline__ PoolCovering pool_covering(uint32_t idx, const PoolGeom& g) {
  PoolCovering c;
  c.plane = g.in_plane_div.div(idx);
  c.at = idx - c.plane * static_cast<uint32_t>(g.h * g.w);
  const uint32_t hh = g.w_div.div(c.at), ww = c.at - hh * static_cast<uint32_t>(g.w);
  const int hp = static_cast<int>(hh) + g.p, wp = static_cast<int>(ww) + g.p;
  c.r_lo = hp < g.k ? 0 : (hp - g.k) / g.s + 1;
  c.r_hi = min(g.oh - 1, hp / g.s);
  c.q_lo = wp < g.k ? 0 : (wp - g.k) / g.s + 1;
  c.q_hi = min(g.ow - 1, wp / g.s);
  return c;
}

}  // namespace aafgan::kernels::cuda::ops_detail
