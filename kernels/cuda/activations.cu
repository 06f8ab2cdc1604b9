// CUDA kernels of the adaptive activations. The math is kernels/math/activations.h, the same
// functions the CPU loops call; this file only decides who computes which element, in which
// precision, and how the parameter gradients are summed.
//
// Four kernels:
// - columns forward: forward of per-feature parameters (inner = 1, P a multiple of the 16-byte
//   unit), seen as a [B, P] matrix. A thread owns one column unit (4 floats / 2 doubles) and up
//   to kFwdRows rows of it: its parameters are loaded once, the per-slot parts of the formulas
//   (kλ, kτ, τ², BHANA's normalisation, see SlotConsts) are formed once for all its rows, and
//   all its loads are in flight together.
// - elementwise: every other forward, and the backward when no parameter gradient is wanted
//   (Mish, or a frozen layer). A thread owns one 16-byte unit.
// - columns: backward of per-feature parameters (inner = 1, P > 1). A block covers up to 32
//   column units (16 bytes; 8 for BHANA in f32, see column_lanes) × R row lanes; each lane walks
//   its rows, one ahead in flight, and keeps per-column sums in registers, then the lanes are
//   added in a fixed tree in shared memory. With few batch rows
//   per block the grid also splits the rows into chunks (blockIdx.y) so that large P with a
//   small batch still fills the device; each chunk writes its partial sums and a second tiny
//   kernel adds the chunks in order.
// - segments: backward of per-channel parameters (inner > 1) and of the single-parameter case
//   P = 1. A block owns one slot j and a chunk of its B·inner elements, then a block tree sum.
//
// The range variant is a template argument, so k = 2 or 4 is a constant and /k a multiply.
//
// f32 precision: the roots and quotients of the bi-hyperbolic family, MiDA and SHReLU use the
// MUFU square root, reciprocal square root and reciprocal on the device (kernels/math/act_common.h:
// dev_hypot, hyp_inv, quot), exact to a few ulp while the element lies in the domain that
// f32_fast_ok checks (|kλx| ≤ 2^40, kτ zero or within [2^-40, 2^40]: every realistic element;
// for MiDA's backward also away from its knees at small τ). The hot loops evaluate every unit
// that way and only note whether one of its lanes was outside (or NaN/inf); if so, a fix-up pass
// after the loop redoes the thread's work in the same order with those units in f64. Outside
// stays correct, inside pays one compare per element, and the f64 code stays out of the hot
// loops and their registers.
//
// No floating-point atomics anywhere: every sum has an order fixed by the sizes, so two runs
// give identical bits. The order does not depend on whether the pointers allowed 16-byte
// vector accesses either: the scalar fallback walks exactly the same units and lanes, and
// which kernel runs depends on the sizes alone.
//
// Over 400 lines on purpose: the four kernels share the launch planning, the parameter
// pointers and the two-pass parameter-gradient sum; the formulas themselves live per function
// in kernels/math/act/.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "kernels/cuda/activations.h"
#include "kernels/cuda/fast_div.cuh"
#include "kernels/cuda/sync_mode.h"

