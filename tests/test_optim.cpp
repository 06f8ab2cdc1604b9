// Optimizers against hand-computed updates, the skipping of frozen and gradient-less
// parameters, learning-rate schedules, and exact resumption through state()/load_state().
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "engine/autograd.h"
#include "engine/ops.h"
#include "engine/optim/adadelta.h"
#include "engine/optim/adam.h"
#include "engine/optim/scheduler.h"
#include "engine/optim/sgd.h"

using namespace aafgan;
using namespace aafgan::optim;

namespace {

Tensor param(const std::vector<double>& values, DType dt = DType::f64) {
  Tensor p = Tensor::from_vector(Shape{static_cast<int64_t>(values.size())}, values, dt);
  p.set_requires_grad(true);
  return p;
}

// Gives p exactly the gradient g, through the tape as training does: d/dp sum(p ⊙ g) = g.
void set_grad(Tensor p, const std::vector<double>& g) {
  p.zero_grad();
  autograd::backward(sum(mul(p, Tensor::from_vector(p.shape(), g, p.dtype()))));
}

bool bit_identical(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() && std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

void check_close(const Tensor& t, const std::vector<double>& expected, double tol) {
  const std::vector<double> got = t.to_vector();
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i << ": got " << got[i] << ", expected " << expected[i]);
    CHECK(std::abs(got[i] - expected[i]) <= tol);
  }
}

const Tensor* find(const nn::NamedTensors& state, const std::string& name) {
  for (const auto& [n, t] : state)
    if (n == name) return &t;
  return nullptr;
}

// Textbook Adam (bias-corrected moments), algebraically equal to PyTorch's arrangement.
struct AdamReference {
  AdamOptions o;
  std::vector<double> p, m, v;
  int t = 0;
  void step(const std::vector<double>& grad) {
    ++t;
    for (size_t i = 0; i < p.size(); ++i) {
      const double g = grad[i] + o.weight_decay * p[i];
      m[i] = o.beta1 * m[i] + (1 - o.beta1) * g;
      v[i] = o.beta2 * v[i] + (1 - o.beta2) * g * g;
      const double m_hat = m[i] / (1 - std::pow(o.beta1, t));
      const double v_hat = v[i] / (1 - std::pow(o.beta2, t));
      p[i] -= o.lr * m_hat / (std::sqrt(v_hat) + o.eps);
    }
  }
};

const std::vector<double> kP0 = {0.5, -1.25, 2.0, 0.0};
const std::vector<std::vector<double>> kGrads = {
    {0.1, -0.3, 2.5, 1e-3}, {-0.2, 0.05, 1.5, -4.0}, {0.3, 0.3, -0.7, 0.2}};

}  // namespace

TEST_CASE("optim: Adam matches a hand-computed two-step update (f64)") {
  AdamOptions o;
  o.lr = 0.1;
  o.weight_decay = 0.01;
  Tensor p = param(kP0);
  Adam adam({p}, o);
  AdamReference ref{o, kP0, std::vector<double>(4, 0.0), std::vector<double>(4, 0.0)};
  const double* before = p.data<double>();
  for (int s = 0; s < 2; ++s) {
    set_grad(p, kGrads[s]);
    adam.step();
    ref.step(kGrads[s]);
    check_close(p, ref.p, 1e-12);
  }
  CHECK(p.data<double>() == before);  // updated in place, never rebound
  CHECK(adam.step_count() == 2);
  CHECK(autograd::tape_size() == 0);  // the step recorded nothing
}

TEST_CASE("optim: Adam's first step moves each element by lr against the gradient's sign") {
  // With m̂ = g and v̂ = g², the first update is lr·g/(|g| + eps): the classic sanity check.
  Tensor p = param(kP0);
  Adam adam({p}, AdamOptions{0.01});
  set_grad(p, kGrads[0]);
  adam.step();
  for (size_t i = 0; i < kP0.size(); ++i) {
    const double g = kGrads[0][i];
    CHECK(p.to_vector()[i] == doctest::Approx(kP0[i] - 0.01 * g / (std::abs(g) + 1e-8)).epsilon(1e-12));
  }
}

