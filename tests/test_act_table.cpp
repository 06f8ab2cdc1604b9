// The activation table (kernels/math/act_table.h) tested row by row, so that a new row is
// covered without writing a test: the table is consistent with the names the engine parses,
// every row's backward matches central differences in f64 from its own default initialiser,
// and every exact-range row stays inside its range in f32 and f64 over a sweep of extreme
// inputs and parameters, on the CPU and (cases named cuda…) on the GPU, where it also matches
// the CPU.
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <set>
#include <string>

#include <fmt/format.h>

#include "engine/autograd.h"
#include "engine/ops/adaptive.h"
#include "tests/gpu.h"
#include "tests/gradcheck.h"

using namespace aafgan;
using aafgan::testing::gradcheck;
using aafgan::testing::random_input;
using kernels::ActBound;
using kernels::ActUse;

namespace {

std::vector<Range> ranges_of(Act a) {
  if (kernels::act_uses_range(a)) return {Range::unit, Range::sym};
  return {Range::sym};
}

double lo_of(Range r) { return kernels::range_lo<double>(r); }
double hi_of(Range r) { return kernels::range_hi<double>(r); }

// Parameters per slot drawn from the row's default initialiser for this placement, times sign.
std::vector<Tensor> row_params(Act act, Range range, const Shape& shape, uint64_t seed, double sign) {
  std::mt19937_64 rng(seed);
  std::vector<Tensor> out;
  for (int k = 0; k < kernels::act_param_count(act); ++k) {
    const kernels::ActInit init = kernels::act_default_init(act, range, k);
    std::normal_distribution<double> nd(init.mean, init.std > 0 ? init.std : 1.0);
    Tensor p = Tensor::empty(shape, DType::f64);
    double* v = p.data<double>();
    for (int64_t i = 0; i < p.numel(); ++i) v[i] = sign * (init.std > 0 ? nd(rng) : init.mean);
    p.set_requires_grad(true);
    out.push_back(p);
  }
  return out;
}

// Inputs in [−3, 3] with 0, both tails and a small value written over the first elements: ±50
// (activations.md's far tails) for the bounded output rows, ±10 for hidden ones, whose values
// there may be large enough (λx² is 2500 at 50) that the loss's rounding swamps the central
// differences of the small elements. For an exact-range row every point is moved off its range
// bounds: a clamp there (BHATA) switches the slope off, and a central difference straddling it
// would measure half a slope.
Tensor row_input(Act act, Range range, const Shape& xs, const std::vector<Tensor>& params, uint64_t seed) {
  Tensor x = random_input(xs, seed, -3.0, 3.0);
  double* px = x.data<double>();
  const double tail = kernels::act_use(act) == ActUse::output ? 50.0 : 10.0;
  const double edge[] = {0.0, tail, -tail, 1e-3};
  for (int64_t i = 0; i < x.numel() && i < 4; ++i) px[i] = edge[i];
  if (kernels::act_row(act).bound == ActBound::exact) {
    const int64_t P = params.empty() ? 1 : params[0].numel();
    for (int64_t i = 0; i < x.numel(); ++i) {
      double p[kernels::kMaxActParams] = {};
      for (size_t k = 0; k < params.size(); ++k) p[k] = params[k].data<double>()[i % P];
      for (int tries = 0; tries < 100; ++tries) {
        const double y = kernels::act_forward(act, px[i], p, range);
        if (std::fabs(y - hi_of(range)) > 1e-4 && std::fabs(y - lo_of(range)) > 1e-4) break;
        px[i] += 0.0173;
      }
    }
  }
  x.set_requires_grad(true);
  return x;
}

void gradcheck_row(Act act) {
  uint64_t seed = 7000 + 100 * static_cast<uint64_t>(act);
  const struct {
    const char* name;
    Shape x, p;
  } layouts[] = {{"[n]", {4, 6}, {6}}, {"[C,H,W]", {2, 2, 2, 3}, {2, 2, 3}}};
  for (Range range : ranges_of(act)) {
    for (double sign : {1.0, -1.0}) {
      for (const auto& L : layouts) {
        const std::vector<Tensor> params = row_params(act, range, L.p, ++seed, sign);
        std::vector<Tensor> inputs{row_input(act, range, L.x, params, ++seed)};
        inputs.insert(inputs.end(), params.begin(), params.end());
        gradcheck(fmt::format("{} {} {} default init{}", kernels::act_name(act), kernels::range_name(range), L.name,
                              sign < 0 ? " negated" : ""),
                  [act, range](const std::vector<Tensor>& v) {
                    return adaptive_activation(act, range, v[0], std::vector<Tensor>(v.begin() + 1, v.end()));
                  },
                  inputs, DType::f64);
      }
    }
  }
}

// --- the range sweep ------------------------------------------------------------------------

// Elements of one forward pass: x [1, n] with per-feature parameters [n], one column per
// (input, parameter set) pair.
struct Sweep {
  std::vector<double> x;
  std::vector<std::vector<double>> p;
};

// Parameter values from zero and the denormal end to the largest a formula may scale by its
// k = 4 and square without leaving the type (|τ| up to max/16; λ and x take any value).
std::vector<double> param_values(DType dt) {
  std::vector<double> v = {0.0, 1e-30, -1e-30, 1e-3, -1e-3, 0.25, -0.25, 0.7, 3.0, -3.0, 1e6, -1e6, 1e15, 1e30, -1e30};
  const double big = dt == DType::f32 ? std::numeric_limits<float>::max() / 16 : std::numeric_limits<double>::max() / 16;
  v.push_back(big);
  v.push_back(-big);
  if (dt == DType::f64) {
    v.push_back(1e200);
    v.push_back(-1e300);
  }
  return v;
}

template <typename T>
std::vector<double> input_values() {
  using L = std::numeric_limits<T>;
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> v = {0.0, L::denorm_min(), 1e-30, 1e-6, 0.3, 0.5, 1.0, 3.0, 19.99, 20.01, 50.0, 88.8, 710.0,
                           1e4, 1e15, 1e30, L::max() / 9, L::max() / 7, L::max(), inf};
  const size_t n = v.size();
  for (size_t i = 0; i < n; ++i) v.push_back(-v[i]);
  return v;
}

// Inputs where a bi-hyperbolic row's value rounds at its range ends: its extremum
// x* = (|τ1| + |τ2|)/(kλ(|τ1| − |τ2|)) (activations.md, BHANA) and the knees u = kλx = ±1, each
// with its nearest neighbours in T.
template <typename T>
void add_rounding_points(std::vector<double>& xs, const std::vector<double>& p, Range range) {
  if (p.size() < 2 || p[0] == 0) return;
  const double k = kernels::range_k<double>(range), a1 = std::fabs(p[1]), a2 = std::fabs(p.back());
  std::vector<double> centres = {1 / (k * p[0]), -1 / (k * p[0])};
  if (a1 != a2) centres.push_back((a1 + a2) / (k * p[0] * (a1 - a2)));
  for (double c : centres) {
    T t = static_cast<T>(c);
    if (!std::isfinite(t)) continue;
    T up = t, down = t;
    xs.push_back(t);
    for (int i = 0; i < 3; ++i) {
      up = std::nextafter(up, std::numeric_limits<T>::infinity());
      down = std::nextafter(down, -std::numeric_limits<T>::infinity());
      xs.push_back(up);
      xs.push_back(down);
    }
  }
}

template <typename T>
Sweep make_sweep(Act act, Range range, DType dt) {
  const int np = kernels::act_param_count(act);
  const std::vector<double> values = param_values(dt);
  std::vector<std::vector<double>> sets{{}};
  for (int k = 0; k < np; ++k) {
    std::vector<std::vector<double>> next;
    for (const auto& s : sets)
      for (double v : values) {
        next.push_back(s);
        next.back().push_back(v);
      }
    sets = next;
  }
  // τ1 ≈ τ2 on both sides of BHANA's equality band, for three-parameter rows.
  if (np == 3)
    for (double lam : {0.5, -0.5, 1e6})
      for (double t : {0.25, 0.7})
        for (double rel : {1e-8, 1e-7, 1e-6, 1e-5, -1e-7, -1e-5}) sets.push_back({lam, t, t * (1 + rel)});
  std::mt19937_64 rng(99);
  std::uniform_real_distribution<double> mag(-3.0, 3.0), unit(0.0, 1.0);
  Sweep s;
  s.p.resize(static_cast<size_t>(np));
  const std::vector<double> base = input_values<T>();
  for (const auto& set : sets) {
    std::vector<double> xs = base;
    add_rounding_points<T>(xs, set, range);
    for (int i = 0; i < 16; ++i) xs.push_back((unit(rng) < 0.5 ? -1 : 1) * std::pow(10.0, mag(rng)));
    for (double x : xs) {
      s.x.push_back(x);
      for (int k = 0; k < np; ++k) s.p[static_cast<size_t>(k)].push_back(set[static_cast<size_t>(k)]);
    }
  }
  return s;
}

std::vector<double> sweep_forward(Act act, Range range, const Sweep& s, DType dt, Device dev) {
  autograd::NoGradGuard no_grad;
  const int64_t n = static_cast<int64_t>(s.x.size());
  const Tensor x = Tensor::from_vector({1, n}, s.x, dt).to(dev);
  std::vector<Tensor> ps;
  for (const auto& p : s.p) ps.push_back(Tensor::from_vector({n}, p, dt).to(dev));
  return adaptive_activation(act, range, x, ps).to(Device::cpu()).to_vector();
}

std::string element(const Sweep& s, size_t i) {
  std::string out = fmt::format("x = {:.17g}", s.x[i]);
  for (size_t k = 0; k < s.p.size(); ++k) out += fmt::format(", p{} = {:.17g}", k, s.p[k][i]);
  return out;
}

// Every output inside [lo, hi]; the first few outside are named.
void check_inside(Act act, Range range, DType dt, const Sweep& s, const std::vector<double>& y, const char* where) {
  int bad = 0;
  std::string first;
  for (size_t i = 0; i < y.size(); ++i) {
    if (y[i] >= lo_of(range) && y[i] <= hi_of(range)) continue;
    if (++bad <= 5) first += fmt::format("\n  y = {:.17g} at {}", y[i], element(s, i));
  }
  INFO(std::string(kernels::act_name(act)) << " " << std::string(kernels::range_name(range)) << " "
                                           << std::string(dtype_name(dt)) << " " << std::string(where) << ": " << bad << " of " << y.size() << " outside [" << lo_of(range) << ", " << hi_of(range)
                              << "]" << first);
  CHECK(bad == 0);
}

template <typename Fn>
void for_each_exact_row(Fn&& fn) {
  int rows = 0;
  for (Act act : kernels::kAllActs) {
    if (kernels::act_row(act).bound != ActBound::exact) continue;
    ++rows;
    for (Range range : {Range::unit, Range::sym}) fn(act, range);
  }
  CHECK(rows >= 4);  // BHSA, BHATA, BHANA, DSILU at least
}

}  // namespace

