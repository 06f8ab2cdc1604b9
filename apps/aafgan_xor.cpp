// The smallest end-to-end check of the engine a user can run: a 2-layer MLP learns XOR
// through the tape with Adam. Prints the loss curve and the learned truth table.
#include <cstdio>
#include <exception>

#include <fmt/format.h>

#include "engine/autograd.h"
#include "engine/nn/layers.h"
#include "engine/optim/adam.h"
#include "base/std_descriptors.h"

using namespace aafgan;

int main() {
  // First of all: a closed 0-2 would be taken by the next file opened (base/std_descriptors.h).
  if (!aafgan::std_descriptors_ready()) return 1;
  try {
    Generator gen(2026);
    nn::Sequential net;
    net.add(std::make_shared<nn::Linear>(2, 8, gen)).add(nn::Tanh()).add(std::make_shared<nn::Linear>(8, 1, gen)).add(nn::Sigmoid());
    const Tensor x = Tensor::from_vector({4, 2}, {0, 0, 0, 1, 1, 0, 1, 1});
    const Tensor y = Tensor::from_vector({4, 1}, {0, 1, 1, 0});
    optim::AdamOptions opt;
    opt.lr = 0.05;
    optim::Adam adam(net.parameters(), opt);
    for (int step = 1; step <= 500; ++step) {
      adam.zero_grad();
      Tensor loss = binary_cross_entropy(net(x), y);
      autograd::backward(loss);
      adam.step();
      if (step % 100 == 0) fmt::print("step {:4d}  loss {:.5f}\n", step, loss.item());
    }
    autograd::NoGradGuard no_grad;
    const std::vector<double> p = net(x).to_vector();
    int correct = 0;
    for (int i = 0; i < 4; ++i) {
      const int a = i >> 1, b = i & 1, want = a ^ b;
      correct += (p[static_cast<size_t>(i)] > 0.5) == (want == 1);
      fmt::print("{} xor {} -> {:.4f} (want {})\n", a, b, p[static_cast<size_t>(i)], want);
    }
    fmt::print("{}/4 correct\n", correct);
    return correct == 4 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aafgan_xor: %s\n", e.what());
    return 1;
  }
}
