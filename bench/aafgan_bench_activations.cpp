// Forward + backward of every adaptive activation on the two shapes the GANs use, f32:
//   [100,1024] with [1024] parameters (the MNIST GAN's hidden layers), and
//   [128,128,32,32] with [128,32,32] parameters (a DCGAN feature map, one value per feature).
// Backends: the fused CPU kernels alone, the fused engine op through the tape, the same
// function composed of engine primitives through the tape (unfused), and the fused CUDA kernels
// when a GPU exists. Bandwidth is "effective": the bytes a fused pass must move (forward reads x
// and writes y; backward reads x and gy and writes gx; plus the parameters), divided by the
// time, and compared with a measured copy of the same machine (memcpy on the CPU with the same
// threads, cudaMemcpy device to device on the GPU).
//
//   aafgan_bench_activations [--device cpu|cuda|all] [--threads N] [--iters N]
//                            [--funcs BHSA,MiDA,...] [--sizes small|large|all]
//
// Over 400 lines on purpose: one benchmark's protocol (sizes, layouts, both devices, the
// bandwidth roofline) in one place.
#include <omp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench/bench_common.h"
#include "engine/autograd.h"
#include "base/error.h"
#include "engine/ops.h"
#include "engine/ops/adaptive.h"
#include "engine/ops/pointwise.h"
#include "engine/random.h"
#include "kernels/cpu/activations.h"
#include "kernels/cuda/activations.h"
#include "kernels/cuda/device_context.h"
#include "kernels/cuda/device_query.h"
#include "kernels/cuda/pinned_memory.h"
#include "kernels/cuda/runtime.h"

using namespace aafgan;

