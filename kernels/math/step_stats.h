#pragma once
// defines: StepStat, kStepStatCount, step_stats_update
//
// The running statistics of adversarial training steps, kept where the step runs so that a
// step needs no device→host copy (issue: the trainer used to read four values back per step).
// kernels/cpu/step_stats.cpp and kernels/cuda/step_stats.cu reduce D's outputs of one step and
// call step_stats_update once; the trainer reads the array every --log-every batches.
//
// Sums are in double and add one step at a time in step order, as the trainer's host loop
// did, so a run's per-epoch means are bit-identical to the previous host bookkeeping and a
// resumed run (whose sums restart from the checkpoint's values) matches an uninterrupted one.
#include <cmath>
#include <cstdint>

#include "kernels/math/hd.h"

namespace aafgan::kernels {

enum StepStat : int {
  kDLossSum,       // Σ d_loss over the steps
  kGLossSum,       // Σ g_loss
  kDAccuracySum,   // Σ per-step D accuracy (real counted when p > 0.5, fake when p ≤ 0.5)
  kDRealSum,       // Σ per-step mean D(x)
  kDFakeSum,       // Σ per-step mean D(G(z))
  kSteps,          // steps recorded since the array was set
  kLastDLoss,      // the last finite step's values
  kLastGLoss,
  kLastDAccuracy,
  kLastDReal,
  kLastDFake,
  kFirstBadStep,   // index (in kSteps' count) of the first step with a non-finite loss; −1: none
  kBadDLoss,       // that step's losses
  kBadGLoss,
  kStepStatCount
};

// One step: its losses, the count of D's correct answers over both halves (2n answers) and the
// sums of D's outputs on the n real and the n fake samples. After a non-finite loss the array
// is frozen: the run is about to stop, and what it reports is the last good state.
AAFGAN_HD void step_stats_update(double* s, double d_loss, double g_loss, double correct, double sum_real,
                                        double sum_fake, int64_t n) {
  if (s[kFirstBadStep] >= 0) return;
  if (!std::isfinite(d_loss) || !std::isfinite(g_loss)) {
    s[kFirstBadStep] = s[kSteps];
    s[kBadDLoss] = d_loss;
    s[kBadGLoss] = g_loss;
    return;
  }
  const double accuracy = correct / static_cast<double>(2 * n);
  const double real = sum_real / static_cast<double>(n), fake = sum_fake / static_cast<double>(n);
  s[kDLossSum] += d_loss;
  s[kGLossSum] += g_loss;
  s[kDAccuracySum] += accuracy;
  s[kDRealSum] += real;
  s[kDFakeSum] += fake;
  s[kSteps] += 1;
  s[kLastDLoss] = d_loss;
  s[kLastGLoss] = g_loss;
  s[kLastDAccuracy] = accuracy;
  s[kLastDReal] = real;
  s[kLastDFake] = fake;
}

}  // namespace aafgan::kernels
