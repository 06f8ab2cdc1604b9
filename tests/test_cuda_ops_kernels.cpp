// The CUDA kernels of the engine's non-GEMM ops (kernels/cuda/{elementwise,pointwise,reduce,
// random,loss,pool,optim}.h) against the CPU engine ops and CPU kernels they mirror, on random
// data: the same bits wherever both devices perform the same correctly rounded operations in the
// same order (arithmetic, data movement, short sums, pooling, uniform and dropout draws), else
// within 1e-5 (f32) or 1e-12 (f64) relative; reductions bit-identical from run to run and for
// misaligned inputs. Compiled without CUDA headers (the device is reached through
// kernels/cuda/runtime.h); without a GPU every case but the last skips.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "engine/autograd.h"
#include "engine/ops.h"
#include "engine/ops/pointwise.h"
#include "engine/random.h"
#include "kernels/math/broadcast.h"
#include "kernels/cpu/optim.h"
#include "kernels/math/optim.h"
#include "kernels/cuda/device_query.h"
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/error_record.h"
#include "kernels/cuda/loss.h"
#include "kernels/cuda/optim.h"
#include "kernels/cuda/pointwise.h"
#include "kernels/cuda/pool.h"
#include "kernels/cuda/random.h"
#include "kernels/cuda/reduce.h"
#include "kernels/cuda/runtime.h"
#include "kernels/cuda/device_context.h"
#include "kernels/cuda/sync_mode.h"
#include "kernels/math/philox.h"
#include "tests/device_array.h"
#include "tests/gpu.h"

namespace {

using namespace aafgan;
namespace kc = aafgan::kernels::cuda;
using aafgan::testing::DeviceArray;


// Device scratch of `bytes` bytes (none when 0).
struct Workspace {
  explicit Workspace(size_t b) : bytes(b), buf(b) {}
  size_t bytes;
  DeviceArray<unsigned char> buf;
  void* get() const { return buf.get(); }
};

template <typename T>
constexpr double kRel = sizeof(T) == 4 ? 1e-5 : 1e-12;

// std::string, not const char*: doctest's INFO prints a char pointer as an address.
template <typename T>
std::string tname() {
  return sizeof(T) == 4 ? "f32" : "f64";
}

template <typename T>
std::vector<T> random_vec(size_t n, uint64_t seed, double lo = -1.0, double hi = 1.0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> ud(lo, hi);
  std::vector<T> v(n);
  for (T& x : v) x = static_cast<T>(ud(rng));
  return v;
}

template <typename T>
Tensor host_tensor(const Shape& s, const std::vector<T>& v) {
  Tensor t = Tensor::empty(s, dtype_of<T>());
  REQUIRE(static_cast<size_t>(t.numel()) == v.size());
  if (!v.empty()) std::memcpy(t.data<T>(), v.data(), v.size() * sizeof(T));
  return t;
}

template <typename T>
std::vector<T> values(const Tensor& t) {
  const T* p = t.data<T>();
  return std::vector<T>(p, p + t.numel());
}

template <typename T>
Tensor leaf(const Shape& s, const std::vector<T>& v) {
  Tensor t = host_tensor<T>(s, v);
  t.set_requires_grad(true);
  return t;
}

std::string num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// First element whose bits differ, described; empty when all are identical.
template <typename T>
std::string bits_mismatch(const std::vector<T>& got, const std::vector<T>& want) {
  if (got.size() != want.size()) return "sizes " + std::to_string(got.size()) + " and " + std::to_string(want.size());
  for (size_t i = 0; i < want.size(); ++i)
    if (std::memcmp(&got[i], &want[i], sizeof(T)) != 0)
      return "element " + std::to_string(i) + ": cuda " + num(static_cast<double>(got[i])) + " vs cpu " +
             num(static_cast<double>(want[i]));
  return "";
}

// First element with |got − want| > rel·scale(i) (NaN matches NaN); empty when all agree.
template <typename T, typename Scale>
std::string close_mismatch(const std::vector<T>& got, const std::vector<T>& want, double rel, Scale scale) {
  if (got.size() != want.size()) return "sizes " + std::to_string(got.size()) + " and " + std::to_string(want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    const double g = got[i], w = want[i];
    if ((std::isnan(g) && std::isnan(w)) || g == w) continue;
    const double tol = rel * scale(i);
    if (!(std::fabs(g - w) <= tol))
      return "element " + std::to_string(i) + ": cuda " + num(g) + " vs cpu " + num(w) + " (tolerance " + num(tol) +
             ")";
  }
  return "";
}

template <typename T>
std::string close_mismatch(const std::vector<T>& got, const std::vector<T>& want, double rel) {
  return close_mismatch(got, want, rel,
                        [&](size_t i) { return std::fabs(static_cast<double>(want[i])) + 1e-300; });
}

kernels::BroadcastIndex index_of(const Shape& out, const Shape& a, const Shape& b) {
  const auto os = out.vec(), as = a.vec(), bs = b.vec();
  return kernels::make_broadcast_index(out.ndim(), os.data(), a.ndim(), as.data(), b.ndim(), bs.data());
}

// The gradient the CPU engine gives x for the upstream gradient w of y = f(x): backward of
// sum(f(x)·w), whose gradient at y is exactly w.
template <typename T, typename F>
std::vector<T> cpu_grad(const Shape& xs, const std::vector<T>& xv, const std::vector<T>& w, F f) {
  Tensor x = leaf<T>(xs, xv);
  Tensor y = f(x);
  autograd::backward(sum(mul(y, host_tensor<T>(y.shape(), w))));
  return values<T>(x.grad());
}

// --- binary arithmetic ---------------------------------------------------------------------------

constexpr aafgan::kernels::BinaryOp kBinaryOps[] = {aafgan::kernels::BinaryOp::add, aafgan::kernels::BinaryOp::sub, aafgan::kernels::BinaryOp::mul, aafgan::kernels::BinaryOp::div};

Tensor cpu_binary(aafgan::kernels::BinaryOp op, const Tensor& a, const Tensor& b) {
  switch (op) {
    case aafgan::kernels::BinaryOp::add: return add(a, b);
    case aafgan::kernels::BinaryOp::sub: return sub(a, b);
    case aafgan::kernels::BinaryOp::mul: return mul(a, b);
    case aafgan::kernels::BinaryOp::div: return div(a, b);
  }
  return Tensor();
}

template <typename T>
void check_binary_all() {
  // Same shapes (flat kernel), per-feature operands, middle broadcasts, scalars, both sides
  // broadcasting, 5 dimensions, per-channel [C,1,1] over [N,C,H,W].
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{3, 5}, {3, 5}},         {{4, 7}, {7}},       {{2, 3, 4, 5}, {3, 4, 5}}, {{2, 3, 4}, {3, 1}},
      {{5}, {}},                {{7}, {2, 1}},       {{2, 1, 4, 1, 3}, {5, 1, 3}}, {{1, 6}, {5, 1}},
      {{1000, 33}, {1000, 33}}, {{64, 784}, {784}}, {{8, 3, 5, 5}, {3, 1, 1}}, {{}, {}}};
  uint64_t seed = 100;
  for (const auto& sc : cases) {
    const Shape& sa = sc.first;
    const Shape& sb = sc.second;
    for (const size_t offset : {size_t(0), size_t(1)}) {
      for (const aafgan::kernels::BinaryOp op : kBinaryOps) {
        const Tensor a = host_tensor<T>(sa, random_vec<T>(static_cast<size_t>(sa.numel()), ++seed));
        const Tensor b = host_tensor<T>(sb, random_vec<T>(static_cast<size_t>(sb.numel()), ++seed, 0.5, 1.5));
        for (const bool swap : {false, true}) {  // the broadcast operand second, then first
          const Tensor& x = swap ? b : a;
          const Tensor& y = swap ? a : b;
          const Tensor want = cpu_binary(op, x, y);
          DeviceArray<T> dx(values<T>(x), offset), dy(values<T>(y), offset);
          DeviceArray<T> dout(static_cast<size_t>(want.numel()), offset);
          kc::binary<T>(op, dx.get(), dy.get(), dout.get(), index_of(want.shape(), x.shape(), y.shape()), kc::context_stream());
          const std::string mm = bits_mismatch(dout.download(), values<T>(want));
          const std::string what = std::string(aafgan::kernels::binary_op_name(op)) + " " + x.shape().str() + " by " +
                                   y.shape().str() + " " + tname<T>() + " offset " + std::to_string(offset);
          CHECK_MESSAGE(mm.empty(), what << ": " << mm);
        }
      }
    }
  }
}

