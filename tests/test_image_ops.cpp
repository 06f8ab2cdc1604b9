// The image ops of engine/ops/image_ops.h and max_pool2d's padding: gradient checks, forward
// values and gradients against PyTorch (tests/fixtures/image_ops_reference.json, written by
// tools/make_fid_fixture.py), and the errors.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/test_helpers.h"
#include "engine/ops/image_ops.h"
#include "tests/gradcheck.h"

using namespace aafgan;
using aafgan::testing::distinct_leaf;
using aafgan::testing::expect_error;
using aafgan::testing::gradcheck;
using aafgan::testing::leaf;
using nlohmann::json;

namespace {



// --- gradient checks ------------------------------------------------------------------------

void check_avg_pool2d(DType dt) {
  struct Case {
    Shape x;
    int k, s, p;
    bool include;
  };
  uint64_t seed = 4000;
  for (const Case& c : {Case{{2, 2, 5, 6}, 3, 1, 1, false}, Case{{1, 2, 5, 4}, 3, 1, 1, true},
                        Case{{1, 1, 7, 6}, 3, 2, 1, false}, Case{{2, 1, 6, 5}, 2, 0, 0, true},
                        Case{{1, 1, 7, 8}, 4, 3, 2, false}, Case{{1, 2, 3, 3}, 3, 1, 0, true}}) {
    const int k = c.k, s = c.s, p = c.p;
    const bool inc = c.include;
    gradcheck("avg_pool2d " + c.x.str() + " k" + std::to_string(k) + " s" + std::to_string(s) + " p" +
                  std::to_string(p) + (inc ? " include_pad" : " exclude_pad"),
              [k, s, p, inc](const std::vector<Tensor>& v) { return avg_pool2d(v[0], k, s, p, inc); },
              {leaf(c.x, seed++)}, dt);
  }
}

void check_global_avg_pool2d(DType dt) {
  gradcheck("global_avg_pool2d [2,3,4,5]", [](const std::vector<Tensor>& v) { return global_avg_pool2d(v[0]); },
            {leaf({2, 3, 4, 5}, 4100)}, dt);
  gradcheck("global_avg_pool2d [1,2,1,1]", [](const std::vector<Tensor>& v) { return global_avg_pool2d(v[0]); },
            {leaf({1, 2, 1, 1}, 4101)}, dt);
}

void check_interpolate_bilinear(DType dt) {
  struct Case {
    Shape x;
    int64_t h, w;
  };
  uint64_t seed = 4200;
  for (const Case& c : {Case{{2, 2, 4, 5}, 9, 7}, Case{{1, 2, 9, 8}, 4, 3}, Case{{1, 1, 5, 3}, 2, 11},
                        Case{{1, 1, 3, 4}, 3, 4}, Case{{1, 1, 1, 2}, 3, 5}, Case{{1, 1, 4, 4}, 1, 1}}) {
    const int64_t h = c.h, w = c.w;
    gradcheck("interpolate_bilinear " + c.x.str() + " to " + std::to_string(h) + "x" + std::to_string(w),
              [h, w](const std::vector<Tensor>& v) { return interpolate_bilinear(v[0], h, w); }, {leaf(c.x, seed++)},
              dt);
  }
}

void check_max_pool2d_padded(DType dt) {
  struct Case {
    Shape x;
    int k, s, p;
  };
  uint64_t seed = 4300;
  for (const Case& c : {Case{{2, 2, 5, 6}, 3, 1, 1}, Case{{1, 2, 7, 6}, 3, 2, 1}, Case{{1, 1, 5, 5}, 2, 2, 1},
                        Case{{1, 1, 2, 3}, 5, 1, 2}}) {
    const int k = c.k, s = c.s, p = c.p;
    gradcheck("max_pool2d padded " + c.x.str() + " k" + std::to_string(k) + " s" + std::to_string(s) + " p" +
                  std::to_string(p),
              [k, s, p](const std::vector<Tensor>& v) { return max_pool2d(v[0], k, s, p); }, {distinct_leaf(c.x, seed++)},
              dt);
  }
}

// --- PyTorch fixtures -------------------------------------------------------------------------

const json& fixtures() {
  static const json cases = [] {
    const std::string path = std::string(AAFGAN_FIXTURES_DIR) + "/image_ops_reference.json";
    std::ifstream in(path);
    REQUIRE_MESSAGE(in.good(), "cannot open " << path);
    return json::parse(in).at("cases");
  }();
  return cases;
}

Tensor tensor_of(const json& j, DType dt) {
  return Tensor::from_vector(Shape(j.at("shape").get<std::vector<int64_t>>()), j.at("data").get<std::vector<double>>(),
                             dt);
}

void check_close(const std::string& what, const Tensor& got, const json& want, DType dt) {
  const std::vector<double> w = want.at("data").get<std::vector<double>>();
  REQUIRE_MESSAGE(got.shape() == Shape(want.at("shape").get<std::vector<int64_t>>()), what << ": shape " << got.str());
  const std::vector<double> g = got.to_vector();
  double scale = 1;
  for (double v : w) scale = std::max(scale, std::fabs(v));
  const double tol = dt == DType::f64 ? 1e-12 : 2e-6;
  int bad = 0;
  for (size_t i = 0; i < w.size(); ++i)
    if (std::fabs(g[i] - w[i]) > tol * scale && bad++ < 3)
      FAIL_CHECK(what << " (" << std::string(dtype_name(dt)) << ") [" << i << "]: " << g[i] << " vs PyTorch " << w[i]);
  CHECK_MESSAGE(bad == 0, what << ": " << bad << " elements differ from PyTorch");
}

// Forward on the stored input, backward of sum(y ⊙ proj), both compared with PyTorch's.
void run_case(const std::string& name, const std::function<Tensor(const Tensor&, const json&)>& fn) {
  const json& c = fixtures().at(name);
  for (DType dt : {DType::f64, DType::f32}) {
    Tensor x = tensor_of(c.at("inputs").at("x"), dt);
    x.set_requires_grad(true);
    Tensor y = fn(x, c);
    check_close(name + " output", y, c.at("output"), dt);
    autograd::backward(sum(mul(y, tensor_of(c.at("proj"), dt))));
    check_close(name + " grad", x.grad(), c.at("grads").at("x"), dt);
  }
}

}  // namespace

