// avg_pool2d and global_avg_pool2d (engine/ops/image_ops.h): CPU loops, and CUDA kernels
// (kernels/cuda/image_ops.h) for CUDA tensors.
#include <algorithm>
#include <vector>

#include "engine/autograd.h"
#include "engine/device.h"
#include "engine/ops/image_ops.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cuda/image_ops.h"

namespace aafgan {

namespace {

// One output cell's window clipped to the input, and what its sum is divided by.
struct Window {
  int64_t h0, h1, w0, w1;
  int64_t divisor;
};

// PyTorch's rule: with count_include_pad the divisor counts the padded cells the window covers
// (in floor mode with padding ≤ k/2 that is always k·k); without, only the input cells.
Window window(int64_t r, int64_t q, int64_t k, int64_t s, int64_t p, int64_t h, int64_t w, bool count_include_pad) {
  const int64_t h0 = r * s - p, w0 = q * s - p;
  const int64_t h1 = std::min(h0 + k, h + p), w1 = std::min(w0 + k, w + p);
  const int64_t padded = (h1 - h0) * (w1 - w0);
  Window win{std::max<int64_t>(h0, 0), std::min(h1, h), std::max<int64_t>(w0, 0), std::min(w1, w), 0};
  win.divisor = count_include_pad ? padded : (win.h1 - win.h0) * (win.w1 - win.w0);
  return win;
}

// kernels/cuda/image_ops.h: the same sums in the same order as the loops below; the backward
// gathers over the windows covering each input element (no atomics).
Tensor avg_pool2d_cuda(const Tensor& x, int k, int s, int p, bool count_include_pad, int64_t oh, int64_t ow) {
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  Tensor y = Tensor::empty(Shape{n, c, oh, ow}, x.dtype(), x.device());
  dispatch(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    kernels::cuda::avg_pool2d_forward_cuda<T>(x.data<T>(), y.data<T>(), n * c, h, w, k, s, p, count_include_pad,
                                              cuda_stream(x.device()));
  });
  const Shape in_shape = x.shape();
  autograd::record("avg_pool2d", {x}, y,
                   [in_shape, k, s, p, count_include_pad](const Tensor& g, autograd::Grads& grads) {
                     Tensor gx = Tensor::empty(in_shape, g.dtype(), g.device());
                     dispatch(g.dtype(), [&](auto tag) {
                       using T = typename decltype(tag)::type;
                       kernels::cuda::avg_pool2d_backward_cuda<T>(g.data<T>(), gx.data<T>(), in_shape[0] * in_shape[1],
                                                                  in_shape[2], in_shape[3], k, s, p, count_include_pad,
                                                                  cuda_stream(g.device()));
                     });
                     grads.set(0, gx);
                   });
  return y;
}

Tensor global_avg_pool2d_cuda(const Tensor& x) {
  const int64_t n = x.size(0), c = x.size(1), plane = x.size(2) * x.size(3);
  Tensor y = Tensor::empty(Shape{n, c, 1, 1}, x.dtype(), x.device());
  dispatch(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    kernels::cuda::global_avg_pool2d_forward_cuda<T>(x.data<T>(), y.data<T>(), n * c, plane, cuda_stream(x.device()));
  });
  const Shape in_shape = x.shape();
  autograd::record("global_avg_pool2d", {x}, y, [in_shape, plane](const Tensor& g, autograd::Grads& grads) {
    Tensor gx = Tensor::empty(in_shape, g.dtype(), g.device());
    dispatch(g.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      kernels::cuda::global_avg_pool2d_backward_cuda<T>(g.data<T>(), gx.data<T>(), in_shape[0] * in_shape[1], plane,
                                                        cuda_stream(g.device()));
    });
    grads.set(0, gx);
  });
  return y;
}

}  // namespace

