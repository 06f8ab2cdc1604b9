#include "fuzz/fuzz_image_cache.h"

#include <zlib.h>

#include <algorithm>

namespace aafgan::fuzz {

namespace {

// The header layout of data/image_cache.cpp.
constexpr size_t kFixedHeader = 64, kAlign = 4096, kPayloadCrcAt = 44, kPayloadBytesAt = 48, kHeaderCrcAt = 56;

uint64_t get_le(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
void put_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint32_t crc(const uint8_t* p, size_t n) { return n == 0 ? 0 : static_cast<uint32_t>(crc32_z(0, p, n)); }

}  // namespace

std::vector<data::CacheFingerprint> cache_fingerprints() {
  data::ImageLoadOptions rgb;
  rgb.size = 4;
  data::ImageLoadOptions gray;
  gray.size = 2;
  gray.max_images = 3;
  return {data::make_cache_fingerprint("fake", "-", "seed=1", 3, rgb),
          data::make_cache_fingerprint("mnist", "", "test", 1, gray)};
}

std::vector<uint8_t> with_cache_crcs_fixed(const uint8_t* data, size_t size) {
  if (size < kFixedHeader) return {};
  const uint64_t header = get_le(data + 12, 4);
  if (header < kFixedHeader || header % kAlign != 0 || header > size) return {};
  std::vector<uint8_t> out(data, data + size);
  const uint64_t payload = std::min<uint64_t>(get_le(data + kPayloadBytesAt, 8), size - header);
  put_u32(out.data() + kPayloadCrcAt, crc(out.data() + header, payload));
  put_u32(out.data() + kHeaderCrcAt, 0);
  put_u32(out.data() + kHeaderCrcAt, crc(out.data(), header));
  return out;
}

}  // namespace aafgan::fuzz
