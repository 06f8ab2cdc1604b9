// The Philox stream ids are pinned: checkpoints and bit-identical resume depend on them, so a
// renumbering must fail here rather than silently change every resumed run's draws.
#include <doctest/doctest.h>

#include <set>

#include "base/random_streams.h"

using namespace aafgan;

TEST_CASE("random streams: ids are pinned") {
  CHECK(stream_id(RandomStream::gan_init) == 1);
  CHECK(stream_id(RandomStream::trainer_noise) == 2);
  CHECK(stream_id(RandomStream::trainer_labels) == 3);
  CHECK(stream_id(RandomStream::gan_dropout) == 4);
  CHECK(stream_id(RandomStream::fixed_samples) == 5);
  CHECK(stream_id(RandomStream::classifier_metric) == 6);
  CHECK(stream_id(RandomStream::fid_noise) == 7);
  CHECK(stream_id(RandomStream::kid_subsets) == 8);
  CHECK(stream_id(RandomStream::parzen_noise) == 9);
  CHECK(stream_id(RandomStream::data_order) == 0x0DA7A);
  CHECK(stream_id(RandomStream::classifier_init) == 0);
  CHECK(stream_id(RandomStream::classifier_dropout) == 1);
  CHECK(stream_id(RandomStream::classifier_batch_order) == 2);
}

TEST_CASE("random streams: a GAN run's streams are distinct") {
  const std::set<uint32_t> ids = {
      stream_id(RandomStream::gan_init),          stream_id(RandomStream::trainer_noise),
      stream_id(RandomStream::trainer_labels),    stream_id(RandomStream::gan_dropout),
      stream_id(RandomStream::fixed_samples),     stream_id(RandomStream::classifier_metric),
      stream_id(RandomStream::fid_noise),         stream_id(RandomStream::kid_subsets),
      stream_id(RandomStream::parzen_noise),      stream_id(RandomStream::data_order)};
  CHECK(ids.size() == 10);
}
