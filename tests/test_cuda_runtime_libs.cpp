// The CUDA runtime libraries of kernels/cuda: the caching allocator on a real device (reuse,
// splitting, trimming, record_stream, the steady state of a training step making no cudaMalloc,
// out-of-memory messages; its bookkeeping is tested on the CPU in test_block_pool.cpp), pinned
// copies, cuBLAS GEMM
// against kernels/cpu/gemm for every transpose combination, cuDNN convolutions and transposed
// convolutions against the engine's CPU ops (values and all gradients), deterministic mode,
// and cuDNN batch norm against engine/ops/batchnorm.cpp (training with running statistics,
// eval, both backwards). Only the allocator cases use the CUDA runtime header, for streams of
// their own and a host callback that holds a stream back. Without a GPU every case skips
// except the first, which checks that the calls then fail with a readable message.
#include <cuda_runtime.h>
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "engine/autograd.h"
#include "engine/ops.h"
#include "engine/tensor.h"
#include "kernels/cpu/batchnorm.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cuda/gemm.h"
#include "kernels/cuda/batchnorm.h"
#include "kernels/cuda/conv.h"
#include "kernels/cuda/device_allocator.h"
#include "kernels/cuda/device_context.h"
#include "kernels/cuda/graph.h"
#include "kernels/cuda/pinned_memory.h"
#include "kernels/memory/size_classes.h"
#include "tests/device_array.h"
#include "tests/gpu.h"

namespace {

namespace kc = aafgan::kernels::cuda;
using aafgan::testing::DeviceArray;
using aafgan::Conv2dParams;
using aafgan::DType;
using aafgan::Shape;
using aafgan::Tensor;
using aafgan::kernels::WriteMode;

// --- helpers --------------------------------------------------------------------------------


// Uniform values in [lo, hi), rounded to T so that both sides see the same numbers.
template <typename T>
std::vector<double> random_values(int64_t n, uint64_t seed, double lo = -1.0, double hi = 1.0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(static_cast<size_t>(n));
  for (double& x : v) x = static_cast<double>(static_cast<T>(dist(rng)));
  return v;
}

template <typename T>
std::vector<T> cast(const std::vector<double>& v) {
  return std::vector<T>(v.begin(), v.end());
}

std::vector<double> plus(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> r(a.size());
  for (size_t i = 0; i < a.size(); ++i) r[i] = a[i] + b[i];
  return r;
}

// max |got − want| / max |want| ≤ tol.
template <typename T>
void check_close(const std::string& what, const std::vector<T>& got, const std::vector<double>& want, double tol) {
  INFO(what);
  REQUIRE(got.size() == want.size());
  double scale = 1e-12;
  for (double w : want) scale = std::max(scale, std::fabs(w));
  double worst = 0;
  size_t at = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double d = std::fabs(static_cast<double>(got[i]) - want[i]) / scale;
    if (!(d <= worst)) {  // also catches NaN
      worst = d;
      at = i;
    }
  }
  INFO("worst element " << at << ": got " << static_cast<double>(got[at]) << ", want " << want[at]
                        << ", relative to the largest |value| " << scale);
  CHECK(worst <= tol);
}

template <typename T>
constexpr DType dtype_of() {
  return sizeof(T) == 4 ? DType::f32 : DType::f64;
}

template <typename T>
const char* type_name() {
  return sizeof(T) == 4 ? "float32" : "float64";
}

template <typename T>
double conv_tol() {
  return sizeof(T) == 4 ? 1e-4 : 1e-10;
}

Tensor leaf(const Shape& s, const std::vector<double>& v, DType dt) {
  Tensor t = Tensor::from_vector(s, v, dt);
  t.set_requires_grad(true);
  return t;
}

class DeterministicScope {
 public:
  explicit DeterministicScope(bool on) : saved_(kc::deterministic()) { kc::set_deterministic(on); }
  ~DeterministicScope() { kc::set_deterministic(saved_); }
  DeterministicScope(const DeterministicScope&) = delete;
  DeterministicScope& operator=(const DeterministicScope&) = delete;

 private:
  bool saved_;
};

class Tf32Scope {
 public:
  explicit Tf32Scope(bool on) : saved_(kc::allow_tf32()) { kc::set_allow_tf32(on); }
  ~Tf32Scope() { kc::set_allow_tf32(saved_); }
  Tf32Scope(const Tf32Scope&) = delete;
  Tf32Scope& operator=(const Tf32Scope&) = delete;

 private:
  bool saved_;
};

std::string message_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

constexpr size_t KiB = 1024, MiB = 1024 * KiB;

// A stream of the test's own: the allocator reuses blocks per stream, so a new stream starts
// with nothing cached whatever earlier cases in this process left behind. When it goes, its
// wholly free segments go too (empty_cache), since a later stream may get the same handle.
class TestStream {
 public:
  TestStream() { REQUIRE(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking) == cudaSuccess); }
  ~TestStream() {
    cudaStreamSynchronize(stream_);
    cudaStreamDestroy(stream_);
    try {
      kc::empty_cache();
    } catch (...) {
    }
  }
  TestStream(const TestStream&) = delete;
  TestStream& operator=(const TestStream&) = delete;
  cudaStream_t get() const { return stream_; }

 private:
  cudaStream_t stream_ = nullptr;
};

// Holds `stream` in a host callback until open() (or 30 s, so that a failing case cannot
// hang), which makes "that stream has not passed the event yet" certain instead of a race.
class StreamGate {
 public:
  explicit StreamGate(cudaStream_t stream) : stream_(stream) {
    REQUIRE(cudaLaunchHostFunc(stream_, &StreamGate::wait, this) == cudaSuccess);
  }
  ~StreamGate() {
    open();
    cudaStreamSynchronize(stream_);
  }
  StreamGate(const StreamGate&) = delete;
  StreamGate& operator=(const StreamGate&) = delete;
  void open() { open_.store(true); }

