#include "kernels/cpu/activations.h"

#include <algorithm>
#include <vector>

#include "kernels/cpu/parallel.h"

// The element math must vectorise: GCC only if-converts the `cond ? a : b` of kernels/math/activations.h
// and vectorises sqrt when this file is built with -fno-math-errno -fno-trapping-math (see
// kernels/CMakeLists.txt), and the loops below keep every element's work in one straight
// `#pragma omp simd` loop over contiguous memory. Neither flag changes a result bit (no
// reassociation, inf/NaN honoured), so the kernels match the scalar formulas compiled elsewhere
// exactly.
//
// The baseline x86-64 build has only SSE2: 4 floats a vector, no FMA, no blend, so every select
// costs four instructions. The element loops are therefore also cloned for x86-64-v3 (AVX2) and
// x86-64-v4 (AVX-512) and picked at load time; that is 2–3× faster again where the CPU has them.
// The clones give the same bits as the baseline: the file is built with -ffp-contract=off (GCC
// would otherwise fuse a·b + c in the clones only), and no sum's order depends on the vector
// width. A build for a specific CPU (AAFGAN_NATIVE) already vectorises for it: no clones.
// (Such a build contracts in the other files, so there the scalar formulas may differ from the
// kernels in the last bits, as they already did before the loops were vectorised.)
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && !defined(__AVX2__)
#define AAFGAN_ACT_CLONES gnu::target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4"),
#else
#define AAFGAN_ACT_CLONES
#endif

namespace aafgan::kernels::cpu {

namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Runs under one parameter value (per-channel parameters, or a single slot) are cut into
// blocks of kBlock elements, each handed to the per-element loop with the value copied into a
// small buffer: the loop then has one form for every layout. (Given loop-invariant parameters
// instead, GCC 12 hoists part of BHANA's selects and then cannot vectorise what is left.) Element
// s of such a run adds its products into lane s % kBlock, and the lanes are added in order when
// the run ends, so the order of every sum depends on the shapes alone, not on the vector width.
constexpr int64_t kBlock = 64;

// Work is cut into tiles of (a range of batch rows) × (a range of parameter slots), sized only
// from the shapes. Each tile owns its slots' partial sums, so there are no atomics, and the
// order of every sum is fixed by the shapes, not by the thread count.
struct Tiling {
  int64_t B = 0;       // batch rows: n / (P·inner)
  int64_t bchunk = 0;  // rows per tile
  int64_t nbc = 0;     // row chunks
  int64_t pj = 0;      // slots per tile
  int64_t njt = 0;     // slot tiles