namespace aafgan::kernels::cuda {

namespace {

constexpr int kThreads = 256;
// About the number of resident threads of a large GPU (132 SMs × 2048 on an H100): enough
// loads in flight to saturate HBM. The chunking aims for this many threads, from the sizes
// alone, so the summation order is the same on every device.
constexpr int64_t kTargetThreads = int64_t(1) << 18;
// A chunk gives every thread at least this many units (columns: rows per lane), so the
// partial sums stay small next to the data.
constexpr int64_t kMinWorkPerThread = 4;
// Rows of one column unit a thread of the columns forward kernel handles per chunk, at most
// (fewer when the grid would otherwise have less than kFwdMinBlocks blocks).
constexpr int kFwdRows = 4;
constexpr int64_t kFwdMinBlocks = 256;
// Resident blocks per SM the backward columns kernel is compiled for (caps its registers).
constexpr int kBwdBlocksPerSM = 2;
constexpr int64_t kMaxElements = (int64_t(1) << 31) - 1;
constexpr unsigned kMaxGridY = 65535;

template <typename T>
constexpr int vec_width() {
  return static_cast<int>(16 / sizeof(T));
}

// Lanes per thread (one column unit) of the backward columns kernel: a 16-byte unit, except for
// BHANA in f32, whose four lanes of per-slot constants, partial sums and formula temporaries
// would not fit the registers: 8-byte units (two lanes) there.
constexpr int column_lanes(Act act, size_t elem_bytes) {
  return elem_bytes == 4 && act == Act::BHANA ? 2 : static_cast<int>(16 / elem_bytes);
}

template <typename T>
const char* type_name() {
  return sizeof(T) == 4 ? "f32" : "f64";
}

template <typename T>
struct ParamPtrs {
  const T* p[kMaxActParams];
};
template <typename T>
struct GradPtrs {
  T* p[kMaxActParams];
};

// The vector type of V consecutive T (16 or 8 bytes, or one T).
template <typename T, int V>
struct VecN {
  using type = T;
};
template <>
struct VecN<float, 4> {
  using type = float4;
};
template <>
struct VecN<float, 2> {
  using type = float2;
};
template <>
struct VecN<double, 2> {
  using type = double2;
};

// One V·sizeof(T)-byte access (p aligned to it).
template <typename T, int V>
__device__ __forceinline__ void load_vec(const T* __restrict__ p, T (&v)[V]) {
  using Q = typename VecN<T, V>::type;
  const Q q = *reinterpret_cast<const Q*>(p);
  if constexpr (V == 4) {
    v[0] = q.x;
    v[1] = q.y;
    v[2] = q.z;
    v[3] = q.w;
  } else if constexpr (V == 2) {
    v[0] = q.x;
    v[1] = q.y;
  } else {
    v[0] = q;
  }
}

template <typename T, int V>
__device__ __forceinline__ void store_vec(T* __restrict__ p, const T (&v)[V]) {
  using Q = typename VecN<T, V>::type;
  Q q;
  if constexpr (V == 4) {
    q.x = v[0];
    q.y = v[1];
    q.z = v[2];
    q.w = v[3];
  } else if constexpr (V == 2) {
    q.x = v[0];
    q.y = v[1];
  } else {
    q = v[0];
  }
  *reinterpret_cast<Q*>(p) = q;
}

// Lanes [0, count) of the unit at p: one vector access when `vec` (aligned and whole), else
// element by element. Lanes past count are left as zeros on load and not stored.
template <typename T, int V>
__device__ __forceinline__ void load_unit(const T* __restrict__ p, int count, bool vec, T (&v)[V]) {
  if (vec) {
    load_vec<T, V>(p, v);
    return;
  }
#pragma unroll
  for (int l = 0; l < V; ++l) v[l] = l < count ? p[l] : T(0);
}

template <typename T, int V>
__device__ __forceinline__ void store_unit(T* __restrict__ p, int count, bool vec, const T (&v)[V]) {
  if (vec) {
    store_vec<T, V>(p, v);
    return;
  }
#pragma unroll
  for (int l = 0; l < V; ++l)
    if (l < count) p[l] = v[l];
}

// --- precision: the f32 fast domain and the f64 evaluation of the rest -----------------------

// The functions whose f32 device formulas use the MUFU roots and reciprocals (hyp, quot).
template <Act A>
constexpr bool uses_fast_roots() {
  return A == Act::BHSA || A == Act::BHAA || A == Act::BHATA || A == Act::BHANA || A == Act::MiDA ||
         A == Act::SHReLU;
}

// 0 or a magnitude within [2^-40, 2^40] (false for NaN and inf).
__device__ __forceinline__ bool in_fast_range(float v) {
  const float a = fabsf(v);
  return (a >= 0x1p-40f && a <= 0x1p40f) || a == 0.0f;
}

// Whether the f32 formulas of A may use the MUFU primitives for this element (see
// kernels/math/act_common.h, dev_hypot): then every square stays below 2^83 and every root and
// denominator is 0 (guarded in the formulas) or at least 2^-48, far inside the normal range.
// The argument expressions are the formulas' own (k·λ·x, k·τ, 2λ·softplus(x)), so the compiler
// shares them with the formulas. Bwd: for the backward.
template <Act A, Range R, bool Bwd, typename T>
__device__ __forceinline__ bool f32_fast_ok(T x, const T (&p)[kMaxActParams]) {
  if constexpr (!std::is_same_v<T, float> || !uses_fast_roots<A>()) {
    return true;
  } else if constexpr (A == Act::SHReLU) {
    return in_fast_range(x) & in_fast_range(p[0]);
  } else if constexpr (A == Act::MiDA) {
    // u = 2λ·softplus(x) with 0 ≤ softplus(x) ≤ max(x, 0) + 1: |u| ≤ |2λx| + |2λ| ≤ 2^40.
    const float l2 = 2.0f * p[0], t = 2.0f * p[1];
    bool ok = (fabsf(l2 * x) <= 0x1p39f) & (fabsf(l2) <= 0x1p39f) & in_fast_range(t);
    if constexpr (Bwd) {
      // Near MiDA's knees, |u| ≈ 1 with a small τ, dD/du turns fast: its relative condition
      // number for u is ≈ 2/hypot(1 − |u|, 2τ), and the f32 softplus' last bits (both backends',
      // which differ) would be amplified up to the tests' tolerance. Where that hypot is below
      // 1/8 (only when τ < 1/16) the backward runs in f64 instead.
      const float q = 1.0f - fabsf(l2 * act_detail::softplus(x));
      ok = ok & !(fmaf(q, q, t * t) < 0x1p-6f);
    }
    return ok;
  } else {
    const float k = range_k<float>(R);
    bool ok = (fabsf(k * p[0] * x) <= 0x1p40f) & in_fast_range(k * p[1]);
    if constexpr (act_param_count(A) == 3) ok = ok & in_fast_range(k * p[2]);
    return ok;
  }
}

// Whether f32_fast_ok must be checked: the f32 formulas of A use the MUFU primitives.
template <Act A, typename T>
constexpr bool domain_checked() {
  return std::is_same_v<T, float> && uses_fast_roots<A>();
}

template <Act A, Range R, bool Bwd, typename T, int V>
__device__ __forceinline__ bool unit_in_domain(const T (&xv)[V], const T (&pv)[V][kMaxActParams]) {
  bool ok = true;
  if constexpr (domain_checked<A, T>()) {
#pragma unroll
    for (int l = 0; l < V; ++l) ok = ok & f32_fast_ok<A, R, Bwd>(xv[l], pv[l]);
  }
  return ok;
}

// What a formula needs of one parameter slot that does not depend on x, formed once per slot
// by the kernels that walk many elements of a slot: BHANA's normalisation (kernels/math/act/bhana.h,
// bhana_slot); nothing for the other functions.
template <Act A, typename T>
struct SlotConsts {};
template <typename T>
struct SlotConsts<Act::BHANA, T> {
  BhanaSlot<T> s;
};

template <Act A, Range R, typename T, int V>
__device__ __forceinline__ void make_slot_consts(const T (&pv)[V][kMaxActParams], SlotConsts<A, T> (&sv)[V]) {
  if constexpr (A == Act::BHANA) {
#pragma unroll
    for (int l = 0; l < V; ++l) sv[l].s = bhana_slot(pv[l][1], pv[l][2], R);
  }
}

// f(x), and f'(x) with ∂f/∂p, for the V lanes of a unit: the formulas as they are (in f32 on
// the device valid only inside the domain). The hot loops call these unconditionally and only
// note whether a unit was outside; a rare fix-up pass after the loop redoes such units with
// the *_checked forms, so that the f64 code stays out of the hot loops and their registers.
template <Act A, Range R, typename T, int V>
__device__ __forceinline__ void unit_forward(const T (&xv)[V], const T (&pv)[V][kMaxActParams],
                                             const SlotConsts<A, T> (&sv)[V], T (&yv)[V]) {
#pragma unroll
  for (int l = 0; l < V; ++l) {
    if constexpr (A == Act::BHANA)
      yv[l] = bhana_forward(xv[l], pv[l][0], pv[l][1], pv[l][2], R, sv[l].s);
    else
      yv[l] = act_forward<A>(xv[l], pv[l], R);
  }
}

template <Act A, Range R, typename T, int V>
__device__ __forceinline__ void unit_backward(const T (&xv)[V], const T (&pv)[V][kMaxActParams],
                                              const SlotConsts<A, T> (&sv)[V], T (&dv)[V],
                                              T (&dpv)[V][kMaxActParams]) {
#pragma unroll
  for (int l = 0; l < V; ++l) {
    if constexpr (A == Act::BHANA)
      dv[l] = bhana_backward(xv[l], pv[l][0], pv[l][1], pv[l][2], R, sv[l].s, dpv[l][0], dpv[l][1], dpv[l][2]);
    else
      dv[l] = act_backward<A>(xv[l], pv[l], R, dpv[l]);
  }
}

// One f32 element in f64 (outside the fast domain). Out of line, called from fix-up passes only.
template <Act A, Range R>
__device__ __noinline__ float forward_wide(float x, float p0, float p1, float p2) {
  const double p[kMaxActParams] = {p0, p1, p2};
  return static_cast<float>(act_forward<A>(static_cast<double>(x), p, R));
}

struct WideGrad {
  float d, dp0, dp1, dp2;
};

template <Act A, Range R>
__device__ __noinline__ WideGrad backward_wide(float x, float p0, float p1, float p2) {
  const double p[kMaxActParams] = {p0, p1, p2};
  double dp[kMaxActParams] = {};
  WideGrad w;
  w.d = static_cast<float>(act_backward<A>(static_cast<double>(x), p, R, dp));
  w.dp0 = static_cast<float>(dp[0]);
  w.dp1 = static_cast<float>(dp[1]);
  w.dp2 = static_cast<float>(dp[2]);
  return w;
}

template <Act A, Range R, typename T, int V>
__device__ __forceinline__ void unit_forward_checked(const T (&xv)[V], const T (&pv)[V][kMaxActParams],
                                                     const SlotConsts<A, T> (&sv)[V], T (&yv)[V]) {
  if (unit_in_domain<A, R, false>(xv, pv)) {
    unit_forward<A, R>(xv, pv, sv, yv);
    return;
  }
  if constexpr (domain_checked<A, T>()) {
#pragma unroll 1
    for (int l = 0; l < V; ++l) yv[l] = forward_wide<A, R>(xv[l], pv[l][0], pv[l][1], pv[l][2]);
  }
}

template <Act A, Range R, typename T, int V>
__device__ __forceinline__ void unit_backward_checked(const T (&xv)[V], const T (&pv)[V][kMaxActParams],
                                                      const SlotConsts<A, T> (&sv)[V], T (&dv)[V],
                                                      T (&dpv)[V][kMaxActParams]) {
  if (unit_in_domain<A, R, true>(xv, pv)) {
    unit_backward<A, R>(xv, pv, sv, dv, dpv);
    return;
  }
  if constexpr (domain_checked<A, T>()) {
#pragma unroll 1
    for (int l = 0; l < V; ++l) {
      const WideGrad w = backward_wide<A, R>(xv[l], pv[l][0], pv[l][1], pv[l][2]);
      dv[l] = w.d;
      dpv[l][0] = w.dp0;
      dpv[l][1] = w.dp1;
      dpv[l][2] = w.dp2;
    }
  }
}

// --- parameters ---------------------------------------------------------------------------------

// How a unit's lanes find their parameter values.
enum class ParamMode : int {
  per_lane,  // each lane computes its own slot
  shared,    // a unit never crosses a slot boundary (inner % V == 0, or P = 1): one slot j
  vector,    // inner == 1, P % V == 0, parameters aligned: lanes are slots j..j+V−1, one load
};

template <Act A, typename T, int V>
__device__ __forceinline__ void load_unit_params(const ParamPtrs<T>& prm, ParamMode mode, uint32_t j, uint32_t s,
                                                 uint32_t inner, uint32_t P, T (&pv)[V][kMaxActParams]) {
  constexpr int np = act_param_count(A);
  if constexpr (np > 0) {
    if (mode == ParamMode::vector) {
#pragma unroll
      for (int k = 0; k < np; ++k) {
        T t[V];
        load_vec<T, V>(prm.p[k] + j, t);
#pragma unroll
        for (int l = 0; l < V; ++l) pv[l][k] = t[l];
      }
    } else if (mode == ParamMode::shared) {
#pragma unroll
      for (int k = 0; k < np; ++k) {
        const T v = prm.p[k][j];
#pragma unroll
        for (int l = 0; l < V; ++l) pv[l][k] = v;
      }
    } else {
#pragma unroll
      for (int l = 0; l < V; ++l) {
#pragma unroll
        for (int k = 0; k < np; ++k) pv[l][k] = prm.p[k][j];
        // Step to the next element's slot; lanes past n stay on valid slots, so loading is safe.
        if (++s == inner) {
          s = 0;
          j = j + 1 == P ? 0 : j + 1;
        }
      }
    }
  }
}

// The parameters of column unit c0 (slots c0 .. c0 + count − 1); lanes past count are zeros.
template <Act A, typename T, int V>
__device__ __forceinline__ void load_column_params(const ParamPtrs<T>& prm, uint32_t c0, int count, bool vec,
                                                   T (&pv)[V][kMaxActParams]) {
  constexpr int np = act_param_count(A);
  if constexpr (np > 0) {
    if (vec && count == V) {
      load_unit_params<A, T, V>(prm, ParamMode::vector, c0, 0, 1, 1, pv);
    } else {
#pragma unroll
      for (int l = 0; l < V; ++l)
#pragma unroll
        for (int k = 0; k < np; ++k) pv[l][k] = l < count ? prm.p[k][c0 + l] : T(0);
    }
  }
}

// --- columns forward: per-feature y = f(x) over a [B, P] matrix ------------------------------
// Block: cg = 2^cg_log2 column units × R = kThreads / cg row lanes; a chunk is R·rows rows,
// rows ≤ kFwdRows per thread.
template <Act A, Range R, typename T>
__global__ void __launch_bounds__(kThreads)
    act_forward_columns_kernel(const T* __restrict__ x, T* __restrict__ y, uint32_t B, uint32_t P,
                               ParamPtrs<T> prm, int cg_log2, int rows, uint32_t nchunks, bool vec_data,
                               bool vec_params) {
  constexpr int V = vec_width<T>();
  const int cg = 1 << cg_log2, RL = kThreads >> cg_log2;
  const int tx = static_cast<int>(threadIdx.x) & (cg - 1), ty = static_cast<int>(threadIdx.x) >> cg_log2;
  const uint32_t c0 = (blockIdx.x * cg + tx) * V;
  if (c0 >= P) return;
  const int count = static_cast<int>(min(P - c0, uint32_t(V)));
  const bool vec = vec_data && count == V;
  T pv[V][kMaxActParams] = {};
  load_column_params<A, T, V>(prm, c0, count, vec_params, pv);
  SlotConsts<A, T> sv[V];
  make_slot_consts<A, R>(pv, sv);
  const uint32_t chunk_rows = static_cast<uint32_t>(RL * rows);
  bool outside = false;
  {
    for (uint32_t chunk = blockIdx.y; chunk < nchunks; chunk += gridDim.y) {
      const uint32_t b0 = chunk * chunk_rows + static_cast<uint32_t>(ty);
      // All the thread's loads first, then the math: kFwdRows units in flight.
      T xv[kFwdRows][V];
#pragma unroll
      for (int i = 0; i < kFwdRows; ++i) {
        const uint32_t b = b0 + static_cast<uint32_t>(i * RL);
        if (i < rows && b < B)
          load_unit<T, V>(x + b * P + c0, count, vec, xv[i]);
        else
#pragma unroll
          for (int l = 0; l < V; ++l) xv[i][l] = T(0);
      }
#pragma unroll
      for (int i = 0; i < kFwdRows; ++i) {
        const uint32_t b = b0 + static_cast<uint32_t>(i * RL);
        T yv[V];
        unit_forward<A, R>(xv[i], pv, sv, yv);
        outside = outside | !unit_in_domain<A, R, false>(xv[i], pv);
        if (i < rows && b < B) store_unit<T, V>(y + b * P + c0, count, vec, yv);
      }
    }
  }
  if constexpr (domain_checked<A, T>()) {
    if (outside) {  // rare: redo the units outside the fast domain
      for (uint32_t chunk = blockIdx.y; chunk < nchunks; chunk += gridDim.y) {
        for (int i = 0; i < rows; ++i) {
          const uint32_t b = chunk * chunk_rows + static_cast<uint32_t>(ty + i * RL);
          if (b >= B) break;
          T xv[V], yv[V];
          load_unit<T, V>(x + b * P + c0, count, vec, xv);
          if (unit_in_domain<A, R, false>(xv, pv)) continue;
          unit_forward_checked<A, R>(xv, pv, sv, yv);
          store_unit<T, V>(y + b * P + c0, count, vec, yv);
        }
      }
    }
  }
}

// --- elementwise: y = f(x), or gx = gy·f'(x) ------------------------------------------------
template <Act A, Range R, typename T, bool BWD>
__device__ __forceinline__ void elementwise_unit(const T* __restrict__ x, const T* __restrict__ gy,
                                                 T* __restrict__ out, uint32_t n, const ParamPtrs<T>& prm,
                                                 uint32_t P, uint32_t inner, const FastDiv& inner_div,
                                                 const FastDiv& p_div, bool vec_data, ParamMode pmode, uint32_t u,
                                                 bool fixup, bool& outside) {
  constexpr int V = vec_width<T>();
  const uint32_t i0 = u * V;
  const int count = static_cast<int>(min(n - i0, uint32_t(V)));
  const bool vec = vec_data && count == V;
  const uint32_t q = inner_div.div(i0);
  const uint32_t s = i0 - q * inner;
  const uint32_t j = q - p_div.div(q) * P;
  T pv[V][kMaxActParams] = {};
  load_unit_params<A, T, V>(prm, pmode, j, s, inner, P, pv);
  SlotConsts<A, T> sv[V];
  make_slot_consts<A, R>(pv, sv);
  T xv[V], ov[V];
  load_unit<T, V>(x + i0, count, vec, xv);
  if (fixup && unit_in_domain<A, R, BWD>(xv, pv)) return;
  if constexpr (BWD) {
    T gv[V], dpv[V][kMaxActParams];
    load_unit<T, V>(gy + i0, count, vec, gv);
    if (fixup)
      unit_backward_checked<A, R>(xv, pv, sv, ov, dpv);
    else
      unit_backward<A, R>(xv, pv, sv, ov, dpv);
#pragma unroll
    for (int l = 0; l < V; ++l) ov[l] = gv[l] * ov[l];
  } else {
    if (fixup)
      unit_forward_checked<A, R>(xv, pv, sv, ov);
    else
      unit_forward<A, R>(xv, pv, sv, ov);
  }
  outside = outside | !unit_in_domain<A, R, BWD>(xv, pv);
  store_unit<T, V>(out + i0, count, vec, ov);
}

template <Act A, Range R, typename T, bool BWD>
__global__ void __launch_bounds__(kThreads)
    act_elementwise_kernel(const T* __restrict__ x, const T* __restrict__ gy, T* __restrict__ out, uint32_t n,
                           ParamPtrs<T> prm, uint32_t P, uint32_t inner, FastDiv inner_div, FastDiv p_div,
                           bool vec_data, ParamMode pmode) {
  constexpr int V = vec_width<T>();
  const uint32_t units = (n + V - 1) / V;
  bool outside = false;
  for (uint32_t u = blockIdx.x * blockDim.x + threadIdx.x; u < units; u += gridDim.x * blockDim.x)
    elementwise_unit<A, R, T, BWD>(x, gy, out, n, prm, P, inner, inner_div, p_div, vec_data, pmode, u, false,
                                   outside);
  if constexpr (domain_checked<A, T>()) {
    if (outside) {  // rare: redo the units outside the fast domain
      for (uint32_t u = blockIdx.x * blockDim.x + threadIdx.x; u < units; u += gridDim.x * blockDim.x)
        elementwise_unit<A, R, T, BWD>(x, gy, out, n, prm, P, inner, inner_div, p_div, vec_data, pmode, u, true,
                                       outside);
    }
  }
}

// Adds buf[l·kThreads + t] over the R = kThreads / cg row lanes of each column lane, in a
// fixed tree; the result for column lane tx ends in buf[l·kThreads + tx].
template <int V>
__device__ __forceinline__ void tree_sum_lanes(double* buf, int cg, int R, int ty) {
  for (int stride = R / 2; stride > 0; stride /= 2) {
    if (ty < stride) {
#pragma unroll
      for (int l = 0; l < V; ++l) buf[l * kThreads + threadIdx.x] += buf[l * kThreads + threadIdx.x + stride * cg];
    }
    __syncthreads();
  }
}

// gx = gy·f'(x) for a unit, stored unless gx is null, and the unit's terms gy·∂f/∂p_k added to
// acc[k][l]: the product in T, the sum in double (one conversion per term). Lanes past count
// add into sums that are never written out.
template <Act A, typename T, int V>
__device__ __forceinline__ void finish_unit(const T (&gv)[V], T (&dv)[V], const T (&dpv)[V][kMaxActParams],
                                            int count, T* __restrict__ gx, bool vec, double (&acc)[kMaxActParams][V]) {
  constexpr int np = act_param_count(A);
#pragma unroll
  for (int l = 0; l < V; ++l) {
    dv[l] = gv[l] * dv[l];
#pragma unroll
    for (int k = 0; k < np; ++k) acc[k][l] += static_cast<double>(gv[l] * dpv[l][k]);
  }
  if (gx) store_unit<T, V>(gx, count, vec, dv);
}

// --- columns: per-feature backward over a [B, P] matrix --------------------------------------
// Block: cg = 2^cg_log2 column units × R = kThreads / cg row lanes. blockIdx.y is the row chunk.
// `partial` null: write gparams directly (one chunk); else partial[(chunk·np + k)·P + col].
template <Act A, Range R, typename T>
__global__ void __launch_bounds__(kThreads, kBwdBlocksPerSM)
    act_backward_columns_kernel(const T* __restrict__ x, const T* __restrict__ gy, T* __restrict__ gx, uint32_t B,
                                uint32_t P, ParamPtrs<T> prm, int cg_log2, uint32_t rows_per_chunk, bool vec_data,
                                bool vec_params, double* __restrict__ partial, GradPtrs<T> gp) {
  constexpr int np = act_param_count(A);
  constexpr int V = column_lanes(A, sizeof(T));
  __shared__ double buf[V * kThreads];
  const int cg = 1 << cg_log2, RL = kThreads >> cg_log2;
  const int tx = static_cast<int>(threadIdx.x) & (cg - 1), ty = static_cast<int>(threadIdx.x) >> cg_log2;
  const uint32_t c0 = (blockIdx.x * cg + tx) * V;
  const bool col_ok = c0 < P;
  const int count = col_ok ? static_cast<int>(min(P - c0, uint32_t(V))) : 0;
  const bool vec = vec_data && count == V;
  const uint32_t b0 = blockIdx.y * rows_per_chunk, b1 = min(B, b0 + rows_per_chunk);

  double acc[kMaxActParams][V] = {};
  if (col_ok) {
    T pv[V][kMaxActParams] = {};
    load_column_params<A, T, V>(prm, c0, count, vec_params, pv);
    SlotConsts<A, T> sv[V];
    make_slot_consts<A, R>(pv, sv);
    bool outside = false;
    // Software-pipelined: the next row's loads are issued before this row's math, so each
    // thread keeps two rows in flight.
    {
      T xv[V], gv[V];
      uint32_t b = b0 + ty;
      if (b < b1) {
        load_unit<T, V>(x + b * P + c0, count, vec, xv);
        load_unit<T, V>(gy + b * P + c0, count, vec, gv);
      }
      for (; b < b1; b += RL) {
        const uint32_t base = b * P + c0;
        T xn[V] = {}, gn[V] = {};
        if (b + RL < b1) {
          load_unit<T, V>(x + base + RL * P, count, vec, xn);
          load_unit<T, V>(gy + base + RL * P, count, vec, gn);
        }
        T dv[V], dpv[V][kMaxActParams];
        unit_backward<A, R>(xv, pv, sv, dv, dpv);
        outside = outside | !unit_in_domain<A, R, true>(xv, pv);
        finish_unit<A, T, V>(gv, dv, dpv, count, gx ? gx + base : nullptr, vec, acc);
#pragma unroll
        for (int l = 0; l < V; ++l) {
          xv[l] = xn[l];
          gv[l] = gn[l];
        }
      }
    }
    if constexpr (domain_checked<A, T>()) {
      if (outside) {  // rare: redo all the thread's rows, in the same order, the units outside in f64
#pragma unroll
        for (int k = 0; k < kMaxActParams; ++k)
#pragma unroll
          for (int l = 0; l < V; ++l) acc[k][l] = 0;
        for (uint32_t b = b0 + ty; b < b1; b += RL) {
          const uint32_t base = b * P + c0;
          T xv[V], gv[V];
          load_unit<T, V>(x + base, count, vec, xv);
          load_unit<T, V>(gy + base, count, vec, gv);
          T dv[V], dpv[V][kMaxActParams];
          unit_backward_checked<A, R>(xv, pv, sv, dv, dpv);
          finish_unit<A, T, V>(gv, dv, dpv, count, gx ? gx + base : nullptr, vec, acc);
        }
      }
    }
  }

#pragma unroll
  for (int k = 0; k < np; ++k) {
#pragma unroll
    for (int l = 0; l < V; ++l) buf[l * kThreads + threadIdx.x] = acc[k][l];
    __syncthreads();
    tree_sum_lanes<V>(buf, cg, RL, ty);
    if (ty == 0 && col_ok) {
      for (int l = 0; l < count; ++l) {
        const double v = buf[l * kThreads + tx];
        if (partial)
          partial[(static_cast<size_t>(blockIdx.y) * np + k) * P + c0 + l] = v;
        else if (gp.p[k])
          gp.p[k][c0 + l] = static_cast<T>(v);
      }
    }
    __syncthreads();
  }
}

// --- segments: per-channel backward (inner > 1), and P = 1 -----------------------------------
// Block (j, chunk): the elements t ∈ [chunk·units_per_chunk·V, …) of slot j's segment set
// {b·P·inner + j·inner + s}, walked as units of V consecutive t (t = b·inner + s).
template <typename T, int V>
struct SegmentUnit {
  T xv[V], gv[V];
  uint32_t addr[V];
  int count;
  bool vec;
};

template <typename T, int V>
__device__ __forceinline__ SegmentUnit<T, V> load_segment_unit(const T* __restrict__ x, const T* __restrict__ gy,
                                                              uint32_t P, uint32_t inner, const FastDiv& inner_div,
                                                              uint32_t m, uint32_t j, uint32_t u, bool vec_data) {
  SegmentUnit<T, V> su;
  const uint32_t t0 = u * V;
  su.count = static_cast<int>(min(m - t0, uint32_t(V)));
  su.vec = vec_data && su.count == V;
  uint32_t b = inner_div.div(t0);
  uint32_t s = t0 - b * inner;
  if (su.vec) {
    // vec_data promises that a unit never crosses a segment end: its lanes are contiguous.
    const uint32_t a = (b * P + j) * inner + s;
    load_vec<T, V>(x + a, su.xv);
    load_vec<T, V>(gy + a, su.gv);
#pragma unroll
    for (int l = 0; l < V; ++l) su.addr[l] = a + l;
  } else {
#pragma unroll
    for (int l = 0; l < V; ++l) {
      su.addr[l] = (b * P + j) * inner + s;
      su.xv[l] = l < su.count ? x[su.addr[l]] : T(0);
      su.gv[l] = l < su.count ? gy[su.addr[l]] : T(0);
      if (++s == inner) {
        s = 0;
        ++b;
      }
    }
  }
  return su;
}

template <Act A, typename T, int V>
__device__ __forceinline__ void finish_segment_unit(const SegmentUnit<T, V>& su, T (&dv)[V],
                                                    const T (&dpv)[V][kMaxActParams], T* __restrict__ gx,
                                                    double (&acc)[kMaxActParams]) {
  constexpr int np = act_param_count(A);
#pragma unroll
  for (int l = 0; l < V; ++l) {
    dv[l] = su.gv[l] * dv[l];
    if (l < su.count) {
#pragma unroll
      for (int k = 0; k < np; ++k) acc[k] += static_cast<double>(su.gv[l] * dpv[l][k]);
    }
  }
  if (gx) {
    if (su.vec) {
      store_vec<T, V>(gx + su.addr[0], dv);
    } else {
#pragma unroll
      for (int l = 0; l < V; ++l)
        if (l < su.count) gx[su.addr[l]] = dv[l];
    }
  }
}

template <Act A, Range R, typename T>
__global__ void __launch_bounds__(kThreads)
    act_backward_segments_kernel(const T* __restrict__ x, const T* __restrict__ gy, T* __restrict__ gx, uint32_t P,
                                 uint32_t inner, FastDiv inner_div, uint32_t m, uint32_t units_per_chunk,
                                 ParamPtrs<T> prm, bool vec_data, double* __restrict__ partial, GradPtrs<T> gp) {
  constexpr int V = vec_width<T>();
  constexpr int np = act_param_count(A);
  __shared__ double buf[kThreads];
  const uint32_t j = blockIdx.x;
  T pv[V][kMaxActParams] = {};
#pragma unroll
  for (int k = 0; k < np; ++k) {
    const T v = prm.p[k][j];
#pragma unroll
    for (int l = 0; l < V; ++l) pv[l][k] = v;
  }
  SlotConsts<A, T> sv[V];
  make_slot_consts<A, R>(pv, sv);
  const uint32_t units = (m + V - 1) / V;
  const uint32_t u0 = blockIdx.y * units_per_chunk, u1 = min(units, u0 + units_per_chunk);

  double acc[kMaxActParams] = {};
  bool outside = false;
  for (uint32_t u = u0 + threadIdx.x; u < u1; u += kThreads) {
    const SegmentUnit<T, V> su = load_segment_unit<T, V>(x, gy, P, inner, inner_div, m, j, u, vec_data);
    T dv[V], dpv[V][kMaxActParams];
    unit_backward<A, R>(su.xv, pv, sv, dv, dpv);
    outside = outside | !unit_in_domain<A, R, true>(su.xv, pv);
    finish_segment_unit<A, T, V>(su, dv, dpv, gx, acc);
  }
  if constexpr (domain_checked<A, T>()) {
    if (outside) {  // rare: redo all the thread's units, in the same order, those outside in f64
#pragma unroll
      for (int k = 0; k < kMaxActParams; ++k) acc[k] = 0;
      for (uint32_t u = u0 + threadIdx.x; u < u1; u += kThreads) {
        const SegmentUnit<T, V> su = load_segment_unit<T, V>(x, gy, P, inner, inner_div, m, j, u, vec_data);
        T dv[V], dpv[V][kMaxActParams];
        unit_backward_checked<A, R>(su.xv, pv, sv, dv, dpv);
        finish_segment_unit<A, T, V>(su, dv, dpv, gx, acc);
      }
    }
  }

#pragma unroll
  for (int k = 0; k < np; ++k) {
    buf[threadIdx.x] = acc[k];
    __syncthreads();
    tree_sum_lanes<1>(buf, 1, kThreads, static_cast<int>(threadIdx.x));
    if (threadIdx.x == 0) {
      if (partial)
        partial[(static_cast<size_t>(blockIdx.y) * np + k) * P + j] = buf[0];
      else if (gp.p[k])
        gp.p[k][j] = static_cast<T>(buf[0]);
    }
    __syncthreads();
  }
}

// gparams[k][j] = Σ_chunk partial[(chunk·np + k)·P + j], chunks in order.
template <typename T>
__global__ void __launch_bounds__(kThreads)
    act_reduce_chunks_kernel(const double* __restrict__ partial, uint32_t nchunks, int np, uint32_t P,
                             GradPtrs<T> gp) {
  const uint32_t total = static_cast<uint32_t>(np) * P;
  for (uint32_t idx = blockIdx.x * blockDim.x + threadIdx.x; idx < total; idx += gridDim.x * blockDim.x) {
    const uint32_t k = idx / P, j = idx - k * P;
    T* out = gp.p[k];
    if (!out) continue;
    double s = 0;
    for (uint32_t c = 0; c < nchunks; ++c) s += partial[(static_cast<size_t>(c) * np + k) * P + j];
    out[j] = static_cast<T>(s);
  }
}

// --- host side ----------------------------------------------------------------------------------

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }
bool aligned_to(const void* p, size_t bytes) { return reinterpret_cast<uintptr_t>(p) % bytes == 0; }

std::string sizes_str(int64_t n, int64_t P, int64_t inner) {
  return "n=" + std::to_string(n) + ", P=" + std::to_string(P) + ", inner=" + std::to_string(inner);
}

template <typename T>
void check_launch(const char* kernel, Act act, int64_t n, int64_t P, int64_t inner, dim3 grid) {
  const cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess)
    throw std::runtime_error(std::string(kernel) + "<" + act_name(act) + ", " + type_name<T>() + "> launch (" +
                             sizes_str(n, P, inner) + ", grid " + std::to_string(grid.x) + "×" +
                             std::to_string(grid.y) + "×" + std::to_string(kThreads) +
                             " threads) failed: " + cudaGetErrorString(err));
  if (sync_each_op())
    sync_check(std::string(kernel) + "<" + act_name(act) + ", " + type_name<T>() + "> (" + sizes_str(n, P, inner) +
               ")");
}

