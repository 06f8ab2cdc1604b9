#include "engine/random.h"

#include "engine/backend.h"
#include "kernels/math/philox.h"

namespace aafgan {

void Generator::normal_(Tensor& t, double mean, double std) {
  const uint64_t start = advance(static_cast<uint64_t>(t.numel()));
  backend::normal_fill(t, seed_, start, stream_, mean, std);
}

void Generator::uniform_(Tensor& t, double low, double high) {
  const uint64_t start = advance(static_cast<uint64_t>(t.numel()));
  backend::uniform_fill(t, seed_, start, stream_, low, high);
}

double Generator::next_uniform() { return kernels::philox_uniform(seed_, advance(1), 0, stream_); }

uint64_t Generator::next_below(uint64_t n) {
  AAFGAN_CHECK(n > 0, "next_below(0)");
  // 64 random bits reduced by rejection, so every value is equally likely.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  for (;;) {
    const kernels::Philox4x32 r = kernels::philox4x32(seed_, advance(1), stream_);
    const uint64_t bits = (static_cast<uint64_t>(r.v[0]) << 32) | r.v[1];
    if (bits < limit) return bits % n;
  }
}

Tensor randn(const Shape& shape, Generator& gen, DType dtype, Device device) {
  Tensor t = Tensor::empty(shape, dtype, device);
  gen.normal_(t);
  return t;
}

Tensor rand(const Shape& shape, Generator& gen, DType dtype, Device device) {
  Tensor t = Tensor::empty(shape, dtype, device);
  gen.uniform_(t);
  return t;
}

}  // namespace aafgan