TEST_CASE("activation table: names, parameters, uses and ranges are consistent") {
  std::set<std::string> names;
  for (int i = 0; i < kernels::kActCount; ++i) {
    const Act act = kernels::kAllActs[i];
    const kernels::ActRow& row = kernels::act_row(act);
    INFO(std::string(row.name));
    CHECK(static_cast<int>(act) == i);
    CHECK(row.act == act);
    CHECK(names.insert(row.name).second);
    CHECK(parse_act(row.name) == act);
    CHECK(std::string(kernels::act_name(act)) == row.name);
    CHECK(std::string(row.name) != "default");  // the apps' word for the fixed function
    for (int k = 0; k < kernels::kMaxActParams; ++k) {
      const bool used = k < kernels::act_param_count(act);
      CHECK((row.params[k].name != nullptr) == used);
      if (used) {
        CHECK(std::string(kernels::act_param_name(act, k)) == row.params[k].name);
        CHECK(row.params[k].gen.std >= 0);
        CHECK(row.params[k].dis.std >= 0);
      }
    }
    CHECK(kernels::act_uses_range(act) == (row.use == ActUse::output));
    if (row.use == ActUse::hidden) CHECK(row.bound == ActBound::none);
    if (row.use == ActUse::output) CHECK(row.bound != ActBound::none);
  }
}

