#pragma once
// The reference classifier that scores ./mnist_condgan's digits, trained once per data set and
// kept (issue 14 §1): a grid, and every later grid on the same digits, reuse it.
#include <cstdio>
#include <memory>
#include <string>

#include "models/mnist_classifier.h"

namespace aafgan::models {

// What aafgan computes once per machine: $AAFGAN_CACHE_DIR, else $XDG_CACHE_HOME/aafgan, else
// $HOME/.cache/aafgan.
std::string aafgan_cache_dir();

// The classifier for the MNIST folder `mnist_dir`, trained with the reference recipe
// (metrics/mnist_classifier_training.h) on its digits: loaded from
// <cache>/mnist_classifier-<data fingerprint>.ckpt when that holds a complete training on
// exactly these images, of their size and classes (the fingerprint covers both), else trained now (minutes on a CPU; progress to `log`) and stored there
// durably. Workers sharing the cache wait for one another instead of training it twice.
std::shared_ptr<MnistClassifier> cached_mnist_classifier(const std::string& mnist_dir, std::FILE* log);

}  // namespace aafgan::models