// --- affine, rdiv, fills, conversions, concat, expand ---------------------------------------------

template <typename T>
void check_scalar_maps() {
  for (const size_t offset : {size_t(0), size_t(1)}) {
    const std::vector<T> xv = random_vec<T>(1003, 7, -2.0, 2.0);
    const Tensor x = host_tensor<T>({1003}, xv);
    DeviceArray<T> dx(xv, offset), dy(xv.size(), offset);
    for (const auto& st : std::vector<std::pair<double, double>>{{2.5, -1.0}, {-1.0, 0.0}, {0.1, 0.7}}) {
      const double s = st.first, t = st.second;
      kc::affine<T>(dx.get(), dy.get(), static_cast<int64_t>(xv.size()), s, t, kc::context_stream());
      const std::string mm = bits_mismatch(dy.download(), values<T>(affine(x, s, t)));
      CHECK_MESSAGE(mm.empty(), "affine " << s << " " << t << " " << tname<T>() << ": " << mm);
    }
    kc::affine<T>(dx.get(), dx.get(), static_cast<int64_t>(xv.size()), 3.0, 0.25, kc::context_stream());  // in place
    CHECK(bits_mismatch(dx.download(), values<T>(affine(x, 3.0, 0.25))).empty());
    dx.upload(xv);
    kc::rdiv<T>(1.7, dx.get(), dy.get(), static_cast<int64_t>(xv.size()), kc::context_stream());
    CHECK(bits_mismatch(dy.download(), values<T>(rdiv(1.7, x))).empty());

    Tensor f = Tensor::empty({1003}, dtype_of<T>());
    f.fill_(0.1);
    kc::fill<T>(dy.get(), 1003, 0.1, kc::context_stream());
    CHECK(bits_mismatch(dy.download(), values<T>(f)).empty());
    DeviceArray<T> one(std::vector<T>{static_cast<T>(-3.25)});
    kc::fill_from_device<T>(dy.get(), 1003, one.get(), kc::context_stream());
    CHECK(bits_mismatch(dy.download(), std::vector<T>(1003, static_cast<T>(-3.25))).empty());
  }
}

void check_conversions() {
  std::vector<double> dv = random_vec<double>(777, 11, -1e3, 1e3);
  dv[0] = 1e-40;  // f32 subnormal
  dv[1] = 1e300;  // overflows to inf
  dv[2] = -0.0;
  const Tensor d = host_tensor<double>({777}, dv);
  DeviceArray<double> dd(dv);
  DeviceArray<float> df(dv.size());
  kc::convert<double, float>(dd.get(), df.get(), 777, kc::context_stream());
  CHECK(bits_mismatch(df.download(), values<float>(d.to(DType::f32))).empty());
  const std::vector<float> fv = random_vec<float>(777, 12);
  DeviceArray<float> sf(fv);
  kc::convert<float, double>(sf.get(), dd.get(), 777, kc::context_stream());
  CHECK(bits_mismatch(dd.download(), values<double>(host_tensor<float>({777}, fv).to(DType::f64))).empty());
}

template <typename T>
void check_concat(const std::vector<Shape>& parts, int dim) {
  std::vector<Tensor> xs;
  uint64_t seed = 300;
  for (const Shape& s : parts) xs.push_back(host_tensor<T>(s, random_vec<T>(static_cast<size_t>(s.numel()), ++seed)));
  const Tensor want = concat(xs, dim);
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < dim; ++i) outer *= want.size(i);
  for (int i = dim + 1; i < want.ndim(); ++i) inner *= want.size(i);
  const int64_t es = sizeof(T), out_row = want.size(dim) * inner;
  DeviceArray<T> dout(static_cast<size_t>(want.numel()));
  std::vector<std::unique_ptr<DeviceArray<T>>> dparts;
  int64_t col = 0;
  for (const Tensor& t : xs) {
    dparts.push_back(std::make_unique<DeviceArray<T>>(values<T>(t)));
    const int64_t row = t.size(dim) * inner;
    kc::copy_rows(dout.get() + col, out_row * es, dparts.back()->get(), row * es, outer, row * es, kc::context_stream());
    col += row;
  }
  INFO("concat along " << dim << " " << tname<T>() << " into " << want.shape().str());
  CHECK(bits_mismatch(dout.download(), values<T>(want)).empty());
  // Backward: each part's slice copied back out equals the part.
  col = 0;
  for (size_t k = 0; k < xs.size(); ++k) {
    const int64_t row = xs[k].size(dim) * inner;
    DeviceArray<T> back(static_cast<size_t>(xs[k].numel()));
    kc::copy_rows(back.get(), row * es, dout.get() + col, out_row * es, outer, row * es, kc::context_stream());
    CHECK(bits_mismatch(back.download(), values<T>(xs[k])).empty());
    col += row;
  }
}

template <typename T>
void check_expand_dim(const Shape& xs, int dim) {
  const std::vector<T> xv = random_vec<T>(static_cast<size_t>(xs.numel()), 21);
  Tensor x = leaf<T>(xs, xv);
  Tensor s = sum(x, dim);
  const std::vector<T> w = random_vec<T>(static_cast<size_t>(s.numel()), 22);
  autograd::backward(sum(mul(s, host_tensor<T>(s.shape(), w))));
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < dim; ++i) outer *= xs[i];
  for (int i = dim + 1; i < xs.ndim(); ++i) inner *= xs[i];
  DeviceArray<T> dg(w), dgx(static_cast<size_t>(xs.numel()));
  kc::expand_dim<T>(dg.get(), dgx.get(), outer, xs[dim], inner, kc::context_stream());
  INFO("expand " << xs.str() << " along " << dim);
  CHECK(bits_mismatch(dgx.download(), values<T>(x.grad())).empty());
}

// --- pointwise -------------------------------------------------------------------------------------

struct UnaryCase {
  aafgan::kernels::UnaryOp op;
  double lo, hi;         // input range
  double a, b;           // the op's scalars
  bool exact_fwd, exact_bwd;  // only correctly rounded operations: the CPU's bits
};

const UnaryCase kUnaryCases[] = {
    {aafgan::kernels::UnaryOp::sqrt, 0.01, 4.0, 0, 0, true, true},     {aafgan::kernels::UnaryOp::exp, -5.0, 5.0, 0, 0, false, true},
    {aafgan::kernels::UnaryOp::log, 0.01, 4.0, 0, 0, false, true},     {aafgan::kernels::UnaryOp::log1p, -0.9, 4.0, 0, 0, false, true},
    {aafgan::kernels::UnaryOp::softplus, -30.0, 30.0, 0, 0, false, false}, {aafgan::kernels::UnaryOp::abs, -2.0, 2.0, 0, 0, true, true},
    {aafgan::kernels::UnaryOp::square, -2.0, 2.0, 0, 0, true, true},   {aafgan::kernels::UnaryOp::clamp, -2.0, 2.0, -0.5, 0.75, true, true},
    {aafgan::kernels::UnaryOp::relu, -2.0, 2.0, 0, 0, true, true},     {aafgan::kernels::UnaryOp::leaky_relu, -2.0, 2.0, 0.2, 0, true, true},
    {aafgan::kernels::UnaryOp::sigmoid, -30.0, 30.0, 0, 0, false, true}, {aafgan::kernels::UnaryOp::tanh, -5.0, 5.0, 0, 0, false, false},
};