void check_sizes(const char* fn, Act act, int64_t n, int64_t P, int64_t inner) {
  const auto bad = [&](const std::string& why) {
    throw std::runtime_error(std::string(fn) + "(" + act_name(act) + ", " + sizes_str(n, P, inner) + "): " + why);
  };
  if (n < 0 || P < 1 || inner < 1) bad("sizes must be n ≥ 0, P ≥ 1, inner ≥ 1");
  if (n > kMaxElements) bad("the CUDA activation kernels index with 32 bits: at most 2^31 − 1 elements");
  if (n % (P * inner) != 0) bad("n is not a multiple of P·inner");
}

cudaStream_t as_stream(void* s) { return static_cast<cudaStream_t>(s); }

// Calls fn with the range as a compile-time value (std::integral_constant-like); functions
// that ignore the range get one instantiation.
template <Act A, typename Fn>
void dispatch_range(Range r, Fn&& fn) {
  if constexpr (act_uses_range(A)) {
    if (r == Range::unit) {
      fn(std::integral_constant<Range, Range::unit>{});
      return;
    }
  }
  fn(std::integral_constant<Range, Range::sym>{});
}

// The column geometry shared by the columns kernels: cg column units of V lanes per block.
int column_cg_log2(int64_t P, int V) {
  const int64_t groups = ceil_div(P, V);
  int cg_log2 = 0;
  while (cg_log2 < 5 && (int64_t(1) << cg_log2) < groups) ++cg_log2;
  return cg_log2;
}

