#pragma once
// The order in which an epoch visits the samples. It is a pure function of (seed, epoch), so a
// resumed run rebuilds the interrupted epoch's order from the checkpoint's seed and epoch alone,
// with no generator state to save.
#include <cstdint>
#include <vector>

namespace aafgan::data {

// A uniformly random permutation of 0..n-1 (Fisher–Yates with unbiased bounded draws), drawn
// from the seed's RandomStream::data_order, so shuffles never share numbers with the run's noise
// or dropout draws.
// Requires 0 <= n <= 2^32 and 0 <= epoch < 2^32; throws aafgan::Error otherwise.
// Changing the algorithm changes every resumed run's data order: the tests pin its output.
std::vector<int64_t> epoch_permutation(int64_t n, uint64_t seed, int64_t epoch);

}  // namespace aafgan::data
