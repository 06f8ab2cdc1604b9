// The CUDA activation kernels against their CPU twins: forward, input gradient and every
// parameter gradient, for every function × range × parameter layout, in f32 and f64; the
// edge-case parameters; bit-identical parameter gradients from run to run and whatever the
// pointers' alignment; empty batches, P = 1 and a large P. Compiled without CUDA headers: the
// device is reached through kernels/cuda/runtime.h. Without a GPU every case skips.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/math/activations.h"
#include "kernels/cpu/activations.h"
#include "kernels/cuda/activations.h"
#include "kernels/cuda/runtime.h"
#include "tests/device_array.h"
#include "tests/gpu.h"

namespace {

namespace kc = aafgan::kernels::cuda;
using aafgan::testing::DeviceArray;
using aafgan::kernels::Act;
using aafgan::kernels::Range;
using aafgan::kernels::act_name;
using aafgan::kernels::act_param_count;
using aafgan::kernels::kMaxActParams;
using aafgan::kernels::range_name;

using aafgan::kernels::kAllActs;


struct Layout {
  const char* name;
  int64_t B, P, inner;
  int64_t n() const { return B * P * inner; }
};

// Chosen to reach every kernel path: columns with and without 16-byte units and with several
// row chunks, segments with vector units and with several chunks, and P = 1 both ways.
const Layout kLayouts[] = {
    {"per-feature [45] over 300 rows (column chunks, scalar units)", 300, 45, 1},
    {"per-feature [C,H,W] = [4,5,6] over 5 rows (vector units)", 5, 120, 1},
    {"per-channel [3] on [4,3,6,6]", 4, 3, 36},
    {"per-channel [2] on [128,2,8,8] (segment chunks)", 128, 2, 64},
    {"per-channel [5] on [3,5,5,5] (odd inner)", 3, 5, 25},
    {"P = 1 on [67,1]", 67, 1, 1},
    {"P = 1 on [10000,1] (segment chunks)", 10000, 1, 1},
};

template <typename T>
struct Tol {
  static constexpr double rel = sizeof(T) == 4 ? 1e-5 : 1e-12;
};

// Parameters per slot, drawn around activations.md's initialisation, with the edge cases on
// fixed slots: tiny τ, τ1 ≈ τ2 (inside and just outside BHANA's equality band), negative λ,
// negative τ, and τ = 0 for SHReLU.
template <typename T>
std::vector<std::vector<T>> make_params(Act act, Range range, int64_t P, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const int np = act_param_count(act);
  std::vector<std::vector<T>> p(static_cast<size_t>(np), std::vector<T>(static_cast<size_t>(P)));
  auto normal = [&](double m, double s) { return std::normal_distribution<double>(m, s)(rng); };
  for (int64_t j = 0; j < P; ++j) {
    const size_t sj = static_cast<size_t>(j);
    const int edge = static_cast<int>(j % 7);
    switch (act) {
      case Act::BHSA:
      case Act::BHAA:
      case Act::BHATA:
      case Act::BHANA:
      case Act::MiDA: {
        const bool mida = act == Act::MiDA;
        double lam = mida ? normal(0.7, 0.01) : normal(0.5, 0.05);
        double t1 = mida ? normal(0.25, 0.01) : normal(range == Range::unit ? 0.7 : 0.25, 0.05);
        double t2 = np == 3 ? normal(range == Range::unit ? 0.7 : 0.25, 0.05) : t1;
        if (edge == 0) t1 = t2 = 1e-3;
        if (edge == 1) t2 = t1 * (1 + 1e-8);
        if (edge == 2) t2 = t1 * (1 + 1e-5);
        if (edge == 3) lam = -lam;
        if (edge == 4) t1 = -t1;
        p[0][sj] = static_cast<T>(lam);
        p[1][sj] = static_cast<T>(t1);
        if (np == 3) p[2][sj] = static_cast<T>(t2);
        break;
      }
      case Act::DSILU: {
        double beta = normal(1.0, 0.2);
        if (edge == 3) beta = -beta;
        p[0][sj] = static_cast<T>(beta);
        break;
      }
      case Act::SHReLU: {
        double tau = normal(0.0, 0.2);
        if (edge == 0) tau = 1e-3;
        if (edge == 5) tau = 0;
        p[0][sj] = static_cast<T>(tau);
        break;
      }
      case Act::Mish: break;
      default:  // a newer row: its default initialiser (tests/test_act_table.cpp covers its edges)
        for (int k = 0; k < np; ++k) {
          const aafgan::kernels::ActInit init = aafgan::kernels::act_default_init(act, range, k);
          p[static_cast<size_t>(k)][sj] = static_cast<T>(init.std > 0 ? normal(init.mean, init.std) : init.mean);
        }
        break;
    }
  }
  return p;
}

// x: mostly N(0, 2), with exact zeros and far tails (±50, ±20) sprinkled in.
template <typename T>
std::vector<T> make_x(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> nd(0.0, 2.0);
  std::vector<T> x(static_cast<size_t>(n));
  const double specials[] = {0.0, 50.0, -50.0, 20.0, -20.0, 1e-4, -1e-4, 3.0};
  for (int64_t i = 0; i < n; ++i) {
    const double v = i % 11 == 0 ? specials[static_cast<size_t>(i / 11) % 8] : nd(rng);
    x[static_cast<size_t>(i)] = static_cast<T>(v);
  }
  return x;
}

template <typename T>
std::vector<T> make_gy(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> ud(-1.0, 1.0);
  std::vector<T> g(static_cast<size_t>(n));
  for (T& v : g) v = static_cast<T>(ud(rng));
  return g;
}

// BHATA's gradient jumps where its clamp engages: an x whose raw BHAA value lies within
// rounding of a bound may take the other side on the other backend. Move such x away.
template <typename T>
void avoid_clamp_edges(Act act, Range range, std::vector<T>& x, const std::vector<std::vector<T>>& p, int64_t P,
                       int64_t inner) {
  if (act != Act::BHATA) return;
  for (size_t i = 0; i < x.size(); ++i) {
    const size_t j = (i / static_cast<size_t>(inner)) % static_cast<size_t>(P);
    for (int tries = 0; tries < 8; ++tries) {
      const double y = aafgan::kernels::bhaa_forward<double>(x[i], p[0][j], p[1][j], p[2][j], range);
      const double lo = range == Range::unit ? 0.0 : -1.0;
      if (std::fabs(y - lo) > 1e-4 && std::fabs(y - 1.0) > 1e-4) break;
      x[i] = static_cast<T>(0.5 * static_cast<double>(x[i]) + 0.1);
    }
  }
}

std::string describe(Act act, Range range) {
  std::string s = act_name(act);
  if (aafgan::kernels::act_uses_range(act)) s += std::string(" (") + range_name(range) + ")";
  return s;
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

// First element where |got − want| > rel·scale_i, described; empty when all agree.
template <typename T>
std::string first_mismatch(const std::vector<T>& got, const std::vector<T>& want, const std::vector<double>& scale,
                           double rel) {
  for (size_t i = 0; i < want.size(); ++i) {
    const double g = got[i], w = want[i];
    if (!(std::fabs(g - w) <= rel * scale[i]))
      return "element " + std::to_string(i) + ": cuda " + num(g) + " vs cpu " + num(w) + " (|diff| " +
             num(std::fabs(g - w)) + " > " + num(rel * scale[i]) + ")";
  }
  return "";
}

template <typename T>
std::vector<const T*> ptrs(const std::vector<std::vector<T>>& v) {
  std::vector<const T*> out;
  for (const auto& a : v) out.push_back(a.data());
  return out;
}

// What one CUDA run produced.
template <typename T>
struct CudaResult {
  std::vector<T> y, gx;
  std::vector<std::vector<T>> gp;
};

// Forward and backward on the device; `offset` shifts every array off 16-byte alignment.
template <typename T>
CudaResult<T> run_cuda(Act act, Range range, const std::vector<T>& x, const std::vector<T>& gy,
                       const std::vector<std::vector<T>>& p, int64_t P, int64_t inner, size_t offset = 0) {
  const int64_t n = static_cast<int64_t>(x.size());
  const int np = act_param_count(act);
  DeviceArray<T> dx(x, offset), dgy(gy, offset), dy(x.size(), offset), dgx(x.size(), offset);
  std::vector<std::unique_ptr<DeviceArray<T>>> dp, dgp;
  std::vector<const T*> pp;
  std::vector<T*> gpp;
  for (int k = 0; k < np; ++k) {
    dp.push_back(std::make_unique<DeviceArray<T>>(p[static_cast<size_t>(k)], offset));
    dgp.push_back(std::make_unique<DeviceArray<T>>(static_cast<size_t>(P), offset));
    pp.push_back(dp.back()->get());
    gpp.push_back(dgp.back()->get());
  }
  const size_t ws_bytes = kc::act_backward_workspace_bytes(act, n, P, inner, sizeof(T));
  DeviceArray<unsigned char> ws(ws_bytes);
  kc::act_forward<T>(act, range, dx.get(), dy.get(), n, np ? pp.data() : nullptr, P, inner, nullptr);
  kc::act_backward<T>(act, range, dx.get(), dgy.get(), dgx.get(), np ? gpp.data() : nullptr, n,
                           np ? pp.data() : nullptr, P, inner, ws.get(), ws_bytes, nullptr);
  kc::device_synchronize();
  CudaResult<T> r;
  r.y = dy.download();
  r.gx = dgx.download();
  for (auto& g : dgp) r.gp.push_back(g->download());
  return r;
}

// Runs one configuration on both backends and checks every output.
template <typename T>
void check_agreement_on(Act act, Range range, const Layout& lay, const std::vector<std::vector<T>>& p,
                        const std::vector<T>& x, const std::vector<T>& gy, size_t offset = 0) {
  const int64_t n = lay.n(), P = lay.P, inner = lay.inner;
  const int np = act_param_count(act);
  const std::string ctx =
      describe(act, range) + (sizeof(T) == 4 ? " f32" : " f64") + " on " + lay.name + (offset ? ", misaligned" : "");
  INFO(ctx);
  const std::vector<const T*> pp = ptrs(p);

  std::vector<T> y(x.size()), gx(x.size());
  std::vector<std::vector<T>> gp(static_cast<size_t>(np), std::vector<T>(static_cast<size_t>(P)));
  std::vector<T*> gpp;
  for (auto& g : gp) gpp.push_back(g.data());
  aafgan::kernels::cpu::act_forward<T>(act, range, x.data(), y.data(), n, pp.data(), P, inner);
  aafgan::kernels::cpu::act_backward<T>(act, range, x.data(), gy.data(), gx.data(), gpp.data(), n, pp.data(), P,
                                            inner);

  // Scales: outputs are O(1) or O(|x|); gx is gy times an O(1) slope; a parameter gradient is
  // a sum, judged against the sum of its terms' magnitudes.
  std::vector<double> y_scale(x.size()), gx_scale(x.size());
  std::vector<std::vector<double>> gp_scale(static_cast<size_t>(np), std::vector<double>(static_cast<size_t>(P)));
  for (size_t i = 0; i < x.size(); ++i) {
    const size_t j = (i / static_cast<size_t>(inner)) % static_cast<size_t>(P);
    T pj[kMaxActParams] = {}, dp[kMaxActParams] = {};
    for (int k = 0; k < np; ++k) pj[k] = p[static_cast<size_t>(k)][j];
    aafgan::kernels::act_backward<T>(act, x[i], pj, range, dp);
    y_scale[i] = std::fabs(static_cast<double>(y[i])) + 1.0;
    gx_scale[i] = std::fabs(static_cast<double>(gx[i])) + std::fabs(static_cast<double>(gy[i]));
    for (int k = 0; k < np; ++k)
      gp_scale[static_cast<size_t>(k)][j] += std::fabs(static_cast<double>(gy[i]) * static_cast<double>(dp[k]));
  }
  if constexpr (std::is_same_v<T, float>) {
    // Near a knee with τ = 1e-3 a result is ill-conditioned: one-ulp differences in the
    // elementary functions (CUDA's vs glibc's) are amplified far beyond 1e-5. Allow the GPU the
    // error the CPU's own f32 result has against the exact (f64) one, four times over.
    std::vector<double> xd(x.begin(), x.end()), gyd(gy.begin(), gy.end()), yd(x.size()), gxd(x.size());
    std::vector<std::vector<double>> pd, gpd(static_cast<size_t>(np), std::vector<double>(static_cast<size_t>(P)));
    for (const auto& a : p) pd.emplace_back(a.begin(), a.end());
    std::vector<double*> gpdp;
    for (auto& g : gpd) gpdp.push_back(g.data());
    const std::vector<const double*> pdp = ptrs(pd);
    aafgan::kernels::cpu::act_forward<double>(act, range, xd.data(), yd.data(), n, pdp.data(), P, inner);
    aafgan::kernels::cpu::act_backward<double>(act, range, xd.data(), gyd.data(), gxd.data(), gpdp.data(), n,
                                                   pdp.data(), P, inner);
    const double amplify = 4.0 / Tol<T>::rel;
    for (size_t i = 0; i < x.size(); ++i) {
      y_scale[i] += amplify * std::fabs(static_cast<double>(y[i]) - yd[i]);
      gx_scale[i] += amplify * std::fabs(static_cast<double>(gx[i]) - gxd[i]);
    }
    for (size_t k = 0; k < gp.size(); ++k)
      for (size_t j = 0; j < gp[k].size(); ++j)
        gp_scale[k][j] += amplify * std::fabs(static_cast<double>(gp[k][j]) - gpd[k][j]);
  }
  for (auto& s : gp_scale)
    for (double& v : s) v = std::max(v, std::numeric_limits<double>::min());

  const CudaResult<T> c = run_cuda<T>(act, range, x, gy, p, P, inner, offset);
  const double rel = Tol<T>::rel;
  const std::string y_mm = first_mismatch(c.y, y, y_scale, rel), gx_mm = first_mismatch(c.gx, gx, gx_scale, rel);
  CHECK_MESSAGE(y_mm.empty(), "forward: " << y_mm);
  CHECK_MESSAGE(gx_mm.empty(), "x gradient: " << gx_mm);
  for (int k = 0; k < np; ++k) {
    const size_t sk = static_cast<size_t>(k);
    const std::string mm = first_mismatch(c.gp[sk], gp[sk], gp_scale[sk], rel);
    CHECK_MESSAGE(mm.empty(), std::string(aafgan::kernels::act_param_name(act, k)) << " gradient: " << mm);
  }
}

template <typename T>
void check_agreement(Act act, Range range, const Layout& lay, uint64_t seed, size_t offset = 0) {
  const auto p = make_params<T>(act, range, lay.P, seed);
  std::vector<T> x = make_x<T>(lay.n(), seed + 1);
  avoid_clamp_edges(act, range, x, p, lay.P, lay.inner);
  check_agreement_on<T>(act, range, lay, p, x, make_gy<T>(lay.n(), seed + 2), offset);
}

std::vector<Range> ranges_of(Act act) {
  if (aafgan::kernels::act_uses_range(act)) return {Range::unit, Range::sym};
  return {Range::sym};
}

template <typename T>
void check_all_agree() {
  uint64_t seed = sizeof(T) == 4 ? 1000 : 2000;
  for (const Layout& lay : kLayouts)
    for (Act act : kAllActs)
      for (Range r : ranges_of(act)) check_agreement<T>(act, r, lay, seed += 10);
}

// Bit-identical parameter gradients from two runs.
template <typename T>
void check_deterministic(Act act, Range range, const Layout& lay) {
  const std::string ctx = describe(act, range) + " on " + lay.name;
  INFO(ctx);
  const auto p = make_params<T>(act, range, lay.P, 77);
  const std::vector<T> x = make_x<T>(lay.n(), 78), gy = make_gy<T>(lay.n(), 79);
  const CudaResult<T> a = run_cuda<T>(act, range, x, gy, p, lay.P, lay.inner);
  const CudaResult<T> b = run_cuda<T>(act, range, x, gy, p, lay.P, lay.inner);
  for (size_t k = 0; k < a.gp.size(); ++k)
    CHECK(std::memcmp(a.gp[k].data(), b.gp[k].data(), a.gp[k].size() * sizeof(T)) == 0);
  CHECK(std::memcmp(a.gx.data(), b.gx.data(), a.gx.size() * sizeof(T)) == 0);
}

}  // namespace

TEST_CASE("cuda runtime: copies round-trip, the timer and the copy bandwidth are positive") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  std::vector<float> h(1000);
  for (size_t i = 0; i < h.size(); ++i) h[i] = static_cast<float>(i) * 0.5f;
  DeviceArray<float> d(h);
  CHECK(d.download() == h);
  kc::device_memset(d.get(), 0, h.size() * sizeof(float), kc::context_stream());
  kc::device_synchronize();
  CHECK(d.download() == std::vector<float>(h.size(), 0.0f));
  CHECK(!kc::device_name().empty());
  CHECK(kc::time_ms([] {}, 3, 3, kc::context_stream()) >= 0.0f);
  CHECK(kc::device_copy_bandwidth_gbs(size_t(1) << 24) > 0.0);
}

