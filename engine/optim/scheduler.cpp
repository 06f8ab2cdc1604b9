#include "engine/optim/scheduler.h"

#include <cmath>

namespace aafgan::optim {

LRScheduler::LRScheduler(Optimizer& opt) : opt_(&opt), base_lr_(opt.lr()) {}

void LRScheduler::step() { set_last_epoch(last_epoch_ + 1); }

void LRScheduler::set_last_epoch(int epoch) {
  AAFGAN_CHECK(epoch >= 0, "learning-rate scheduler: invalid epoch {}", epoch);
  last_epoch_ = epoch;
  opt_->set_lr(lr_at(epoch));
}

StepLR::StepLR(Optimizer& opt, int step_size, double gamma) : LRScheduler(opt), step_size_(step_size), gamma_(gamma) {
  AAFGAN_CHECK(step_size > 0, "StepLR: step_size must be positive, got {}", step_size);
  AAFGAN_CHECK(std::isfinite(gamma) && gamma >= 0, "StepLR: invalid gamma {}", gamma);
}

double StepLR::lr_at(int epoch) const {
  return base_lr() * std::pow(gamma_, static_cast<double>(epoch / step_size_));
}

}  // namespace aafgan::optim