template <typename T>
Tensor cpu_unary(const UnaryCase& c, const Tensor& x) {
  switch (c.op) {
    case aafgan::kernels::UnaryOp::sqrt: return aafgan::sqrt(x);
    case aafgan::kernels::UnaryOp::exp: return aafgan::exp(x);
    case aafgan::kernels::UnaryOp::log: return aafgan::log(x);
    case aafgan::kernels::UnaryOp::log1p: return aafgan::log1p(x);
    case aafgan::kernels::UnaryOp::softplus: return aafgan::softplus(x);
    case aafgan::kernels::UnaryOp::abs: return aafgan::abs(x);
    case aafgan::kernels::UnaryOp::square: return aafgan::square(x);
    case aafgan::kernels::UnaryOp::clamp: return aafgan::clamp(x, c.a, c.b);
    case aafgan::kernels::UnaryOp::relu: return relu(x);
    case aafgan::kernels::UnaryOp::leaky_relu: return leaky_relu(x, c.a);
    case aafgan::kernels::UnaryOp::sigmoid: return sigmoid(x);
    case aafgan::kernels::UnaryOp::tanh: return aafgan::tanh(x);
  }
  return Tensor();
}

template <typename T>
void check_unary_all() {
  const int64_t n = 2051;
  uint64_t seed = 500;
  for (const UnaryCase& c : kUnaryCases) {
    for (const size_t offset : {size_t(0), size_t(1)}) {
      std::vector<T> xv = random_vec<T>(static_cast<size_t>(n), ++seed, c.lo, c.hi);
      if (c.op == aafgan::kernels::UnaryOp::clamp) {  // the bounds themselves: the gradient passes there
        xv[0] = static_cast<T>(c.a);
        xv[1] = static_cast<T>(c.b);
      }
      const std::vector<T> w = random_vec<T>(static_cast<size_t>(n), ++seed);
      const Tensor y_cpu = cpu_unary<T>(c, host_tensor<T>({n}, xv));
      const std::vector<T> gx_cpu = cpu_grad<T>({n}, xv, w, [&](const Tensor& x) { return cpu_unary<T>(c, x); });
      DeviceArray<T> dx(xv, offset), dy(static_cast<size_t>(n), offset), dw(w, offset), dgx(static_cast<size_t>(n), offset);
      kc::unary_forward<T>(c.op, dx.get(), dy.get(), n, c.a, c.b, kc::context_stream());
      kc::unary_backward<T>(c.op, aafgan::kernels::unary_backward_uses_output(c.op) ? dy.get() : dx.get(), dw.get(), dgx.get(),
                                 n, c.a, c.b, kc::context_stream());
      const std::vector<T> y = dy.download(), gx = dgx.download(), yc = values<T>(y_cpu);
      const std::string what = std::string(aafgan::kernels::unary_op_name(c.op)) + " " + tname<T>() + " offset " +
                               std::to_string(offset);
      const std::string fwd = c.exact_fwd ? bits_mismatch(y, yc) : close_mismatch(y, yc, kRel<T>, [&](size_t i) {
        return std::fabs(static_cast<double>(yc[i])) + 1.0;
      });
      // A backward from y inherits the forward's last-bit difference: compare it from the CPU's y
      // when the forward is not exact.
      std::vector<T> gx_from_cpu_y;
      if (aafgan::kernels::unary_backward_uses_output(c.op) && !c.exact_fwd) {
        dy.upload(yc);
        kc::unary_backward<T>(c.op, dy.get(), dw.get(), dgx.get(), n, c.a, c.b, kc::context_stream());
        gx_from_cpu_y = dgx.download();
      }
      const std::vector<T>& gxc = gx_from_cpu_y.empty() ? gx : gx_from_cpu_y;
      const auto gx_scale = [&](size_t i) {
        return std::fabs(static_cast<double>(gx_cpu[i])) + std::fabs(static_cast<double>(w[i]));
      };
      const std::string bwd = c.exact_bwd ? bits_mismatch(gxc, gx_cpu) : close_mismatch(gxc, gx_cpu, kRel<T>, gx_scale);
      CHECK_MESSAGE(fwd.empty(), what << " forward: " << fwd);
      CHECK_MESSAGE(bwd.empty(), what << " backward: " << bwd);
      if (!gx_from_cpu_y.empty()) {  // and from its own y, within tolerance
        const std::string own = close_mismatch(gx, gx_cpu, kRel<T>, gx_scale);
        CHECK_MESSAGE(own.empty(), what << " backward from the gpu's y: " << own);
      }
    }
  }
}

// --- reductions ------------------------------------------------------------------------------------

// Whether a sum over [outer, size, inner] runs in the CPU's order (reduce.h): then its bits.
bool sequential_plan(int64_t outer, int64_t size, int64_t inner) {
  return size <= 64 || (inner > 1 && outer * inner >= (int64_t(1) << 14));
}

template <typename T>
std::vector<double> abs_sums(const std::vector<T>& x, int64_t outer, int64_t size, int64_t inner) {
  std::vector<double> s(static_cast<size_t>(outer * inner));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k = 0; k < size; ++k)
      for (int64_t i = 0; i < inner; ++i)
        s[static_cast<size_t>(o * inner + i)] +=
            std::fabs(static_cast<double>(x[static_cast<size_t>((o * size + k) * inner + i)]));
  return s;
}

template <typename T>
void check_sum_all() {
  for (const int64_t n : {int64_t(0), int64_t(1), int64_t(5), int64_t(64), int64_t(65), int64_t(4097),
                          int64_t(100003), int64_t(3000001)}) {
    const std::vector<T> xv = random_vec<T>(static_cast<size_t>(n), 40 + static_cast<uint64_t>(n), -1.0, 2.0);
    const std::vector<T> want = values<T>(sum(host_tensor<T>({n}, xv)));
    for (const size_t offset : {size_t(0), size_t(1)}) {
      DeviceArray<T> dx(xv, offset), dout(1);
      Workspace ws(kc::sum_all_workspace_bytes(n));
      kc::sum_all<T>(dx.get(), dout.get(), n, ws.get(), ws.bytes, kc::context_stream());
      const std::vector<T> got = dout.download();
      const double scale = abs_sums(xv, 1, n, 1)[0] + 1e-300;
      INFO("sum of " << n << " " << tname<T>() << " offset " << offset);
      if (sequential_plan(1, n, 1)) CHECK(bits_mismatch(got, want).empty());
      CHECK(close_mismatch(got, want, kRel<T>, [&](size_t) { return scale; }).empty());
    }
  }
}

struct DimCase {
  int64_t outer, size, inner;
};

const DimCase kDimCases[] = {
    {3, 4, 5},        // seq
    {64, 784, 1},     // rows, one chunk each
    {2, 100000, 1},   // rows, chunked
    {1000, 10, 1},    // seq, inner 1
    {1, 5000, 7},     // cols, chunked
    {4, 300, 100},    // cols, chunked
    {2, 200, 10000},  // seq by many outputs
    {5, 0, 3},        // empty sums: zeros
};

template <typename T>
void check_sum_dim() {
  for (const DimCase& c : kDimCases) {
    const std::vector<T> xv = random_vec<T>(static_cast<size_t>(c.outer * c.size * c.inner), 60 + c.size, -1.0, 2.0);
    const std::vector<T> want = values<T>(sum(host_tensor<T>({c.outer, c.size, c.inner}, xv), 1));
    const std::vector<double> scale = abs_sums(xv, c.outer, c.size, c.inner);
    DeviceArray<T> dx(xv), dout(static_cast<size_t>(c.outer * c.inner));
    Workspace ws(kc::sum_dim_workspace_bytes(c.outer, c.size, c.inner));
    kc::sum_dim<T>(dx.get(), dout.get(), c.outer, c.size, c.inner, ws.get(), ws.bytes, kc::context_stream());
    const std::vector<T> got = dout.download();
    INFO("sum over dim 1 of [" << c.outer << "," << c.size << "," << c.inner << "] " << tname<T>());
    if (sequential_plan(c.outer, c.size, c.inner)) CHECK(bits_mismatch(got, want).empty());
    CHECK(close_mismatch(got, want, kRel<T>, [&](size_t i) { return scale[i] + 1e-300; }).empty());
  }
}

