// The GAN runs' learning-rate decay and freeze epoch (training/trainer_schedule.h) against the
// arithmetic the trainer did before the schedule existed: bit for bit, since resumed runs and
// every checkpoint written so far continue from those values.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "training/trainer.h"
#include "training/trainer_schedule.h"

using aafgan::models::TrainOptions;
using aafgan::models::TrainSchedule;

namespace {

// The trainer's decay as it was written before TrainSchedule: the optimizer's lr multiplied in
// place after each epoch, kept here verbatim as the reference.
std::vector<double> old_trainer_lrs(double lr, double rate, int until, int epochs) {
  std::vector<double> during;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    during.push_back(lr);
    if (epoch < until && rate != 1.0) lr = lr * rate;
  }
  return during;
}

struct Case {
  double lr, rate;
  int until;
};

}  // namespace

TEST_CASE("trainer schedule: every epoch's lr equals the old trainer's products bit for bit") {
  const int epochs = 120;
  // The reference configs (MNIST 0.95 until 31, CelebA no decay), decay every epoch, none at all,
  // and a rate whose products drift furthest from the closed form.
  for (const Case c : {Case{1e-3, 0.95, 31}, Case{2e-4, 1.0, 25}, Case{1e-3, 0.9, epochs}, Case{1e-3, 0.9, 0},
                       Case{3e-4, 0.97, 60}, Case{0.1, 0.5, 10}, Case{1e-3, 0.99, 100}}) {
    CAPTURE(c.lr);
    CAPTURE(c.rate);
    CAPTURE(c.until);
    const TrainSchedule s(c.lr, c.rate, c.until, -1);
    const std::vector<double> expected = old_trainer_lrs(c.lr, c.rate, c.until, epochs);
    double stepped = c.lr;  // as the trainer applies it, from the optimizer's lr
    for (int e = 0; e < epochs; ++e) {
      CAPTURE(e);
      CHECK(s.lr_at_epoch(e) == expected[static_cast<size_t>(e)]);
      CHECK(stepped == expected[static_cast<size_t>(e)]);
      stepped = s.lr_after(e, stepped);
    }
  }
}

TEST_CASE("trainer schedule: the values of runs trained before it") {
  // metrics.csv's lr column of an mnist_condgan run with --lr-decay 0.9 --lr-decay-until 3, written
  // by the trainer before the schedule existed (fmt's shortest round-trip form, so exact).
  const TrainSchedule s(1e-3, 0.9, 3, -1);
  const std::vector<double> written = {0.001, 0.0009000000000000001, 0.0008100000000000001, 0.000729, 0.000729};
  for (size_t e = 0; e < written.size(); ++e) CHECK(s.lr_at_epoch(static_cast<int>(e)) == written[e]);
  // The closed form rounds differently: had the schedule been lr · rate^epoch, these would fail.
  CHECK(1e-3 * std::pow(0.9, 3) != written[3]);
  const TrainSchedule reference(1e-3, 0.95, 31, -1);
  CHECK(reference.lr_at_epoch(31) == 0.0002039068257457903);
  CHECK(1e-3 * std::pow(0.95, 31) != reference.lr_at_epoch(31));
  CHECK(reference.lr_at_epoch(99) == reference.lr_at_epoch(31));
}

TEST_CASE("trainer schedule: a resume continues from the stored lr to the same bits") {
  // A resumed run's optimizer holds the lr its checkpoint stored (Adam's state "lr", float64) and
  // steps on from there: any split of the epochs gives the uninterrupted values.
  const TrainSchedule s(1e-3, 0.95, 31, -1);
  for (int stop = 0; stop <= 40; ++stop) {
    double lr = s.lr_at_epoch(stop);  // what the checkpoint after `stop` epochs holds
    for (int e = stop; e < 40; ++e) lr = s.lr_after(e, lr);
    CHECK(lr == s.lr_at_epoch(40));
  }
}

TEST_CASE("trainer schedule: freezing after the configured 1-based epoch only") {
  const TrainSchedule at3(1e-3, 1.0, 0, 3);
  for (int e = 0; e < 6; ++e) CHECK(at3.freezes_after(e) == (e == 2));
  for (const int never : {-1, 0}) {
    const TrainSchedule s(1e-3, 1.0, 0, never);
    for (int e = -1; e < 6; ++e) CHECK_FALSE(s.freezes_after(e));
  }
}

TEST_CASE("trainer schedule: built from TrainOptions takes their fields") {
  TrainOptions o;
  o.lr = 2e-3;
  o.lr_decay_rate = 0.5;
  o.lr_decay_until = 2;
  o.freeze_epoch = 4;
  const TrainSchedule s(o);
  CHECK(s.lr_at_epoch(0) == 2e-3);
  CHECK(s.lr_at_epoch(1) == 1e-3);
  CHECK(s.lr_at_epoch(5) == 5e-4);
  CHECK(s.freezes_after(3));
}
