#include "data/batch_order.h"

#include <numeric>
#include <utility>

#include "base/error.h"
#include "base/random_streams.h"
#include "kernels/math/philox.h"

namespace aafgan::data {

namespace {

// Hands out the 32-bit words of consecutive Philox blocks. The epoch fills the high half of
// the 64-bit counter, so each epoch owns 2^32 blocks that no other epoch touches.
class WordSource {
 public:
  WordSource(uint64_t seed, int64_t epoch) : seed_(seed), base_(static_cast<uint64_t>(epoch) << 32) {}

  uint32_t next() {
    if (used_ == 4) {
      // Unreachable for n <= 2^32 in practice (rejection consumes under two words per draw on
      // average), but wrapping would silently reuse the next epoch's numbers.
      if (block_ == (uint64_t{1} << 32)) fail("epoch_permutation: random stream exhausted");
      words_ = kernels::philox4x32(seed_, base_ | block_, stream_id(RandomStream::data_order));
      ++block_;
      used_ = 0;
    }
    return words_.v[used_++];
  }

  // Uniform in [0, bound), 1 <= bound <= 2^32. Plain `x % bound` would favour small values
  // whenever bound does not divide 2^32, so words from the incomplete top range are redrawn.
  uint64_t below(uint64_t bound) {
    constexpr uint64_t kRange = uint64_t{1} << 32;
    const uint64_t limit = kRange - kRange % bound;
    for (;;) {
      const uint64_t x = next();
      if (x < limit) return x % bound;
    }
  }

 private:
  uint64_t seed_, base_;
  uint64_t block_ = 0;
  kernels::Philox4x32 words_{};
  int used_ = 4;
};

}  // namespace

std::vector<int64_t> epoch_permutation(int64_t n, uint64_t seed, int64_t epoch) {
  AAFGAN_CHECK(n >= 0 && n <= (int64_t{1} << 32), "epoch_permutation: n = {} is outside 0..2^32", n);
  AAFGAN_CHECK(epoch >= 0 && epoch < (int64_t{1} << 32), "epoch_permutation: epoch = {} is outside 0..2^32-1",
               epoch);
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  WordSource rng(seed, epoch);
  for (int64_t i = n - 1; i > 0; --i) {
    const auto j = static_cast<int64_t>(rng.below(static_cast<uint64_t>(i) + 1));
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  return order;
}

}  // namespace aafgan::data