 private:
  static void CUDART_CB wait(void* self) {
    const auto* gate = static_cast<const StreamGate*>(self);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!gate->open_.load() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  cudaStream_t stream_;
  std::atomic<bool> open_{false};
};

// After AAFGAN_REQUIRE_GPU_OR_SKIP: a GPU build without cuDNN skips its cuDNN cases, except
// under AAFGAN_REQUIRE_GPU=1, where everything the GPU check runs must be there.
#define AAFGAN_REQUIRE_CUDNN_OR_SKIP()                                               \
  do {                                                                               \
    if (!kc::has_cudnn()) {                                                          \
      ::aafgan::testing::report_skip("this build has no cuDNN", true);               \
      return;                                                                        \
    }                                                                                \
  } while (0)

#if defined(AAFGAN_WITH_CUDNN)
// --- convolution cases ----------------------------------------------------------------------

struct ConvCase {
  int64_t n, cin, h, w, cout, kh, kw;
  int sh, sw, ph, pw;
  int oph = 0, opw = 0;  // transposed only
};

Conv2dParams params_of(const ConvCase& c) {
  Conv2dParams p;
  p.stride_h = c.sh;
  p.stride_w = c.sw;
  p.pad_h = c.ph;
  p.pad_w = c.pw;
  p.output_pad_h = c.oph;
  p.output_pad_w = c.opw;
  return p;
}

// 3×3 same, DCGAN's discriminator (4×4, stride 2, pad 1), a 1×7 rectangle, per-axis strides
// and padding, a pointwise 1×1, and a stride that does not divide the input.
const ConvCase kConvCases[] = {
    {2, 3, 8, 8, 4, 3, 3, 1, 1, 1, 1},  {3, 4, 16, 16, 6, 4, 4, 2, 2, 1, 1}, {2, 3, 6, 11, 2, 1, 7, 1, 1, 0, 3},
    {1, 2, 7, 5, 3, 3, 2, 2, 1, 1, 0},  {2, 5, 4, 4, 3, 1, 1, 1, 1, 0, 0},   {4, 3, 9, 7, 5, 3, 3, 2, 2, 0, 0},
};

// DCGAN's generator (4×4, stride 2, pad 1: 4×4 → 8×8) and its first layer (1×1 → 4×4), an
// output_pad, a 1×7 rectangle and per-axis strides.
const ConvCase kConvTransposeCases[] = {
    {2, 8, 4, 4, 4, 4, 4, 2, 2, 1, 1},       {3, 6, 1, 1, 3, 4, 4, 1, 1, 0, 0},
    {2, 3, 5, 4, 2, 3, 3, 2, 2, 1, 1, 1, 0}, {1, 2, 3, 6, 3, 1, 7, 1, 1, 0, 3},
    {2, 2, 4, 3, 2, 2, 3, 1, 2, 0, 0},
};

// A few more drawn at random, as conv2d cases; a transposed case reuses them with its own
// output padding where the stride allows.
std::vector<ConvCase> random_conv_cases(uint64_t seed, int count) {
  std::mt19937_64 rng(seed);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  std::vector<ConvCase> cases;
  for (int i = 0; i < count; ++i) {
    ConvCase c{};
    c.n = pick(1, 3);
    c.cin = pick(1, 5);
    c.cout = pick(1, 5);
    c.kh = pick(1, 4);
    c.kw = pick(1, 4);
    c.sh = pick(1, 2);
    c.sw = pick(1, 2);
    c.ph = pick(0, static_cast<int>(c.kh) - 1);
    c.pw = pick(0, static_cast<int>(c.kw) - 1);
    c.h = pick(static_cast<int>(c.kh), 9);
    c.w = pick(static_cast<int>(c.kw), 9);
    c.oph = c.sh > 1 ? pick(0, c.sh - 1) : 0;
    c.opw = c.sw > 1 ? pick(0, c.sw - 1) : 0;
    cases.push_back(c);
  }
  return cases;
}

template <typename T>
void check_conv2d(const ConvCase& cc, uint64_t seed) {
  const DType dt = dtype_of<T>();
  aafgan::kernels::ConvShape s;
  s.n = cc.n;
  s.in_channels = cc.cin;
  s.in_h = cc.h;
  s.in_w = cc.w;
  s.out_channels = cc.cout;
  s.kernel_h = cc.kh;
  s.kernel_w = cc.kw;
  s.stride_h = cc.sh;
  s.stride_w = cc.sw;
  s.pad_h = cc.ph;
  s.pad_w = cc.pw;
  const std::string what = "conv2d " + s.str() + " " + type_name<T>() + (kc::deterministic() ? " deterministic" : "");
  const Shape xs{cc.n, cc.cin, cc.h, cc.w}, ws{cc.cout, cc.cin, cc.kh, cc.kw}, bs{cc.cout},
      ys{cc.n, cc.cout, s.out_h(), s.out_w()};
  const auto xv = random_values<T>(xs.numel(), seed), wv = random_values<T>(ws.numel(), seed + 1),
             bv = random_values<T>(bs.numel(), seed + 2), gv = random_values<T>(ys.numel(), seed + 3);

  Tensor x = leaf(xs, xv, dt), w = leaf(ws, wv, dt), b = leaf(bs, bv, dt);
  Tensor y = aafgan::conv2d(x, w, b, params_of(cc));
  aafgan::autograd::backward(aafgan::sum(aafgan::mul(y, Tensor::from_vector(ys, gv, dt))));
  const std::vector<double> ry = y.to_vector(), rgx = x.grad().to_vector(), rgw = w.grad().to_vector(),
                            rgb = b.grad().to_vector();

  DeviceArray<T> dx(cast<T>(xv)), dw(cast<T>(wv)), db(cast<T>(bv)), dgy(cast<T>(gv));
  DeviceArray<T> dy(static_cast<size_t>(ys.numel())), dgx(static_cast<size_t>(xs.numel())),
      dgw(static_cast<size_t>(ws.numel())), dgb(static_cast<size_t>(cc.cout));
  kc::conv2d_forward<T>(s, dx.get(), dw.get(), db.get(), dy.get(), WriteMode::overwrite);
  kc::conv2d_backward_data<T>(s, dgy.get(), dw.get(), dgx.get(), WriteMode::overwrite);
  kc::conv2d_backward_filter<T>(s, dx.get(), dgy.get(), dgw.get(), WriteMode::overwrite);
  kc::conv2d_backward_bias<T>(s, dgy.get(), dgb.get(), WriteMode::overwrite);
  const double tol = conv_tol<T>();
  check_close(what + " forward", dy.download(), ry, tol);
  check_close(what + " backward data", dgx.download(), rgx, tol);
  check_close(what + " backward filter", dgw.download(), rgw, tol);
  check_close(what + " backward bias", dgb.download(), rgb, tol);

  // Accumulating adds to what the outputs hold.
  const auto py = random_values<T>(ys.numel(), seed + 4), px = random_values<T>(xs.numel(), seed + 5),
             pw = random_values<T>(ws.numel(), seed + 6), pb = random_values<T>(bs.numel(), seed + 7);
  dy.upload(cast<T>(py));
  dgx.upload(cast<T>(px));
  dgw.upload(cast<T>(pw));
  dgb.upload(cast<T>(pb));
  kc::conv2d_forward<T>(s, dx.get(), dw.get(), db.get(), dy.get(), WriteMode::accumulate);
  kc::conv2d_backward_data<T>(s, dgy.get(), dw.get(), dgx.get(), WriteMode::accumulate);
  kc::conv2d_backward_filter<T>(s, dx.get(), dgy.get(), dgw.get(), WriteMode::accumulate);
  kc::conv2d_backward_bias<T>(s, dgy.get(), dgb.get(), WriteMode::accumulate);
  check_close(what + " forward accumulated", dy.download(), plus(py, ry), tol);
  check_close(what + " backward data accumulated", dgx.download(), plus(px, rgx), tol);
  check_close(what + " backward filter accumulated", dgw.download(), plus(pw, rgw), tol);
  check_close(what + " backward bias accumulated", dgb.download(), plus(pb, rgb), tol);
}

template <typename T>
void check_conv_transpose2d(const ConvCase& cc, uint64_t seed) {
  const DType dt = dtype_of<T>();
  aafgan::kernels::ConvTransposeShape s;
  s.n = cc.n;
  s.in_channels = cc.cin;
  s.in_h = cc.h;
  s.in_w = cc.w;
  s.out_channels = cc.cout;
  s.kernel_h = cc.kh;
  s.kernel_w = cc.kw;
  s.stride_h = cc.sh;
  s.stride_w = cc.sw;
  s.pad_h = cc.ph;
  s.pad_w = cc.pw;
  s.output_pad_h = cc.oph;
  s.output_pad_w = cc.opw;
  if (s.out_h() <= 0 || s.out_w() <= 0) return;  // a random draw with an empty output
  const std::string what =
      "conv_transpose2d " + s.str() + " " + type_name<T>() + (kc::deterministic() ? " deterministic" : "");
  const Shape xs{cc.n, cc.cin, cc.h, cc.w}, ws{cc.cin, cc.cout, cc.kh, cc.kw}, bs{cc.cout},
      ys{cc.n, cc.cout, s.out_h(), s.out_w()};
  const auto xv = random_values<T>(xs.numel(), seed), wv = random_values<T>(ws.numel(), seed + 1),
             bv = random_values<T>(bs.numel(), seed + 2), gv = random_values<T>(ys.numel(), seed + 3);

  Tensor x = leaf(xs, xv, dt), w = leaf(ws, wv, dt), b = leaf(bs, bv, dt);
  Tensor y = aafgan::conv_transpose2d(x, w, b, params_of(cc));
  REQUIRE(y.shape() == ys);
  aafgan::autograd::backward(aafgan::sum(aafgan::mul(y, Tensor::from_vector(ys, gv, dt))));
  const std::vector<double> ry = y.to_vector(), rgx = x.grad().to_vector(), rgw = w.grad().to_vector(),
                            rgb = b.grad().to_vector();

  DeviceArray<T> dx(cast<T>(xv)), dw(cast<T>(wv)), db(cast<T>(bv)), dgy(cast<T>(gv));
  DeviceArray<T> dy(static_cast<size_t>(ys.numel())), dgx(static_cast<size_t>(xs.numel())),
      dgw(static_cast<size_t>(ws.numel())), dgb(static_cast<size_t>(cc.cout));
  kc::conv_transpose2d_forward<T>(s, dx.get(), dw.get(), db.get(), dy.get(), WriteMode::overwrite);
  kc::conv_transpose2d_backward_data<T>(s, dgy.get(), dw.get(), dgx.get(), WriteMode::overwrite);
  kc::conv_transpose2d_backward_filter<T>(s, dx.get(), dgy.get(), dgw.get(), WriteMode::overwrite);
  kc::conv_transpose2d_backward_bias<T>(s, dgy.get(), dgb.get(), WriteMode::overwrite);
  const double tol = conv_tol<T>();
  check_close(what + " forward", dy.download(), ry, tol);
  check_close(what + " backward data", dgx.download(), rgx, tol);
  check_close(what + " backward filter", dgw.download(), rgw, tol);
  check_close(what + " backward bias", dgb.download(), rgb, tol);

  const auto pw = random_values<T>(ws.numel(), seed + 6), py = random_values<T>(ys.numel(), seed + 4);
  dgw.upload(cast<T>(pw));
  dy.upload(cast<T>(py));
  kc::conv_transpose2d_backward_filter<T>(s, dx.get(), dgy.get(), dgw.get(), WriteMode::accumulate);
  kc::conv_transpose2d_forward<T>(s, dx.get(), dw.get(), db.get(), dy.get(), WriteMode::accumulate);
  check_close(what + " backward filter accumulated", dgw.download(), plus(pw, rgw), tol);
  check_close(what + " forward accumulated", dy.download(), plus(py, ry), tol);
}

template <typename T>
void check_all_convs() {
  uint64_t seed = 1000;
  for (const ConvCase& c : kConvCases) check_conv2d<T>(c, seed += 10);
  for (const ConvCase& c : kConvTransposeCases) check_conv_transpose2d<T>(c, seed += 10);
  for (const ConvCase& c : random_conv_cases(sizeof(T) == 4 ? 77 : 78, 6)) {
    check_conv2d<T>(c, seed += 10);
    check_conv_transpose2d<T>(c, seed += 10);
  }
}

#endif  // AAFGAN_WITH_CUDNN

// --- GEMM -----------------------------------------------------------------------------------

template <typename T>
void check_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, T beta, double tol, uint64_t seed) {
  // Stored shapes with padded rows, so that the strides matter.
  const int64_t a_rows = ta ? k : m, a_cols = ta ? m : k, b_rows = tb ? n : k, b_cols = tb ? k : n;
  const int64_t lda = a_cols + 3, ldb = b_cols + 2, ldc = n + 5;
  const auto av = cast<T>(random_values<T>(std::max<int64_t>(a_rows * lda, 1), seed));
  const auto bv = cast<T>(random_values<T>(std::max<int64_t>(b_rows * ldb, 1), seed + 1));
  std::vector<T> cv = cast<T>(random_values<T>(m * ldc, seed + 2));
  constexpr T kPad = T(7777);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < ldc; ++j) {
      T& e = cv[static_cast<size_t>(i * ldc + j)];
      if (j >= n) e = kPad;
      // beta = 0 must not read C: NaN there must not leak into the result.
      else if (beta == T(0)) e = std::numeric_limits<T>::quiet_NaN();
    }
  std::vector<T> want = cv;
  aafgan::kernels::cpu::gemm<T>(ta, tb, m, n, k, alpha, av.data(), lda, bv.data(), ldb, beta, want.data(), ldc);

  DeviceArray<T> da(av), db(bv), dc(cv);
  kc::gemm<T>(ta, tb, m, n, k, alpha, da.get(), lda, db.get(), ldb, beta, dc.get(), ldc);
  const std::vector<T> got = dc.download();
  std::vector<T> got_c, pads;
  std::vector<double> want_c;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < ldc; ++j) {
      const size_t at = static_cast<size_t>(i * ldc + j);
      if (j < n) {
        got_c.push_back(got[at]);
        want_c.push_back(static_cast<double>(want[at]));
      } else {
        pads.push_back(got[at]);
      }
    }
  const std::string what = std::string("gemm ") + (ta ? "T" : "N") + (tb ? "T" : "N") + " m " + std::to_string(m) +
                           " n " + std::to_string(n) + " k " + std::to_string(k) + " beta " +
                           std::to_string(static_cast<double>(beta)) + " " + type_name<T>();
  check_close(what, got_c, want_c, tol);
  INFO(what);
  CHECK(std::all_of(pads.begin(), pads.end(), [&](T v) { return v == kPad; }));
}