AAFGAN_GRADCHECK_CASES("avg_pool2d", check_avg_pool2d)
AAFGAN_GRADCHECK_CASES("global_avg_pool2d", check_global_avg_pool2d)
AAFGAN_GRADCHECK_CASES("interpolate_bilinear", check_interpolate_bilinear)
AAFGAN_GRADCHECK_CASES("max_pool2d with padding", check_max_pool2d_padded)

TEST_CASE("image ops: bilinear interpolation matches PyTorch align_corners False") {
  for (const char* name : {"interpolate_up", "interpolate_down", "interpolate_mixed", "interpolate_same",
                           "interpolate_to_299"})
    run_case(name, [](const Tensor& x, const json& c) {
      const auto size = c.at("size").get<std::vector<int64_t>>();
      return interpolate_bilinear(x, size[0], size[1]);
    });
}

TEST_CASE("image ops: avg_pool2d matches PyTorch with and without count_include_pad") {
  for (const char* name : {"avg_pool_k3s1p1_excl", "avg_pool_k3s1p1_incl", "avg_pool_k3s2p1_excl", "avg_pool_k2s2p0",
                           "avg_pool_k4s3p2_excl"})
    run_case(name, [](const Tensor& x, const json& c) {
      return avg_pool2d(x, c.at("kernel").get<int>(), c.at("stride").get<int>(), c.at("pad").get<int>(),
                        c.at("count_include_pad").get<bool>());
    });
}

TEST_CASE("image ops: padded max_pool2d and the global average pool match PyTorch") {
  for (const char* name : {"max_pool_k3s1p1", "max_pool_k3s2p1", "max_pool_k2s2p1"})
    run_case(name, [](const Tensor& x, const json& c) {
      return max_pool2d(x, c.at("kernel").get<int>(), c.at("stride").get<int>(), c.at("pad").get<int>());
    });
  run_case("global_avg_pool", [](const Tensor& x, const json&) { return global_avg_pool2d(x); });
}

TEST_CASE("image ops: padded cells never win a max window even when every input is negative") {
  const Tensor x = Tensor::full({1, 1, 2, 2}, -5.0, DType::f64);
  const std::vector<double> y = max_pool2d(x, 3, 1, 1).to_vector();
  REQUIRE(y.size() == 4);
  for (double v : y) CHECK(v == -5.0);
  // The average without padding is the plain mean of the covered cells; with it, diluted by 9.
  const Tensor ones = Tensor::ones({1, 1, 3, 3}, DType::f64);
  CHECK(avg_pool2d(ones, 3, 1, 1, false).to_vector() == std::vector<double>(9, 1.0));
  CHECK(avg_pool2d(ones, 3, 1, 1, true).to_vector()[0] == doctest::Approx(4.0 / 9.0));
}

TEST_CASE("image ops: recorded only when asked and no tape under NoGradGuard") {
  Tensor x = leaf({1, 2, 4, 4}, 4400);
  autograd::clear_tape();
  {
    autograd::NoGradGuard no_grad;
    avg_pool2d(x, 3, 1, 1, false);
    global_avg_pool2d(x);
    interpolate_bilinear(x, 7, 7);
    max_pool2d(x, 3, 1, 1);
  }
  CHECK(autograd::tape_size() == 0);
  const Tensor y = interpolate_bilinear(x, 7, 7);
  CHECK(y.requires_grad());
  CHECK(autograd::tape_size() == 1);
  autograd::clear_tape();
}

TEST_CASE("image ops: bad arguments are readable errors") {
  const Tensor x = Tensor::zeros({1, 1, 4, 4});
  expect_error("avg pad", [&] { avg_pool2d(x, 3, 1, 2); }, "padding 2 must be in [0, kernel/2]");
  expect_error("avg rank", [&] { avg_pool2d(Tensor::zeros({4, 4}), 2); }, "must be [N, C, H, W]");
  expect_error("avg kernel", [&] { avg_pool2d(x, 6, 1, 0); }, "kernel 6x6 is larger than input");
  expect_error("max pad", [&] { max_pool2d(x, 2, 2, 2); }, "padding 2 must be in [0, kernel/2]");
  expect_error("max kernel", [&] { max_pool2d(x, 7, 1, 1); }, "is larger than input");
  expect_error("interp size", [&] { interpolate_bilinear(x, 0, 3); }, "output size 0x3 must be positive");
  expect_error("interp rank", [&] { interpolate_bilinear(Tensor::zeros({2, 3, 4}), 3, 3); }, "must be [N, C, H, W]");
  expect_error("global rank", [&] { global_avg_pool2d(Tensor::zeros({2, 3})); }, "must be [N, C, H, W]");
}
