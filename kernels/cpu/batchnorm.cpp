#include "kernels/cpu/batchnorm.h"

#include <charconv>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/cpu/parallel.h"

namespace aafgan::kernels::cpu {

// Channels are independent, so each runs on its own OpenMP thread once the whole tensor is big
// enough. Per-channel statistics and every sum are kept in double so that f32 batches of
// millions of elements do not lose the mean in rounding.

namespace {

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

// The training statistics, as the forward and the training backward both need them.
template <typename T>
void batch_invstd(const T* x, int64_t n, int64_t c, int64_t s, double eps, double* mean, double* var,
                  double* invstd) {
  batch_norm_stats<T>(x, n, c, s, mean, var);
  for (int64_t ch = 0; ch < c; ++ch) invstd[ch] = 1.0 / std::sqrt(var[ch] + eps);
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

// Gradients of batch_norm_apply, overwriting gx, gweight, gbias (each skipped when null). With
// `batch_stats` the mean and invstd are functions of x, and dx = invstd·w·(g − Σg/n −
// x̂·Σ(g·x̂)/n); otherwise they are constants and dx = invstd·w·g.
template <typename T>
void backward_loops(const T* g, const T* x, int64_t n, int64_t c, int64_t s, const double* mean,
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

template <typename T>
void save_stats(int64_t c, const double* mean, const double* invstd, T* save_mean, T* save_invstd) {
  for (int64_t ch = 0; ch < c; ++ch) {
    if (save_mean) save_mean[ch] = static_cast<T>(mean[ch]);
    if (save_invstd) save_invstd[ch] = static_cast<T>(invstd[ch]);
  }
}

std::string shortest(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

// Scratch of `elems` T for an output that accumulate mode adds in afterwards (null when not
// wanted or not accumulating).
template <typename T>
std::unique_ptr<T[]> scratch_if(bool wanted, int64_t elems) {
  return wanted ? std::unique_ptr<T[]>(new T[static_cast<size_t>(elems)]) : nullptr;
}

template <typename T>
void add_into(T* dst, const T* src, int64_t elems) {
  if (dst) parallel_for(elems, [&](int64_t i) { dst[i] += src[i]; });
}

}  // namespace

template <typename T>
void batch_norm_forward_training(int64_t n, int64_t c, int64_t s, const T* x, T* y, const T* weight, const T* bias,
                                 T* running_mean, T* running_var, double momentum, double eps, T* save_mean,
                                 T* save_invstd) {
  const int64_t count = n * s;
  // One value per channel has zero variance and no unbiased estimate: PyTorch refuses it too.
  if (count <= 1)
    throw std::invalid_argument("kernels::cpu::batch_norm_forward_training: " + std::to_string(count) +
                                " value(s) per channel; training needs more than one");
  std::vector<double> mean(static_cast<size_t>(c)), var(static_cast<size_t>(c)), invstd(static_cast<size_t>(c));
  batch_invstd<T>(x, n, c, s, eps, mean.data(), var.data(), invstd.data());
  const double unbias = static_cast<double>(count) / static_cast<double>(count - 1);
  for (int64_t ch = 0; ch < c; ++ch) {
    const size_t u = static_cast<size_t>(ch);
    if (running_mean)
      running_mean[ch] = static_cast<T>((1 - momentum) * static_cast<double>(running_mean[ch]) + momentum * mean[u]);
    if (running_var)
      running_var[ch] =
          static_cast<T>((1 - momentum) * static_cast<double>(running_var[ch]) + momentum * var[u] * unbias);
  }
  save_stats<T>(c, mean.data(), invstd.data(), save_mean, save_invstd);
  batch_norm_apply<T>(x, y, n, c, s, mean.data(), invstd.data(), weight, bias);
}

template <typename T>
void batch_norm_forward_inference(int64_t n, int64_t c, int64_t s, const T* x, T* y, const T* weight, const T* bias,
                                  const T* running_mean, const T* running_var, double eps, T* save_mean,
                                  T* save_invstd) {
  std::vector<double> mean(static_cast<size_t>(c)), invstd(static_cast<size_t>(c));
  for (int64_t ch = 0; ch < c; ++ch) {
    const double v = static_cast<double>(running_var[ch]);
    if (!(v + eps > 0))
      throw std::invalid_argument("batch_norm: running_var[" + std::to_string(ch) + "] = " + shortest(v) +
                                  " is negative");
    mean[static_cast<size_t>(ch)] = static_cast<double>(running_mean[ch]);
    invstd[static_cast<size_t>(ch)] = 1.0 / std::sqrt(v + eps);
  }
  save_stats<T>(c, mean.data(), invstd.data(), save_mean, save_invstd);
  batch_norm_apply<T>(x, y, n, c, s, mean.data(), invstd.data(), weight, bias);
}

template <typename T>
void batch_norm_backward(int64_t n, int64_t c, int64_t s, const T* x, const T* gy, const T* weight,
                         const T* save_mean, const T* save_invstd, double eps, bool batch_stats, T* gx, T* gweight,
                         T* gbias, WriteMode mode) {
  std::vector<double> mean(static_cast<size_t>(c)), invstd(static_cast<size_t>(c));
  if (batch_stats) {
    // Recomputed from x exactly as the forward did, rather than read back from the saved stats
    // rounded to T, so the gradients are those of the double statistics the forward used.
    std::vector<double> var(static_cast<size_t>(c));
    batch_invstd<T>(x, n, c, s, eps, mean.data(), var.data(), invstd.data());
  } else {
    if (!save_mean || !save_invstd)
      throw std::invalid_argument("kernels::cpu::batch_norm_backward: eval mode needs the saved statistics");
    for (int64_t ch = 0; ch < c; ++ch) {
      mean[static_cast<size_t>(ch)] = static_cast<double>(save_mean[ch]);
      invstd[static_cast<size_t>(ch)] = static_cast<double>(save_invstd[ch]);
    }
  }
  if (mode == WriteMode::overwrite) {
    backward_loops<T>(gy, x, n, c, s, mean.data(), invstd.data(), weight, batch_stats, gx, gweight, gbias);
    return;
  }
  const int64_t elems = n * c * s;
  const auto tx = scratch_if<T>(gx != nullptr, elems), tw = scratch_if<T>(gweight != nullptr, c),
             tb = scratch_if<T>(gbias != nullptr, c);
  backward_loops<T>(gy, x, n, c, s, mean.data(), invstd.data(), weight, batch_stats, tx.get(), tw.get(), tb.get());
  add_into(gx, tx.get(), elems);
  add_into(gweight, tw.get(), c);
  add_into(gbias, tb.get(), c);
}

AAFGAN_BATCH_NORM_KERNELS(template, float)
AAFGAN_BATCH_NORM_KERNELS(template, double)

}  // namespace aafgan::kernels::cpu
