#pragma once
// MNIST digits as an image dataset for the DCGAN (PyTorch's DCGAN example offers "mnist"):
// the IDX files read by data/mnist.h, 1 channel, resized from their H×W to size×size (bilinear
// when enlarging, the antialiased filter of image_resize.h when shrinking), labels kept.
#include <string>

#include "data/image_dataset.h"

namespace aafgan::data {

// `split` is "train" or "test" (the t10k files; "t10k" is accepted too). options.max_images
// caps the count (the first N), options.threads spreads the resizing; options.size is ignored
// in favour of `size`. Errors are load_mnist_split's (they name the file).
ImageDataset load_mnist_resized(const std::string& dir, const std::string& split, int size = 64,
                                const ImageLoadOptions& options = {});

}  // namespace aafgan::data
