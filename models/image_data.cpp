#include "models/image_data.h"

#include <array>

#include "engine/error.h"

namespace aafgan::models {

ImageTrainingData::ImageTrainingData(data::ImageDataset images, std::string description)
    : images_(std::move(images)), description_(std::move(description)) {
  AAFGAN_CHECK(images_.count > 0, "{}: no images to train on", description_);
}

void ImageTrainingData::fill(const int64_t* indices, int64_t n, float* images, int32_t* labels) const {
  // A table instead of per-pixel arithmetic: the loader thread then keeps up with the GPU.
  static const std::array<float, 256> to_float = [] {
    std::array<float, 256> t{};
    for (int v = 0; v < 256; ++v) t[static_cast<size_t>(v)] = static_cast<float>(v) / 255.0f * 2.0f - 1.0f;
    return t;
  }();
  const size_t per_image = images_.image_bytes();
  for (int64_t i = 0; i < n; ++i) {
    AAFGAN_CHECK(indices[i] >= 0 && indices[i] < images_.count, "image index {} outside [0, {})", indices[i],
                 images_.count);
    const uint8_t* src = images_.image(indices[i]);
    float* dst = images + static_cast<size_t>(i) * per_image;
    for (size_t p = 0; p < per_image; ++p) dst[p] = to_float[src[p]];
    labels[i] = 0;
  }
}

}  // namespace aafgan::models
