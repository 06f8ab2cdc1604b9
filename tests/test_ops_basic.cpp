// Gradient checks of the elementwise, reduction, shape, dense and loss ops.
#include "tests/gradcheck.h"

using namespace aafgan;
using aafgan::testing::gradcheck;
using aafgan::testing::leaf;
using aafgan::testing::random_input;

namespace {

void check_binary(DType dt, const char* name, Tensor (*op)(const Tensor&, const Tensor&), double lo = -1.0) {
  // Equal shapes, a per-feature [n] parameter, a [C,H,W] parameter, a middle broadcast and a scalar.
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{3, 5}, {3, 5}}, {{4, 7}, {7}}, {{2, 3, 4, 5}, {3, 4, 5}}, {{2, 3, 4}, {3, 1}}, {{5}, {}}, {{7}, {2, 1}}};
  uint64_t seed = 1;
  for (const auto& [sa, sb] : cases) {
    // Keep divisors away from zero.
    gradcheck(std::string(name) + " " + sa.str() + " by " + sb.str(),
              [op](const std::vector<Tensor>& x) { return op(x[0], x[1]); },
              {leaf(sa, seed++), leaf(sb, seed++, lo, 1.5)}, dt);
  }
}

void check_add(DType dt) { check_binary(dt, "add", &add); }
void check_sub(DType dt) { check_binary(dt, "sub", &sub); }
void check_mul(DType dt) { check_binary(dt, "mul", &mul); }
void check_div(DType dt) { check_binary(dt, "div", &div, 0.5); }

void check_scalar_ops(DType dt) {
  gradcheck("affine", [](const std::vector<Tensor>& x) { return 2.5 - x[0] * 3.0 + 1.0; }, {leaf({4, 3}, 11)}, dt);
  gradcheck("rdiv", [](const std::vector<Tensor>& x) { return 2.0 / x[0]; }, {leaf({5, 3}, 12, 0.5, 2.0)}, dt);
}

void check_sum_mean(DType dt) {
  gradcheck("sum", [](const std::vector<Tensor>& x) { return sum(x[0]); }, {leaf({3, 4, 5}, 21)}, dt);
  gradcheck("mean", [](const std::vector<Tensor>& x) { return mean(x[0]); }, {leaf({7, 3}, 22)}, dt);
  for (int d = -1; d < 3; ++d) {
    gradcheck("sum dim " + std::to_string(d), [d](const std::vector<Tensor>& x) { return sum(x[0], d, d == 1); },
              {leaf({3, 4, 5}, 23)}, dt);
    gradcheck("mean dim " + std::to_string(d), [d](const std::vector<Tensor>& x) { return mean(x[0], d); },
              {leaf({2, 3, 5}, 24)}, dt);
  }
}

void check_reshape(DType dt) {
  gradcheck("reshape", [](const std::vector<Tensor>& x) { return reshape(x[0], {-1, 6}) * x[1]; },
            {leaf({4, 3, 2}, 31), leaf({6}, 32)}, dt);
}

void check_concat(DType dt) {
  gradcheck("concat dim 1", [](const std::vector<Tensor>& x) { return concat({x[0], x[1], x[2]}, 1); },
            {leaf({3, 5}, 41), leaf({3, 2}, 42), leaf({3, 1}, 43)}, dt);
  gradcheck("concat dim 0 4d", [](const std::vector<Tensor>& x) { return concat({x[0], x[1]}, 0); },
            {leaf({1, 2, 3, 3}, 44), leaf({2, 2, 3, 3}, 45)}, dt);
}

void check_linear(DType dt) {
  gradcheck("linear", [](const std::vector<Tensor>& x) { return linear(x[0], x[1], x[2]); },
            {leaf({5, 7}, 51), leaf({3, 7}, 52), leaf({3}, 53)}, dt);
  gradcheck("linear no bias", [](const std::vector<Tensor>& x) { return linear(x[0], x[1], Tensor()); },
            {leaf({1, 4}, 54), leaf({6, 4}, 55)}, dt);
}

