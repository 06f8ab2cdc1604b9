#pragma once
#include <memory>

#include "engine/backend.h"
#include "engine/host_stager.h"
#include "engine/optim/optimizer.h"
#include "kernels/math/optim.h"

namespace aafgan::optim {

struct AdamOptions {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
};

// PyTorch's Adam (torch 1.13, non-fused, without amsgrad): per parameter, with its own step t,
//   g += wd·p;  m = β1·m + (1 − β1)·g;  v = β2·v + (1 − β2)·g²
//   p −= (lr / (1 − β1^t)) · m / (sqrt(v) / sqrt(1 − β2^t) + eps)
// in the parameter's dtype, with the bias corrections computed in double.
// State per parameter: "exp_avg" (m) and "exp_avg_sq" (v).
//
// CUDA graphs (engine/cuda_graph.h): a step() made while the parameters' stream is being
// captured enqueues the update with its coefficients read from device memory and counts no step;
// before each replay, before_replay() counts the step of the parameters the captured step
// updates and writes their coefficients there. Eager and replayed steps so compute the same
// coefficients on the host and give the same bits.
class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor> params, AdamOptions opt = {});
  ~Adam() override;
  void step() override;
  const AdamOptions& options() const { return opt_; }

  void before_replay();
  // Forgets the captured step (its graph was dropped).
  void end_replays();

 private:
  template <typename T>
  kernels::AdamCoeffs<T> coeffs(int64_t t) const;

  AdamOptions opt_;
  std::vector<size_t> captured_;            // parameters the captured step updates, in order
  std::unique_ptr<backend::Buffer> coeffs_at_;  // their coefficients on the device
  std::unique_ptr<HostStager> stager_;
};

}  // namespace aafgan::optim
