// conv2d, conv_transpose2d and max_pool2d: gradient checks, forward values against direct
// loops written here (an independent reference), the chunked-batch paths, shape errors and
// the layers.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "tests/test_helpers.h"
#include "engine/nn/conv.h"
#include "engine/nn/init.h"
#include "kernels/cpu/im2col.h"
#include "tests/gradcheck.h"

using namespace aafgan;
using aafgan::testing::distinct_leaf;
using aafgan::testing::expect_error;
using aafgan::testing::gradcheck;
using aafgan::testing::leaf;
using aafgan::testing::random_input;

namespace {

Conv2dParams params(int sh, int sw, int ph, int pw, int oph = 0, int opw = 0) {
  Conv2dParams p;
  p.stride_h = sh;
  p.stride_w = sw;
  p.pad_h = ph;
  p.pad_w = pw;
  p.output_pad_h = oph;
  p.output_pad_w = opw;
  return p;
}

std::string describe(const Shape& x, const Shape& w, const Conv2dParams& p, bool bias) {
  return x.str() + " * " + w.str() + " stride " + std::to_string(p.stride_h) + "," + std::to_string(p.stride_w) +
         " pad " + std::to_string(p.pad_h) + "," + std::to_string(p.pad_w) + " opad " +
         std::to_string(p.output_pad_h) + "," + std::to_string(p.output_pad_w) + (bias ? " bias" : " no bias");
}

// Shrinks the im2col workspace for one scope, so that small tensors take the chunked paths.
class WorkspaceLimit {
 public:
  explicit WorkspaceLimit(size_t bytes) : saved_(kernels::cpu::conv_workspace_limit()) {
    kernels::cpu::set_conv_workspace_limit(bytes);
  }
  ~WorkspaceLimit() { kernels::cpu::set_conv_workspace_limit(saved_); }
  WorkspaceLimit(const WorkspaceLimit&) = delete;
  WorkspaceLimit& operator=(const WorkspaceLimit&) = delete;

 private:
  size_t saved_;
};

// --- direct loops -------------------------------------------------------------------------

Tensor naive_conv2d(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dParams& p) {
  const std::vector<double> xv = x.to_vector(), wv = w.to_vector();
  const std::vector<double> bv = b.defined() ? b.to_vector() : std::vector<double>();
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const int64_t O = w.size(0), KH = w.size(2), KW = w.size(3);
  const int64_t OH = (H + 2 * p.pad_h - KH) / p.stride_h + 1, OW = (W + 2 * p.pad_w - KW) / p.stride_w + 1;
  std::vector<double> y(static_cast<size_t>(N * O * OH * OW));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < O; ++o)
      for (int64_t r = 0; r < OH; ++r)
        for (int64_t q = 0; q < OW; ++q) {
          double acc = bv.empty() ? 0.0 : bv[static_cast<size_t>(o)];
          for (int64_t c = 0; c < C; ++c)
            for (int64_t i = 0; i < KH; ++i)
              for (int64_t j = 0; j < KW; ++j) {
                const int64_t h = r * p.stride_h - p.pad_h + i, v = q * p.stride_w - p.pad_w + j;
                if (h < 0 || h >= H || v < 0 || v >= W) continue;
                acc += xv[static_cast<size_t>(((n * C + c) * H + h) * W + v)] *
                       wv[static_cast<size_t>(((o * C + c) * KH + i) * KW + j)];
              }
          y[static_cast<size_t>(((n * O + o) * OH + r) * OW + q)] = acc;
        }
  return Tensor::from_vector({N, O, OH, OW}, y, DType::f64);
}

