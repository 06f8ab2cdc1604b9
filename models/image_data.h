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

// The DCGAN's 64×64 training images (gan-protocol.md §2): which dataset, where, how many.
struct ImageSourceOptions {
  std::string dataset = "celeba";  // celeba, folder, mnist or fake
  std::string dir;                 // the dataset's folder; "" = mnist's bundled t10k (required elsewhere)
  std::string cache_path;          // keep the preprocessed images in this file, map it afterwards ("" = none)
  bool strict = false;             // a corrupt or unreadable image is an error instead of being skipped
  int decode_threads = 0;          // 0 = all cores
  int64_t max_images = 0;          // the first N images (0 = all)
  int64_t fake_count = 2048;       // images of the fake dataset (capped by max_images)
};

constexpr int kDcganImageSize = 64;

// Decodes (or maps from the cache) the training images of `source`, reporting progress, the
// loader's summary where it says something (skipped files, real datasets) and data notes on
// stdout. Errors name the flag that is missing or wrong.
ImageTrainingData load_image_training_data(const ImageSourceOptions& source);

}  // namespace aafgan::models
