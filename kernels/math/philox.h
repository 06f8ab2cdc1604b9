#pragma once
// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11).
// Counter-based: element i of a draw depends only on (seed, counter), so a CPU loop and a
// CUDA thread that compute element i independently produce the same number.
#include <cmath>
#include <cstdint>

#include "kernels/math/hd.h"

namespace aafgan::kernels {

struct Philox4x32 {
  uint32_t v[4];
};

AAFGAN_HD uint32_t philox_mulhilo(uint32_t a, uint32_t b, uint32_t* hi) {
  const uint64_t p = static_cast<uint64_t>(a) * static_cast<uint64_t>(b);
  *hi = static_cast<uint32_t>(p >> 32);
  return static_cast<uint32_t>(p);
}

// One 128-bit block for (key = seed, counter = ctr); the high counter word holds a stream
// id so independent draws (noise, dropout masks, shuffles) never overlap.
AAFGAN_HD Philox4x32 philox4x32(uint64_t seed, uint64_t ctr, uint32_t stream = 0) {
  uint32_t c0 = static_cast<uint32_t>(ctr), c1 = static_cast<uint32_t>(ctr >> 32);
  uint32_t c2 = stream, c3 = 0;
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    uint32_t hi0, hi1;
    const uint32_t lo0 = philox_mulhilo(0xD2511F53u, c0, &hi0);
    const uint32_t lo1 = philox_mulhilo(0xCD9E8D57u, c2, &hi1);
    const uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
    c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return Philox4x32{{c0, c1, c2, c3}};
}

// Uniform double in (0, 1]: never 0, so log() below is finite.
AAFGAN_HD double philox_unit_double(uint32_t hi, uint32_t lo) {
  const uint64_t bits = (static_cast<uint64_t>(hi) << 21) ^ static_cast<uint64_t>(lo >> 11);
  const uint64_t m = bits & ((uint64_t{1} << 53) - 1);
  return (static_cast<double>(m) + 1.0) * (1.0 / 9007199254740992.0);
}

// Element `index` of a uniform (0,1] draw that started at counter `offset`.
AAFGAN_HD double philox_uniform(uint64_t seed, uint64_t offset, uint64_t index, uint32_t stream) {
  const Philox4x32 r = philox4x32(seed, offset + index, stream);
  return philox_unit_double(r.v[0], r.v[1]);
}

// Element `index` of a standard normal draw (Box-Muller in double precision, one block
// per element so any element can be computed alone).
AAFGAN_HD double philox_normal(uint64_t seed, uint64_t offset, uint64_t index, uint32_t stream) {
  const Philox4x32 r = philox4x32(seed, offset + index, stream);
  const double u1 = philox_unit_double(r.v[0], r.v[1]);
  const double u2 = philox_unit_double(r.v[2], r.v[3]);
  constexpr double two_pi = 6.283185307179586476925286766559;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(two_pi * u2);
}

// Dropout draws one 32-bit word per element, four elements per Philox block: a mask costs a
// quarter of the blocks a uniform draw would, and a draw of n elements consumes
// dropout_counters(n) counters. Element `index` is kept when its word is at least
// dropout_threshold(p), i.e. with probability 1 − p to within 2^-32.
AAFGAN_HD uint64_t dropout_counters(uint64_t n) { return (n + 3) / 4; }

AAFGAN_HD uint32_t dropout_threshold(double p) {
  const double t = p * 4294967296.0;
  return t >= 4294967295.0 ? 4294967295u : static_cast<uint32_t>(t);
}

AAFGAN_HD bool philox_dropout_keep(uint64_t seed, uint64_t offset, uint64_t index, uint32_t stream,
                                   uint32_t threshold) {
  const Philox4x32 r = philox4x32(seed, offset + index / 4, stream);
  return r.v[index % 4] >= threshold;
}

}  // namespace aafgan::kernels
