#pragma once
// CRC-32C (Castagnoli), the checksum of TFRecord framing, and TensorFlow's masking of it (a
// CRC stored next to the data it covers is rotated and offset, so that the CRC of a string
// holding CRCs stays well distributed).
#include <cstddef>
#include <cstdint>

namespace aafgan::tb {

uint32_t crc32c(const void* data, size_t n);
// ((crc >> 15) | (crc << 17)) + 0xa282ead8, as tensorflow/core/lib/hash/crc32c.h.
uint32_t masked_crc32c(const void* data, size_t n);

}  // namespace aafgan::tb
