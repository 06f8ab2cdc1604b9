// Full and per-dimension sums and means.
#include <algorithm>
#include <vector>

#include "engine/autograd.h"
#include "engine/backend.h"
#include "engine/ops.h"

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
  backend::sum_all(x, out);
  const Shape shape = x.shape();
  autograd::record("sum", {x}, out, [shape](const Tensor& g, autograd::Grads& grads) {
    Tensor gx = Tensor::empty(shape, g.dtype(), g.device());
    backend::fill_from(gx, g);  // read where g lives: no device-to-host copy
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
  backend::sum_dim(x, out, s.outer, s.size, s.inner);
  const Shape in_shape = x.shape();
  autograd::record("sum_dim", {x}, out, [in_shape, s](const Tensor& g, autograd::Grads& grads) {
    Tensor gx = Tensor::empty(in_shape, g.dtype(), g.device());
    backend::expand_dim(g, gx, s.outer, s.size, s.inner);
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
