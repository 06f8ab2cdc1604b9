#pragma once
#include "engine/optim/optimizer.h"

namespace aafgan::optim {

struct SgdOptions {
  double lr = 0.01, momentum = 0, dampening = 0, weight_decay = 0;
  bool nesterov = false;
};

// PyTorch's SGD: g += wd·p; with momentum, buf = g on a parameter's first step and
// buf = momentum·buf + (1 − dampening)·g after, then g = g + momentum·buf (Nesterov) or buf;
// p −= lr·g. State per parameter: "momentum_buffer" (only when momentum ≠ 0).
class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, SgdOptions opt = {});
  void step() override;
  const SgdOptions& options() const { return opt_; }

 private:
  SgdOptions opt_;
};

}  // namespace aafgan::optim
