#include "data/image_folder.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "data/parallel_decode.h"
#include "engine/error.h"

namespace aafgan::data {

namespace fs = std::filesystem;

namespace {

bool is_image_name(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

}  // namespace

std::vector<std::string> list_image_files(const std::string& dir) {
  if (!fs::is_directory(dir)) fail("image folder {}: no such folder", dir);
  std::vector<std::string> files;
  std::error_code ec;
  auto it = fs::recursive_directory_iterator(dir, fs::directory_options::follow_directory_symlink |
                                                      fs::directory_options::skip_permission_denied, ec);
  if (ec) fail("image folder {}: cannot list it: {}", dir, ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) fail("image folder {}: cannot list it: {}", dir, ec.message());
    std::error_code type_ec;
    if (it->is_regular_file(type_ec) && is_image_name(it->path())) files.push_back(it->path().string());
  }
  if (ec) fail("image folder {}: cannot list it: {}", dir, ec.message());
  if (files.empty()) fail("image folder {}: no .jpg, .jpeg or .png files in it or its subfolders", dir);
  std::sort(files.begin(), files.end());
  return files;
}

ImageDataset load_image_folder(const std::string& dir, const ImageLoadOptions& options) {
  std::vector<std::string> files = list_image_files(dir);
  AAFGAN_CHECK(options.max_images >= 0, "image folder: max_images {} is negative", options.max_images);
  if (options.max_images > 0 && static_cast<int64_t>(files.size()) > options.max_images)
    files.resize(static_cast<size_t>(options.max_images));
  return decode_image_files(files, 3, options);
}

}  // namespace aafgan::data
