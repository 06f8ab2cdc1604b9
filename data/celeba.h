#pragma once
// CelebA aligned faces as distributed: DIR/img_align_celeba/*.jpg (178×218 RGB) and the official
// split file DIR/list_eval_partition.txt ("000001.jpg 0" per line; 0 train, 1 valid, 2 test).
// Kaggle's copy nests the images one level deeper (img_align_celeba/img_align_celeba/) and ships
// list_eval_partition.csv ("image_id,partition" then "000001.jpg,0"): both are accepted.
//
// Each image: centre crop 178×178, antialiased resize to options.size (image_resize.h),
// RGB, uint8 [count, 3, S, S] in the split file's order. No labels.
#include <string>
#include <vector>

#include "data/image_dataset.h"

namespace aafgan::data {

// The files of one split, in the split file's order: full paths under the image folder.
// `split` is "train", "valid" (or "val"), "test" or "all". Errors (aafgan::Error) say what was
// expected where: a missing DIR or image folder, a missing split file, a malformed line
// (with its number and text), an unknown split name.
std::vector<std::string> celeba_split_files(const std::string& dir, const std::string& split);

// celeba_split_files, capped to options.max_images, decoded on options.threads workers.
// An image that is listed but missing or corrupt is skipped (ImageDataset::skipped), or with
// options.strict an error naming it.
ImageDataset load_celeba(const std::string& dir, const std::string& split, const ImageLoadOptions& options = {});

}  // namespace aafgan::data
