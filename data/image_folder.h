#pragma once
// Any folder of images (PyTorch's DCGAN example calls it "folder"): every .jpg, .jpeg and .png
// (any letter case) in the folder and its subfolders, in sorted path order so the dataset is
// the same on every machine and run. Each image: the largest centred square, antialiased
// resize to options.size, RGB; uint8 [count, 3, S, S]. No labels.
//
// The folder is walked by walk_folder (data/folder_walk.h): links are followed, also out of the
// folder, loops end, a file reached twice is used once, FIFOs and devices are never opened, and
// every entry not used is counted by reason in ImageDataset::unused.
#include <string>
#include <vector>

#include "data/folder_walk.h"
#include "data/image_dataset.h"

namespace aafgan::data {

// Whether `name` ends in .jpg, .jpeg or .png, in any letter case.
bool is_image_file_name(const std::string& name);

// The image files under `dir`, sorted by path, and the entries not used. With `strict`, the
// first entry not used (in walk order) is an error naming it and its reason. Throws
// aafgan::Error when `dir` is not a folder or holds no image file.
FolderWalk walk_image_folder(const std::string& dir, bool strict = false, const ReadDirFn& read_dir = read_dir_names);

// walk_image_folder's files.
std::vector<std::string> list_image_files(const std::string& dir);

// walk_image_folder, capped to options.max_images, decoded with 3 channels (gray images are
// replicated); corrupt files are skipped (or, with options.strict, an error naming them), and the
// entries not used are counted in the dataset's `unused`.
ImageDataset load_image_folder(const std::string& dir, const ImageLoadOptions& options = {});

}  // namespace aafgan::data