// How a backward is cut into blocks; a function of the sizes and sizeof(T) only.
struct BackwardPlan {
  enum class Kind { elementwise, columns, segments } kind = Kind::elementwise;
  int64_t B = 0, P = 1, inner = 1;  // normalised: P = 1 becomes one segment of n elements
  int cg_log2 = 0;                  // columns
  int64_t grid_x = 0;
  int64_t per_chunk = 0;            // rows (columns) or units (segments) per chunk
  int64_t nchunks = 1;
  size_t workspace_bytes = 0;       // nchunks > 1: the partial sums, in double
};

BackwardPlan plan_backward(Act act, bool want_params, int64_t n, int64_t P, int64_t inner, size_t elem_bytes) {
  const int np = act_param_count(act);
  BackwardPlan pl;
  pl.P = P;
  pl.inner = inner;
  if (P == 1) pl.inner = n;  // [B, 1, inner] is one contiguous segment
  pl.B = pl.inner > 0 ? n / (pl.P * pl.inner) : 0;
  if (np == 0 || !want_params || n == 0) return pl;

  const int V = static_cast<int>(16 / elem_bytes);
  if (pl.inner == 1) {
    pl.kind = BackwardPlan::Kind::columns;
    // The row chunks are planned for 16-byte units whatever the kernel's lanes, so that the
    // workspace depends on the sizes and the element size alone.
    const int cg16 = column_cg_log2(pl.P, V);
    const int64_t R = kThreads >> cg16;
    const int64_t grid16 = ceil_div(ceil_div(pl.P, V), int64_t(1) << cg16);
    const int64_t want = ceil_div(kTargetThreads, grid16 * kThreads);
    const int64_t most = std::max<int64_t>(1, ceil_div(pl.B, R * kMinWorkPerThread));
    const int64_t chunks = std::clamp<int64_t>(want, 1, most);
    pl.per_chunk = ceil_div(pl.B, chunks);
    const int lanes = column_lanes(act, elem_bytes);
    pl.cg_log2 = column_cg_log2(pl.P, lanes);
    pl.grid_x = ceil_div(ceil_div(pl.P, lanes), int64_t(1) << pl.cg_log2);
  } else {
    pl.kind = BackwardPlan::Kind::segments;
    pl.grid_x = pl.P;
    const int64_t units = ceil_div(pl.B * pl.inner, V);
    const int64_t want = ceil_div(kTargetThreads, pl.P * kThreads);
    const int64_t most = std::max<int64_t>(1, ceil_div(units, kThreads * kMinWorkPerThread));
    const int64_t chunks = std::clamp<int64_t>(want, 1, most);
    pl.per_chunk = ceil_div(units, chunks);
  }
  const int64_t extent = pl.kind == BackwardPlan::Kind::columns ? pl.B : ceil_div(pl.B * pl.inner, V);
  pl.nchunks = ceil_div(extent, pl.per_chunk);
  if (pl.nchunks > 1) pl.workspace_bytes = static_cast<size_t>(pl.nchunks * np * pl.P) * sizeof(double);
  return pl;
}

