#pragma once
// Batch-normalisation loops over x viewed as [N, C, S] (S = H·W, or 1 for [N, C]). Channels are
// independent, so each runs on its own OpenMP thread once the whole tensor is big enough.
// Per-channel statistics and every sum are kept in double so that f32 batches of millions of
// elements do not lose the mean in rounding.
#include <cstdint>

#include "kernels/cpu/parallel.h"

namespace aafgan::kernels::cpu {

// Per-channel mean and biased variance. Two passes rather than Σx² − (Σx)²/n, which cancels
// catastrophically when |mean| ≫ std.
template <typename T>
void batch_norm_stats(const T* x, int64_t n, int64_t c, int64_t s, double* mean, double* var) {
  const int64_t count = n * s;
#pragma omp parallel for schedule(static) if (n * c * s >= kParallelGrain)
  for (int64_t ch = 0; ch < c; ++ch) {
    double acc = 0;
    for (int64_t b = 0; b < n; ++b) {
      const T* p = x + (b * c + ch) * s;
      for (int64_t i = 0; i < s; ++i) acc += static_cast<double>(p[i]);
    }
    const double m = acc / static_cast<double>(count);
    double sq = 0;
    for (int64_t b = 0; b < n; ++b) {
      const T* p = x + (b * c + ch) * s;
      for (int64_t i = 0; i < s; ++i) {
        const double d = static_cast<double>(p[i]) - m;
        sq += d * d;
      }
    }
    mean[ch] = m;
    var[ch] = sq / static_cast<double>(count);
  }
}

// y = (x − mean)·invstd·weight + bias; weight and bias may be null (1 and 0).
template <typename T>
void batch_norm_apply(const T* x, T* y, int64_t n, int64_t c, int64_t s, const double* mean, const double* invstd,
                      const T* weight, const T* bias) {
#pragma omp parallel for schedule(static) if (n * c * s >= kParallelGrain)
  for (int64_t ch = 0; ch < c; ++ch) {
    // Subtracting the mean before scaling keeps f32 accurate when |mean| ≫ std.
    const T m = static_cast<T>(mean[ch]);
    const T scale = static_cast<T>(invstd[ch] * (weight ? static_cast<double>(weight[ch]) : 1.0));
    const T shift = bias ? bias[ch] : T(0);
    for (int64_t b = 0; b < n; ++b) {
      const int64_t off = (b * c + ch) * s;
      for (int64_t i = 0; i < s; ++i) y[off + i] = (x[off + i] - m) * scale + shift;
    }
  }
}

// Gradients of batch_norm_apply. With `batch_stats` the mean and invstd are functions of x, and
// dx = invstd·w·(g − Σg/n − x̂·Σ(g·x̂)/n); otherwise they are constants and dx = invstd·w·g.
// gx, gweight and gbias may each be null when not wanted; weight may be null (w = 1).
template <typename T>
void batch_norm_backward(const T* g, const T* x, int64_t n, int64_t c, int64_t s, const double* mean,
                         const double* invstd, const T* weight, bool batch_stats, T* gx, T* gweight, T* gbias) {
  const bool need_sums = gweight || gbias || (gx && batch_stats);
  const double count = static_cast<double>(n * s);
#pragma omp parallel for schedule(static) if (n * c * s >= kParallelGrain)
  for (int64_t ch = 0; ch < c; ++ch) {
    const double m = mean[ch], is = invstd[ch];
    double sum_g = 0, sum_gxhat = 0;
    if (need_sums) {
      for (int64_t b = 0; b < n; ++b) {
        const int64_t off = (b * c + ch) * s;
        for (int64_t i = 0; i < s; ++i) {
          const double gv = static_cast<double>(g[off + i]);
          sum_g += gv;
          sum_gxhat += gv * (static_cast<double>(x[off + i]) - m);
        }
      }
      sum_gxhat *= is;
    }
    if (gweight) gweight[ch] = static_cast<T>(sum_gxhat);
    if (gbias) gbias[ch] = static_cast<T>(sum_g);
    if (!gx) continue;
    const double w = weight ? static_cast<double>(weight[ch]) : 1.0;
    const T k = static_cast<T>(is * w);
    if (!batch_stats) {
      for (int64_t b = 0; b < n; ++b) {
        const int64_t off = (b * c + ch) * s;
        for (int64_t i = 0; i < s; ++i) gx[off + i] = k * g[off + i];
      }
      continue;
    }
    // x̂·Σ(g·x̂)/n = (x − mean)·invstd²·Σ(g·x̂)/n, folded into one coefficient per channel.
    const T mt = static_cast<T>(m);
    const T g_mean = static_cast<T>(sum_g / count);
    const T xhat_coef = static_cast<T>(is * sum_gxhat / count);
    for (int64_t b = 0; b < n; ++b) {
      const int64_t off = (b * c + ch) * s;
      for (int64_t i = 0; i < s; ++i) gx[off + i] = k * (g[off + i] - g_mean - (x[off + i] - mt) * xhat_coef);
    }
  }
}

}  // namespace aafgan::kernels::cpu