template <typename T>
void check_gemms(double tol) {
  const int64_t sizes[][3] = {{1, 1, 1}, {7, 5, 3}, {33, 17, 65}, {64, 128, 96}, {5, 300, 2}, {4, 3, 0}};
  uint64_t seed = 500;
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (const auto& s : sizes)
        for (T beta : {T(0), T(0.75)}) check_gemm<T>(ta, tb, s[0], s[1], s[2], T(1.25), beta, tol, seed += 3);
}

#if defined(AAFGAN_WITH_CUDNN)
// --- batch norm -----------------------------------------------------------------------------

template <typename T>
double bn_tol() {
  return sizeof(T) == 4 ? 1e-4 : 1e-9;
}

template <typename T>
void check_batch_norm(const Shape& shape, bool affine, uint64_t seed) {
  const DType dt = dtype_of<T>();
  const int64_t n = shape[0], c = shape[1], s = shape.ndim() == 4 ? shape[2] * shape[3] : 1;
  const double momentum = 0.3, eps = 1e-5;
  const std::string what = "batch_norm " + shape.str() + " " + type_name<T>() + (affine ? " affine" : " no affine");
  const double tol = bn_tol<T>();
  // An offset mean, so that a naive one-pass variance would show.
  const auto xv = random_values<T>(shape.numel(), seed, 2.0, 5.0), gv = random_values<T>(shape.numel(), seed + 1);
  const auto wv = random_values<T>(c, seed + 2, 0.5, 1.5), bv = random_values<T>(c, seed + 3);
  const auto rmv = random_values<T>(c, seed + 4), rvv = random_values<T>(c, seed + 5, 0.5, 2.0);

  // --- training --------------------------------------------------------------------------
  Tensor x = leaf(shape, xv, dt);
  Tensor w = affine ? leaf(Shape{c}, wv, dt) : Tensor(), b = affine ? leaf(Shape{c}, bv, dt) : Tensor();
  Tensor rm = Tensor::from_vector(Shape{c}, rmv, dt), rv = Tensor::from_vector(Shape{c}, rvv, dt);
  Tensor y = aafgan::batch_norm(x, w, b, rm, rv, true, momentum, eps);
  aafgan::autograd::backward(aafgan::sum(aafgan::mul(y, Tensor::from_vector(shape, gv, dt))));
  // The saved statistics of the CPU twin, in double.
  std::vector<double> mean(static_cast<size_t>(c)), invstd(static_cast<size_t>(c)), ycpu(xv.size());
  aafgan::kernels::cpu::batch_norm_forward_training<double>(n, c, s, xv.data(), ycpu.data(), nullptr, nullptr, nullptr,
                                                            nullptr, momentum, eps, mean.data(), invstd.data());

  DeviceArray<T> dx(cast<T>(xv)), dg(cast<T>(gv)), dw(cast<T>(wv)), db(cast<T>(bv));
  DeviceArray<T> drm(cast<T>(rmv)), drv(cast<T>(rvv)), dy(static_cast<size_t>(shape.numel()));
  DeviceArray<T> dmean(static_cast<size_t>(c)), dinv(static_cast<size_t>(c));
  DeviceArray<T> dgx(static_cast<size_t>(shape.numel())), dgw(static_cast<size_t>(c)), dgb(static_cast<size_t>(c));
  const T* wp = affine ? dw.get() : nullptr;
  const T* bp = affine ? db.get() : nullptr;
  kc::batch_norm_forward_training<T>(n, c, s, dx.get(), dy.get(), wp, bp, drm.get(), drv.get(), momentum, eps,
                                     dmean.get(), dinv.get());
  check_close(what + " training forward", dy.download(), y.to_vector(), tol);
  check_close(what + " running mean", drm.download(), rm.to_vector(), tol);
  check_close(what + " running var (unbiased)", drv.download(), rv.to_vector(), tol);
  check_close(what + " saved mean", dmean.download(), mean, tol);
  check_close(what + " saved invstd", dinv.download(), invstd, tol);

  kc::batch_norm_backward<T>(n, c, s, dx.get(), dg.get(), wp, dmean.get(), dinv.get(), eps, true, dgx.get(), dgw.get(),
                             dgb.get(), WriteMode::overwrite);
  const std::vector<double> rgx = x.grad().to_vector();
  check_close(what + " training backward x", dgx.download(), rgx, tol);
  if (affine) {
    check_close(what + " training backward weight", dgw.download(), w.grad().to_vector(), tol);
    check_close(what + " training backward bias", dgb.download(), b.grad().to_vector(), tol);
  }
  // Without saved statistics cuDNN recomputes them; accumulating adds.
  const auto prior = random_values<T>(shape.numel(), seed + 6);
  dgx.upload(cast<T>(prior));
  kc::batch_norm_backward<T>(n, c, s, dx.get(), dg.get(), wp, nullptr, nullptr, eps, true, dgx.get(), nullptr,
                             nullptr, WriteMode::accumulate);
  check_close(what + " training backward x accumulated", dgx.download(), plus(prior, rgx), tol);
  // Untracked running statistics.
  kc::batch_norm_forward_training<T>(n, c, s, dx.get(), dy.get(), wp, bp, nullptr, nullptr, momentum, eps, nullptr,
                                     nullptr);
  check_close(what + " training forward untracked", dy.download(), y.to_vector(), tol);

  // --- eval ------------------------------------------------------------------------------
  Tensor xe = leaf(shape, xv, dt);
  Tensor we = affine ? leaf(Shape{c}, wv, dt) : Tensor(), be = affine ? leaf(Shape{c}, bv, dt) : Tensor();
  Tensor rme = Tensor::from_vector(Shape{c}, rmv, dt), rve = Tensor::from_vector(Shape{c}, rvv, dt);
  Tensor ye = aafgan::batch_norm(xe, we, be, rme, rve, false, momentum, eps);
  aafgan::autograd::backward(aafgan::sum(aafgan::mul(ye, Tensor::from_vector(shape, gv, dt))));
  drm.upload(cast<T>(rmv));
  drv.upload(cast<T>(rvv));
  kc::batch_norm_forward_inference<T>(n, c, s, dx.get(), dy.get(), wp, bp, drm.get(), drv.get(), eps, dmean.get(),
                                      dinv.get());
  check_close(what + " eval forward", dy.download(), ye.to_vector(), tol);
  kc::batch_norm_backward<T>(n, c, s, dx.get(), dg.get(), wp, dmean.get(), dinv.get(), eps, false, dgx.get(),
                             dgw.get(), dgb.get(), WriteMode::overwrite);
  check_close(what + " eval backward x", dgx.download(), xe.grad().to_vector(), tol);
  if (affine) {
    check_close(what + " eval backward weight", dgw.download(), we.grad().to_vector(), tol);
    check_close(what + " eval backward bias", dgb.download(), be.grad().to_vector(), tol);
    const auto pw = random_values<T>(c, seed + 7);
    dgw.upload(cast<T>(pw));
    kc::batch_norm_backward<T>(n, c, s, dx.get(), dg.get(), wp, dmean.get(), dinv.get(), eps, false, nullptr,
                               dgw.get(), nullptr, WriteMode::accumulate);
    check_close(what + " eval backward weight accumulated", dgw.download(), plus(pw, we.grad().to_vector()), tol);
  }
}

