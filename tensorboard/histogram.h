#pragma once
// A histogram summary of a set of values (an adaptive layer's λ over its features, say).
#include <vector>

#include "tensorboard/event.pb.h"

namespace aafgan::tb {

// num, sum, sum of squares, min and max of the finite values (non-finite ones are left out), and
// min(max_buckets, num) equal-width buckets from min to max, each holding the values in
// (its left edge, bucket_limit], the first one min as well. One bucket when every value is equal.
tfevents::HistogramProto make_histogram(const std::vector<double>& values, int max_buckets = 30);

}  // namespace aafgan::tb
