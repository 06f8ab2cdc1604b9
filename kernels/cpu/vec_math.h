#pragma once
// defines: as_float, as_double, pow2, scale, exp, log1p, tanh, hypot
//
// Elementary functions for the host side of kernels/math/activations.h, written so that GCC can
// vectorise the CPU loops that call them: straight-line arithmetic, bit manipulation and
// selects, no libm calls, no branches. glibc's expf/log1pf/tanh/hypot are opaque calls that
// block vectorisation (and -ffast-math, which would let GCC substitute its own vector forms,
// also drops the inf/NaN semantics the activations rely on).
//
// Every function is accurate to a few ulp over its whole domain and handles ±0, ±inf, NaN,
// overflow and gradual underflow like the C library, hypot(±inf, NaN) excepted (see hypot);
// tests/test_vec_math.cpp checks them against std:: over wide ranges. Each gives the same bits
// wherever it is evaluated: vectorised at any width, scalar, with or without -fno-math-errno.
// That matters: the CPU kernels are checked bit for bit against the scalar formulas compiled in
// other translation units.
//
// Requirements on the build: round-to-nearest (the default) and no value-changing FP flags
// (-ffast-math, -fassociative-math would fold the x + C − C rounding tricks away).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace aafgan::kernels::vm {

namespace detail {

inline uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
inline float as_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
inline uint64_t bits(double f) {
  uint64_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
inline double as_double(uint64_t u) {
  double f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// x + 1.5·2^23 − 1.5·2^23 rounds |x| < 2^22 to the nearest integer with no float→int
// conversion (out-of-range conversions are undefined in C++, and double→int64 has no SSE2
// vector form); the integer also sits in the low mantissa bits of the sum.
constexpr float kRoundF = 0x1.8p23f;
constexpr double kRoundD = 0x1.8p52;

// 2^n for an integral-valued n in [−126, 127] (float) / [−1022, 1023] (double).
inline float pow2(float n) {
  return as_float(static_cast<uint32_t>((bits(n + kRoundF) - bits(kRoundF) + 127u) << 23));
}
inline double pow2(double n) {
  return as_double(static_cast<uint64_t>((bits(n + kRoundD) - bits(kRoundD) + 1023u) << 52));
}

// p·2^n for p near 1 and n up to the full exponent range plus the subnormals, in two
// power-of-two factors each inside the normal range: the first product is exact, the second
// rounds once, so overflow gives inf and gradual underflow rounds correctly.
template <typename T>
inline T scale(T p, T n) {
  const T n1 = (n * T(0.5) + (sizeof(T) == 4 ? T(kRoundF) : T(kRoundD))) -
               (sizeof(T) == 4 ? T(kRoundF) : T(kRoundD));
  return p * pow2(n1) * pow2(n - n1);
}

}  // namespace detail

// --- exp ------------------------------------------------------------------------------------
// Cody–Waite reduction x = n·ln2 + r, |r| ≤ ln2/2, with ln2 split so that n·ln2_hi is exact.
// float: Cephes expf's polynomial (≤ 2 ulp). double: fdlibm's rational form (< 1 ulp).
// Inputs are clamped to where the result is already inf or 0 (NaN passes the clamp).
inline float exp(float x) {
  const float xc = x > 89.f ? 89.f : (x < -104.f ? -104.f : x);
  const float n = (xc * 1.44269504088896341f + detail::kRoundF) - detail::kRoundF;
  const float r = (xc - n * 0.693359375f) - n * -2.12194440e-4f;
  const float z = r * r;
  const float p = ((((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r + 4.1665795894e-2f) * r +
                     1.6666665459e-1f) * r + 5.0000001201e-1f) * z + r) + 1.f;
  return detail::scale(p, n);
}

inline double exp(double x) {
  const double xc = x > 710.0 ? 710.0 : (x < -746.0 ? -746.0 : x);
  const double n = (xc * 1.44269504088896338700e+00 + detail::kRoundD) - detail::kRoundD;
  const double hi = xc - n * 6.93147180369123816490e-01;
  const double lo = n * 1.90821492927058770002e-10;
  const double r = hi - lo;
  const double t = r * r;
  const double c = r - t * (1.66666666666666019037e-01 +
                            t * (-2.77777777770155933842e-03 +
                                 t * (6.61375632143793436117e-05 +
                                      t * (-1.65339022054652515390e-06 + t * 4.13813679705723846039e-08))));
  const double p = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
  return detail::scale(p, n);
}

// --- log1p ----------------------------------------------------------------------------------
// fdlibm's scheme: u = 1 + x = 2^k·m with m in [√½, √2), log(m) = f − f²/2 + s·(f²/2 + R(s²)),
// f = m − 1, s = f/(2 + f), plus the rounding error of u, c = ((1 + x) − u)/u, recovered exactly
// by Fast2Sum. The float kernel's R is FreeBSD's (error < 2^-34), the double one fdlibm's.
inline float log1p(float x) {
  const float u = 1.f + x;
  const uint32_t iu = detail::bits(u) + (0x3f800000u - 0x3f3504f3u);
  const float k = static_cast<float>(static_cast<int32_t>(iu >> 23) - 127);
  const float f = detail::as_float((iu & 0x007fffffu) + 0x3f3504f3u) - 1.f;
  const float c = (x > 1.f ? 1.f - (u - x) : x - (u - 1.f)) / u;
  const float s = f / (2.f + f);
  const float z = s * s;
  const float R = z * (0xaaaaaa.0p-24f + z * (0xccce13.0p-25f + z * (0x91e9ee.0p-25f + z * 0xf89e26.0p-26f)));
  const float hfsq = 0.5f * f * f;
  float y = k * 6.9313812256e-01f - ((hfsq - (s * (hfsq + R) + (k * 9.0580006145e-06f + c))) - f);
  // A NaN x reaches y through c. The formula holds for tiny x too (u = 1, c = x), except that
  // −0 would come out +0. inf would give inf − inf in c, and x ≤ −1 has no u to decompose.
  // (One plain compare per select: GCC 12 does not vectorise selects on combined conditions.)
  constexpr float inf = std::numeric_limits<float>::infinity();
  y = x == 0.f ? x : y;
  y = x == inf ? x : y;
  y = x < -1.f ? std::numeric_limits<float>::quiet_NaN() : y;
  return x == -1.f ? -inf : y;
}

inline double log1p(double x) {
  const double u = 1.0 + x;
  const uint64_t iu = detail::bits(u) + (0x3ff0000000000000ull - 0x3fe6a09e667f3bcdull);
  // k from the 11 exponent bits, converted through the mantissa of 2^52 (int64 → double has no
  // SSE2 vector form).
  const double k = detail::as_double(0x4330000000000000ull | (iu >> 52)) - (0x1p52 + 1023.0);
  const double f = detail::as_double((iu & 0x000fffffffffffffull) + 0x3fe6a09e667f3bcdull) - 1.0;
  const double c = (x > 1.0 ? 1.0 - (u - x) : x - (u - 1.0)) / u;
  const double s = f / (2.0 + f);
  const double z = s * s;
  const double R =
      z * (6.666666666666735130e-01 +
           z * (3.999999999940941908e-01 +
                z * (2.857142874366239149e-01 +
                     z * (2.222219843214978396e-01 +
                          z * (1.818357216161805012e-01 +
                               z * (1.531383769920937332e-01 + z * 1.479819860511658591e-01))))));
  const double hfsq = 0.5 * f * f;
  double y = k * 6.93147180369123816490e-01 - ((hfsq - (s * (hfsq + R) + (k * 1.90821492927058770002e-10 + c))) - f);
  constexpr double inf = std::numeric_limits<double>::infinity();
  y = x == 0.0 ? x : y;
  y = x == inf ? x : y;
  y = x < -1.0 ? std::numeric_limits<double>::quiet_NaN() : y;
  return x == -1.0 ? -inf : y;
}

// --- tanh -----------------------------------------------------------------------------------
// Cephes: an odd polynomial (float) / rational (double) below |x| = 0.625, 1 − 2/(e^{2|x|} + 1)
// above (no cancellation there, and e^{2|x|} = inf gives exactly 1); the sign is copied back so
// tanh(−0) = −0.
inline float tanh(float x) {
  const float a = std::fabs(x);
  const float z = a * a;
  const float small =
      ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z + 1.33314422036e-1f) * z -
       3.33332819422e-1f) * z * a + a;
  const float large = 1.f - 2.f / (vm::exp(a + a) + 1.f);
  return std::copysign(a < 0.625f ? small : large, x);
}

