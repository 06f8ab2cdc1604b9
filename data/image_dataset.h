#pragma once
// A dataset of small square images, preprocessed once into the layout the models read:
// uint8 [count, channels, size, size] (planar, channel-major per image), so turning a batch into
// floats in [-1, 1] is one pass (x / 127.5 - 1). The bytes are either owned or a read-only
// memory-mapped cache file (data/image_cache.h); copies of an ImageDataset share them.
//
// Loaders: load_celeba (data/celeba.h), load_image_folder (data/image_folder.h),
// load_mnist_resized (data/mnist_resized.h), make_fake_images (data/fake_images.h).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "data/jpeg_decode.h"  // DctScaling

namespace aafgan::data {

// An image that was listed or found but could not be used, and why ("no such file",
// "corrupt JPEG: Premature end of JPEG file", ...).
struct SkippedImage {
  std::string path;
  std::string reason;
};

// Entries of a walked folder (data/folder_walk.h) that are not in the dataset, for one reason
// ("not an image", "unreadable", "duplicate", ...): how many, and the first one met.
struct UnusedEntries {
  std::string reason;
  int64_t count = 0;
  std::string first_path;
  std::string first_detail;
};

struct ImageLoadOptions {
  int size = 64;           // output side S
  int64_t max_images = 0;  // use only the first N images of the listing (0 = all); applied before decoding
  int threads = 0;         // decode workers; 0 = std::thread::hardware_concurrency()
  bool strict = false;     // a corrupt/unreadable image, or an entry of a folder not used, is an error naming it
  DctScaling dct_scaling = DctScaling::power_of_two;  // shrink JPEGs while decoding (see jpeg_decode.h)
  // Called on the calling thread about every 0.25 s while decoding, and once at the end,
  // with the images processed so far (decoded or skipped) and the total.
  std::function<void(int64_t done, int64_t total)> progress;
};

class ImageDataset {
 public:
  int64_t count = 0;
  int channels = 0;
  int size = 0;
  std::vector<int32_t> labels;        // empty, or one per image
  std::vector<SkippedImage> skipped;  // in listing order
  std::vector<UnusedEntries> unused;  // folder entries not listed, one per reason met

  ImageDataset() = default;
  // Takes `pixels` (count × channels × size × size bytes) as the dataset's storage.
  ImageDataset(int64_t count, int channels, int size, std::vector<uint8_t> pixels);
  // Uses `bytes` (kept alive by `owner`, e.g. a memory mapping) as the storage.
  ImageDataset(int64_t count, int channels, int size, std::shared_ptr<const void> owner, const uint8_t* bytes,
               bool memory_mapped);

  const uint8_t* data() const { return pixels_; }
  const uint8_t* image(int64_t i) const { return pixels_ + static_cast<size_t>(i) * image_bytes(); }
  size_t image_bytes() const { return static_cast<size_t>(channels) * static_cast<size_t>(size) * static_cast<size_t>(size); }
  size_t bytes() const { return static_cast<size_t>(count) * image_bytes(); }
  bool has_labels() const { return !labels.empty(); }
  bool memory_mapped() const { return mapped_; }

  // "decoded N images, skipped K (first: PATH: REASON)" — the line the apps log — and, when a
  // folder held entries not used, "; not used: 2 duplicate (first: PATH: DETAIL), 1 unreadable (…)".
  std::string summary() const;

 private:
  std::shared_ptr<const void> owner_;
  const uint8_t* pixels_ = nullptr;
  bool mapped_ = false;
};

// The number of decode workers `requested` means (0 = hardware concurrency, at least 1).
int resolve_threads(int requested);

}  // namespace aafgan::data
