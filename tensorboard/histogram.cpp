#include "tensorboard/histogram.h"

#include <algorithm>
#include <cmath>

namespace aafgan::tb {

tfevents::HistogramProto make_histogram(const std::vector<double>& values, int max_buckets) {
  std::vector<double> v;
  v.reserve(values.size());
  for (double x : values)
    if (std::isfinite(x)) v.push_back(x);
  tfevents::HistogramProto h;
  h.set_num(static_cast<double>(v.size()));
  if (v.empty()) return h;
  double sum = 0, squares = 0;
  for (double x : v) {
    sum += x;
    squares += x * x;
  }
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  h.set_min(*lo);
  h.set_max(*hi);
  h.set_sum(sum);
  h.set_sum_squares(squares);
  const double width = *hi - *lo;
  const int k = width > 0 ? std::max(1, std::min<int>(max_buckets, static_cast<int>(v.size()))) : 1;
  std::vector<double> counts(static_cast<size_t>(k), 0.0);
  for (double x : v) {
    // Right-closed buckets: x on an edge belongs to the bucket that edge ends.
    const double pos = width > 0 ? (x - *lo) / width * k : 0;
    const int i = std::clamp(static_cast<int>(std::ceil(pos)) - 1, 0, k - 1);
    counts[static_cast<size_t>(i)] += 1;
  }
  for (int i = 0; i < k; ++i) {
    // The last edge is max itself, not min + width rounded.
    h.add_bucket_limit(i + 1 == k ? *hi : *lo + width * (i + 1) / k);
    h.add_bucket(counts[static_cast<size_t>(i)]);
  }
  return h;
}

}  // namespace aafgan::tb
