// The adaptive activations (docs/activations.md): gradient checks of the fused op for every
// function × variant × parameter layout with the edge cases the spec lists, numerics at the
// extremes, the properties the spec promises (τ → 0 clamp limit, BHATA's dead clamp, BHANA's
// exact range), the PyTorch fixture, the layer (initialisers, freezing, statistics) and the
// determinism of the CPU reduction.
#include <omp.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>

#include <nlohmann/json.hpp>

#include "engine/nn/adaptive.h"
#include "engine/nn/layers.h"
#include "engine/ops/adaptive.h"
#include "engine/optim/adam.h"
#include "kernels/cpu/activations.h"
#include "tests/gradcheck.h"

using namespace aafgan;
using aafgan::testing::gradcheck;
using aafgan::testing::random_input;

namespace {

using kernels::kAllActs;
constexpr const auto& kAll = kAllActs;

std::vector<Range> ranges_of(Act a) {
  if (kernels::act_uses_range(a)) return {Range::unit, Range::sym};
  return {Range::sym};
}

// The three parameter layouts of activations.md: x [N, n] with [n] (after a Linear layer),
// x [N,C,H,W] with [C,H,W] (the default on images) and with [C] (per channel).
struct Layout {
  const char* name;
  Shape x, p;
};
const Layout kLayouts[] = {
    {"[n]", {3, 5}, {5}},
    {"[C,H,W]", {2, 2, 2, 3}, {2, 2, 3}},
    {"[C]", {2, 3, 2, 2}, {3}},
};

// One parameter set: the base value of each parameter, jittered per slot by up to ±jitter
// (relative) so slots differ; `tie` makes τ2 = τ1·(1 + tie_rel) slot by slot (BHANA near
// τ1 = τ2, where independent jitter would destroy the near-equality).
struct ParamSet {
  const char* what;
  std::vector<double> base;
  double jitter = 0.1;
  bool tie = false;
  double tie_rel = 0.0;
};

std::vector<Tensor> make_params(const ParamSet& ps, const Shape& shape, uint64_t seed) {
  std::vector<Tensor> out;
  for (size_t k = 0; k < ps.base.size(); ++k) {
    Tensor j = random_input(shape, seed + k, -1.0, 1.0);
    double* pj = j.data<double>();
    for (int64_t i = 0; i < j.numel(); ++i) pj[i] = ps.base[k] * (1.0 + ps.jitter * pj[i]);
    out.push_back(j);
  }
  if (ps.tie) {
    const double* p1 = out[1].data<double>();
    double* p2 = out[2].data<double>();
    for (int64_t i = 0; i < out[2].numel(); ++i) p2[i] = p1[i] * (1.0 + ps.tie_rel);
  }
  for (Tensor& t : out) t.set_requires_grad(true);
  return out;
}

// Slot of element i, and the parameter values there.
std::vector<double> slot_params(const std::vector<Tensor>& ps, const ActLayout& lay, int64_t i) {
  const int64_t j = (i / lay.inner) % lay.P;
  std::vector<double> v;
  for (const Tensor& p : ps) v.push_back(p.data<double>()[j]);
  return v;
}

// Inputs in [−3, 3] with the spec's edge values written over the first elements: 0, both far
// tails (±50), and, for the bi-hyperbolic family, points on and just beside the knees
// u = kλx = ±1 of each element's own slot (where small τ makes the curvature ~1/τ).
Tensor make_input(Act act, Range range, const Shape& shape, const std::vector<Tensor>& ps, const ActLayout& lay,
                  uint64_t seed) {
  Tensor x = random_input(shape, seed, -3.0, 3.0);
  double* px = x.data<double>();
  const int64_t n = x.numel();
  std::vector<double> edge = {0.0, 50.0, -50.0};
  for (int64_t i = 0; i < n && i < static_cast<int64_t>(edge.size()); ++i) px[i] = edge[static_cast<size_t>(i)];
  const bool bihyp = act == Act::BHSA || act == Act::BHAA || act == Act::BHATA || act == Act::BHANA;
  if (bihyp) {
    const double k = range == Range::unit ? 4.0 : 2.0;
    const double knees[] = {1.0, -1.0, 1.004, -0.996, 0.5};
    for (int64_t m = 0; m < 5 && 3 + m < n; ++m) {
      const int64_t i = 3 + m;
      const double lam = slot_params(ps, lay, i)[0];
      px[i] = knees[m] / (k * lam);
    }
  }
  // BHATA's clamp switches the gradient off discontinuously: keep every point clear of the
  // boundary so central differences do not straddle it.
  if (act == Act::BHATA) {
    const double lo = range == Range::unit ? 0.0 : -1.0;
    for (int64_t i = 0; i < n; ++i) {
      const auto p = slot_params(ps, lay, i);
      for (int tries = 0; tries < 100; ++tries) {
        const double raw = kernels::bhaa_forward(px[i], p[0], p[1], p[2], range);
        if (std::fabs(raw - 1.0) > 1e-3 && std::fabs(raw - lo) > 1e-3) break;
        px[i] += 0.0173;
      }
    }
  }
  x.set_requires_grad(true);
  return x;
}

std::vector<ParamSet> param_sets(Act act, Range range) {
  const double tau_typ = range == Range::sym ? 0.25 : 0.7;
  switch (act) {
    case Act::BHSA:
      return {{"typical", {0.5, tau_typ}},
              {"small tau", {0.8, 1e-3}},
              {"negative lambda", {-0.7, 0.3}},
              {"negative tau", {0.5, -0.4}}};
    case Act::BHAA:
    case Act::BHATA:
      return {{"tau1 > tau2", {0.5, 0.6, 0.2}},
              {"tau2 > tau1", {0.5, 0.2, 0.6}},
              {"small tau", {0.8, 1e-3, 2e-3}},
              {"negative lambda", {-0.7, 0.4, 0.1}},
              {"negative tau", {0.5, -0.6, 0.3}}};
    case Act::BHANA: {
      std::vector<ParamSet> s = {{"tau1 > tau2", {0.5, 0.6, 0.2}},
                                 {"tau2 > tau1", {0.5, 0.2, 0.6}},
                                 {"small tau", {0.8, 1e-3, 2e-3}},
                                 {"negative lambda", {-0.7, 0.4, 0.1}},
                                 {"negative tau", {0.5, -0.6, 0.3}}};
      // Near τ1 = τ2 on both sides of activations.md's 1e-6 band, exactly equal, and equal in
      // magnitude with opposite signs. A central difference of τ by 1e-6 steps out of the band,
      // where the normalised form differs from BHAA by O(k·d²), d = |τ1| − |τ2|: that term is even
      // in d, so it cancels in the central difference and the default tolerances hold.
      ParamSet near{"tau1 ~ tau2", {0.5, 0.3, 0.3}, 0.1, true, 1e-4};
      ParamSet in_band{"tau1 ~ tau2 in band", {0.5, 0.3, 0.3}, 0.1, true, 1e-7};
      ParamSet equal{"tau1 = tau2", {0.5, 0.3, 0.3}, 0.1, true, 0.0};
      ParamSet mirrored{"tau1 = -tau2", {0.5, 0.3, 0.3}, 0.1, true, -2.0};
      s.insert(s.end(), {near, in_band, equal, mirrored});
      return s;
    }
    case Act::DSILU: return {{"beta 1", {1.0}}, {"beta 0.58", {0.58}}, {"negative beta", {-0.8}}, {"beta 2.5", {2.5}}};
    case Act::SHReLU: return {{"typical", {0.2}}, {"small tau", {1e-3}}, {"negative tau", {-0.3}}};
    case Act::Mish: return {{"no parameters", {}}};
    case Act::MiDA:
      return {{"typical", {0.7, 0.25}}, {"small tau", {0.7, 1e-3}}, {"negative lambda", {-0.7, 0.25}}};
    default: break;  // a newer row: tests/test_act_table.cpp checks it from its default initialiser
  }
  return {};
}

void check_act(Act act, DType dt) {
  uint64_t seed = 1000 * (static_cast<uint64_t>(act) + 1);
  for (Range range : ranges_of(act)) {
    for (const ParamSet& ps : param_sets(act, range)) {
      for (const Layout& L : kLayouts) {
        const std::vector<Tensor> params = make_params(ps, L.p, seed += 10);
        const ActLayout lay = ps.base.empty() ? ActLayout{} : adaptive_layout(act, range, L.x, L.p);
        const Tensor x = make_input(act, range, L.x, params, lay, seed + 5);
        std::vector<Tensor> inputs{x};
        inputs.insert(inputs.end(), params.begin(), params.end());
        const std::string what = std::string(kernels::act_name(act)) + " " + kernels::range_name(range) + " " +
                                 ps.what + " " + L.name;
        gradcheck(
            what,
            [act, range](const std::vector<Tensor>& v) {
              return adaptive_activation(act, range, v[0], std::vector<Tensor>(v.begin() + 1, v.end()));
            },
            inputs, dt);
      }
    }
  }
}

void check_bhsa(DType dt) { check_act(Act::BHSA, dt); }
void check_bhaa(DType dt) { check_act(Act::BHAA, dt); }
void check_bhata(DType dt) { check_act(Act::BHATA, dt); }
void check_bhana(DType dt) { check_act(Act::BHANA, dt); }
void check_dsilu(DType dt) { check_act(Act::DSILU, dt); }
void check_shrelu(DType dt) { check_act(Act::SHReLU, dt); }
void check_mish(DType dt) { check_act(Act::Mish, dt); }
void check_mida(DType dt) { check_act(Act::MiDA, dt); }

// Forward and every gradient through the op: x [1, n], per-feature parameters [n] filled with
// one value each, loss = sum(y), so grads are the per-element dy/dx and dy/dp.
struct Eval {
  std::vector<double> y, gx;
  std::vector<std::vector<double>> gp;
};

Eval eval_op(Act act, Range range, const std::vector<double>& xs, const std::vector<double>& pv, DType dt) {
  const int64_t n = static_cast<int64_t>(xs.size());
  Tensor x = Tensor::from_vector({1, n}, xs, dt);
  x.set_requires_grad(true);
  std::vector<Tensor> ps;
  for (double v : pv) {
    Tensor p = Tensor::full({n}, v, dt);
    p.set_requires_grad(true);
    ps.push_back(p);
  }
  Tensor y = adaptive_activation(act, range, x, ps);
  autograd::backward(sum(y));
  Eval e{y.to_vector(), x.grad().to_vector(), {}};
  for (const Tensor& p : ps) e.gp.push_back(p.grad().to_vector());
  return e;
}

bool all_finite(const std::vector<double>& v) {
  for (double e : v)
    if (!std::isfinite(e)) return false;
  return true;
}

}  // namespace

