// Forward values and gradients against PyTorch (tests/fixtures/torch_reference.json, written
// by tools/make_fixtures.py). The f64 runs must agree to rounding; f32 to f32 accuracy.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <map>

#include <nlohmann/json.hpp>

#include "engine/autograd.h"
#include "engine/ops.h"
#include "engine/optim/adam.h"

using namespace aafgan;
using nlohmann::json;

namespace {

const json& fixtures() {
  static const json cases = [] {
    const std::string path = std::string(AAFGAN_FIXTURES_DIR) + "/torch_reference.json";
    std::ifstream in(path);
    REQUIRE_MESSAGE(in.good(), "cannot open " << path);
    return json::parse(in).at("cases");
  }();
  return cases;
}

Tensor tensor_of(const json& j, DType dt) {
  const std::vector<int64_t> shape = j.at("shape").get<std::vector<int64_t>>();
  return Tensor::from_vector(Shape(shape), j.at("data").get<std::vector<double>>(), dt);
}

double tolerance(DType dt) { return dt == DType::f64 ? 1e-10 : 2e-5; }

void check_close(const std::string& what, const Tensor& got, const json& want, DType dt) {
  const std::vector<double> w = want.at("data").get<std::vector<double>>();
  REQUIRE_MESSAGE(got.shape() == Shape(want.at("shape").get<std::vector<int64_t>>()),
                  what << ": shape " << got.shape().str());
  const std::vector<double> g = got.to_vector();
  double scale = 1;
  for (double v : w) scale = std::max(scale, std::fabs(v));
  int bad = 0;
  for (size_t i = 0; i < w.size(); ++i)
    if (std::fabs(g[i] - w[i]) > tolerance(dt) * scale && bad++ < 3)
      FAIL_CHECK(what << " (" << std::string(dtype_name(dt)) << ") [" << i << "]: " << g[i] << " vs PyTorch " << w[i]);
  CHECK_MESSAGE(bad == 0, what << ": " << bad << " elements differ from PyTorch");
}

using CaseFn = std::function<Tensor(std::map<std::string, Tensor>&, const json&)>;

// Runs a case's forward on its stored inputs, then backward of sum(y ⊙ proj), and compares
// the output and every input's gradient with PyTorch's.
void run_case(const std::string& name, const CaseFn& fn,
              const std::vector<DType>& dtypes = {DType::f64, DType::f32}) {
  const json& c = fixtures().at(name);
  for (DType dt : dtypes) {
    std::map<std::string, Tensor> in;
    for (auto& [k, v] : c.at("inputs").items()) {
      in[k] = tensor_of(v, dt);
      in[k].set_requires_grad(c.contains("grads"));
    }
    Tensor y = fn(in, c);
    check_close(name + " output", y, c.at("output"), dt);
    if (!c.contains("grads")) continue;
    autograd::backward(sum(mul(y, tensor_of(c.at("proj"), dt))));
    for (auto& [k, v] : c.at("grads").items()) check_close(name + " grad " + k, in[k].grad(), v, dt);
  }
}

Tensor opt(std::map<std::string, Tensor>& in, const char* k) { return in.count(k) ? in[k] : Tensor(); }

Conv2dParams conv_params(const json& c) {
  Conv2dParams p;
  p.stride_h = p.stride_w = c.at("stride").get<int>();
  p.pad_h = p.pad_w = c.at("pad").get<int>();
  if (c.contains("output_pad")) p.output_pad_h = p.output_pad_w = c.at("output_pad").get<int>();
  return p;
}

}  // namespace

TEST_CASE("pytorch fixture: linear") {
  run_case("linear", [](auto& in, const json&) { return linear(in["x"], in["w"], in["b"]); });
}

TEST_CASE("pytorch fixture: conv2d") {
  for (const char* name : {"conv2d_k3s2p1", "conv2d_k4s2p1_nobias", "conv2d_k4s1p0_nobias"})
    run_case(name, [](auto& in, const json& c) { return conv2d(in["x"], in["w"], opt(in, "b"), conv_params(c)); });
}