  Tiling(int64_t n, int64_t P, int64_t inner) {
    // About this many elements per tile: tens of microseconds of work, so scheduling is noise,
    // while [100, 1024] still makes ~20 tiles to spread over the threads.
    constexpr int64_t kTile = 1 << 12;
    // With few slots (the discriminator's single output, three image channels) the batch must
    // be split too, or the threads would idle; with many, one row chunk avoids partial sums.
    constexpr int64_t kManySlots = 64;
    B = n / (P * inner);
    bchunk = B;
    if (P < kManySlots) bchunk = std::clamp<int64_t>(ceil_div(kTile, P * inner), 1, std::max<int64_t>(B, 1));
    nbc = B > 0 ? ceil_div(B, bchunk) : 0;
    pj = std::clamp<int64_t>(ceil_div(kTile, std::max<int64_t>(bchunk * inner, 1)), 1, P);
    // Per-feature rows are vectorised along the slots: whole vectors, no scalar remainder per
    // row. (Only the sums' tiles over rows, never over slots, affect their order.)
    if (inner == 1) pj = std::min(P, ceil_div(pj, int64_t(16)) * 16);
    njt = ceil_div(P, pj);
  }
  int64_t items() const { return nbc * njt; }
};

// One element through the uniform act_* signatures. The parameter array lives here, inside a
// function inlined into the simd loop, rather than in the loop body: an array declared in an
// `omp simd` body becomes a per-lane "simd array" that GCC 12 does not vectorise, while here
// scalar replacement dissolves it.
template <Act A, typename T>
[[gnu::always_inline]] inline T fwd_elem(T x, T p0, T p1, T p2, Range range) {
  const T p[kMaxActParams] = {p0, p1, p2};
  return act_forward<A>(x, p, range);
}

template <typename T>
struct ElemGrad {
  T dx;
  T dp[kMaxActParams];
};

template <Act A, typename T>
[[gnu::always_inline]] inline ElemGrad<T> bwd_elem(T x, T p0, T p1, T p2, Range range) {
  const T p[kMaxActParams] = {p0, p1, p2};
  ElemGrad<T> g{};
  g.dx = act_backward<A>(x, p, range, g.dp);
  return g;
}

// Per-element parameter pointers of a run; slots beyond act_param_count(A) are never read.
template <typename T>
struct RunParams {
  const T* p[kMaxActParams] = {};
};

template <Act A, typename T>
[[gnu::always_inline]] inline T param_at(const RunParams<T>& rp, int k, int64_t i) {
  if (k >= act_param_count(A)) return T(0);
  return rp.p[k][i];
}

// y[i] = f(x[i]) for i < len. flatten: every call of the math is inlined, or the loop would not
// vectorise (GCC's inliner gives up on BHANA's backward otherwise).
template <Act A, typename T>
[[AAFGAN_ACT_CLONES gnu::flatten]] void forward_run(Range range, const T* x, T* y, int64_t len, RunParams<T> rp) {
#pragma omp simd
  for (int64_t i = 0; i < len; ++i)
    y[i] = fwd_elem<A>(x[i], param_at<A>(rp, 0, i), param_at<A>(rp, 1, i), param_at<A>(rp, 2, i), range);
}

// gx[i] = gy[i]·f'(x[i]) and acc[k][i] += gy[i]·∂f/∂p_k (in double) for i < len.
template <Act A, typename T>
[[AAFGAN_ACT_CLONES gnu::flatten]] void backward_run(Range range, const T* x, const T* gy, T* gx, int64_t len,
                                                      RunParams<T> rp, double* const* acc) {
  constexpr int np = act_param_count(A);
  double* a0 = np > 0 ? acc[0] : nullptr;
  double* a1 = np > 1 ? acc[1] : nullptr;
  double* a2 = np > 2 ? acc[2] : nullptr;
#pragma omp simd
  for (int64_t i = 0; i < len; ++i) {
    const T g = gy[i];
    const ElemGrad<T> e =
        bwd_elem<A>(x[i], param_at<A>(rp, 0, i), param_at<A>(rp, 1, i), param_at<A>(rp, 2, i), range);
    gx[i] = g * e.dx;
    if constexpr (np > 0) a0[i] += static_cast<double>(g) * static_cast<double>(e.dp[0]);
    if constexpr (np > 1) a1[i] += static_cast<double>(g) * static_cast<double>(e.dp[1]);
    if constexpr (np > 2) a2[i] += static_cast<double>(g) * static_cast<double>(e.dp[2]);
  }
}

// Slot j's parameter values copied over the first len entries of a kBlock buffer per parameter.
template <Act A, typename T>
struct BlockParams {
  T v[kMaxActParams][kBlock];
  RunParams<T> rp;
  BlockParams(const T* const* params, int64_t j, int64_t len) {
    for (int k = 0; k < act_param_count(A); ++k) {
      std::fill(v[k], v[k] + std::min(len, kBlock), params[k][j]);
      rp.p[k] = v[k];
    }
  }
};

// Three ways through a tile, all over contiguous memory:
// - per-feature (inner = 1, P > 1): each row's slots j0..j1 are one run, parameters per element;
// - P = 1: the tile's rows are one contiguous run under a single parameter value;
// - per-channel (inner > 1): each (row, slot) is a run of `inner` elements under one value.
// Within a tile rows are walked in memory order, so x, y and the parameters stream; walking one
// slot down the batch instead strides by P elements, which for P = 1024 floats (4 KiB) lands
// every access in one L1 set.
template <Act A, typename T>
void forward_loop(Range range, const T* x, T* y, int64_t n, const T* const* params, int64_t P, int64_t inner) {
  const Tiling tl(n, P, inner);
  // A run of len elements from off under slot j's values.
  auto uniform_run = [&](int64_t off, int64_t len, int64_t j) {
    const BlockParams<A, T> bp(params, j, len);
    for (int64_t s = 0; s < len; s += kBlock)
      forward_run<A>(range, x + off + s, y + off + s, std::min(kBlock, len - s), bp.rp);
  };
#pragma omp parallel for schedule(static) if (n >= kParallelGrain)
  for (int64_t item = 0; item < tl.items(); ++item) {
    const int64_t b0 = item / tl.njt * tl.bchunk, b1 = std::min(tl.B, b0 + tl.bchunk);
    const int64_t j0 = item % tl.njt * tl.pj, j1 = std::min(P, j0 + tl.pj);
    if (P == 1) {
      uniform_run(b0 * inner, (b1 - b0) * inner, 0);
    } else if (inner == 1) {
      RunParams<T> rp;
      for (int k = 0; k < act_param_count(A); ++k) rp.p[k] = params[k] + j0;
      for (int64_t b = b0; b < b1; ++b) forward_run<A>(range, x + b * P + j0, y + b * P + j0, j1 - j0, rp);
    } else {
      for (int64_t b = b0; b < b1; ++b)
        for (int64_t j = j0; j < j1; ++j) uniform_run((b * P + j) * inner, inner, j);
    }
  }
}

template <Act A, typename T>
void backward_loop(Range range, const T* x, const T* gy, T* gx, T* const* gparams, int64_t n,
                   const T* const* params, int64_t P, int64_t inner) {
  constexpr int np = act_param_count(A);
  const Tiling tl(n, P, inner);
  bool any_param = false;
  for (int k = 0; k < np; ++k) any_param = any_param || (gparams != nullptr && gparams[k] != nullptr);
  // One row chunk: tiles write the slot sums straight out. Several: per-chunk partial sums,
  // added below in chunk order.
  std::vector<double> partial(any_param && tl.nbc > 1 ? static_cast<size_t>(tl.nbc * P * np) : 0);
  const bool per_feature = inner == 1 && P > 1;

#pragma omp parallel for schedule(static) if (n >= kParallelGrain)
  for (int64_t item = 0; item < tl.items(); ++item) {
    const int64_t bc = item / tl.njt;
    const int64_t b0 = bc * tl.bchunk, b1 = std::min(tl.B, b0 + tl.bchunk);
    const int64_t j0 = item % tl.njt * tl.pj, j1 = std::min(P, j0 + tl.pj);
    const int64_t nj = j1 - j0;
    // The tile's slot sums, one array per parameter; per-feature rows add into them directly,
    // each slot's elements in row order.
    std::vector<double> acc(static_cast<size_t>(nj * np), 0.0);
    double* a[kMaxActParams] = {};
    for (int k = 0; k < np; ++k) a[k] = acc.data() + k * nj;
    // Without gx the products still have to go somewhere; a scratch run keeps one loop body.
    std::vector<T> scratch(gx ? 0 : static_cast<size_t>(per_feature ? nj : kBlock));
    auto gx_at = [&](int64_t off) { return gx ? gx + off : scratch.data(); };
    // A run of len elements from off under slot j's values: lane sums, then added in lane
    // order into slot j's sum.
    double lanes[kMaxActParams][kBlock];
    auto uniform_run = [&](int64_t off, int64_t len, int64_t j) {
      const BlockParams<A, T> bp(params, j, len);
      const int64_t used = std::min(len, kBlock);
      double* la[kMaxActParams] = {};
      for (int k = 0; k < np; ++k) {
        std::fill(lanes[k], lanes[k] + used, 0.0);
        la[k] = lanes[k];
      }
      for (int64_t s = 0; s < len; s += kBlock)
        backward_run<A>(range, x + off + s, gy + off + s, gx_at(off + s), std::min(kBlock, len - s), bp.rp, la);
      for (int k = 0; k < np; ++k) {
        double sum = 0;
        for (int64_t l = 0; l < used; ++l) sum += lanes[k][l];
        a[k][j - j0] += sum;
      }
    };
    if (P == 1) {
      uniform_run(b0 * inner, (b1 - b0) * inner, 0);
    } else if (per_feature) {
      RunParams<T> rp;
      for (int k = 0; k < np; ++k) rp.p[k] = params[k] + j0;
      for (int64_t b = b0; b < b1; ++b)
        backward_run<A>(range, x + b * P + j0, gy + b * P + j0, gx_at(b * P + j0), nj, rp, a);
    } else {
      for (int64_t b = b0; b < b1; ++b)
        for (int64_t j = j0; j < j1; ++j) uniform_run((b * P + j) * inner, inner, j);
    }
    if (!any_param) continue;
    for (int64_t j = j0; j < j1; ++j) {
      for (int k = 0; k < np; ++k) {
        if (tl.nbc > 1) {
          partial[static_cast<size_t>((bc * P + j) * np + k)] = a[k][j - j0];
        } else if (gparams[k]) {
          gparams[k][j] = static_cast<T>(a[k][j - j0]);
        }
      }
    }
  }

  if (!any_param || tl.nbc <= 1) return;
#pragma omp parallel for schedule(static) if (P * tl.nbc >= kParallelGrain)
  for (int64_t j = 0; j < P; ++j) {
    for (int k = 0; k < np; ++k) {
      if (!gparams[k]) continue;
      double s = 0;
      for (int64_t bc = 0; bc < tl.nbc; ++bc) s += partial[static_cast<size_t>((bc * P + j) * np + k)];
      gparams[k][j] = static_cast<T>(s);
    }
  }
}

}  // namespace

