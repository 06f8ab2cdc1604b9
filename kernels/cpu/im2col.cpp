#include "kernels/cpu/im2col.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#include "kernels/cpu/parallel.h"

namespace aafgan::kernels::cpu {

namespace {

// Below this many column elements a parallel region costs more than it saves.
constexpr int64_t kGrain = kParallelGrain;

// Callers batch far less than this for cache reasons; it only bounds memory for huge kernels.
std::atomic<size_t> g_workspace_limit{size_t(256) << 20};

// The window positions o in [0, out) whose tap o·stride − pad + k lands inside [0, size):
// the loops over them need no bounds test, and a stride of 1 becomes a memcpy.
struct Range {
  int64_t lo, hi;
};

Range inside(int64_t size, int64_t out, int64_t stride, int64_t pad, int64_t k) {
  const int64_t first = pad - k;  // o·stride ≥ first
  const int64_t last = size + pad - k;  // o·stride < last
  int64_t lo = first > 0 ? (first + stride - 1) / stride : 0;
  int64_t hi = last > 0 ? (last + stride - 1) / stride : 0;
  lo = std::min(lo, out);
  hi = std::clamp(hi, lo, out);
  return {lo, hi};
}

}  // namespace

size_t conv_workspace_limit() { return g_workspace_limit.load(std::memory_order_relaxed); }
void set_conv_workspace_limit(size_t bytes) { g_workspace_limit.store(bytes, std::memory_order_relaxed); }

template <typename T>
void im2col(const T* images, int64_t batch, const ConvGeometry& g, T* col) {
  const int64_t H = g.height, W = g.width, OH = g.out_h, OW = g.out_w;
  const int64_t kh = g.kernel_h, kw = g.kernel_w, sh = g.stride_h, sw = g.stride_w;
  const int64_t per_image = OH * OW, ld = batch * per_image;
  const int64_t planes = batch * g.channels;
  // Each (image, channel) plane fills its own kH·kW row segments: no two threads share a write.
#pragma omp parallel for schedule(static) if (planes * kh * kw * per_image >= kGrain && planes > 1 && !omp_in_parallel())
  for (int64_t bc = 0; bc < planes; ++bc) {
    const int64_t b = bc / g.channels, c = bc % g.channels;
    const T* src = images + bc * H * W;
    for (int64_t i = 0; i < kh; ++i) {
      const Range rows = inside(H, OH, sh, g.pad_h, i);
      for (int64_t j = 0; j < kw; ++j) {
        const Range cols = inside(W, OW, sw, g.pad_w, j);
        T* dst = col + ((c * kh + i) * kw + j) * ld + b * per_image;
        std::fill(dst, dst + rows.lo * OW, T(0));
        for (int64_t oh = rows.lo; oh < rows.hi; ++oh) {
          T* d = dst + oh * OW;
          // The first in-bounds tap of this row; from there the taps are `sw` apart.
          const T* s = src + (oh * sh - g.pad_h + i) * W + cols.lo * sw - g.pad_w + j;
          const int64_t n = cols.hi - cols.lo;
          std::fill(d, d + cols.lo, T(0));
          if (sw == 1) {
            if (n > 0) std::memcpy(d + cols.lo, s, static_cast<size_t>(n) * sizeof(T));
          } else {
            for (int64_t t = 0; t < n; ++t) d[cols.lo + t] = s[t * sw];
          }
          std::fill(d + cols.hi, d + OW, T(0));
        }
        std::fill(dst + rows.hi * OW, dst + per_image, T(0));
      }
    }
  }
}

template <typename T>
void col2im(const T* col, int64_t batch, const ConvGeometry& g, T* images) {
  const int64_t H = g.height, W = g.width, OH = g.out_h, OW = g.out_w;
  const int64_t kh = g.kernel_h, kw = g.kernel_w, sh = g.stride_h, sw = g.stride_w;
  const int64_t per_image = OH * OW, ld = batch * per_image;
  const int64_t planes = batch * g.channels;
  // Overlapping windows add into the same pixel, so threads own whole planes.
#pragma omp parallel for schedule(static) if (planes * kh * kw * per_image >= kGrain && planes > 1 && !omp_in_parallel())
  for (int64_t bc = 0; bc < planes; ++bc) {
    const int64_t b = bc / g.channels, c = bc % g.channels;
    T* dst = images + bc * H * W;
    std::fill(dst, dst + H * W, T(0));
    for (int64_t i = 0; i < kh; ++i) {
      const Range rows = inside(H, OH, sh, g.pad_h, i);
      for (int64_t j = 0; j < kw; ++j) {
        const Range cols = inside(W, OW, sw, g.pad_w, j);
        const T* src = col + ((c * kh + i) * kw + j) * ld + b * per_image;
        for (int64_t oh = rows.lo; oh < rows.hi; ++oh) {
          const T* s = src + oh * OW + cols.lo;
          T* d = dst + (oh * sh - g.pad_h + i) * W + cols.lo * sw - g.pad_w + j;
          const int64_t n = cols.hi - cols.lo;
          if (sw == 1) {
            for (int64_t t = 0; t < n; ++t) d[t] += s[t];
          } else {
            for (int64_t t = 0; t < n; ++t) d[t * sw] += s[t];
          }
        }
      }
    }
  }
}

template void im2col<float>(const float*, int64_t, const ConvGeometry&, float*);
template void im2col<double>(const double*, int64_t, const ConvGeometry&, double*);
template void col2im<float>(const float*, int64_t, const ConvGeometry&, float*);
template void col2im<double>(const double*, int64_t, const ConvGeometry&, double*);

}  // namespace aafgan::kernels::cpu