TEST_CASE("cuda runtime: an impossible allocation throws naming its size") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  const size_t huge = size_t(1) << 50;
  try {
    kc::device_alloc(huge);
    FAIL("a 1 PiB cudaMalloc succeeded");
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    CHECK(msg.find("cudaMalloc") != std::string::npos);
    CHECK(msg.find(std::to_string(huge)) != std::string::npos);
  }
  // The failure must not poison later calls.
  DeviceArray<double> ok(16);
  kc::device_synchronize();
}

TEST_CASE("cuda activations agree with cpu, f32: every function, range and layout") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  check_all_agree<float>();
}

TEST_CASE("cuda activations agree with cpu, f64: every function, range and layout") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  check_all_agree<double>();
}

TEST_CASE("cuda activations: large P (131072 = [128,32,32]) per-feature and per-channel [128]") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  // Few functions: these grids are large, and tools/gpu_check.sh reruns every case under
  // compute-sanitizer, whose racecheck is slow on shared-memory reductions.
  const Layout per_feature{"[3,128,32,32] with [128,32,32] parameters", 3, 131072, 1};
  const Layout per_channel{"[3,128,32,32] with [128] parameters", 3, 128, 1024};
  for (Act act : {Act::BHSA, Act::MiDA}) check_agreement<float>(act, Range::sym, per_feature, 31);
  for (Act act : {Act::BHSA, Act::BHANA, Act::MiDA, Act::Mish})
    check_agreement<float>(act, Range::sym, per_channel, 32);
  check_agreement<double>(Act::BHAA, Range::unit, per_feature, 33);
}

