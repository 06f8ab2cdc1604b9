#pragma once
// Every adaptive activation of docs/activations.md, derived from the table of
// kernels/math/act_table.h: the Act enum, the names, parameter counts and default
// initialisers, and the uniform entry points the CPU loops (kernels/cpu/activations.h) and the
// CUDA kernels (kernels/cuda/) both call. No engine types: a parameter set is a plain
// `const T* p` holding this element's parameter values, in the order of act_param_name().
//
//   T act_forward<A>(x, p, range)        y = f(x; p)
//   T act_backward<A>(x, p, range, dp)   returns dy/dx, writes dy/dp[k] for k < act_param_count(A)
// plus act_forward(act, ...) / act_backward(act, ...) that switch at run time, and
// dispatch_act(act, fn) for a loop or launch site that switches once.
//
// Every switch below is generated from the table's rows, so none can miss a function: a
// formula struct a row names that does not exist, or lacks forward/backward, is a compile error.
#include <limits>
#include <stdexcept>
#include <string>

#include "kernels/math/act_table.h"

namespace aafgan::kernels {

#define AAFGAN_ACT_IGNORE(...)
#define AAFGAN_ACT_ONE(...) +1

#define AAFGAN_ACT_ENUM(name, formula, use, bound, params) name,
enum class Act : int { AAFGAN_ACTIVATIONS(AAFGAN_ACT_ENUM, AAFGAN_ACT_IGNORE) };
#undef AAFGAN_ACT_ENUM

#define AAFGAN_ACT_COUNT(name, formula, use, bound, params) +1
constexpr int kActCount = 0 AAFGAN_ACTIVATIONS(AAFGAN_ACT_COUNT, AAFGAN_ACT_IGNORE);
#undef AAFGAN_ACT_COUNT

#define AAFGAN_ACT_VALUE(name, formula, use, bound, params) Act::name,
inline constexpr Act kAllActs[] = {AAFGAN_ACTIVATIONS(AAFGAN_ACT_VALUE, AAFGAN_ACT_IGNORE)};
#undef AAFGAN_ACT_VALUE

// Where a function may sit, and what its output holds (see act_table.h).
enum class ActUse : int { hidden, output };
enum class ActBound : int { none, exact, raw };

#define AAFGAN_ACT_NPARAMS(name, formula, use, bound, params)                          \
  static_assert(0 params <= kMaxActParams, #name ": more than kMaxActParams parameters"); \
  static_assert(ActUse::use == ActUse::output || ActBound::bound == ActBound::none,     \
                #name ": a hidden function has no target range");
AAFGAN_ACTIVATIONS(AAFGAN_ACT_NPARAMS, AAFGAN_ACT_ONE)
#undef AAFGAN_ACT_NPARAMS

AAFGAN_HD constexpr int act_param_count(Act a) {
  switch (a) {
#define AAFGAN_ACT_CASE(name, formula, use, bound, params) \
  case Act::name: return 0 params;
    AAFGAN_ACTIVATIONS(AAFGAN_ACT_CASE, AAFGAN_ACT_ONE)
#undef AAFGAN_ACT_CASE
  }
  return 0;  // not an Act value
}

AAFGAN_HD constexpr ActUse act_use(Act a) {
  switch (a) {
#define AAFGAN_ACT_CASE(name, formula, use, bound, params) \
  case Act::name: return ActUse::use;
    AAFGAN_ACTIVATIONS(AAFGAN_ACT_CASE, AAFGAN_ACT_IGNORE)
#undef AAFGAN_ACT_CASE
  }
  return ActUse::hidden;  // not an Act value
}

// True for the functions whose formula depends on the range variant: the output functions.
AAFGAN_HD constexpr bool act_uses_range(Act a) { return act_use(a) == ActUse::output; }

// --- the rows as data (host) ----------------------------------------------------------------

struct ActInit {
  double mean = 0, std = 0;  // N(mean, std) per element; std 0 is the constant mean
};
struct ActParam {
  const char* name = nullptr;
  ActInit gen, dis;  // generator (sym range), discriminator (unit range)
};
struct ActRow {
  Act act;
  const char* name;
  ActUse use;
  ActBound bound;
  ActParam params[kMaxActParams];
};

#define AAFGAN_ACT_PARAM(pname, gen_mean, gen_std, dis_mean, dis_std) \
  ActParam{#pname, ActInit{gen_mean, gen_std}, ActInit{dis_mean, dis_std}},
#define AAFGAN_ACT_ROW(name, formula, use, bound, params) \
  ActRow{Act::name, #name, ActUse::use, ActBound::bound, {params}},
inline constexpr ActRow kActRows[] = {AAFGAN_ACTIVATIONS(AAFGAN_ACT_ROW, AAFGAN_ACT_PARAM)};
#undef AAFGAN_ACT_ROW
#undef AAFGAN_ACT_PARAM
static_assert(sizeof(kActRows) / sizeof(kActRows[0]) == kActCount);

inline constexpr const ActRow& act_row(Act a) {
  const int i = static_cast<int>(a);
  if (i < 0 || i >= kActCount) throw std::invalid_argument("act_row: " + std::to_string(i) + " is not an activation");
  return kActRows[i];
}

// CLI/config spelling.
inline constexpr const char* act_name(Act a) { return act_row(a).name; }

// The layer's parameter names ("lambda", "tau", ...), in the order the formula reads them.
inline constexpr const char* act_param_name(Act a, int k) {
  return k >= 0 && k < act_param_count(a) ? act_row(a).params[k].name : "?";
}

// activations.md's default initialiser of parameter k, by placement (sym = generator).
inline constexpr ActInit act_default_init(Act a, Range r, int k) {
  return r == Range::sym ? act_row(a).params[k].gen : act_row(a).params[k].dis;
}

// --- formulas ---------------------------------------------------------------------------------

template <Act A>
struct ActFormula;
#define AAFGAN_ACT_FORMULA(name, formula, use, bound, params) \
  template <>                                                 \
  struct ActFormula<Act::name> : formula {};
AAFGAN_ACTIVATIONS(AAFGAN_ACT_FORMULA, AAFGAN_ACT_IGNORE)
#undef AAFGAN_ACT_FORMULA

template <Act A, typename T>
AAFGAN_HD T act_forward(T x, const T* p, Range r) {
  return ActFormula<A>::forward(x, p, r);
}

template <Act A, typename T>
AAFGAN_HD T act_backward(T x, const T* p, Range r, T* dp) {
  return ActFormula<A>::backward(x, p, r, dp);
}

// Run-time dispatch: for scalar use and tests. Hot loops should switch once outside the loop
// (dispatch_act) and call the templated form.
template <typename T>
AAFGAN_HD T act_forward(Act a, T x, const T* p, Range r) {
  switch (a) {
#define AAFGAN_ACT_CASE(name, formula, use, bound, params) \
  case Act::name: return act_forward<Act::name>(x, p, r);
    AAFGAN_ACTIVATIONS(AAFGAN_ACT_CASE, AAFGAN_ACT_IGNORE)
#undef AAFGAN_ACT_CASE
  }
  return std::numeric_limits<T>::quiet_NaN();  // not an Act value
}

template <typename T>
AAFGAN_HD T act_backward(Act a, T x, const T* p, Range r, T* dp) {
  switch (a) {
#define AAFGAN_ACT_CASE(name, formula, use, bound, params) \
  case Act::name: return act_backward<Act::name>(x, p, r, dp);
    AAFGAN_ACTIVATIONS(AAFGAN_ACT_CASE, AAFGAN_ACT_IGNORE)
#undef AAFGAN_ACT_CASE
  }
  return std::numeric_limits<T>::quiet_NaN();  // not an Act value
}

// Calls fn(tag) with the activation as a compile-time value tag.value, so a loop or kernel
// launch site switches once: dispatch_act(a, [&](auto tag) { loop<tag.value>(); }).
template <Act A>
struct ActTag {
  static constexpr Act value = A;
};

template <typename Fn>
decltype(auto) dispatch_act(Act a, Fn&& fn) {
  switch (a) {
#define AAFGAN_ACT_CASE(name, formula, use, bound, params) \
  case Act::name: return fn(ActTag<Act::name>{});
    AAFGAN_ACTIVATIONS(AAFGAN_ACT_CASE, AAFGAN_ACT_IGNORE)
#undef AAFGAN_ACT_CASE
  }
  throw std::invalid_argument("dispatch_act: " + std::to_string(static_cast<int>(a)) + " is not an activation");
}

}  // namespace aafgan::kernels