template <typename T>
void check_batch_norms() {
  const Shape shapes[] = {{4, 3, 5, 5}, {6, 4}, {2, 5, 1, 3}, {3, 2, 7, 1}, {16, 8, 4, 4}};
  uint64_t seed = 9000;
  for (const Shape& s : shapes)
    for (bool affine : {true, false}) check_batch_norm<T>(s, affine, seed += 10);
}

#endif  // AAFGAN_WITH_CUDNN

}  // namespace

// --- without a GPU --------------------------------------------------------------------------

TEST_CASE("cuda runtime: without a GPU the calls report it cleanly") {
  // What needs no device works in every build.
  {
    DeterministicScope det(true);
    CHECK(kc::deterministic());
    Tf32Scope tf32(true);
    CHECK(kc::allow_tf32());
  }
  CHECK(kc::cached_alloc(0) == nullptr);
  CHECK(kc::cached_alloc(0, nullptr) == nullptr);
  kc::cached_free(nullptr);
  kc::empty_cache();  // never throws for lack of a device: with nothing cached it does nothing
  CHECK(kc::pinned_alloc(0) == nullptr);
  kc::pinned_free(nullptr);
  CHECK((kc::cudnn_version() > 0) == kc::has_cudnn());
  CHECK(kc::conv_workspace_limit() > 0);

  if (!aafgan::testing::gpu_unavailable_reason().empty()) {
    // Every entry point that needs the device fails with a message, never a crash.
    float a[4] = {1, 2, 3, 4}, c[4] = {0, 0, 0, 0};
    aafgan::kernels::ConvShape s;
    s.n = 1;
    s.in_channels = 1;
    s.in_h = 3;
    s.in_w = 3;
    s.out_channels = 1;
    s.kernel_h = 3;
    s.kernel_w = 3;
    const std::vector<std::string> messages = {
        message_of([] { kc::cached_alloc(1024); }),
        message_of([] { kc::synchronize(); }),
        message_of([] { kc::context_stream(); }),
        message_of([] { kc::set_device(0); }),
        message_of([&] { kc::gemm<float>(false, false, 2, 2, 2, 1.0f, a, 2, a, 2, 0.0f, c, 2); }),
#if defined(AAFGAN_WITH_CUDNN)
        message_of([&] { kc::conv2d_forward<float>(s, a, a, nullptr, c, WriteMode::overwrite); }),
        message_of([&] {
          kc::batch_norm_forward_training<float>(2, 1, 1, a, c, nullptr, nullptr, nullptr, nullptr, 0.1, 1e-5,
                                                 nullptr, nullptr);
        }),
#endif
    };
    for (const std::string& m : messages) {
      INFO("message: " << m);
      CHECK(!m.empty());
    }
    return;
  }
  MESSAGE("a GPU is present: the no-GPU paths were not exercised");
}