TEST_CASE("cuda activations: misaligned pointers fall back to scalar accesses, same bits") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  // Layouts whose aligned runs take the 16-byte path in every kernel.
  const Layout layouts[] = {{"columns [64]", 40, 64, 1}, {"segments [3] x 16", 9, 3, 16}, {"P = 1", 203, 1, 1}};
  for (const Layout& lay : layouts) {
    for (Act act : {Act::BHSA, Act::BHANA, Act::MiDA, Act::Mish}) {
      check_agreement<float>(act, Range::sym, lay, 41, 1);
      check_agreement<double>(act, Range::unit, lay, 42, 1);
      // The summation order does not depend on the alignment: identical bits.
      const auto p = make_params<float>(act, Range::sym, lay.P, 43);
      const std::vector<float> x = make_x<float>(lay.n(), 44), gy = make_gy<float>(lay.n(), 45);
      const CudaResult<float> a = run_cuda<float>(act, Range::sym, x, gy, p, lay.P, lay.inner, 0);
      const CudaResult<float> m = run_cuda<float>(act, Range::sym, x, gy, p, lay.P, lay.inner, 1);
      const std::string ctx = describe(act, Range::sym) + " on " + lay.name + ": aligned and misaligned bits";
      INFO(ctx);
      for (size_t k = 0; k < a.gp.size(); ++k)
        CHECK(std::memcmp(a.gp[k].data(), m.gp[k].data(), a.gp[k].size() * sizeof(float)) == 0);
      CHECK(std::memcmp(a.y.data(), m.y.data(), a.y.size() * sizeof(float)) == 0);
    }
  }
}

