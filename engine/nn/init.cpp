#include "engine/nn/init.h"

#include <cmath>

namespace aafgan::nn::init {

namespace {
int64_t receptive_field(const Tensor& w) {
  int64_t r = 1;
  for (int i = 2; i < w.ndim(); ++i) r *= w.size(i);
  return r;
}
}  // namespace

int64_t fan_in(const Tensor& w) {
  AAFGAN_CHECK(w.ndim() >= 2, "fan_in needs a weight with at least 2 dimensions, got {}", w.str());
  return w.size(1) * receptive_field(w);
}

int64_t fan_out(const Tensor& w) {
  AAFGAN_CHECK(w.ndim() >= 2, "fan_out needs a weight with at least 2 dimensions, got {}", w.str());
  return w.size(0) * receptive_field(w);
}

void uniform(Tensor& t, double low, double high, Generator& gen) { gen.uniform_(t, low, high); }
void normal(Tensor& t, double mean, double std, Generator& gen) { gen.normal_(t, mean, std); }

void fan_in_uniform(Tensor& t, int64_t fan, Generator& gen) {
  AAFGAN_CHECK(fan > 0, "fan_in_uniform: fan-in must be positive, got {}", fan);
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan));
  gen.uniform_(t, -bound, bound);
}

void he_normal(Tensor& w, Generator& gen) { gen.normal_(w, 0.0, std::sqrt(2.0 / static_cast<double>(fan_in(w)))); }

void xavier_normal(Tensor& w, Generator& gen) {
  gen.normal_(w, 0.0, std::sqrt(2.0 / static_cast<double>(fan_in(w) + fan_out(w))));
}

}  // namespace aafgan::nn::init