// --- allocator and copies -------------------------------------------------------------------

TEST_CASE("cuda runtime: the allocator reuses freed blocks without a new cudaMalloc") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  TestStream stream;
  const kc::AllocatorStats before = kc::allocator_stats();
  // Small ones share one 2 MiB segment; 3 MiB + 5 comes from a 20 MiB one, split.
  const size_t sizes[] = {1, 100, 513, 4096, MiB, 3 * MiB + 5};
  size_t rounded_total = 0;
  for (size_t s : sizes) rounded_total += aafgan::kernels::memory::round_size(s);
  for (int round = 0; round < 4; ++round) {
    std::vector<void*> blocks;
    for (size_t s : sizes) {
      void* p = kc::cached_alloc(s, stream.get());
      REQUIRE(p != nullptr);
      CHECK(reinterpret_cast<uintptr_t>(p) % 256 == 0);
      blocks.push_back(p);
    }
    CHECK(kc::allocator_stats().allocated_bytes == before.allocated_bytes + rounded_total);
    for (void* p : blocks) kc::cached_free(p);
    // Freeing and asking for the same sizes again makes no cudaMalloc.
    CHECK(kc::allocator_stats().segment_allocs == before.segment_allocs + 2);
  }
  const kc::AllocatorStats after = kc::allocator_stats();
  CHECK(after.allocated_bytes == before.allocated_bytes);
  CHECK(after.segments == before.segments + 2);
  CHECK(after.reserved_bytes == before.reserved_bytes + 22 * MiB);
  CHECK(after.cache_hits == before.cache_hits + 4 + 3 * 6);  // all but the first of each segment
  CHECK(after.peak_allocated_bytes >= before.allocated_bytes + rounded_total);

  CHECK_THROWS_AS(kc::cached_free(reinterpret_cast<void*>(uintptr_t(0x1000))), std::runtime_error);
  CHECK(message_of([] { kc::cached_free(reinterpret_cast<void*>(uintptr_t(0x1000))); })
            .find("not allocated by cached_alloc") != std::string::npos);
  char* p = static_cast<char*>(kc::cached_alloc(64, stream.get()));
  CHECK(message_of([&] { kc::cached_free(p + 256); }).find("not at the start of a live block") != std::string::npos);
  kc::cached_free(p);
  CHECK_THROWS_AS(kc::cached_free(p), std::runtime_error);  // twice
  CHECK(message_of([&] { kc::cached_free(p); }).find("freed already") != std::string::npos);
  CHECK_THROWS_AS(kc::record_stream(p, stream.get()), std::runtime_error);
}

TEST_CASE("cuda runtime: two 600 KiB blocks come from one 2 MiB segment") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  TestStream stream;
  const kc::AllocatorStats before = kc::allocator_stats();
  char* a = static_cast<char*>(kc::cached_alloc(600 * KiB, stream.get()));
  char* b = static_cast<char*>(kc::cached_alloc(600 * KiB, stream.get()));
  const kc::AllocatorStats after = kc::allocator_stats();
  CHECK(b == a + 600 * KiB);
  CHECK(after.segment_allocs == before.segment_allocs + 1);
  CHECK(after.segments == before.segments + 1);
  CHECK(after.reserved_bytes == before.reserved_bytes + 2 * MiB);
  CHECK(after.cache_hits == before.cache_hits + 1);
  CHECK(after.allocated_bytes == before.allocated_bytes + 1200 * KiB);
  kc::cached_free(a);
  kc::cached_free(b);
}

