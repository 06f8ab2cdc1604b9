// conv2d and conv_transpose2d on im2col + GEMM.
//
// Both reduce to three products between an "image side" a [n, C, H, W], a weight matrix
// wm [m, C·kH·kW] and a "column side" o [n, m, OH·OW]:
//   columns_forward   o_b = wm · im2col(a_b)           conv forward, conv-transpose backward-data
//   columns_backward  a_b = col2im(wmᵀ · o_b)          conv backward-data, conv-transpose forward
//   weight_grad       wm  = Σ_b o_b · im2col(a_b)ᵀ     the weight gradient of both
// For conv2d a is the input and o the output; for conv_transpose2d the roles swap, and its
// [Cin, Cout, kH, kW] weight is already the [m, C·kH·kW] matrix with m = Cin, C = Cout.
#include "kernels/cpu/conv.h"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "kernels/cpu/gemm.h"
#include "kernels/cpu/im2col.h"
#include "kernels/cpu/parallel.h"

namespace aafgan::kernels::cpu {

namespace {

// Images per chunk. One GEMM per image is fine while a feature map has many pixels, but at
// 8×8 or 4×4 its product is too narrow to run near peak; side by side, enough images to give
// the GEMM ~512 columns restore that. More than that was measured slower (the columns fall out
// of cache between im2col and the GEMM), so large maps go one image at a time.
constexpr int64_t kTargetColumns = 512;

// n images for each of `threads` threads, each thread holding its own scratch.
int64_t chunk_size(int64_t n, int threads, int64_t elems_per_image, size_t elem_size, int64_t len) {
  const size_t per = static_cast<size_t>(std::max<int64_t>(elems_per_image, 1)) * elem_size;
  const size_t budget = conv_workspace_limit() / static_cast<size_t>(threads);
  const int64_t fit = std::min(static_cast<int64_t>(budget / per),
                               (kTargetColumns + len - 1) / std::max<int64_t>(len, 1));
  if (fit <= 1 || n <= 1) return 1;
  // Equal chunks rather than full ones and a runt: 128 images fitting 100 go as 64 + 64.
  const int64_t chunks = (n + fit - 1) / fit;
  return (n + chunks - 1) / chunks;
}

template <typename T>
std::unique_ptr<T[]> scratch(int64_t elems) {
  return std::unique_ptr<T[]>(new T[static_cast<size_t>(std::max<int64_t>(elems, 1))]);
}

// A 1×1 kernel with stride 1 and no padding reads the image as it is: im2col would be a copy.
bool is_pointwise(const ConvGeometry& g) {
  return g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_h == 0 &&
         g.pad_w == 0;
}

// [b, rows, len] → [rows, b·len], so that one GEMM sees b images side by side.
template <typename T>
void pack(const T* src, int64_t b, int64_t rows, int64_t len, T* dst) {
#pragma omp parallel for collapse(2) schedule(static) if (b * rows * len >= kParallelGrain && !omp_in_parallel())
  for (int64_t i = 0; i < b; ++i)
    for (int64_t r = 0; r < rows; ++r)
      std::memcpy(dst + (r * b + i) * len, src + (i * rows + r) * len, static_cast<size_t>(len) * sizeof(T));
}

// [rows, b·len] → [b, rows, len], adding bias[r] to row r when there is a bias.
template <typename T>
void unpack(const T* src, int64_t b, int64_t rows, int64_t len, const T* bias, T* dst) {
#pragma omp parallel for collapse(2) schedule(static) if (b * rows * len >= kParallelGrain && !omp_in_parallel())
  for (int64_t i = 0; i < b; ++i)
    for (int64_t r = 0; r < rows; ++r) {
      const T* s = src + (r * b + i) * len;
      T* d = dst + (i * rows + r) * len;
      if (bias) {
        const T v = bias[r];
        for (int64_t k = 0; k < len; ++k) d[k] = s[k] + v;
      } else {
        std::memcpy(d, s, static_cast<size_t>(len) * sizeof(T));
      }
    }
}

// y [n, channels, len] += bias[channel].
template <typename T>
void add_bias(T* y, int64_t n, int64_t channels, int64_t len, const T* bias) {
#pragma omp parallel for collapse(2) schedule(static) if (n * channels * len >= kParallelGrain && !omp_in_parallel())
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < channels; ++c) {
      T* p = y + (i * channels + c) * len;
      const T v = bias[c];
      for (int64_t k = 0; k < len; ++k) p[k] += v;
    }
}

// gb[c] = Σ over images and pixels of g [n, channels, len]. Accumulates in double: in f32 a
// sum over a whole batch of feature maps would otherwise lose digits.
template <typename T>
void bias_grad(const T* g, int64_t n, int64_t channels, int64_t len, T* gb) {
#pragma omp parallel for schedule(static) if (n * channels * len >= kParallelGrain)
  for (int64_t c = 0; c < channels; ++c) {
    // Independent partial sums keep the adds from serialising on one register.
    double acc[4] = {0, 0, 0, 0};
    for (int64_t i = 0; i < n; ++i) {
      const T* p = g + (i * channels + c) * len;
      int64_t k = 0;
      for (; k + 4 <= len; k += 4)
        for (int u = 0; u < 4; ++u) acc[u] += static_cast<double>(p[k + u]);
      for (; k < len; ++k) acc[0] += static_cast<double>(p[k]);
    }
    gb[c] = static_cast<T>((acc[0] + acc[1]) + (acc[2] + acc[3]));
  }
}

// How a batch is spread over the threads. Eigen's threaded GEMM busy-waits between its
// threads, so when another process takes one core the rest stall: on 2 shared cores with one
// busy neighbour it ran 2.7× slower than whole images per thread, each running
// single-threaded GEMMs (Eigen does not nest) and meeting only at the end; on idle cores the
// two are level. Batches too small to split fairly use Eigen's threading instead.
struct BatchSplit {
  int threads = 1;
  bool by_image = false;
};

BatchSplit split_batch(int64_t n) {
  const int t = omp_in_parallel() ? 1 : omp_get_max_threads();
  if (t > 1 && n >= 2 * int64_t(t)) return {t, true};
  return {1, false};
}

// work(thread, first image, image count) on each thread's share of the batch.
template <typename Work>
void run_split(const BatchSplit& s, int64_t n, Work&& work) {
  if (!s.by_image) {
    work(0, int64_t(0), n);
    return;
  }
#pragma omp parallel num_threads(s.threads)
  {
    // The runtime may grant fewer threads than asked: split by what it gave.
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t lo = n * t / nt, hi = n * (t + 1) / nt;
    work(t, lo, hi - lo);
  }
}

// Per-thread scratch for chunks of `chunk` images: the im2col columns and, when several images
// share a GEMM, their side-by-side outputs.
template <typename T>
struct Workspace {
  int64_t col_elems = 0, wide_elems = 0;
  std::unique_ptr<T[]> data;
  Workspace(int threads, int64_t chunk, int64_t kc, int64_t m, int64_t len, bool pointwise)
      : col_elems(chunk > 1 || !pointwise ? kc * chunk * len : 0), wide_elems(chunk > 1 ? m * chunk * len : 0),
        data(scratch<T>((col_elems + wide_elems) * threads)) {}
  T* col(int t) const { return data.get() + t * (col_elems + wide_elems); }
  T* wide(int t) const { return col(t) + col_elems; }
};

// What the three column products share: the K×L column sizes, the batch split over threads, the
// images per chunk (so that a chunk's columns and products stay in cache) and the workspace.
template <typename T>
struct ColumnPlan {
  int64_t kc, len, image;
  BatchSplit split;
  int64_t chunk;
  bool pointwise;
  Workspace<T> ws;
  ColumnPlan(int64_t n, const ConvGeometry& g, int64_t m)
      : kc(g.col_rows()),
        len(g.col_cols()),
        image(g.channels * g.height * g.width),
        split(split_batch(n)),
        chunk(chunk_size((n + split.threads - 1) / split.threads, split.threads, (kc + m) * len, sizeof(T), len)),
        pointwise(is_pointwise(g)),
        ws(split.threads, chunk, kc, m, len, pointwise) {}
};

// o [n, m, OH·OW] = wm [m, K] · im2col(a), plus bias[m] when given.
template <typename T>
void columns_forward(const T* a, int64_t n, const ConvGeometry& g, const T* wm, int64_t m, const T* bias, T* o) {
  const ColumnPlan<T> plan(n, g, m);
  const int64_t kc = plan.kc, len = plan.len, image = plan.image, chunk = plan.chunk;
  const bool pointwise = plan.pointwise;
  const BatchSplit& split = plan.split;
  const Workspace<T>& ws = plan.ws;
  run_split(split, n, [&](int t, int64_t first, int64_t count) {
    for (int64_t b0 = first; b0 < first + count; b0 += chunk) {
      const int64_t b = std::min(chunk, first + count - b0);
      const T* cols = a + b0 * image;
      if (b > 1 || !pointwise) {
        im2col(a + b0 * image, b, g, ws.col(t));
        cols = ws.col(t);
      }
      // A single image's product already has the output layout: write it in place.
      T* out = o + b0 * m * len;
      T* dst = b > 1 ? ws.wide(t) : out;
      gemm<T>(false, false, m, b * len, kc, T(1), wm, kc, cols, b * len, T(0), dst, b * len);
      if (b > 1) unpack(dst, b, m, len, bias, out);
      else if (bias) add_bias(out, 1, m, len, bias);
    }
  });
}

// a [n, C, H, W] = col2im(wmᵀ · o), o [n, m, OH·OW].
template <typename T>
void columns_backward(const T* o, int64_t n, const ConvGeometry& g, const T* wm, int64_t m, T* a) {
  const ColumnPlan<T> plan(n, g, m);
  const int64_t kc = plan.kc, len = plan.len, image = plan.image, chunk = plan.chunk;
  const bool pointwise = plan.pointwise;
  const BatchSplit& split = plan.split;
  const Workspace<T>& ws = plan.ws;
  run_split(split, n, [&](int t, int64_t first, int64_t count) {
    for (int64_t b0 = first; b0 < first + count; b0 += chunk) {
      const int64_t b = std::min(chunk, first + count - b0);
      const T* src = o + b0 * m * len;
      if (b > 1) {
        pack(src, b, m, len, ws.wide(t));
        src = ws.wide(t);
      }
      T* out = a + b0 * image;
      if (b == 1 && pointwise) {
        gemm<T>(true, false, kc, len, m, T(1), wm, kc, src, len, T(0), out, len);
        continue;
      }
      gemm<T>(true, false, kc, b * len, m, T(1), wm, kc, src, b * len, T(0), ws.col(t), b * len);
      col2im(ws.col(t), b, g, out);
    }
  });
}

// gw [m, K] = Σ over images of o_b · im2col(a_b)ᵀ. Threads sum their shares apart, then add up.
template <typename T>
void weight_grad(const T* o, const T* a, int64_t n, const ConvGeometry& g, int64_t m, T* gw) {
  const ColumnPlan<T> plan(n, g, m);
  const int64_t kc = plan.kc, len = plan.len, image = plan.image, chunk = plan.chunk;
  const bool pointwise = plan.pointwise;
  const BatchSplit& split = plan.split;
  const Workspace<T>& ws = plan.ws;
  const std::unique_ptr<T[]> partials = scratch<T>((split.threads - 1) * m * kc);
  std::vector<char> ran(static_cast<size_t>(split.threads), 0);
  run_split(split, n, [&](int t, int64_t first, int64_t count) {
    T* dst = t == 0 ? gw : partials.get() + (t - 1) * m * kc;
    ran[static_cast<size_t>(t)] = 1;
    if (count == 0) std::fill(dst, dst + m * kc, T(0));
    for (int64_t b0 = first; b0 < first + count; b0 += chunk) {
      const int64_t b = std::min(chunk, first + count - b0);
      const T* src = o + b0 * m * len;
      const T* cols = a + b0 * image;
      if (b > 1) {
        pack(src, b, m, len, ws.wide(t));
        src = ws.wide(t);
      }
      if (b > 1 || !pointwise) {
        im2col(a + b0 * image, b, g, ws.col(t));
        cols = ws.col(t);
      }
      gemm<T>(false, true, m, kc, b * len, T(1), src, b * len, cols, b * len, b0 == first ? T(0) : T(1), dst, kc);
    }
  });
  for (int t = 1; t < split.threads; ++t) {
    if (!ran[static_cast<size_t>(t)]) continue;
    const T* p = partials.get() + (t - 1) * m * kc;
    parallel_for(m * kc, [&](int64_t i) { gw[i] += p[i]; });
  }
}

// The image side of conv2d is its input.
ConvGeometry geometry(const ConvShape& s) {
  ConvGeometry g;
  g.channels = s.in_channels;
  g.height = s.in_h;
  g.width = s.in_w;
  g.kernel_h = s.kernel_h;
  g.kernel_w = s.kernel_w;
  g.stride_h = s.stride_h;
  g.stride_w = s.stride_w;
  g.pad_h = s.pad_h;
  g.pad_w = s.pad_w;
  g.out_h = s.out_h();
  g.out_w = s.out_w();
  return g;
}

// A transposed convolution is the transpose of as_conv(): its image side is our output, its
// column side our input (as_conv's out_h() is our in_h: in_h ≥ 1 and 0 ≤ output_pad < stride,
// which engine/ops/conv.cpp checks).
ConvGeometry geometry(const ConvTransposeShape& s) { return geometry(s.as_conv()); }

// compute(dst) writes the result to dst; accumulate mode adds it to `out` through a temporary
// (the engine only overwrites, so simplicity wins over a beta = 1 GEMM).
template <typename T, typename Compute>
void write_output(T* out, int64_t elems, WriteMode mode, Compute&& compute) {
  if (mode == WriteMode::overwrite) {
    compute(out);
    return;
  }
  const std::unique_ptr<T[]> tmp = scratch<T>(elems);
  compute(tmp.get());
  const T* p = tmp.get();
  parallel_for(elems, [&](int64_t i) { out[i] += p[i]; });
}

}  // namespace

