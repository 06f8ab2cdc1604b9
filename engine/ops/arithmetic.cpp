// Broadcasting arithmetic: add, sub, mul, div, affine, rdiv and the sum_to that undoes a
// broadcast in backward.
#include "engine/autograd.h"
#include "engine/device.h"
#include "engine/ops.h"
#include "kernels/cpu/broadcast.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cuda/device_allocator.h"
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/reduce.h"
#include "kernels/op_math.h"

namespace aafgan {

namespace {

using kernels::cpu::BroadcastIndex;
using kernels::cpu::make_broadcast_index;
using kernels::cpu::parallel_for;

// The same order as kernels::cuda::BinaryOp, so one converts to the other.
enum class BinaryKind { add, sub, mul, div };
static_assert(static_cast<int>(kernels::cuda::BinaryOp::div) == static_cast<int>(BinaryKind::div));

template <typename T>
T apply(BinaryKind k, T a, T b) {
  switch (k) {
    case BinaryKind::add: return a + b;
    case BinaryKind::sub: return a - b;
    case BinaryKind::mul: return a * b;
    case BinaryKind::div: return a / b;
  }
  return T(0);
}

const char* binary_name(BinaryKind k) {
  switch (k) {
    case BinaryKind::add: return "add";
    case BinaryKind::sub: return "sub";
    case BinaryKind::mul: return "mul";
    case BinaryKind::div: return "div";
  }
  return "?";
}

// Is `small` the trailing dimensions of `big` (a per-feature parameter over a batch)?
bool is_suffix(const Shape& small, const Shape& big) {
  if (small.ndim() > big.ndim()) return false;
  for (int i = 1; i <= small.ndim(); ++i)
    if (small[small.ndim() - i] != big[big.ndim() - i]) return false;
  return true;
}

Tensor binary_forward(BinaryKind k, const Tensor& a, const Tensor& b) {
  const char* name = binary_name(k);
  check_same_dtype(name, a, b);
  check_same_device(name, a, b);
  const Shape out_shape = broadcast_shapes(name, a.shape(), b.shape());
  Tensor out = Tensor::empty(out_shape, a.dtype(), a.device());
  dispatch(a.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* po = out.data<T>();
    const int64_t n = out_shape.numel();
    if (a.device().is_cuda()) {
      const auto as = a.shape().vec(), bs = b.shape().vec(), os = out_shape.vec();
      const BroadcastIndex bi = make_broadcast_index(out_shape.ndim(), os.data(), a.ndim(), as.data(), b.ndim(),
                                                     bs.data());
      kernels::cuda::binary_cuda<T>(static_cast<kernels::cuda::BinaryOp>(k), pa, pb, po, bi, cuda_stream(a.device()));
    } else if (a.shape() == out_shape && b.shape() == out_shape) {
      parallel_for(n, [&](int64_t i) { po[i] = apply(k, pa[i], pb[i]); });
    } else if (a.shape() == out_shape && is_suffix(b.shape(), out_shape)) {
      const int64_t inner = b.numel();
      parallel_for(n, [&](int64_t i) { po[i] = apply(k, pa[i], pb[i % inner]); });
    } else if (b.shape() == out_shape && is_suffix(a.shape(), out_shape)) {
      const int64_t inner = a.numel();
      parallel_for(n, [&](int64_t i) { po[i] = apply(k, pa[i % inner], pb[i]); });
    } else {
      const auto as = a.shape().vec(), bs = b.shape().vec(), os = out_shape.vec();
      const BroadcastIndex bi = make_broadcast_index(out_shape.ndim(), os.data(), a.ndim(), as.data(), b.ndim(),
                                                     bs.data());
      bi.for_each([&](int64_t o, int64_t ia, int64_t ib) { po[o] = apply(k, pa[ia], pb[ib]); });
    }
  });
  return out;
}

Tensor binary(BinaryKind k, const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(k, a, b);
  const Shape sa = a.shape(), sb = b.shape();
  autograd::record(binary_name(k), {a, b}, out, [k, a, b, out, sa, sb](const Tensor& g, autograd::Grads& grads) {
    switch (k) {
      case BinaryKind::add:
        if (grads.needs(0)) grads.set(0, sum_to(g, sa));
        if (grads.needs(1)) grads.set(1, sum_to(g, sb));
        break;
      case BinaryKind::sub:
        if (grads.needs(0)) grads.set(0, sum_to(g, sa));
        if (grads.needs(1)) grads.set(1, sum_to(-g, sb));
        break;
      case BinaryKind::mul:
        if (grads.needs(0)) grads.set(0, sum_to(g * b, sa));
        if (grads.needs(1)) grads.set(1, sum_to(g * a, sb));
        break;
      case BinaryKind::div:
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
  if (g.device().is_cuda()) {
    Tensor out = Tensor::empty(target, g.dtype(), g.device());
    const auto gs = g.shape().vec(), ts = target.vec();
    kernels::cuda::CachedBuffer workspace(
        kernels::cuda::sum_to_workspace_bytes(g.ndim(), gs.data(), target.ndim(), ts.data()));
    dispatch(g.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      kernels::cuda::sum_to_cuda<T>(g.data<T>(), out.data<T>(), g.ndim(), gs.data(), target.ndim(), ts.data(),
                                    workspace.get(), workspace.bytes(), cuda_stream(g.device()));
    });
    return out;
  }
  Tensor out = Tensor::zeros(target, g.dtype(), g.device());
  dispatch(g.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* pg = g.data<T>();
    T* po = out.data<T>();
    if (is_suffix(target, g.shape())) {
      // Per-feature parameter: accumulate the batch rows in double for accuracy in f32.
      const int64_t inner = target.numel(), rows = g.numel() / std::max<int64_t>(inner, 1);
      parallel_for(inner, [&](int64_t j) {
        double acc = 0;
        for (int64_t r = 0; r < rows; ++r) acc += static_cast<double>(pg[r * inner + j]);
        po[j] = static_cast<T>(acc);
      });
      return;
    }
    const auto gs = g.shape().vec(), ts = target.vec();
    const BroadcastIndex bi = make_broadcast_index(g.ndim(), gs.data(), g.ndim(), gs.data(), target.ndim(), ts.data());
    bi.for_each([&](int64_t, int64_t ig, int64_t it) { po[it] += pg[ig]; });
  });
  return out;
}

Tensor add(const Tensor& a, const Tensor& b) { return binary(BinaryKind::add, a, b); }
Tensor sub(const Tensor& a, const Tensor& b) { return binary(BinaryKind::sub, a, b); }
Tensor mul(const Tensor& a, const Tensor& b) { return binary(BinaryKind::mul, a, b); }
Tensor div(const Tensor& a, const Tensor& b) { return binary(BinaryKind::div, a, b); }

Tensor affine(const Tensor& x, double scale, double shift) {
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  dispatch(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* px = x.data<T>();
    T* po = out.data<T>();
    if (x.device().is_cuda()) {
      kernels::cuda::affine_cuda<T>(px, po, x.numel(), scale, shift, cuda_stream(x.device()));
      return;
    }
    const T s = static_cast<T>(scale), c = static_cast<T>(shift);
    parallel_for(x.numel(), [&](int64_t i) { po[i] = kernels::affine_fwd(px[i], s, c); });
  });
  autograd::record("affine", {x}, out, [scale](const Tensor& g, autograd::Grads& grads) {
    grads.set(0, affine(g, scale, 0.0));
  });
  return out;
}

Tensor rdiv(double s, const Tensor& x) {
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  dispatch(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* px = x.data<T>();
    T* po = out.data<T>();
    if (x.device().is_cuda()) {
      kernels::cuda::rdiv_cuda<T>(s, px, po, x.numel(), cuda_stream(x.device()));
      return;
    }
    const T c = static_cast<T>(s);
    parallel_for(x.numel(), [&](int64_t i) { po[i] = kernels::rdiv_fwd(c, px[i]); });
  });
  autograd::record("rdiv", {x}, out, [x, out](const Tensor& g, autograd::Grads& grads) {
    grads.set(0, -(g * out) / x);  // d(s/x)/dx = −s/x² = −y/x
  });
  return out;
}

}  // namespace aafgan
