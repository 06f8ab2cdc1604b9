// Broadcasting arithmetic: add, sub, mul, div, affine, rdiv and the sum_to that undoes a
// broadcast in backward.
#include <algorithm>
#include <vector>

#include "engine/autograd.h"
#include "engine/backend.h"
#include "engine/ops.h"

namespace aafgan {

namespace {

using kernels::BinaryOp;

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b) {
  const char* name = kernels::binary_op_name(op);
  check_same_dtype(name, a, b);
  check_same_device(name, a, b);
  Tensor out = Tensor::empty(broadcast_shapes(name, a.shape(), b.shape()), a.dtype(), a.device());
  backend::binary(op, a, b, out);
  const Shape sa = a.shape(), sb = b.shape();
  autograd::record(name, {a, b}, out, [op, a, b, out, sa, sb](const Tensor& g, autograd::Grads& grads) {
    switch (op) {
      case BinaryOp::add:
        if (grads.needs(0)) grads.set(0, sum_to(g, sa));
        if (grads.needs(1)) grads.set(1, sum_to(g, sb));
        break;
      case BinaryOp::sub:
        if (grads.needs(0)) grads.set(0, sum_to(g, sa));
        if (grads.needs(1)) grads.set(1, sum_to(-g, sb));
        break;
      case BinaryOp::mul:
        if (grads.needs(0)) grads.set(0, sum_to(g * b, sa));
        if (grads.needs(1)) grads.set(1, sum_to(g * a, sb));
        break;
      case BinaryOp::div:
        if (grads.needs(0)) grads.set(0, sum_to(g / b, sa));
        if (grads.needs(1)) grads.set(1, sum_to(-(g * out) / b, sb));
        break;
    }
  });
  return out;
}

}  // namespace

Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b) {
  const int n = std::max(a.ndim(), b.ndim());
  std::vector<int64_t> dims(static_cast<size_t>(n));
  for (int i = 1; i <= n; ++i) {
    const int64_t da = i <= a.ndim() ? a[a.ndim() - i] : 1;
    const int64_t db = i <= b.ndim() ? b[b.ndim() - i] : 1;
    if (da != db && da != 1 && db != 1) fail("{}: shapes {} and {} cannot be broadcast together", op, a.str(), b.str());
    dims[static_cast<size_t>(n - i)] = da == 1 ? db : da;
  }
  return Shape(dims);
}

Tensor sum_to(const Tensor& g, const Shape& target) {
  if (g.shape() == target) return g;
  AAFGAN_CHECK(broadcast_shapes("sum_to", g.shape(), target) == g.shape(), "sum_to: {} cannot be reduced to {}",
               g.shape().str(), target.str());
  Tensor out = Tensor::empty(target, g.dtype(), g.device());
  backend::sum_to(g, out);
  return out;
}

Tensor add(const Tensor& a, const Tensor& b) { return binary(BinaryOp::add, a, b); }
Tensor sub(const Tensor& a, const Tensor& b) { return binary(BinaryOp::sub, a, b); }
Tensor mul(const Tensor& a, const Tensor& b) { return binary(BinaryOp::mul, a, b); }
Tensor div(const Tensor& a, const Tensor& b) { return binary(BinaryOp::div, a, b); }

Tensor affine(const Tensor& x, double scale, double shift) {
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  backend::affine(x, out, scale, shift);
  autograd::record("affine", {x}, out, [scale](const Tensor& g, autograd::Grads& grads) {
    grads.set(0, affine(g, scale, 0.0));
  });
  return out;
}

Tensor rdiv(double s, const Tensor& x) {
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  backend::rdiv(s, x, out);
  autograd::record("rdiv", {x}, out, [x, out](const Tensor& g, autograd::Grads& grads) {
    grads.set(0, -(g * out) / x);  // d(s/x)/dx = −s/x² = −y/x
  });
  return out;
}

}  // namespace aafgan
