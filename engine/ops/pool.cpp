// max_pool2d.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "engine/autograd.h"
#include "engine/device.h"
#include "engine/ops.h"
#include "kernels/cuda/device_allocator.h"
#include "kernels/cuda/pool.h"
#include "kernels/cpu/parallel.h"

namespace aafgan {

namespace {

// kernels/cuda/pool.h: the argmax stays on the device for the backward (a gather, no atomics).
Tensor max_pool2d_cuda(const Tensor& x, int k, int s, int p, int64_t oh, int64_t ow) {
  void* stream = cuda_stream(x.device());
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  Tensor y = Tensor::empty(Shape{n, c, oh, ow}, x.dtype(), x.device());
  const bool track = autograd::grad_enabled() && x.requires_grad();
  auto argmax = std::make_shared<kernels::cuda::CachedBuffer>(track ? static_cast<size_t>(y.numel()) * 4 : 0);
  dispatch(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    kernels::cuda::max_pool2d_forward_cuda<T>(x.data<T>(), y.data<T>(), argmax->as<int32_t>(), n * c, h, w, k, s,
                                              p, stream);
  });
  if (!track) return y;
  const Shape in_shape = x.shape();
  autograd::record("max_pool2d", {x}, y, [argmax, in_shape, k, s, p](const Tensor& g, autograd::Grads& grads) {
    Tensor gx = Tensor::empty(in_shape, g.dtype(), g.device());
    dispatch(g.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      kernels::cuda::max_pool2d_backward_cuda<T>(g.data<T>(), argmax->as<int32_t>(), gx.data<T>(),
                                                 in_shape[0] * in_shape[1], in_shape[2], in_shape[3], k, s, p,
                                                 cuda_stream(g.device()));
    });
    grads.set(0, gx);
  });
  return y;
}

}  // namespace

Tensor max_pool2d(const Tensor& x, int kernel, int stride, int padding) {
  AAFGAN_CHECK(x.ndim() == 4, "max_pool2d: input {} must be [N, C, H, W]", x.str());
  AAFGAN_CHECK(kernel > 0, "max_pool2d: kernel {} must be positive", kernel);
  AAFGAN_CHECK(stride >= 0, "max_pool2d: stride {} must not be negative (0 means the kernel size)", stride);
  // Beyond k/2 a window could lie wholly in the padding and have nothing to take the max of.
  AAFGAN_CHECK(padding >= 0 && 2 * padding <= kernel, "max_pool2d: padding {} must be in [0, kernel/2] (kernel {})",
               padding, kernel);
  const int64_t k = kernel, s = stride == 0 ? kernel : stride, p = padding;
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  AAFGAN_CHECK(h + 2 * p >= k && w + 2 * p >= k, "max_pool2d: kernel {}x{} is larger than input {} padded by {}", k,
               k, x.str(), p);
  AAFGAN_CHECK(h * w <= std::numeric_limits<int32_t>::max(), "max_pool2d: input {} has too many pixels per plane",
               x.str());
  const int64_t oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1;
  const int64_t planes = n * c, in_plane = h * w, out_plane = oh * ow;

  if (x.device().is_cuda())
    return max_pool2d_cuda(x, static_cast<int>(k), static_cast<int>(s), static_cast<int>(p), oh, ow);

  Tensor y = Tensor::empty(Shape{n, c, oh, ow}, x.dtype(), x.device());
  // The argmax of each window, as an index into its plane; only kept when backward will run.
  const bool track = autograd::grad_enabled() && x.requires_grad();
  auto argmax = std::make_shared<std::vector<int32_t>>(track ? static_cast<size_t>(y.numel()) : 0);
  dispatch(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* px = x.data<T>();
    T* py = y.data<T>();
    int32_t* pi = track ? argmax->data() : nullptr;
#pragma omp parallel for schedule(static) if (planes * out_plane * k * k >= kernels::cpu::kParallelGrain)
    for (int64_t pl = 0; pl < planes; ++pl) {
      const T* src = px + pl * in_plane;
      for (int64_t r = 0; r < oh; ++r)
        for (int64_t q = 0; q < ow; ++q) {
          // The window clipped to the input: padded cells take no part, so they never win.
          const int64_t h0 = std::max<int64_t>(r * s - p, 0), h1 = std::min(r * s - p + k, h);
          const int64_t w0 = std::max<int64_t>(q * s - p, 0), w1 = std::min(q * s - p + k, w);
          int64_t best_at = h0 * w + w0;
          T best = src[best_at];
          for (int64_t i = h0; i < h1; ++i)
            for (int64_t j = w0; j < w1; ++j) {
              const int64_t at = i * w + j;
              // Strictly greater keeps the first maximum on ties; NaN wins and propagates, as PyTorch.
              if (src[at] > best || std::isnan(src[at])) {
                best = src[at];
                best_at = at;
              }
            }
          const int64_t o = pl * out_plane + r * ow + q;
          py[o] = best;
          if (pi) pi[o] = static_cast<int32_t>(best_at);
        }
    }
  });
  if (!track) return y;
  const Shape in_shape = x.shape();
  autograd::record("max_pool2d", {x}, y,
                   [argmax, in_shape, planes, in_plane, out_plane](const Tensor& g, autograd::Grads& grads) {
    Tensor gx = Tensor::zeros(in_shape, g.dtype(), g.device());
    dispatch(g.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* pg = g.data<T>();
      T* px = gx.data<T>();
      const int32_t* pi = argmax->data();
      // Overlapping windows (stride < kernel) may share an argmax: threads own whole planes.
#pragma omp parallel for schedule(static) if (planes * out_plane >= kernels::cpu::kParallelGrain)
      for (int64_t pl = 0; pl < planes; ++pl)
        for (int64_t o = pl * out_plane; o < (pl + 1) * out_plane; ++o) px[pl * in_plane + pi[o]] += pg[o];
    });
    grads.set(0, gx);
  });
  return y;
}

}  // namespace aafgan
