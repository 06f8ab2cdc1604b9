#include "kernels/cpu/activations.h"

#include <algorithm>
#include <vector>

#include "kernels/cpu/parallel.h"

namespace aafgan::kernels::cpu {

namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

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
    // while [100, 1024] still makes ~25 tiles to spread over the threads.
    constexpr int64_t kTile = 1 << 12;
    // With few slots (the discriminator's single output, three image channels) the batch must
    // be split too, or the threads would idle; with many, one row chunk avoids partial sums.
    constexpr int64_t kManySlots = 64;
    B = n / (P * inner);
    bchunk = B;
    if (P < kManySlots) bchunk = std::clamp<int64_t>(ceil_div(kTile, P * inner), 1, std::max<int64_t>(B, 1));
    nbc = B > 0 ? ceil_div(B, bchunk) : 0;
    pj = std::clamp<int64_t>(ceil_div(kTile, std::max<int64_t>(bchunk * inner, 1)), 1, P);
    njt = ceil_div(P, pj);
  }
  int64_t items() const { return nbc * njt; }
};

// Within a tile, rows are walked in memory order (row b, then its slots j0..j1, then inner),
// so x, y and the parameters stream contiguously; walking one slot down the batch instead
// strides by P elements, which for P = 1024 floats (4 KiB) lands every access in one L1 set.
template <Act A, typename T>
void forward_loop(Range range, const T* x, T* y, int64_t n, const T* const* params, int64_t P, int64_t inner) {
  constexpr int np = act_param_count(A);
  const Tiling tl(n, P, inner);
#pragma omp parallel for schedule(static) if (n >= kParallelGrain)
  for (int64_t item = 0; item < tl.items(); ++item) {
    const int64_t b0 = item / tl.njt * tl.bchunk, b1 = std::min(tl.B, b0 + tl.bchunk);
    const int64_t j0 = item % tl.njt * tl.pj, j1 = std::min(P, j0 + tl.pj);
    for (int64_t b = b0; b < b1; ++b) {
      for (int64_t j = j0; j < j1; ++j) {
        T p[kMaxActParams] = {};
        for (int k = 0; k < np; ++k) p[k] = params[k][j];
        const int64_t base = (b * P + j) * inner;
        for (int64_t s = 0; s < inner; ++s) y[base + s] = act_forward<A>(x[base + s], p, range);
      }
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

#pragma omp parallel for schedule(static) if (n >= kParallelGrain)
  for (int64_t item = 0; item < tl.items(); ++item) {
    const int64_t bc = item / tl.njt;
    const int64_t b0 = bc * tl.bchunk, b1 = std::min(tl.B, b0 + tl.bchunk);
    const int64_t j0 = item % tl.njt * tl.pj, j1 = std::min(P, j0 + tl.pj);
    // The tile's slot sums, [slot][param]. Each slot still adds its elements in (b, s) order.
    std::vector<double> acc(static_cast<size_t>((j1 - j0) * np), 0.0);
    for (int64_t b = b0; b < b1; ++b) {
      for (int64_t j = j0; j < j1; ++j) {
        T p[kMaxActParams] = {};
        for (int k = 0; k < np; ++k) p[k] = params[k][j];
        double* a = acc.data() + (j - j0) * np;
        const int64_t base = (b * P + j) * inner;
        for (int64_t s = 0; s < inner; ++s) {
          T dp[kMaxActParams] = {};
          const T g = gy[base + s];
          const T dydx = act_backward<A>(x[base + s], p, range, dp);
          if (gx) gx[base + s] = g * dydx;
          for (int k = 0; k < np; ++k) a[k] += static_cast<double>(g) * static_cast<double>(dp[k]);
        }
      }
    }
    if (!any_param) continue;
    for (int64_t j = j0; j < j1; ++j) {
      const double* a = acc.data() + (j - j0) * np;
      for (int k = 0; k < np; ++k) {
        if (tl.nbc > 1) {
          partial[static_cast<size_t>((bc * P + j) * np + k)] = a[k];
        } else if (gparams[k]) {
          gparams[k][j] = static_cast<T>(a[k]);
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
void act_forward_cpu(Act act, Range range, const T* x, T* y, int64_t n, const T* const* params, int64_t P,
                     int64_t inner) {
  if (n <= 0) return;
  dispatch_act(act, [&](auto tag) {
    forward_loop<decltype(tag)::value>(range, x, y, n, params, P, inner);
  });
}

template <typename T>
void act_backward_cpu(Act act, Range range, const T* x, const T* gy, T* gx, T* const* gparams, int64_t n,
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

template void act_forward_cpu<float>(Act, Range, const float*, float*, int64_t, const float* const*, int64_t,
                                     int64_t);
template void act_forward_cpu<double>(Act, Range, const double*, double*, int64_t, const double* const*, int64_t,
                                      int64_t);
template void act_backward_cpu<float>(Act, Range, const float*, const float*, float*, float* const*, int64_t,
                                      const float* const*, int64_t, int64_t);
template void act_backward_cpu<double>(Act, Range, const double*, const double*, double*, double* const*, int64_t,
                                       const double* const*, int64_t, int64_t);

}  // namespace aafgan::kernels::cpu
