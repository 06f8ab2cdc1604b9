// The running statistics of adversarial steps (kernels/math/step_stats.h), kept on the
// training device so that a step reads nothing back.
#include "engine/step_stats.h"

#include "engine/backend.h"
#include "base/error.h"

namespace aafgan {

Tensor new_step_stats(const Device& device) {
  Tensor s = Tensor::zeros(Shape{kernels::kStepStatCount}, DType::f64, device);
  reset_step_stats(s, {});
  return s;
}

void reset_step_stats(Tensor& stats, const StepSums& start) {
  std::vector<double> v(kernels::kStepStatCount, 0.0);
  v[kernels::kDLossSum] = start.d_loss;
  v[kernels::kGLossSum] = start.g_loss;
  v[kernels::kDAccuracySum] = start.d_accuracy;
  v[kernels::kFirstBadStep] = -1;
  stats.copy_(Tensor::from_vector(Shape{kernels::kStepStatCount}, v, DType::f64));
}

void record_step_stats(Tensor& stats, const Tensor& d_loss, const Tensor& g_loss, const Tensor& p_real,
                       const Tensor& p_fake) {
  AAFGAN_CHECK(stats.dtype() == DType::f64 && stats.numel() == kernels::kStepStatCount,
               "step stats: {} is not a float64[{}] statistics array", stats.str(), int(kernels::kStepStatCount));
  AAFGAN_CHECK(d_loss.numel() == 1 && g_loss.numel() == 1, "step stats: losses {} and {} must be one element each",
               d_loss.str(), g_loss.str());
  AAFGAN_CHECK(p_real.numel() == p_fake.numel() && p_real.numel() > 0,
               "step stats: D's outputs {} and {} must be non-empty and of one size", p_real.str(), p_fake.str());
  for (const Tensor* t : {&g_loss, &p_real, &p_fake}) {
    check_same_dtype("step stats", d_loss, *t);
    check_same_device("step stats", stats, *t);
  }
  check_same_device("step stats", stats, d_loss);
  backend::step_stats(d_loss, g_loss, p_real, p_fake, stats);
}

StepStatsSnapshot read_step_stats(const Tensor& stats) {
  const std::vector<double> v = stats.to_vector();
  StepStatsSnapshot s;
  s.sums = {v[kernels::kDLossSum], v[kernels::kGLossSum], v[kernels::kDAccuracySum]};
  s.d_real_sum = v[kernels::kDRealSum];
  s.d_fake_sum = v[kernels::kDFakeSum];
  s.steps = static_cast<int64_t>(v[kernels::kSteps]);
  s.last = {v[kernels::kLastDLoss], v[kernels::kLastGLoss], v[kernels::kLastDAccuracy], v[kernels::kLastDReal],
            v[kernels::kLastDFake]};
  s.first_bad_step = static_cast<int64_t>(v[kernels::kFirstBadStep]);
  s.bad_d_loss = v[kernels::kBadDLoss];
  s.bad_g_loss = v[kernels::kBadGLoss];
  return s;
}

}  // namespace aafgan