template <typename T>
void act_forward(Act act, Range range, const T* x, T* y, int64_t n, const T* const* params, int64_t P,
                     int64_t inner) {
  if (n <= 0) return;
  dispatch_act(act, [&](auto tag) {
    forward_loop<decltype(tag)::value>(range, x, y, n, params, P, inner);
  });
}

template <typename T>
void act_backward(Act act, Range range, const T* x, const T* gy, T* gx, T* const* gparams, int64_t n,
                      const T* const* params, int64_t P, int64_t inner) {
  if (n <= 0) {
    // An empty batch still defines the parameter gradients: all zero.
    for (int k = 0; gparams && k < act_param_count(act); ++k)
      if (gparams[k]) std::fill(gparams[k], gparams[k] + P, T(0));
    return;
  }
  dispatch_act(act, [&](auto tag) {
    backward_loop<decltype(tag)::value>(range, x, gy, gx, gparams, n, params, P, inner);
  });
}

template void act_forward<float>(Act, Range, const float*, float*, int64_t, const float* const*, int64_t,
                                     int64_t);
template void act_forward<double>(Act, Range, const double*, double*, int64_t, const double* const*, int64_t,
                                      int64_t);
template void act_backward<float>(Act, Range, const float*, const float*, float*, float* const*, int64_t,
                                      const float* const*, int64_t, int64_t);
template void act_backward<double>(Act, Range, const double*, const double*, double*, double* const*, int64_t,
                                       const double* const*, int64_t, int64_t);

}  // namespace aafgan::kernels::cpu
