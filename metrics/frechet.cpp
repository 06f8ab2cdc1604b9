#include "metrics/frechet.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <Eigen/Eigenvalues>

#include "engine/checkpoint.h"

namespace aafgan::models::fid {

namespace {

constexpr const char* kFormat = "aafgan-fid-statistics";

}  // namespace

FrechetAccumulator::FrechetAccumulator(int64_t dim) : dim_(dim) {
  AAFGAN_CHECK(dim > 0, "FrechetAccumulator: dimension {} must be positive", dim);
  mean_ = Eigen::VectorXd::Zero(dim);
  m2_ = Eigen::MatrixXd::Zero(dim, dim);
}

void FrechetAccumulator::add(const double* rows, int64_t n) {
  if (n <= 0) return;
  const Eigen::Map<const FeatureMatrix> x(rows, n, dim_);
  const Eigen::VectorXd batch_mean = x.colwise().mean().transpose();
  const FeatureMatrix centred = x.rowwise() - batch_mean.transpose();
  // The batch's own centred outer products, then the correction for the two means differing.
  m2_.selfadjointView<Eigen::Lower>().rankUpdate(centred.transpose());
  const double na = static_cast<double>(count_), nb = static_cast<double>(n), total = na + nb;
  const Eigen::VectorXd delta = batch_mean - mean_;
  if (count_ > 0) m2_.selfadjointView<Eigen::Lower>().rankUpdate(delta, na * nb / total);
  mean_ += delta * (nb / total);
  count_ += n;
}

void FrechetAccumulator::add(const FeatureMatrix& rows) {
  AAFGAN_CHECK(rows.cols() == dim_, "FrechetAccumulator: rows of {} features, expected {}", rows.cols(), dim_);
  add(rows.data(), rows.rows());
}

void FrechetAccumulator::add(const Tensor& rows) {
  AAFGAN_CHECK(rows.defined() && rows.ndim() == 2 && rows.size(1) == dim_,
               "FrechetAccumulator: features {} must be [N, {}]", rows.defined() ? rows.str() : "(undefined)", dim_);
  check_cpu("FrechetAccumulator", rows);
  if (rows.dtype() == DType::f64) return add(rows.data<double>(), rows.size(0));
  const Tensor d = rows.to(DType::f64);
  add(d.data<double>(), d.size(0));
}

FrechetStats FrechetAccumulator::stats() const {
  AAFGAN_CHECK(count_ >= 2, "Fréchet statistics need at least 2 feature vectors, got {}", count_);
  FrechetStats s;
  s.count = count_;
  s.mean = mean_;
  s.cov = m2_.selfadjointView<Eigen::Lower>();
  s.cov /= static_cast<double>(count_ - 1);
  return s;
}

FrechetStats frechet_stats(const FeatureMatrix& rows) {
  FrechetAccumulator acc(rows.cols());
  acc.add(rows);
  return acc.stats();
}

double frechet_distance(const FrechetStats& a, const FrechetStats& b) {
  const int64_t d = a.mean.size();
  AAFGAN_CHECK(d > 0 && b.mean.size() == d && a.cov.rows() == d && a.cov.cols() == d && b.cov.rows() == d &&
                   b.cov.cols() == d,
               "frechet_distance: statistics of {} and {} dimensions (covariances {}x{} and {}x{})", a.mean.size(),
               b.mean.size(), a.cov.rows(), a.cov.cols(), b.cov.rows(), b.cov.cols());
  // sqrt(Σ1) = V·diag(sqrt(max(λ, 0)))·Vᵀ.
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> e1(a.cov, Eigen::ComputeEigenvectors);
  AAFGAN_CHECK(e1.info() == Eigen::Success, "frechet_distance: the eigendecomposition of Σ1 did not converge");
  const Eigen::VectorXd root = e1.eigenvalues().cwiseMax(0.0).cwiseSqrt();
  const Eigen::MatrixXd sqrt1 = e1.eigenvectors() * root.asDiagonal() * e1.eigenvectors().transpose();
  Eigen::MatrixXd m = sqrt1 * b.cov * sqrt1;
  m = (0.5 * (m + m.transpose())).eval();  // symmetric up to rounding; make it exactly so
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> e2(m, Eigen::EigenvaluesOnly);
  AAFGAN_CHECK(e2.info() == Eigen::Success, "frechet_distance: the eigendecomposition of sqrt(Σ1)·Σ2·sqrt(Σ1) did not converge");
  const double tr_covmean = e2.eigenvalues().cwiseMax(0.0).cwiseSqrt().sum();
  const double fid = (a.mean - b.mean).squaredNorm() + a.cov.trace() + b.cov.trace() - 2.0 * tr_covmean;
  return std::max(fid, 0.0);
}

void save_frechet_stats(const std::string& path, const FrechetStats& s, const nlohmann::json& metadata,
                        const nn::NamedTensors& extra) {
  const int64_t d = s.mean.size();
  AAFGAN_CHECK(d > 0 && s.cov.rows() == d && s.cov.cols() == d,
               "save_frechet_stats '{}': mean of {} and covariance {}x{} do not fit", path, d, s.cov.rows(),
               s.cov.cols());
  Tensor mu = Tensor::empty(Shape{d}, DType::f64), sigma = Tensor::empty(Shape{d, d}, DType::f64);
  std::memcpy(mu.data<double>(), s.mean.data(), static_cast<size_t>(d) * sizeof(double));
  // Symmetric, so Eigen's column-major storage is also the row-major matrix.
  std::memcpy(sigma.data<double>(), s.cov.data(), static_cast<size_t>(d * d) * sizeof(double));
  nlohmann::json meta = metadata.is_object() ? metadata : nlohmann::json::object();
  meta["format"] = kFormat;
  meta["count"] = s.count;
  nn::NamedTensors tensors = {{"mu", mu}, {"sigma", sigma}};
  for (const auto& e : extra) tensors.push_back(e);
  save_checkpoint(path, tensors, meta);
}

FrechetStatsFile load_frechet_stats(const std::string& path) {
  const Checkpoint ck = load_checkpoint(path);
  if (!ck.metadata.is_object() || ck.metadata.value("format", std::string()) != kFormat)
    fail("'{}' is not a file of FID statistics (no \"format\": \"{}\" in its metadata)", path, kFormat);
  FrechetStatsFile f;
  f.metadata = ck.metadata;
  const Tensor& mu = ck.at("mu");
  const Tensor& sigma = ck.at("sigma");
  const int64_t d = mu.ndim() == 1 ? mu.size(0) : 0;
  AAFGAN_CHECK(d > 0 && sigma.shape() == Shape({d, d}), "FID statistics '{}': mu {} and sigma {} do not fit", path,
               mu.str(), sigma.str());
  const Tensor mu64 = mu.to(DType::f64), sigma64 = sigma.to(DType::f64);
  f.stats.mean = Eigen::Map<const Eigen::VectorXd>(mu64.data<double>(), d);
  f.stats.cov = Eigen::Map<const Eigen::MatrixXd>(sigma64.data<double>(), d, d);
  try {
    f.stats.count = ck.metadata.at("count").get<int64_t>();
  } catch (const nlohmann::json::exception& e) {
    fail("FID statistics '{}': unreadable count in the metadata ({})", path, e.what());
  }
  for (const auto& [name, t] : ck.tensors)
    if (name != "mu" && name != "sigma") f.extra.emplace_back(name, t);
  return f;
}

}  // namespace aafgan::models::fid