// --- conv2d ----------------------------------------------------------------------------------

template <typename T>
void conv2d_forward(const ConvShape& s, const T* x, const T* weight, const T* bias, T* y, WriteMode mode) {
  const ConvGeometry g = geometry(s);
  write_output(y, s.output_elems(), mode,
        [&](T* dst) { columns_forward<T>(x, s.n, g, weight, s.out_channels, bias, dst); });
}

template <typename T>
void conv2d_backward_data(const ConvShape& s, const T* gy, const T* weight, T* gx, WriteMode mode) {
  const ConvGeometry g = geometry(s);
  write_output(gx, s.input_elems(), mode, [&](T* dst) { columns_backward<T>(gy, s.n, g, weight, s.out_channels, dst); });
}

template <typename T>
void conv2d_backward_filter(const ConvShape& s, const T* x, const T* gy, T* gweight, WriteMode mode) {
  const ConvGeometry g = geometry(s);
  write_output(gweight, s.weight_elems(), mode, [&](T* dst) { weight_grad<T>(gy, x, s.n, g, s.out_channels, dst); });
}

template <typename T>
void conv2d_backward_bias(const ConvShape& s, const T* gy, T* gbias, WriteMode mode) {
  const ConvGeometry g = geometry(s);
  write_output(gbias, s.out_channels, mode, [&](T* dst) { bias_grad<T>(gy, s.n, s.out_channels, g.col_cols(), dst); });
}