int64_t elementwise_blocks(int64_t n, int V) {
  // Capped: past this the grid-stride loop takes over; the cap is far above any GPU's residency.
  return std::clamp<int64_t>(ceil_div(ceil_div(n, V), kThreads), 1, int64_t(1) << 20);
}

template <typename T>
ParamMode param_mode(int np, const T* const* params, int64_t P, int64_t inner) {
  constexpr int V = vec_width<T>();
  if (inner % V == 0 || P == 1) return ParamMode::shared;
  if (inner == 1 && P % V == 0) {
    bool ok = true;
    for (int k = 0; k < np; ++k) ok = ok && aligned16(params[k]);
    if (ok) return ParamMode::vector;
  }
  return ParamMode::per_lane;
}

template <typename T>
ParamPtrs<T> pack_params(Act act, const T* const* params) {
  ParamPtrs<T> pp{};
  const int np = act_param_count(act);
  if (np > 0 && !params) throw std::runtime_error(std::string(act_name(act)) + ": params is null");
  for (int k = 0; k < np; ++k) {
    if (!params[k])
      throw std::runtime_error(std::string(act_name(act)) + ": parameter '" + act_param_name(act, k) + "' is null");
    pp.p[k] = params[k];
  }
  return pp;
}

template <typename T>
bool all_aligned(int np, const ParamPtrs<T>& pp, size_t bytes) {
  bool ok = true;
  for (int k = 0; k < np; ++k) ok = ok && aligned_to(pp.p[k], bytes);
  return ok;
}

