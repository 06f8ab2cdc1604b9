// The branch-free elementary functions of kernels/cpu/vec_math.h against the C library: error
// in ulp over wide ranges (references in the next wider type: double for float, x87 long double
// for double), and the exact values of the special cases (±0, subnormals, overflow and
// underflow thresholds, ±inf, NaN). Then the property they exist for: the vectorised CPU
// activation loops (whichever instruction-set clone this CPU runs) give exactly the bits of the
// scalar formulas, for every function, range, dtype and layout.
#include <doctest/doctest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/cpu/activations.h"
#include "kernels/cpu/vec_math.h"

namespace ak = aafgan::kernels;
namespace vm = ak::vm;
using ak::Act;
using ak::Range;

namespace {

// The tests measure against long double references, which must really be wider than double.
static_assert(std::numeric_limits<long double>::digits > std::numeric_limits<double>::digits,
              "test_vec_math needs a long double wider than double");

template <typename T>
using Wide = std::conditional_t<std::is_same_v<T, float>, double, long double>;

// |got − ref| in units of the last place of T at ref (subnormal spacing below the normal range).
template <typename T>
double ulp_error(T got, Wide<T> ref) {
  using W = Wide<T>;
  if (std::isnan(ref)) return std::isnan(got) ? 0.0 : INFINITY;
  // From half an ulp above the largest finite T on, the correctly rounded result is inf.
  const W top = W(std::numeric_limits<T>::max()) +
                std::ldexp(W(1), std::numeric_limits<T>::max_exponent - std::numeric_limits<T>::digits - 1);
  if (std::isinf(ref) || std::fabs(ref) >= top) {
    if (std::isinf(got) && std::signbit(got) == std::signbit(ref)) return 0.0;
    return INFINITY;
  }
  if (std::isinf(got) || std::isnan(got)) return INFINITY;
  const int e = std::max(std::ilogb(ref), std::numeric_limits<T>::min_exponent - 1);
  const W ulp = std::ldexp(W(1), e - (std::numeric_limits<T>::digits - 1));
  return static_cast<double>(std::fabs(W(got) - ref) / ulp);
}

template <typename T>
struct Worst {
  double ulp = 0;
  T at = 0;
  void add(double e, T x) {
    if (e > ulp) {
      ulp = e;
      at = x;
    }
  }
};

// n points uniform in [lo, hi] plus n log-uniform magnitudes in [2^elo, 2^ehi] of both signs
// clipped to [lo, hi].
template <typename T>
std::vector<T> samples(T lo, T hi, int elo, int ehi, int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<T> v;
  for (int i = 0; i < n; ++i) v.push_back(static_cast<T>(lo + (hi - lo) * u(rng)));
  for (int i = 0; i < n; ++i) {
    const T m = static_cast<T>(std::exp2(elo + (ehi - elo) * u(rng)));
    const T x = (i & 1) ? -m : m;
    if (x >= lo && x <= hi) v.push_back(x);
  }
  return v;
}

// x and the next few representable values on either side.
template <typename T>
void around(std::vector<T>& v, T x) {
  T lo = x, hi = x;
  v.push_back(x);
  for (int i = 0; i < 4; ++i) {
    lo = std::nextafter(lo, -std::numeric_limits<T>::infinity());
    hi = std::nextafter(hi, std::numeric_limits<T>::infinity());
    v.push_back(lo);
    v.push_back(hi);
  }
}

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }
bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

constexpr float finf = std::numeric_limits<float>::infinity();
constexpr double dinf = std::numeric_limits<double>::infinity();
const float fnan = std::numeric_limits<float>::quiet_NaN();
const double dnan = std::numeric_limits<double>::quiet_NaN();

}  // namespace

