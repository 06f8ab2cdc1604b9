// avg_pool2d, global_avg_pool2d and interpolate_bilinear (see image_ops.h): a thread per output
// (forwards) or per input element (backwards, gathers), no atomics.
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/image_ops.h"
#include "kernels/cuda/pool_geometry.cuh"
#include "kernels/math/rounding.h"

namespace aafgan::kernels::cuda {

using namespace ops_detail;

namespace {

template <typename T>
__device__ __forceinline__ T div_rn(T a, T b) {
  return bilinear_div_rn<T>(a, b);
}

// --- avg_pool2d ---------------------------------------------------------------------------------

template <typename T>
__global__ void __launch_bounds__(kThreads)
    avg_pool2d_forward_kernel(const T* __restrict__ x, T* __restrict__ y, uint32_t n, PoolGeom g) {
  for (uint32_t idx = blockIdx.x * blockDim.x + threadIdx.x; idx < n; idx += gridDim.x * blockDim.x) {
    const PoolCell cell = pool_cell(idx, g);
    const PoolWindowOf<int>& win = cell.win;
    const T* src = x + static_cast<size_t>(cell.plane) * static_cast<size_t>(g.h) * static_cast<size_t>(g.w);
    // The CPU's separable sum: each window row's sum over its columns, then those over the rows.
    double acc = 0.0;
    for (int i = win.h0; i < win.h1; ++i) {
      const T* line = src + static_cast<size_t>(i) * static_cast<size_t>(g.w);
      double row = 0.0;
      for (int j = win.w0; j < win.w1; ++j) row = add_rn(row, static_cast<double>(line[j]));
      acc = add_rn(acc, row);
    }
    const double inv = __ddiv_rn(1.0, static_cast<double>(win.divisor));
    y[idx] = static_cast<T>(mul_rn(acc, inv));
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    avg_pool2d_backward_kernel(const T* __restrict__ gy, T* __restrict__ gx, uint32_t n, PoolGeom g) {
  for (uint32_t idx = blockIdx.x * blockDim.x + threadIdx.x; idx < n; idx += gridDim.x * blockDim.x) {
    const PoolCovering c = pool_covering(idx, g);
    const T* grad = gy + static_cast<size_t>(c.plane) * static_cast<size_t>(g.oh) * static_cast<size_t>(g.ow);
    T acc = T(0);
    for (int r = c.r_lo; r <= c.r_hi; ++r)
      for (int q = c.q_lo; q <= c.q_hi; ++q) {
        const int64_t divisor = pool_window(r, q, g.k, g.s, g.p, g.h, g.w, g.count_include_pad).divisor;
        const T share = div_rn(grad[static_cast<size_t>(r) * static_cast<size_t>(g.ow) + static_cast<size_t>(q)],
                               static_cast<T>(divisor));
        acc = add_rn(acc, share);
      }
    gx[idx] = acc;
  }
}

std::string avg_str(int64_t planes, int64_t h, int64_t w, int kernel, int stride, int padding,
                    bool count_include_pad) {
  return pool_str(planes, h, w, kernel, stride, padding) +
         ", count_include_pad=" + (count_include_pad ? "true" : "false");
}

// --- global_avg_pool2d ----------------------------------------------------------------------------

// One thread per plane, ascending, in double: the CPU's loop.
template <typename T>
__global__ void __launch_bounds__(kThreads)
    global_avg_pool_seq_kernel(const T* __restrict__ x, T* __restrict__ y, uint32_t planes, uint32_t plane) {
  for (uint32_t pl = blockIdx.x * blockDim.x + threadIdx.x; pl < planes; pl += gridDim.x * blockDim.x) {
    const T* src = x + static_cast<size_t>(pl) * plane;
    double acc = 0.0;
    for (uint32_t i = 0; i < plane; ++i) acc = add_rn(acc, static_cast<double>(src[i]));
    y[pl] = static_cast<T>(__ddiv_rn(acc, static_cast<double>(plane)));
  }
}

// A block per plane: thread t adds elements t, t + kThreads, … in ascending order in double,
// then the block's fixed tree (common.cuh).
template <typename T>
__global__ void __launch_bounds__(kThreads)
    global_avg_pool_block_kernel(const T* __restrict__ x, T* __restrict__ y, uint32_t planes, uint32_t plane) {
  for (uint32_t pl = blockIdx.x; pl < planes; pl += gridDim.x) {  // uniform over the block
    const T* src = x + static_cast<size_t>(pl) * plane;
    double acc = 0.0;
    for (uint32_t i = threadIdx.x; i < plane; i += kThreads) acc = add_rn(acc, static_cast<double>(src[i]));
    const double total = block_sum(acc);
    if (threadIdx.x == 0) y[pl] = static_cast<T>(__ddiv_rn(total, static_cast<double>(plane)));
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    global_avg_pool_backward_kernel(const T* __restrict__ gy, T* __restrict__ gx, uint32_t n, FastDiv plane_div,
                                    T count) {
  for (uint32_t idx = blockIdx.x * blockDim.x + threadIdx.x; idx < n; idx += gridDim.x * blockDim.x)
    gx[idx] = div_rn(gy[plane_div.div(idx)], count);
}

struct GlobalStr {
  int64_t planes, plane;
  std::string operator()() const { return "planes=" + std::to_string(planes) + ", plane=" + std::to_string(plane); }
};

void check_global(const char* fn, int64_t planes, int64_t plane, const GlobalStr& sizes) {
  if (planes < 0 || plane < 0) bad_args(fn, sizes(), "negative size");
  if (plane == 0) bad_args(fn, sizes(), "an empty plane has no mean");
  check_count(fn, planes, sizes);
  check_count(fn, plane, sizes);
  check_count(fn, planes * plane, sizes);
}

// --- interpolate_bilinear -------------------------------------------------------------------------

struct InterpGeom {
  int64_t h, w, oh, ow;  // the taps take int64 sizes, as the CPU's
  FastDiv ow_div, out_plane_div, w_div, in_plane_div;
  uint32_t in_plane, out_plane;
};

template <typename T>
__global__ void __launch_bounds__(kThreads)
    interpolate_forward_kernel(const T* __restrict__ x, T* __restrict__ y, uint32_t n, InterpGeom g) {
  for (uint32_t idx = blockIdx.x * blockDim.x + threadIdx.x; idx < n; idx += gridDim.x * blockDim.x) {
    const uint32_t pl = g.out_plane_div.div(idx);
    const uint32_t rem = idx - pl * g.out_plane;
    const uint32_t r = g.ow_div.div(rem), q = rem - r * static_cast<uint32_t>(g.ow);
    const BilinearTap<T> tr = bilinear_tap<T>(r, g.h, g.oh), tc = bilinear_tap<T>(q, g.w, g.ow);
    const T* src = x + static_cast<size_t>(pl) * g.in_plane;
    const T* row0 = src + tr.i0 * g.w;
    const T* row1 = src + tr.i1 * g.w;
    y[idx] = bilinear_mix<T>(row0[tc.i0], row0[tc.i1], row1[tc.i0], row1[tc.i1], tr.l0, tr.l1, tc.l0, tc.l1);
  }
}

// The first output index whose tap's i0 is at least `target` (`out` if none): i0 never decreases
// along the output, so the outputs reaching input index t (i0 ∈ {t − 1, t}) form the range
// [first_tap_at_least(t − 1), first_tap_at_least(t + 1)).
template <typename T>
__device__ __forceinline__ int64_t first_tap_at_least(int64_t target, int64_t in, int64_t out) {
  int64_t lo = 0, hi = out;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (bilinear_tap<T>(mid, in, out).i0 < target)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    interpolate_backward_kernel(const T* __restrict__ gy, T* __restrict__ gx, uint32_t n, InterpGeom g) {
  for (uint32_t idx = blockIdx.x * blockDim.x + threadIdx.x; idx < n; idx += gridDim.x * blockDim.x) {
    const uint32_t pl = g.in_plane_div.div(idx);
    const uint32_t at = idx - pl * g.in_plane;
    const uint32_t iu = g.w_div.div(at);
    const int64_t i = iu, j = at - iu * static_cast<uint32_t>(g.w);
    const int64_t r_begin = first_tap_at_least<T>(i - 1, g.h, g.oh), r_end = first_tap_at_least<T>(i + 1, g.h, g.oh);
    const int64_t q_begin = first_tap_at_least<T>(j - 1, g.w, g.ow), q_end = first_tap_at_least<T>(j + 1, g.w, g.ow);
    const T* grad = gy + static_cast<size_t>(pl) * g.out_plane;
    T acc = T(0);
    // Ascending outputs; within one, the CPU's statements row0[c0], row0[c1], row1[c0], row1[c1].
    for (int64_t r = r_begin; r < r_end; ++r) {
      const BilinearTap<T> tr = bilinear_tap<T>(r, g.h, g.oh);
      for (int64_t q = q_begin; q < q_end; ++q) {
        const BilinearTap<T> tc = bilinear_tap<T>(q, g.w, g.ow);
        const T v = grad[r * g.ow + q];
        if (tr.i0 == i) {
          const T va = mul_rn(v, tr.l0);
          if (tc.i0 == j) acc = add_rn(acc, mul_rn(va, tc.l0));
          if (tc.i1 == j) acc = add_rn(acc, mul_rn(va, tc.l1));
        }
        if (tr.i1 == i) {
          const T va = mul_rn(v, tr.l1);
          if (tc.i0 == j) acc = add_rn(acc, mul_rn(va, tc.l0));
          if (tc.i1 == j) acc = add_rn(acc, mul_rn(va, tc.l1));
        }
      }
    }
    gx[idx] = acc;
  }
}

std::string interp_str(int64_t planes, int64_t h, int64_t w, int64_t out_h, int64_t out_w) {
  return "planes=" + std::to_string(planes) + ", h=" + std::to_string(h) + ", w=" + std::to_string(w) +
         ", out_h=" + std::to_string(out_h) + ", out_w=" + std::to_string(out_w);
}

template <typename Sizes>
InterpGeom make_interp_geom(const char* fn, int64_t planes, int64_t h, int64_t w, int64_t out_h, int64_t out_w,
                            int64_t& n_in, int64_t& n_out, const Sizes& sizes) {
  if (planes < 0 || h < 0 || w < 0 || out_h < 0 || out_w < 0) bad_args(fn, sizes(), "negative size");
  if (h == 0 || w == 0 || out_h == 0 || out_w == 0) bad_args(fn, sizes(), "empty input or output plane");
  check_count(fn, planes, sizes);
  check_count(fn, h * w, sizes);
  check_count(fn, out_h * out_w, sizes);
  n_in = planes * h * w;
  n_out = planes * out_h * out_w;
  check_count(fn, n_in, sizes);
  check_count(fn, n_out, sizes);
  InterpGeom g;
  g.h = h;
  g.w = w;
  g.oh = out_h;
  g.ow = out_w;
  g.ow_div = FastDiv(static_cast<uint32_t>(out_w));
  g.out_plane_div = FastDiv(static_cast<uint32_t>(out_h * out_w));
  g.w_div = FastDiv(static_cast<uint32_t>(w));
  g.in_plane_div = FastDiv(static_cast<uint32_t>(h * w));
  g.in_plane = static_cast<uint32_t>(h * w);
  g.out_plane = static_cast<uint32_t>(out_h * out_w);
  return g;
}

}  // namespace

// --- entry points -----------------------------------------------------------------------------------

template <typename T>
void avg_pool2d_forward(const T* x, T* y, int64_t planes, int64_t h, int64_t w, int kernel, int stride,
                             int padding, bool count_include_pad, void* stream) {
  const auto sizes = [&] { return avg_str(planes, h, w, kernel, stride, padding, count_include_pad); };
  int64_t n_in = 0, n_out = 0;
  const PoolGeom g = make_pool_geom("avg_pool2d_forward", planes, h, w, kernel, stride, padding,
                                    count_include_pad, n_in, n_out, sizes);
  if (n_out == 0) return;
  const dim3 grid(blocks_for(n_out));
  avg_pool2d_forward_kernel<T><<<grid, kThreads, 0, as_stream(stream)>>>(x, y, static_cast<uint32_t>(n_out), g);
  check_launch("avg_pool2d_forward_kernel", type_name<T>(), grid, sizes);
}

template <typename T>
void avg_pool2d_backward(const T* gy, T* gx, int64_t planes, int64_t h, int64_t w, int kernel, int stride,
                              int padding, bool count_include_pad, void* stream) {
  const auto sizes = [&] { return avg_str(planes, h, w, kernel, stride, padding, count_include_pad); };
  int64_t n_in = 0, n_out = 0;
  const PoolGeom g = make_pool_geom("avg_pool2d_backward", planes, h, w, kernel, stride, padding,
                                    count_include_pad, n_in, n_out, sizes);
  if (n_in == 0) return;
  const dim3 grid(blocks_for(n_in));
  avg_pool2d_backward_kernel<T><<<grid, kThreads, 0, as_stream(stream)>>>(gy, gx, static_cast<uint32_t>(n_in), g);
  check_launch("avg_pool2d_backward_kernel", type_name<T>(), grid, sizes);
}

template <typename T>
void global_avg_pool2d_forward(const T* x, T* y, int64_t planes, int64_t plane, void* stream) {
  const GlobalStr sizes{planes, plane};
  check_global("global_avg_pool2d_forward", planes, plane, sizes);
  if (planes == 0) return;
  if (plane <= kGlobalPoolSeqMax) {
    const dim3 grid(blocks_for(planes));
    global_avg_pool_seq_kernel<T><<<grid, kThreads, 0, as_stream(stream)>>>(x, y, static_cast<uint32_t>(planes),
                                                                           static_cast<uint32_t>(plane));
    check_launch("global_avg_pool_seq_kernel", type_name<T>(), grid, sizes);
  } else {
    const dim3 grid(static_cast<unsigned>(std::min<int64_t>(planes, kMaxBlocks)));
    global_avg_pool_block_kernel<T><<<grid, kThreads, 0, as_stream(stream)>>>(x, y, static_cast<uint32_t>(planes),
                                                                             static_cast<uint32_t>(plane));
    check_launch("global_avg_pool_block_kernel", type_name<T>(), grid, sizes);
  }
}

template <typename T>
void global_avg_pool2d_backward(const T* gy, T* gx, int64_t planes, int64_t plane, void* stream) {
  const GlobalStr sizes{planes, plane};
  check_global("global_avg_pool2d_backward", planes, plane, sizes);
  const int64_t n = planes * plane;
  if (n == 0) return;
  const dim3 grid(blocks_for(n));
  global_avg_pool_backward_kernel<T><<<grid, kThreads, 0, as_stream(stream)>>>(
      gy, gx, static_cast<uint32_t>(n), FastDiv(static_cast<uint32_t>(plane)), static_cast<T>(plane));
  check_launch("global_avg_pool_backward_kernel", type_name<T>(), grid, sizes);
}

template <typename T>
void interpolate_bilinear_forward(const T* x, T* y, int64_t planes, int64_t h, int64_t w, int64_t out_h,
                                       int64_t out_w, void* stream) {
  const auto sizes = [&] { return interp_str(planes, h, w, out_h, out_w); };
  int64_t n_in = 0, n_out = 0;
  const InterpGeom g =
      make_interp_geom("interpolate_bilinear_forward", planes, h, w, out_h, out_w, n_in, n_out, sizes);
  if (n_out == 0) return;
  const dim3 grid(blocks_for(n_out));
  interpolate_forward_kernel<T><<<grid, kThreads, 0, as_stream(stream)>>>(x, y, static_cast<uint32_t>(n_out), g);
  check_launch("interpolate_bilinear_forward_kernel", type_name<T>(), grid, sizes);
}

template <typename T>
void interpolate_bilinear_backward(const T* gy, T* gx, int64_t planes, int64_t h, int64_t w, int64_t out_h,
                                        int64_t out_w, void* stream) {
  const auto sizes = [&] { return interp_str(planes, h, w, out_h, out_w); };
  int64_t n_in = 0, n_out = 0;
  const InterpGeom g =
      make_interp_geom("interpolate_bilinear_backward", planes, h, w, out_h, out_w, n_in, n_out, sizes);
  if (n_in == 0) return;
  const dim3 grid(blocks_for(n_in));
  interpolate_backward_kernel<T><<<grid, kThreads, 0, as_stream(stream)>>>(gy, gx, static_cast<uint32_t>(n_in), g);
  check_launch("interpolate_bilinear_backward_kernel", type_name<T>(), grid, sizes);
}

template void avg_pool2d_forward<float>(const float*, float*, int64_t, int64_t, int64_t, int, int, int, bool,
                                             void*);
template void avg_pool2d_forward<double>(const double*, double*, int64_t, int64_t, int64_t, int, int, int, bool,
                                              void*);
template void avg_pool2d_backward<float>(const float*, float*, int64_t, int64_t, int64_t, int, int, int, bool,
                                              void*);
template void avg_pool2d_backward<double>(const double*, double*, int64_t, int64_t, int64_t, int, int, int, bool,
                                               void*);
template void global_avg_pool2d_forward<float>(const float*, float*, int64_t, int64_t, void*);
template void global_avg_pool2d_forward<double>(const double*, double*, int64_t, int64_t, void*);
template void global_avg_pool2d_backward<float>(const float*, float*, int64_t, int64_t, void*);
template void global_avg_pool2d_backward<double>(const double*, double*, int64_t, int64_t, void*);
template void interpolate_bilinear_forward<float>(const float*, float*, int64_t, int64_t, int64_t, int64_t,
                                                       int64_t, void*);
template void interpolate_bilinear_forward<double>(const double*, double*, int64_t, int64_t, int64_t, int64_t,
                                                        int64_t, void*);
template void interpolate_bilinear_backward<float>(const float*, float*, int64_t, int64_t, int64_t, int64_t,
                                                        int64_t, void*);
template void interpolate_bilinear_backward<double>(const double*, double*, int64_t, int64_t, int64_t, int64_t,
                                                         int64_t, void*);

}  // namespace aafgan::kernels::cuda
