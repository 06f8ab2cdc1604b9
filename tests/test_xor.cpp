// End to end through the tape: a 2-layer MLP must learn XOR.
#include <doctest/doctest.h>

#include "engine/autograd.h"
#include "engine/nn/layers.h"
#include "engine/optim/adam.h"

using namespace aafgan;

TEST_CASE("xor: a 2-layer MLP learns XOR through the tape (f32 and f64)") {
  for (DType dt : {DType::f32, DType::f64}) {
    Generator gen(11);
    nn::Sequential net;
    net.add(std::make_shared<nn::Linear>(2, 8, gen, true, dt)).add(nn::Tanh())
        .add(std::make_shared<nn::Linear>(8, 1, gen, true, dt)).add(nn::Sigmoid());
    const Tensor x = Tensor::from_vector({4, 2}, {0, 0, 0, 1, 1, 0, 1, 1}, dt);
    const Tensor y = Tensor::from_vector({4, 1}, {0, 1, 1, 0}, dt);
    optim::AdamOptions opt;
    opt.lr = 0.05;
    optim::Adam adam(net.parameters(), opt);
    double first = 0, last = 0;
    for (int step = 0; step < 500; ++step) {
      adam.zero_grad();
      Tensor loss = binary_cross_entropy(net(x), y);
      autograd::backward(loss);
      adam.step();
      (step == 0 ? first : last) = loss.item();
    }
    CHECK(last < 0.05 * first);
    autograd::NoGradGuard no_grad;
    const std::vector<double> p = net(x).to_vector();
    CHECK(p[0] < 0.1);
    CHECK(p[1] > 0.9);
    CHECK(p[2] > 0.9);
    CHECK(p[3] < 0.1);
  }
}
