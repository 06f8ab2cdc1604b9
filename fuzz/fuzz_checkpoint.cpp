// engine/checkpoint.h load_checkpoint on arbitrary bytes, both as given and with the length
// fields and the CRC-32 trailer repaired: a random mutation almost never keeps the checksum
// valid, so without the repair the fuzzer would only ever test the checksum check. Every loaded
// tensor byte is read back.
#include <zlib.h>

#include <cstdint>
#include <vector>

#include "engine/checkpoint.h"
#include "base/error.h"
#include "fuzz/fuzz_input_file.h"

namespace {

// The layout of engine/checkpoint.h: header "AAFGANCK" u32 u32 u64 total; trailer u64 total, u32 CRC.
constexpr size_t kHeaderBytes = 24, kTrailerBytes = 12, kTotalAt = 16;

void put_le(uint8_t* p, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

std::vector<uint8_t> with_checksums_fixed(const uint8_t* data, size_t size) {
  if (size < kHeaderBytes + kTrailerBytes) return {};
  std::vector<uint8_t> out(data, data + size);
  put_le(out.data() + kTotalAt, size, 8);
  put_le(out.data() + size - kTrailerBytes, size, 8);
  put_le(out.data() + size - 4, crc32_z(crc32(0L, Z_NULL, 0), out.data(), size - 4), 4);
  return out;
}

void load(const std::string& path) {
  try {
    const aafgan::Checkpoint ck = aafgan::load_checkpoint(path);
    unsigned sum = 0;
    for (const auto& [name, t] : ck.tensors) {
      const auto* p = static_cast<const uint8_t*>(t.raw_data());
      for (size_t i = 0; i < t.nbytes(); ++i) sum += p[i];
      if (!ck.contains(name)) __builtin_trap();
    }
    volatile unsigned sink = sum + static_cast<unsigned>(ck.metadata.size());
    (void)sink;
  } catch (const aafgan::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  load(aafgan::fuzz::write_input_file("checkpoint", data, size));
  const std::vector<uint8_t> fixed = with_checksums_fixed(data, size);
  if (!fixed.empty() && fixed != std::vector<uint8_t>(data, data + size))
    load(aafgan::fuzz::write_input_file("checkpoint", fixed.data(), fixed.size()));
  return 0;
}
