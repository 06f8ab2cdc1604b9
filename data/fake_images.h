#pragma once
// Random images for smoke runs and benchmarks (PyTorch's DCGAN example calls them "fake"):
// a pure function of (count, channels, size, seed), so two runs get the same bytes.
#include <cstdint>

#include "data/image_dataset.h"

namespace aafgan::data {

// uint8 [count, channels, size, size], every byte uniform in 0..255: byte j of image i is
// drawn from SplitMix64 seeded with (seed, i), so the images do not depend on the thread count
// and image i is the same whatever `count` is. No labels. Throws aafgan::Error on bad sizes.
ImageDataset make_fake_images(int64_t count, int channels, int size, uint64_t seed, int threads = 0);

}  // namespace aafgan::data
