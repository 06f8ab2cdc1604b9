#include "metrics/parzen.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/stop_signal.h"
#include "kernels/cpu/gemm.h"

namespace aafgan::models::fid {

std::vector<std::vector<double>> parzen_log_likelihoods(const FeatureMatrix& samples, const FeatureMatrix& x,
                                                        const std::vector<double>& sigmas, int64_t batch) {
  const int64_t n = samples.rows(), m = x.rows(), d = samples.cols();
  AAFGAN_CHECK(n >= 1 && d >= 1, "Parzen window: no samples to fit ({}x{})", n, d);
  AAFGAN_CHECK(x.cols() == d, "Parzen window: points of {} dimensions against samples of {}", x.cols(), d);
  AAFGAN_CHECK(!sigmas.empty(), "Parzen window: no bandwidth given");
  for (double s : sigmas) AAFGAN_CHECK(s > 0 && std::isfinite(s), "Parzen window: bandwidth {} must be positive", s);
  AAFGAN_CHECK(batch >= 1, "Parzen window: batch {} must be positive", batch);

  const Eigen::VectorXd s_norm = samples.rowwise().squaredNorm();
  const double log_n = std::log(static_cast<double>(n));
  std::vector<std::vector<double>> out(sigmas.size(), std::vector<double>(static_cast<size_t>(m)));
  std::vector<double> dist(static_cast<size_t>(std::min(batch, std::max<int64_t>(m, 1)) * n));
  for (int64_t b0 = 0; b0 < m; b0 += batch) {
    throw_if_stop_requested("the Parzen log-likelihood");
    const int64_t b = std::min(batch, m - b0);
    // dist = −2·x·sᵀ, then + ‖x‖² + ‖s‖².
    kernels::cpu::gemm<double>(false, true, b, n, d, -2.0, x.data() + b0 * d, d, samples.data(), d, 0.0, dist.data(),
                               n);
#pragma omp parallel for schedule(static) if (b * n * static_cast<int64_t>(sigmas.size()) >= (1 << 15))
    for (int64_t i = 0; i < b; ++i) {
      double* row = dist.data() + i * n;
      const double xn = x.row(b0 + i).squaredNorm();
      double nearest = std::numeric_limits<double>::infinity();
      // Cancellation can leave a hair below zero for a point on a sample.
      for (int64_t j = 0; j < n; ++j) {
        row[j] = std::max(row[j] + xn + s_norm[j], 0.0);
        nearest = std::min(nearest, row[j]);
      }
      for (size_t k = 0; k < sigmas.size(); ++k) {
        const double inv = 1.0 / (2.0 * sigmas[k] * sigmas[k]);
        // The largest exponent is −nearest·inv: subtracting it keeps every exp in (0, 1].
        double acc = 0;
        for (int64_t j = 0; j < n; ++j) acc += std::exp((nearest - row[j]) * inv);
        const double norm = static_cast<double>(d) * std::log(sigmas[k] * std::sqrt(2.0 * M_PI));
        out[k][static_cast<size_t>(b0 + i)] = -nearest * inv + std::log(acc) - log_n - norm;
      }
    }
  }
  return out;
}

std::vector<double> parzen_sigma_grid(double lo, double hi, int count) {
  AAFGAN_CHECK(count >= 1, "Parzen sigma grid: count {} must be positive", count);
  std::vector<double> g;
  for (int i = 0; i < count; ++i) {
    const double e = count == 1 ? lo : lo + (hi - lo) * static_cast<double>(i) / static_cast<double>(count - 1);
    g.push_back(std::pow(10.0, e));
  }
  return g;
}

ParzenResult parzen_evaluate(const FeatureMatrix& samples, const FeatureMatrix& validation, const FeatureMatrix& test,
                             const std::vector<double>& grid, int64_t batch) {
  AAFGAN_CHECK(validation.rows() >= 1 && test.rows() >= 1, "Parzen window: {} validation and {} test points",
               validation.rows(), test.rows());
  const auto mean_of = [](const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s / static_cast<double>(v.size());
  };
  ParzenResult r;
  size_t best = 0;
  const std::vector<std::vector<double>> val = parzen_log_likelihoods(samples, validation, grid, batch);
  for (size_t k = 0; k < grid.size(); ++k) {
    r.validation_means.push_back(mean_of(val[k]));
    if (r.validation_means[k] > r.validation_means[best]) best = k;
  }
  r.sigma = grid[best];
  const std::vector<double> ll = parzen_log_likelihoods(samples, test, {r.sigma}, batch).front();
  r.mean = mean_of(ll);
  double var = 0;
  for (double v : ll) var += (v - r.mean) * (v - r.mean);
  r.std = std::sqrt(var / static_cast<double>(ll.size()));
  r.std_error = r.std / std::sqrt(static_cast<double>(ll.size()));
  return r;
}

}  // namespace aafgan::models::fid
