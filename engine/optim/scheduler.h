#pragma once
// Learning-rate schedules, stepped once per epoch after the optimizer (as in PyTorch): the MNIST
// classifier's StepLR.
#include "engine/optim/optimizer.h"

namespace aafgan::optim {

// Every schedule here is a closed form lr(epoch) = base_lr · factor(epoch). PyTorch's step()
// instead multiplies the current lr by gamma, which accumulates rounding; computing from the
// base each time means a run resumed with set_last_epoch() gets bit-identical learning rates
// to one that never stopped (the two differ from PyTorch's by at most a few ulps).
class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  // Advances one epoch and sets the optimizer's lr.
  void step();
  int last_epoch() const { return last_epoch_; }
  // For resuming: sets the epoch counter and the lr it implies.
  void set_last_epoch(int epoch);
  // The lr captured when the schedule was created.
  double base_lr() const { return base_lr_; }
  virtual double lr_at(int epoch) const = 0;

 protected:
  // Captures the optimizer's current lr as base_lr; the epoch counter starts at 0, like a
  // freshly constructed PyTorch scheduler, and the lr is left as it is (factor(0) = 1).
  explicit LRScheduler(Optimizer& opt);

 private:
  Optimizer* opt_;
  double base_lr_;
  int last_epoch_ = 0;
};

// lr = base_lr · gamma^⌊epoch / step_size⌋.
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& opt, int step_size, double gamma = 0.1);
  double lr_at(int epoch) const override;

 private:
  int step_size_;
  double gamma_;
};

}  // namespace aafgan::optim
