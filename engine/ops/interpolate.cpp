// interpolate_bilinear (engine/ops/image_ops.h): a CPU loop, and CUDA kernels
// (kernels/cuda/image_ops.h) for CUDA tensors; both take their taps from bilinear_tap.
#include <algorithm>
#include <memory>
#include <vector>

#include "engine/autograd.h"
#include "engine/device.h"
#include "engine/ops/image_ops.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cuda/image_ops.h"

namespace aafgan {

namespace {

// Where output row (or column) i reads: its two source indices and their weights.
template <typename T>
struct Taps {
  std::vector<int64_t> i0, i1;
  std::vector<T> l0, l1;
};

// PyTorch's compute_source_index_and_lambda, in the tensor's own precision as PyTorch computes
// it, so f32 outputs round like PyTorch's: source = (i + 0.5)·in/out − 0.5, clamped at 0, and
// an equal size copies. The formula is kernels::cuda::bilinear_tap, which the CUDA kernels
// evaluate too.
template <typename T>
Taps<T> taps(int64_t in, int64_t out) {
  Taps<T> t;
  t.i0.resize(static_cast<size_t>(out));
  t.i1.resize(static_cast<size_t>(out));
  t.l0.resize(static_cast<size_t>(out));
  t.l1.resize(static_cast<size_t>(out));
  for (int64_t i = 0; i < out; ++i) {
    const size_t u = static_cast<size_t>(i);
    const kernels::cuda::BilinearTap<T> tap = kernels::cuda::bilinear_tap<T>(i, in, out);
    t.i0[u] = tap.i0;
    t.i1[u] = tap.i1;
    t.l0[u] = tap.l0;
    t.l1[u] = tap.l1;
  }
  return t;
}

// kernels/cuda/image_ops.h: the same taps and arithmetic as the loops below; the backward
// gathers, for each input pixel, the outputs that read it (no atomics).
Tensor interpolate_bilinear_cuda(const Tensor& x, int64_t out_h, int64_t out_w) {
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  Tensor y = Tensor::empty(Shape{n, c, out_h, out_w}, x.dtype(), x.device());
  dispatch(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    kernels::cuda::interpolate_bilinear_forward_cuda<T>(x.data<T>(), y.data<T>(), n * c, h, w, out_h, out_w,
                                                        cuda_stream(x.device()));
  });
  const Shape in_shape = x.shape();
  autograd::record("interpolate_bilinear", {x}, y, [in_shape, out_h, out_w](const Tensor& g, autograd::Grads& grads) {
    Tensor gx = Tensor::empty(in_shape, g.dtype(), g.device());
    dispatch(g.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      kernels::cuda::interpolate_bilinear_backward_cuda<T>(g.data<T>(), gx.data<T>(), in_shape[0] * in_shape[1],
                                                           in_shape[2], in_shape[3], out_h, out_w,
                                                           cuda_stream(g.device()));
    });
    grads.set(0, gx);
  });
  return y;
}

}  // namespace

Tensor interpolate_bilinear(const Tensor& x, int64_t out_h, int64_t out_w) {
  AAFGAN_CHECK(x.defined() && x.ndim() == 4, "interpolate_bilinear: input {} must be [N, C, H, W]",
               x.defined() ? x.str() : std::string("(undefined)"));
  AAFGAN_CHECK(out_h > 0 && out_w > 0, "interpolate_bilinear: output size {}x{} must be positive", out_h, out_w);
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  AAFGAN_CHECK(h > 0 && w > 0, "interpolate_bilinear: input {} has an empty plane", x.str());
  if (x.device().is_cuda()) return interpolate_bilinear_cuda(x, out_h, out_w);
  const int64_t planes = n * c, in_plane = h * w, out_plane = out_h * out_w;

  Tensor y = Tensor::empty(Shape{n, c, out_h, out_w}, x.dtype(), x.device());
  dispatch(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const Taps<T> th = taps<T>(h, out_h), tw = taps<T>(w, out_w);
    const T* px = x.data<T>();
    T* py = y.data<T>();
#pragma omp parallel for schedule(static) if (planes * out_plane >= kernels::cpu::kParallelGrain)
    for (int64_t pl = 0; pl < planes; ++pl) {
      const T* src = px + pl * in_plane;
      T* dst = py + pl * out_plane;
      for (int64_t r = 0; r < out_h; ++r) {
        const size_t ur = static_cast<size_t>(r);
        const T* row0 = src + th.i0[ur] * w;
        const T* row1 = src + th.i1[ur] * w;
        const T a0 = th.l0[ur], a1 = th.l1[ur];
        for (int64_t q = 0; q < out_w; ++q) {
          const size_t uq = static_cast<size_t>(q);
          const int64_t c0 = tw.i0[uq], c1 = tw.i1[uq];
          const T b0 = tw.l0[uq], b1 = tw.l1[uq];
          // PyTorch's order: interpolate along the width in each row, then between the rows.
          dst[r * out_w + q] = kernels::cuda::bilinear_mix<T>(row0[c0], row0[c1], row1[c0], row1[c1], a0, a1, b0, b1);
        }
      }
    }
  });
  const Shape in_shape = x.shape();
  autograd::record("interpolate_bilinear", {x}, y, [=](const Tensor& g, autograd::Grads& grads) {
    Tensor gx = Tensor::zeros(in_shape, g.dtype(), g.device());
    dispatch(g.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const Taps<T> th = taps<T>(h, out_h), tw = taps<T>(w, out_w);
      const T* pg = g.data<T>();
      T* pgx = gx.data<T>();
      // Neighbouring outputs share source pixels: threads own whole planes.
#pragma omp parallel for schedule(static) if (planes * out_plane >= kernels::cpu::kParallelGrain)
      for (int64_t pl = 0; pl < planes; ++pl) {
        const T* src = pg + pl * out_plane;
        T* dst = pgx + pl * in_plane;
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
    });
    grads.set(0, gx);
  });
  return y;
}

}  // namespace aafgan