template <Act A, Range R, typename T, bool BWD>
void launch_elementwise(const T* x, const T* gy, T* out, int64_t n, const T* const* params, int64_t P,
                        int64_t inner, cudaStream_t stream) {
  constexpr int V = vec_width<T>();
  const bool vec = aligned16(x) && aligned16(out) && (!BWD || aligned16(gy));
  const ParamPtrs<T> pp = pack_params<T>(A, params);
  const dim3 grid(static_cast<unsigned>(elementwise_blocks(n, V)));
  act_elementwise_kernel<A, R, T, BWD><<<grid, kThreads, 0, stream>>>(
      x, gy, out, static_cast<uint32_t>(n), pp, static_cast<uint32_t>(P), static_cast<uint32_t>(inner),
      FastDiv(static_cast<uint32_t>(inner)), FastDiv(static_cast<uint32_t>(P)), vec,
      param_mode<T>(act_param_count(A), pp.p, P, inner));
  check_launch<T>(BWD ? "act_elementwise_kernel (backward)" : "act_elementwise_kernel (forward)", A, n, P, inner,
                  grid);
}

// Per-feature parameters on whole 16-byte units of every row: the columns forward kernel. The
// choice depends on the sizes only, so aligned and misaligned pointers run the same kernel.
template <typename T>
bool forward_by_columns(int np, int64_t P, int64_t inner) {
  return np > 0 && inner == 1 && P > 1 && P % vec_width<T>() == 0;
}