TEST_CASE("optim: Adam in f32 follows the f64 update within float precision") {
  AdamOptions o;
  o.lr = 0.05;
  Tensor p = param(kP0, DType::f32);
  Adam adam({p}, o);
  AdamReference ref{o, kP0, std::vector<double>(4, 0.0), std::vector<double>(4, 0.0)};
  for (const auto& g : kGrads) {
    set_grad(p, g);
    adam.step();
    ref.step(g);
  }
  CHECK(p.dtype() == DType::f32);
  check_close(p, ref.p, 1e-5);
}

TEST_CASE("optim: frozen and gradient-less parameters stay bit-identical under Adam SGD and Adadelta") {
  for (int kind = 0; kind < 3; ++kind) {
    CAPTURE(kind);
    Tensor moving = param({1.0, -2.0, 3.0});
    Tensor frozen = param({0.25, 0.5, -0.75});
    Tensor no_grad = param({4.0, 5.0, 6.0});
    const Tensor frozen0 = frozen.clone(), no_grad0 = no_grad.clone(), moving0 = moving.clone();
    const std::vector<Tensor> params = {moving, frozen, no_grad};
    std::unique_ptr<Optimizer> opt;
    // Weight decay would move every parameter it touched, even with a zero gradient.
    if (kind == 0) opt = std::make_unique<Adam>(params, AdamOptions{0.1, 0.9, 0.999, 1e-8, 0.5});
    if (kind == 1) opt = std::make_unique<SGD>(params, SgdOptions{0.1, 0.9, 0, 0.5});
    if (kind == 2) opt = std::make_unique<Adadelta>(params, AdadeltaOptions{1.0, 0.9, 1e-6, 0.5});
    // The frozen parameter takes part in the loss but, frozen, receives no gradient.
    frozen.set_requires_grad(false);
    for (int s = 0; s < 3; ++s) {
      opt->zero_grad();
      autograd::backward(sum(mul(moving, frozen)));
      CHECK(!frozen.grad().defined());
      CHECK(!no_grad.grad().defined());
      opt->step();
    }
    CHECK(bit_identical(frozen, frozen0));
    CHECK(bit_identical(no_grad, no_grad0));
    CHECK_FALSE(bit_identical(moving, moving0));
    const nn::NamedTensors st = opt->state();
    CHECK(find(st, "0.step")->item() == 3);
    CHECK(find(st, "1.step")->item() == 0);
    CHECK(find(st, "2.step")->item() == 0);
    for (const auto& [name, t] : st) {
      INFO(name);
      CHECK((name.rfind("1.", 0) != 0 || name == "1.step"));
      CHECK((name.rfind("2.", 0) != 0 || name == "2.step"));
    }
  }
}

TEST_CASE("optim: a parameter whose gradient was dropped by zero_grad is skipped") {
  Tensor a = param({1.0, 2.0});
  Tensor b = param({3.0, 4.0});
  SGD sgd({a, b}, SgdOptions{0.5});
  set_grad(a, {1.0, 1.0});
  set_grad(b, {1.0, 1.0});
  b.zero_grad();
  sgd.step();
  check_close(a, {0.5, 1.5}, 0);
  check_close(b, {3.0, 4.0}, 0);
}

TEST_CASE("optim: SGD with momentum dampening and weight decay matches hand-computed steps") {
  for (bool nesterov : {false, true}) {
    CAPTURE(nesterov);
    SgdOptions o;
    o.lr = 0.1;
    o.momentum = 0.9;
    o.dampening = nesterov ? 0.0 : 0.25;
    o.weight_decay = 0.01;
    o.nesterov = nesterov;
    Tensor p = param(kP0);
    SGD sgd({p}, o);
    std::vector<double> ref = kP0, buf(kP0.size());
    for (size_t s = 0; s < kGrads.size(); ++s) {
      set_grad(p, kGrads[s]);
      sgd.step();
      for (size_t i = 0; i < ref.size(); ++i) {
        const double g = kGrads[s][i] + o.weight_decay * ref[i];
        // PyTorch starts the buffer at the first gradient itself, without dampening.
        buf[i] = s == 0 ? g : o.momentum * buf[i] + (1 - o.dampening) * g;
        ref[i] -= o.lr * (nesterov ? g + o.momentum * buf[i] : buf[i]);
      }
      check_close(p, ref, 1e-14);
      check_close(*find(sgd.state(), "0.momentum_buffer"), buf, 1e-14);
    }
  }
}

