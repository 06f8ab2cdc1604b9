#pragma once
// Parzen-window log-likelihood (Breuleux et al. 2011; the GAN paper's Table 1, Goodfellow et
// al. 2014, with their parzen_ll.py): fit an isotropic Gaussian kernel density on generated
// samples s_1..s_n and report the mean log-density of held-out points,
//   LL(x) = logsumexp_i(−‖x − s_i‖² / (2σ²)) − log n − d·log(σ·sqrt(2π)),
// with the bandwidth σ the grid value whose mean LL on a validation split is highest.
// A crude estimate in high dimensions (Theis et al. 2016), kept because the literature reports it.
#include <cstdint>
#include <vector>

#include "metrics/frechet.h"  // FeatureMatrix

namespace aafgan::models::fid {

// LL of every row of x [m, d] under the window on samples [n, d], for each σ in `sigmas`:
// result[k][i] for sigmas[k]. The squared distances ‖x‖² + ‖s‖² − 2·x·sᵀ come from the engine's
// GEMM, `batch` rows of x at a time, once for all σ; the log-sum-exp subtracts each row's
// maximum, so no σ underflows.
std::vector<std::vector<double>> parzen_log_likelihoods(const FeatureMatrix& samples, const FeatureMatrix& x,
                                                        const std::vector<double>& sigmas, int64_t batch = 100);

// numpy.logspace(lo, hi, count): parzen_ll.py's default grid is (−1, 0, 10), for data in [0, 1].
std::vector<double> parzen_sigma_grid(double lo = -1.0, double hi = 0.0, int count = 10);

struct ParzenResult {
  double mean = 0;       // mean LL over the test rows (nats)
  double std = 0;        // population std of the per-row LLs
  double std_error = 0;  // std / sqrt(#test), as parzen_ll.py
  double sigma = 0;      // the chosen bandwidth
  std::vector<double> validation_means;  // mean validation LL per grid σ
};

// Picks σ from `grid` on `validation` (first best on ties), then evaluates `test`.
ParzenResult parzen_evaluate(const FeatureMatrix& samples, const FeatureMatrix& validation, const FeatureMatrix& test,
                             const std::vector<double>& grid = parzen_sigma_grid(), int64_t batch = 100);

}  // namespace aafgan::models::fid
