#pragma once
// The apps' --cache FILE: the preprocessed uint8 dataset written once, then memory-mapped
// (read-only) by later runs instead of decoding 200,000 JPEGs again.
//
// File layout (little-endian): a header of a multiple of 4096 bytes — magic "AAFGANIC",
// format version, count, channels, size, label flag, the fingerprint of the source as text,
// the skipped files, CRC32s of the payload and of the header itself — then the payload:
// the images [count, C, S, S] (page-aligned, so the mapping is used in place), then the labels
// as int32 when present. Written to FILE.tmp.<pid>, fsync'ed, renamed over FILE.
//
// A cache is never used silently when it does not fit: a fingerprint that differs from the
// request, a truncated file, a bad CRC or a foreign file is an aafgan::Error that says what is
// wrong and what to do (delete the file to rebuild it, or pass another path).
#include <cstdint>
#include <functional>
#include <string>

#include "data/image_dataset.h"

namespace aafgan::data {

// What a cache was made from; two requests share a cache only when every field is equal.
struct CacheFingerprint {
  std::string kind;           // "celeba", "folder", "mnist", "fake"
  std::string directory;      // absolute and normalised (make_cache_fingerprint does it)
  std::string split;          // "train", "test", …; for fake data e.g. "seed=7"
  int64_t max_images = 0;     // the cap asked for (0 = all)
  int channels = 0;
  int size = 0;
  std::string preprocessing;  // crop, filter and DCT-scaling mode, with a version

  // One line, "kind=celeba dir=/data/celeba split=train max_images=0 channels=3 size=64 preprocessing=…".
  std::string text() const;
};

// The fingerprint of a loader call: `dir` made absolute and normalised (so "./celeba" and its
// absolute path match; "" and "-" mean no folder and stay as they are), options.size,
// options.max_images and options.dct_scaling recorded.
CacheFingerprint make_cache_fingerprint(const std::string& kind, const std::string& dir, const std::string& split,
                                        int channels, const ImageLoadOptions& options);

// Writes `ds` (its images, labels and skipped list) atomically. Throws aafgan::Error naming
// the path on any I/O failure; no partial file is left behind.
void write_image_cache(const std::string& path, const ImageDataset& ds, const CacheFingerprint& fingerprint);

// Memory-maps a cache written by write_image_cache after checking its magic, version, header
// CRC, fingerprint (must equal `expected`) and size; with `verify_payload` also the payload's
// CRC32 (reads the whole file once: ~0.25 s per GB from memory). The result's data() points into the mapping.
ImageDataset open_image_cache(const std::string& path, const CacheFingerprint& expected, bool verify_payload = true);

// --cache semantics: open_image_cache when `path` exists; otherwise build(), write the
// cache, and return it memory-mapped. `used_cache` (optional) tells which happened.
ImageDataset load_or_create_cache(const std::string& path, const CacheFingerprint& fingerprint,
                                  const std::function<ImageDataset()>& build, bool* used_cache = nullptr,
                                  bool verify_payload = true);

}  // namespace aafgan::data