TEST_CASE("optim: plain SGD is p -= lr * g and keeps no momentum buffer") {
  Tensor p = param({1.0, -1.0}, DType::f32);
  SGD sgd({p}, SgdOptions{0.5});
  set_grad(p, {0.5, -2.0});
  sgd.step();
  check_close(p, {0.75, 0.0}, 0);
  CHECK(find(sgd.state(), "0.momentum_buffer") == nullptr);
  CHECK_THROWS_AS(SGD({p}, SgdOptions{0.1, 0.0, 0.0, 0.0, true}), Error);  // Nesterov needs momentum
}

TEST_CASE("optim: Adadelta matches hand-computed steps") {
  AdadeltaOptions o;
  o.lr = 0.5;
  o.rho = 0.8;
  o.eps = 1e-6;
  o.weight_decay = 0.05;
  Tensor p = param(kP0);
  Adadelta ada({p}, o);
  std::vector<double> ref = kP0, sq(kP0.size()), acc(kP0.size());
  for (const auto& grad : kGrads) {
    set_grad(p, grad);
    ada.step();
    for (size_t i = 0; i < ref.size(); ++i) {
      const double g = grad[i] + o.weight_decay * ref[i];
      sq[i] = o.rho * sq[i] + (1 - o.rho) * g * g;
      const double delta = std::sqrt(acc[i] + o.eps) / std::sqrt(sq[i] + o.eps) * g;
      acc[i] = o.rho * acc[i] + (1 - o.rho) * delta * delta;
      ref[i] -= o.lr * delta;
    }
    check_close(p, ref, 1e-13);
  }
  const nn::NamedTensors st = ada.state();
  check_close(*find(st, "0.square_avg"), sq, 1e-13);
  check_close(*find(st, "0.acc_delta"), acc, 1e-13);
}

TEST_CASE("optim: StepLR sequence and set_last_epoch") {
  Tensor p = param({1.0});
  SGD sgd({p}, SgdOptions{0.8});
  StepLR sched(sgd, 3, 0.5);
  const std::vector<double> expected = {0.8, 0.8, 0.8, 0.4, 0.4, 0.4, 0.2, 0.2, 0.2, 0.1};
  CHECK(sgd.lr() == expected[0]);
  for (int e = 1; e < static_cast<int>(expected.size()); ++e) {
    sched.step();
    CHECK(sched.last_epoch() == e);
    CHECK(sgd.lr() == expected[e]);
  }
  sched.set_last_epoch(4);
  CHECK(sgd.lr() == 0.4);
  sched.step();
  CHECK(sched.last_epoch() == 5);
  CHECK(sgd.lr() == 0.4);
  sched.step();
  CHECK(sgd.lr() == 0.2);
  CHECK_THROWS_AS(StepLR(sgd, 0, 0.5), Error);
}

namespace {

// A loss whose gradient depends on the parameters (2·c⊙p), so resumed runs must restore both.
void quadratic_grad(Tensor p, uint64_t step) {
  p.zero_grad();
  std::vector<double> c(static_cast<size_t>(p.numel()));
  for (size_t i = 0; i < c.size(); ++i) c[i] = 0.5 + 0.1 * static_cast<double>((i + step) % 5);
  autograd::backward(sum(mul(mul(p, p), Tensor::from_vector(p.shape(), c, p.dtype()))));
}

template <typename Opt, typename Options>
void check_resume(const Options& o, DType dt) {
  Tensor a = param(kP0, dt);
  Tensor frozen_a = param({7.0, 8.0}, dt);
  Opt first({a, frozen_a}, o);
  for (uint64_t s = 0; s < 4; ++s) {
    quadratic_grad(a, s);
    first.step();
  }
  // A second optimizer over a copy of the parameters, restored mid-run from the first's state.
  Tensor b = a.clone();
  b.set_requires_grad(true);
  Tensor frozen_b = frozen_a.clone();
  frozen_b.set_requires_grad(true);
  Opt second({b, frozen_b}, o);
  second.set_lr(123.0);  // must be overwritten by the restored lr
  second.load_state(first.state());
  CHECK(second.lr() == first.lr());
  CHECK(second.step_count() == first.step_count());
  for (uint64_t s = 4; s < 10; ++s) {
    quadratic_grad(a, s);
    first.step();
    quadratic_grad(b, s);
    second.step();
  }
  CHECK(bit_identical(a, b));
  // The state snapshots agree entry for entry.
  const nn::NamedTensors sa = first.state(), sb = second.state();
  REQUIRE(sa.size() == sb.size());
  for (size_t i = 0; i < sa.size(); ++i) {
    CHECK(sa[i].first == sb[i].first);
    CHECK(bit_identical(sa[i].second, sb[i].second));
  }
}

}  // namespace

