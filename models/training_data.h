#pragma once
// A dataset as the adversarial trainer sees it: samples addressed by index, delivered as
// floats in [−1, 1] with their class labels.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/shape.h"

namespace aafgan::models {

class TrainingData {
 public:
  virtual ~TrainingData() = default;
  virtual int64_t size() const = 0;
  virtual Shape sample_shape() const = 0;
  // 0 when the data has no labels.
  virtual int num_classes() const = 0;
  // Writes samples indices[0..n) row-major into images (n × sample_shape floats) and their
  // labels into labels (n values; zeros when unlabelled). Called from a loader thread.
  virtual void fill(const int64_t* indices, int64_t n, float* images, int32_t* labels) const = 0;
  virtual std::string describe() const = 0;
};

}  // namespace aafgan::models