AAFGAN_GRADCHECK_CASES("BHSA", check_bhsa)
AAFGAN_GRADCHECK_CASES("BHAA", check_bhaa)
AAFGAN_GRADCHECK_CASES("BHATA", check_bhata)
AAFGAN_GRADCHECK_CASES("BHANA", check_bhana)
AAFGAN_GRADCHECK_CASES("DSILU", check_dsilu)
AAFGAN_GRADCHECK_CASES("SHReLU", check_shrelu)
AAFGAN_GRADCHECK_CASES("Mish", check_mish)
AAFGAN_GRADCHECK_CASES("MiDA", check_mida)

TEST_CASE("activations: no NaN or inf for |x| up to 1e4") {
  std::vector<double> xs = {0.0, 1e-300, -1e-300, 1e-8, -1e-8, 0.5, -0.5, 1.0, -1.0, 19.99, 20.01, 50, -50,
                            88.8, -88.8, 710, -710, 1e3, -1e3, 9999.5, -9999.5, 1e4, -1e4};
  // Typical, tiny and zero τ, negative and large λ, τ1 ≈ τ2, and one τ exactly 0.
  const std::vector<std::vector<double>> sets3 = {{0.5, 0.25, 0.7}, {0.8, 1e-3, 2e-3}, {-0.7, 0.4, 0.1},
                                                  {30.0, 0.3, 0.3 * (1 + 1e-7)}, {0.5, 0.0, 0.0},
                                                  {1e-3, 0.6, 0.0}, {2.0, -0.3, 0.3 + 1e-5}};
  for (DType dt : {DType::f32, DType::f64}) {
    for (Act act : kAll) {
      for (Range range : ranges_of(act)) {
        const int np = kernels::act_param_count(act);
        for (const auto& s3 : sets3) {
          std::vector<double> pv;
          if (np == 1) pv = {act == Act::DSILU ? s3[0] * 4 : s3[1]};
          if (np == 2) pv = {s3[0], s3[1]};
          if (np == 3) pv = s3;
          const Eval e = eval_op(act, range, xs, pv, dt);
          INFO(std::string(kernels::act_name(act)) << " " << std::string(kernels::range_name(range)) << " " << std::string(dtype_name(dt)) << " params "
                                      << s3[0] << " " << s3[1] << " " << s3[2]);
          CHECK(all_finite(e.y));
          CHECK(all_finite(e.gx));
          for (const auto& g : e.gp) CHECK(all_finite(g));
        }
      }
    }
  }
}

