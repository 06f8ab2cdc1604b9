// data/image_cache.h open_image_cache on arbitrary bytes, with each fingerprint whose text the
// input contains (a cache whose fingerprint differs is refused before anything else is read),
// both as given and with its CRCs repaired. Every pixel and label is read back, so that a
// payload shorter than the header claims faults on the mapping's end.
#include <cstdint>
#include <cstring>

#include "base/error.h"
#include "fuzz/fuzz_image_cache.h"
#include "fuzz/fuzz_input_file.h"

namespace {

bool contains(const uint8_t* data, size_t size, const std::string& text) {
  return !text.empty() && ::memmem(data, size, text.data(), text.size()) != nullptr;
}

void open_and_read(const std::string& path, const aafgan::data::CacheFingerprint& fp) {
  try {
    const aafgan::data::ImageDataset ds = aafgan::data::open_image_cache(path, fp, true);
    if (ds.channels != fp.channels || ds.size != fp.size) __builtin_trap();
    if (ds.has_labels() && static_cast<int64_t>(ds.labels.size()) != ds.count) __builtin_trap();
    unsigned sum = 0;
    for (size_t i = 0; i < ds.bytes(); ++i) sum += ds.data()[i];
    for (int32_t l : ds.labels) sum += static_cast<unsigned>(l);
    for (const auto& s : ds.skipped) sum += static_cast<unsigned>(s.path.size() + s.reason.size());
    volatile unsigned sink = sum;
    (void)sink;
  } catch (const aafgan::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<aafgan::data::CacheFingerprint> fingerprints = aafgan::fuzz::cache_fingerprints();
  const std::vector<uint8_t> fixed = aafgan::fuzz::with_cache_crcs_fixed(data, size);
  for (size_t i = 0; i < fingerprints.size(); ++i) {
    // The first fingerprint always, so inputs without any still exercise the early checks.
    if (i > 0 && !contains(data, size, fingerprints[i].text())) continue;
    open_and_read(aafgan::fuzz::write_input_file("cache", data, size), fingerprints[i]);
    if (!fixed.empty() && fixed != std::vector<uint8_t>(data, data + size))
      open_and_read(aafgan::fuzz::write_input_file("cache", fixed.data(), fixed.size()), fingerprints[i]);
  }
  return 0;
}