// The transpose as a scatter: every input pixel adds its weighted kernel into the output.
Tensor naive_conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dParams& p) {
  const std::vector<double> xv = x.to_vector(), wv = w.to_vector();
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const int64_t O = w.size(1), KH = w.size(2), KW = w.size(3);
  const int64_t OH = (H - 1) * p.stride_h - 2 * p.pad_h + KH + p.output_pad_h;
  const int64_t OW = (W - 1) * p.stride_w - 2 * p.pad_w + KW + p.output_pad_w;
  std::vector<double> y(static_cast<size_t>(N * O * OH * OW), 0.0);
  if (b.defined()) {
    const std::vector<double> bv = b.to_vector();
    for (int64_t n = 0; n < N; ++n)
      for (int64_t o = 0; o < O; ++o)
        for (int64_t k = 0; k < OH * OW; ++k) y[static_cast<size_t>((n * O + o) * OH * OW + k)] = bv[static_cast<size_t>(o)];
  }
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t v = 0; v < W; ++v) {
          const double xval = xv[static_cast<size_t>(((n * C + c) * H + h) * W + v)];
          for (int64_t o = 0; o < O; ++o)
            for (int64_t i = 0; i < KH; ++i)
              for (int64_t j = 0; j < KW; ++j) {
                const int64_t r = h * p.stride_h - p.pad_h + i, q = v * p.stride_w - p.pad_w + j;
                if (r < 0 || r >= OH || q < 0 || q >= OW) continue;
                y[static_cast<size_t>(((n * O + o) * OH + r) * OW + q)] +=
                    xval * wv[static_cast<size_t>(((c * O + o) * KH + i) * KW + j)];
              }
        }
  return Tensor::from_vector({N, O, OH, OW}, y, DType::f64);
}

Tensor naive_max_pool2d(const Tensor& x, int k, int s) {
  const std::vector<double> xv = x.to_vector();
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const int64_t OH = (H - k) / s + 1, OW = (W - k) / s + 1;
  std::vector<double> y;
  for (int64_t pl = 0; pl < N * C; ++pl)
    for (int64_t r = 0; r < OH; ++r)
      for (int64_t q = 0; q < OW; ++q) {
        double m = -INFINITY;
        for (int64_t i = 0; i < k; ++i)
          for (int64_t j = 0; j < k; ++j) m = std::max(m, xv[static_cast<size_t>((pl * H + r * s + i) * W + q * s + j)]);
        y.push_back(m);
      }
  return Tensor::from_vector({N, C, OH, OW}, y, DType::f64);
}

void check_close(const std::string& what, const Tensor& got, const Tensor& want, double rtol, double atol) {
  REQUIRE_MESSAGE(got.shape() == want.shape(), what << ": shape " << got.shape().str() << " vs " << want.shape().str());
  const std::vector<double> g = got.to_vector(), w = want.to_vector();
  int bad = 0;
  for (size_t i = 0; i < g.size(); ++i)
    if (std::fabs(g[i] - w[i]) > atol + rtol * std::fabs(w[i]) && bad++ < 5)
      FAIL_CHECK(what << ": element " << i << " is " << g[i] << ", expected " << w[i]);
  CHECK_MESSAGE(bad == 0, what << ": " << bad << " mismatching elements");
}



// --- cases ----------------------------------------------------------------------------------

struct ConvCase {
  Shape x, w;
  Conv2dParams p;
  bool bias;
};

// Kernels 1, 3 and 4; strides 1 and 2 (and unequal ones); padding 0, 1 and 2; odd and
// non-square inputs; batches 1 and 2; with and without a bias.
const std::vector<ConvCase>& conv_cases() {
  static const std::vector<ConvCase> cases = {
      {{2, 3, 5, 6}, {4, 3, 3, 3}, params(1, 1, 1, 1), true},
      {{1, 2, 7, 5}, {3, 2, 4, 4}, params(2, 2, 2, 2), false},
      {{1, 3, 6, 6}, {2, 3, 4, 4}, params(2, 2, 1, 1), true},   // the DCGAN downsampling block
      {{2, 2, 4, 5}, {3, 2, 1, 1}, params(1, 1, 0, 0), true},   // pointwise, batched
      {{1, 3, 3, 4}, {2, 3, 1, 1}, params(1, 1, 0, 0), false},  // pointwise, one image: no copy at all
      {{2, 2, 5, 4}, {2, 2, 1, 1}, params(2, 2, 1, 1), false},  // padding wider than the kernel
      {{2, 1, 5, 7}, {2, 1, 3, 3}, params(1, 2, 2, 0), true},   // unequal strides and padding
      {{1, 2, 4, 4}, {1, 2, 4, 4}, params(1, 1, 0, 0), true},   // the discriminator's last layer
      {{2, 2, 3, 3}, {2, 2, 3, 4}, params(2, 1, 0, 1), false},  // a non-square kernel
  };
  return cases;
}