// The GPU's f32 kernels evaluate such elements in f64 (kernels/cuda/activations.cu); the CPU's f32
// formulas must stay finite there too, or the two backends disagree (NaN against a finite slope).
// |u|·τ beyond the float range once overflowed bihyp_dDdu's products: x = 1e30 with τ = 1e15.
TEST_CASE("activations: f32 forward and gradients stay finite and near f64 for huge x with huge or tiny tau") {
  const std::vector<double> xs = {1e30, -1e30, 3e12, -2e15, 1e-30, -1e-30, 0.0, 0.7, -1.3, 20.0};
  const std::vector<std::vector<double>> sets3 = {{0.55, 1e15, 3e14}, {-0.6, 1e15, 3e14}, {0.55, 1e-30, 2e-30},
                                                  {0.55, 1e-30, 0.3}, {0.55, 0.25, 0.3}};
  // The functions whose device f32 formulas have a fast domain (DSILU's and Mish's do not, and
  // their βx beyond the float range is an f32 limit of its own).
  for (Act act : {Act::BHSA, Act::BHAA, Act::BHATA, Act::BHANA, Act::SHReLU, Act::MiDA}) {
    for (Range range : ranges_of(act)) {
      const int np = kernels::act_param_count(act);
      for (const auto& s3 : sets3) {
        // SHReLU's one parameter is a τ; the others take (λ, τ1[, τ2]).
        const std::vector<double> pv =
            np == 1 ? std::vector<double>{s3[1]} : std::vector<double>(s3.begin(), s3.begin() + np);
        const Eval f = eval_op(act, range, xs, pv, DType::f32), d = eval_op(act, range, xs, pv, DType::f64);
        INFO(std::string(kernels::act_name(act)) << " " << std::string(kernels::range_name(range)) << " params " << s3[0] << " "
                                                 << s3[1] << " " << s3[2]);
        CHECK(all_finite(f.y));
        CHECK(all_finite(f.gx));
        for (const auto& g : f.gp) CHECK(all_finite(g));
        for (size_t i = 0; i < xs.size(); ++i) {
          INFO("x = " << xs[i]);
          CHECK(std::fabs(f.y[i] - d.y[i]) <= 1e-5 * (std::fabs(d.y[i]) + 1));
          CHECK(std::fabs(f.gx[i] - d.gx[i]) <= 1e-5 * (std::fabs(d.gx[i]) + 1));
        }
      }
    }
  }
}

