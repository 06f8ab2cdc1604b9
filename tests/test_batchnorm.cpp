// batch_norm: gradients through the batch statistics, running-statistics updates, eval mode,
// the BatchNorm2d layer and its errors.
#include <cmath>

#include "engine/nn/batchnorm.h"
#include "tests/gradcheck.h"

using namespace aafgan;
using aafgan::testing::gradcheck;
using aafgan::testing::leaf;
using aafgan::testing::random_input;

namespace {

// Training mode with fresh running buffers at every call: the harness evaluates the op many
// times, and each call would otherwise drift the statistics (harmless here, but confusing).
Tensor bn_train(const std::vector<Tensor>& v) {
  const int64_t c = v[0].size(1);
  Tensor rm = Tensor::zeros(Shape{c}, v[0].dtype());
  Tensor rv = Tensor::ones(Shape{c}, v[0].dtype());
  return batch_norm(v[0], v[1], v[2], rm, rv, true, 0.1, 1e-5);
}

void check_training(DType dt) {
  // Odd sizes, a 1×1 spatial map, N·H·W = 2 (the smallest allowed), and the [N, C] form.
  const std::vector<Shape> shapes = {{3, 5, 2, 3}, {4, 2, 1, 1}, {2, 3, 1, 1}, {1, 2, 3, 1}, {6, 4}, {2, 3}};
  uint64_t seed = 201;
  for (const Shape& s : shapes) {
    const Shape ch{s[1]};
    gradcheck("batch_norm training " + s.str(), bn_train, {leaf(s, seed), leaf(ch, seed + 1, 0.5, 1.5), leaf(ch, seed + 2)},
              dt);
    seed += 3;
  }
  gradcheck("batch_norm training no affine",
            [](const std::vector<Tensor>& v) { return bn_train({v[0], Tensor(), Tensor()}); }, {leaf({3, 4, 2, 2}, 221)},
            dt);
  gradcheck("batch_norm training weight only",
            [](const std::vector<Tensor>& v) { return bn_train({v[0], v[1], Tensor()}); },
            {leaf({5, 3}, 222), leaf({3}, 223, -1.5, 1.5)}, dt);
  // Gradients into the affine parameters alone, with x a constant.
  gradcheck("batch_norm training params only", bn_train,
            {random_input({3, 2, 2, 2}, 224), leaf({2}, 225), leaf({2}, 226)}, dt);
}

void check_eval(DType dt) {
  const std::vector<Shape> shapes = {{3, 5, 2, 3}, {1, 2, 1, 1}, {6, 4}};
  uint64_t seed = 301;
  for (const Shape& s : shapes) {
    const Shape ch{s[1]};
    const Tensor rm0 = random_input(ch, seed + 3, -0.5, 0.5);
    const Tensor rv0 = random_input(ch, seed + 4, 0.3, 2.0);
    auto fn = [rm0, rv0](const std::vector<Tensor>& v) {
      Tensor rm = rm0.to(v[0].dtype()), rv = rv0.to(v[0].dtype());
      return batch_norm(v[0], v[1], v[2], rm, rv, false, 0.1, 1e-5);
    };
    gradcheck("batch_norm eval " + s.str(), fn, {leaf(s, seed), leaf(ch, seed + 1, 0.5, 1.5), leaf(ch, seed + 2)}, dt);
    gradcheck("batch_norm eval no affine " + s.str(),
              [fn](const std::vector<Tensor>& v) { return fn({v[0], Tensor(), Tensor()}); }, {leaf(s, seed + 5)}, dt);
    seed += 6;
  }
}

// x [2, 2, 1, 2]: channel 0 holds {1, 2, 3, 6}, channel 1 holds {0, 0, 0, 4}.
Tensor hand_input(DType dt) { return Tensor::from_vector({2, 2, 1, 2}, {1, 2, 0, 0, 3, 6, 0, 4}, dt); }

}  // namespace

AAFGAN_GRADCHECK_CASES("batch_norm training", check_training)
AAFGAN_GRADCHECK_CASES("batch_norm eval", check_eval)

