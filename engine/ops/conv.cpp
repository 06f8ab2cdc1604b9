// conv2d and conv_transpose2d on im2col + GEMM.
//
// Both reduce to three products between an "image side" a [n, C, H, W], a weight matrix
// wm [m, C·kH·kW] and a "column side" o [n, m, OH·OW]:
//   columns_forward   o_b = wm · im2col(a_b)           conv forward, conv-transpose backward-data
//   columns_backward  a_b = col2im(wmᵀ · o_b)          conv backward-data, conv-transpose forward
//   weight_grad       wm  = Σ_b o_b · im2col(a_b)ᵀ     the weight gradient of both
// For conv2d a is the input and o the output; for conv_transpose2d the roles swap, and its
// [Cin, Cout, kH, kW] weight is already the [m, C·kH·kW] matrix with m = Cin, C = Cout.
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "engine/autograd.h"
#include "engine/ops.h"
#include "engine/ops/conv_cuda.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/im2col.h"
#include "kernels/cpu/parallel.h"

namespace aafgan {

namespace {

using kernels::cpu::ConvGeometry;
using kernels::cpu::gemm;
using kernels::cpu::kParallelGrain;

// Images per chunk. One GEMM per image is fine while a feature map has many pixels, but at
// 8×8 or 4×4 its product is too narrow to run near peak; side by side, enough images to give
// the GEMM ~512 columns restore that. More than that was measured slower (the columns fall out
// of cache between im2col and the GEMM), so large maps go one image at a time.
constexpr int64_t kTargetColumns = 512;

// n images for each of `threads` threads, each thread holding its own scratch.
int64_t chunk_size(int64_t n, int threads, int64_t elems_per_image, size_t elem_size, int64_t len) {
  const size_t per = static_cast<size_t>(std::max<int64_t>(elems_per_image, 1)) * elem_size;
  const size_t budget = kernels::cpu::conv_workspace_limit() / static_cast<size_t>(threads);
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

// o [n, m, OH·OW] = wm [m, K] · im2col(a), plus bias[m] when given.
template <typename T>
void columns_forward(const T* a, int64_t n, const ConvGeometry& g, const T* wm, int64_t m, const T* bias, T* o) {
  const int64_t kc = g.col_rows(), len = g.col_cols(), image = g.channels * g.height * g.width;
  const BatchSplit split = split_batch(n);
  const int64_t chunk = chunk_size((n + split.threads - 1) / split.threads, split.threads, (kc + m) * len, sizeof(T), len);
  const bool pointwise = is_pointwise(g);
  const Workspace<T> ws(split.threads, chunk, kc, m, len, pointwise);
  run_split(split, n, [&](int t, int64_t first, int64_t count) {
    for (int64_t b0 = first; b0 < first + count; b0 += chunk) {
      const int64_t b = std::min(chunk, first + count - b0);
      const T* cols = a + b0 * image;
      if (b > 1 || !pointwise) {
        kernels::cpu::im2col(a + b0 * image, b, g, ws.col(t));
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
  const int64_t kc = g.col_rows(), len = g.col_cols(), image = g.channels * g.height * g.width;
  const BatchSplit split = split_batch(n);
  const int64_t chunk = chunk_size((n + split.threads - 1) / split.threads, split.threads, (kc + m) * len, sizeof(T), len);
  const bool pointwise = is_pointwise(g);
  const Workspace<T> ws(split.threads, chunk, kc, m, len, pointwise);
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
      kernels::cpu::col2im(ws.col(t), b, g, out);
    }
  });
}

// gw [m, K] = Σ over images of o_b · im2col(a_b)ᵀ. Threads sum their shares apart, then add up.
template <typename T>
void weight_grad(const T* o, const T* a, int64_t n, const ConvGeometry& g, int64_t m, T* gw) {
  const int64_t kc = g.col_rows(), len = g.col_cols(), image = g.channels * g.height * g.width;
  const BatchSplit split = split_batch(n);
  const int64_t chunk = chunk_size((n + split.threads - 1) / split.threads, split.threads, (kc + m) * len, sizeof(T), len);
  const bool pointwise = is_pointwise(g);
  const Workspace<T> ws(split.threads, chunk, kc, m, len, pointwise);
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
        kernels::cpu::im2col(a + b0 * image, b, g, ws.col(t));
        cols = ws.col(t);
      }
      gemm<T>(false, true, m, kc, b * len, T(1), src, b * len, cols, b * len, b0 == first ? T(0) : T(1), dst, kc);
    }
  });
  for (int t = 1; t < split.threads; ++t) {
    if (!ran[static_cast<size_t>(t)]) continue;
    const T* p = partials.get() + (t - 1) * m * kc;
    kernels::cpu::parallel_for(m * kc, [&](int64_t i) { gw[i] += p[i]; });
  }
}