// x [N, Cin, H, W] with w [Cin, Cout, kH, kW].
const std::vector<ConvCase>& conv_transpose_cases() {
  static const std::vector<ConvCase> cases = {
      {{2, 3, 3, 4}, {3, 2, 4, 4}, params(2, 2, 1, 1), true},        // the DCGAN upsampling block
      {{1, 4, 1, 1}, {4, 3, 4, 4}, params(1, 1, 0, 0), true},        // the generator's first layer
      {{2, 2, 3, 5}, {2, 3, 3, 3}, params(2, 2, 1, 1, 1, 1), false},  // output_pad
      {{1, 2, 4, 3}, {2, 2, 1, 1}, params(1, 1, 0, 0), true},        // pointwise, one image
      {{2, 3, 2, 3}, {3, 2, 1, 1}, params(1, 1, 0, 0), false},       // pointwise, batched
      {{2, 2, 3, 3}, {2, 1, 3, 3}, params(3, 2, 2, 1, 2, 1), true},  // unequal strides, pad 2
      {{1, 1, 5, 4}, {1, 2, 3, 3}, params(1, 1, 1, 1), false},       // stride 1: a padded conv
      {{2, 2, 2, 3}, {2, 2, 3, 4}, params(2, 1, 0, 2), true},        // a non-square kernel
  };
  return cases;
}

struct PoolCase {
  Shape x;
  int kernel, stride;
};

const std::vector<PoolCase>& pool_cases() {
  static const std::vector<PoolCase> cases = {
      {{2, 3, 6, 7}, 2, 0},  // the usual 2×2, odd width drops a column
      {{1, 2, 7, 7}, 3, 2},  // overlapping windows
      {{2, 1, 5, 6}, 3, 1},  // heavily overlapping
      {{1, 2, 3, 4}, 1, 0},  // the identity
      {{1, 1, 5, 5}, 2, 3},  // gaps between windows
  };
  return cases;
}

// --- gradient checks ------------------------------------------------------------------------

void check_conv2d(DType dt) {
  uint64_t seed = 1000;
  for (const ConvCase& c : conv_cases()) {
    const Conv2dParams p = c.p;
    std::vector<Tensor> in = {leaf(c.x, seed++), leaf(c.w, seed++)};
    if (c.bias) in.push_back(leaf({c.w[0]}, seed++));
    gradcheck("conv2d " + describe(c.x, c.w, p, c.bias),
              [p](const std::vector<Tensor>& v) { return conv2d(v[0], v[1], v.size() > 2 ? v[2] : Tensor(), p); }, in,
              dt);
  }
  // Only some inputs wanting a gradient: the others must not be computed, nor required.
  Tensor x = random_input({2, 2, 5, 5}, 1100), w = leaf({3, 2, 3, 3}, 1101), b = random_input({3}, 1102);
  gradcheck("conv2d weight only", [](const std::vector<Tensor>& v) { return conv2d(v[0], v[1], v[2], params(1, 1, 1, 1)); },
            {x, w, b}, dt);
  gradcheck("conv2d input only",
            [](const std::vector<Tensor>& v) { return conv2d(v[0], v[1], Tensor(), params(2, 2, 1, 1)); },
            {leaf({1, 2, 5, 5}, 1103), random_input({3, 2, 3, 3}, 1104)}, dt);
  // Several chunks of images, some short, whether one or two threads share the batch.
  WorkspaceLimit small(4 * (2 * 9 + 3) * 25 * sizeof(double));
  gradcheck("conv2d chunked batch",
            [](const std::vector<Tensor>& v) { return conv2d(v[0], v[1], v[2], params(1, 1, 1, 1)); },
            {leaf({5, 2, 5, 5}, 1105), leaf({3, 2, 3, 3}, 1106), leaf({3}, 1107)}, dt);
}