TEST_CASE("batch_norm running statistics after one training step") {
  for (DType dt : {DType::f64, DType::f32}) {
    CAPTURE(dtype_name(dt));
    const double tol = dt == DType::f64 ? 1e-12 : 1e-6;
    Tensor rm = Tensor::zeros({2}, dt), rv = Tensor::ones({2}, dt);
    const Tensor y = batch_norm(hand_input(dt), Tensor(), Tensor(), rm, rv, true, 0.1, 1e-5);
    // Channel 0: mean 3, Σ(x − mean)² = 14 → biased var 3.5, unbiased 14/3.
    // Channel 1: mean 1, Σ(x − mean)² = 12 → biased var 3, unbiased 4.
    const std::vector<double> m = rm.to_vector(), v = rv.to_vector();
    CHECK(m[0] == doctest::Approx(0.3).epsilon(tol));
    CHECK(m[1] == doctest::Approx(0.1).epsilon(tol));
    CHECK(v[0] == doctest::Approx(0.9 + 0.1 * 14.0 / 3.0).epsilon(tol));
    CHECK(v[1] == doctest::Approx(0.9 + 0.1 * 4.0).epsilon(tol));
    // The output uses the biased variance.
    const std::vector<double> out = y.to_vector();
    const double s0 = 1.0 / std::sqrt(3.5 + 1e-5), s1 = 1.0 / std::sqrt(3.0 + 1e-5);
    const std::vector<double> want = {-2 * s0, -1 * s0, -1 * s1, -1 * s1, 0 * s0, 3 * s0, -1 * s1, 3 * s1};
    for (size_t i = 0; i < want.size(); ++i) CHECK(out[i] == doctest::Approx(want[i]).epsilon(tol));

    // A custom momentum blends the same way.
    Tensor rm2 = Tensor::full({2}, 1.0, dt), rv2 = Tensor::full({2}, 2.0, dt);
    batch_norm(hand_input(dt), Tensor(), Tensor(), rm2, rv2, true, 0.25, 1e-5);
    CHECK(rm2.to_vector()[0] == doctest::Approx(0.75 * 1.0 + 0.25 * 3.0).epsilon(tol));
    CHECK(rv2.to_vector()[1] == doctest::Approx(0.75 * 2.0 + 0.25 * 4.0).epsilon(tol));
  }
}

TEST_CASE("batch_norm eval mode uses the running statistics and leaves them alone") {
  for (DType dt : {DType::f64, DType::f32}) {
    CAPTURE(dtype_name(dt));
    const double tol = dt == DType::f64 ? 1e-12 : 1e-6;
    Tensor rm = Tensor::zeros({2}, dt), rv = Tensor::ones({2}, dt);
    batch_norm(hand_input(dt), Tensor(), Tensor(), rm, rv, true, 0.1, 1e-5);  // rm {0.3, 0.1}, rv {1.3667, 1.3}
    const std::vector<double> m = rm.to_vector(), v = rv.to_vector();
    const Tensor w = Tensor::from_vector({2}, {2.0, -0.5}, dt), b = Tensor::from_vector({2}, {0.25, 1.0}, dt);
    const Tensor x = hand_input(dt);
    const Tensor y = batch_norm(x, w, b, rm, rv, false, 0.1, 1e-5);
    CHECK(rm.to_vector() == m);
    CHECK(rv.to_vector() == v);
    const std::vector<double> xv = x.to_vector(), yv = y.to_vector(), wv = w.to_vector(), bv = b.to_vector();
    for (size_t i = 0; i < xv.size(); ++i) {
      const size_t c = (i / 2) % 2;
      const double want = (xv[i] - m[c]) / std::sqrt(v[c] + 1e-5) * wv[c] + bv[c];
      CHECK(yv[i] == doctest::Approx(want).epsilon(tol));
    }
  }
}

