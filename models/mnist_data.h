#pragma once
#include "data/mnist.h"
#include "models/training_data.h"

namespace aafgan::models {

// The images of an MNIST-format split as H·W-vectors (784 for MNIST) scaled x/255·2 − 1
// (gan-protocol.md §1), with the split's classes.
class MnistTrainingData : public TrainingData {
 public:
  // Keeps the first `max_images` samples when it is positive.
  MnistTrainingData(data::MnistSplit split, int64_t max_images);
  int64_t size() const override { return split_.count; }
  Shape sample_shape() const override { return Shape{split_.pixels()}; }
  int num_classes() const override { return split_.classes; }
  void fill(const int64_t* indices, int64_t n, float* images, int32_t* labels) const override;
  std::string describe() const override;

 private:
  data::MnistSplit split_;
};

}  // namespace aafgan::models