TEST_CASE("activations: BHSA sym tends to clamp(2 lambda x, -1, 1) as tau -> 0") {
  std::vector<double> xs;
  for (int i = -400; i <= 400; ++i) xs.push_back(i * 0.01);
  for (double lam : {0.5, -1.3}) {
    for (double tau : {1e-3, 1e-6, 1e-9, 0.0}) {
      const Eval e = eval_op(Act::BHSA, Range::sym, xs, {lam, tau}, DType::f64);
      for (size_t i = 0; i < xs.size(); ++i) {
        const double clamp = std::max(-1.0, std::min(1.0, 2 * lam * xs[i]));
        // The largest gap is at the knees: 1 − (hypot(2, 2τ) − 2τ)/2 ≈ τ.
        CHECK(std::fabs(e.y[i] - clamp) <= 1.01 * tau + 1e-15);
        CHECK(std::isfinite(e.gx[i]));
        CHECK(std::isfinite(e.gp[0][i]));
        CHECK(std::isfinite(e.gp[1][i]));
        // Away from the knees the slope is the clamp's: 2λ inside, 0 outside.
        // (The slope's deviation from the clamp's is ~(2τ)²/(2(1 − u)²) relative.)
        const double u = std::fabs(2 * lam * xs[i]);
        if (std::fabs(u - 1) > std::max(1e-2, 100 * tau))
          CHECK(e.gx[i] == doctest::Approx(u < 1 ? 2 * lam : 0.0).epsilon(1e-3).scale(1));
      }
    }
  }
}

// The fused loops are compiled with -ffp-contract=off; a test file built with -march=native may
// fuse multiply-adds in the same scalar formula, so "the same" means equal to a few ulps.
template <typename T>
bool same_to_rounding(T a, T b) {
  const T scale = std::max(std::fabs(a), std::fabs(b));
  return std::fabs(a - b) <= T(8) * std::numeric_limits<T>::epsilon() * scale + std::numeric_limits<T>::min();
}

TEST_CASE("activations: BHATA gradient is exactly 0 where the clamp is active") {
  std::vector<double> xs;
  for (int i = -300; i <= 300; ++i) xs.push_back(i * 0.02 + 0.001);
  for (Range range : {Range::unit, Range::sym}) {
    for (const std::vector<double>& pv : {std::vector<double>{0.5, 0.6, 0.2}, {0.5, 0.2, 0.6}, {-0.9, 0.1, 0.45}}) {
      const Eval e = eval_op(Act::BHATA, range, xs, pv, DType::f64);
      const double lo = range == Range::unit ? 0.0 : -1.0;
      int active = 0;
      for (size_t i = 0; i < xs.size(); ++i) {
        const double raw = kernels::bhaa_forward(xs[i], pv[0], pv[1], pv[2], range);
        // Within rounding of a bound the two compilations may disagree on which side it is.
        if (std::fabs(raw - 1.0) < 1e-12 || std::fabs(raw - lo) < 1e-12) continue;
        if (raw > 1.0 || raw < lo) {
          ++active;
          CHECK(e.y[i] == (raw > 1.0 ? 1.0 : lo));
          CHECK(e.gx[i] == 0.0);
          for (const auto& g : e.gp) CHECK(g[i] == 0.0);
        } else {
          CHECK(same_to_rounding(e.y[i], raw));
          CHECK(e.gx[i] != 0.0);
        }
      }
      CHECK(active > 10);  // the overshoot exists, so the test exercised the clamp
    }
  }
}

TEST_CASE("activations: BHANA's range is exactly the target range") {
  for (Range range : {Range::unit, Range::sym}) {
    const double k = range == Range::unit ? 4.0 : 2.0, lo = range == Range::unit ? 0.0 : -1.0;
    for (const std::vector<double>& pv : {std::vector<double>{0.5, 0.6, 0.2}, {0.5, 0.2, 0.6}, {-0.7, 0.25, 0.35},
                                          {0.9, -0.5, 0.3}, {2.0, 0.31, 0.3}, {0.3, 1e-3, 2e-3}}) {
      const double a1 = std::fabs(pv[1]), a2 = std::fabs(pv[2]);
      const double xstar = (a1 + a2) / (k * pv[0] * (a1 - a2));  // activations.md's x*
      const double extremum = a1 > a2 ? 1.0 : lo;
      const Eval at = eval_op(Act::BHANA, range, {xstar}, pv, DType::f64);
      INFO(std::string(kernels::range_name(range)) << " lambda " << pv[0] << " tau1 " << pv[1] << " tau2 " << pv[2]);
      CHECK(std::fabs(at.y[0] - extremum) <= 1e-12);
      // The extremum stays at the bound whatever the parameters, and the slope there is 0, so
      // the parameter gradients vanish at x* (the envelope theorem at work).
      CHECK(std::fabs(at.gx[0]) <= 1e-8);
      for (const auto& g : at.gp) CHECK(std::fabs(g[0]) <= 1e-8);
      // Over a grid through x* the output never leaves [lo, hi].
      std::vector<double> xs;
      for (int i = -2000; i <= 2000; ++i) xs.push_back(xstar + i * 1e-3 * std::max(1.0, std::fabs(xstar)));
      const Eval e = eval_op(Act::BHANA, range, xs, pv, DType::f64);
      for (double y : e.y) {
        CHECK(y <= 1.0 + 1e-15);
        CHECK(y >= lo - 1e-15);
      }
    }
  }
}

