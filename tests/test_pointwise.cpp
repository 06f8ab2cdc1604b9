// Gradient checks and numerics of the elementary maps of engine/ops/pointwise.h.
#include <cmath>
#include <limits>

#include "engine/ops/pointwise.h"
#include "tests/gradcheck.h"

using namespace aafgan;
using aafgan::testing::gradcheck;
using aafgan::testing::leaf;
using aafgan::testing::random_input;

namespace {

// Random magnitudes in [lo, hi] with random signs: inputs kept away from a kink at 0.
Tensor signed_leaf(const Shape& s, uint64_t seed, double lo, double hi) {
  Tensor t = random_input(s, seed, lo, hi);
  const Tensor sign = random_input(s, seed + 1, -1.0, 1.0);
  double* pt = t.data<double>();
  const double* ps = sign.data<double>();
  for (int64_t i = 0; i < t.numel(); ++i) pt[i] *= ps[i] < 0 ? -1.0 : 1.0;
  t.set_requires_grad(true);
  return t;
}

using Unary = Tensor (*)(const Tensor&);

void check_unary(DType dt, const char* name, Unary op, const Tensor& x) {
  gradcheck(name, [op](const std::vector<Tensor>& v) { return op(v[0]); }, {x}, dt);
}

void check_sqrt(DType dt) { check_unary(dt, "sqrt", &aafgan::sqrt, leaf({4, 5}, 401, 0.3, 4.0)); }
void check_exp(DType dt) { check_unary(dt, "exp", &aafgan::exp, leaf({4, 5}, 402, -3.0, 3.0)); }
void check_log(DType dt) { check_unary(dt, "log", &aafgan::log, leaf({4, 5}, 403, 0.3, 4.0)); }
void check_log1p(DType dt) { check_unary(dt, "log1p", &aafgan::log1p, leaf({4, 5}, 404, -0.6, 3.0)); }
void check_abs(DType dt) { check_unary(dt, "abs", &aafgan::abs, signed_leaf({4, 5}, 405, 0.05, 2.0)); }
void check_square(DType dt) { check_unary(dt, "square", &aafgan::square, leaf({4, 5}, 406, -2.0, 2.0)); }

void check_softplus(DType dt) {
  check_unary(dt, "softplus", &aafgan::softplus, leaf({4, 5}, 407, -5.0, 5.0));
  // Both sides of the x > 20 switch and the far tails.
  check_unary(dt, "softplus tails", &aafgan::softplus, signed_leaf({3, 4}, 408, 15.0, 40.0));
}

void check_clamp(DType dt) {
  // Values inside, below and above [−0.5, 0.7], away from the bounds themselves.
  Tensor x = signed_leaf({5, 6}, 409, 0.05, 2.0);
  double* px = x.data<double>();
  for (int64_t i = 0; i < x.numel(); ++i)
    if (std::fabs(px[i] + 0.5) < 0.02 || std::fabs(px[i] - 0.7) < 0.02) px[i] += 0.1;
  gradcheck("clamp", [](const std::vector<Tensor>& v) { return clamp(v[0], -0.5, 0.7); }, {x}, dt);
}

// A composition, as the unfused activation benchmark builds them: ½·sqrt((1 + 2λx)² + 4τ²).
void check_composition(DType dt) {
  gradcheck("composition", [](const std::vector<Tensor>& v) {
    return 0.5 * aafgan::sqrt(square(1.0 + 2.0 * (v[1] * v[0])) + 4.0 * square(v[2]));
  }, {leaf({3, 4}, 410, -2.0, 2.0), leaf({4}, 411, 0.3, 0.7), leaf({4}, 412, -0.4, 0.4)}, dt);
}

}  // namespace

AAFGAN_GRADCHECK_CASES("sqrt", check_sqrt)
AAFGAN_GRADCHECK_CASES("exp", check_exp)
AAFGAN_GRADCHECK_CASES("log", check_log)
AAFGAN_GRADCHECK_CASES("log1p", check_log1p)
AAFGAN_GRADCHECK_CASES("softplus", check_softplus)
AAFGAN_GRADCHECK_CASES("abs", check_abs)
AAFGAN_GRADCHECK_CASES("square", check_square)
AAFGAN_GRADCHECK_CASES("clamp", check_clamp)
AAFGAN_GRADCHECK_CASES("pointwise composition", check_composition)

TEST_CASE("pointwise: softplus is finite in float32 at the extremes, and exact where it switches") {
  const Tensor x = Tensor::from_vector({5}, {-200.0, -30.0, 0.0, 20.5, 200.0}, DType::f32);
  const std::vector<double> y = softplus(x).to_vector();
  for (double v : y) CHECK(std::isfinite(v));
  CHECK(y[0] >= 0.0);
  CHECK(y[2] == doctest::Approx(std::log(2.0)));
  CHECK(y[4] == 200.0);
  // Its gradient (sigmoid) also avoids exp overflow.
  Tensor xl = x.clone();
  xl.set_requires_grad(true);
  autograd::backward(sum(softplus(xl)));
  const std::vector<double> g = xl.grad().to_vector();
  CHECK(g[0] >= 0.0);
  CHECK(g[0] < 1e-30);
  CHECK(g[2] == doctest::Approx(0.5));
  CHECK(g[4] == 1.0);
}

TEST_CASE("pointwise: clamp passes the gradient on its bounds and rejects inverted bounds") {
  Tensor x = Tensor::from_vector({4}, {-1.0, -0.5, 0.7, 2.0}, DType::f64);
  x.set_requires_grad(true);
  const Tensor y = clamp(x, -0.5, 0.7);
  CHECK(y.to_vector() == std::vector<double>{-0.5, -0.5, 0.7, 0.7});
  autograd::backward(sum(y));
  CHECK(x.grad().to_vector() == std::vector<double>{0.0, 1.0, 1.0, 0.0});
  CHECK_THROWS_AS(clamp(x.detach(), 1.0, 0.0), Error);
}

TEST_CASE("pointwise: abs has the zero subgradient at 0") {
  Tensor x = Tensor::from_vector({3}, {-2.0, 0.0, 3.0}, DType::f64);
  x.set_requires_grad(true);
  autograd::backward(sum(aafgan::abs(x)));
  CHECK(x.grad().to_vector() == std::vector<double>{-1.0, 0.0, 1.0});
}
