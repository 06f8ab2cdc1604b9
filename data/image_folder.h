#pragma once
// Any folder of images (PyTorch's DCGAN example calls it "folder"): every .jpg, .jpeg and .png
// (any letter case) in the folder and its subfolders, in sorted path order so the dataset is
// the same on every machine and run. Each image: the largest centred square, antialiased
// resize to options.size, RGB; uint8 [count, 3, S, S]. No labels.
#include <string>
#include <vector>

#include "data/image_dataset.h"

namespace aafgan::data {

// The image files under `dir`, sorted by path. Throws aafgan::Error when `dir` is not a folder
// or holds no image file.
std::vector<std::string> list_image_files(const std::string& dir);

// list_image_files, capped to options.max_images, decoded with 3 channels (gray images are
// replicated); corrupt files are skipped (or, with options.strict, an error naming them).
ImageDataset load_image_folder(const std::string& dir, const ImageLoadOptions& options = {});

}  // namespace aafgan::data