// Whether sum_to runs a target's terms one after the other in T as the CPU does (reduce.h): a
// general target with at most 64 terms, or at least 16384 targets; a suffix target with at
// most 64 rows.
bool sum_to_in_cpu_order(const Shape& gs, const Shape& ts) {
  bool suffix = ts.ndim() <= gs.ndim();
  for (int i = 1; suffix && i <= ts.ndim(); ++i) suffix = ts[ts.ndim() - i] == gs[gs.ndim() - i];
  const int64_t terms = gs.numel() / std::max<int64_t>(ts.numel(), 1);
  if (suffix) return terms <= 64;
  return terms <= 64 || ts.numel() >= (int64_t(1) << 14);
}

template <typename T>
void check_sum_to() {
  // Suffix (per-feature) targets, general ones, a 0-d target, equal shapes; then the long general
  // sums that run in parallel: convolution bias gradients [N, C, H, W] to [C, 1, 1] and
  // [1, C, 1, 1], chunked and not, with power-of-two and odd extents.
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{64, 784}, {784}},   {{3, 4, 5}, {4, 5}},      {{20000, 3}, {3}},        {{8, 3, 5, 5}, {3, 1, 1}},
      {{2, 3, 4}, {3, 1}},  {{6, 7}, {6, 1}},         {{2, 5, 3}, {1, 5, 1}},   {{4, 1, 3}, {1, 1, 3}},
      {{9, 4}, {}},         {{2, 3, 4, 5, 6}, {3, 1, 5, 1}}, {{5, 7}, {5, 7}},
      {{128, 64, 32, 32}, {64, 1, 1}}, {{128, 64, 32, 32}, {1, 64, 1, 1}}, {{37, 50, 7, 9}, {50, 1, 1}},
      {{3, 1000, 5}, {1, 1000, 1}},    {{5, 300, 70}, {300, 1}},          {{7, 3, 129, 131}, {1, 3, 1, 1}},
      {{1000, 3}, {1000, 1}},          {{2, 17, 3, 40000}, {17, 1, 1}}};
  uint64_t seed = 80;
  for (const auto& sc : cases) {
    const Shape gs = sc.first, ts = sc.second;
    const std::vector<T> gv = random_vec<T>(static_cast<size_t>(gs.numel()), ++seed);
    const std::vector<T> want = values<T>(sum_to(host_tensor<T>(gs, gv), ts));
    const auto gd = gs.vec(), td = ts.vec();
    DeviceArray<T> dg(gv), dout(static_cast<size_t>(ts.numel()));
    Workspace ws(kc::sum_to_workspace_bytes(gs.ndim(), gd.data(), ts.ndim(), td.data()));
    kc::sum_to<T>(dg.get(), dout.get(), gs.ndim(), gd.data(), ts.ndim(), td.data(), ws.get(), ws.bytes, kc::context_stream());
    const std::vector<T> got = dout.download();
    INFO("sum_to " << gs.str() << " to " << ts.str() << " " << tname<T>());
    if (sum_to_in_cpu_order(gs, ts)) {
      CHECK(bits_mismatch(got, want).empty());
      continue;
    }
    // Otherwise the GPU adds in double in its own fixed order and rounds once, the CPU in its
    // order (in double for a suffix target, in T for a general one). With m terms per target,
    // A = Σ|g| and ref the sum in double (itself within m·2^-53·A of the exact sum), any order in
    // double is within m·2^-53·A of the exact sum, and rounding to T adds ε_T·|sum|; the CPU's
    // own error is measured against ref. So |gpu − cpu| ≤ |cpu − ref| + ε_T·|ref| + 2m·2^-53·A
    // holds for any correct summation order, while a lost or doubled term (≥ a typical |g| of
    // 0.5) is far outside it.
    std::vector<double> gdv(gv.begin(), gv.end()), gabs(gv.size());
    for (size_t i = 0; i < gv.size(); ++i) gabs[i] = std::fabs(static_cast<double>(gv[i]));
    const std::vector<double> ref = values<double>(sum_to(host_tensor<double>(gs, gdv), ts));
    const std::vector<double> mag = values<double>(sum_to(host_tensor<double>(gs, gabs), ts));
    const double m = static_cast<double>(gs.numel() / std::max<int64_t>(ts.numel(), 1));
    const double eps = std::numeric_limits<T>::epsilon() / 2;
    CHECK(close_mismatch(got, want, 1.0, [&](size_t i) {
            return std::fabs(static_cast<double>(want[i]) - ref[i]) + eps * std::fabs(ref[i]) +
                   2 * m * 0x1p-53 * mag[i] + 1e-300;
          }).empty());
  }
}

// --- random ----------------------------------------------------------------------------------------

template <typename T>
void check_random() {
  for (const int64_t n : {int64_t(1), int64_t(7), int64_t(1000), int64_t(100001)}) {
    Generator gen(0x1234 + static_cast<uint64_t>(n), 3);
    gen.advance(5);
    const uint64_t start = gen.offset();
    Tensor tn = Tensor::empty({n}, dtype_of<T>()), tu = Tensor::empty({n}, dtype_of<T>());
    gen.normal_(tn, 0.5, 2.0);
    const uint64_t start_u = gen.offset();
    gen.uniform_(tu, -1.5, 3.0);
    DeviceArray<T> dn(static_cast<size_t>(n)), du(static_cast<size_t>(n), 1);
    kc::normal_fill<T>(dn.get(), n, gen.seed(), start, nullptr, gen.stream(), 0.5, 2.0, kc::context_stream());
    kc::uniform_fill<T>(du.get(), n, gen.seed(), start_u, nullptr, gen.stream(), -1.5, 3.0, kc::context_stream());
    INFO(n << " draws " << tname<T>());
    CHECK(bits_mismatch(du.download(), values<T>(tu)).empty());
    // A graph replay's form of the same draw: part of the offset read from a device word.
    DeviceArray<uint64_t> base(std::vector<uint64_t>{start_u - 3});
    DeviceArray<T> du_base(static_cast<size_t>(n));
    kc::uniform_fill<T>(du_base.get(), n, gen.seed(), 3, base.get(), gen.stream(), -1.5, 3.0, kc::context_stream());
    CHECK(bits_mismatch(du_base.download(), values<T>(tu)).empty());
    const std::vector<T> got = dn.download(), want = values<T>(tn);
    if constexpr (std::is_same_v<T, float>) {
      // From a double that agrees to an ulp or two: the same f32 but with probability ~1e-8.
      CHECK(bits_mismatch(got, want).empty());
    } else {
      // mean + std·z rounds once more: judged against |result| + |std·z|.
      CHECK(close_mismatch(got, want, 1e-14, [&](size_t i) {
              return std::fabs(want[i]) + std::fabs(want[i] - 0.5) + 1e-300;
            }).empty());
    }
  }
}

template <typename T>
void check_dropout() {
  for (const int64_t n : {int64_t(1), int64_t(3), int64_t(63), int64_t(64), int64_t(65), int64_t(1000),
                          int64_t(40001)}) {
    for (const size_t offset : {size_t(0), size_t(1)}) {
      const double p = 0.3;
      Generator gen(4321, 9);
      gen.advance(17);
      const uint64_t start = gen.offset();
      const std::vector<T> xv = random_vec<T>(static_cast<size_t>(n), 90 + static_cast<uint64_t>(n));
      const std::vector<T> want_y = values<T>(dropout(host_tensor<T>({n}, xv), p, true, gen));
      CHECK(gen.offset() == start + kernels::dropout_counters(static_cast<uint64_t>(n)));
      const T keep_scale = static_cast<T>(1.0 / (1.0 - p));
      const uint32_t threshold = kernels::dropout_threshold(p);
      std::vector<T> want_mask(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i)
        want_mask[static_cast<size_t>(i)] =
            kernels::philox_dropout_keep(4321, start, static_cast<uint64_t>(i), 9, threshold) ? keep_scale : T(0);
      DeviceArray<T> dx(xv, offset), dy(static_cast<size_t>(n), offset), dm(static_cast<size_t>(n), offset);
      kc::dropout_forward<T>(n, dx.get(), dy.get(), dm.get(), keep_scale, 4321, start, nullptr, 9, threshold, kc::context_stream());
      INFO("dropout of " << n << " " << tname<T>() << " offset " << offset);
      CHECK(bits_mismatch(dm.download(), want_mask).empty());
      CHECK(bits_mismatch(dy.download(), want_y).empty());
      kc::dropout_forward<T>(n, nullptr, nullptr, dm.get(), keep_scale, 4321, start, nullptr, 9, threshold, kc::context_stream());  // mask only
      CHECK(bits_mismatch(dm.download(), want_mask).empty());
      DeviceArray<uint64_t> base(std::vector<uint64_t>{start});
      kc::dropout_forward<T>(n, nullptr, nullptr, dm.get(), keep_scale, 4321, 0, base.get(), 9, threshold,
                             kc::context_stream());  // the offset from a device word, as a graph replay
      CHECK(bits_mismatch(dm.download(), want_mask).empty());
    }
  }
}

