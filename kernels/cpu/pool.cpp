#include "kernels/cpu/pool.h"

#include <algorithm>
#include <cmath>

#include "kernels/cpu/parallel.h"
#include "kernels/math/pool.h"

namespace aafgan::kernels::cpu {

template <typename T>
void max_pool2d_forward(const T* x, T* y, int32_t* argmax, int64_t planes, int64_t h, int64_t w, int kernel,
                        int stride, int padding) {
  const int64_t k = kernel, s = pool_stride(kernel, stride), p = padding;
  const int64_t oh = pool_out_size(h, k, s, p), ow = pool_out_size(w, k, s, p);
  const int64_t in_plane = h * w, out_plane = oh * ow;
#pragma omp parallel for schedule(static) if (planes * out_plane * k * k >= kParallelGrain)
  for (int64_t pl = 0; pl < planes; ++pl) {
    const T* src = x + pl * in_plane;
    for (int64_t r = 0; r < oh; ++r)
      for (int64_t q = 0; q < ow; ++q) {
        // The window clipped to the input: padded cells take no part, so they never win.
        const PoolWindow win = pool_window(r, q, k, s, p, h, w, false);
        int64_t best_at = win.h0 * w + win.w0;
        T best = src[best_at];
        for (int64_t i = win.h0; i < win.h1; ++i)
          for (int64_t j = win.w0; j < win.w1; ++j) {
            const int64_t at = i * w + j;
            // Strictly greater keeps the first maximum on ties; NaN wins and propagates, as PyTorch.
            if (src[at] > best || std::isnan(src[at])) {
              best = src[at];
              best_at = at;
            }
          }
        const int64_t o = pl * out_plane + r * ow + q;
        y[o] = best;
        if (argmax) argmax[o] = static_cast<int32_t>(best_at);
      }
  }
}

template <typename T>
void max_pool2d_backward(const T* gy, const int32_t* argmax, T* gx, int64_t planes, int64_t h, int64_t w, int kernel,
                         int stride, int padding) {
  const int64_t k = kernel, s = pool_stride(kernel, stride), p = padding;
  const int64_t in_plane = h * w, out_plane = pool_out_size(h, k, s, p) * pool_out_size(w, k, s, p);
  std::fill(gx, gx + planes * in_plane, T(0));
  // Overlapping windows (stride < kernel) may share an argmax: threads own whole planes.
#pragma omp parallel for schedule(static) if (planes * out_plane >= kParallelGrain)
  for (int64_t pl = 0; pl < planes; ++pl)
    for (int64_t o = pl * out_plane; o < (pl + 1) * out_plane; ++o) gx[pl * in_plane + argmax[o]] += gy[o];
}

template void max_pool2d_forward<float>(const float*, float*, int32_t*, int64_t, int64_t, int64_t, int, int, int);
template void max_pool2d_forward<double>(const double*, double*, int32_t*, int64_t, int64_t, int64_t, int, int, int);
template void max_pool2d_backward<float>(const float*, const int32_t*, float*, int64_t, int64_t, int64_t, int, int,
                                         int);
template void max_pool2d_backward<double>(const double*, const int32_t*, double*, int64_t, int64_t, int64_t, int,
                                          int, int);

}  // namespace aafgan::kernels::cpu