TEST_CASE("cuda activations: f32 elements outside the fast domain (huge x, tiny or huge τ) agree with the cpu") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  // The f32 kernels use unguarded MUFU roots and reciprocals where |kλx| ≤ 2^40 and kτ is 0 or
  // within [2^-40, 2^40], and evaluate every other element in f64 (a fix-up pass after the main
  // loop; for MiDA's backward also the elements near its knees). These inputs reach that path
  // in every kernel: columns forward and backward, elementwise forward, segments backward.
  const double xs[] = {1e30, -1e30, 3e12, -2e15, 1e-30, -1e-30, 0.0, 0.7, -1.3, 20.0};
  const Layout layouts[] = {{"per-feature [16] over 10 rows", 10, 16, 1},
                            {"per-channel [3] on [4,3,5,2]", 4, 3, 10},
                            {"P = 1 on [30,1]", 30, 1, 1}};
  for (const Layout& lay : layouts) {
    for (Act act : {Act::BHSA, Act::BHAA, Act::BHATA, Act::BHANA, Act::SHReLU, Act::MiDA}) {
      for (Range r : ranges_of(act)) {
        const int np = act_param_count(act);
        std::vector<std::vector<float>> p(static_cast<size_t>(np), std::vector<float>(static_cast<size_t>(lay.P)));
        for (int64_t j = 0; j < lay.P; ++j) {
          const size_t sj = static_cast<size_t>(j);
          // Slot kinds: ordinary, tiny τ, huge τ, τ1 tiny and τ2 ordinary.
          const double taus[][2] = {{0.25, 0.3}, {1e-30, 2e-30}, {1e15, 3e14}, {1e-30, 0.3}};
          const double* t = taus[j % 4];
          if (act == Act::SHReLU) {
            p[0][sj] = static_cast<float>(t[0]);
          } else {
            p[0][sj] = static_cast<float>(j % 3 == 2 ? -0.6 : 0.55);
            p[1][sj] = static_cast<float>(t[0]);
            if (np == 3) p[2][sj] = static_cast<float>(t[1]);
          }
        }
        std::vector<float> x(static_cast<size_t>(lay.n()));
        for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(xs[(i * 7 + i / 10) % 10]);
        avoid_clamp_edges(act, r, x, p, lay.P, lay.inner);
        check_agreement_on<float>(act, r, lay, p, x, make_gy<float>(lay.n(), 61));
      }
    }
  }
}