TEST_CASE("optim: Adam state()/load_state() round trip resumes bit-identically") {
  AdamOptions o;
  o.lr = 0.05;
  o.weight_decay = 0.01;
  check_resume<Adam>(o, DType::f64);
  check_resume<Adam>(o, DType::f32);
}

TEST_CASE("optim: SGD and Adadelta state()/load_state() round trips resume bit-identically") {
  check_resume<SGD>(SgdOptions{0.05, 0.9, 0.1, 0.01}, DType::f32);
  check_resume<Adadelta>(AdadeltaOptions{1.0, 0.9, 1e-6, 0.01}, DType::f64);
}

TEST_CASE("optim: Adam state() names and load_state() errors") {
  Tensor p = param({1.0, 2.0, 3.0});
  Adam adam({p}, AdamOptions{0.1});
  set_grad(p, {1.0, 1.0, 1.0});
  adam.step();
  const nn::NamedTensors st = adam.state();
  std::vector<std::string> names;
  for (const auto& [n, t] : st) names.push_back(n);
  CHECK(names == std::vector<std::string>{"lr", "step", "0.step", "0.exp_avg", "0.exp_avg_sq"});
  CHECK(find(st, "lr")->dtype() == DType::f64);
  CHECK(find(st, "0.step")->item() == 1);
  // The snapshot is a copy: stepping again does not change it.
  const std::vector<double> m1 = find(st, "0.exp_avg")->to_vector();
  adam.step();
  CHECK(find(st, "0.exp_avg")->to_vector() == m1);

  Adam other({param({0.0, 0.0, 0.0})}, AdamOptions{0.1});
  auto without = [&](const std::string& drop) {
    nn::NamedTensors s;
    for (const auto& e : st)
      if (e.first != drop) s.push_back(e);
    return s;
  };
  CHECK_THROWS_WITH_AS(other.load_state(without("0.exp_avg_sq")), doctest::Contains("0.exp_avg_sq"), Error);
  CHECK_THROWS_WITH_AS(other.load_state(without("lr")), doctest::Contains("'lr'"), Error);
  nn::NamedTensors extra = st;
  extra.emplace_back("1.exp_avg", Tensor::zeros({3}, DType::f64));
  CHECK_THROWS_WITH_AS(other.load_state(extra), doctest::Contains("unknown entry '1.exp_avg'"), Error);
  nn::NamedTensors bad_shape = without("0.exp_avg");
  bad_shape.emplace_back("0.exp_avg", Tensor::zeros({4}, DType::f64));
  CHECK_THROWS_WITH_AS(other.load_state(bad_shape), doctest::Contains("0.exp_avg"), Error);
  // A failed load changes nothing.
  CHECK(other.step_count() == 0);
  CHECK(find(other.state(), "0.exp_avg") == nullptr);
  // An SGD state is not an Adam state.
  Tensor q = param({1.0, 2.0, 3.0});
  SGD sgd({q}, SgdOptions{0.1, 0.9});
  set_grad(q, {1.0, 1.0, 1.0});
  sgd.step();
  CHECK_THROWS_AS(other.load_state(sgd.state()), Error);
}

TEST_CASE("optim: optimizer construction rejects bad parameters and options") {
  Tensor p = param({1.0});
  CHECK_THROWS_AS(Adam({}, AdamOptions{}), Error);
  CHECK_THROWS_AS(Adam({p, p}, AdamOptions{}), Error);
  CHECK_THROWS_AS(Adam({p}, AdamOptions{-1.0}), Error);
  CHECK_THROWS_AS(Adam({p}, AdamOptions{1e-3, 1.0}), Error);
  CHECK_THROWS_AS(Adadelta({p}, AdadeltaOptions{1.0, 1.5}), Error);
  Tensor q = param({1.0});
  Tensor not_leaf = mul(q, q);
  CHECK_THROWS_AS(SGD({not_leaf}, SgdOptions{}), Error);
  autograd::clear_tape();
}