inline double tanh(double x) {
  const double a = std::fabs(x);
  const double z = a * a;
  const double P = (-9.64399179425052238628e-1 * z - 9.92877231001918586564e1) * z - 1.61468768441708447952e3;
  const double Q = ((z + 1.12811678491632931402e2) * z + 2.23548839060100448583e3) * z + 4.84406305325125486048e3;
  const double small = a + a * (z * P / Q);
  const double large = 1.0 - 2.0 / (vm::exp(a + a) + 1.0);
  return std::copysign(a < 0.625 ? small : large, x);
}

// --- hypot ----------------------------------------------------------------------------------
// Unlike C's, hypot(±inf, NaN) is NaN here: the activations never pass a NaN, and the select
// that C's rule costs is a measurable share of the bi-hyperbolic loops.
//
// float: the root in double, where squares of floats can neither overflow nor underflow, and
// one rounding to float; as accurate as hypotf and ~1.6× faster even when not vectorised.
inline float hypot(float a, float b) {
  const double da = a, db = b;
  return static_cast<float>(std::sqrt(da * da + db * db));
}

// double: sqrt(a² + b²) after an exact power-of-two rescaling when the larger magnitude is
// outside [2^-500, 2^500], so the squares neither overflow nor lose the result to underflow
// (within that band a subnormal square of the smaller one is < 2^-74 of the larger square).
// ≤ 1.5 ulp (glibc: < 1).
inline double hypot(double a, double b) {
  const double x = std::fabs(a), y = std::fabs(b);
  const double m = x > y ? x : y;
  const double sc = m > 0x1p500 ? 0x1p-600 : (m < 0x1p-500 ? 0x1p600 : 1.0);
  const double inv = m > 0x1p500 ? 0x1p600 : (m < 0x1p-500 ? 0x1p-600 : 1.0);
  const double xs = x * sc, ys = y * sc;
  return std::sqrt(xs * xs + ys * ys) * inv;
}

}  // namespace aafgan::kernels::vm
