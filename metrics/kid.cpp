#include "metrics/kid.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "base/stop_signal.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/parallel.h"

namespace aafgan::models::fid {

namespace {

// Σ over all (i, j) of (aᵢ·bⱼ/d + 1)³, and over the diagonal i = j alone (meaningful when a is b).
struct KernelSums {
  double all = 0, diagonal = 0;
};

KernelSums kernel_sums(const FeatureMatrix& a, const FeatureMatrix& b) {
  const int64_t m = a.rows(), n = b.rows(), d = a.cols();
  std::vector<double> gram(static_cast<size_t>(m * n));
  kernels::cpu::gemm<double>(false, true, m, n, d, 1.0 / static_cast<double>(d), a.data(), d, b.data(), d, 0.0,
                             gram.data(), n);
  // Row sums in parallel, then added in order: the result does not depend on the thread count.
  std::vector<double> rows(static_cast<size_t>(m));
#pragma omp parallel for schedule(static) if (m * n >= kernels::cpu::kParallelGrain)
  for (int64_t i = 0; i < m; ++i) {
    const double* row = gram.data() + i * n;
    double acc = 0;
    for (int64_t j = 0; j < n; ++j) {
      const double k = row[j] + 1.0;
      acc += k * k * k;
    }
    rows[static_cast<size_t>(i)] = acc;
  }
  KernelSums s;
  for (double r : rows) s.all += r;
  for (int64_t i = 0; i < std::min(m, n); ++i) {
    const double k = gram[static_cast<size_t>(i * n + i)] + 1.0;
    s.diagonal += k * k * k;
  }
  return s;
}

FeatureMatrix gather(const FeatureMatrix& x, const std::vector<int64_t>& rows, const char* what) {
  FeatureMatrix out(static_cast<Eigen::Index>(rows.size()), x.cols());
  for (size_t i = 0; i < rows.size(); ++i) {
    AAFGAN_CHECK(rows[i] >= 0 && rows[i] < x.rows(), "KID: {} subset index {} is outside [0, {})", what, rows[i],
                 x.rows());
    out.row(static_cast<Eigen::Index>(i)) = x.row(rows[i]);
  }
  return out;
}

}  // namespace

double polynomial_mmd2_unbiased(const FeatureMatrix& x, const FeatureMatrix& y) {
  AAFGAN_CHECK(x.cols() == y.cols() && x.cols() > 0, "MMD: features of {} and {} dimensions", x.cols(), y.cols());
  AAFGAN_CHECK(x.rows() >= 2 && y.rows() >= 2, "MMD: the unbiased estimate needs at least 2 rows per set, got {} and {}",
               x.rows(), y.rows());
  const double m = static_cast<double>(x.rows()), n = static_cast<double>(y.rows());
  const KernelSums xx = kernel_sums(x, x), yy = kernel_sums(y, y), xy = kernel_sums(x, y);
  return (xx.all - xx.diagonal) / (m * (m - 1)) + (yy.all - yy.diagonal) / (n * (n - 1)) - 2.0 * xy.all / (m * n);
}

std::vector<std::vector<int64_t>> draw_subsets(int64_t n, int64_t size, int count, Generator& gen) {
  AAFGAN_CHECK(size >= 1 && size <= n, "KID: subsets of {} cannot be drawn from {} rows", size, n);
  AAFGAN_CHECK(count >= 1, "KID: the number of subsets must be positive, got {}", count);
  std::vector<int64_t> pool(static_cast<size_t>(n));
  std::vector<std::vector<int64_t>> out;
  for (int s = 0; s < count; ++s) {
    std::iota(pool.begin(), pool.end(), int64_t(0));
    for (int64_t i = 0; i < size; ++i) {
      const int64_t j = i + static_cast<int64_t>(gen.next_below(static_cast<uint64_t>(n - i)));
      std::swap(pool[static_cast<size_t>(i)], pool[static_cast<size_t>(j)]);
    }
    std::vector<int64_t> pick(pool.begin(), pool.begin() + size);
    std::sort(pick.begin(), pick.end());
    out.push_back(std::move(pick));
  }
  return out;
}

KidResult kid_from_subsets(const FeatureMatrix& real, const FeatureMatrix& fake,
                           const std::vector<std::vector<int64_t>>& real_subsets,
                           const std::vector<std::vector<int64_t>>& fake_subsets) {
  AAFGAN_CHECK(!real_subsets.empty() && real_subsets.size() == fake_subsets.size(),
               "KID: {} real and {} fake subsets (need as many of each, at least one)", real_subsets.size(),
               fake_subsets.size());
  std::vector<double> mmd;
  for (size_t s = 0; s < real_subsets.size(); ++s)
    mmd.push_back(polynomial_mmd2_unbiased(gather(real, real_subsets[s], "real"), gather(fake, fake_subsets[s], "fake")));
  KidResult r;
  r.subsets = static_cast<int>(mmd.size());
  r.subset_size = static_cast<int64_t>(real_subsets[0].size());
  r.mean = std::accumulate(mmd.begin(), mmd.end(), 0.0) / static_cast<double>(mmd.size());
  double var = 0;
  for (double v : mmd) var += (v - r.mean) * (v - r.mean);
  r.std = std::sqrt(var / static_cast<double>(mmd.size()));
  return r;
}

KidResult kernel_inception_distance(const FeatureMatrix& real, const FeatureMatrix& fake, const KidOptions& o) {
  AAFGAN_CHECK(o.subset_size >= 2, "KID: subset size {} must be at least 2", o.subset_size);
  const int64_t size = std::min({o.subset_size, static_cast<int64_t>(real.rows()), static_cast<int64_t>(fake.rows())});
  AAFGAN_CHECK(size >= 2, "KID needs at least 2 real and 2 generated feature vectors, got {} and {}", real.rows(),
               fake.rows());
  Generator gen(o.seed, o.stream);
  std::vector<std::vector<int64_t>> rs, fs;
  for (int s = 0; s < o.subsets; ++s) {
    throw_if_stop_requested("KID");
    rs.push_back(draw_subsets(real.rows(), size, 1, gen).front());
    fs.push_back(draw_subsets(fake.rows(), size, 1, gen).front());
  }
  return kid_from_subsets(real, fake, rs, fs);
}

}  // namespace aafgan::models::fid