void check_conv_transpose2d(DType dt) {
  uint64_t seed = 2000;
  for (const ConvCase& c : conv_transpose_cases()) {
    const Conv2dParams p = c.p;
    std::vector<Tensor> in = {leaf(c.x, seed++), leaf(c.w, seed++)};
    if (c.bias) in.push_back(leaf({c.w[1]}, seed++));
    gradcheck("conv_transpose2d " + describe(c.x, c.w, p, c.bias),
              [p](const std::vector<Tensor>& v) {
                return conv_transpose2d(v[0], v[1], v.size() > 2 ? v[2] : Tensor(), p);
              },
              in, dt);
  }
  gradcheck("conv_transpose2d bias only",
            [](const std::vector<Tensor>& v) { return conv_transpose2d(v[0], v[1], v[2], params(2, 2, 1, 1)); },
            {random_input({2, 2, 2, 2}, 2100), random_input({2, 3, 4, 4}, 2101), leaf({3}, 2102)}, dt);
  WorkspaceLimit small(4 * (3 * 16 + 2) * 9 * sizeof(double));
  gradcheck("conv_transpose2d chunked batch",
            [](const std::vector<Tensor>& v) { return conv_transpose2d(v[0], v[1], v[2], params(2, 2, 1, 1)); },
            {leaf({5, 2, 3, 3}, 2103), leaf({2, 3, 4, 4}, 2104), leaf({3}, 2105)}, dt);
}

void check_max_pool2d(DType dt) {
  uint64_t seed = 3000;
  for (const PoolCase& c : pool_cases()) {
    const int k = c.kernel, s = c.stride;
    gradcheck("max_pool2d " + c.x.str() + " kernel " + std::to_string(k) + " stride " + std::to_string(s),
              [k, s](const std::vector<Tensor>& v) { return max_pool2d(v[0], k, s); }, {distinct_leaf(c.x, seed++)},
              dt);
  }
}

}  // namespace

AAFGAN_GRADCHECK_CASES("conv2d", check_conv2d)
AAFGAN_GRADCHECK_CASES("conv_transpose2d", check_conv_transpose2d)
AAFGAN_GRADCHECK_CASES("max_pool2d", check_max_pool2d)

// --- forward values -----------------------------------------------------------------------------

TEST_CASE("conv2d forward matches a direct loop") {
  uint64_t seed = 4000;
  for (const ConvCase& c : conv_cases()) {
    const Tensor x = random_input(c.x, seed++), w = random_input(c.w, seed++);
    const Tensor b = c.bias ? random_input({c.w[0]}, seed++) : Tensor();
    const Tensor want = naive_conv2d(x, w, b, c.p);
    const std::string what = "conv2d " + describe(c.x, c.w, c.p, c.bias);
    check_close(what + " f64", conv2d(x, w, b, c.p), want, 1e-12, 1e-12);
    check_close(what + " f32", conv2d(x.to(DType::f32), w.to(DType::f32), c.bias ? b.to(DType::f32) : Tensor(), c.p),
                want, 1e-4, 1e-5);
  }
}

TEST_CASE("conv_transpose2d forward matches a direct loop") {
  uint64_t seed = 5000;
  for (const ConvCase& c : conv_transpose_cases()) {
    const Tensor x = random_input(c.x, seed++), w = random_input(c.w, seed++);
    const Tensor b = c.bias ? random_input({c.w[1]}, seed++) : Tensor();
    const Tensor want = naive_conv_transpose2d(x, w, b, c.p);
    const std::string what = "conv_transpose2d " + describe(c.x, c.w, c.p, c.bias);
    check_close(what + " f64", conv_transpose2d(x, w, b, c.p), want, 1e-12, 1e-12);
    check_close(what + " f32",
                conv_transpose2d(x.to(DType::f32), w.to(DType::f32), c.bias ? b.to(DType::f32) : Tensor(), c.p), want,
                1e-4, 1e-5);
  }
}

TEST_CASE("max_pool2d forward matches a direct loop") {
  uint64_t seed = 6000;
  for (const PoolCase& c : pool_cases()) {
    const Tensor x = random_input(c.x, seed++);
    const int s = c.stride == 0 ? c.kernel : c.stride;
    const Tensor want = naive_max_pool2d(x, c.kernel, s);
    check_close("max_pool2d " + c.x.str(), max_pool2d(x, c.kernel, c.stride), want, 0, 0);
    check_close("max_pool2d f32 " + c.x.str(), max_pool2d(x.to(DType::f32), c.kernel, c.stride), want.to(DType::f32),
                0, 0);
  }
}