TEST_CASE("cuda activations: two backward runs give bit-identical gradients") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  const Layout layouts[] = {{"columns, chunked", 1000, 100, 1},
                            {"segments, chunked", 256, 4, 64},
                            {"P = 1, chunked", 50000, 1, 1}};
  for (const Layout& lay : layouts) {
    for (Act act : {Act::BHSA, Act::BHAA, Act::BHANA, Act::DSILU, Act::SHReLU, Act::MiDA}) {
      check_deterministic<float>(act, Range::unit, lay);
      check_deterministic<double>(act, Range::sym, lay);
    }
  }
  const Layout large{"columns, [128,32,32] over 16 rows", 16, 131072, 1};
  check_deterministic<float>(Act::BHSA, Range::sym, large);
  check_deterministic<float>(Act::MiDA, Range::sym, large);
}

TEST_CASE("cuda activations: an empty batch gives zero parameter gradients") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  const int64_t P = 10;
  const std::vector<float> lam(P, 0.5f), tau(P, 0.25f);
  DeviceArray<float> dl(lam), dt(tau), gl(std::vector<float>(P, 7.0f)), gt(std::vector<float>(P, 7.0f));
  const float* pp[] = {dl.get(), dt.get()};
  float* gp[] = {gl.get(), gt.get()};
  CHECK(kc::act_backward_workspace_bytes(Act::BHSA, 0, P, 1, sizeof(float)) == 0);
  kc::act_forward<float>(Act::BHSA, Range::sym, nullptr, nullptr, 0, pp, P, 1, kc::context_stream());
  kc::act_backward<float>(Act::BHSA, Range::sym, nullptr, nullptr, nullptr, gp, 0, pp, P, 1, nullptr, 0, kc::context_stream());
  kc::device_synchronize();
  CHECK(gl.download() == std::vector<float>(P, 0.0f));
  CHECK(gt.download() == std::vector<float>(P, 0.0f));
}