template <typename T>
const T* data_or_null(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

// What conv2d and conv_transpose2d check alike. `channel_dim` is the weight dimension that
// must equal the input's channels, `out_dim` the one that gives the output channels.
void check_conv(const char* op, const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dParams& p,
                int channel_dim, int out_dim, const char* layout) {
  AAFGAN_CHECK(x.defined() && w.defined(), "{}: input and weight must be defined", op);
  AAFGAN_CHECK(x.ndim() == 4, "{}: input {} must be [N, C, H, W]", op, x.str());
  AAFGAN_CHECK(w.ndim() == 4, "{}: weight {} must be {}", op, w.str(), layout);
  check_same_dtype(op, x, w);
  check_same_device(op, x, w);
  AAFGAN_CHECK(w.size(0) > 0 && w.size(1) > 0 && w.size(2) > 0 && w.size(3) > 0, "{}: weight {} has an empty dimension",
               op, w.str());
  AAFGAN_CHECK(x.size(1) == w.size(channel_dim), "{}: input {} has {} channels but weight {} ({}) expects {}", op,
               x.str(), x.size(1), w.str(), layout, w.size(channel_dim));
  AAFGAN_CHECK(x.size(2) > 0 && x.size(3) > 0, "{}: input {} has an empty spatial dimension", op, x.str());
  AAFGAN_CHECK(p.stride_h > 0 && p.stride_w > 0, "{}: stride ({}, {}) must be positive", op, p.stride_h, p.stride_w);
  AAFGAN_CHECK(p.pad_h >= 0 && p.pad_w >= 0, "{}: padding ({}, {}) must not be negative", op, p.pad_h, p.pad_w);
  if (bias.defined()) {
    AAFGAN_CHECK(bias.ndim() == 1 && bias.size(0) == w.size(out_dim), "{}: bias {} does not fit weight {} (expected [{}])",
                 op, bias.str(), w.str(), w.size(out_dim));
    check_same_dtype(op, x, bias);
    check_same_device(op, x, bias);
  }
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& p) {
  check_conv("conv2d", x, weight, bias, p, 1, 0, "[Cout, Cin, kH, kW]");
  AAFGAN_CHECK(p.output_pad_h == 0 && p.output_pad_w == 0,
               "conv2d: output_pad ({}, {}) only applies to conv_transpose2d", p.output_pad_h, p.output_pad_w);
  const int64_t n = x.size(0), cout = weight.size(0);
  ConvGeometry g;
  g.channels = x.size(1);
  g.height = x.size(2);
  g.width = x.size(3);
  g.kernel_h = weight.size(2);
  g.kernel_w = weight.size(3);
  g.stride_h = p.stride_h;
  g.stride_w = p.stride_w;
  g.pad_h = p.pad_h;
  g.pad_w = p.pad_w;
  AAFGAN_CHECK(g.height + 2 * g.pad_h >= g.kernel_h && g.width + 2 * g.pad_w >= g.kernel_w,
               "conv2d: kernel {}x{} is larger than input {} padded by ({}, {})", g.kernel_h, g.kernel_w, x.str(),
               p.pad_h, p.pad_w);
  g.out_h = (g.height + 2 * g.pad_h - g.kernel_h) / g.stride_h + 1;
  g.out_w = (g.width + 2 * g.pad_w - g.kernel_w) / g.stride_w + 1;
  if (x.device().is_cuda()) return detail::conv2d_cuda(x, weight, bias, p);

  Tensor y = Tensor::empty(Shape{n, cout, g.out_h, g.out_w}, x.dtype(), x.device());
  dispatch(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    columns_forward<T>(x.data<T>(), n, g, weight.data<T>(), cout, data_or_null<T>(bias), y.data<T>());
  });
  autograd::record("conv2d", {x, weight, bias}, y, [x, weight, g, n, cout](const Tensor& gy, autograd::Grads& grads) {
    dispatch(gy.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      if (grads.needs(0)) {
        Tensor gx = Tensor::empty(x.shape(), x.dtype(), x.device());
        columns_backward<T>(gy.data<T>(), n, g, weight.data<T>(), cout, gx.data<T>());
        grads.set(0, gx);
      }
      if (grads.needs(1)) {
        Tensor gw = Tensor::empty(weight.shape(), weight.dtype(), weight.device());
        weight_grad<T>(gy.data<T>(), x.data<T>(), n, g, cout, gw.data<T>());
        grads.set(1, gw);
      }
      if (grads.needs(2)) {
        Tensor gb = Tensor::empty(Shape{cout}, gy.dtype(), gy.device());
        bias_grad<T>(gy.data<T>(), n, cout, g.col_cols(), gb.data<T>());
        grads.set(2, gb);
      }
    });
  });
  return y;
}

Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& p) {
  check_conv("conv_transpose2d", x, weight, bias, p, 0, 1, "[Cin, Cout, kH, kW]");
  // As PyTorch: a larger output_pad would add rows that no input pixel reaches.
  AAFGAN_CHECK(p.output_pad_h >= 0 && p.output_pad_w >= 0 && p.output_pad_h < p.stride_h &&
                   p.output_pad_w < p.stride_w,
               "conv_transpose2d: output_pad ({}, {}) must be non-negative and smaller than the stride ({}, {})",
               p.output_pad_h, p.output_pad_w, p.stride_h, p.stride_w);
  const int64_t n = x.size(0), cin = x.size(1);
  // The geometry of the convolution this one is the transpose of: its input is our output.
  ConvGeometry g;
  g.channels = weight.size(1);
  g.kernel_h = weight.size(2);
  g.kernel_w = weight.size(3);
  g.stride_h = p.stride_h;
  g.stride_w = p.stride_w;
  g.pad_h = p.pad_h;
  g.pad_w = p.pad_w;
  g.out_h = x.size(2);
  g.out_w = x.size(3);
  g.height = (g.out_h - 1) * g.stride_h - 2 * g.pad_h + g.kernel_h + p.output_pad_h;
  g.width = (g.out_w - 1) * g.stride_w - 2 * g.pad_w + g.kernel_w + p.output_pad_w;
  AAFGAN_CHECK(g.height > 0 && g.width > 0,
               "conv_transpose2d: input {} with weight {}, stride ({}, {}), padding ({}, {}) gives an empty output {}x{}",
               x.str(), weight.str(), p.stride_h, p.stride_w, p.pad_h, p.pad_w, g.height, g.width);
  if (x.device().is_cuda()) return detail::conv_transpose2d_cuda(x, weight, bias, p);

  Tensor y = Tensor::empty(Shape{n, g.channels, g.height, g.width}, x.dtype(), x.device());
  dispatch(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* py = y.data<T>();
    columns_backward<T>(x.data<T>(), n, g, weight.data<T>(), cin, py);
    if (bias.defined()) add_bias(py, n, g.channels, g.height * g.width, bias.data<T>());
  });
  autograd::record("conv_transpose2d", {x, weight, bias}, y,
                   [x, weight, g, n, cin](const Tensor& gy, autograd::Grads& grads) {
    dispatch(gy.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      if (grads.needs(0)) {
        Tensor gx = Tensor::empty(x.shape(), x.dtype(), x.device());
        columns_forward<T>(gy.data<T>(), n, g, weight.data<T>(), cin, nullptr, gx.data<T>());
        grads.set(0, gx);
      }
      if (grads.needs(1)) {
        Tensor gw = Tensor::empty(weight.shape(), weight.dtype(), weight.device());
        weight_grad<T>(x.data<T>(), gy.data<T>(), n, g, cin, gw.data<T>());
        grads.set(1, gw);
      }
      if (grads.needs(2)) {
        Tensor gb = Tensor::empty(Shape{g.channels}, gy.dtype(), gy.device());
        bias_grad<T>(gy.data<T>(), n, g.channels, g.height * g.width, gb.data<T>());
        grads.set(2, gb);
      }
    });
  });
  return y;
}

}  // namespace aafgan