// --- losses ----------------------------------------------------------------------------------------

template <typename T>
void check_bce(int64_t n) {
  std::vector<T> pv = random_vec<T>(static_cast<size_t>(n), 120 + static_cast<uint64_t>(n), 0.0, 1.0);
  const std::vector<T> tv = random_vec<T>(static_cast<size_t>(n), 121, 0.0, 1.0);
  pv[0] = T(0);  // log clamped at −100
  if (n > 1) pv[1] = T(1);
  Tensor p = leaf<T>({n}, pv), t = leaf<T>({n}, tv);
  Tensor loss = binary_cross_entropy(p, t);
  const std::vector<T> want = values<T>(loss);
  autograd::backward(affine(loss, 3.0, 0.0));  // upstream gradient 3
  const std::vector<T> gp_cpu = values<T>(p.grad()), gt_cpu = values<T>(t.grad());

  DeviceArray<T> dp(pv), dt(tv), dloss(1), dgl(std::vector<T>{T(3)}), dgp(pv.size()), dgt(pv.size());
  DeviceArray<uint32_t> flag(1);
  Workspace ws(kc::loss_workspace_bytes(n));
  kc::bce_forward<T>(dp.get(), dt.get(), dloss.get(), n, flag.get(), ws.get(), ws.bytes, kc::context_stream());
  kc::bce_backward<T>(dp.get(), dt.get(), dgl.get(), dgp.get(), dgt.get(), n, kc::context_stream());
  INFO("binary cross-entropy of " << n << " " << tname<T>());
  double scale = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double pi = pv[static_cast<size_t>(i)], ti = tv[static_cast<size_t>(i)];
    scale += std::fabs(ti * std::max(std::log(pi), -100.0)) + std::fabs((1 - ti) * std::max(std::log1p(-pi), -100.0));
  }
  scale /= static_cast<double>(n);
  CHECK(close_mismatch(dloss.download(), want, kRel<T>, [&](size_t) { return scale; }).empty());
  CHECK(flag.download()[0] == 0xFFFFFFFFu);
  CHECK(bits_mismatch(dgp.download(), gp_cpu).empty());  // only +, −, ·, /: the CPU's bits
  const std::vector<T> gt = dgt.download();
  // gt = s·(log(1 − p) − log p) cancels near p = 1/2: judged against s·(|log p| + |log(1 − p)|).
  CHECK(close_mismatch(gt, gt_cpu, kRel<T>, [&](size_t i) {
          const double pi = pv[i];
          return 3.0 / static_cast<double>(n) *
                     (std::fabs(std::max(std::log(pi), -100.0)) + std::fabs(std::max(std::log1p(-pi), -100.0))) +
                 1e-300;
        }).empty());

  // A NaN prediction gives a NaN loss; a prediction above 1 too, and is reported.
  pv[static_cast<size_t>(n / 2)] = std::numeric_limits<T>::quiet_NaN();
  dp.upload(pv);
  kc::bce_forward<T>(dp.get(), dt.get(), dloss.get(), n, flag.get(), ws.get(), ws.bytes, kc::context_stream());
  CHECK(std::isnan(dloss.download()[0]));
  CHECK(flag.download()[0] == 0xFFFFFFFFu);
  pv[static_cast<size_t>(n / 2)] = T(0.5);
  pv[static_cast<size_t>(n - 1)] = T(1.5);
  if (n > 3) pv[static_cast<size_t>(n - 2)] = T(-0.5);
  dp.upload(pv);
  kc::bce_forward<T>(dp.get(), dt.get(), dloss.get(), n, flag.get(), ws.get(), ws.bytes, kc::context_stream());
  CHECK(std::isnan(dloss.download()[0]));
  CHECK(flag.download()[0] == static_cast<uint32_t>(n > 3 ? n - 2 : n - 1));
  // The device's error record holds one of the two (the first to claim it), and taking it
  // clears it, so later cases in this process start clean.
  kc::DeviceError e;
  REQUIRE(kc::take_device_error(e, kc::context_stream()));
  CHECK(e.op == kc::DeviceErrorOp::bce_prediction);
  if (e.index == static_cast<uint64_t>(n - 1)) CHECK(e.value == 1.5);
  else CHECK((n > 3 && e.index == static_cast<uint64_t>(n - 2) && e.value == -0.5));
  kc::device_synchronize();
  CHECK_FALSE(kc::take_device_error(e, kc::context_stream()));
}

template <typename T>
void check_log_softmax(int64_t rows, int64_t cols) {
  std::vector<T> xv = random_vec<T>(static_cast<size_t>(rows * cols), 130 + static_cast<uint64_t>(cols), -4.0, 4.0);
  xv[1] = xv[0];  // a tie for the maximum is harmless but exercised
  const std::vector<T> w = random_vec<T>(xv.size(), 131);
  const Shape s{rows, cols};
  const std::vector<T> y_cpu = values<T>(log_softmax(host_tensor<T>(s, xv)));
  const std::vector<T> gx_cpu = cpu_grad<T>(s, xv, w, [](const Tensor& x) { return log_softmax(x); });
  DeviceArray<T> dx(xv), dy(xv.size()), dw(w), dgx(xv.size());
  kc::log_softmax_forward<T>(dx.get(), dy.get(), rows, cols, kc::context_stream());
  INFO("log_softmax [" << rows << "," << cols << "] " << tname<T>());
  const std::vector<T> y = dy.download();
  // y = x − lse: judged against the larger of |y| and |lse|.
  CHECK(close_mismatch(y, y_cpu, kRel<T>, [&](size_t i) {
          return std::fabs(static_cast<double>(y_cpu[i])) + std::fabs(static_cast<double>(xv[i] - y_cpu[i]));
        }).empty());
  dy.upload(y_cpu);  // the backward from the CPU's y
  kc::log_softmax_backward<T>(dy.get(), dw.get(), dgx.get(), rows, cols, kc::context_stream());
  std::vector<double> scale(xv.size());
  for (int64_t r = 0; r < rows; ++r) {
    double gs = 0;
    for (int64_t c = 0; c < cols; ++c) gs += std::fabs(static_cast<double>(w[static_cast<size_t>(r * cols + c)]));
    for (int64_t c = 0; c < cols; ++c) scale[static_cast<size_t>(r * cols + c)] = gs;
  }
  CHECK(close_mismatch(dgx.download(), gx_cpu, kRel<T>, [&](size_t i) { return scale[i]; }).empty());
}