void check_matmul(DType dt) {
  gradcheck("matmul", [](const std::vector<Tensor>& x) { return matmul(x[0], x[1]); },
            {leaf({3, 7}, 61), leaf({7, 5}, 62)}, dt);
}

void check_relu(DType dt) {
  // Values kept away from the kink at 0 where the derivative is undefined.
  Tensor x = random_input({4, 9}, 71, 0.05, 1.0);
  Tensor sign = random_input({4, 9}, 72, -1.0, 1.0);
  double* px = x.data<double>();
  const double* ps = sign.data<double>();
  for (int64_t i = 0; i < x.numel(); ++i) px[i] *= ps[i] < 0 ? -1.0 : 1.0;
  x.set_requires_grad(true);
  gradcheck("relu", [](const std::vector<Tensor>& v) { return relu(v[0]); }, {x}, dt);
  gradcheck("leaky_relu", [](const std::vector<Tensor>& v) { return leaky_relu(v[0], 0.2); }, {x}, dt);
}

void check_sigmoid_tanh(DType dt) {
  gradcheck("sigmoid", [](const std::vector<Tensor>& v) { return sigmoid(v[0]); }, {leaf({5, 6}, 81, -6, 6)}, dt);
  gradcheck("tanh", [](const std::vector<Tensor>& v) { return aafgan::tanh(v[0]); }, {leaf({5, 6}, 82, -3, 3)}, dt);
}

void check_dropout(DType dt) {
  gradcheck("dropout", [](const std::vector<Tensor>& v) {
    Generator gen(7);  // the same mask at every evaluation
    return dropout(v[0], 0.3, true, gen);
  }, {leaf({6, 11}, 91)}, dt);
}

void check_bce(DType dt) {
  gradcheck("binary_cross_entropy", [](const std::vector<Tensor>& v) { return binary_cross_entropy(v[0], v[1]); },
            {leaf({7, 1}, 101, 0.05, 0.95), leaf({7, 1}, 102, 0.0, 1.0)}, dt);
}

void check_log_softmax_nll(DType dt) {
  gradcheck("log_softmax", [](const std::vector<Tensor>& v) { return log_softmax(v[0]); }, {leaf({4, 10}, 111, -3, 3)},
            dt);
  const Tensor labels = Tensor::from_vector({4}, {3, 0, 9, 3}, DType::f64);
  gradcheck("nll_loss", [labels](const std::vector<Tensor>& v) { return nll_loss(log_softmax(v[0]), labels.to(v[0].dtype())); },
            {leaf({4, 10}, 112, -3, 3)}, dt);
}

}  // namespace

AAFGAN_GRADCHECK_CASES("add", check_add)
AAFGAN_GRADCHECK_CASES("sub", check_sub)
AAFGAN_GRADCHECK_CASES("mul", check_mul)
AAFGAN_GRADCHECK_CASES("div", check_div)
AAFGAN_GRADCHECK_CASES("scalar arithmetic", check_scalar_ops)
AAFGAN_GRADCHECK_CASES("sum and mean", check_sum_mean)
AAFGAN_GRADCHECK_CASES("reshape", check_reshape)
AAFGAN_GRADCHECK_CASES("concat", check_concat)
AAFGAN_GRADCHECK_CASES("linear", check_linear)
AAFGAN_GRADCHECK_CASES("matmul", check_matmul)
AAFGAN_GRADCHECK_CASES("relu and leaky_relu", check_relu)
AAFGAN_GRADCHECK_CASES("sigmoid and tanh", check_sigmoid_tanh)
AAFGAN_GRADCHECK_CASES("dropout", check_dropout)
AAFGAN_GRADCHECK_CASES("binary_cross_entropy", check_bce)
AAFGAN_GRADCHECK_CASES("log_softmax and nll_loss", check_log_softmax_nll)
