#include "data/image_folder.h"

#include <algorithm>
#include <cctype>

#include "data/parallel_decode.h"
#include "base/error.h"

namespace aafgan::data {

bool is_image_file_name(const std::string& name) {
  const size_t dot = name.rfind('.');
  if (dot == std::string::npos || dot == 0) return false;  // ".png" alone is a hidden file, not an image
  std::string ext = name.substr(dot);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

FolderWalk walk_image_folder(const std::string& dir, bool strict, const ReadDirFn& read_dir) {
  auto refuse = [&dir](const UnusedEntry& e) {
    fail("image folder {}: {}: {}{}{} (strict loading: every entry of the folder must be an image used once; "
         "without --strict it is counted and left out)",
         dir, e.path, unused_reason_name(e.reason), e.detail.empty() ? "" : ": ", e.detail);
  };
  FolderWalk walk = strict ? walk_folder(dir, is_image_file_name, refuse, read_dir)
                           : walk_folder(dir, is_image_file_name, {}, read_dir);
  if (walk.files.empty()) fail("image folder {}: no .jpg, .jpeg or .png files in it or its subfolders", dir);
  std::sort(walk.files.begin(), walk.files.end());
  return walk;
}

std::vector<std::string> list_image_files(const std::string& dir) { return walk_image_folder(dir).files; }

ImageDataset load_image_folder(const std::string& dir, const ImageLoadOptions& options) {
  AAFGAN_CHECK(options.max_images >= 0, "image folder: max_images {} is negative", options.max_images);
  FolderWalk walk = walk_image_folder(dir, options.strict);
  std::vector<std::string>& files = walk.files;
  if (options.max_images > 0 && static_cast<int64_t>(files.size()) > options.max_images)
    files.resize(static_cast<size_t>(options.max_images));
  ImageDataset ds = decode_image_files(files, 3, options);
  for (const UnusedEntry& first : walk.first_unused)
    ds.unused.push_back({unused_reason_name(first.reason), walk.unused[static_cast<size_t>(first.reason)], first.path,
                         first.detail});
  return ds;
}

}  // namespace aafgan::data
