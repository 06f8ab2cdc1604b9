#pragma once
// The per-epoch schedule of a GAN run (gan-protocol §4): the learning-rate decay and the epoch
// that freezes the activation parameters. The only definition of either: the trainer applies it
// at each epoch's end, and tests (and anything else that needs an epoch's learning rate) ask it.
namespace aafgan::models {

struct TrainOptions;

class TrainSchedule {
 public:
  // decay_rate multiplies the lr after each 0-based epoch < decay_until (1.0: no decay);
  // freeze_epoch counts from 1, ≤ 0 = never (TrainOptions' fields of the same names).
  TrainSchedule(double lr, double decay_rate, int decay_until, int freeze_epoch);
  explicit TrainSchedule(const TrainOptions& o);

  // The lr in force after 0-based epoch `epoch` ends, given the lr in force during it. One product
  // per epoch rather than lr · rate^epoch: the two round differently (0.001 · 0.9³ is 0.000729 as
  // products and 0.0007290000000000002 by pow), and every run and checkpoint so far holds the
  // products; a resumed run continues from the lr its checkpoint stored.
  double lr_after(int epoch, double lr) const;
  // The lr in force during 0-based epoch `epoch` of a run trained from its start: lr_after applied
  // after epochs 0 … epoch−1, the same arithmetic in the same order as the trainer, so equal to
  // the optimizer's lr then, bit for bit.
  double lr_at_epoch(int epoch) const;
  // Whether the activation parameters freeze when 0-based epoch `epoch` ends.
  bool freezes_after(int epoch) const { return freeze_epoch_ > 0 && epoch + 1 == freeze_epoch_; }

 private:
  double lr_, decay_rate_;
  int decay_until_, freeze_epoch_;
};

}  // namespace aafgan::models
