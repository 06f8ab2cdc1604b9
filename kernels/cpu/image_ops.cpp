#include "kernels/cpu/image_ops.h"

#include <algorithm>
#include <vector>

#include "kernels/cpu/parallel.h"
#include "kernels/math/image_ops.h"
#include "kernels/math/pool.h"

namespace aafgan::kernels::cpu {

namespace {

// Where each output row (or column) reads: its two source indices and their weights, from
// bilinear_tap (PyTorch's compute_source_index_and_lambda in T, so f32 outputs round like
// PyTorch's), which the CUDA kernels evaluate too.
template <typename T>
struct Taps {
  std::vector<int64_t> i0, i1;
  std::vector<T> l0, l1;
};

template <typename T>
Taps<T> taps(int64_t in, int64_t out) {
  Taps<T> t;
  t.i0.resize(static_cast<size_t>(out));
  t.i1.resize(static_cast<size_t>(out));
  t.l0.resize(static_cast<size_t>(out));
  t.l1.resize(static_cast<size_t>(out));
  for (int64_t i = 0; i < out; ++i) {
    const size_t u = static_cast<size_t>(i);
    const BilinearTap<T> tap = bilinear_tap<T>(i, in, out);
    t.i0[u] = tap.i0;
    t.i1[u] = tap.i1;
    t.l0[u] = tap.l0;
    t.l1[u] = tap.l1;
  }
  return t;
}

}  // namespace

// --- avg_pool2d ----------------------------------------------------------------------------------

template <typename T>
void avg_pool2d_forward(const T* x, T* y, int64_t planes, int64_t h, int64_t w, int kernel, int stride, int padding,
                        bool count_include_pad) {
  const int64_t k = kernel, s = pool_stride(kernel, stride), p = padding;
  const int64_t oh = pool_out_size(h, k, s, p), ow = pool_out_size(w, k, s, p);
  const int64_t in_plane = h * w, out_plane = oh * ow;

  // A window is a rectangle, so its sum is separable: sums along each row over the window's
  // columns first, then those sums over the window's rows. That is 2k adds per output instead
  // of k², with the second pass running along contiguous rows (Inception pools 3×3 at stride 1
  // over whole feature maps). Each cell's divisor is worked out once, for every plane.
  std::vector<int64_t> r0(static_cast<size_t>(oh)), r1(static_cast<size_t>(oh)), c0(static_cast<size_t>(ow)),
      c1(static_cast<size_t>(ow));
  std::vector<double> inv(static_cast<size_t>(out_plane));
  for (int64_t r = 0; r < oh; ++r) {
    const PoolWindow win = pool_window(r, int64_t{0}, k, s, p, h, w, count_include_pad);
    r0[static_cast<size_t>(r)] = win.h0;
    r1[static_cast<size_t>(r)] = win.h1;
    for (int64_t q = 0; q < ow; ++q) {
      const PoolWindow wq = pool_window(r, q, k, s, p, h, w, count_include_pad);
      if (r == 0) {
        c0[static_cast<size_t>(q)] = wq.w0;
        c1[static_cast<size_t>(q)] = wq.w1;
      }
      inv[static_cast<size_t>(r * ow + q)] = 1.0 / static_cast<double>(wq.divisor);
    }
  }

#pragma omp parallel if (planes * out_plane * k >= kParallelGrain)
  {
    // Per thread: the row sums of one plane [h, ow] and one output row's accumulator, in double.
    std::vector<double> rows(static_cast<size_t>(h * ow)), acc(static_cast<size_t>(ow));
#pragma omp for schedule(static)
    for (int64_t pl = 0; pl < planes; ++pl) {
      const T* src = x + pl * in_plane;
      T* dst = y + pl * out_plane;
      for (int64_t i = 0; i < h; ++i) {
        const T* line = src + i * w;
        double* out = rows.data() + i * ow;
        for (int64_t q = 0; q < ow; ++q) {
          double sum = 0;
          for (int64_t j = c0[static_cast<size_t>(q)]; j < c1[static_cast<size_t>(q)]; ++j)
            sum += static_cast<double>(line[j]);
          out[q] = sum;
        }
      }
      for (int64_t r = 0; r < oh; ++r) {
        std::fill(acc.begin(), acc.end(), 0.0);
        for (int64_t i = r0[static_cast<size_t>(r)]; i < r1[static_cast<size_t>(r)]; ++i) {
          const double* line = rows.data() + i * ow;
          for (int64_t q = 0; q < ow; ++q) acc[static_cast<size_t>(q)] += line[q];
        }
        const double* scale = inv.data() + r * ow;
        for (int64_t q = 0; q < ow; ++q) dst[r * ow + q] = static_cast<T>(acc[static_cast<size_t>(q)] * scale[q]);
      }
    }
  }
}

template <typename T>
void avg_pool2d_backward(const T* gy, T* gx, int64_t planes, int64_t h, int64_t w, int kernel, int stride,
                         int padding, bool count_include_pad) {
  const int64_t k = kernel, s = pool_stride(kernel, stride), p = padding;
  const int64_t oh = pool_out_size(h, k, s, p), ow = pool_out_size(w, k, s, p);
  const int64_t in_plane = h * w, out_plane = oh * ow;
  std::fill(gx, gx + planes * in_plane, T(0));
  // Overlapping windows add into the same cells: threads own whole planes.
#pragma omp parallel for schedule(static) if (planes * out_plane * k * k >= kParallelGrain)
  for (int64_t pl = 0; pl < planes; ++pl) {
    T* dst = gx + pl * in_plane;
    for (int64_t r = 0; r < oh; ++r)
      for (int64_t q = 0; q < ow; ++q) {
        const PoolWindow win = pool_window(r, q, k, s, p, h, w, count_include_pad);
        const T share = gy[pl * out_plane + r * ow + q] / static_cast<T>(win.divisor);
        for (int64_t i = win.h0; i < win.h1; ++i)
          for (int64_t j = win.w0; j < win.w1; ++j) dst[i * w + j] += share;
      }
  }
}

// --- global_avg_pool2d ---------------------------------------------------------------------------

template <typename T>
void global_avg_pool2d_forward(const T* x, T* y, int64_t planes, int64_t plane) {
#pragma omp parallel for schedule(static) if (planes * plane >= kParallelGrain)
  for (int64_t pl = 0; pl < planes; ++pl) {
    const T* src = x + pl * plane;
    double acc = 0;
    for (int64_t i = 0; i < plane; ++i) acc += static_cast<double>(src[i]);
    y[pl] = static_cast<T>(acc / static_cast<double>(plane));
  }
}

template <typename T>
void global_avg_pool2d_backward(const T* gy, T* gx, int64_t planes, int64_t plane) {
  parallel_for(planes * plane, [&](int64_t i) { gx[i] = gy[i / plane] / static_cast<T>(plane); });
}

// --- interpolate_bilinear ------------------------------------------------------------------------

template <typename T>
void interpolate_bilinear_forward(const T* x, T* y, int64_t planes, int64_t h, int64_t w, int64_t out_h,
                                  int64_t out_w) {
  const int64_t in_plane = h * w, out_plane = out_h * out_w;
  const Taps<T> th = taps<T>(h, out_h), tw = taps<T>(w, out_w);
#pragma omp parallel for schedule(static) if (planes * out_plane >= kParallelGrain)
  for (int64_t pl = 0; pl < planes; ++pl) {
    const T* src = x + pl * in_plane;
    T* dst = y + pl * out_plane;
    for (int64_t r = 0; r < out_h; ++r) {
      const size_t ur = static_cast<size_t>(r);
      const T* row0 = src + th.i0[ur] * w;
      const T* row1 = src + th.i1[ur] * w;
      const T a0 = th.l0[ur], a1 = th.l1[ur];
      for (int64_t q = 0; q < out_w; ++q) {
        const size_t uq = static_cast<size_t>(q);
        const int64_t c0 = tw.i0[uq], c1 = tw.i1[uq];
        const T b0 = tw.l0[uq], b1 = tw.l1[uq];
        dst[r * out_w + q] = bilinear_mix<T>(row0[c0], row0[c1], row1[c0], row1[c1], a0, a1, b0, b1);
      }
    }
  }
}

template <typename T>
void interpolate_bilinear_backward(const T* gy, T* gx, int64_t planes, int64_t h, int64_t w, int64_t out_h,
                                   int64_t out_w) {
  const int64_t in_plane = h * w, out_plane = out_h * out_w;
  const Taps<T> th = taps<T>(h, out_h), tw = taps<T>(w, out_w);
  std::fill(gx, gx + planes * in_plane, T(0));
  // Neighbouring outputs share source pixels: threads own whole planes.
#pragma omp parallel for schedule(static) if (planes * out_plane >= kParallelGrain)
  for (int64_t pl = 0; pl < planes; ++pl) {
    const T* src = gy + pl * out_plane;
    T* dst = gx + pl * in_plane;
    for (int64_t r = 0; r < out_h; ++r) {
      const size_t ur = static_cast<size_t>(r);
      T* row0 = dst + th.i0[ur] * w;
      T* row1 = dst + th.i1[ur] * w;
      const T a0 = th.l0[ur], a1 = th.l1[ur];
      for (int64_t q = 0; q < out_w; ++q) {
        const size_t uq = static_cast<size_t>(q);
        const T v = src[r * out_w + q];
        const int64_t c0 = tw.i0[uq], c1 = tw.i1[uq];
        const T b0 = tw.l0[uq], b1 = tw.l1[uq];
        row0[c0] += v * a0 * b0;
        row0[c1] += v * a0 * b1;
        row1[c0] += v * a1 * b0;
        row1[c1] += v * a1 * b1;
      }
    }
  }
}

#define AAFGAN_INSTANTIATE(T)                                                                              \
  template void avg_pool2d_forward<T>(const T*, T*, int64_t, int64_t, int64_t, int, int, int, bool);       \
  template void avg_pool2d_backward<T>(const T*, T*, int64_t, int64_t, int64_t, int, int, int, bool);      \
  template void global_avg_pool2d_forward<T>(const T*, T*, int64_t, int64_t);                              \
  template void global_avg_pool2d_backward<T>(const T*, T*, int64_t, int64_t);                             \
  template void interpolate_bilinear_forward<T>(const T*, T*, int64_t, int64_t, int64_t, int64_t, int64_t); \
  template void interpolate_bilinear_backward<T>(const T*, T*, int64_t, int64_t, int64_t, int64_t, int64_t);
AAFGAN_INSTANTIATE(float)
AAFGAN_INSTANTIATE(double)
#undef AAFGAN_INSTANTIATE

}  // namespace aafgan::kernels::cpu
