#include "data/image_dataset.h"

#include <thread>

#include <fmt/format.h>

#include "base/error.h"

namespace aafgan::data {

ImageDataset::ImageDataset(int64_t count_, int channels_, int size_, std::vector<uint8_t> pixels)
    : count(count_), channels(channels_), size(size_) {
  AAFGAN_CHECK(count >= 0 && channels >= 1 && size >= 1, "ImageDataset: bad shape [{}, {}, {}, {}]", count, channels,
               size, size);
  AAFGAN_CHECK(pixels.size() == bytes(), "ImageDataset: {} bytes for [{}, {}, {}, {}] (expected {})", pixels.size(),
               count, channels, size, size, bytes());
  auto owned = std::make_shared<const std::vector<uint8_t>>(std::move(pixels));
  pixels_ = owned->data();
  owner_ = std::move(owned);
}

ImageDataset::ImageDataset(int64_t count_, int channels_, int size_, std::shared_ptr<const void> owner,
                           const uint8_t* bytes_, bool memory_mapped)
    : count(count_), channels(channels_), size(size_), owner_(std::move(owner)), pixels_(bytes_), mapped_(memory_mapped) {
  AAFGAN_CHECK(count >= 0 && channels >= 1 && size >= 1, "ImageDataset: bad shape [{}, {}, {}, {}]", count, channels,
               size, size);
  AAFGAN_CHECK(pixels_ != nullptr || count == 0, "ImageDataset: no storage");
}

std::string ImageDataset::summary() const {
  std::string s = fmt::format("decoded {} images, skipped {}", count, skipped.size());
  if (!skipped.empty()) s += fmt::format(" (first: {}: {})", skipped.front().path, skipped.front().reason);
  for (size_t i = 0; i < unused.size(); ++i) {
    const UnusedEntries& u = unused[i];
    s += fmt::format("{}{} {} (first: {}{}{})", i == 0 ? "; not used: " : ", ", u.count, u.reason, u.first_path,
                     u.first_detail.empty() ? "" : ": ", u.first_detail);
  }
  return s;
}

int resolve_threads(int requested) {
  if (requested > 0) return requested;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

}  // namespace aafgan::data
