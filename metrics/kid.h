#pragma once
// Kernel Inception Distance (Bińkowski et al. 2018, "Demystifying MMD GANs"): the unbiased
// estimate of the squared MMD between real and generated features under the polynomial kernel
// k(x, y) = (xᵀy/d + 1)³, averaged over random subsets. Unlike FID it has an unbiased
// estimator, so small sample counts do not shift it.
#include <cstdint>
#include <vector>

#include "engine/random.h"
#include "metrics/frechet.h"  // FeatureMatrix

namespace aafgan::models::fid {

// Unbiased MMD² between the rows of x [m, d] and y [n, d] (m, n ≥ 2):
//   Σ_{i≠j} k(xi, xj) / (m(m−1)) + Σ_{i≠j} k(yi, yj) / (n(n−1)) − 2 Σ_{i,j} k(xi, yj) / (mn).
// The Gram matrices run on the engine's GEMM in float64.
double polynomial_mmd2_unbiased(const FeatureMatrix& x, const FeatureMatrix& y);

// `count` subsets of `size` distinct indices of [0, n), each a partial Fisher–Yates shuffle
// drawn from `gen` (sorted afterwards, for cache-friendly gathers). size ≤ n.
std::vector<std::vector<int64_t>> draw_subsets(int64_t n, int64_t size, int count, Generator& gen);

struct KidOptions {
  int subsets = 100;           // as Bińkowski et al. and torch-fidelity
  int64_t subset_size = 1000;  // capped at the smaller of the two sets
  uint64_t seed = 0;           // the subsets are drawn from Generator(seed, stream)
  uint32_t stream = 0;
};

struct KidResult {
  double mean = 0;
  double std = 0;  // population standard deviation over the subsets (numpy's np.std, as torch-fidelity)
  int subsets = 0;
  int64_t subset_size = 0;
};

// MMD² of real rows real_subsets[s] against fake rows fake_subsets[s], for every s.
KidResult kid_from_subsets(const FeatureMatrix& real, const FeatureMatrix& fake,
                           const std::vector<std::vector<int64_t>>& real_subsets,
                           const std::vector<std::vector<int64_t>>& fake_subsets);

// Draws options.subsets pairs of subsets of size min(subset_size, #real, #fake) from
// Generator(options.seed, options.stream): per subset the real indices first, then the fake ones.
KidResult kernel_inception_distance(const FeatureMatrix& real, const FeatureMatrix& fake, const KidOptions& options = {});

}  // namespace aafgan::models::fid