TEST_CASE("cuda runtime: empty_cache gives wholly free segments back to CUDA") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  TestStream stream;
  kc::cached_free(kc::cached_alloc(600 * KiB, stream.get()));  // a 2 MiB segment
  kc::cached_free(kc::cached_alloc(30 * MiB, stream.get()));   // a 30 MiB one of its own
  void* kept = kc::cached_alloc(4096, stream.get());           // keeps the 2 MiB one
  kc::cached_free(kc::cached_alloc(5 * MiB, stream.get()));    // a 20 MiB one
  const kc::AllocatorStats before = kc::allocator_stats();
  kc::empty_cache();
  const kc::AllocatorStats after = kc::allocator_stats();
  CHECK(after.segment_frees >= before.segment_frees + 2);
  CHECK(after.segments <= before.segments - 2);
  CHECK(after.reserved_bytes <= before.reserved_bytes - 50 * MiB);
  CHECK(after.allocated_bytes == before.allocated_bytes);
  // The segment holding `kept` stayed: its free rest still serves without a cudaMalloc.
  void* again = kc::cached_alloc(600 * KiB, stream.get());
  CHECK(kc::allocator_stats().segment_allocs == after.segment_allocs);
  // The 30 MiB segment went: asking again needs one.
  void* big = kc::cached_alloc(30 * MiB, stream.get());
  CHECK(kc::allocator_stats().segment_allocs == after.segment_allocs + 1);
  kc::cached_free(big);
  kc::cached_free(again);
  kc::cached_free(kept);
}

TEST_CASE("cuda runtime: a captured graph keeps its segments through empty_cache until it is destroyed") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  void* const stream = kc::context_stream();
  kc::empty_cache();
  const kc::AllocatorStats before = kc::allocator_stats();
  // A step's temporary: allocated, written and freed inside the capture; every replay writes it.
  kc::graph_begin_capture(stream);
  void* g = nullptr;
  try {
    void* t = kc::cached_alloc(30 * MiB);
    kc::device_memset(t, 1, 30 * MiB, stream);
    kc::cached_free(t);
    g = kc::graph_end_capture(stream);
  } catch (...) {
    kc::graph_abort_capture(stream);
    throw;
  }
  const kc::AllocatorStats captured = kc::allocator_stats();
  CHECK(captured.held_segments == before.held_segments + 1);
  CHECK(captured.held_bytes >= before.held_bytes + 30 * MiB);
  kc::empty_cache();
  CHECK(kc::allocator_stats().segments == captured.segments);
  CHECK(kc::allocator_stats().segment_frees == captured.segment_frees);
  kc::graph_launch(g, stream);  // writes the held segment, which is still the allocator's
  kc::synchronize();
  kc::graph_destroy(g);
  CHECK(kc::allocator_stats().held_segments == before.held_segments);
  kc::empty_cache();
  CHECK(kc::allocator_stats().segments == before.segments);
  CHECK(kc::allocator_stats().segment_frees == captured.segment_frees + 1);
}

TEST_CASE("cuda runtime: an aborted capture holds no segment") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  void* const stream = kc::context_stream();
  const kc::AllocatorStats before = kc::allocator_stats();
  kc::graph_begin_capture(stream);
  kc::cached_free(kc::cached_alloc(600 * KiB));
  kc::graph_abort_capture(stream);
  CHECK(!kc::stream_capturing(stream));
  CHECK(kc::allocator_stats().held_segments == before.held_segments);
}

TEST_CASE("cuda runtime: record_stream holds a freed block back until the other stream has passed it") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  TestStream mine, other;
  const size_t n = 600 * KiB;
  const kc::AllocatorStats before = kc::allocator_stats();
  char* a = static_cast<char*>(kc::cached_alloc(n, mine.get()));
  kc::record_stream(a, other.get());
  {
    StreamGate gate(other.get());  // `other` cannot reach the event that the free records
    kc::cached_free(a);
    CHECK(kc::allocator_stats().pending_free_blocks == before.pending_free_blocks + 1);
    char* b = static_cast<char*>(kc::cached_alloc(n, mine.get()));
    CHECK(b == a + n);  // the rest of a's segment: a itself may still be in use on `other`
    kc::cached_free(b);
    CHECK(kc::cached_alloc(n, mine.get()) == b);  // still not a
    kc::cached_free(b);
    gate.open();
    REQUIRE(cudaStreamSynchronize(other.get()) == cudaSuccess);
  }
  char* c = static_cast<char*>(kc::cached_alloc(n, mine.get()));
  CHECK(c == a);
  CHECK(kc::allocator_stats().pending_free_blocks == before.pending_free_blocks);
  CHECK(kc::allocator_stats().segment_allocs == before.segment_allocs + 1);
  kc::cached_free(c);
}

TEST_CASE("cuda runtime: out of memory: an impossible request throws OutOfMemoryError naming the sizes") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  const size_t huge = (size_t(1) << 50) + 1;  // 1 PiB and a byte
  std::string msg;
  try {
    kc::cached_alloc(huge);
    FAIL("a 1 PiB allocation succeeded");
  } catch (const kc::OutOfMemoryError& e) {
    msg = e.what();
  }
  INFO(msg);
  CHECK(msg.find("1125899906842625 bytes") != std::string::npos);                 // requested
  CHECK(msg.find("rounded to 1125899906843136 bytes") != std::string::npos);      // to 512 bytes
  CHECK(msg.find("segment of 1125899908939776 bytes") != std::string::npos);      // to 2 MiB
  CHECK(msg.find("out of memory on device") != std::string::npos);
  CHECK(msg.find("free of") != std::string::npos);
  CHECK(msg.find("total") != std::string::npos);
  CHECK(msg.find("allocated and") != std::string::npos);
  CHECK(msg.find("cached") != std::string::npos);
  CHECK(msg.find("graph capture") == std::string::npos);
  // The allocator still works afterwards.
  kc::CachedBuffer ok(1 << 20);
  CHECK(ok.get() != nullptr);
}

TEST_CASE("cuda runtime: pinned buffers and asynchronous copies round-trip") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  const size_t n = 100003;
  kc::PinnedBuffer src(n * sizeof(float)), dst;
  dst.reserve(n * sizeof(float));
  dst.reserve(16);  // never shrinks
  CHECK(dst.capacity() == n * sizeof(float));
  for (size_t i = 0; i < n; ++i) src.as<float>()[i] = static_cast<float>(i) * 0.5f - 7.0f;
  kc::CachedBuffer a(n * sizeof(float)), b(n * sizeof(float));
  void* stream = kc::context_stream();
  kc::copy_to_device_async(a.get(), src.data(), n * sizeof(float), stream);
  kc::copy_device_to_device_async(b.get(), a.get(), n * sizeof(float), stream);
  kc::copy_to_host_async(dst.data(), b.get(), n * sizeof(float), stream);
  kc::stream_synchronize(stream);
  CHECK(std::memcmp(src.data(), dst.data(), n * sizeof(float)) == 0);
}

// --- GEMM -----------------------------------------------------------------------------------

TEST_CASE("cuda runtime: gemm matches the CPU gemm in float32") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  Tf32Scope no_tf32(false);
  check_gemms<float>(1e-5);
}

TEST_CASE("cuda runtime: gemm matches the CPU gemm in float64") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  check_gemms<double>(1e-12);
}