TEST_CASE("max_pool2d sends the gradient of a tie to the first maximum") {
  Tensor x = Tensor::from_vector({1, 1, 2, 4}, {1, 3, 5, 5, 3, 2, 5, 0}, DType::f64);
  x.set_requires_grad(true);
  autograd::backward(sum(max_pool2d(x, 2)));
  CHECK(x.grad().to_vector() == std::vector<double>{0, 1, 1, 0, 0, 0, 0, 0});
}

TEST_CASE("conv forward and backward agree across workspace chunkings") {
  // One image per GEMM, a few (the last chunk short), and as many as the columns target allows:
  // the same numbers every time.
  const Tensor x0 = random_input({7, 3, 6, 5}, 7000), w0 = random_input({4, 3, 3, 3}, 7001), b0 = random_input({4}, 7002);
  const Tensor t0 = random_input({7, 3, 4, 3}, 7003), tw0 = random_input({3, 2, 4, 4}, 7004);
  const size_t per_image = (27 + 4) * 30 * sizeof(double);  // conv: (C·k·k + Cout)·OH·OW
  const Conv2dParams p = params(1, 1, 1, 1), tp = params(2, 2, 1, 1, 1, 0);
  std::vector<std::vector<double>> ref;
  for (size_t limit : {size_t(1), 6 * per_image, size_t(1) << 30}) {
    WorkspaceLimit scope(limit);
    Tensor x = x0.clone(), w = w0.clone(), b = b0.clone(), t = t0.clone(), tw = tw0.clone();
    for (Tensor* v : {&x, &w, &b, &t, &tw}) v->set_requires_grad(true);
    const Tensor y = conv2d(x, w, b, p), u = conv_transpose2d(t, tw, Tensor(), tp);
    check_close("chunked conv2d", y, naive_conv2d(x0, w0, b0, p), 1e-12, 1e-12);
    check_close("chunked conv_transpose2d", u, naive_conv_transpose2d(t0, tw0, Tensor(), tp), 1e-12, 1e-12);
    autograd::backward(sum(y * y) + sum(u * u));
    const std::vector<std::vector<double>> got = {x.grad().to_vector(), w.grad().to_vector(), b.grad().to_vector(),
                                                  t.grad().to_vector(), tw.grad().to_vector()};
    if (ref.empty()) {
      ref = got;
      continue;
    }
    for (size_t k = 0; k < got.size(); ++k)
      for (size_t i = 0; i < got[k].size(); ++i)
        REQUIRE_MESSAGE(std::fabs(got[k][i] - ref[k][i]) <= 1e-10 * (1 + std::fabs(ref[k][i])),
                        "gradient " << k << "[" << i << "] differs at workspace limit " << limit);
  }
}

TEST_CASE("conv results do not depend on how many threads share the batch") {
  // 1 thread, an even split and an uneven one (7 images over 3 threads), with and without chunks.
  const Tensor x0 = random_input({7, 2, 5, 4}, 7050), w0 = random_input({3, 2, 3, 3}, 7051);
  const Tensor t0 = random_input({7, 3, 3, 2}, 7052), tw0 = random_input({3, 2, 4, 4}, 7053);
  const Conv2dParams p = params(1, 1, 1, 1), tp = params(2, 2, 1, 1);
  const int saved_threads = omp_get_max_threads();
  std::vector<std::vector<double>> ref;
  for (int threads : {1, 2, 3}) {
    for (size_t limit : {size_t(1), size_t(1) << 30}) {
      omp_set_num_threads(threads);
      WorkspaceLimit scope(limit);
      Tensor x = x0.clone(), w = w0.clone(), t = t0.clone(), tw = tw0.clone();
      for (Tensor* v : {&x, &w, &t, &tw}) v->set_requires_grad(true);
      const Tensor y = conv2d(x, w, Tensor(), p), u = conv_transpose2d(t, tw, Tensor(), tp);
      autograd::backward(sum(y * y) + sum(u * u));
      omp_set_num_threads(saved_threads);
      check_close("threaded conv2d", y, naive_conv2d(x0, w0, Tensor(), p), 1e-12, 1e-12);
      check_close("threaded conv_transpose2d", u, naive_conv_transpose2d(t0, tw0, Tensor(), tp), 1e-12, 1e-12);
      const std::vector<std::vector<double>> got = {x.grad().to_vector(), w.grad().to_vector(), t.grad().to_vector(),
                                                    tw.grad().to_vector()};
      if (ref.empty()) ref = got;
      for (size_t k = 0; k < got.size(); ++k)
        for (size_t i = 0; i < got[k].size(); ++i)
          REQUIRE_MESSAGE(std::fabs(got[k][i] - ref[k][i]) <= 1e-10 * (1 + std::fabs(ref[k][i])),
                          "gradient " << k << "[" << i << "] differs with " << threads << " threads, limit " << limit);
    }
  }
}