template <Act A, Range R, typename T>
void launch_forward(const T* x, T* y, int64_t n, const T* const* params, int64_t P, int64_t inner,
                    cudaStream_t stream) {
  constexpr int V = vec_width<T>();
  constexpr int np = act_param_count(A);
  if (!forward_by_columns<T>(np, P, inner)) {
    launch_elementwise<A, R, T, false>(x, nullptr, y, n, params, P, inner, stream);
    return;
  }
  if constexpr (np > 0) {
  const ParamPtrs<T> pp = pack_params<T>(A, params);
  const int64_t B = n / P;
  const int cg_log2 = column_cg_log2(P, V);
  const int64_t grid_x = ceil_div(ceil_div(P, V), int64_t(1) << cg_log2);
  int rows = kFwdRows;
  while (rows > 1 && grid_x * ceil_div(B, (kThreads >> cg_log2) * int64_t(rows)) < kFwdMinBlocks) rows /= 2;
  const int64_t nchunks = ceil_div(B, (kThreads >> cg_log2) * int64_t(rows));
  const dim3 grid(static_cast<unsigned>(grid_x), static_cast<unsigned>(std::min<int64_t>(nchunks, kMaxGridY)));
  act_forward_columns_kernel<A, R, T><<<grid, kThreads, 0, stream>>>(
      x, y, static_cast<uint32_t>(B), static_cast<uint32_t>(P), pp, cg_log2, rows, static_cast<uint32_t>(nchunks),
      aligned16(x) && aligned16(y), all_aligned<T>(np, pp, 16));
  check_launch<T>("act_forward_columns_kernel", A, n, P, inner, grid);
  }
}

