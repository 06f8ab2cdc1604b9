#pragma once
// Central-difference gradient checks: the backward of an op must match the derivative of its
// forward, for every input that requires a gradient.
#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <vector>

#include "engine/autograd.h"
#include "engine/ops.h"

namespace aafgan::testing {

using OpFn = std::function<Tensor(const std::vector<Tensor>&)>;

struct GradcheckOptions {
  double eps = 1e-6;   // f64 step
  double rtol = 1e-5;  // f64 tolerances; f32 checks use rtol_f32/atol_f32
  double atol = 1e-7;
  double rtol_f32 = 2e-3;
  double atol_f32 = 2e-4;
};

// A random f64 tensor for use as an input (values in [low, high)).
Tensor random_input(const Shape& shape, uint64_t seed, double low = -1.0, double high = 1.0);

// random_input that requires a gradient: a leaf of the tape.
inline Tensor leaf(const Shape& shape, uint64_t seed, double low = -1.0, double high = 1.0) {
  Tensor t = random_input(shape, seed, low, high);
  t.set_requires_grad(true);
  return t;
}

// `inputs` are float64 tensors; those with requires_grad are checked. For dtype f64 the
// analytic gradient of sum(fn(inputs) ⊙ R) (R a fixed random projection) is compared with
// central differences. For f32 the op runs on float32 copies and its gradient is compared
// with the float64 central differences at the same (rounded) point, at f32 tolerances.
void gradcheck(const std::string& what, const OpFn& fn, const std::vector<Tensor>& inputs, DType dtype,
               const GradcheckOptions& opt = {});

// Both dtypes as separate ctest cases: "gradcheck <name> f32" and "... f64".
#define AAFGAN_GRADCHECK_CASES(name, body_fn)                           \
  TEST_CASE("gradcheck " name " f64") { body_fn(::aafgan::DType::f64); } \
  TEST_CASE("gradcheck " name " f32") { body_fn(::aafgan::DType::f32); }

}  // namespace aafgan::testing
