#pragma once
// What the activation formulas of kernels/math/act/ share: the two output ranges, the
// elementary functions (one spelling for the host loops and the device), and the
// bi-hyperbolic core of BHSA, BHAA, BHATA, BHANA and MiDA. No engine types.
//
// Numerics (the "why" behind the forms below):
// - Differences of the two hyperbolic roots are evaluated as quotients (a − b = (a² − b²)/(a + b)),
//   the roots with hypot, and every derivative is taken of those stable forms. Nothing divides
//   by τ, so τ → 0 (the hard-clamp limit) keeps finite gradients; the few 0/0 points that exist
//   only at τ = 0 exactly are guarded and return a subgradient.
// - BHANA's extremum has a closed form: with d = |τ1| − |τ2|, k = 2 (sym) or 4 (unit),
//   BHAA(x*) = off + sign(d)·hypot(2, k·d)/k (off = 0 sym, ½ unit). It is the same value as
//   evaluating BHAA at x* = (|τ1| + |τ2|)/(kλ(|τ1| − |τ2|)), without forming x* (which is huge
//   near τ1 = τ2 and infinite for λ = 0), and its parameter derivative is the envelope-theorem
//   one, ∂BHAA/∂τ at x*, also in closed form. The normalisation is continuous as d → 0.
// - exp never overflows: the logistic uses exp(−|z|), softplus follows activations.md (x above
//   20, log1p(exp(x)) below), and Mish's tanh(softplus(x)) is the equivalent rational function
//   of eˣ on that same branch.
#include <cmath>
#include <limits>

#include "kernels/cpu/vec_math.h"
#include "kernels/math/hd.h"