// The backward with parameter gradients; only instantiated for functions that have parameters.
template <Act A, Range R, typename T>
void launch_backward_reduce(const T* x, const T* gy, T* gx, const GradPtrs<T>& gp, int64_t n,
                            const T* const* params, int64_t P, int64_t inner, void* workspace,
                            size_t workspace_bytes, cudaStream_t stream) {
  constexpr int np = act_param_count(A);
  const BackwardPlan pl = plan_backward(A, true, n, P, inner, sizeof(T));
  if (pl.workspace_bytes > 0 && (!workspace || workspace_bytes < pl.workspace_bytes))
    throw std::runtime_error(std::string("act_backward(") + act_name(A) + ", " + sizes_str(n, P, inner) +
                             "): the workspace holds " + std::to_string(workspace ? workspace_bytes : 0) +
                             " bytes, act_backward_workspace_bytes asks for " +
                             std::to_string(pl.workspace_bytes));
  double* partial = pl.nchunks > 1 ? static_cast<double*>(workspace) : nullptr;
  const ParamPtrs<T> pp = pack_params<T>(A, params);
  const dim3 grid(static_cast<unsigned>(pl.grid_x), static_cast<unsigned>(pl.nchunks));

  if (pl.kind == BackwardPlan::Kind::columns) {
    // Each row starts on a unit boundary only when P is a multiple of the unit.
    constexpr int V = column_lanes(A, sizeof(T));
    constexpr size_t unit = V * sizeof(T);
    const bool vec_data =
        aligned_to(x, unit) && aligned_to(gy, unit) && (!gx || aligned_to(gx, unit)) && pl.P % V == 0;
    act_backward_columns_kernel<A, R, T><<<grid, kThreads, 0, stream>>>(
        x, gy, gx, static_cast<uint32_t>(pl.B), static_cast<uint32_t>(pl.P), pp, pl.cg_log2,
        static_cast<uint32_t>(pl.per_chunk), vec_data, all_aligned<T>(np, pp, unit), partial, gp);
    check_launch<T>("act_backward_columns_kernel", A, n, P, inner, grid);
  } else {
    // Units may be whole vectors only if they never straddle two segments.
    constexpr int V = vec_width<T>();
    const bool data_aligned = aligned16(x) && aligned16(gy) && (!gx || aligned16(gx));
    const bool vec_data = data_aligned && (pl.inner % V == 0 || pl.P == 1);
    act_backward_segments_kernel<A, R, T><<<grid, kThreads, 0, stream>>>(
        x, gy, gx, static_cast<uint32_t>(pl.P), static_cast<uint32_t>(pl.inner),
        FastDiv(static_cast<uint32_t>(pl.inner)), static_cast<uint32_t>(pl.B * pl.inner),
        static_cast<uint32_t>(pl.per_chunk), pp, vec_data, partial, gp);
    check_launch<T>("act_backward_segments_kernel", A, n, P, inner, grid);
  }
  if (partial) {
    const dim3 rgrid(static_cast<unsigned>(std::clamp<int64_t>(ceil_div(np * pl.P, kThreads), 1, 1 << 16)));
    act_reduce_chunks_kernel<T><<<rgrid, kThreads, 0, stream>>>(partial, static_cast<uint32_t>(pl.nchunks), np,
                                                                static_cast<uint32_t>(pl.P), gp);
    check_launch<T>("act_reduce_chunks_kernel", A, n, P, inner, rgrid);
  }
}

template <Act A, Range R, typename T>
void launch_backward(const T* x, const T* gy, T* gx, T* const* gparams, int64_t n, const T* const* params,
                     int64_t P, int64_t inner, void* workspace, size_t workspace_bytes, cudaStream_t stream) {
  constexpr int np = act_param_count(A);
  GradPtrs<T> gp{};
  bool want_params = false;
  for (int k = 0; k < np; ++k) {
    gp.p[k] = gparams ? gparams[k] : nullptr;
    want_params = want_params || gp.p[k] != nullptr;
  }
  if constexpr (np > 0) {
    if (want_params) {
      launch_backward_reduce<A, R, T>(x, gy, gx, gp, n, params, P, inner, workspace, workspace_bytes, stream);
      return;
    }
  }
  // No parameter gradient wanted (Mish, a frozen layer): a plain map.
  if (gx) launch_elementwise<A, R, T, true>(x, gy, gx, n, params, P, inner, stream);
}

}  // namespace

template <typename T>
void act_forward(Act act, Range range, const T* x, T* y, int64_t n, const T* const* params, int64_t P,
                      int64_t inner, void* stream) {
  check_sizes("act_forward", act, n, P, inner);
  if (n == 0) return;
  dispatch_act(act, [&](auto tag) {
    constexpr Act A = decltype(tag)::value;
    dispatch_range<A>(range, [&](auto rtag) {
      launch_forward<A, decltype(rtag)::value, T>(x, y, n, params, P, inner, as_stream(stream));
    });
  });
}

size_t act_backward_workspace_bytes(Act act, int64_t n, int64_t P, int64_t inner, size_t elem_bytes) {
  check_sizes("act_backward_workspace_bytes", act, n, P, inner);
  if (elem_bytes != 4 && elem_bytes != 8)
    throw std::runtime_error("act_backward_workspace_bytes: element size " + std::to_string(elem_bytes) +
                             " is neither 4 (f32) nor 8 (f64)");
  return plan_backward(act, true, n, P, inner, elem_bytes).workspace_bytes;
}

template <typename T>
void act_backward(Act act, Range range, const T* x, const T* gy, T* gx, T* const* gparams, int64_t n,
                       const T* const* params, int64_t P, int64_t inner, void* workspace, size_t workspace_bytes,
                       void* stream) {
  check_sizes("act_backward", act, n, P, inner);
  const cudaStream_t s = as_stream(stream);
  if (n == 0) {
    // An empty batch still defines the parameter gradients: all zero (all-zero bits are 0.0).
    for (int k = 0; gparams && k < act_param_count(act); ++k) {
      if (!gparams[k]) continue;
      const cudaError_t err = cudaMemsetAsync(gparams[k], 0, static_cast<size_t>(P) * sizeof(T), s);
      if (err != cudaSuccess) {
        cudaGetLastError();
        throw std::runtime_error(std::string("cudaMemsetAsync(") + std::to_string(P * sizeof(T)) +
                                 " bytes) of an empty batch's parameter gradient failed: " + cudaGetErrorString(err));
      }
      if (sync_each_op())
        sync_check("cudaMemsetAsync(" + std::to_string(P * sizeof(T)) + " bytes) of an empty batch's parameter gradient");
    }
    return;
  }
  dispatch_act(act, [&](auto tag) {
    constexpr Act A = decltype(tag)::value;
    dispatch_range<A>(range, [&](auto rtag) {
      launch_backward<A, decltype(rtag)::value, T>(x, gy, gx, gparams, n, params, P, inner, workspace,
                                                   workspace_bytes, s);
    });
  });
}

template void act_forward<float>(Act, Range, const float*, float*, int64_t, const float* const*, int64_t,
                                      int64_t, void*);
template void act_forward<double>(Act, Range, const double*, double*, int64_t, const double* const*, int64_t,
                                       int64_t, void*);
template void act_backward<float>(Act, Range, const float*, const float*, float*, float* const*, int64_t,
                                       const float* const*, int64_t, int64_t, void*, size_t, void*);
template void act_backward<double>(Act, Range, const double*, const double*, double*, double* const*, int64_t,
                                        const double* const*, int64_t, int64_t, void*, size_t, void*);

}  // namespace aafgan::kernels::cuda