TEST_CASE("conv_transpose2d is the adjoint of conv2d") {
  // <conv2d(x, w), y> = <x, conv_transpose2d(y, w)> for the same weight.
  const Conv2dParams p = params(2, 2, 1, 1);
  const Tensor x = random_input({2, 3, 8, 8}, 7100), w = random_input({5, 3, 4, 4}, 7101);
  const Tensor y = random_input({2, 5, 4, 4}, 7102);
  const double lhs = sum(conv2d(x, w, Tensor(), p) * y).item();
  const double rhs = sum(x * conv_transpose2d(y, w, Tensor(), p)).item();
  CHECK(lhs == doctest::Approx(rhs).epsilon(1e-12));
}

TEST_CASE("conv and pool ops record nothing without grad") {
  const Tensor x = random_input({1, 2, 4, 4}, 7200), w = random_input({3, 2, 3, 3}, 7201);
  autograd::clear_tape();
  CHECK_FALSE(conv2d(x, w, Tensor(), params(1, 1, 1, 1)).requires_grad());
  CHECK_FALSE(max_pool2d(x, 2).requires_grad());
  Tensor xg = x.clone();
  xg.set_requires_grad(true);
  {
    autograd::NoGradGuard no_grad;
    CHECK_FALSE(conv_transpose2d(xg, random_input({2, 3, 3, 3}, 7202), Tensor(), params(1, 1, 1, 1)).requires_grad());
    CHECK_FALSE(max_pool2d(xg, 2).requires_grad());
  }
  CHECK(autograd::tape_size() == 0);
}

// --- errors ------------------------------------------------------------------------------------------

TEST_CASE("conv and pool ops reject bad shapes") {
  const Tensor x = random_input({2, 3, 8, 8}, 1), w = random_input({4, 3, 3, 3}, 2);
  const Conv2dParams p = params(1, 1, 1, 1);
  expect_error("conv2d 3-d input", [&] { conv2d(random_input({3, 8, 8}, 3), w, Tensor(), p); }, "conv2d");
  expect_error("conv2d 2-d weight", [&] { conv2d(x, random_input({4, 27}, 3), Tensor(), p); }, "conv2d");
  expect_error("conv2d channels", [&] { conv2d(x, random_input({4, 2, 3, 3}, 3), Tensor(), p); }, "channels");
  expect_error("conv2d bias", [&] { conv2d(x, w, random_input({3}, 3), p); }, "bias");
  expect_error("conv2d dtype", [&] { conv2d(x.to(DType::f32), w, Tensor(), p); }, "conv2d");
  expect_error("conv2d bias dtype", [&] { conv2d(x, w, random_input({4}, 3).to(DType::f32), p); }, "conv2d");
  expect_error("conv2d kernel too large", [&] { conv2d(random_input({1, 3, 2, 2}, 3), w, Tensor(), params(1, 1, 0, 0)); },
               "larger");
  expect_error("conv2d stride 0", [&] { conv2d(x, w, Tensor(), params(0, 1, 1, 1)); }, "stride");
  expect_error("conv2d negative pad", [&] { conv2d(x, w, Tensor(), params(1, 1, -1, 0)); }, "padding");
  expect_error("conv2d output_pad", [&] { conv2d(x, w, Tensor(), params(2, 2, 1, 1, 1, 1)); }, "output_pad");

  const Tensor tw = random_input({3, 5, 4, 4}, 4);  // [Cin, Cout, k, k]
  const Conv2dParams tp = params(2, 2, 1, 1);
  expect_error("conv_transpose2d conv layout", [&] { conv_transpose2d(x, random_input({5, 3, 4, 4}, 5), Tensor(), tp); },
               "channels");
  expect_error("conv_transpose2d bias", [&] { conv_transpose2d(x, tw, random_input({3}, 5), tp); }, "bias");
  expect_error("conv_transpose2d output_pad", [&] { conv_transpose2d(x, tw, Tensor(), params(2, 2, 1, 1, 2, 0)); },
               "output_pad");
  expect_error("conv_transpose2d empty output",
               [&] { conv_transpose2d(random_input({1, 3, 1, 1}, 5), random_input({3, 2, 1, 1}, 6), Tensor(), tp); },
               "empty output");
  expect_error("conv_transpose2d 5-d input", [&] { conv_transpose2d(random_input({1, 1, 3, 8, 8}, 5), tw, Tensor(), tp); },
               "conv_transpose2d");

  expect_error("max_pool2d kernel too large", [&] { max_pool2d(random_input({1, 1, 3, 5}, 7), 4); }, "max_pool2d");
  expect_error("max_pool2d kernel 0", [&] { max_pool2d(x, 0); }, "kernel");
  expect_error("max_pool2d negative stride", [&] { max_pool2d(x, 2, -1); }, "stride");
  expect_error("max_pool2d 3-d input", [&] { max_pool2d(random_input({3, 8, 8}, 7), 2); }, "max_pool2d");

  Generator gen(1);
  expect_error("ConvTranspose2d output_pad", [&] { nn::ConvTranspose2d(4, 2, 4, 2, 1, gen, true, DType::f32, 2); },
               "output_pad");
  expect_error("Conv2d stride 0", [&] { nn::Conv2d(4, 2, 3, 0, 1, gen); }, "stride");
}

