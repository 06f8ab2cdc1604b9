#pragma once
// The adaptive activations as a layer: parameters, the initialisers of activations.md,
// freezing, and the per-epoch statistics.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/nn/module.h"
#include "engine/ops/adaptive.h"
#include "engine/random.h"

namespace aafgan::nn {

using aafgan::parse_act;
using aafgan::parse_range;

struct ParamStats {
  std::string name;  // "lambda", "tau", "tau1", "tau2", "beta"
  double mean = 0, max = 0, min = 0;
};

class AdaptiveActivation : public Module {
 public:
  // `param_shape`: the input's shape without the batch dimension ([n], [C,H,W], [1]), or [C]
  // for the per-channel mode on [N,C,H,W]. `range` selects the variant of the output
  // activations and the placement of the default initialiser: sym = generator,
  // unit = discriminator (SHReLU, Mish and MiDA ignore it).
  //
  // `init` (null means default):
  //   {"name": "default"}                       activations.md's table
  //   {"name": "normal", "mean": m, "std": s}   every parameter N(m, s)
  //   {"name": "normal", "l": {"mean":…, "std":…}, "t": {…}}
  //       per parameter: "l" (λ), "t" (τ; also τ1 and τ2), "t1"/"t2" (BHAA family, falling
  //       back to "t"), "b" (β); a parameter without its own entry takes the top-level
  //       mean/std when given, else its default
  //   {"name": "xavier_normal"}                 N(0, sqrt(2/(fan_in + fan_out))): PyTorch's fans
  //       for a parameter of 2+ dimensions ([C,H,W]: fan_in = H·W, fan_out = C·W, as
  //       torch.nn.init would compute them); for a 1-D parameter [n], where PyTorch has no
  //       definition, fan_in = fan_out = n, i.e. N(0, 1/sqrt(n))
  // Keys starting with '_' are comments; any other unknown key is an error.
  AdaptiveActivation(Act act, Range range, const Shape& param_shape, const nlohmann::json& init, Generator& gen,
                     DType dtype = DType::f32);

  Tensor forward(const Tensor& x) override;

  Act act() const { return act_; }
  Range range() const { return range_; }
  // In the order of kernels::act_param_name; empty for Mish.
  const std::vector<Tensor>& params() const { return params_; }

  // From now on the parameters keep their values: they stop requiring a gradient (so backward
  // skips them and optimizers step over them) and any pending gradient is dropped.
  void freeze();
  bool frozen() const { return frozen_; }

  // Mean, max and min of each parameter, in params() order.
  std::vector<ParamStats> stats() const;

 private:
  Act act_;
  Range range_;
  std::vector<Tensor> params_;
  bool frozen_ = false;
};

}  // namespace aafgan::nn