TEST_CASE("batch_norm training output has zero mean and unit variance per channel") {
  // The first case is exactly the OpenMP grain, so channels run on threads; the second puts
  // the mean far from zero, where f32 sums would lose it without double accumulation.
  struct Case {
    Shape shape;
    double offset;
    DType dt;
  };
  for (const Case& k : {Case{{16, 8, 16, 16}, 0.0, DType::f32}, Case{{7, 3, 5, 3}, 1000.0, DType::f32},
                        Case{{9, 4}, -3.0, DType::f64}}) {
    CAPTURE(k.shape.str());
    Tensor x = (random_input(k.shape, 401, -1.0, 1.0) + k.offset).to(k.dt);
    Tensor rm = Tensor::zeros({k.shape[1]}, k.dt), rv = Tensor::ones({k.shape[1]}, k.dt);
    const Tensor y = batch_norm(x, Tensor(), Tensor(), rm, rv, true, 0.1, 1e-5);
    const std::vector<double> yv = y.to_vector();
    const int64_t n = k.shape[0], c = k.shape[1], s = k.shape.numel() / (n * c);
    for (int64_t ch = 0; ch < c; ++ch) {
      double sum = 0, sq = 0;
      for (int64_t b = 0; b < n; ++b)
        for (int64_t i = 0; i < s; ++i) {
          const double val = yv[static_cast<size_t>((b * c + ch) * s + i)];
          sum += val;
          sq += val * val;
        }
      const double mean = sum / static_cast<double>(n * s);
      CHECK(std::fabs(mean) < 1e-4);
      CHECK(sq / static_cast<double>(n * s) - mean * mean == doctest::Approx(1.0).epsilon(1e-3));
    }
  }
}

TEST_CASE("batch_norm training backward on a large batch satisfies the closed-form identities") {
  // Too big to gradcheck element by element, but big enough to run on threads: the gradient
  // wrt x must be orthogonal to 1 and to x̂ in every channel, and gb = Σg, gw = Σg·x̂.
  const Shape shape{16, 8, 16, 16};
  const int64_t n = 16, c = 8, s = 256;
  Tensor x = random_input(shape, 501, -2.0, 3.0).to(DType::f32);
  x.set_requires_grad(true);
  Tensor w = Tensor::from_vector({8}, {1, 2, -1, 0.5, 3, 1, 1, 0.25}, DType::f32);
  w.set_requires_grad(true);
  Tensor b = Tensor::zeros({8}, DType::f32);
  b.set_requires_grad(true);
  Tensor rm = Tensor::zeros({c}, DType::f32), rv = Tensor::ones({c}, DType::f32);
  Tensor y = batch_norm(x, w, b, rm, rv, true, 0.1, 1e-5);
  const Tensor g = random_input(shape, 502).to(DType::f32);
  autograd::backward(sum(mul(y, g)));
  CHECK(!rm.requires_grad());

  Tensor xhat;
  {
    autograd::NoGradGuard no_grad;
    Tensor rm2 = Tensor::zeros({c}, DType::f32), rv2 = Tensor::ones({c}, DType::f32);
    xhat = batch_norm(x.detach(), Tensor(), Tensor(), rm2, rv2, true, 0.1, 1e-5);
  }
  const std::vector<double> gx = x.grad().to_vector(), gw = w.grad().to_vector(), gb = b.grad().to_vector();
  const std::vector<double> gv = g.to_vector(), xh = xhat.to_vector();
  for (int64_t ch = 0; ch < c; ++ch) {
    double sum_gx = 0, sum_gx_xhat = 0, sum_g = 0, sum_g_xhat = 0, sum_abs = 0;
    for (int64_t bi = 0; bi < n; ++bi)
      for (int64_t i = 0; i < s; ++i) {
        const size_t j = static_cast<size_t>((bi * c + ch) * s + i);
        sum_gx += gx[j];
        sum_gx_xhat += gx[j] * xh[j];
        sum_g += gv[j];
        sum_g_xhat += gv[j] * xh[j];
        sum_abs += std::fabs(gx[j]);
      }
    CAPTURE(ch);
    CHECK(sum_abs > 1e-3);
    CHECK(std::fabs(sum_gx) < 1e-4 * sum_abs);
    CHECK(std::fabs(sum_gx_xhat) < 1e-4 * sum_abs);
    CHECK(gb[static_cast<size_t>(ch)] == doctest::Approx(sum_g).epsilon(1e-4));
    CHECK(gw[static_cast<size_t>(ch)] == doctest::Approx(sum_g_xhat).epsilon(1e-4));
  }
}

