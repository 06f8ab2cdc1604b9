#pragma once
// Weight initialisers, with PyTorch's definitions of fan-in and fan-out.
#include "engine/random.h"

namespace aafgan::nn::init {

// For a weight [out, in, k...]: fan_in = in·k..., fan_out = out·k... (ConvTranspose weights
// are [in, out, k, k], so their "fan_in" is out·k·k, exactly as PyTorch computes it).
int64_t fan_in(const Tensor& w);
int64_t fan_out(const Tensor& w);

void uniform(Tensor& t, double low, double high, Generator& gen);
void normal(Tensor& t, double mean, double std, Generator& gen);
// U(−1/√fan_in, 1/√fan_in): PyTorch's default for Linear and Conv weights and biases.
void fan_in_uniform(Tensor& t, int64_t fan_in, Generator& gen);
// N(0, 2/fan_in) (Kaiming normal, ReLU gain).
void he_normal(Tensor& w, Generator& gen);
// N(0, 2/(fan_in + fan_out)).
void xavier_normal(Tensor& w, Generator& gen);

}  // namespace aafgan::nn::init