TEST_CASE("vec_math: exp float within 2 ulp, overflow, gradual underflow and specials exact") {
  std::vector<float> xs = samples<float>(-110.f, 95.f, -30, 7, 400000, 1);
  // Overflow (ln FLT_MAX), the smallest normal and the last subnormal results.
  around(xs, 88.72283935546875f);
  around(xs, -87.3365478515625f);
  around(xs, -103.27892f);
  around(xs, -103.97208f);
  for (float x : {0.f, -0.f, 1e-45f, -1e-45f, 1e-38f, 1.f, -1.f, 20.f, -20.f, 88.f, 89.f, 1e3f, -1e3f, FLT_MAX,
                  -FLT_MAX})
    xs.push_back(x);
  Worst<float> w;
  for (float x : xs) w.add(ulp_error(vm::exp(x), std::exp(static_cast<double>(x))), x);
  INFO("worst " << w.ulp << " ulp at x = " << w.at);
  CHECK(w.ulp <= 2.0);
  CHECK(vm::exp(finf) == finf);
  CHECK(vm::exp(-finf) == 0.f);
  CHECK(std::isnan(vm::exp(fnan)));
  CHECK(vm::exp(0.f) == 1.f);
  CHECK(vm::exp(-0.f) == 1.f);
  CHECK(vm::exp(88.72283935546875f) == std::exp(88.72283935546875f));
  CHECK(vm::exp(88.7228394f) == finf);
  CHECK(vm::exp(-104.f) == 0.f);
  CHECK(vm::exp(-103.9f) > 0.f);
}

TEST_CASE("vec_math: exp double within 1 ulp, overflow, gradual underflow and specials exact") {
  std::vector<double> xs = samples<double>(-750.0, 715.0, -60, 10, 400000, 2);
  around(xs, 709.782712893383973);   // ln DBL_MAX
  around(xs, -708.396418532264079);  // ln DBL_MIN
  around(xs, -744.44007192138126);   // ln 2^-1074 (the smallest subnormal)
  around(xs, -745.13321910194110);   // below it, rounds to 0
  for (double x : {0.0, -0.0, 5e-324, -5e-324, 1.0, -1.0, 20.0, -20.0, 1e5, -1e5, DBL_MAX, -DBL_MAX})
    xs.push_back(x);
  Worst<double> w;
  for (double x : xs) w.add(ulp_error(vm::exp(x), std::exp(static_cast<long double>(x))), x);
  INFO("worst " << w.ulp << " ulp at x = " << w.at);
  CHECK(w.ulp <= 1.0);
  CHECK(vm::exp(dinf) == dinf);
  CHECK(vm::exp(-dinf) == 0.0);
  CHECK(std::isnan(vm::exp(dnan)));
  CHECK(vm::exp(0.0) == 1.0);
  CHECK(vm::exp(709.78) == std::exp(709.78));
  CHECK(vm::exp(709.79) == dinf);
  CHECK(vm::exp(-745.2) == 0.0);
  CHECK(vm::exp(-745.0) == 5e-324);
}

TEST_CASE("vec_math: log1p float within 2 ulp from just above -1 to FLT_MAX with specials exact") {
  std::vector<float> xs = samples<float>(-1.f, 64.f, -40, 127, 400000, 3);
  // Just above −1 (u tiny), around 0 and 1 (where the Fast2Sum correction switches form), and
  // the √2 boundary of the mantissa reduction.
  for (int i = 1; i <= 24; ++i) xs.push_back(-1.f + std::ldexp(1.f, -i));
  around(xs, 1.f);
  around(xs, 0.41421356f);
  around(xs, -0.29289322f);
  around(xs, 1e-30f);
  around(xs, -1e-30f);
  for (float x : {1e-45f, -1e-45f, 1e-38f, 3e-8f, -3e-8f, 0.5f, -0.5f, 4.85e8f, 1.6777216e7f, FLT_MAX}) xs.push_back(x);
  Worst<float> w;
  for (float x : xs) w.add(ulp_error(vm::log1p(x), std::log1p(static_cast<double>(x))), x);
  INFO("worst " << w.ulp << " ulp at x = " << w.at);
  CHECK(w.ulp <= 2.0);
  CHECK(same_bits(vm::log1p(0.f), 0.f));
  CHECK(same_bits(vm::log1p(-0.f), -0.f));
  CHECK(same_bits(vm::log1p(1e-45f), 1e-45f));
  CHECK(vm::log1p(-1.f) == -finf);
  CHECK(std::isnan(vm::log1p(-1.0000001f)));
  CHECK(std::isnan(vm::log1p(-finf)));
  CHECK(vm::log1p(finf) == finf);
  CHECK(std::isnan(vm::log1p(fnan)));
}

