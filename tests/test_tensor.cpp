// Tensor basics: views, copies, errors, and the counter-based generator.
#include <doctest/doctest.h>

#include <cmath>

#include "engine/device.h"
#include "engine/ops.h"
#include "engine/host_allocator.h"
#include "kernels/math/philox.h"

using namespace aafgan;

TEST_CASE("tensor: reshape and detach are views of the same storage") {
  Tensor a = Tensor::from_vector({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = reshape(a, {3, -1});
  CHECK(b.shape() == Shape{3, 2});
  CHECK(b.same_storage(a));
  b.data<float>()[0] = 42.0f;
  CHECK(a.data<float>()[0] == 42.0f);
  CHECK(a.detach().same_storage(a));
  CHECK_FALSE(a.clone().same_storage(a));
}

TEST_CASE("tensor: dtype conversion round trip") {
  Tensor a = Tensor::from_vector({3}, {0.5, -1.25, 3.0}, DType::f64);
  Tensor b = a.to(DType::f32);
  CHECK(b.dtype() == DType::f32);
  CHECK(b.to(DType::f64).to_vector() == a.to_vector());
}

TEST_CASE("tensor: mismatches raise clear errors") {
  Tensor f = Tensor::zeros({2, 3}, DType::f32);
  Tensor d = Tensor::zeros({2, 3}, DType::f64);
  CHECK_THROWS_WITH_AS(add(f, d), doctest::Contains("dtype mismatch"), Error);
  CHECK_THROWS_WITH_AS(add(f, Tensor::zeros({4}, DType::f32)), doctest::Contains("cannot be broadcast"), Error);
  CHECK_THROWS_WITH_AS(linear(f, Tensor::zeros({4, 5}), Tensor()), doctest::Contains("linear"), Error);
  CHECK_THROWS_AS(f.data<double>(), Error);
  CHECK_THROWS_AS(reshape(f, {4, 2}), Error);
  CHECK_THROWS_AS(Shape({1, 2, 3, 4, 5, 6}), Error);
  CHECK_THROWS_WITH_AS(binary_cross_entropy(Tensor::full({4, 1}, 0.5), Tensor::full({4}, 0.5)),
                       doctest::Contains("same shape"), Error);
}

TEST_CASE("tensor: a cuda tensor is zeros where a GPU is usable, else an error naming why") {
  // Both kinds of machine run this case: it must hold on each.
  if (cuda_available()) {
    const Tensor z = Tensor::zeros({2}, DType::f32, Device::cuda());
    CHECK(z.device().is_cuda());
    CHECK(z.to_vector() == std::vector<double>{0.0, 0.0});
  } else {
    CHECK_THROWS_WITH_AS(Tensor::zeros({2}, DType::f32, Device::cuda()),
                         doctest::Contains(("cannot allocate 8 bytes on cuda:0: " + cuda_unavailable_reason()).c_str()),
                         Error);
  }
}

TEST_CASE("generator: same seed and offset give the same numbers, and state restores a stream") {
  Generator a(123), b(123);
  Tensor x = randn({1000}, a), y = randn({1000}, b);
  CHECK(x.to_vector() == y.to_vector());
  const uint64_t off = a.offset();
  Tensor next = randn({10}, a);
  Generator c(999);
  c.set_state(123, off);
  CHECK(randn({10}, c).to_vector() == next.to_vector());
  // f32 and f64 draws are the same numbers up to rounding.
  Generator e(5), f(5);
  const auto v32 = randn({50}, e, DType::f32).to_vector(), v64 = randn({50}, f, DType::f64).to_vector();
  for (size_t i = 0; i < v32.size(); ++i) CHECK(v32[i] == static_cast<double>(static_cast<float>(v64[i])));
}

TEST_CASE("generator: normal and uniform draws have the right moments") {
  Generator g(7);
  const auto n = randn({200000}, g, DType::f64).to_vector();
  double m = 0, s = 0;
  for (double v : n) m += v;
  m /= static_cast<double>(n.size());
  for (double v : n) s += (v - m) * (v - m);
  s = std::sqrt(s / static_cast<double>(n.size()));
  CHECK(std::fabs(m) < 0.01);
  CHECK(std::fabs(s - 1.0) < 0.01);
  const auto u = rand({200000}, g, DType::f64).to_vector();
  double um = 0, lo = 1, hi = 0;
  for (double v : u) {
    um += v;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  CHECK(std::fabs(um / static_cast<double>(u.size()) - 0.5) < 0.005);
  CHECK(lo > 0.0);
  CHECK(hi <= 1.0);
  std::vector<int> counts(7, 0);
  for (int i = 0; i < 70000; ++i) ++counts[g.next_below(7)];
  for (int c : counts) CHECK(std::abs(c - 10000) < 400);
}

TEST_CASE("philox: matches the Random123 known-answer vector") {
  // Random123's kat_vectors: philox4x32_10, counter {0,0,0,0}, key {0,0}.
  const kernels::Philox4x32 r = kernels::philox4x32(0, 0, 0);
  CHECK(r.v[0] == 0x6627e8d5u);
  CHECK(r.v[1] == 0xe169c58du);
  CHECK(r.v[2] == 0xbc57ac4cu);
  CHECK(r.v[3] == 0x9b00dbd8u);
}

TEST_CASE("host allocator: freed blocks are reused for the same size and stay aligned") {
  const auto before = host_cache_stats();
  const void* first = nullptr;
  {
    Tensor t = Tensor::empty({1000, 1000});
    first = t.raw_data();
    CHECK(reinterpret_cast<uintptr_t>(first) % 64 == 0);
  }
  Tensor again = Tensor::empty({1000, 1000});
  CHECK(again.raw_data() == first);
  CHECK(host_cache_stats().hits > before.hits);
  host_cache_release();
  CHECK(host_cache_stats().cached_bytes == 0);
}
