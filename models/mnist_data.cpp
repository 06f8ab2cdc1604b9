#include "models/mnist_data.h"

#include <fmt/format.h>

namespace aafgan::models {

MnistTrainingData::MnistTrainingData(data::MnistSplit split, int64_t max_images) : split_(std::move(split)) {
  if (max_images > 0 && max_images < split_.count) {
    split_.count = max_images;
    split_.images.resize(static_cast<size_t>(max_images * split_.pixels()));
    split_.labels.resize(static_cast<size_t>(max_images));
  }
}

void MnistTrainingData::fill(const int64_t* indices, int64_t n, float* images, int32_t* labels) const {
  const int64_t pixels = split_.pixels();
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* src = split_.images.data() + indices[i] * pixels;
    float* dst = images + i * pixels;
    for (int64_t p = 0; p < pixels; ++p) dst[p] = static_cast<float>(src[p]) / 255.0f * 2.0f - 1.0f;
    labels[i] = split_.labels[static_cast<size_t>(indices[i])];
  }
}

std::string MnistTrainingData::describe() const {
  return fmt::format("{} {}×{} images of {} classes from {}", split_.count, split_.height, split_.width, split_.classes,
                     split_.images_path);
}

}  // namespace aafgan::models