namespace {

using kernels::kAllActs;  // every row of the activation table
// Every function in its generator (sym) variant; the unit variant costs the same.
constexpr Range kRange = Range::sym;
// Per CPU row, after the warm-up: the [128,128,32,32] rows take 0.1–2 s per run on two cores,
// and tools/gpu_check.sh runs this tool inside its time budget.
constexpr double kFusedBudgetMs = 2000, kUnfusedBudgetMs = 3000;

struct Options {
  std::string device = "all";
  int threads = 2;
  int iters = 5;
  std::vector<Act> funcs{std::begin(kAllActs), std::end(kAllActs)};
  bool small = true, large = true;
};

struct BenchShape {
  std::string label;
  Shape x, param;
};

struct Timing {
  double fwd_ms = 0, bwd_ms = 0;
  double total() const { return fwd_ms + bwd_ms; }
};

// Median over `reps` timed repetitions after one warm-up. `prepare` runs untimed before each
// repetition, `fwd` and `bwd` are timed separately. The slow unfused compositions stop early
// once `budget_ms` has been spent (at least one timed repetition always runs).
Timing time_cpu(int reps, double budget_ms, const std::function<void()>& prepare, const std::function<void()>& fwd,
                const std::function<void()>& bwd) {
  prepare();
  fwd();
  bwd();
  std::vector<double> f, b;
  const double start = bench::now_ms();
  for (int r = 0; r < reps; ++r) {
    prepare();
    const double t0 = bench::now_ms();
    fwd();
    const double t1 = bench::now_ms();
    bwd();
    const double t2 = bench::now_ms();
    f.push_back(t1 - t0);
    b.push_back(t2 - t1);
    if (bench::now_ms() - start > budget_ms) break;
  }
  return {bench::median(f), bench::median(b)};
}

// memcpy of a buffer far larger than the caches, split over the benchmark's threads; GB/s
// counting bytes read plus bytes written, the same convention as the kernels' figures.
double cpu_copy_bandwidth_gbs(int reps) {
  const size_t bytes = size_t(256) << 20;
  std::vector<char> src(bytes, 1), dst(bytes, 0);
  std::vector<double> t;
  for (int r = 0; r < reps + 1; ++r) {
    const double t0 = bench::now_ms();
#pragma omp parallel
    {
      const size_t nt = static_cast<size_t>(omp_get_num_threads()), id = static_cast<size_t>(omp_get_thread_num());
      const size_t chunk = (bytes + nt - 1) / nt, lo = std::min(bytes, id * chunk), hi = std::min(bytes, lo + chunk);
      std::memcpy(dst.data() + lo, src.data() + lo, hi - lo);
    }
    if (r > 0) t.push_back(bench::now_ms() - t0);  // the first pass also faults the pages in
  }
  return 2.0 * static_cast<double>(bytes) / (bench::median(t) * 1e-3) / 1e9;
}

// activations.md's default initialisation (generator variant), from the table's row.
std::vector<Tensor> init_params(Act act, const Shape& shape, Generator& gen) {
  std::vector<Tensor> p;
  for (int k = 0; k < kernels::act_param_count(act); ++k) {
    const kernels::ActInit init = kernels::act_default_init(act, kRange, k);
    if (init.std == 0) {
      p.push_back(Tensor::full(shape, init.mean, DType::f32));
    } else {
      Tensor t = Tensor::empty(shape, DType::f32);
      gen.normal_(t, init.mean, init.std);
      p.push_back(t);
    }
  }
  return p;
}

// --- the unfused compositions, from activations.md's plain formulas ------------------------

// BHAA (BHSA when t1 and t2 are the same tensor): (sqrt((1 + kλx)² + k²τ1²) − sqrt((1 − kλx)²
// + k²τ2²))/k + off, with k = 2 (sym) or 4 (unit) and off = 0 or ½.
Tensor bihyp_plain(const Tensor& x, const Tensor& lam, const Tensor& t1, const Tensor& t2, Range r) {
  const double k = r == Range::unit ? 4.0 : 2.0, off = r == Range::unit ? 0.5 : 0.0;
  const Tensor u = lam * x;
  const Tensor a = aafgan::sqrt(square(1.0 + k * u) + (k * k) * square(t1));
  const Tensor b = aafgan::sqrt(square(1.0 - k * u) + (k * k) * square(t2));
  return (a - b) * (1.0 / k) + off;
}

// BHANA: y = lo + (hi − lo)(B − lo)/(E − lo) where |τ1| > |τ2|, lo + (hi − lo)(B − E)/(hi − E)
// where |τ2| > |τ1|, with E = BHAA(x*), x* = (a1 + a2)/(kλ(a1 − a2)). The case masks are
// constants (no gradient flows through a comparison).
Tensor bhana_plain(const Tensor& x, const Tensor& lam, const Tensor& t1, const Tensor& t2, Range r) {
  const double k = r == Range::unit ? 4.0 : 2.0, lo = r == Range::unit ? 0.0 : -1.0, hi = 1.0;
  const Tensor a1 = aafgan::abs(t1), a2 = aafgan::abs(t2);
  const Tensor xs = (a1 + a2) / ((k * lam) * (a1 - a2));
  const Tensor E = bihyp_plain(xs, lam, t1, t2, r);
  const Tensor B = bihyp_plain(x, lam, t1, t2, r);
  Tensor over = Tensor::empty(t1.shape(), t1.dtype());
  {
    const float* p1 = t1.data<float>();
    const float* p2 = t2.data<float>();
    float* po = over.data<float>();
    for (int64_t j = 0; j < t1.numel(); ++j) po[j] = std::fabs(p1[j]) > std::fabs(p2[j]) ? 1.0f : 0.0f;
  }
  const Tensor under = 1.0 - over;
  const Tensor y_over = lo + (hi - lo) * ((B - lo) / (E - lo));
  const Tensor y_under = lo + (hi - lo) * ((B - E) / (hi - E));
  return y_over * over + y_under * under;
}

Tensor dsilu_plain(const Tensor& x, const Tensor& beta, Range r) {
  const Tensor z = beta * x;
  const Tensor s = sigmoid(z);
  const Tensor d = s * (1.0 + z * (1.0 - s));
  const Tensor unit = (d + 0.1) * (1.0 / 1.28);
  return r == Range::unit ? unit : 2.0 * (unit - 0.5);
}

// A row without a composition here (a newer activation) gets no unfused row and no speedup.
std::optional<Tensor> unfused(Act act, const Tensor& x, const std::vector<Tensor>& p) {
  switch (act) {
    case Act::BHSA: return bihyp_plain(x, p[0], p[1], p[1], kRange);
    case Act::BHAA: return bihyp_plain(x, p[0], p[1], p[2], kRange);
    case Act::BHATA: return clamp(bihyp_plain(x, p[0], p[1], p[2], kRange), kRange == Range::unit ? 0.0 : -1.0, 1.0);
    case Act::BHANA: return bhana_plain(x, p[0], p[1], p[2], kRange);
    case Act::DSILU: return dsilu_plain(x, p[0], kRange);
    case Act::SHReLU: return 0.5 * (x + aafgan::sqrt(square(x) + square(p[0])));
    case Act::Mish: return x * aafgan::tanh(softplus(x));
    case Act::MiDA: return x * bihyp_plain(softplus(x), p[0], p[1], p[1], Range::sym);
    default: break;
  }
  return std::nullopt;
}

// --- one row of the table ---------------------------------------------------------------------

struct Row {
  std::string func, shape, backend;
  Timing t;
  double fwd_bytes = 0, bwd_bytes = 0, copy_gbs = 0;
  std::optional<double> speedup;  // unfused time / this time
};

void print_header(const std::string& title) {
  fmt::print("\n{}\n", title);
  fmt::print("{:<8} {:<16} {:<20} {:>9} {:>9} {:>9} {:>8} {:>8} {:>7} {:>7} {:>7} {:>9}\n", "function", "shape",
             "backend", "fwd ms", "bwd ms", "total ms", "fwd GB/s", "bwd GB/s", "fwd %", "bwd %", "both %",
             "vs unfused");
  fmt::print("{}\n", std::string(126, '-'));
}

void print_row(const Row& r) {
  const double fg = r.fwd_bytes / (r.t.fwd_ms * 1e-3) / 1e9, bg = r.bwd_bytes / (r.t.bwd_ms * 1e-3) / 1e9;
  const std::string sp = r.speedup ? fmt::format("{:.1f}x", *r.speedup) : std::string("");
  // fwd + bwd together: all their bytes over all their time, as a share of the copy bandwidth.
  const double both = (r.fwd_bytes + r.bwd_bytes) / (r.t.total() * 1e-3) / 1e9;
  fmt::print("{:<8} {:<16} {:<20} {:>9.3f} {:>9.3f} {:>9.3f} {:>8.1f} {:>8.1f} {:>6.0f}% {:>6.0f}% {:>6.0f}% {:>9}\n",
             r.func, r.shape, r.backend, r.t.fwd_ms, r.t.bwd_ms, r.t.total(), fg, bg, 100 * fg / r.copy_gbs,
             100 * bg / r.copy_gbs, 100 * both / r.copy_gbs, sp);
  std::fflush(stdout);
}

// Bytes a fused pass moves: forward x → y; backward x, gy → gx, plus reading the parameters
// and writing their gradients.
void set_bytes(Row& row, Act act, const BenchShape& s) {
  const double n = static_cast<double>(s.x.numel()), np = kernels::act_param_count(act);
  const double P = static_cast<double>(s.param.numel());
  row.fwd_bytes = 4.0 * (2 * n + np * P);
  row.bwd_bytes = 4.0 * (3 * n + 2 * np * P);
}

void bench_cpu(const Options& o, const std::vector<BenchShape>& shapes) {
  const double copy = cpu_copy_bandwidth_gbs(5);
  print_header(fmt::format("CPU, {} thread(s); memcpy {:.1f} GB/s (read + write); median of up to {} runs per row "
                           "(fewer once a row has run {:.0f}–{:.0f} s)",
                           o.threads, copy, o.iters, kFusedBudgetMs / 1000, kUnfusedBudgetMs / 1000));
  Generator gen(7);
  for (const BenchShape& s : shapes) {
    const ActLayout lay{s.param.numel(), 1, false};
    const int64_t n = s.x.numel();
    Tensor x = Tensor::empty(s.x, DType::f32);
    gen.normal_(x, 0.0, 2.0);
    Tensor gy = Tensor::empty(s.x, DType::f32);
    gen.uniform_(gy, -1.0, 1.0);
    for (Act act : o.funcs) {
      std::vector<Tensor> params = init_params(act, s.param, gen);
      const int np = kernels::act_param_count(act);
      Row base;
      base.func = kernels::act_name(act);
      base.shape = s.label;
      base.copy_gbs = copy;
      set_bytes(base, act, s);

      // (1) The fused kernels alone: no tape, no allocation.
      Tensor y = Tensor::empty(s.x, DType::f32), gx = Tensor::empty(s.x, DType::f32);
      std::vector<Tensor> gp;
      std::vector<const float*> pp;
      std::vector<float*> gpp;
      for (const Tensor& p : params) {
        gp.push_back(Tensor::empty(s.param, DType::f32));
        pp.push_back(p.data<float>());
        gpp.push_back(gp.back().data<float>());
      }
      Row kern = base;
      kern.backend = "cpu fused kernels";
      kern.t = time_cpu(
          o.iters, kFusedBudgetMs, [] {},
          [&] {
            kernels::cpu::act_forward<float>(act, kRange, x.data<float>(), y.data<float>(), n,
                                                 np ? pp.data() : nullptr, lay.P, lay.inner);
          },
          [&] {
            kernels::cpu::act_backward<float>(act, kRange, x.data<float>(), gy.data<float>(), gx.data<float>(),
                                                  np ? gpp.data() : nullptr, n, np ? pp.data() : nullptr, lay.P,
                                                  lay.inner);
          });

      // (2) and (3): through the tape, x and the parameters requiring gradients; the loss is
      // sum(y), the same harness for both.
      Tensor xl = x.clone();
      xl.set_requires_grad(true);
      std::vector<Tensor> pl;
      for (const Tensor& p : params) {
        pl.push_back(p.clone());
        pl.back().set_requires_grad(true);
      }
      auto tape_timing = [&](const std::function<Tensor()>& op, double budget_ms) {
        Tensor loss;
        return time_cpu(
            o.iters, budget_ms,
            [&] {
              xl.zero_grad();
              for (Tensor& p : pl) p.zero_grad();
            },
            [&] { loss = sum(op()); }, [&] { autograd::backward(loss); });
      };
      Row op = base;
      op.backend = "cpu fused op (tape)";
      op.t = tape_timing([&] { return adaptive_activation(act, kRange, xl, pl); }, kFusedBudgetMs);
      std::optional<Row> un;
      const bool composed = [&] {
        autograd::NoGradGuard probe;
        return unfused(act, xl, pl).has_value();
      }();
      if (composed) {
        un = base;
        un->backend = "cpu unfused (tape)";
        un->t = tape_timing([&] { return *unfused(act, xl, pl); }, kUnfusedBudgetMs);
        kern.speedup = un->t.total() / kern.t.total();
        op.speedup = un->t.total() / op.t.total();
      }
      print_row(kern);
      print_row(op);
      if (un) print_row(*un);
    }
  }
  fmt::print(
      "(the tape rows include the sum(y) loss and its backward; 'vs unfused' = unfused total / this total)\n");
}

#if defined(AAFGAN_WITH_CUDA)
// Owns a device buffer.
struct DeviceBuffer {
  void* p = nullptr;
  explicit DeviceBuffer(size_t bytes) : p(kernels::cuda::device_alloc(bytes)) {}
  ~DeviceBuffer() {
    try {
      kernels::cuda::device_free(p);
    } catch (const std::exception&) {
    }
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  float* f() const { return static_cast<float*>(p); }
};

// `bytes` of `host` into `dst`, on the context stream the kernels run on, and waited for: a
// cudaMemcpy on the legacy default stream is not ordered with that non-blocking stream, and
// from pageable memory it may return before the data has landed, so the first timed launches
// could read partial inputs.
void upload(const DeviceBuffer& dst, const Tensor& host, size_t bytes) {
  namespace kc = kernels::cuda;
  kc::copy_to_device_async(dst.p, host.data<float>(), bytes, kc::context_stream());
  kc::synchronize();
}

void bench_cuda(const Options& o, const std::vector<BenchShape>& shapes) {
  namespace kc = kernels::cuda;
  const kc::DeviceCount dc = kc::device_count();
  if (dc.count == 0) {
    fmt::print("\ncuda: skipped ({})\n", dc.reason);
    return;
  }
  void* const stream = kc::context_stream();
  const double copy = kc::device_copy_bandwidth_gbs(size_t(256) << 20);
  const int iters = std::max(20, 10 * o.iters);
  print_header(fmt::format("CUDA on {}; cudaMemcpy D2D {:.1f} GB/s (read + write); mean of {} launches after warm-up",
                           kc::device_name(), copy, iters));
  Generator gen(7);
  for (const BenchShape& s : shapes) {
    const int64_t n = s.x.numel(), P = s.param.numel();
    const size_t xb = static_cast<size_t>(n) * sizeof(float), pb = static_cast<size_t>(P) * sizeof(float);
    Tensor x = Tensor::empty(s.x, DType::f32), gy = Tensor::empty(s.x, DType::f32);
    gen.normal_(x, 0.0, 2.0);
    gen.uniform_(gy, -1.0, 1.0);
    DeviceBuffer dx(xb), dgy(xb), dy(xb), dgx(xb);
    upload(dx, x, xb);
    upload(dgy, gy, xb);
    for (Act act : o.funcs) {
      const int np = kernels::act_param_count(act);
      std::vector<Tensor> params = init_params(act, s.param, gen);
      std::vector<std::unique_ptr<DeviceBuffer>> dp, dgp;
      std::vector<const float*> pp;
      std::vector<float*> gpp;
      for (const Tensor& p : params) {
        dp.push_back(std::make_unique<DeviceBuffer>(pb));
        upload(*dp.back(), p, pb);
        dgp.push_back(std::make_unique<DeviceBuffer>(pb));
        pp.push_back(dp.back()->f());
        gpp.push_back(dgp.back()->f());
      }
      const size_t wsb = kc::act_backward_workspace_bytes(act, n, P, 1, sizeof(float));
      DeviceBuffer ws(wsb);
      Row row;
      row.func = kernels::act_name(act);
      row.shape = s.label;
      row.backend = "cuda fused kernels";
      row.copy_gbs = copy;
      set_bytes(row, act, s);
      row.t.fwd_ms = kc::time_ms(
          [&] { kc::act_forward<float>(act, kRange, dx.f(), dy.f(), n, np ? pp.data() : nullptr, P, 1, stream); },
          iters, 3, stream);
      row.t.bwd_ms = kc::time_ms(
          [&] {
            kc::act_backward<float>(act, kRange, dx.f(), dgy.f(), dgx.f(), np ? gpp.data() : nullptr, n,
                                         np ? pp.data() : nullptr, P, 1, ws.p, wsb, stream);
          },
          iters, 3, stream);
      print_row(row);
    }
  }
}
#else
// The kernels are called directly here, so without the CUDA backend there is nothing to time.
void bench_cuda(const Options&, const std::vector<BenchShape>&) {
  fmt::print("\ncuda: skipped (this build has no CUDA backend)\n");
}
#endif

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Forward + backward time and effective bandwidth of every adaptive activation (f32) on the shapes "
               "the GANs use: fused CPU kernels, the fused engine op, its unfused composition, and the fused CUDA "
               "kernels when a GPU exists."};
  bench::configure_cli(app);
  Options o;
  std::string funcs, sizes = "all";
  app.add_option("--device", o.device, "cpu, cuda or all")->check(CLI::IsMember({"cpu", "cuda", "all"}));
  app.add_option("--threads", o.threads, "CPU threads")->check(CLI::Range(1, 1024));
  app.add_option("--iters", o.iters, "timed runs per CPU row (the CUDA rows launch max(20, 10 × N) times)")
      ->check(CLI::Range(1, 1 << 30));
  app.add_option("--funcs", funcs, "comma list of functions, e.g. BHSA,MiDA (default: all eight)");
  app.add_option("--sizes", sizes, "small ([100,1024]), large ([128,128,32,32]) or all")
      ->check(CLI::IsMember({"small", "large", "all"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  try {
    if (app.count("--funcs")) {
      o.funcs.clear();
      for (const std::string& name : bench::split(funcs, ',')) o.funcs.push_back(parse_act(name));
      if (o.funcs.empty()) fail("--funcs lists no function");
    }
    o.small = sizes != "large";
    o.large = sizes != "small";
    bench::set_threads(o.threads);
    std::vector<BenchShape> shapes;
    if (o.small) shapes.push_back({"[100,1024]", Shape{100, 1024}, Shape{1024}});
    if (o.large) shapes.push_back({"[128,128,32,32]", Shape{128, 128, 32, 32}, Shape{128, 32, 32}});
    fmt::print("aafgan_bench_activations: f32, {} variant, per-feature parameters ([1024] and [128,32,32])\n",
               kernels::range_name(kRange));
    if (o.device != "cuda") {
      fmt::print("{}\n", bench::cpu_line());
      bench_cpu(o, shapes);
    }
    if (o.device != "cpu") bench_cuda(o, shapes);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aafgan_bench_activations: %s\n", e.what());
    return 1;
  }
}
