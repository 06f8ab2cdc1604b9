// Full and per-dimension sums and means.
#include <algorithm>
#include <vector>

#include "engine/autograd.h"
#include "engine/device.h"
#include "engine/ops.h"
#include "kernels/cuda/device_allocator.h"
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/reduce.h"

namespace aafgan {

namespace {

// Splits a shape around `dim` into outer × size × inner.
struct Split {
  int64_t outer = 1, size = 1, inner = 1;
};

Split split_at(const Shape& s, int dim) {
  Split r;
  for (int i = 0; i < dim; ++i) r.outer *= s[i];
  r.size = s[dim];
  for (int i = dim + 1; i < s.ndim(); ++i) r.inner *= s[i];
  return r;
}

int normalise_dim(const char* op, const Tensor& x, int dim) {
  const int d = dim < 0 ? dim + x.ndim() : dim;
  AAFGAN_CHECK(d >= 0 && d < x.ndim(), "{}: dimension {} out of range for {}", op, dim, x.str());
  return d;
}

Shape reduced_shape(const Shape& s, int dim, bool keepdim) {
  std::vector<int64_t> dims = s.vec();
  if (keepdim) dims[static_cast<size_t>(dim)] = 1;
  else dims.erase(dims.begin() + dim);
  return Shape(dims);
}

}  // namespace

Tensor sum(const Tensor& x) {
  Tensor out = Tensor::empty(Shape{}, x.dtype(), x.device());
  dispatch(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = x.data<T>();
    if (x.device().is_cuda()) {
      kernels::cuda::CachedBuffer workspace(kernels::cuda::sum_all_workspace_bytes(x.numel()));
      kernels::cuda::sum_all_cuda<T>(p, out.data<T>(), x.numel(), workspace.get(), workspace.bytes(),
                                     cuda_stream(x.device()));
      return;
    }
    double acc = 0;  // f32 losses summed in double: the result does not depend on order much
    for (int64_t i = 0, n = x.numel(); i < n; ++i) acc += static_cast<double>(p[i]);
    *out.data<T>() = static_cast<T>(acc);
  });
  const Shape shape = x.shape();
  autograd::record("sum", {x}, out, [shape](const Tensor& g, autograd::Grads& grads) {
    if (!g.device().is_cuda()) {
      grads.set(0, Tensor::full(shape, g.item(), g.dtype(), g.device()));
      return;
    }
    Tensor gx = Tensor::empty(shape, g.dtype(), g.device());  // filled on the device: no read-back
    dispatch(g.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      kernels::cuda::fill_from_device_cuda<T>(gx.data<T>(), gx.numel(), g.data<T>(), cuda_stream(g.device()));
    });
    grads.set(0, gx);
  });
  return out;
}

Tensor mean(const Tensor& x) {
  AAFGAN_CHECK(x.numel() > 0, "mean of an empty tensor {}", x.str());
  return sum(x) * (1.0 / static_cast<double>(x.numel()));
}

Tensor sum(const Tensor& x, int dim, bool keepdim) {
  const int d = normalise_dim("sum", x, dim);
  const Split s = split_at(x.shape(), d);
  Tensor out = Tensor::empty(reduced_shape(x.shape(), d, keepdim), x.dtype(), x.device());
  dispatch(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* px = x.data<T>();
    T* po = out.data<T>();
    if (x.device().is_cuda()) {
      kernels::cuda::CachedBuffer workspace(kernels::cuda::sum_dim_workspace_bytes(s.outer, s.size, s.inner));
      kernels::cuda::sum_dim_cuda<T>(px, po, s.outer, s.size, s.inner, workspace.get(), workspace.bytes(),
                                     cuda_stream(x.device()));
      return;
    }
    // Rows of `inner` accumulate into a double row, so the innermost loop is contiguous and
    // vectorises; each output still sums its k terms in ascending order.
    std::vector<double> acc(static_cast<size_t>(s.inner));
    for (int64_t o = 0; o < s.outer; ++o) {
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int64_t k = 0; k < s.size; ++k) {
        const T* row = px + (o * s.size + k) * s.inner;
        for (int64_t i = 0; i < s.inner; ++i) acc[static_cast<size_t>(i)] += static_cast<double>(row[i]);
      }
      for (int64_t i = 0; i < s.inner; ++i) po[o * s.inner + i] = static_cast<T>(acc[static_cast<size_t>(i)]);
    }
  });
  const Shape in_shape = x.shape();
  autograd::record("sum_dim", {x}, out, [in_shape, s](const Tensor& g, autograd::Grads& grads) {
    Tensor gx = Tensor::empty(in_shape, g.dtype(), g.device());
    dispatch(g.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* pg = g.data<T>();
      T* px = gx.data<T>();
      if (g.device().is_cuda()) {
        kernels::cuda::expand_dim_cuda<T>(pg, px, s.outer, s.size, s.inner, cuda_stream(g.device()));
        return;
      }
      for (int64_t o = 0; o < s.outer; ++o)
        for (int64_t k = 0; k < s.size; ++k)
          for (int64_t i = 0; i < s.inner; ++i) px[(o * s.size + k) * s.inner + i] = pg[o * s.inner + i];
    });
    grads.set(0, gx);
  });
  return out;
}

Tensor mean(const Tensor& x, int dim, bool keepdim) {
  const int d = normalise_dim("mean", x, dim);
  AAFGAN_CHECK(x.size(d) > 0, "mean over an empty dimension of {}", x.str());
  return sum(x, d, keepdim) * (1.0 / static_cast<double>(x.size(d)));
}

}  // namespace aafgan