TEST_CASE("cuda runtime: gemm with TF32 allowed stays close") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  Tf32Scope tf32(true);
  check_gemm<float>(false, true, 64, 96, 128, 1.0f, 0.0f, 1e-2, 42);
}

#if defined(AAFGAN_WITH_CUDNN)
// --- convolutions ---------------------------------------------------------------------------

TEST_CASE("cuda runtime: cudnn convolutions match the CPU ops in float32") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  AAFGAN_REQUIRE_CUDNN_OR_SKIP();
  Tf32Scope no_tf32(false);
  DeterministicScope det(false);
  check_all_convs<float>();
}

TEST_CASE("cuda runtime: cudnn convolutions match the CPU ops in float64") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  AAFGAN_REQUIRE_CUDNN_OR_SKIP();
  DeterministicScope det(false);
  check_all_convs<double>();
}

TEST_CASE("cuda runtime: deterministic convolutions match the CPU ops") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  AAFGAN_REQUIRE_CUDNN_OR_SKIP();
  DeterministicScope det(true);
  check_all_convs<float>();
  check_all_convs<double>();
}

TEST_CASE("cuda runtime: deterministic mode gives identical bits twice") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  AAFGAN_REQUIRE_CUDNN_OR_SKIP();
  DeterministicScope det(true);
  // Big enough that atomics-based algorithms would split the sums across many blocks.
  aafgan::kernels::ConvShape s;
  s.n = 16;
  s.in_channels = 32;
  s.in_h = 16;
  s.in_w = 16;
  s.out_channels = 64;
  s.kernel_h = 4;
  s.kernel_w = 4;
  s.stride_h = 2;
  s.stride_w = 2;
  s.pad_h = 1;
  s.pad_w = 1;
  const int64_t ys = s.output_elems();
  DeviceArray<float> x(cast<float>(random_values<float>(s.input_elems(), 1))),
      w(cast<float>(random_values<float>(s.weight_elems(), 2))), gy(cast<float>(random_values<float>(ys, 3)));
  DeviceArray<float> gx1(static_cast<size_t>(s.input_elems())), gx2(static_cast<size_t>(s.input_elems()));
  DeviceArray<float> gw1(static_cast<size_t>(s.weight_elems())), gw2(static_cast<size_t>(s.weight_elems()));
  DeviceArray<float> gb1(static_cast<size_t>(s.out_channels)), gb2(static_cast<size_t>(s.out_channels));
  for (int run = 0; run < 2; ++run) {
    kc::conv2d_backward_data<float>(s, gy.get(), w.get(), (run ? gx2 : gx1).get(), WriteMode::overwrite);
    kc::conv2d_backward_filter<float>(s, x.get(), gy.get(), (run ? gw2 : gw1).get(), WriteMode::overwrite);
    kc::conv2d_backward_bias<float>(s, gy.get(), (run ? gb2 : gb1).get(), WriteMode::overwrite);
  }
  const auto a = gx1.download(), b = gx2.download();
  CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
  const auto c = gw1.download(), d = gw2.download();
  CHECK(std::memcmp(c.data(), d.data(), c.size() * sizeof(float)) == 0);
  const auto e = gb1.download(), f = gb2.download();
  CHECK(std::memcmp(e.data(), f.data(), e.size() * sizeof(float)) == 0);

  // The transposed convolution's forward is a backward-data, its weight gradient a backward-filter.
  aafgan::kernels::ConvTransposeShape t;
  t.n = 16;
  t.in_channels = 64;
  t.in_h = 8;
  t.in_w = 8;
  t.out_channels = 32;
  t.kernel_h = 4;
  t.kernel_w = 4;
  t.stride_h = 2;
  t.stride_w = 2;
  t.pad_h = 1;
  t.pad_w = 1;
  REQUIRE(t.out_h() == 16);
  DeviceArray<float> tx(cast<float>(random_values<float>(t.input_elems(), 4))),
      tw(cast<float>(random_values<float>(t.weight_elems(), 5)));
  DeviceArray<float> ty1(static_cast<size_t>(t.output_elems())), ty2(static_cast<size_t>(t.output_elems()));
  kc::conv_transpose2d_forward<float>(t, tx.get(), tw.get(), nullptr, ty1.get(), WriteMode::overwrite);
  kc::conv_transpose2d_forward<float>(t, tx.get(), tw.get(), nullptr, ty2.get(), WriteMode::overwrite);
  const auto g = ty1.download(), h = ty2.download();
  CHECK(std::memcmp(g.data(), h.data(), g.size() * sizeof(float)) == 0);
}

TEST_CASE("cuda runtime: convolution algorithms are chosen once per shape") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  AAFGAN_REQUIRE_CUDNN_OR_SKIP();
  aafgan::kernels::ConvShape s;
  s.n = 3;
  s.in_channels = 5;
  s.in_h = 13;
  s.in_w = 11;
  s.out_channels = 7;
  s.kernel_h = 3;
  s.kernel_w = 3;
  s.pad_h = 1;
  s.pad_w = 1;
  DeviceArray<float> x(cast<float>(random_values<float>(s.input_elems(), 1))),
      w(cast<float>(random_values<float>(s.weight_elems(), 2))), y(static_cast<size_t>(s.output_elems()));
  kc::conv2d_forward<float>(s, x.get(), w.get(), nullptr, y.get(), WriteMode::overwrite);
  const size_t cached = kc::conv_algorithm_cache_size();
  CHECK(cached >= 1);
  for (int i = 0; i < 3; ++i) kc::conv2d_forward<float>(s, x.get(), w.get(), nullptr, y.get(), WriteMode::overwrite);
  CHECK(kc::conv_algorithm_cache_size() == cached);
  // Bad shapes are refused with the shape in the message.
  aafgan::kernels::ConvShape bad = s;
  bad.kernel_h = 40;
  const std::string msg = message_of([&] {
    kc::conv2d_forward<float>(bad, x.get(), w.get(), nullptr, y.get(), WriteMode::overwrite);
  });
  INFO(msg);
  CHECK(msg.find("kernel") != std::string::npos);
  CHECK(msg.find("[3, 5, 13, 11]") != std::string::npos);
}

