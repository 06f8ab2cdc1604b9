#include "kernels/cpu/random.h"

#include "kernels/cpu/parallel.h"
#include "kernels/math/philox.h"
#include "kernels/math/random.h"

namespace aafgan::kernels::cpu {

namespace {

// Philox blocks are computed kLanes at a time in structure-of-arrays form: each round is then
// a handful of loops over the lanes that the compiler turns into 32×32→64-bit vector
// multiplies (vpmuludq), ~10× faster than one block after another. The arithmetic is exactly
// philox4x32's, which the tests check.
constexpr int64_t kLanes = 16;

// out[4·l + w] is word w of block first_ctr + l: the element order of a dropout draw.
// The words live in 64-bit lanes because GCC vectorises a 64-bit multiply of values below
// 2^32 (vpmuludq) but not the equivalent widening 32×32→64 one.
void philox_lanes(uint64_t seed, uint64_t first_ctr, uint32_t stream, uint32_t out[4 * kLanes]) {
  constexpr uint64_t low32 = 0xFFFFFFFFu;
  uint64_t c0[kLanes], c1[kLanes], c2[kLanes], c3[kLanes];
  for (int64_t l = 0; l < kLanes; ++l) {
    const uint64_t ctr = first_ctr + static_cast<uint64_t>(l);
    c0[l] = ctr & low32;
    c1[l] = ctr >> 32;
    c2[l] = stream;
    c3[l] = 0;
  }
  uint64_t k0 = seed & low32, k1 = seed >> 32;
  for (int round = 0; round < 10; ++round) {
    for (int64_t l = 0; l < kLanes; ++l) {
      const uint64_t p0 = uint64_t{0xD2511F53u} * c0[l];
      const uint64_t p1 = uint64_t{0xCD9E8D57u} * c2[l];
      const uint64_t n0 = (p1 >> 32) ^ c1[l] ^ k0;
      const uint64_t n2 = (p0 >> 32) ^ c3[l] ^ k1;
      c1[l] = p1 & low32;
      c3[l] = p0 & low32;
      c0[l] = n0;
      c2[l] = n2;
    }
    k0 = (k0 + 0x9E3779B9u) & low32;
    k1 = (k1 + 0xBB67AE85u) & low32;
  }
  for (int64_t l = 0; l < kLanes; ++l) {
    out[4 * l + 0] = static_cast<uint32_t>(c0[l]);
    out[4 * l + 1] = static_cast<uint32_t>(c1[l]);
    out[4 * l + 2] = static_cast<uint32_t>(c2[l]);
    out[4 * l + 3] = static_cast<uint32_t>(c3[l]);
  }
}

}  // namespace

template <typename T>
void normal_fill(T* out, int64_t n, uint64_t seed, uint64_t offset, uint32_t stream_id, double mean, double std) {
  for (int64_t i = 0; i < n; ++i)
    out[i] = static_cast<T>(normal_value(mean, std, philox_normal(seed, offset, static_cast<uint64_t>(i), stream_id)));
}

template <typename T>
void uniform_fill(T* out, int64_t n, uint64_t seed, uint64_t offset, uint32_t stream_id, double low, double high) {
  for (int64_t i = 0; i < n; ++i)
    out[i] = static_cast<T>(uniform_value(low, high, philox_uniform(seed, offset, static_cast<uint64_t>(i), stream_id)));
}

template <typename T>
void dropout_forward(int64_t n, const T* x, T* y, T* mask, T keep_scale, uint64_t seed, uint64_t offset,
                     uint32_t stream, uint32_t threshold) {
  constexpr int64_t per_chunk = 4 * kLanes;  // elements covered by one philox_lanes call
  const int64_t chunks = (n + per_chunk - 1) / per_chunk;
  // Each chunk is ~1 µs of work: parallel only when there are enough of them to share.
#pragma omp parallel for schedule(static) if (n >= kParallelGrain)
  for (int64_t chunk = 0; chunk < chunks; ++chunk) {
    uint32_t words[per_chunk];
    philox_lanes(seed, offset + static_cast<uint64_t>(chunk * kLanes), stream, words);
    const int64_t base = chunk * per_chunk;
    const int64_t count = n - base < per_chunk ? n - base : per_chunk;
    for (int64_t e = 0; e < count; ++e) {
      const T m = words[e] >= threshold ? keep_scale : T(0);
      mask[base + e] = m;
      y[base + e] = x[base + e] * m;
    }
  }
}

template void normal_fill<float>(float*, int64_t, uint64_t, uint64_t, uint32_t, double, double);
template void normal_fill<double>(double*, int64_t, uint64_t, uint64_t, uint32_t, double, double);
template void uniform_fill<float>(float*, int64_t, uint64_t, uint64_t, uint32_t, double, double);
template void uniform_fill<double>(double*, int64_t, uint64_t, uint64_t, uint32_t, double, double);
template void dropout_forward<float>(int64_t, const float*, float*, float*, float, uint64_t, uint64_t, uint32_t,
                                     uint32_t);
template void dropout_forward<double>(int64_t, const double*, double*, double*, double, uint64_t, uint64_t, uint32_t,
                                      uint32_t);

}  // namespace aafgan::kernels::cpu
