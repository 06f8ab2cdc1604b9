#include "engine/random.h"

#include "engine/backend.h"
#include "kernels/math/philox.h"

namespace aafgan {

namespace {

void refuse_host_draw(const Generator& g, const char* what) {
  AAFGAN_CHECK(g.capture_base() == nullptr,
               "random stream {} is being captured into a CUDA graph: {} would not be replayed", g.stream(), what);
}

}  // namespace

void Generator::begin_capture(const uint64_t* device_base) {
  AAFGAN_CHECK(device_base != nullptr, "Generator::begin_capture: no device base");
  AAFGAN_CHECK(capture_base_ == nullptr, "random stream {} is already being captured", stream_);
  capture_base_ = device_base;
  captured_ = 0;
}

uint64_t Generator::end_capture() {
  AAFGAN_CHECK(capture_base_ != nullptr, "random stream {} is not being captured", stream_);
  capture_base_ = nullptr;
  return captured_;
}

void Generator::normal_(Tensor& t, double mean, double std) {
  if (t.device().is_cpu()) refuse_host_draw(*this, "a host tensor's draw");
  const uint64_t start = advance(static_cast<uint64_t>(t.numel()));
  backend::normal_fill(t, seed_, start, capture_base_, stream_, mean, std);
}

void Generator::uniform_(Tensor& t, double low, double high) {
  if (t.device().is_cpu()) refuse_host_draw(*this, "a host tensor's draw");
  const uint64_t start = advance(static_cast<uint64_t>(t.numel()));
  backend::uniform_fill(t, seed_, start, capture_base_, stream_, low, high);
}

double Generator::next_uniform() {
  refuse_host_draw(*this, "a host draw");
  return kernels::philox_uniform(seed_, advance(1), 0, stream_);
}

uint64_t Generator::next_below(uint64_t n) {
  refuse_host_draw(*this, "a host draw");
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