// --- layers ------------------------------------------------------------------------------------------

TEST_CASE("conv layers: shapes, parameters and PyTorch's default init") {
  Generator gen(42);
  nn::Conv2d down(3, 8, 4, 2, 1, gen);
  CHECK(down.weight.shape() == Shape{8, 3, 4, 4});
  CHECK(down.bias.shape() == Shape{8});
  CHECK(down.named_parameters().size() == 2);
  CHECK(down(randn({2, 3, 16, 12}, gen)).shape() == Shape{2, 8, 8, 6});

  nn::ConvTranspose2d up(8, 4, 4, 2, 1, gen, false, DType::f64, 1);
  CHECK(up.weight.shape() == Shape{8, 4, 4, 4});
  CHECK_FALSE(up.bias.defined());
  CHECK(up.named_parameters().size() == 1);
  CHECK(up.weight.dtype() == DType::f64);
  CHECK(up(randn({1, 8, 3, 5}, gen, DType::f64)).shape() == Shape{1, 4, 7, 11});

  nn::ConvTranspose2d first(16, 32, 4, 1, 0, gen);
  CHECK(first(randn({2, 16, 1, 1}, gen)).shape() == Shape{2, 32, 4, 4});

  nn::MaxPool2d pool(2);
  CHECK(pool(randn({2, 3, 9, 8}, gen)).shape() == Shape{2, 3, 4, 4});

  // Bounds 1/√(in·k·k) for Conv2d and 1/√(out·k·k) for ConvTranspose2d, both filled nearly to the edge.
  // (The few bias values cannot be expected to reach near the edge.)
  const auto check_bound = [](const Tensor& t, double bound, bool filled) {
    const std::vector<double> v = t.to_vector();
    double lo = 0, hi = 0;
    for (double e : v) {
      lo = std::min(lo, e);
      hi = std::max(hi, e);
    }
    CHECK(hi <= bound);
    CHECK(lo >= -bound);
    if (filled) {
      CHECK(hi > 0.9 * bound);
      CHECK(lo < -0.9 * bound);
    }
  };
  check_bound(down.weight, 1.0 / std::sqrt(3.0 * 16), true);
  check_bound(down.bias, 1.0 / std::sqrt(3.0 * 16), false);
  check_bound(first.weight, 1.0 / std::sqrt(32.0 * 16), true);
  check_bound(first.bias, 1.0 / std::sqrt(32.0 * 16), false);
  CHECK(nn::init::fan_in(first.weight) == 32 * 16);
}