TEST_CASE("cuda activations: optional outputs (no x gradient, some or no parameter gradients)") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  const int64_t B = 300, P = 45;
  const int64_t n = B * P;
  const auto p = make_params<double>(Act::BHAA, Range::unit, P, 51);
  const std::vector<double> x = make_x<double>(n, 52), gy = make_gy<double>(n, 53);
  const CudaResult<double> full = run_cuda<double>(Act::BHAA, Range::unit, x, gy, p, P, 1);

  DeviceArray<double> dx(x), dgy(gy), dgx(static_cast<size_t>(n)), p0(p[0]), p1(p[1]), p2(p[2]);
  DeviceArray<double> g1(static_cast<size_t>(P));
  const double* pp[] = {p0.get(), p1.get(), p2.get()};
  const size_t ws_bytes = kc::act_backward_workspace_bytes(Act::BHAA, n, P, 1, sizeof(double));
  DeviceArray<unsigned char> ws(ws_bytes);

  // Only τ1's gradient, no x gradient.
  double* only_t1[] = {nullptr, g1.get(), nullptr};
  kc::act_backward<double>(Act::BHAA, Range::unit, dx.get(), dgy.get(), nullptr, only_t1, n, pp, P, 1, ws.get(),
                                ws_bytes, kc::context_stream());
  kc::device_synchronize();
  CHECK(g1.download() == full.gp[1]);

  // No parameter gradient at all (a frozen layer): the x gradient alone, no workspace needed.
  double* none[] = {nullptr, nullptr, nullptr};
  kc::act_backward<double>(Act::BHAA, Range::unit, dx.get(), dgy.get(), dgx.get(), none, n, pp, P, 1, nullptr,
                                0, kc::context_stream());
  kc::device_synchronize();
  // Another kernel computes it, so the compiler may contract its arithmetic differently: equal
  // to rounding, not necessarily to the bit (determinism is per configuration).
  const std::vector<double> only_x = dgx.download();
  for (size_t i = 0; i < only_x.size(); ++i)
    REQUIRE(std::fabs(only_x[i] - full.gx[i]) <= 1e-14 * (std::fabs(full.gx[i]) + std::fabs(gy[i])));
}