template <typename T>
void check_nll(int64_t rows, int64_t cols) {
  const std::vector<T> lv = random_vec<T>(static_cast<size_t>(rows * cols), 140, -6.0, 0.0);
  std::vector<T> labels(static_cast<size_t>(rows));
  std::mt19937_64 rng(141);
  for (T& l : labels) l = static_cast<T>(rng() % static_cast<uint64_t>(cols));
  Tensor logp = leaf<T>({rows, cols}, lv);
  Tensor loss = nll_loss(logp, host_tensor<T>({rows}, labels));
  const std::vector<T> want = values<T>(loss);
  autograd::backward(affine(loss, 2.5, 0.0));
  const std::vector<T> gx_cpu = values<T>(logp.grad());

  DeviceArray<T> dl(lv), dlab(labels), dloss(1), dgl(std::vector<T>{T(2.5)}), dgx(lv.size());
  DeviceArray<uint32_t> flag(1);
  Workspace ws(kc::loss_workspace_bytes(rows));
  kc::nll_forward<T>(dl.get(), dlab.get(), dloss.get(), rows, cols, flag.get(), ws.get(), ws.bytes, kc::context_stream());
  kc::nll_backward<T>(dlab.get(), dgl.get(), dgx.get(), rows, cols, kc::context_stream());
  INFO("nll [" << rows << "," << cols << "] " << tname<T>());
  CHECK(close_mismatch(dloss.download(), want, kRel<T>, [&](size_t) { return 6.0; }).empty());
  CHECK(flag.download()[0] == 0xFFFFFFFFu);
  CHECK(bits_mismatch(dgx.download(), gx_cpu).empty());
  // Labels that are not class indices: a NaN loss and the first bad row.
  labels[static_cast<size_t>(rows / 2)] = static_cast<T>(cols);
  labels[static_cast<size_t>(rows - 1)] = T(0.5);
  dlab.upload(labels);
  kc::nll_forward<T>(dl.get(), dlab.get(), dloss.get(), rows, cols, flag.get(), ws.get(), ws.bytes, kc::context_stream());
  CHECK(std::isnan(dloss.download()[0]));
  CHECK(flag.download()[0] == static_cast<uint32_t>(rows / 2));
  kc::DeviceError e;
  REQUIRE(kc::take_device_error(e, kc::context_stream()));
  CHECK(e.op == kc::DeviceErrorOp::nll_label);
  CHECK(e.limit == cols);
  if (e.index == static_cast<uint64_t>(rows / 2)) CHECK(e.value == static_cast<double>(cols));
  else CHECK((e.index == static_cast<uint64_t>(rows - 1) && e.value == 0.5));
  kc::device_synchronize();
  CHECK_FALSE(kc::take_device_error(e, kc::context_stream()));
}

// --- pooling ---------------------------------------------------------------------------------------

template <typename T>
void check_pool(const Shape& xs, int k, int s) {
  // Small integers: many ties, so the first-maximum rule is exercised; and one NaN.
  std::vector<T> xv(static_cast<size_t>(xs.numel()));
  std::mt19937_64 rng(150 + static_cast<uint64_t>(k * 10 + s));
  for (T& v : xv) v = static_cast<T>(static_cast<int>(rng() % 5) - 2);
  xv[7] = std::numeric_limits<T>::quiet_NaN();
  Tensor x = leaf<T>(xs, xv);
  Tensor y = max_pool2d(x, k, s);
  const std::vector<T> w = random_vec<T>(static_cast<size_t>(y.numel()), 151);
  autograd::backward(sum(mul(y, host_tensor<T>(y.shape(), w))));
  const int64_t planes = xs[0] * xs[1];
  DeviceArray<T> dx(xv), dy(static_cast<size_t>(y.numel())), dw(w), dgx(xv.size());
  DeviceArray<int32_t> arg(static_cast<size_t>(y.numel()));
  kc::max_pool2d_forward<T>(dx.get(), dy.get(), arg.get(), planes, xs[2], xs[3], k, s, 0, kc::context_stream());
  kc::max_pool2d_backward<T>(dw.get(), arg.get(), dgx.get(), planes, xs[2], xs[3], k, s, 0, kc::context_stream());
  INFO("max_pool2d " << xs.str() << " kernel " << k << " stride " << s << " " << tname<T>());
  CHECK(bits_mismatch(dy.download(), values<T>(y)).empty());
  CHECK(bits_mismatch(dgx.download(), values<T>(x.grad())).empty());
}

// --- optimizers ------------------------------------------------------------------------------------

template <typename T>
kernels::AdamCoeffs<T> adam_coeffs(double lr, double b1, double b2, double eps, double wd, int64_t step) {
  // As engine/optim/adam.cpp forms them.
  const double t = static_cast<double>(step);
  const double bc1 = 1.0 - std::pow(b1, t), bc2 = 1.0 - std::pow(b2, t);
  return {T(b1), T(1.0 - b1), T(b2), T(1.0 - b2), T(wd), T(std::sqrt(bc2)), T(eps), T(-(lr / bc1))};
}

template <typename T>
void check_adam(double wd) {
  // 30 tensors (two launches of at most 24), odd sizes, one misaligned, one empty; a frozen
  // tensor skips steps, so the tensors' step counts differ.
  std::vector<int64_t> sizes = {1, 3, 5, 7, 1027, 4099, 4096, 8191, 9, 2, 0, 333};
  while (sizes.size() < 30) sizes.push_back(static_cast<int64_t>(17 * sizes.size() + 1));
  const size_t nt = sizes.size();
  std::vector<std::vector<T>> p(nt), m(nt), v(nt);
  std::vector<std::unique_ptr<DeviceArray<T>>> dp, dg, dm, dv;
  for (size_t i = 0; i < nt; ++i) {
    const size_t n = static_cast<size_t>(sizes[i]);
    p[i] = random_vec<T>(n, 200 + i);
    m[i].assign(n, T(0));
    v[i].assign(n, T(0));
    const size_t off = i == 4 ? 1 : 0;
    dp.push_back(std::make_unique<DeviceArray<T>>(p[i], off));
    dg.push_back(std::make_unique<DeviceArray<T>>(n, off));
    dm.push_back(std::make_unique<DeviceArray<T>>(m[i], off));
    dv.push_back(std::make_unique<DeviceArray<T>>(v[i], off));
  }
  std::vector<int64_t> step(nt, 0);
  for (int it = 0; it < 6; ++it) {
    std::vector<aafgan::kernels::AdamTensor<T>> desc;
    for (size_t i = 0; i < nt; ++i) {
      if (i == 5 && it % 2 == 1) continue;  // frozen this step
      const uint64_t gseed = 1000 * static_cast<uint64_t>(it) + i;
      const std::vector<T> g = random_vec<T>(static_cast<size_t>(sizes[i]), gseed, -2, 2);
      dg[i]->upload(g);
      const kernels::AdamCoeffs<T> c = adam_coeffs<T>(0.01, 0.5, 0.999, 1e-8, wd, ++step[i]);
      const kernels::AdamTensor<T> one{p[i].data(), g.data(), m[i].data(), v[i].data(), sizes[i], c};
      kernels::cpu::adam_step_multi<T>(&one, 1);
      desc.push_back({dp[i]->get(), dg[i]->get(), dm[i]->get(), dv[i]->get(), sizes[i], c});
    }
    kc::adam_step_multi<T>(desc.data(), static_cast<int64_t>(desc.size()), kc::context_stream());
    kc::device_synchronize();  // the gradients are re-uploaded next step
  }
  for (size_t i = 0; i < nt; ++i) {
    INFO("adam " << tname<T>() << " weight decay " << wd << ": tensor " << i << " of " << sizes[i]);
    const double lr_scale = 0.01 * 6;  // how far a parameter can move in 6 steps
    CHECK(close_mismatch(dp[i]->download(), p[i], kRel<T>, [&](size_t j) {
            return std::fabs(static_cast<double>(p[i][j])) + lr_scale;
          }).empty());
    // m = β1·m + (1 − β1)·g may cancel: judged against the size of its terms (|g| ≤ 2).
    CHECK(close_mismatch(dm[i]->download(), m[i], kRel<T>, [&](size_t j) {
            return std::fabs(static_cast<double>(m[i][j])) + 1.0;
          }).empty());
    CHECK(close_mismatch(dv[i]->download(), v[i], kRel<T>, [&](size_t j) {
            return std::fabs(static_cast<double>(v[i][j])) + 1e-12;
          }).empty());
  }
}

