#pragma once
// What the image-cache harness and its seed generator share: the fingerprints a cache may be
// opened with, and the CRC repair that lets mutations get past the checksums.
#include <cstdint>
#include <vector>

#include "data/image_cache.h"

namespace aafgan::fuzz {

// Two small requests (RGB 4×4 fake images without labels; gray 2×2 "mnist" with labels, capped).
std::vector<data::CacheFingerprint> cache_fingerprints();

// A copy of a cache file whose header and payload CRCs are recomputed, when the header-size
// field makes that possible; otherwise empty. A random mutation almost never keeps a CRC valid,
// so without this the fuzzer would only ever test the CRC check.
std::vector<uint8_t> with_cache_crcs_fixed(const uint8_t* data, size_t size);

}  // namespace aafgan::fuzz