namespace aafgan::kernels {

// unit: the (0, 1) output range (discriminator, replaces sigmoid); sym: (−1, 1) (generator,
// replaces tanh). Only the output functions read it.
enum class Range : int { unit, sym };

constexpr int kMaxActParams = 3;

inline const char* range_name(Range r) { return r == Range::unit ? "unit" : "sym"; }

// Target range (lo, hi), and the bi-hyperbolic constants: the roots carry k·λx and k·τ with
// k = 2 (sym) or 4 (unit), and y = (a − b)/k + off.
template <typename T>
AAFGAN_HD T range_lo(Range r) { return r == Range::unit ? T(0) : T(-1); }
template <typename T>
AAFGAN_HD T range_hi(Range) { return T(1); }
template <typename T>
AAFGAN_HD T range_k(Range r) { return r == Range::unit ? T(4) : T(2); }
template <typename T>
AAFGAN_HD T range_off(Range r) { return r == Range::unit ? T(0.5) : T(0); }

// An exact-range output function (activations.md: BHSA, BHATA, BHANA, DSILU) may round past
// its range by an ulp or so (a quotient of roots, BHANA's normalisation): clamping the final
// value keeps it inside without changing any value that was inside. NaN stays NaN (it only
// comes from a NaN input). The gradient is the formula's: the clamp corrects rounding, not
// the function.
template <typename T>
AAFGAN_HD T hold_range(T y, Range r) {
  const T lo = range_lo<T>(r), hi = range_hi<T>(r);
  return y < lo ? lo : (y > hi ? hi : y);
}

namespace act_detail {

// The elementary functions, the only part that differs per backend: CUDA's own in device code;
// on the host the branch-free ones of kernels/cpu/vec_math.h, which GCC vectorises in the CPU
// loops (libm's are opaque calls). Both handle the same inf/NaN/overflow cases, so every formula
// below is written once for both. (vm::hypot for float forms the root in double, where squares
// of floats cannot overflow or underflow; device f32 code forms roots and quotients with the
// MUFU approximations of dev_hypot, hyp_inv and quot below, in a domain the CUDA kernels check.)
template <typename T>
AAFGAN_HD T el_exp(T x) {
#if defined(__CUDA_ARCH__)
  return std::exp(x);
#else
  return vm::exp(x);
#endif
}

template <typename T>
AAFGAN_HD T el_log1p(T x) {
#if defined(__CUDA_ARCH__)
  return std::log1p(x);
#else
  return vm::log1p(x);
#endif
}

template <typename T>
AAFGAN_HD T el_tanh(T x) {
#if defined(__CUDA_ARCH__)
  return std::tanh(x);
#else
  return vm::tanh(x);
#endif
}

// Device f32 roots and quotients. The bi-hyperbolic family, MiDA and SHReLU spend most of their
// time in roots and divisions; CUDA's hypotf and IEEE f32 division are ~20 and ~10 instructions
// with branches each, the MUFU square root, reciprocal square root and reciprocal (sqrt.approx,
// rsqrt.approx, rcp.approx: ≤ 2 ulp) one. Unguarded they are exact only while every square,
// root and denominator stays in the normal range: true for the formulas below whenever
// |kλx| ≤ 2^40 (MiDA: its softplus in place of x) and every kτ, and SHReLU's x and τ, is 0 or
// of magnitude in [2^-40, 2^40]. The CUDA kernels check every element against that domain
// (kernels/cuda/activations.cu, f32_fast_ok) and evaluate the rare others in f64. Device f64
// keeps hypot and IEEE division.
#if defined(__CUDA_ARCH__)
__device__ __forceinline__ float dev_rcp_approx(float d) {
  float r;
  asm("rcp.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(d));
  return r;
}
__device__ __forceinline__ float dev_rsqrt_approx(float s) {
  float r;
  asm("rsqrt.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(s));
  return r;
}
__device__ __forceinline__ float dev_sqrt_approx(float s) {
  float r;
  asm("sqrt.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(s));
  return r;
}
__device__ __forceinline__ float dev_hypot(float a, float b) { return dev_sqrt_approx(fmaf(a, a, b * b)); }
__device__ __forceinline__ double dev_hypot(double a, double b) { return ::hypot(a, b); }
#endif

template <typename T>
AAFGAN_HD T hyp(T a, T b) {
#if defined(__CUDA_ARCH__)
  return dev_hypot(a, b);
#else
  return vm::hypot(a, b);
#endif
}

// n/d for the denominators that the formulas keep inside the normal range (roots and sums of
// roots, see above). Host, and device f64: the division. Device f32: n·rcp(d), and the
// quotients that share a denominator share its one reciprocal.
AAFGAN_HD float quot(float n, float d) {
#if defined(__CUDA_ARCH__)
  return n * dev_rcp_approx(d);
#else
  return n / d;
#endif
}
AAFGAN_HD double quot(double n, double d) { return n / d; }

// A denominator prepared for quot(): d itself on the host and in device f64 (quot divides by
// it), its reciprocal in device f32 (quot multiplies).
template <typename T>
struct Denom {
  T v;
};

template <typename T>
AAFGAN_HD T quot(T n, Denom<T> d) {
#if defined(__CUDA_ARCH__)
  if constexpr (sizeof(T) == sizeof(float)) return n * d.v;
#endif
  return n / d.v;
}

// d as a quot() denominator, for one that several quotients share.
template <typename T>
AAFGAN_HD Denom<T> denom(T d) {
#if defined(__CUDA_ARCH__)
  if constexpr (sizeof(T) == sizeof(float)) return {dev_rcp_approx(d)};
#endif
  return {d};
}

#if defined(__CUDA_ARCH__)
// MiDA's softplus, and with it σ(x), in device f32: max(x, 0) + log1p(t), t = e^(−|x|) ∈ (0, 1]
// (equal to activations.md's log1p(eˣ) below 20 and to x above it, where log1p(t) is below half
// an ulp of x), with log1p(t) = 2·atanh(z), z = t/(2 + t) ∈ [0, 1/3], as its odd series to z¹³
// (truncation < 2^-26): ≤ 2 ulp, a third of CUDA's log1pf and branch-free. σ(x) = 1/(1 + t) for
// x ≥ 0, t/(1 + t) below. (Near MiDA's knees, where dD/du would amplify these last bits, the
// CUDA kernels evaluate the backward in f64: see f32_fast_ok.)
__device__ __forceinline__ float dev_log1p_unit(float t) {
  const float d = 2.0f + t, r = dev_rcp_approx(d);
  float z = t * r;
  z = fmaf(r, fmaf(-z, d, t), z);  // one correction step: z to ~1 ulp
  const float z2 = z * z;
  float p = 1.0f / 13;
  p = fmaf(p, z2, 1.0f / 11);
  p = fmaf(p, z2, 1.0f / 9);
  p = fmaf(p, z2, 1.0f / 7);
  p = fmaf(p, z2, 1.0f / 5);
  p = fmaf(p, z2, 1.0f / 3);
  return fmaf(2.0f * (z * z2), p, 2.0f * z);
}
__device__ __forceinline__ float dev_softplus(float x) { return fmaxf(x, 0.0f) + dev_log1p_unit(expf(-fabsf(x))); }
__device__ __forceinline__ void dev_softplus_sigmoid(float x, float& sp, float& s) {
  const float t = expf(-fabsf(x)), r = dev_rcp_approx(1.0f + t);
  sp = fmaxf(x, 0.0f) + dev_log1p_unit(t);
  s = x >= 0.0f ? r : t * r;
}
#endif

// r = hypot(a, b), with r as a quot() denominator in inv: in device f32 one reciprocal square
// root gives both the root and its reciprocal.
template <typename T>
AAFGAN_HD T hyp_inv(T a, T b, Denom<T>& inv) {
#if defined(__CUDA_ARCH__)
  if constexpr (sizeof(T) == sizeof(float)) {
    const float s = fmaf(a, a, b * b), q = dev_rsqrt_approx(s);
    inv.v = q;
    return s * fminf(q, 0x1p64f);  // s = 0 (q = inf) gives 0
  }
#endif
  const T r = hyp(a, b);
  inv.v = r;
  return r;
}

// Stable logistic pieces from one exp(−|z|): s = σ(z), sc = σ(−z) = 1 − s without cancellation.
template <typename T>
AAFGAN_HD void sigmoid_pair(T z, T& s, T& sc) {
  const T e = el_exp(-std::fabs(z));
  const T inv = T(1) / (T(1) + e);
  if (z >= T(0)) {
    s = inv;
    sc = e * inv;
  } else {
    s = e * inv;
    sc = inv;
  }
}

// activations.md: x for x > 20, log1p(exp(x)) otherwise (exp(x) then never overflows).
template <typename T>
AAFGAN_HD T softplus(T x) {
#if defined(__CUDA_ARCH__)
  if constexpr (sizeof(T) == sizeof(float)) return dev_softplus(x);
#endif
  return x > T(20) ? x : el_log1p(el_exp(x));
}

// softplus and its derivative σ(x) from one exp on the log1p branch (where exp(x) ≤ 4.9e8).
template <typename T>
AAFGAN_HD void softplus_sigmoid(T x, T& sp, T& s) {
#if defined(__CUDA_ARCH__)
  if constexpr (sizeof(T) == sizeof(float)) {
    dev_softplus_sigmoid(x, sp, s);
    return;
  }
#endif
  if (x > T(20)) {
    sp = x;
    s = T(1) / (T(1) + el_exp(-x));
  } else {
    const T w = el_exp(x);
    sp = el_log1p(w);
    s = w / (T(1) + w);
  }
}

// Mish's gate g = tanh(softplus(x)) and 1 − g². On the log1p branch, with w = eˣ,
// tanh(log(1 + w)) = m/(m + 2) with m = w(w + 2) exactly, and 1 − g = 2/(m + 2): no
// transcendental beyond the exp, and 1 − g² without cancellation as g → 1. Above 20 the
// spec's softplus is x itself, so g = tanh(x).
template <typename T>
AAFGAN_HD void mish_gate(T x, T& g, T& one_minus_g2, T& s) {
  if (x > T(20)) {
    g = el_tanh(x);
    one_minus_g2 = (T(1) - g) * (T(1) + g);
    s = T(1) / (T(1) + el_exp(-x));
  } else {
    const T w = el_exp(x);
    const T m = w * (w + T(2));
    const T inv = T(1) / (m + T(2));
    g = m * inv;
    one_minus_g2 = T(2) * inv * (T(1) + g);
    s = w / (T(1) + w);
  }
}

// The bi-hyperbolic core in reduced variables u = kλx, t1 = kτ1, t2 = kτ2:
//   a = hypot(1 + u, t1), b = hypot(1 − u, t2),  D = a − b = (4u + t1² − t2²)/(a + b).
// BHSA/BHAA are y = D/k + off. |D| ≤ 2 when t1 = t2. ia, ib: a and b as quot() denominators.
template <typename T>
struct BiHyp {
  T a, b, D;
  Denom<T> ia, ib;
};

template <typename T>
AAFGAN_HD BiHyp<T> bihyp(T u, T t1, T t2) {
  BiHyp<T> h;
  h.a = hyp_inv(T(1) + u, t1, h.ia);
  h.b = hyp_inv(T(1) - u, t2, h.ib);
  h.D = quot(T(4) * u + (t1 - t2) * (t1 + t2), h.a + h.b);
  // At |u| = inf (x = ±inf, or k·λ·x past the float range) the quotient is inf/inf; beyond
  // an eighth of the largest float 4u or a + b overflow. D is ±2 there to the last bit (for
  // every τ below ~1e18 in f32), its limit. NaN fails the comparison and stays NaN.
  if (std::fabs(u) > std::numeric_limits<T>::max() / T(8)) h.D = u > T(0) ? T(2) : T(-2);
  return h;
}

// k·λ·x, rounded as the formulas always formed it, but 0 for λ = 0 whatever x: the function
// does not depend on x then, and x = ±inf must not turn 0·inf into NaN.
template <typename T>
AAFGAN_HD T scaled_input(T k, T lam, T x) {
  const T kl = k * lam;
  return kl == T(0) ? T(0) : kl * x;
}

// dD/du = p/a − q/b with p = 1 + u, q = u − 1. For |u| ≤ 1 both terms are ≥ 0 (no
// cancellation). For |u| > 1 they nearly cancel in the tails, so use
//   p/a − q/b = (p·s2 − q·s1)(p·s2 + q·s1) / (a·b·(p·b + q·a)),   s_i = |t_i|,
// from p²b² − q²a² = p²s2² − q²s1²; p·b + q·a has no cancellation there (p, q share a sign),
// and the two factors are formed as u(s2 − s1) + (s1 + s2) and u(s1 + s2) + (s2 − s1) so that
// s1 ≈ s2 loses nothing.
template <typename T>
AAFGAN_HD T bihyp_dDdu(T u, T t1, T t2, const BiHyp<T>& h) {
  const T p = T(1) + u, q = u - T(1);
  if (std::fabs(u) <= T(1)) {
    // a = 0 or b = 0 only at τ = 0 exactly, at the kink: take the zero subgradient of that root.
    const T pa = h.a > T(0) ? quot(p, h.ia) : T(0);
    const T qb = h.b > T(0) ? quot(q, h.ib) : T(0);
    return pa - qb;
  }
  const T s1 = std::fabs(t1), s2 = std::fabs(t2);
#if !defined(__CUDA_ARCH__)
  if constexpr (sizeof(T) == sizeof(float)) {
    // Host f32: the same quotient with everything scaled by 1/a and 1/b first. In the form
    // below, u·(s1 + s2) and p·b overflow once |u| and τ are large together (x = 1e30 with
    // τ = 1e15 gives inf/inf = NaN where the slope is a finite 1e-60); here u/a, u/b, p/a and q/b
    // are at most about 1 and nothing overflows. (The device evaluates such elements in f64:
    // kernels/cuda/activations.cu, f32_fast_ok.) Three divisions, as before; promoting the
    // branch to double instead made the CPU loops up to 1.6× slower.
    const T ra = T(1) / h.a, rb = T(1) / h.b;
    const T ua = u * ra, ub = u * rb;
    const T g1 = (ua * (s2 - s1) + (s1 + s2) * ra) * ra;  // f1/a²
    const T g2 = (ub * (s1 + s2) + (s2 - s1) * rb) * rb;  // f2/b²
    return (g1 * g2) / (p * ra + q * rb);                 // p/a + q/b: one sign, no cancellation
  }
#endif
  const T f1 = u * (s2 - s1) + (s1 + s2);  // p·s2 − q·s1
  const T f2 = u * (s1 + s2) + (s2 - s1);  // p·s2 + q·s1
  return quot(quot(f1, h.ia) * quot(f2, h.ib), p * h.b + q * h.a);
}

// BHSA (t1 = t2 = t): dD/dt = t/a − t/b = −t·D/(a·b), finite for every t (t = 0 gives 0).
template <typename T>
AAFGAN_HD T bhsa_dDdt(T t, const BiHyp<T>& h) {
  if (t == T(0)) return T(0);
  return -quot(t, h.ia) * quot(h.D, h.ib);
}

// Raw BHAA value and its derivatives w.r.t. x, λ, τ1, τ2 (BHSA is the case τ1 = τ2 but uses
// bhsa_dDdt for its single τ to avoid the t/a − t/b cancellation).
template <typename T>
struct BhaaGrad {
  T y, dx, dl, dt1, dt2;
  BiHyp<T> h;
  T dDdu;
};

template <typename T>
AAFGAN_HD BhaaGrad<T> bhaa_grad(T x, T lam, T tau1, T tau2, Range r) {
  const T k = range_k<T>(r);
  const T u = scaled_input(k, lam, x), t1 = k * tau1, t2 = k * tau2;
  BhaaGrad<T> g;
  g.h = bihyp(u, t1, t2);
  g.y = g.h.D / k + range_off<T>(r);
  g.dDdu = bihyp_dDdu(u, t1, t2, g.h);
  // y = D/k with u = kλx, t = kτ: the k's cancel.
  g.dx = lam * g.dDdu;
  g.dl = x * g.dDdu;
  g.dt1 = g.h.a > T(0) ? quot(t1, g.h.ia) : T(0);
  g.dt2 = g.h.b > T(0) ? -quot(t2, g.h.ib) : T(0);
  return g;
}

template <typename T>
AAFGAN_HD T bhaa_value(T x, T lam, T tau1, T tau2, Range r) {
  const T k = range_k<T>(r);
  return bihyp(scaled_input(k, lam, x), k * tau1, k * tau2).D / k + range_off<T>(r);
}

template <typename T>
AAFGAN_HD T sign_of(T v) { return v > T(0) ? T(1) : v < T(0) ? T(-1) : T(0); }

// activations.md's band in which τ1 and τ2 count as equal and BHANA is BHAA itself. (`|`, not
// `||`: GCC 12 cannot vectorise the CPU loops' selects on a short-circuit condition.)
template <typename T>
AAFGAN_HD bool bhana_equal(T a1, T a2) {
  return (a1 == a2) | (std::fabs(a1 - a2) < T(1e-6) * (a1 + a2));
}

}  // namespace act_detail

}  // namespace aafgan::kernels