TEST_CASE("vec_math: log1p double within 1 ulp from just above -1 to DBL_MAX with specials exact") {
  std::vector<double> xs = samples<double>(-1.0, 64.0, -80, 1023, 400000, 4);
  for (int i = 1; i <= 53; ++i) xs.push_back(-1.0 + std::ldexp(1.0, -i));
  around(xs, 1.0);
  around(xs, 0.41421356237309515);
  around(xs, -0.29289321881345248);
  around(xs, 1e-300);
  around(xs, -1e-300);
  for (double x : {5e-324, -5e-324, 1e-17, -1e-17, 0.5, -0.5, 4.85e8, 9007199254740992.0, DBL_MAX}) xs.push_back(x);
  Worst<double> w;
  for (double x : xs) w.add(ulp_error(vm::log1p(x), std::log1p(static_cast<long double>(x))), x);
  INFO("worst " << w.ulp << " ulp at x = " << w.at);
  CHECK(w.ulp <= 1.0);
  CHECK(same_bits(vm::log1p(-0.0), -0.0));
  CHECK(same_bits(vm::log1p(5e-324), 5e-324));
  CHECK(vm::log1p(-1.0) == -dinf);
  CHECK(std::isnan(vm::log1p(std::nextafter(-1.0, -2.0))));
  CHECK(vm::log1p(dinf) == dinf);
  CHECK(std::isnan(vm::log1p(dnan)));
}

TEST_CASE("vec_math: tanh within 2 ulp, odd, saturates exactly") {
  {
    std::vector<float> xs = samples<float>(-30.f, 30.f, -40, 7, 200000, 5);
    around(xs, 0.625f);
    around(xs, -0.625f);
    for (float x : {1e-45f, -1e-45f, 1e-20f, 9.f, 9.1f, 20.f, 100.f, 1e30f, FLT_MAX}) xs.push_back(x);
    Worst<float> w;
    for (float x : xs) w.add(ulp_error(vm::tanh(x), std::tanh(static_cast<double>(x))), x);
    INFO("float: worst " << w.ulp << " ulp at x = " << w.at);
    CHECK(w.ulp <= 2.0);
    CHECK(same_bits(vm::tanh(-0.f), -0.f));
    CHECK(vm::tanh(finf) == 1.f);
    CHECK(vm::tanh(-finf) == -1.f);
    CHECK(vm::tanh(20.f) == 1.f);
    CHECK(std::isnan(vm::tanh(fnan)));
  }
  {
    std::vector<double> xs = samples<double>(-30.0, 30.0, -80, 9, 200000, 6);
    around(xs, 0.625);
    around(xs, -0.625);
    for (double x : {5e-324, -5e-324, 1e-200, 19.0, 20.0, 400.0, 1e300, DBL_MAX}) xs.push_back(x);
    Worst<double> w;
    for (double x : xs) w.add(ulp_error(vm::tanh(x), std::tanh(static_cast<long double>(x))), x);
    INFO("double: worst " << w.ulp << " ulp at x = " << w.at);
    CHECK(w.ulp <= 2.0);
    CHECK(same_bits(vm::tanh(-0.0), -0.0));
    CHECK(vm::tanh(dinf) == 1.0);
    CHECK(vm::tanh(-dinf) == -1.0);
    CHECK(vm::tanh(20.0) == 1.0);
    CHECK(std::isnan(vm::tanh(dnan)));
  }
}

