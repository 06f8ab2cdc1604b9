#include "training/trainer.h"

namespace aafgan::models {

TrainOptions train_options(const Experiment& e) {
  TrainOptions t;
  t.epochs = e.epochs;
  t.batch_size = e.batch_size;
  t.lr = e.lr;
  t.beta1 = e.beta1;
  t.beta2 = e.beta2;
  t.eps = e.eps;
  t.lr_decay_rate = e.lr_decay_rate;
  // The trainer decays after epochs < lr_decay_until; the config's −1 means every epoch.
  t.lr_decay_until = e.lr_decay_until < 0 ? e.epochs : e.lr_decay_until;
  t.freeze_epoch = e.freeze_epoch;
  t.log_every = e.verbose_batch_step;
  t.grid_samples = e.samples_in_visualization;
  return t;
}

}  // namespace aafgan::models
