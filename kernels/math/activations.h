#pragma once
// The scalar math of every adaptive activation of docs/activations.md, written once for the
// CPU loops (kernels/cpu/activations.h) and the CUDA kernels (kernels/cuda/). No engine types:
// a parameter set is a plain `const T* p` holding this element's parameter values, in the order
// of act_param_name().
//
// Uniform signatures, so one generic loop or kernel serves every function:
//   T act_forward<A>(x, p, range)        y = f(x; p)
//   T act_backward<A>(x, p, range, dp)   returns dy/dx, writes dy/dp[k] for k < act_param_count(A)
// plus act_forward(act, ...) / act_backward(act, ...) that switch at run time.
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

#include "kernels/cpu/vec_math.h"
#include "kernels/math/hd.h"

namespace aafgan::kernels {

enum class Act : int { BHSA, BHAA, BHATA, BHANA, DSILU, SHReLU, Mish, MiDA };
// unit: the (0, 1) output range (discriminator, replaces sigmoid); sym: (−1, 1) (generator,
// replaces tanh). Only BHSA, BHAA, BHATA, BHANA and DSILU read it.
enum class Range : int { unit, sym };

constexpr int kActCount = 8;
constexpr int kMaxActParams = 3;

AAFGAN_HD constexpr int act_param_count(Act a) {
  switch (a) {
    case Act::BHSA: return 2;
    case Act::BHAA:
    case Act::BHATA:
    case Act::BHANA: return 3;
    case Act::DSILU: return 1;
    case Act::SHReLU: return 1;
    case Act::Mish: return 0;
    case Act::MiDA: return 2;
  }
  return 0;
}

// Host-only names (CLI/config spelling, and the layer's parameter names).
inline const char* act_name(Act a) {
  switch (a) {
    case Act::BHSA: return "BHSA";
    case Act::BHAA: return "BHAA";
    case Act::BHATA: return "BHATA";
    case Act::BHANA: return "BHANA";
    case Act::DSILU: return "DSILU";
    case Act::SHReLU: return "SHReLU";
    case Act::Mish: return "Mish";
    case Act::MiDA: return "MiDA";
  }
  return "?";
}

inline const char* act_param_name(Act a, int k) {
  switch (a) {
    case Act::BHSA:
    case Act::MiDA: return k == 0 ? "lambda" : "tau";
    case Act::BHAA:
    case Act::BHATA:
    case Act::BHANA: return k == 0 ? "lambda" : k == 1 ? "tau1" : "tau2";
    case Act::DSILU: return "beta";
    case Act::SHReLU: return "tau";
    case Act::Mish: break;
  }
  return "?";
}

inline const char* range_name(Range r) { return r == Range::unit ? "unit" : "sym"; }

// True for the functions whose formula depends on the range variant.
AAFGAN_HD constexpr bool act_uses_range(Act a) {
  return a == Act::BHSA || a == Act::BHAA || a == Act::BHATA || a == Act::BHANA || a == Act::DSILU;
}

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
  return h;
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
  const T u = k * lam * x, t1 = k * tau1, t2 = k * tau2;
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
  return bihyp(k * lam * x, k * tau1, k * tau2).D / k + range_off<T>(r);
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

// --- BHSA ---------------------------------------------------------------------------------
// y = D/k + off with D = 4u/(a + b), u = kλx, a = hypot(1 + u, kτ), b = hypot(1 − u, kτ).
template <typename T>
AAFGAN_HD T bhsa_forward(T x, T lam, T tau, Range r) {
  const T k = range_k<T>(r), t = k * tau;
  return act_detail::bihyp(k * lam * x, t, t).D / k + range_off<T>(r);
}

template <typename T>
AAFGAN_HD T bhsa_backward(T x, T lam, T tau, Range r, T& dlam, T& dtau) {
  const T k = range_k<T>(r), u = k * lam * x, t = k * tau;
  const act_detail::BiHyp<T> h = act_detail::bihyp(u, t, t);
  const T dDdu = act_detail::bihyp_dDdu(u, t, t, h);
  dlam = x * dDdu;
  dtau = act_detail::bhsa_dDdt(t, h);  // (1/k)·dD/dt·k
  return lam * dDdu;
}

// --- BHAA (raw, untruncated) ----------------------------------------------------------------
template <typename T>
AAFGAN_HD T bhaa_forward(T x, T lam, T tau1, T tau2, Range r) {
  return act_detail::bhaa_value(x, lam, tau1, tau2, r);
}

template <typename T>
AAFGAN_HD T bhaa_backward(T x, T lam, T tau1, T tau2, Range r, T& dlam, T& dtau1, T& dtau2) {
  const act_detail::BhaaGrad<T> g = act_detail::bhaa_grad(x, lam, tau1, tau2, r);
  dlam = g.dl;
  dtau1 = g.dt1;
  dtau2 = g.dt2;
  return g.dx;
}

// --- BHATA: BHAA clamped to the target range; zero gradient where the clamp is active -------
template <typename T>
AAFGAN_HD T bhata_forward(T x, T lam, T tau1, T tau2, Range r) {
  const T y = act_detail::bhaa_value(x, lam, tau1, tau2, r);
  const T lo = range_lo<T>(r), hi = range_hi<T>(r);
  return y > hi ? hi : (y < lo ? lo : y);
}

template <typename T>
AAFGAN_HD T bhata_backward(T x, T lam, T tau1, T tau2, Range r, T& dlam, T& dtau1, T& dtau2) {
  const act_detail::BhaaGrad<T> g = act_detail::bhaa_grad(x, lam, tau1, tau2, r);
  if (g.y > range_hi<T>(r) || g.y < range_lo<T>(r)) {
    dlam = dtau1 = dtau2 = T(0);
    return T(0);
  }
  dlam = g.dl;
  dtau1 = g.dt1;
  dtau2 = g.dt2;
  return g.dx;
}

// --- BHANA: BHAA rescaled so that its exact range is the target range ----------------------
// With H = hypot(2, k·d), d = |τ1| − |τ2|, the extremum is D* = sign(d)·H, and both cases of
// activations.md reduce to
//   y = lo + (4/k)·(D + c)/(2 + H),   c = 2 (|τ1| > |τ2|) or H (|τ2| > |τ1|),
// since hi − lo = 4/k and (B − lo) = (D + 2)/k, (E − lo) = (2 + H)/k, (B − E) = (D + H)/k,
// (hi − E) = (2 + H)/k. At d → 0, H → 2 and y → BHAA (continuous).
// Everything of BHANA that depends on the parameters only (not on x), so that a caller walking
// many elements of one parameter slot can form it once: bhana_slot(τ1, τ2, r).
template <typename T>
struct BhanaSlot {
  bool equal;   // |τ1| ≈ |τ2| (activations.md's band): BHANA is BHAA itself
  bool over;    // |τ1| > |τ2|: c = 2, else c = H
  T c;          // D + c is the numerator
  T dH1, dH2;   // ∂H/∂τ1, ∂H/∂τ2 (times 1, H = hypot(2, k·d))
  act_detail::Denom<T> Q;  // 2 + H
};

template <typename T>
AAFGAN_HD BhanaSlot<T> bhana_slot(T tau1, T tau2, Range r) {
  const T a1 = std::fabs(tau1), a2 = std::fabs(tau2);
  const T k = range_k<T>(r);
  const T d = a1 - a2;
  const T H = act_detail::hyp(T(2), k * d);
  BhanaSlot<T> s;
  s.equal = act_detail::bhana_equal(a1, a2);
  s.over = a1 > a2;
  s.c = s.over ? T(2) : H;
  // Derivative of H (the envelope-theorem dE/dτ, times k).
  const T dHdd = act_detail::quot(k * k * d, H);
  s.dH1 = dHdd * act_detail::sign_of(tau1);
  s.dH2 = -dHdd * act_detail::sign_of(tau2);
  s.Q = act_detail::denom(T(2) + H);
  return s;
}

template <typename T>
AAFGAN_HD T bhana_forward(T x, T lam, T tau1, T tau2, Range r, const BhanaSlot<T>& s) {
  if (s.equal) return act_detail::bhaa_value(x, lam, tau1, tau2, r);
  const T k = range_k<T>(r);
  const T D = act_detail::bihyp(k * lam * x, k * tau1, k * tau2).D;
  return range_lo<T>(r) + (T(4) / k) * act_detail::quot(D + s.c, s.Q);
}

template <typename T>
AAFGAN_HD T bhana_forward(T x, T lam, T tau1, T tau2, Range r) {
  return bhana_forward(x, lam, tau1, tau2, r, bhana_slot(tau1, tau2, r));
}

template <typename T>
AAFGAN_HD T bhana_backward(T x, T lam, T tau1, T tau2, Range r, const BhanaSlot<T>& s, T& dlam, T& dtau1,
                           T& dtau2) {
  const act_detail::BhaaGrad<T> g = act_detail::bhaa_grad(x, lam, tau1, tau2, r);
  if (s.equal) {
    dlam = g.dl;
    dtau1 = g.dt1;
    dtau2 = g.dt2;
    return g.dx;
  }
  const T k = range_k<T>(r);
  const T N = g.h.D + s.c;
  // Derivatives of D = k·(BHAA − off) and of H.
  const T dD1 = k * g.dt1, dD2 = k * g.dt2;
  const T dN1 = s.over ? dD1 : dD1 + s.dH1;
  const T dN2 = s.over ? dD2 : dD2 + s.dH2;
  const T scale = act_detail::quot(T(4) / k, s.Q);  // dy/dN
  const T NQ = act_detail::quot(N, s.Q);
  dtau1 = scale * (dN1 - NQ * s.dH1);
  dtau2 = scale * (dN2 - NQ * s.dH2);
  // dD/dx = k·λ·dD/du, dD/dλ = k·x·dD/du; E does not depend on λ.
  dlam = scale * k * x * g.dDdu;
  return scale * k * lam * g.dDdu;
}

template <typename T>
AAFGAN_HD T bhana_backward(T x, T lam, T tau1, T tau2, Range r, T& dlam, T& dtau1, T& dtau2) {
  return bhana_backward(x, lam, tau1, tau2, r, bhana_slot(tau1, tau2, r), dlam, dtau1, dtau2);
}

// --- DSILU: d(z) = σ(z)(1 + z(1 − σ(z))), z = βx ---------------------------------------------
// unit: (d + 0.1)/1.28; sym: 2((d + 0.1)/1.28 − 0.5). d'(z) = σ(1 − σ)(2 + z(1 − 2σ)).
template <typename T>
AAFGAN_HD T dsilu_forward(T x, T beta, Range r) {
  const T z = beta * x;
  T s, sc;
  act_detail::sigmoid_pair(z, s, sc);
  const T unit = (s * (T(1) + z * sc) + T(0.1)) / T(1.28);
  return r == Range::unit ? unit : T(2) * (unit - T(0.5));
}

template <typename T>
AAFGAN_HD T dsilu_backward(T x, T beta, Range r, T& dbeta) {
  const T z = beta * x;
  T s, sc;
  act_detail::sigmoid_pair(z, s, sc);
  const T dd = s * sc * (T(2) + z * (sc - s));
  const T dydz = (r == Range::unit ? T(1) : T(2)) * dd / T(1.28);
  dbeta = dydz * x;
  return dydz * beta;
}

// --- SHReLU: y = ½(x + sqrt(x² + τ²)) ---------------------------------------------------------
// For x < 0 the sum cancels, so y = ½τ²/(r − x) there (r = hypot(x, τ)). In both forms
// dy/dx = ½(1 + x/r) = y/r, which inherits the stable y.
template <typename T>
AAFGAN_HD T shrelu_forward(T x, T tau) {
  const T r = act_detail::hyp(x, tau);
  return x >= T(0) ? T(0.5) * (x + r) : T(0.5) * tau * act_detail::quot(tau, r - x);
}

template <typename T>
AAFGAN_HD T shrelu_backward(T x, T tau, T& dtau) {
  const T r = act_detail::hyp(x, tau);
  if (r == T(0)) {  // x = τ = 0: the ReLU kink; take the mean of the one-sided slopes
    dtau = T(0);
    return T(0.5);
  }
  const T y = x >= T(0) ? T(0.5) * (x + r) : T(0.5) * tau * act_detail::quot(tau, r - x);
  dtau = T(0.5) * act_detail::quot(tau, r);
  return act_detail::quot(y, r);
}

// --- Mish: y = x·tanh(softplus(x)) -----------------------------------------------------------
template <typename T>
AAFGAN_HD T mish_forward(T x) {
  T g, one_minus_g2, s;
  act_detail::mish_gate(x, g, one_minus_g2, s);
  return x * g;
}

template <typename T>
AAFGAN_HD T mish_backward(T x) {
  T g, one_minus_g2, s;
  act_detail::mish_gate(x, g, one_minus_g2, s);
  return g + x * one_minus_g2 * s;  // softplus' = σ
}

// --- MiDA: y = x·BHSA_sym(softplus(x); λ, τ) ---------------------------------------------------
template <typename T>
AAFGAN_HD T mida_forward(T x, T lam, T tau) { return x * bhsa_forward(act_detail::softplus(x), lam, tau, Range::sym); }

template <typename T>
AAFGAN_HD T mida_backward(T x, T lam, T tau, T& dlam, T& dtau) {
  T sp, sig;
  act_detail::softplus_sigmoid(x, sp, sig);
  const T t = T(2) * tau, u = T(2) * lam * sp;
  const act_detail::BiHyp<T> h = act_detail::bihyp(u, t, t);
  const T gate = h.D / T(2);
  const T dDdu = act_detail::bihyp_dDdu(u, t, t, h);
  // gate' w.r.t. its argument is λ·dD/du; softplus' = σ(x).
  dlam = x * (sp * dDdu);
  dtau = x * act_detail::bhsa_dDdt(t, h);
  return gate + x * (lam * dDdu) * sig;
}

// --- uniform entry points -------------------------------------------------------------------
template <Act A, typename T>
AAFGAN_HD T act_forward(T x, const T* p, Range r) {
  if constexpr (A == Act::BHSA) return bhsa_forward(x, p[0], p[1], r);
  else if constexpr (A == Act::BHAA) return bhaa_forward(x, p[0], p[1], p[2], r);
  else if constexpr (A == Act::BHATA) return bhata_forward(x, p[0], p[1], p[2], r);
  else if constexpr (A == Act::BHANA) return bhana_forward(x, p[0], p[1], p[2], r);
  else if constexpr (A == Act::DSILU) return dsilu_forward(x, p[0], r);
  else if constexpr (A == Act::SHReLU) return shrelu_forward(x, p[0]);
  else if constexpr (A == Act::Mish) return mish_forward(x);
  else return mida_forward(x, p[0], p[1]);
}

template <Act A, typename T>
AAFGAN_HD T act_backward(T x, const T* p, Range r, T* dp) {
  if constexpr (A == Act::BHSA) return bhsa_backward(x, p[0], p[1], r, dp[0], dp[1]);
  else if constexpr (A == Act::BHAA) return bhaa_backward(x, p[0], p[1], p[2], r, dp[0], dp[1], dp[2]);
  else if constexpr (A == Act::BHATA) return bhata_backward(x, p[0], p[1], p[2], r, dp[0], dp[1], dp[2]);
  else if constexpr (A == Act::BHANA) return bhana_backward(x, p[0], p[1], p[2], r, dp[0], dp[1], dp[2]);
  else if constexpr (A == Act::DSILU) return dsilu_backward(x, p[0], r, dp[0]);
  else if constexpr (A == Act::SHReLU) return shrelu_backward(x, p[0], dp[0]);
  else if constexpr (A == Act::Mish) return mish_backward(x);
  else return mida_backward(x, p[0], p[1], dp[0], dp[1]);
}

// Run-time dispatch: for scalar use and tests. Hot loops should switch once outside the loop
// and call the templated form.
template <typename T>
AAFGAN_HD T act_forward(Act a, T x, const T* p, Range r) {
  switch (a) {
    case Act::BHSA: return act_forward<Act::BHSA>(x, p, r);
    case Act::BHAA: return act_forward<Act::BHAA>(x, p, r);
    case Act::BHATA: return act_forward<Act::BHATA>(x, p, r);
    case Act::BHANA: return act_forward<Act::BHANA>(x, p, r);
    case Act::DSILU: return act_forward<Act::DSILU>(x, p, r);
    case Act::SHReLU: return act_forward<Act::SHReLU>(x, p, r);
    case Act::Mish: return act_forward<Act::Mish>(x, p, r);
    case Act::MiDA: return act_forward<Act::MiDA>(x, p, r);
  }
  return T(0);
}

template <typename T>
AAFGAN_HD T act_backward(Act a, T x, const T* p, Range r, T* dp) {
  switch (a) {
    case Act::BHSA: return act_backward<Act::BHSA>(x, p, r, dp);
    case Act::BHAA: return act_backward<Act::BHAA>(x, p, r, dp);
    case Act::BHATA: return act_backward<Act::BHATA>(x, p, r, dp);
    case Act::BHANA: return act_backward<Act::BHANA>(x, p, r, dp);
    case Act::DSILU: return act_backward<Act::DSILU>(x, p, r, dp);
    case Act::SHReLU: return act_backward<Act::SHReLU>(x, p, r, dp);
    case Act::Mish: return act_backward<Act::Mish>(x, p, r, dp);
    case Act::MiDA: return act_backward<Act::MiDA>(x, p, r, dp);
  }
  return T(0);
}

// Calls fn(std::integral_constant-like tag) with the activation as a compile-time value, so a
// loop or kernel launch site switches once: dispatch_act(a, [&](auto tag) { loop<tag.value>(); }).
template <Act A>
struct ActTag {
  static constexpr Act value = A;
};

template <typename Fn>
decltype(auto) dispatch_act(Act a, Fn&& fn) {
  switch (a) {
    case Act::BHSA: return fn(ActTag<Act::BHSA>{});
    case Act::BHAA: return fn(ActTag<Act::BHAA>{});
    case Act::BHATA: return fn(ActTag<Act::BHATA>{});
    case Act::BHANA: return fn(ActTag<Act::BHANA>{});
    case Act::DSILU: return fn(ActTag<Act::DSILU>{});
    case Act::SHReLU: return fn(ActTag<Act::SHReLU>{});
    case Act::Mish: return fn(ActTag<Act::Mish>{});
    case Act::MiDA: break;
  }
  return fn(ActTag<Act::MiDA>{});
}

}  // namespace aafgan::kernels