#define AAFGAN_ACT_GRADCHECK_CASE(name, formula, use, bound, params) \
  TEST_CASE("activation table: " #name " gradients match central differences in f64") { gradcheck_row(Act::name); }
AAFGAN_ACTIVATIONS(AAFGAN_ACT_GRADCHECK_CASE, AAFGAN_ACT_IGNORE)
#undef AAFGAN_ACT_GRADCHECK_CASE

TEST_CASE("activation table: exact ranges hold in f32 and f64 for extreme inputs and parameters") {
  for_each_exact_row([](Act act, Range range) {
    const Sweep s32 = make_sweep<float>(act, range, DType::f32);
    check_inside(act, range, DType::f32, s32, sweep_forward(act, range, s32, DType::f32, Device::cpu()), "cpu");
    const Sweep s64 = make_sweep<double>(act, range, DType::f64);
    check_inside(act, range, DType::f64, s64, sweep_forward(act, range, s64, DType::f64, Device::cpu()), "cpu");
  });
}

// BHANA in f32 at its lower extremum: the committed study's seed 2 of D-output BHANA stopped
// with a prediction of −5.9e-8, outside [0, 1].
TEST_CASE("activation table: BHANA at its extremum rounds inside its range in f32") {
  for (Range range : {Range::unit, Range::sym}) {
    const double k = kernels::range_k<double>(range);
    int outside = 0;
    std::mt19937_64 rng(5);
    std::normal_distribution<double> lam(0.5, 0.05), tau(range == Range::unit ? 0.7 : 0.25, 0.05);
    for (int i = 0; i < 20000; ++i) {
      const float p[3] = {static_cast<float>(lam(rng)), static_cast<float>(tau(rng)), static_cast<float>(tau(rng))};
      const double a1 = std::fabs(p[1]), a2 = std::fabs(p[2]);
      if (a1 == a2) continue;
      float x = static_cast<float>((a1 + a2) / (k * p[0] * (a1 - a2)));
      for (int j = 0; j < 5; ++j, x = std::nextafter(x, 1e30f)) {
        const float y = kernels::act_forward(Act::BHANA, x, p, range);
        outside += !(y >= kernels::range_lo<float>(range) && y <= 1.0f);
      }
    }
    INFO(std::string(kernels::range_name(range)));
    CHECK(outside == 0);
  }
}

TEST_CASE("cuda activation table: exact ranges hold on the GPU and match the CPU") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  for_each_exact_row([](Act act, Range range) {
    for (DType dt : {DType::f32, DType::f64}) {
      const Sweep s = dt == DType::f32 ? make_sweep<float>(act, range, dt) : make_sweep<double>(act, range, dt);
      const std::vector<double> c = sweep_forward(act, range, s, dt, Device::cpu());
      const std::vector<double> g = sweep_forward(act, range, s, dt, Device::cuda(0));
      check_inside(act, range, dt, s, g, "cuda");
      const double tol = dt == DType::f32 ? 2e-5 : 1e-11;
      int differ = 0;
      std::string first;
      for (size_t i = 0; i < c.size(); ++i) {
        if (std::fabs(c[i] - g[i]) <= tol || (std::isnan(c[i]) && std::isnan(g[i]))) continue;
        if (++differ <= 5) first += fmt::format("\n  cpu {:.17g} cuda {:.17g} at {}", c[i], g[i], element(s, i));
      }
      INFO(std::string(kernels::act_name(act)) << " " << std::string(kernels::range_name(range)) << " "
                                               << std::string(dtype_name(dt)) << ": " << differ
                                  << " of " << c.size() << " differ" << first);
      CHECK(differ == 0);
    }
  });
}