TEST_CASE("pytorch fixture: conv_transpose2d") {
  for (const char* name : {"conv_transpose2d_k4s2p1", "conv_transpose2d_k4s1p0_nobias", "conv_transpose2d_k3s2p1_opad1"})
    run_case(name,
             [](auto& in, const json& c) { return conv_transpose2d(in["x"], in["w"], opt(in, "b"), conv_params(c)); });
}

TEST_CASE("pytorch fixture: batch_norm training updates running statistics like PyTorch") {
  for (DType dt : {DType::f64, DType::f32}) {
    const json& c = fixtures().at("batch_norm_train");
    Tensor rm = tensor_of(c.at("running_mean_before"), dt), rv = tensor_of(c.at("running_var_before"), dt);
    autograd::NoGradGuard no_grad;
    batch_norm(tensor_of(c.at("inputs").at("x"), dt), tensor_of(c.at("inputs").at("w"), dt),
               tensor_of(c.at("inputs").at("b"), dt), rm, rv, true, 0.1, 1e-5);
    check_close("running_mean", rm, c.at("running_mean_after"), dt);
    check_close("running_var", rv, c.at("running_var_after"), dt);
  }
}

TEST_CASE("pytorch fixture: batch_norm") {
  run_case("batch_norm_train", [](auto& in, const json& c) {
    Tensor rm = tensor_of(c.at("running_mean_before"), in["x"].dtype());
    Tensor rv = tensor_of(c.at("running_var_before"), in["x"].dtype());
    return batch_norm(in["x"], in["w"], in["b"], rm, rv, true, 0.1, 1e-5);
  });
  run_case("batch_norm_eval", [](auto& in, const json& c) {
    Tensor rm = tensor_of(c.at("running_mean"), in["x"].dtype());
    Tensor rv = tensor_of(c.at("running_var"), in["x"].dtype());
    return batch_norm(in["x"], in["w"], in["b"], rm, rv, false, 0.1, 1e-5);
  });
}

TEST_CASE("pytorch fixture: binary_cross_entropy with clamped logs") {
  // f64 only: its inputs (1e-50, 1 − 1e-9) round to 0 and 1 in f32, which changes the loss.
  run_case("bce", [](auto& in, const json&) { return binary_cross_entropy(in["p"], in["target"]); }, {DType::f64});
  run_case("bce_grad", [](auto& in, const json&) { return binary_cross_entropy(in["p"], in["target"]); });
}

TEST_CASE("pytorch fixture: max_pool2d and log_softmax + nll_loss") {
  run_case("max_pool2d", [](auto& in, const json&) { return max_pool2d(in["x"], 2); });
  run_case("log_softmax_nll", [](auto& in, const json& c) {
    std::vector<double> labels;
    for (int l : c.at("labels")) labels.push_back(l);
    return nll_loss(log_softmax(in["x"]),
                    Tensor::from_vector({static_cast<int64_t>(labels.size())}, labels, in["x"].dtype()));
  });
}

TEST_CASE("pytorch fixture: 10-step Adam trajectory") {
  for (auto [key, dt] : {std::pair{"adam_f64", DType::f64}, std::pair{"adam_f32", DType::f32}}) {
    const json& c = fixtures().at(key);
    Tensor p = tensor_of(c.at("p0"), dt);
    p.set_requires_grad(true);
    const Tensor a = tensor_of(c.at("a"), dt), w = tensor_of(c.at("c"), dt);
    optim::AdamOptions o;
    o.lr = 0.01;
    o.beta1 = 0.5;
    optim::Adam adam({p}, o);
    const double tol = dt == DType::f64 ? 1e-12 : 1e-5;
    int step = 0;
    for (const json& want : c.at("trajectory")) {
      adam.zero_grad();
      const Tensor d = p - a;
      autograd::backward(sum(w * d * d) + sum(p * p * p) / 10.0);
      adam.step();
      ++step;
      const std::vector<double> got = p.to_vector(), exp = want.get<std::vector<double>>();
      for (size_t i = 0; i < exp.size(); ++i)
        CHECK_MESSAGE(std::fabs(got[i] - exp[i]) <= tol, key << " step " << step << " [" << i << "] " << got[i]
                                                              << " vs PyTorch " << exp[i]);
    }
  }
}