TEST_CASE("cuda activations: bad sizes and a short workspace are reported") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  const int64_t B = 1000, P = 100, n = B * P;
  const size_t need = kc::act_backward_workspace_bytes(Act::BHSA, n, P, 1, sizeof(float));
  REQUIRE(need > 0);  // this shape is split into row chunks
  DeviceArray<float> x(static_cast<size_t>(n)), gy(static_cast<size_t>(n)), l(P), t(P), gl(P), gt(P);
  const float* pp[] = {l.get(), t.get()};
  float* gp[] = {gl.get(), gt.get()};
  DeviceArray<unsigned char> small(need / 2);
  CHECK_THROWS_WITH_AS(kc::act_backward<float>(Act::BHSA, Range::sym, x.get(), gy.get(), nullptr, gp, n, pp, P,
                                                    1, small.get(), need / 2, kc::context_stream()),
                       doctest::Contains("workspace"), std::runtime_error);
  CHECK_THROWS_WITH_AS(kc::act_forward<float>(Act::BHSA, Range::sym, x.get(), x.get(), n + 1, pp, P, 1, kc::context_stream()),
                       doctest::Contains("multiple of P"), std::runtime_error);
  CHECK_THROWS_AS(kc::act_backward_workspace_bytes(Act::BHSA, n, 0, 1, sizeof(float)), std::runtime_error);
}
