// The tape's semantics: accumulation, no-grad scopes, detach, and the two steps of a GAN
// iteration (gan-protocol.md §3).
#include <doctest/doctest.h>

#include "engine/autograd.h"
#include "engine/nn/layers.h"
#include "engine/ops.h"

using namespace aafgan;

namespace {
Tensor param(const Shape& s, const std::vector<double>& v) {
  Tensor t = Tensor::from_vector(s, v, DType::f64);
  t.set_requires_grad(true);
  return t;
}
}  // namespace

TEST_CASE("autograd: a value used twice accumulates both paths") {
  Tensor x = param({2}, {3.0, -2.0});
  Tensor y = sum(x * x + x * 3.0);  // dy/dx = 2x + 3
  autograd::backward(y);
  CHECK(x.grad().to_vector() == std::vector<double>{9.0, -1.0});
  CHECK(autograd::tape_size() == 0);
}

TEST_CASE("autograd: leaf gradients accumulate across backward calls until zero_grad") {
  Tensor x = param({1}, {2.0});
  autograd::backward(sum(x * 5.0));
  autograd::backward(sum(x * 5.0));
  CHECK(x.grad().item() == doctest::Approx(10.0));
  x.zero_grad();
  CHECK_FALSE(x.grad().defined());
}

TEST_CASE("autograd: no-grad scope records nothing and outputs need no gradient") {
  Tensor x = param({3}, {1, 2, 3});
  {
    autograd::NoGradGuard guard;
    Tensor y = x * 2.0;
    CHECK_FALSE(y.requires_grad());
    CHECK(autograd::tape_size() == 0);
  }
  CHECK(autograd::grad_enabled());
}

TEST_CASE("autograd: detach shares storage and stops the gradient") {
  Tensor x = param({2}, {1, 2});
  Tensor h = x * 3.0;
  Tensor d = h.detach();
  CHECK(d.same_storage(h));
  CHECK_FALSE(d.requires_grad());
  Tensor loss = sum(d * x);  // only the direct path to x remains
  autograd::backward(loss);
  CHECK(x.grad().to_vector() == std::vector<double>{3.0, 6.0});
}

TEST_CASE("autograd: backward errors are clear") {
  Tensor x = param({2}, {1, 2});
  CHECK_THROWS_AS(autograd::backward(x * 2.0), Error);  // not a scalar
  autograd::clear_tape();
  Tensor c = Tensor::ones({1}, DType::f64);
  CHECK_THROWS_AS(autograd::backward(sum(c)), Error);  // nothing requires a gradient
}

TEST_CASE("autograd: requires_grad cannot be switched on an op's output") {
  Tensor x = param({2}, {1, 2});
  Tensor y = x * 2.0;
  CHECK_THROWS_AS(y.set_requires_grad(false), Error);
  autograd::clear_tape();
}

TEST_CASE("autograd: GAN iteration - D step leaves G untouched, G step reaches G through D") {
  Generator gen(42);
  auto g_net = std::make_shared<nn::Sequential>();
  g_net->add(std::make_shared<nn::Linear>(4, 8, gen, true, DType::f64)).add(nn::Tanh());
  auto d_net = std::make_shared<nn::Sequential>();
  d_net->add(std::make_shared<nn::Linear>(8, 1, gen, true, DType::f64)).add(nn::Sigmoid());

  Tensor real = randn({5, 8}, gen, DType::f64);
  Tensor z = randn({5, 4}, gen, DType::f64);

  // D step: the fake batch is detached, so only D's parameters receive gradients.
  d_net->zero_grad();
  g_net->zero_grad();
  Tensor p_real = d_net->forward(real);
  Tensor fake = g_net->forward(z);
  Tensor p_fake = d_net->forward(fake.detach());
  Tensor d_loss = binary_cross_entropy(p_real, Tensor::full(p_real.shape(), 0.9, DType::f64)) +
                  binary_cross_entropy(p_fake, Tensor::zeros(p_fake.shape(), DType::f64));
  autograd::backward(d_loss);
  for (auto& p : d_net->parameters()) CHECK(p.grad().defined());
  for (auto& p : g_net->parameters()) CHECK_FALSE(p.grad().defined());
  // The discarded G forward stays recorded until cleared; a fresh step starts clean.
  autograd::clear_tape();

  // G step: the gradient flows through D into G.
  g_net->zero_grad();
  Tensor p = d_net->forward(g_net->forward(z));
  autograd::backward(binary_cross_entropy(p, Tensor::full(p.shape(), 0.9, DType::f64)));
  for (auto& q : g_net->parameters()) {
    REQUIRE(q.grad().defined());
    double norm = 0;
    for (double v : q.grad().to_vector()) norm += v * v;
    CHECK(norm > 0);
  }
}
