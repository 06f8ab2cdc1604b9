#pragma once
// The activation table: one row per function of docs/activations.md. Everything else that
// knows the set of activations is derived from it (kernels/math/activations.h: the enum, the
// names, the dispatch; the engine's parse_act and default initialisers; the apps' valid
// names and config keys; the CUDA instantiations; the table tests and benches), so a new
// activation is its formula file in kernels/math/act/ plus one row and one #include here
// (README, "Adding an activation").
//
// A row: X(name, formula, use, range, parameters)
//   name       the enum value and the CLI/config spelling (--gen BHSA, "MiDA")
//   formula    a struct with the uniform __host__ __device__ signatures
//                template <typename T> static T forward(T x, const T* p, Range r);
//                template <typename T> static T backward(T x, const T* p, Range r, T* dp);
//              (returns dy/dx, writes dy/dp[k] for each parameter k)
//   use        hidden (--gen-hidden, --dis-hidden) or output (--gen, --dis; reads the range)
//   range      what the output holds: exact (never leaves the target range, in f32 and f64:
//              tests/test_act_table.cpp sweeps it), raw (an output function that may leave it:
//              BHAA, by design), none (a hidden function, unbounded)
//   parameters up to kMaxActParams P(name, G mean, G std, D mean, D std), in the order the
//              formula reads p[]: the default initialiser N(mean, std) per element in the
//              generator (sym range) and the discriminator (unit range); std 0 is a constant.
#include "kernels/math/act/bhaa.h"
#include "kernels/math/act/bhana.h"
#include "kernels/math/act/bhata.h"
#include "kernels/math/act/bhsa.h"
#include "kernels/math/act/dsilu.h"
#include "kernels/math/act/mida.h"
#include "kernels/math/act/mish.h"
#include "kernels/math/act/shrelu.h"

// clang-format off
#define AAFGAN_ACTIVATIONS(X, P)                                                                          \
  X(BHSA,   BhsaFormula,   output, exact, P(lambda, 0.5, 0.05, 0.5, 0.05) P(tau, 0.25, 0.05, 0.7, 0.05))  \
  X(BHAA,   BhaaFormula,   output, raw,   P(lambda, 0.5, 0.05, 0.5, 0.05) P(tau1, 0.25, 0.05, 0.7, 0.05)  \
                                          P(tau2, 0.25, 0.05, 0.7, 0.05))                                 \
  X(BHATA,  BhataFormula,  output, exact, P(lambda, 0.5, 0.05, 0.5, 0.05) P(tau1, 0.25, 0.05, 0.7, 0.05)  \
                                          P(tau2, 0.25, 0.05, 0.7, 0.05))                                 \
  X(BHANA,  BhanaFormula,  output, exact, P(lambda, 0.5, 0.05, 0.5, 0.05) P(tau1, 0.25, 0.05, 0.7, 0.05)  \
                                          P(tau2, 0.25, 0.05, 0.7, 0.05))                                 \
  X(DSILU,  DsiluFormula,  output, exact, P(beta, 1.0, 0.0, 0.58, 0.0))                                   \
  X(SHReLU, ShreluFormula, hidden, none,  P(tau, 0.0, 0.2, 0.0, 0.2))                                     \
  X(Mish,   MishFormula,   hidden, none,  )                                                               \
  X(MiDA,   MidaFormula,   hidden, none,  P(lambda, 0.7, 0.01, 0.7, 0.01) P(tau, 0.25, 0.01, 0.25, 0.01))
// clang-format on
