#include "training/trainer_schedule.h"

#include <algorithm>

#include "training/trainer.h"

namespace aafgan::models {

TrainSchedule::TrainSchedule(double lr, double decay_rate, int decay_until, int freeze_epoch)
    : lr_(lr), decay_rate_(decay_rate), decay_until_(decay_until), freeze_epoch_(freeze_epoch) {}

TrainSchedule::TrainSchedule(const TrainOptions& o)
    : TrainSchedule(o.lr, o.lr_decay_rate, o.lr_decay_until, o.freeze_epoch) {}

double TrainSchedule::lr_after(int epoch, double lr) const {
  return epoch < decay_until_ && decay_rate_ != 1.0 ? lr * decay_rate_ : lr;
}

double TrainSchedule::lr_at_epoch(int epoch) const {
  double lr = lr_;
  // Epochs from decay_until on leave the lr as it is: no need to walk them.
  for (int e = 0; e < std::min(epoch, decay_until_); ++e) lr = lr_after(e, lr);
  return lr;
}

}  // namespace aafgan::models