template <typename T>
void check_sgd_adadelta() {
  const int64_t n = 1003;
  for (const size_t off : {size_t(0), size_t(1)}) {
    for (const bool nesterov : {false, true}) {
      std::vector<T> p = random_vec<T>(n, 300), buf(static_cast<size_t>(n), T(0)), plain = p;
      DeviceArray<T> dp(p, off), dbuf(static_cast<size_t>(n), off), dg(static_cast<size_t>(n), off), dplain(p, off);
      for (int it = 0; it < 4; ++it) {
        const std::vector<T> g = random_vec<T>(n, 301 + static_cast<uint64_t>(it), -2, 2);
        dg.upload(g);
        const kernels::SgdCoeffs<T> c{T(-0.05), T(0.9), T(nesterov ? 1.0 : 0.9), T(1e-3), nesterov, it == 0};
        kernels::cpu::sgd_step<T>(n, p.data(), g.data(), buf.data(), c);
        kc::sgd_step<T>(n, dp.get(), dg.get(), dbuf.get(), c, kc::context_stream());
        const kernels::SgdCoeffs<T> c0{T(-0.05), T(0), T(1), T(0), false, false};
        kernels::cpu::sgd_step<T>(n, plain.data(), g.data(), static_cast<T*>(nullptr), c0);
        kc::sgd_step<T>(n, dplain.get(), dg.get(), static_cast<T*>(nullptr), c0, kc::context_stream());
        kc::device_synchronize();
      }
      INFO("sgd " << tname<T>() << " nesterov " << nesterov << " offset " << off);
      CHECK(close_mismatch(dp.download(), p, kRel<T>, [&](size_t j) {
              return std::fabs(static_cast<double>(p[j])) + 0.2;
            }).empty());
      CHECK(close_mismatch(dbuf.download(), buf, kRel<T>, [&](size_t j) {
              return std::fabs(static_cast<double>(buf[j])) + 1.0;
            }).empty());
      CHECK(close_mismatch(dplain.download(), plain, kRel<T>, [&](size_t j) {
              return std::fabs(static_cast<double>(plain[j])) + 0.2;
            }).empty());
    }
    std::vector<T> p = random_vec<T>(n, 310), sq(static_cast<size_t>(n), T(0)), acc(static_cast<size_t>(n), T(0));
    DeviceArray<T> dp(p, off), dsq(sq, off), dacc(acc, off), dg(static_cast<size_t>(n), off);
    for (int it = 0; it < 4; ++it) {
      const std::vector<T> g = random_vec<T>(n, 311 + static_cast<uint64_t>(it), -2, 2);
      dg.upload(g);
      const kernels::AdadeltaCoeffs<T> c{T(0.9), T(1.0 - 0.9), T(1e-6), T(1e-4), T(-1.0)};
      kernels::cpu::adadelta_step<T>(n, p.data(), g.data(), sq.data(), acc.data(), c);
      kc::adadelta_step<T>(n, dp.get(), dg.get(), dsq.get(), dacc.get(), c, kc::context_stream());
      kc::device_synchronize();
    }
    INFO("adadelta " << tname<T>() << " offset " << off);
    CHECK(close_mismatch(dp.download(), p, kRel<T>, [&](size_t j) {
            return std::fabs(static_cast<double>(p[j])) + 0.1;
          }).empty());
    CHECK(close_mismatch(dsq.download(), sq, kRel<T>).empty());
    CHECK(close_mismatch(dacc.download(), acc, kRel<T>, [&](size_t j) {
            return std::fabs(static_cast<double>(acc[j])) + 1e-9;
          }).empty());
  }
}

}  // namespace

TEST_CASE("cuda ops: binary add sub mul div with broadcasting give the cpu bits") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  check_binary_all<float>();
  check_binary_all<double>();
}

TEST_CASE("cuda ops: affine rdiv fills and dtype conversions give the cpu bits") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  check_scalar_maps<float>();
  check_scalar_maps<double>();
  check_conversions();
}

TEST_CASE("cuda ops: concat row copies and the sum backward expansion give the cpu bits") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  check_concat<float>({{3, 5}, {3, 2}, {3, 1}}, 1);  // 4-byte rows: narrow units
  check_concat<double>({{3, 5}, {3, 2}, {3, 1}}, 1);
  check_concat<float>({{1, 2, 3, 3}, {2, 2, 3, 3}}, 0);
  check_concat<float>({{4, 8, 6}, {4, 4, 6}}, 1);  // 16-byte units
  check_concat<double>({{64, 100}, {64, 10}}, 1);
  check_expand_dim<float>({3, 4, 5}, 1);
  check_expand_dim<double>({3, 4, 5}, 0);
  check_expand_dim<double>({3, 4, 5}, 2);
}

TEST_CASE("cuda ops: pointwise maps forward and backward agree with the cpu in f32") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  check_unary_all<float>();
}

TEST_CASE("cuda ops: pointwise maps forward and backward agree with the cpu in f64") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  check_unary_all<double>();
}

TEST_CASE("cuda ops: sums of all elements and along a dimension agree with the cpu") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  check_sum_all<float>();
  check_sum_all<double>();
  check_sum_dim<float>();
  check_sum_dim<double>();
}

TEST_CASE("cuda ops: sum_to reduces broadcast gradients as the cpu") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  check_sum_to<float>();
  check_sum_to<double>();
}

TEST_CASE("cuda ops: reductions give identical bits on two runs and for misaligned inputs") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  const int64_t n = 3000001;
  const std::vector<float> xv = random_vec<float>(static_cast<size_t>(n), 170);
  Workspace ws(kc::sum_all_workspace_bytes(n));
  REQUIRE(ws.bytes > 0);  // this size is chunked
  std::vector<std::vector<float>> results;
  for (const size_t off : {size_t(0), size_t(0), size_t(1)}) {
    DeviceArray<float> dx(xv, off), dout(1);
    kc::sum_all<float>(dx.get(), dout.get(), n, ws.get(), ws.bytes, kc::context_stream());
    results.push_back(dout.download());
  }
  CHECK(bits_mismatch(results[1], results[0]).empty());
  CHECK(bits_mismatch(results[2], results[0]).empty());
  for (const DimCase& c : kDimCases) {
    const std::vector<double> dv = random_vec<double>(static_cast<size_t>(c.outer * c.size * c.inner), 171);
    Workspace wd(kc::sum_dim_workspace_bytes(c.outer, c.size, c.inner));
    std::vector<std::vector<double>> r;
    for (const size_t off : {size_t(0), size_t(0), size_t(1)}) {
      DeviceArray<double> dx(dv, off), dout(static_cast<size_t>(c.outer * c.inner));
      kc::sum_dim<double>(dx.get(), dout.get(), c.outer, c.size, c.inner, wd.get(), wd.bytes, kc::context_stream());
      r.push_back(dout.download());
    }
    INFO("sum over dim 1 of [" << c.outer << "," << c.size << "," << c.inner << "]");
    CHECK(bits_mismatch(r[1], r[0]).empty());
    CHECK(bits_mismatch(r[2], r[0]).empty());
  }
  // sum_to's parallel general case (chunked): two runs, identical bits.
  {
    const std::vector<int64_t> gd{128, 64, 32, 32}, td{64, 1, 1};
    const std::vector<float> gv = random_vec<float>(128 * 64 * 32 * 32, 174);
    Workspace wt(kc::sum_to_workspace_bytes(4, gd.data(), 3, td.data()));
    REQUIRE(wt.bytes > 0);  // chunked
    std::vector<std::vector<float>> r;
    for (int run = 0; run < 2; ++run) {
      DeviceArray<float> dg(gv), dout(64);
      kc::sum_to<float>(dg.get(), dout.get(), 4, gd.data(), 3, td.data(), wt.get(), wt.bytes, kc::context_stream());
      r.push_back(dout.download());
    }
    CHECK(bits_mismatch(r[1], r[0]).empty());
  }
  // Loss means: two runs, identical bits.
  const int64_t m = 100000;
  const std::vector<double> pv = random_vec<double>(static_cast<size_t>(m), 172, 0.0, 1.0);
  const std::vector<double> tv = random_vec<double>(static_cast<size_t>(m), 173, 0.0, 1.0);
  DeviceArray<double> dp(pv), dt(tv), l1(1), l2(1);
  Workspace wl(kc::loss_workspace_bytes(m));
  kc::bce_forward<double>(dp.get(), dt.get(), l1.get(), m, nullptr, wl.get(), wl.bytes, kc::context_stream());
  kc::bce_forward<double>(dp.get(), dt.get(), l2.get(), m, nullptr, wl.get(), wl.bytes, kc::context_stream());
  CHECK(bits_mismatch(l1.download(), l2.download()).empty());
}