TEST_CASE("activations: BHANA is continuous through tau1 = tau2") {
  std::vector<double> xs;
  for (int i = -60; i <= 60; ++i) xs.push_back(i * 0.1);
  for (Range range : {Range::unit, Range::sym}) {
    const Eval eq = eval_op(Act::BHANA, range, xs, {0.6, 0.3, 0.3}, DType::f64);
    for (double d : {1e-9, 1e-7, 1e-6, 1e-5}) {
      for (double sign : {1.0, -1.0}) {
        const Eval e = eval_op(Act::BHANA, range, xs, {0.6, 0.3 + sign * d, 0.3}, DType::f64);
        for (size_t i = 0; i < xs.size(); ++i) {
          CHECK(std::fabs(e.y[i] - eq.y[i]) <= 2 * d);
          CHECK(std::fabs(e.gx[i] - eq.gx[i]) <= 10 * d);
          for (size_t k = 0; k < 3; ++k) CHECK(std::fabs(e.gp[k][i] - eq.gp[k][i]) <= 10 * d);
        }
      }
    }
  }
}

TEST_CASE("pytorch fixture: activations") {
  std::ifstream in(std::string(AAFGAN_FIXTURES_DIR) + "/activations_reference.json");
  REQUIRE_MESSAGE(in.good(), "missing tests/fixtures/activations_reference.json (tools/make_activation_fixtures.py)");
  const nlohmann::json fx = nlohmann::json::parse(in);
  REQUIRE(fx["cases"].size() > 40);
  for (const auto& c : fx["cases"]) {
    const Act act = parse_act(c["act"].get<std::string>());
    const Range range = parse_range(c["range"].get<std::string>());
    const auto pv = c["params"].get<std::vector<double>>();
    const auto xs = c["x"].get<std::vector<double>>();
    const auto y = c["y"].get<std::vector<double>>(), gx = c["gx"].get<std::vector<double>>();
    const auto gp = c["gparams"].get<std::vector<std::vector<double>>>();
    for (DType dt : {DType::f64, DType::f32}) {
      // f64: the stable forms agree with the literal formulas to rounding. f32: single precision.
      const double tol = dt == DType::f64 ? 1e-12 : 1e-5;
      const Eval e = eval_op(act, range, xs, pv, dt);
      int bad = 0;
      auto cmp = [&](const char* what, double got, double want, size_t i) {
        if (std::fabs(got - want) <= tol * (1 + std::fabs(want))) return;
        if (bad++ < 3)
          FAIL_CHECK(c["act"].get<std::string>() << " " << c["range"].get<std::string>() << " " << c["params"].dump()
                                                 << " " << dtype_name(dt) << " " << what << " at x=" << xs[i] << ": got "
                                                 << got << " torch " << want);
      };
      for (size_t i = 0; i < xs.size(); ++i) {
        cmp("y", e.y[i], y[i], i);
        cmp("dy/dx", e.gx[i], gx[i], i);
        for (size_t k = 0; k < gp.size(); ++k) cmp(kernels::act_param_name(act, static_cast<int>(k)), e.gp[k][i], gp[k][i], i);
      }
      CHECK(bad == 0);
    }
  }
}

