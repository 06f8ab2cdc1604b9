#pragma once
#include "engine/optim/optimizer.h"

namespace aafgan::optim {

struct AdadeltaOptions {
  double lr = 1.0, rho = 0.9, eps = 1e-6, weight_decay = 0;
};

// PyTorch's Adadelta: g += wd·p; sq = ρ·sq + (1 − ρ)·g²; delta = sqrt(acc + eps) / sqrt(sq + eps) · g;
// acc = ρ·acc + (1 − ρ)·delta²; p −= lr·delta.
// State per parameter: "square_avg" (sq) and "acc_delta" (acc).
class Adadelta : public Optimizer {
 public:
  Adadelta(std::vector<Tensor> params, AdadeltaOptions opt = {});
  void step() override;
  const AdadeltaOptions& options() const { return opt_; }

 private:
  AdadeltaOptions opt_;
};

}  // namespace aafgan::optim
