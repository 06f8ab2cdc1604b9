#include "data/fake_images.h"

#include <vector>

#include "data/parallel_decode.h"
#include "base/error.h"

namespace aafgan::data {

namespace {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

ImageDataset make_fake_images(int64_t count, int channels, int size, uint64_t seed, int threads) {
  AAFGAN_CHECK(count >= 0, "fake images: count {} is negative", count);
  AAFGAN_CHECK(channels == 1 || channels == 3, "fake images: {} channels, expected 1 or 3", channels);
  AAFGAN_CHECK(size >= 1 && size <= 4096, "fake images: size {} is not in 1..4096", size);
  const size_t image_bytes = static_cast<size_t>(channels) * static_cast<size_t>(size) * static_cast<size_t>(size);
  std::vector<uint8_t> pixels(static_cast<size_t>(count) * image_bytes);
  parallel_for_chunks(count, resolve_threads(threads), 64, [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i) {
      // The image's stream: the seed, then the image index, mixed once more.
      uint64_t state = seed;
      state = splitmix64(state) ^ static_cast<uint64_t>(i);
      uint8_t* out = pixels.data() + static_cast<size_t>(i) * image_bytes;
      size_t j = 0;
      for (; j + 8 <= image_bytes; j += 8) {
        const uint64_t r = splitmix64(state);
        for (int k = 0; k < 8; ++k) out[j + static_cast<size_t>(k)] = static_cast<uint8_t>(r >> (8 * k));
      }
      if (j < image_bytes) {
        const uint64_t r = splitmix64(state);
        for (size_t k = 0; j < image_bytes; ++j, ++k) out[j] = static_cast<uint8_t>(r >> (8 * k));
      }
    }
  });
  return ImageDataset(count, channels, size, std::move(pixels));
}

}  // namespace aafgan::data
