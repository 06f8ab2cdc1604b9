#pragma once
// Training the reference MNIST classifier (PyTorch's examples/mnist recipe: Adadelta lr 1.0,
// StepLR γ 0.7 per epoch, batch 64, 14 epochs), shared by ./mnist_classifier and the cached
// classifier ./mnist_condgan trains for itself (metrics/classifier_cache.h).
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "engine/dtype.h"
#include "models/mnist_classifier.h"

namespace aafgan::models {

struct ClassifierRecipe {
  int epochs = 14;
  int batch_size = 64;
  int test_batch_size = 1000;
  double lr = 1.0;
  double gamma = 0.7;
  uint64_t seed = 1;
  DType dtype = DType::f32;
  int log_interval = 10;  // batches between live progress updates on a terminal; 0 = off
};

// Training images and the held-out ones, as raw pixels plus labels. With train + t10k in `dir`
// it trains on train and holds out t10k; with a single split (the bundled t10k) it trains on the
// first 80 % and holds out the last 20 %, so the accuracy is always on images it never saw.
struct ClassifierData {
  std::string dir, description;
  ClassifierShape shape;  // the folder's (data/mnist.h: read_mnist_format)
  std::vector<uint8_t> train_pixels, eval_pixels;
  std::vector<int> train_labels, eval_labels;
  int64_t train_count = 0, eval_count = 0;

  // A 64-bit FNV-1a hash of the shape, the images and the labels (both parts), in hex: the
  // data's identity.
  std::string fingerprint() const;
};

// `max_images` > 0 trains on the first N training images only.
ClassifierData load_classifier_data(const std::string& dir, int64_t max_images = 0);

// Trains a fresh net; when `out` is not empty it is saved there (durably) after every epoch, so
// a stopped run still leaves a usable classifier. Progress goes to `log`. Returns the net; its
// held-out accuracy is in `*accuracy`.
MnistClassifier train_mnist_classifier(const ClassifierData& d, const ClassifierRecipe& r, const std::string& out,
                                       std::FILE* log, double* accuracy = nullptr);

// The metadata train_mnist_classifier saves with the weights.
nlohmann::json classifier_metadata(const ClassifierData& d, const ClassifierRecipe& r, int epochs_done, double accuracy,
                                   const nlohmann::json& history);

}  // namespace aafgan::models