TEST_CASE("BatchNorm2d registers its parameters and buffers and switches mode") {
  nn::BatchNorm2d bn(3);
  const nn::NamedTensors params = bn.named_parameters(), buffers = bn.named_buffers();
  REQUIRE(params.size() == 2);
  REQUIRE(buffers.size() == 2);
  CHECK(params[0].first == "weight");
  CHECK(params[1].first == "bias");
  CHECK(buffers[0].first == "running_mean");
  CHECK(buffers[1].first == "running_var");
  CHECK(params[0].second.same_storage(bn.weight));
  CHECK(buffers[1].second.same_storage(bn.running_var));
  CHECK(bn.weight.requires_grad());
  CHECK(!bn.running_mean.requires_grad());
  CHECK(bn.weight.to_vector() == std::vector<double>{1, 1, 1});
  CHECK(bn.bias.to_vector() == std::vector<double>{0, 0, 0});
  CHECK(bn.running_mean.to_vector() == std::vector<double>{0, 0, 0});
  CHECK(bn.running_var.to_vector() == std::vector<double>{1, 1, 1});
  CHECK(bn.weight.dtype() == DType::f32);
  CHECK(nn::BatchNorm2d(2, 1e-5, 0.1, DType::f64).running_var.dtype() == DType::f64);

  // Train mode moves the buffers in place (the registered handles see it); eval does not.
  const Tensor x = random_input({4, 3, 2, 2}, 601, 1.0, 3.0).to(DType::f32);
  bn(x);
  const std::vector<double> after_train = buffers[0].second.to_vector();
  for (double v : after_train) CHECK(v > 0.1);
  bn.eval();
  CHECK(!bn.training());
  const Tensor y = bn(x);
  CHECK(bn.running_mean.to_vector() == after_train);
  // With weight 1 and bias 0, eval output is (x − running_mean)/√(running_var + eps).
  const std::vector<double> xv = x.to_vector(), yv = y.to_vector(), rv = bn.running_var.to_vector();
  CHECK(yv[0] == doctest::Approx((xv[0] - after_train[0]) / std::sqrt(rv[0] + 1e-5)).epsilon(1e-5));
  autograd::clear_tape();
}

TEST_CASE("batch_norm rejects wrong shapes and dtypes") {
  const Tensor x = Tensor::zeros({4, 3, 2, 2});
  const Tensor w3 = Tensor::ones({3}), w2 = Tensor::ones({2});
  Tensor rm = Tensor::zeros({3}), rv = Tensor::ones({3});
  Tensor rm2 = Tensor::zeros({2}), rv2 = Tensor::ones({2});
  Tensor none;
  CHECK_THROWS_AS(batch_norm(Tensor::zeros({4, 3, 2}), w3, w3, rm, rv, true), Error);
  CHECK_THROWS_AS(batch_norm(Tensor::zeros({4}), Tensor(), Tensor(), rm, rv, true), Error);
  CHECK_THROWS_AS(batch_norm(x, w2, w3, rm, rv, true), Error);
  CHECK_THROWS_AS(batch_norm(x, w3, Tensor::ones({3, 1}), rm, rv, true), Error);
  CHECK_THROWS_AS(batch_norm(x, w3, w3, rm2, rv2, true), Error);
  CHECK_THROWS_AS(batch_norm(x, w3, w3, rm, rv2, false), Error);
  CHECK_THROWS_AS(batch_norm(x, Tensor::ones({3}, DType::f64), w3, rm, rv, true), Error);
  CHECK_THROWS_AS(batch_norm(x, w3, w3, rm, none, true), Error);
  CHECK_THROWS_AS(batch_norm(x, w3, w3, none, none, false), Error);
  // One value per channel: no batch variance to speak of.
  CHECK_THROWS_AS(batch_norm(Tensor::zeros({1, 3, 1, 1}), w3, w3, rm, rv, true), Error);
  CHECK_THROWS_AS(batch_norm(Tensor::zeros({1, 3}), w3, w3, rm, rv, true), Error);
  CHECK_NOTHROW(batch_norm(Tensor::zeros({1, 3}), w3, w3, rm, rv, false));
  // Untracked statistics are allowed in training.
  CHECK_NOTHROW(batch_norm(x, w3, w3, none, none, true));
  try {
    batch_norm(x, w2, w3, rm, rv, true);
  } catch (const Error& e) {
    const std::string msg = e.what();
    CHECK(msg.find("batch_norm") != std::string::npos);
    CHECK(msg.find("[4,3,2,2]") != std::string::npos);
  }

  nn::BatchNorm2d bn(3);
  CHECK_THROWS_AS(bn(Tensor::zeros({4, 3})), Error);
  CHECK_THROWS_AS(bn(Tensor::zeros({4, 5, 2, 2})), Error);
  CHECK_THROWS_AS(nn::BatchNorm2d(0), Error);
}