TEST_CASE("cuda runtime: a convolution shape first seen during a graph capture is refused by name, and captures after an eager run") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  AAFGAN_REQUIRE_CUDNN_OR_SKIP();
  void* const stream = kc::context_stream();
  // A shape no other case uses, so that its plan cannot be cached already.
  aafgan::kernels::ConvShape s;
  s.n = 2;
  s.in_channels = 3;
  s.in_h = 9;
  s.in_w = 7;
  s.out_channels = 4;
  s.kernel_h = 2;
  s.kernel_w = 3;
  s.stride_h = 2;
  s.pad_w = 1;
  DeviceArray<float> x(cast<float>(random_values<float>(s.input_elems(), 11))),
      w(cast<float>(random_values<float>(s.weight_elems(), 12))), y(static_cast<size_t>(s.output_elems()));
  {
    // The cuDNN handle is made outside the capture, by a shape of its own.
    aafgan::kernels::ConvShape other = s;
    other.out_channels = 1;
    DeviceArray<float> w1(static_cast<size_t>(other.weight_elems())), y1(static_cast<size_t>(other.output_elems()));
    kc::conv2d_forward<float>(other, x.get(), w1.get(), nullptr, y1.get(), WriteMode::overwrite);
    kc::synchronize();
  }
  const size_t cached = kc::conv_algorithm_cache_size();
  kc::graph_begin_capture(stream);
  const std::string msg = message_of(
      [&] { kc::conv2d_forward<float>(s, x.get(), w.get(), nullptr, y.get(), WriteMode::overwrite); });
  const bool still_capturing = kc::stream_capturing(stream);  // false if the capture was invalidated
  kc::graph_abort_capture(stream);
  INFO(msg);
  CHECK(still_capturing);
  CHECK(msg.find("forward of the convolution n 2, 3 → 4 channels, 9×7") != std::string::npos);
  CHECK(msg.find("must run eagerly before capture") != std::string::npos);
  CHECK(kc::conv_algorithm_cache_size() == cached);

  kc::conv2d_forward<float>(s, x.get(), w.get(), nullptr, y.get(), WriteMode::overwrite);
  const std::vector<float> eager = y.download();
  y.upload(std::vector<float>(eager.size(), 0.0f));
  kc::graph_begin_capture(stream);
  void* g = nullptr;
  try {
    kc::conv2d_forward<float>(s, x.get(), w.get(), nullptr, y.get(), WriteMode::overwrite);
    g = kc::graph_end_capture(stream);
  } catch (...) {
    kc::graph_abort_capture(stream);
    throw;
  }
  kc::graph_launch(g, stream);
  kc::synchronize();
  kc::graph_destroy(g);
  CHECK(y.download() == eager);
}

// --- batch norm -----------------------------------------------------------------------------

TEST_CASE("cuda runtime: cudnn batch norm matches the CPU op in float32") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  AAFGAN_REQUIRE_CUDNN_OR_SKIP();
  check_batch_norms<float>();
}

TEST_CASE("cuda runtime: cudnn batch norm matches the CPU op in float64") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  AAFGAN_REQUIRE_CUDNN_OR_SKIP();
  check_batch_norms<double>();
}

TEST_CASE("cuda runtime: batch norm refuses a bad eps and a single value per channel") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  AAFGAN_REQUIRE_CUDNN_OR_SKIP();
  DeviceArray<float> x(8), y(8);
  const std::string eps_msg = message_of([&] {
    kc::batch_norm_forward_training<float>(4, 2, 1, x.get(), y.get(), nullptr, nullptr, nullptr, nullptr, 0.1, 0.0,
                                           nullptr, nullptr);
  });
  INFO(eps_msg);
  CHECK(eps_msg.find("eps") != std::string::npos);
  const std::string one_msg = message_of([&] {
    kc::batch_norm_forward_training<float>(1, 8, 1, x.get(), y.get(), nullptr, nullptr, nullptr, nullptr, 0.1, 1e-5,
                                           nullptr, nullptr);
  });
  INFO(one_msg);
  CHECK(one_msg.find("more than one value") != std::string::npos);
}

// --- a training step's steady state ---------------------------------------------------------

TEST_CASE("cuda runtime: a training step's steady state makes no cudaMalloc") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  AAFGAN_REQUIRE_CUDNN_OR_SKIP();
  // A DCGAN-like block: conv 4×4 stride 2, batch norm, a linear layer's GEMM; every
  // activation and gradient buffer is taken from the allocator and freed within the step.
  aafgan::kernels::ConvShape s;
  s.n = 8;
  s.in_channels = 3;
  s.in_h = 32;
  s.in_w = 32;
  s.out_channels = 16;
  s.kernel_h = 4;
  s.kernel_w = 4;
  s.stride_h = 2;
  s.stride_w = 2;
  s.pad_h = 1;
  s.pad_w = 1;
  const int64_t c = s.out_channels, sp = s.out_h() * s.out_w(), feat = c * sp;
  DeviceArray<float> x(cast<float>(random_values<float>(s.input_elems(), 1))),
      w(cast<float>(random_values<float>(s.weight_elems(), 2))),
      lin(cast<float>(random_values<float>(feat * 10, 3))), gout(cast<float>(random_values<float>(s.n * 10, 4)));
  DeviceArray<float> rm(cast<float>(std::vector<double>(static_cast<size_t>(c), 0.0))),
      rv(cast<float>(std::vector<double>(static_cast<size_t>(c), 1.0)));
  const auto step = [&] {
    kc::CachedBuffer y(static_cast<size_t>(s.output_elems()) * 4), z(static_cast<size_t>(s.output_elems()) * 4);
    kc::CachedBuffer mean(static_cast<size_t>(c) * 4), inv(static_cast<size_t>(c) * 4), out(s.n * 10 * 4);
    kc::conv2d_forward<float>(s, x.get(), w.get(), nullptr, y.as<float>(), WriteMode::overwrite);
    kc::batch_norm_forward_training<float>(s.n, c, sp, y.as<float>(), z.as<float>(), nullptr, nullptr, rm.get(),
                                           rv.get(), 0.1, 1e-5, mean.as<float>(), inv.as<float>());
    kc::gemm<float>(false, false, s.n, 10, feat, 1.0f, z.as<float>(), feat, lin.get(), 10, 0.0f, out.as<float>(), 10);
    kc::CachedBuffer gz(static_cast<size_t>(s.output_elems()) * 4), gy(static_cast<size_t>(s.output_elems()) * 4);
    kc::CachedBuffer gw(static_cast<size_t>(s.weight_elems()) * 4), gx(static_cast<size_t>(s.input_elems()) * 4);
    kc::gemm<float>(false, true, s.n, feat, 10, 1.0f, gout.get(), 10, lin.get(), 10, 0.0f, gz.as<float>(), feat);
    kc::batch_norm_backward<float>(s.n, c, sp, y.as<float>(), gz.as<float>(), nullptr, mean.as<float>(),
                                   inv.as<float>(), 1e-5, true, gy.as<float>(), nullptr, nullptr,
                                   WriteMode::overwrite);
    kc::conv2d_backward_filter<float>(s, x.get(), gy.as<float>(), gw.as<float>(), WriteMode::overwrite);
    kc::conv2d_backward_data<float>(s, gy.as<float>(), w.get(), gx.as<float>(), WriteMode::overwrite);
  };
  step();  // chooses the algorithms and fills the cache
  step();
  kc::synchronize();
  const uint64_t mallocs = kc::allocator_stats().segment_allocs;
  for (int i = 0; i < 5; ++i) step();
  kc::synchronize();
  CHECK(kc::allocator_stats().segment_allocs == mallocs);
}

#else

TEST_CASE("cuda runtime: cudnn convolutions and batch norm") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  std::printf("skipped: this build has no cuDNN (set CUDNN_ROOT and reconfigure)\n");
}

#endif  // AAFGAN_WITH_CUDNN