Tensor avg_pool2d(const Tensor& x, int kernel, int stride, int padding, bool count_include_pad) {
  AAFGAN_CHECK(x.defined() && x.ndim() == 4, "avg_pool2d: input {} must be [N, C, H, W]",
               x.defined() ? x.str() : std::string("(undefined)"));
  AAFGAN_CHECK(kernel > 0, "avg_pool2d: kernel {} must be positive", kernel);
  AAFGAN_CHECK(stride >= 0, "avg_pool2d: stride {} must not be negative (0 means the kernel size)", stride);
  // Beyond k/2 a window could lie wholly in the padding: PyTorch refuses it too.
  AAFGAN_CHECK(padding >= 0 && 2 * padding <= kernel, "avg_pool2d: padding {} must be in [0, kernel/2] (kernel {})",
               padding, kernel);
  const int64_t k = kernel, s = stride == 0 ? kernel : stride, p = padding;
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  AAFGAN_CHECK(h + 2 * p >= k && w + 2 * p >= k, "avg_pool2d: kernel {}x{} is larger than input {} padded by {}", k,
               k, x.str(), p);
  const int64_t oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1;
  if (x.device().is_cuda())
    return avg_pool2d_cuda(x, kernel, static_cast<int>(s), padding, count_include_pad, oh, ow);
  const int64_t planes = n * c, in_plane = h * w, out_plane = oh * ow;

  // A window is a rectangle, so its sum is separable: sums along each row over the window's
  // columns first, then those sums over the window's rows. That is 2k adds per output instead
  // of k², with the second pass running along contiguous rows (Inception pools 3×3 at stride 1
  // over whole feature maps). Each cell's divisor is worked out once, for every plane.
  std::vector<int64_t> r0(static_cast<size_t>(oh)), r1(static_cast<size_t>(oh)), c0(static_cast<size_t>(ow)),
      c1(static_cast<size_t>(ow));
  std::vector<double> inv(static_cast<size_t>(out_plane));
  for (int64_t r = 0; r < oh; ++r) {
    const Window win = window(r, 0, k, s, p, h, w, count_include_pad);
    r0[static_cast<size_t>(r)] = win.h0;
    r1[static_cast<size_t>(r)] = win.h1;
    for (int64_t q = 0; q < ow; ++q) {
      const Window wq = window(r, q, k, s, p, h, w, count_include_pad);
      if (r == 0) {
        c0[static_cast<size_t>(q)] = wq.w0;
        c1[static_cast<size_t>(q)] = wq.w1;
      }
      inv[static_cast<size_t>(r * ow + q)] = 1.0 / static_cast<double>(wq.divisor);
    }
  }

  Tensor y = Tensor::empty(Shape{n, c, oh, ow}, x.dtype(), x.device());
  dispatch(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* px = x.data<T>();
    T* py = y.data<T>();
#pragma omp parallel if (planes * out_plane * k >= kernels::cpu::kParallelGrain)
    {
      // Per thread: the row sums of one plane [h, ow] and one output row's accumulator, in double.
      std::vector<double> rows(static_cast<size_t>(h * ow)), acc(static_cast<size_t>(ow));
#pragma omp for schedule(static)
      for (int64_t pl = 0; pl < planes; ++pl) {
        const T* src = px + pl * in_plane;
        T* dst = py + pl * out_plane;
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
  });
  const Shape in_shape = x.shape();
  autograd::record("avg_pool2d", {x}, y,
                   [=](const Tensor& g, autograd::Grads& grads) {
                     Tensor gx = Tensor::zeros(in_shape, g.dtype(), g.device());
                     dispatch(g.dtype(), [&](auto tag) {
                       using T = typename decltype(tag)::type;
                       const T* pg = g.data<T>();
                       T* pgx = gx.data<T>();
                       // Overlapping windows add into the same cells: threads own whole planes.
#pragma omp parallel for schedule(static) if (planes * out_plane * k * k >= kernels::cpu::kParallelGrain)
                       for (int64_t pl = 0; pl < planes; ++pl) {
                         T* dst = pgx + pl * in_plane;
                         for (int64_t r = 0; r < oh; ++r)
                           for (int64_t q = 0; q < ow; ++q) {
                             const Window win = window(r, q, k, s, p, h, w, count_include_pad);
                             const T share = pg[pl * out_plane + r * ow + q] / static_cast<T>(win.divisor);
                             for (int64_t i = win.h0; i < win.h1; ++i)
                               for (int64_t j = win.w0; j < win.w1; ++j) dst[i * w + j] += share;
                           }
                       }
                     });
                     grads.set(0, gx);
                   });
  return y;
}

Tensor global_avg_pool2d(const Tensor& x) {
  AAFGAN_CHECK(x.defined() && x.ndim() == 4, "global_avg_pool2d: input {} must be [N, C, H, W]",
               x.defined() ? x.str() : std::string("(undefined)"));
  const int64_t n = x.size(0), c = x.size(1), plane = x.size(2) * x.size(3);
  AAFGAN_CHECK(plane > 0, "global_avg_pool2d: input {} has an empty plane", x.str());
  if (x.device().is_cuda()) return global_avg_pool2d_cuda(x);
  Tensor y = Tensor::empty(Shape{n, c, 1, 1}, x.dtype(), x.device());
  dispatch(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* px = x.data<T>();
    T* py = y.data<T>();
#pragma omp parallel for schedule(static) if (n * c * plane >= kernels::cpu::kParallelGrain)
    for (int64_t pl = 0; pl < n * c; ++pl) {
      const T* src = px + pl * plane;
      double acc = 0;
      for (int64_t i = 0; i < plane; ++i) acc += static_cast<double>(src[i]);
      py[pl] = static_cast<T>(acc / static_cast<double>(plane));
    }
  });
  const Shape in_shape = x.shape();
  autograd::record("global_avg_pool2d", {x}, y, [in_shape, plane](const Tensor& g, autograd::Grads& grads) {
    Tensor gx = Tensor::empty(in_shape, g.dtype(), g.device());
    dispatch(g.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* pg = g.data<T>();
      T* pgx = gx.data<T>();
      const int64_t planes = in_shape[0] * in_shape[1];
      kernels::cpu::parallel_for(planes * plane, [&](int64_t i) { pgx[i] = pg[i / plane] / static_cast<T>(plane); });
    });
    grads.set(0, gx);
  });
  return y;
}

}  // namespace aafgan