// --- conv_transpose2d ------------------------------------------------------------------------

template <typename T>
void conv_transpose2d_forward(const ConvTransposeShape& s, const T* x, const T* weight, const T* bias, T* y,
                              WriteMode mode) {
  const ConvGeometry g = geometry(s);
  write_output(y, s.output_elems(), mode, [&](T* dst) {
    columns_backward<T>(x, s.n, g, weight, s.in_channels, dst);
    if (bias) add_bias(dst, s.n, g.channels, g.height * g.width, bias);
  });
}

template <typename T>
void conv_transpose2d_backward_data(const ConvTransposeShape& s, const T* gy, const T* weight, T* gx,
                                    WriteMode mode) {
  const ConvGeometry g = geometry(s);
  write_output(gx, s.input_elems(), mode,
        [&](T* dst) { columns_forward<T>(gy, s.n, g, weight, s.in_channels, nullptr, dst); });
}

template <typename T>
void conv_transpose2d_backward_filter(const ConvTransposeShape& s, const T* x, const T* gy, T* gweight,
                                      WriteMode mode) {
  const ConvGeometry g = geometry(s);
  write_output(gweight, s.weight_elems(), mode, [&](T* dst) { weight_grad<T>(x, gy, s.n, g, s.in_channels, dst); });
}

template <typename T>
void conv_transpose2d_backward_bias(const ConvTransposeShape& s, const T* gy, T* gbias, WriteMode mode) {
  const ConvGeometry g = geometry(s);
  write_output(gbias, s.out_channels, mode,
        [&](T* dst) { bias_grad<T>(gy, s.n, g.channels, g.height * g.width, dst); });
}

AAFGAN_CONV_KERNELS(template, float)
AAFGAN_CONV_KERNELS(template, double)

}  // namespace aafgan::kernels::cpu