TEST_CASE("activations: shape, count and dtype errors name the activation and the shapes") {
  const Tensor x = Tensor::zeros({4, 3, 2, 2}, DType::f64);
  auto p = [](const Shape& s) { return Tensor::ones(s, DType::f64); };
  auto message = [](auto&& fn) {
    try {
      fn();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string wrong = message([&] { adaptive_activation(Act::BHSA, Range::sym, x, {p({3, 2}), p({3, 2})}); });
  CHECK(wrong.find("BHSA") != std::string::npos);
  CHECK(wrong.find("[3,2]") != std::string::npos);
  CHECK(wrong.find("[4,3,2,2]") != std::string::npos);
  CHECK(wrong.find("[3,2,2]") != std::string::npos);
  CHECK_THROWS_AS(adaptive_activation(Act::BHSA, Range::sym, x, {p({4}), p({4})}), Error);
  CHECK_THROWS_AS(adaptive_activation(Act::MiDA, Range::sym, Tensor::zeros({4, 3}, DType::f64), {p({4}), p({4})}),
                  Error);
  // Per-channel [C] only exists for 4-D inputs.
  CHECK_THROWS_AS(adaptive_activation(Act::SHReLU, Range::sym, Tensor::zeros({4, 3, 5}, DType::f64), {p({3})}), Error);
  // Wrong count, mixed shapes, mixed dtypes.
  const std::string count = message([&] { adaptive_activation(Act::BHAA, Range::unit, x, {p({3}), p({3})}); });
  CHECK(count.find("BHAA") != std::string::npos);
  CHECK(count.find("tau2") != std::string::npos);
  CHECK_THROWS_AS(adaptive_activation(Act::Mish, Range::sym, x, {p({3})}), Error);
  CHECK_THROWS_AS(adaptive_activation(Act::BHSA, Range::sym, x, {p({3}), p({3, 2, 2})}), Error);
  CHECK_THROWS_AS(adaptive_activation(Act::DSILU, Range::sym, x, {Tensor::ones({3}, DType::f32)}), Error);
  // The accepted layouts.
  CHECK(adaptive_activation(Act::BHSA, Range::sym, x, {p({3, 2, 2}), p({3, 2, 2})}).shape() == x.shape());
  CHECK(adaptive_activation(Act::BHSA, Range::sym, x, {p({3}), p({3})}).shape() == x.shape());
  CHECK(adaptive_activation(Act::Mish, Range::sym, x, {}).shape() == x.shape());
}

TEST_CASE("activations: parse_act accepts exactly the CLI names") {
  for (Act a : kAll) CHECK(parse_act(kernels::act_name(a)) == a);
  CHECK(nn::parse_act("MiDA") == Act::MiDA);
  try {
    parse_act("mish");
    FAIL("lower-case name accepted");
  } catch (const Error& e) {
    const std::string m = e.what();
    CHECK(m.find("mish") != std::string::npos);
    for (Act a : kAll) CHECK(m.find(kernels::act_name(a)) != std::string::npos);
  }
  CHECK_THROWS_AS(parse_range("tanh"), Error);
  CHECK(parse_range("unit") == Range::unit);
}

TEST_CASE("activations: fused backward matches a per-element reference and is deterministic") {
  // Shapes that take each path of the CPU tiling: many slots (one row chunk), few slots with a
  // batch split into chunks (partial sums), and the per-channel mode with a large inner size.
  struct Case {
    Shape x, p;
  };
  // All are large enough to run on several threads.
  const Case cases[] = {{{100, 1024}, {1024}}, {{3000, 3, 2, 2}, {3}}, {{40000, 1}, {1}}, {{4, 8, 32, 32}, {8}}};
  for (Act act : {Act::BHSA, Act::BHANA, Act::MiDA, Act::DSILU, Act::Mish}) {
    for (const Case& c : cases) {
      const int np = kernels::act_param_count(act);
      const Range range = Range::sym;
      Generator gen(99);
      Tensor x = randn(c.x, gen, DType::f32), gy = randn(c.x, gen, DType::f32);
      std::vector<Tensor> ps;
      for (int k = 0; k < np; ++k) {
        Tensor t = Tensor::empty(c.p, DType::f32);
        gen.normal_(t, k == 0 ? 0.6 : 0.3 + 0.1 * k, 0.05);
        ps.push_back(t);
      }
      const ActLayout lay = np ? adaptive_layout(act, range, c.x, c.p) : ActLayout{};
      const int64_t n = x.numel();
      std::vector<const float*> pp;
      for (const Tensor& t : ps) pp.push_back(t.data<float>());
      auto run = [&](int threads, std::vector<float>& gx, std::vector<std::vector<float>>& gp) {
        omp_set_num_threads(threads);
        gx.assign(static_cast<size_t>(n), 0.f);
        gp.assign(static_cast<size_t>(np), std::vector<float>(static_cast<size_t>(lay.P), -1.f));
        std::vector<float*> gpp;
        for (auto& g : gp) gpp.push_back(g.data());
        kernels::cpu::act_backward<float>(act, range, x.data<float>(), gy.data<float>(), gx.data(), gpp.data(),
                                              n, pp.data(), lay.P, lay.inner);
      };
      std::vector<float> gx1, gx2;
      std::vector<std::vector<float>> gp1, gp2;
      const int max_threads = omp_get_max_threads();
      run(1, gx1, gp1);
      run(std::max(2, max_threads), gx2, gp2);
      omp_set_num_threads(max_threads);
      INFO(std::string(kernels::act_name(act)) << " x " << c.x.str() << " params " << c.p.str());
      CHECK(std::memcmp(gx1.data(), gx2.data(), gx1.size() * sizeof(float)) == 0);
      for (int k = 0; k < np; ++k) CHECK(std::memcmp(gp1[k].data(), gp2[k].data(), gp1[k].size() * sizeof(float)) == 0);
      // Per-element reference: the scalar math, summed in double per slot.
      std::vector<std::vector<double>> ref(static_cast<size_t>(np), std::vector<double>(static_cast<size_t>(lay.P)));
      const float* px = x.data<float>();
      const float* pg = gy.data<float>();
      int bad = 0;
      for (int64_t i = 0; i < n; ++i) {
        const int64_t j = (i / lay.inner) % lay.P;
        float p[3] = {}, dp[3] = {};
        for (int k = 0; k < np; ++k) p[k] = pp[static_cast<size_t>(k)][j];
        const float d = kernels::act_backward(act, px[i], p, range, dp);
        if (!same_to_rounding(gx1[static_cast<size_t>(i)], pg[i] * d)) ++bad;
        for (int k = 0; k < np; ++k) ref[static_cast<size_t>(k)][static_cast<size_t>(j)] += double(pg[i]) * double(dp[k]);
      }
      CHECK(bad == 0);
      for (int k = 0; k < np; ++k)
        for (int64_t j = 0; j < lay.P; ++j)
          CHECK(gp1[static_cast<size_t>(k)][static_cast<size_t>(j)] ==
                doctest::Approx(ref[static_cast<size_t>(k)][static_cast<size_t>(j)]).epsilon(1e-6));
      // The forward kernel writes exactly the scalar formula.
      std::vector<float> y(static_cast<size_t>(n));
      kernels::cpu::act_forward<float>(act, range, px, y.data(), n, pp.data(), lay.P, lay.inner);
      int fbad = 0;
      for (int64_t i = 0; i < n; ++i) {
        const int64_t j = (i / lay.inner) % lay.P;
        float p[3] = {};
        for (int k = 0; k < np; ++k) p[k] = pp[static_cast<size_t>(k)][j];
        if (!same_to_rounding(y[static_cast<size_t>(i)], kernels::act_forward(act, px[i], p, range))) ++fbad;
      }
      CHECK(fbad == 0);
    }
  }
}

TEST_CASE("activations: default initialisers follow the table, by placement") {
  Generator gen(2024);
  const Shape shape{40000};
  const double n = 40000;
  struct Want {
    Act act;
    Range range;
    std::vector<std::pair<double, double>> ms;  // mean, std per parameter
  };
  const std::vector<Want> wants = {
      {Act::BHSA, Range::sym, {{0.5, 0.05}, {0.25, 0.05}}},
      {Act::BHSA, Range::unit, {{0.5, 0.05}, {0.7, 0.05}}},
      {Act::BHAA, Range::sym, {{0.5, 0.05}, {0.25, 0.05}, {0.25, 0.05}}},
      {Act::BHATA, Range::unit, {{0.5, 0.05}, {0.7, 0.05}, {0.7, 0.05}}},
      {Act::BHANA, Range::sym, {{0.5, 0.05}, {0.25, 0.05}, {0.25, 0.05}}},
      {Act::BHANA, Range::unit, {{0.5, 0.05}, {0.7, 0.05}, {0.7, 0.05}}},
      {Act::MiDA, Range::sym, {{0.7, 0.01}, {0.25, 0.01}}},
      {Act::MiDA, Range::unit, {{0.7, 0.01}, {0.25, 0.01}}},
      {Act::SHReLU, Range::sym, {{0.0, 0.2}}},
      {Act::SHReLU, Range::unit, {{0.0, 0.2}}},
      {Act::DSILU, Range::sym, {{1.0, 0.0}}},
      {Act::DSILU, Range::unit, {{0.58, 0.0}}},
  };
  for (const Want& w : wants) {
    for (const nlohmann::json& spec : {nlohmann::json(), nlohmann::json{{"name", "default"}}}) {
      nn::AdaptiveActivation layer(w.act, w.range, shape, spec, gen, DType::f64);
      REQUIRE(layer.params().size() == w.ms.size());
      for (size_t k = 0; k < w.ms.size(); ++k) {
        const auto v = layer.params()[k].to_vector();
        double m = 0, s2 = 0;
        for (double e : v) m += e;
        m /= n;
        for (double e : v) s2 += (e - m) * (e - m);
        const double sd = std::sqrt(s2 / (n - 1));
        const auto [want_m, want_s] = w.ms[k];
        INFO(std::string(kernels::act_name(w.act)) << " " << std::string(kernels::range_name(w.range)) << " param " << k);
        // 5 standard errors: a false alarm is ~1e-6 per check.
        // (+1e-12: the summation error of a constant parameter such as DSILU's 0.58.)
        CHECK(std::fabs(m - want_m) <= 5 * want_s / std::sqrt(n) + 1e-12);
        CHECK(std::fabs(sd - want_s) <= 5 * want_s / std::sqrt(2 * n) + 1e-12);
        CHECK(layer.params()[k].requires_grad());
      }
    }
  }
  nn::AdaptiveActivation m(Act::Mish, Range::sym, shape, nullptr, gen);
  CHECK(m.params().empty());
  CHECK(m.stats().empty());
}

TEST_CASE("activations: config initialisers normal, per-parameter and xavier_normal") {
  Generator gen(7);
  auto stats_of = [](const Tensor& t) {
    const auto v = t.to_vector();
    double m = 0, s2 = 0;
    for (double e : v) m += e;
    m /= static_cast<double>(v.size());
    for (double e : v) s2 += (e - m) * (e - m);
    return std::make_pair(m, std::sqrt(s2 / static_cast<double>(v.size() - 1)));
  };
  const double n = 40000;
  auto close = [&](const Tensor& t, double m, double s) {
    const auto [gm, gs] = stats_of(t);
    CHECK(std::fabs(gm - m) <= 5 * s / std::sqrt(n) + 1e-15);
    CHECK(std::fabs(gs - s) <= 5 * s / std::sqrt(2 * n) + 1e-15);
  };
  using J = nlohmann::json;
  {
    nn::AdaptiveActivation l(Act::BHSA, Range::sym, {40000}, J{{"name", "normal"}, {"mean", 0.3}, {"std", 0.02}}, gen);
    close(l.params()[0], 0.3, 0.02);
    close(l.params()[1], 0.3, 0.02);
  }
  {
    const J spec = {{"name", "normal"}, {"l", {{"mean", 1.0}, {"std", 0.1}}}, {"t", {{"mean", 0.4}, {"std", 0.03}}}};
    nn::AdaptiveActivation l(Act::MiDA, Range::sym, {40000}, spec, gen);
    close(l.params()[0], 1.0, 0.1);
    close(l.params()[1], 0.4, 0.03);
    nn::AdaptiveActivation a(Act::BHANA, Range::unit, {40000}, spec, gen);
    close(a.params()[1], 0.4, 0.03);  // τ1 and τ2 fall back to "t"
    close(a.params()[2], 0.4, 0.03);
  }
  {
    const J spec = {{"name", "normal"}, {"t1", {{"mean", 0.9}, {"std", 0.01}}}, {"t", {{"mean", 0.1}, {"std", 0.02}}}};
    nn::AdaptiveActivation l(Act::BHAA, Range::sym, {40000}, spec, gen);
    close(l.params()[0], 0.5, 0.05);  // λ has no entry and no top-level mean: the default
    close(l.params()[1], 0.9, 0.01);
    close(l.params()[2], 0.1, 0.02);
  }
  {
    nn::AdaptiveActivation l(Act::DSILU, Range::unit, {40000}, J{{"name", "normal"}, {"b", {{"mean", 2}, {"std", 0.5}}}},
                             gen);
    close(l.params()[0], 2.0, 0.5);
  }
  {
    nn::AdaptiveActivation l(Act::BHSA, Range::unit, {40000}, J{{"name", "xavier_normal"}}, gen);
    close(l.params()[0], 0.0, std::sqrt(1.0 / 40000));
    // [C,H,W] = [4,100,100]: PyTorch's fans, fan_in = H·W, fan_out = C·W.
    nn::AdaptiveActivation c(Act::SHReLU, Range::unit, {4, 100, 100}, J{{"name", "xavier_normal"}}, gen);
    close(c.params()[0], 0.0, std::sqrt(2.0 / (100 * 100 + 4 * 100)));
  }
  CHECK_THROWS_AS(nn::AdaptiveActivation(Act::BHSA, Range::sym, {4}, J{{"name", "uniform"}}, gen), Error);
  CHECK_THROWS_AS(nn::AdaptiveActivation(Act::BHSA, Range::sym, {4}, J{{"name", "normal"}, {"mean", 1}}, gen), Error);
  CHECK_THROWS_AS(nn::AdaptiveActivation(Act::BHSA, Range::sym, {4}, J{{"name", "normal"}, {"tua", 1}}, gen), Error);
  CHECK_THROWS_AS(nn::AdaptiveActivation(Act::BHSA, Range::sym, {4}, J{{"mean", 1}}, gen), Error);
  CHECK_NOTHROW(nn::AdaptiveActivation(Act::BHSA, Range::sym, {4}, J{{"name", "default"}, {"_note", "x"}}, gen));
}

TEST_CASE("activations: layer forward, statistics and parameter names") {
  Generator gen(3);
  nn::AdaptiveActivation l(Act::BHANA, Range::sym, {3}, nullptr, gen, DType::f64);
  const auto named = l.named_parameters();
  REQUIRE(named.size() == 3);
  CHECK(named[0].first == "lambda");
  CHECK(named[1].first == "tau1");
  CHECK(named[2].first == "tau2");
  Tensor lam = l.params()[0];
  lam.copy_(Tensor::from_vector({3}, {0.5, -1.0, 2.0}, DType::f64));
  const auto st = l.stats();
  REQUIRE(st.size() == 3);
  CHECK(st[0].name == "lambda");
  CHECK(st[0].mean == doctest::Approx(0.5));
  CHECK(st[0].max == 2.0);
  CHECK(st[0].min == -1.0);
  const Tensor x = Tensor::from_vector({2, 3}, {0.1, 0.2, 0.3, -1, 0, 1}, DType::f64);
  const Tensor y = l(x);
  const auto yv = y.to_vector();
  const auto lv = l.params()[0].to_vector(), t1 = l.params()[1].to_vector(), t2 = l.params()[2].to_vector();
  for (int i = 0; i < 6; ++i) CHECK(yv[i] == kernels::bhana_forward(x.to_vector()[i], lv[i % 3], t1[i % 3], t2[i % 3], Range::sym));
  nn::AdaptiveActivation c(Act::DSILU, Range::unit, {2}, nullptr, gen);
  CHECK(c.named_parameters()[0].first == "beta");
  CHECK(c(Tensor::zeros({5, 2, 3, 3})).shape() == Shape({5, 2, 3, 3}));  // per-channel on images
}

TEST_CASE("activations: freezing keeps parameters bit-identical under Adam") {
  Generator gen(11);
  nn::Linear lin(4, 6, gen, true, DType::f32);
  nn::AdaptiveActivation act(Act::MiDA, Range::sym, {6}, nullptr, gen, DType::f32);
  std::vector<Tensor> params = lin.parameters();
  for (const Tensor& p : act.parameters()) params.push_back(p);
  optim::AdamOptions opt;
  opt.lr = 0.01;
  opt.beta1 = 0.5;
  optim::Adam adam(params, opt);
  const Tensor x = randn({8, 4}, gen);
  auto step = [&] {
    adam.zero_grad();
    autograd::backward(sum(mul(act(lin(x)), act(lin(x)))));
    adam.step();
  };
  auto snapshot = [](const std::vector<Tensor>& ts) {
    std::vector<std::vector<double>> v;
    for (const Tensor& t : ts) v.push_back(t.to_vector());
    return v;
  };
  // Before freezing, the activation learns.
  const auto act0 = snapshot(act.parameters());
  step();
  CHECK(snapshot(act.parameters()) != act0);
  // A pending gradient must not leak into a step after freezing either.
  adam.zero_grad();
  autograd::backward(sum(act(lin(x))));
  CHECK_FALSE(act.frozen());
  act.freeze();
  CHECK(act.frozen());
  for (const Tensor& p : act.parameters()) {
    CHECK_FALSE(p.requires_grad());
    CHECK_FALSE(p.grad().defined());
  }
  adam.step();
  const auto act1 = snapshot(act.parameters());
  const auto lin1 = snapshot(lin.parameters());
  for (int i = 0; i < 3; ++i) step();
  const auto act2 = snapshot(act.parameters());
  REQUIRE(act2.size() == act1.size());
  for (size_t k = 0; k < act1.size(); ++k)
    CHECK(std::memcmp(act1[k].data(), act2[k].data(), act1[k].size() * sizeof(double)) == 0);
  CHECK(snapshot(lin.parameters()) != lin1);  // the rest still learns
  // Gradients still flow through a frozen activation to the layers before it.
  adam.zero_grad();
  autograd::backward(sum(act(lin(x))));
  CHECK(lin.weight.grad().defined());
}