TEST_CASE("vec_math: hypot within 1.5 ulp from subnormals to the largest values, and overflow") {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  {
    Worst<double> w;
    for (int i = 0; i < 300000; ++i) {
      // Exponents over the whole range, and pairs of similar size (where both squares matter).
      const double ea = -1074 + 2097 * u(rng);
      const double eb = i % 2 ? -1074 + 2097 * u(rng) : ea + 40 * (u(rng) - 0.5);
      const double a = std::exp2(std::min(ea, 1023.9)) * (u(rng) < 0.5 ? -1 : 1);
      const double b = std::exp2(std::min(eb, 1023.9)) * (u(rng) < 0.5 ? -1 : 1);
      const long double la = a, lb = b;
      w.add(ulp_error(vm::hypot(a, b), std::sqrt(la * la + lb * lb)), a);
    }
    INFO("double: worst " << w.ulp << " ulp at a = " << w.at);
    // The square root of the rounded a² + b²: the sum's rounding adds up to half an ulp.
    CHECK(w.ulp <= 1.5);
    CHECK(vm::hypot(DBL_MAX, DBL_MAX) == dinf);
    CHECK(vm::hypot(DBL_MAX, 1.0) == DBL_MAX);
    CHECK(vm::hypot(3e-320, 4e-320) == std::hypot(3e-320, 4e-320));
    CHECK(vm::hypot(3e200, -4e200) == std::hypot(3e200, 4e200));
    CHECK(vm::hypot(0.0, -0.0) == 0.0);
    CHECK(vm::hypot(-dinf, 1.0) == dinf);
    CHECK(vm::hypot(1e-300, dinf) == dinf);
    CHECK(std::isnan(vm::hypot(dnan, 1.0)));
  }
  {
    Worst<float> w;
    for (int i = 0; i < 300000; ++i) {
      const double ea = -149 + 277 * u(rng), eb = i % 2 ? -149 + 277 * u(rng) : ea + 20 * (u(rng) - 0.5);
      const float a = static_cast<float>(std::exp2(std::min(ea, 127.9)));
      const float b = -static_cast<float>(std::exp2(std::min(eb, 127.9)));
      w.add(ulp_error(vm::hypot(a, b), std::hypot(static_cast<double>(a), static_cast<double>(b))), a);
    }
    INFO("float: worst " << w.ulp << " ulp at a = " << w.at);
    CHECK(w.ulp <= 0.5 + 1e-6);  // one rounding of an almost exact double root
    CHECK(vm::hypot(FLT_MAX, FLT_MAX) == finf);
    CHECK(vm::hypot(-finf, 1.f) == finf);
    CHECK(std::isnan(vm::hypot(fnan, 1.f)));
  }
}