TEST_CASE("cuda ops: normal and uniform fills reproduce the cpu generator") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  check_random<float>();
  check_random<double>();
}

TEST_CASE("cuda ops: the dropout mask and output reproduce the cpu bit for bit") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  check_dropout<float>();
  check_dropout<double>();
}

TEST_CASE("cuda ops: binary cross-entropy log_softmax and nll agree with the cpu") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  for (const int64_t n : {int64_t(1), int64_t(64), int64_t(5000), int64_t(100003)}) {
    check_bce<float>(n);
    check_bce<double>(n);
  }
  for (const auto& rc : std::vector<std::pair<int64_t, int64_t>>{{64, 10}, {5, 1}, {33, 300}, {3, 5000}}) {
    check_log_softmax<float>(rc.first, rc.second);
    check_log_softmax<double>(rc.first, rc.second);
  }
  for (const auto& rc : std::vector<std::pair<int64_t, int64_t>>{{64, 10}, {10000, 3}}) {
    check_nll<float>(rc.first, rc.second);
    check_nll<double>(rc.first, rc.second);
  }
}

TEST_CASE("cuda ops: max_pool2d forward and backward give the cpu bits") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  check_pool<float>({2, 3, 8, 8}, 2, 0);   // stride = kernel
  check_pool<double>({2, 3, 8, 8}, 2, 2);
  check_pool<float>({2, 2, 9, 7}, 3, 1);   // overlapping windows
  check_pool<double>({1, 3, 10, 11}, 3, 2);
  check_pool<float>({2, 2, 11, 11}, 2, 3);  // gaps between windows
  check_pool<double>({3, 1, 5, 5}, 5, 1);   // one window
}

TEST_CASE("cuda ops: multi-tensor adam over many odd-sized tensors follows the cpu loop") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  check_adam<float>(0.0);
  check_adam<float>(0.01);
  check_adam<double>(0.0);
  check_adam<double>(0.01);
}

TEST_CASE("cuda ops: sgd and adadelta steps follow the cpu loops") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  check_sgd_adadelta<float>();
  check_sgd_adadelta<double>();
}

TEST_CASE("cuda ops: bad arguments are reported by name before any work") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  DeviceArray<float> a(16), b(16);
  const int64_t bad_dims[] = {3, 4};
  const int64_t t_dims[] = {5};
  CHECK_THROWS_WITH_AS(kc::sum_to<float>(a.get(), b.get(), 2, bad_dims, 1, t_dims, nullptr, 0, kc::context_stream()),
                       doctest::Contains("sum_to"), std::runtime_error);
  CHECK_THROWS_WITH_AS(kc::max_pool2d_forward<float>(a.get(), b.get(), nullptr, 1, 2, 2, 3, 1, 0, kc::context_stream()),
                       doctest::Contains("larger than the input"), std::runtime_error);
  CHECK_THROWS_WITH_AS(kc::sum_all<float>(a.get(), b.get(), int64_t(1) << 32, nullptr, 0, kc::context_stream()),
                       doctest::Contains("2^31"), std::runtime_error);
  const int64_t n = 100000;
  REQUIRE(kc::sum_dim_workspace_bytes(1, n, 3) > 0);
  CHECK_THROWS_WITH_AS(kc::sum_dim<float>(a.get(), b.get(), 1, n, 3, nullptr, 0, kc::context_stream()),
                       doctest::Contains("workspace"), std::runtime_error);
  CHECK_THROWS_WITH_AS(kc::bce_forward<float>(a.get(), a.get(), b.get(), 0, nullptr, nullptr, 0, kc::context_stream()),
                       doctest::Contains("empty batch"), std::runtime_error);
}

TEST_CASE("cuda ops: without a gpu the kernels fail with a readable error instead of crashing") {
  // Runs everywhere. Without a usable GPU (no toolkit, no driver, no device) the device query
  // says why, and calling a kernel throws std::runtime_error — "this build has no CUDA backend"
  // without the toolkit, else the failed launch named with the CUDA runtime's message. The
  // pointers are never dereferenced on the host.
  const kc::DeviceCount dc = kc::device_count();
  if (dc.count > 0) {
    // With a GPU the same calls are valid; only the argument checks can be exercised here.
    CHECK(dc.reason.empty());
    CHECK_THROWS_AS(kc::fill<float>(nullptr, -1, 0.0, kc::context_stream()), std::runtime_error);
    return;
  }
  CHECK(!dc.reason.empty());
  float* fake = reinterpret_cast<float*>(uintptr_t(256));
  const auto expect_error = [](const char* what, const std::function<void()>& fn) {
    try {
      fn();
      FAIL(what << " did not throw without a GPU");
    } catch (const std::runtime_error& e) {
      const std::string msg = e.what();
      const std::string ctx = std::string(what) + ": " + msg;
      INFO(ctx);
      CHECK(!msg.empty());
      CHECK((msg.find("no CUDA backend") != std::string::npos || msg.find("failed") != std::string::npos));
    }
  };
  expect_error("fill", [&] { kc::fill<float>(fake, 4, 1.0, kc::context_stream()); });
  expect_error("unary_forward", [&] { kc::unary_forward<float>(aafgan::kernels::UnaryOp::relu, fake, fake, 4, 0.0, 0.0, kc::context_stream()); });
  expect_error("sum_all", [&] { kc::sum_all<float>(fake, fake, 4, nullptr, 0, kc::context_stream()); });
  expect_error("normal_fill", [&] { kc::normal_fill<float>(fake, 4, 1, 0, nullptr, 0, 0.0, 1.0, kc::context_stream()); });
  expect_error("adam_step_multi", [&] {
    aafgan::kernels::AdamTensor<float> t{fake, fake, fake, fake, 4, {}};
    kc::adam_step_multi<float>(&t, 1, kc::context_stream());
  });
  expect_error("device_alloc", [] { kc::device_alloc(16); });
}

// --- debug mode and device handling ------------------------------------------------------------

// Under AAFGAN_CUDA_SYNC every op waits for the device after its work; the results must not
// change. tests/CMakeLists.txt also runs this case with AAFGAN_CUDA_SYNC=1 in the environment,
// where the mode must be on from the start.
TEST_CASE("cuda ops: the AAFGAN_CUDA_SYNC mode is on when asked and ops still give the cpu values") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  if (kc::parse_sync_setting(std::getenv("AAFGAN_CUDA_SYNC"))) CHECK(kc::sync_each_op());
  const bool before = kc::sync_each_op();
  kc::set_sync_each_op(true);
  CHECK(kc::sync_each_op());
  check_sum_to<float>();
  check_binary_all<double>();
  check_bce<float>(5000);
  kc::set_sync_each_op(before);
  CHECK(kc::sync_each_op() == before);
}

// Ops on cuda:1 switch to it for their own duration only: the thread's current device afterwards
// is the one it had, so later work meant for that device does not run on cuda:1's handles.
TEST_CASE("cuda backend: ops on another GPU restore the thread's current device") {
  AAFGAN_REQUIRE_GPUS_OR_SKIP(2);
  for (const auto& [current, other] : {std::pair<int, int>{0, 1}, std::pair<int, int>{1, 0}}) {
    backend::make_current(Device::cuda(current));
    REQUIRE(kc::current_device() == current);
    const Tensor a = host_tensor<float>({3, 5}, random_vec<float>(15, 190)).to(Device::cuda(other));
    const Tensor b = add(mul(a, a), a);
    const Tensor s = sum(b);
    CHECK(kc::current_device() == current);
    const Tensor want = sum(add(mul(a.to(Device::cpu()), a.to(Device::cpu())), a.to(Device::cpu())));
    CHECK(s.item() == doctest::Approx(want.item()).epsilon(1e-6));
    CHECK(kc::current_device() == current);
    backend::synchronize(Device::cuda(other));
    CHECK(kc::current_device() == current);
  }
  backend::make_current(Device::cuda(0));
}
