#pragma once
#include "engine/optim/optimizer.h"

namespace aafgan::optim {

struct AdamOptions {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
};

// PyTorch's Adam (torch 1.13, non-fused, without amsgrad): per parameter, with its own step t,
//   g += wd·p;  m = β1·m + (1 − β1)·g;  v = β2·v + (1 − β2)·g²
//   p −= (lr / (1 − β1^t)) · m / (sqrt(v) / sqrt(1 − β2^t) + eps)
// in the parameter's dtype, with the bias corrections computed in double.
// State per parameter: "exp_avg" (m) and "exp_avg_sq" (v).
class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor> params, AdamOptions opt = {});
  void step() override;
  const AdamOptions& options() const { return opt_; }

 private:
  AdamOptions opt_;
};

}  // namespace aafgan::optim
