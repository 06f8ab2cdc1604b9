#pragma once
#include <string>

#include "data/image_dataset.h"
#include "models/training_data.h"

namespace aafgan::models {

// Preprocessed square images (data/image_dataset.h) as [C, S, S] samples scaled x/255·2 − 1,
// the same mapping as the MNIST app (gan-protocol.md §2: "scale to [−1, 1]"). Unlabelled for
// the trainer (num_classes 0): the DCGAN is unconditional even when the images have labels.
class ImageTrainingData : public TrainingData {
 public:
  ImageTrainingData(data::ImageDataset images, std::string description);
  int64_t size() const override { return images_.count; }
  Shape sample_shape() const override { return Shape{images_.channels, images_.size, images_.size}; }
  int num_classes() const override { return 0; }
  void fill(const int64_t* indices, int64_t n, float* images, int32_t* labels) const override;
  std::string describe() const override { return description_; }
  const data::ImageDataset& images() const { return images_; }

 private:
  data::ImageDataset images_;
  std::string description_;
};

}  // namespace aafgan::models
