#pragma once
// The running statistics of adversarial training steps, on the device the step runs on
// (kernels/math/step_stats.h): a step records into them without any device→host copy, and the
// trainer reads them every --log-every batches. Capturable into a CUDA graph.
#include <cstdint>

#include "engine/tensor.h"
#include "kernels/math/step_stats.h"

namespace aafgan {

// The sums a run carries across a checkpoint.
struct StepSums {
  double d_loss = 0, g_loss = 0, d_accuracy = 0;
};

struct StepValues {
  double d_loss = 0, g_loss = 0, d_accuracy = 0, d_real = 0, d_fake = 0;
};

struct StepStatsSnapshot {
  StepSums sums;                       // including the start values given to reset_step_stats
  double d_real_sum = 0, d_fake_sum = 0;
  int64_t steps = 0;                   // finite steps recorded since the reset
  StepValues last;                     // of the last finite step
  int64_t first_bad_step = -1;         // steps before the first non-finite loss; −1: none
  double bad_d_loss = 0, bad_g_loss = 0;
};

// A float64 [kStepStatCount] array on `device`, reset.
Tensor new_step_stats(const Device& device);
// Zero steps; the loss sums start from `start` (a resumed epoch's sums so far).
void reset_step_stats(Tensor& stats, const StepSums& start);
// One step: the two losses (one element each) and D's outputs on the real and the fake half.
void record_step_stats(Tensor& stats, const Tensor& d_loss, const Tensor& g_loss, const Tensor& p_real,
                       const Tensor& p_fake);
// Copies the array to the host (waits for the device).
StepStatsSnapshot read_step_stats(const Tensor& stats);

}  // namespace aafgan