namespace {

// The kernels are built without FP contraction (kernels/CMakeLists.txt). A test built for a CPU
// with FMA (AAFGAN_NATIVE) may contract the scalar formulas here, so it can only ask for
// agreement to rounding.
#if defined(__FMA__)
constexpr bool kSameBits = false;
#else
constexpr bool kSameBits = true;
#endif

template <typename T>
bool same_value(T a, T b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (kSameBits || std::isinf(a) || std::isinf(b)) return same_bits(a, b);
  return std::fabs(a - b) <= 1e3 * std::numeric_limits<T>::epsilon() * std::max<T>(std::fabs(b), T(1e-3));
}

// Forward and backward of the fused loops against act_forward/act_backward element by element
// (gx exactly, the parameter sums to double rounding), on [B, P, inner] with inputs that
// include the tails, the softplus switch at 20, overflowing exponentials and huge magnitudes.
template <typename T>
void check_kernels_match_scalar(Act act, Range range, int64_t B, int64_t P, int64_t inner, uint64_t seed) {
  const int np = ak::act_param_count(act);
  const int64_t n = B * P * inner;
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> nd(0.0, 3.0);
  std::vector<T> x(static_cast<size_t>(n)), gy(x.size()), y(x.size()), gx(x.size());
  for (T& v : x) v = static_cast<T>(nd(rng));
  const double edge[] = {0.0, -0.0, 50, -50, 20, 20.0001, 19.9999, 88.5, -88.5, 710, -710, 1e4, -1e4, 1e-30, -3e38};
  for (size_t i = 0; i < std::size(edge) && i < x.size(); ++i) x[i] = static_cast<T>(edge[i]);
  for (T& v : gy) v = static_cast<T>(nd(rng));
  std::vector<std::vector<T>> p(static_cast<size_t>(np), std::vector<T>(static_cast<size_t>(P)));
  std::vector<std::vector<T>> gp(p.size(), std::vector<T>(static_cast<size_t>(P)));
  std::vector<const T*> pp;
  std::vector<T*> gpp;
  for (int k = 0; k < np; ++k) {
    for (T& v : p[static_cast<size_t>(k)]) v = static_cast<T>(0.5 + 0.15 * nd(rng));
    pp.push_back(p[static_cast<size_t>(k)].data());
    gpp.push_back(gp[static_cast<size_t>(k)].data());
  }
  // BHAA's family: every third slot has τ1 = τ2 (BHANA's equality band), every fifth a tiny τ.
  for (int64_t j = 0; np == 3 && j < P; j += 3) p[2][static_cast<size_t>(j)] = p[1][static_cast<size_t>(j)];
  for (int64_t j = 0; np >= 2 && j < P; j += 5) p[1][static_cast<size_t>(j)] = static_cast<T>(1e-3);
  const int64_t kP = np ? P : 1, kInner = np ? inner : P * inner;
  ak::cpu::act_forward<T>(act, range, x.data(), y.data(), n, np ? pp.data() : nullptr, kP, kInner);
  ak::cpu::act_backward<T>(act, range, x.data(), gy.data(), gx.data(), np ? gpp.data() : nullptr, n,
                                            np ? pp.data() : nullptr, kP, kInner);
  int bad = 0;
  std::vector<std::vector<double>> ref(p.size(), std::vector<double>(static_cast<size_t>(P)));
  for (int64_t i = 0; i < n; ++i) {
    const size_t si = static_cast<size_t>(i), j = static_cast<size_t>((i / kInner) % kP);
    T pv[ak::kMaxActParams] = {}, dp[ak::kMaxActParams] = {};
    for (int k = 0; k < np; ++k) pv[k] = p[static_cast<size_t>(k)][j];
    const T d = ak::act_backward<T>(act, x[si], pv, range, dp);
    if (!same_value(y[si], ak::act_forward<T>(act, x[si], pv, range))) ++bad;
    if (!same_value(gx[si], static_cast<T>(gy[si] * d))) ++bad;
    for (int k = 0; k < np; ++k)
      ref[static_cast<size_t>(k)][j] += static_cast<double>(gy[si]) * static_cast<double>(dp[k]);
  }
  INFO(std::string(ak::act_name(act)) << " " << std::string(ak::range_name(range)) << (sizeof(T) == 4 ? " f32" : " f64")
                                      << " [" << B << "," << P << "," << inner << "]");
  CHECK(bad == 0);
  for (int k = 0; k < np; ++k)
    for (int64_t j = 0; j < P; ++j) {
      const double want = static_cast<T>(ref[static_cast<size_t>(k)][static_cast<size_t>(j)]);
      const double got = gp[static_cast<size_t>(k)][static_cast<size_t>(j)];
      // Contracted scalar formulas move the tiny-τ slots (condition ~1/τ) by far more.
      const double eps = kSameBits ? 1e-5 : sizeof(T) == 4 ? 1e-2 : 1e-8;
      // Equal values pass as they are: an unbounded function's sums may be ±inf (Approx(inf) ≠ inf).
      if (!(std::isnan(want) && std::isnan(got)) && got != want)
        CHECK(got == doctest::Approx(want).epsilon(eps).scale(1e-30));
    }
}

}  // namespace

TEST_CASE("vec_math: the vectorised activation loops give the scalar formulas' bits") {
  uint64_t seed = 100;
  for (int a = 0; a < ak::kActCount; ++a) {
    const Act act = static_cast<Act>(a);
    for (Range range : {Range::unit, Range::sym}) {
      // Per-feature rows (odd width: vector remainders), per-channel runs, and a single slot.
      check_kernels_match_scalar<float>(act, range, 9, 203, 1, ++seed);
      check_kernels_match_scalar<float>(act, range, 5, 3, 77, ++seed);
      check_kernels_match_scalar<float>(act, range, 301, 1, 1, ++seed);
      check_kernels_match_scalar<double>(act, range, 9, 203, 1, ++seed);
      check_kernels_match_scalar<double>(act, range, 5, 3, 77, ++seed);
      check_kernels_match_scalar<double>(act, range, 301, 1, 1, ++seed);
    }
  }
}
