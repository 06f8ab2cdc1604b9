#pragma once
// The Fréchet distance between two Gaussians fitted to feature vectors (FID when the features
// are the FID Inception's): ‖μ1 − μ2‖² + tr Σ1 + tr Σ2 − 2 tr sqrt(Σ1 Σ2).
//
// tr sqrt(Σ1 Σ2) is computed as Σ sqrt(max(λ, 0)) over the eigenvalues λ of sqrt(Σ1)·Σ2·sqrt(Σ1),
// a symmetric matrix similar to Σ1 Σ2 (so with the same eigenvalues), with sqrt(Σ1) from a
// symmetric eigendecomposition. This is what scipy.linalg.sqrtm(Σ1 Σ2) gives pytorch-fid, without
// its complex round trip: tiny negative eigenvalues (rounding on near-singular covariances)
// count as 0 instead of producing imaginary parts.
#include <cstdint>
#include <string>

#include <Eigen/Dense>
#include <nlohmann/json.hpp>

#include "engine/nn/module.h"
#include "engine/tensor.h"

namespace aafgan::models::fid {

// Feature vectors as rows, float64: [count, dim].
using FeatureMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct FrechetStats {
  int64_t count = 0;
  Eigen::VectorXd mean;
  Eigen::MatrixXd cov;  // unbiased (divided by count − 1), as numpy.cov(rowvar=False)
};

// Running mean and covariance of feature vectors, fed batch by batch, all in float64. Batches
// merge with Chan et al.'s pairwise update (centred sums of outer products), so a large common
// offset in the features costs no digits, unlike Σxxᵀ − nμμᵀ.
class FrechetAccumulator {
 public:
  explicit FrechetAccumulator(int64_t dim);

  // rows [n, dim]; a Tensor may be f32 or f64 (cpu).
  void add(const FeatureMatrix& rows);
  void add(const Tensor& rows);
  void add(const double* rows, int64_t n);

  int64_t dim() const { return dim_; }
  int64_t count() const { return count_; }
  // Needs at least two vectors.
  FrechetStats stats() const;

 private:
  int64_t dim_;
  int64_t count_ = 0;
  Eigen::VectorXd mean_;
  Eigen::MatrixXd m2_;  // Σ (x − mean)(x − mean)ᵀ, lower triangle only
};

// The statistics of all rows at once.
FrechetStats frechet_stats(const FeatureMatrix& rows);

// Both must have the same dimension. Never negative (rounding can put an exact 0 a hair below
// zero; it is clamped).
double frechet_distance(const FrechetStats& a, const FrechetStats& b);

// The statistics in this engine's checkpoint format (engine/checkpoint.h): tensors "mu" [D]
// and "sigma" [D, D] in float64 (pytorch-fid's .npz names), the count and `metadata`'s keys in
// the metadata, plus any `extra` tensors (the FID metric keeps the real features for KID).
void save_frechet_stats(const std::string& path, const FrechetStats& stats, const nlohmann::json& metadata = {},
                        const nn::NamedTensors& extra = {});

struct FrechetStatsFile {
  FrechetStats stats;
  nlohmann::json metadata;
  nn::NamedTensors extra;  // every tensor besides mu and sigma
};
// Errors name the file: not a statistics file, missing or misshaped mu/sigma.
FrechetStatsFile load_frechet_stats(const std::string& path);

}  // namespace aafgan::models::fid
