#include "data/celeba.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "data/parallel_decode.h"
#include "base/error.h"

namespace aafgan::data {

namespace fs = std::filesystem;

namespace {

constexpr const char* kSplitFile = "list_eval_partition.txt";
constexpr const char* kSplitCsv = "list_eval_partition.csv";  // Kaggle's copy

// -1 = all.
int split_code(const std::string& split) {
  if (split == "train") return 0;
  if (split == "valid" || split == "val") return 1;
  if (split == "test") return 2;
  if (split == "all") return -1;
  fail("CelebA: unknown split '{}' (expected train, valid, test or all)", split);
}

std::string image_folder(const std::string& dir) {
  const fs::path d = fs::path(dir) / "img_align_celeba";
  if (!fs::is_directory(d))
    fail("CelebA: expected {} (the folder of aligned faces 000001.jpg, 000002.jpg, …); it does not exist", d.string());
  const fs::path nested = d / "img_align_celeba";
  if (fs::is_directory(nested) && !fs::exists(d / "000001.jpg")) return nested.string();
  return d.string();
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

}  // namespace

std::vector<std::string> celeba_split_files(const std::string& dir, const std::string& split) {
  const int want = split_code(split);
  if (!fs::is_directory(dir))
    fail("CelebA: folder {} does not exist (expected {}/img_align_celeba/ and {}/{} in it)", dir, dir, dir, kSplitFile);
  const std::string images = image_folder(dir);
  std::string list = (fs::path(dir) / kSplitFile).string();
  bool csv = false;
  if (!fs::is_regular_file(list) && fs::is_regular_file(fs::path(dir) / kSplitCsv)) {
    list = (fs::path(dir) / kSplitCsv).string();
    csv = true;
  }
  if (!fs::is_regular_file(list))
    fail("CelebA: expected {} (the official split file: lines '<file> <0|1|2>')", (fs::path(dir) / kSplitFile).string());
  std::ifstream in(list);
  if (!in) fail("CelebA: cannot read {}", list);

  std::vector<std::string> files;
  std::string line;
  int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    const std::string text = trim(line);
    if (text.empty()) continue;
    if (csv && number == 1 && text.rfind("image_id", 0) == 0) continue;  // the CSV header
    std::string name, code, extra;
    if (csv) {
      const auto comma = text.find(',');
      if (comma != std::string::npos) {
        name = trim(text.substr(0, comma));
        code = trim(text.substr(comma + 1));
        if (code.find(',') != std::string::npos) extra = code;
      }
    } else {
      std::istringstream fields(text);
      fields >> name >> code >> extra;
    }
    if (name.empty() || !extra.empty() || (code != "0" && code != "1" && code != "2") ||
        name.find('/') != std::string::npos)
      fail("CelebA: {} line {}: '{}' is not '<file>{}<0|1|2>'", list, number, text, csv ? "," : " ");
    if (want < 0 || code[0] - '0' == want) files.push_back((fs::path(images) / name).string());
  }
  if (in.bad()) fail("CelebA: cannot read {}", list);
  if (files.empty()) fail("CelebA: {} lists no images of split '{}'", list, split);
  return files;
}

ImageDataset load_celeba(const std::string& dir, const std::string& split, const ImageLoadOptions& options) {
  std::vector<std::string> files = celeba_split_files(dir, split);
  AAFGAN_CHECK(options.max_images >= 0, "CelebA: max_images {} is negative", options.max_images);
  if (options.max_images > 0 && static_cast<int64_t>(files.size()) > options.max_images)
    files.resize(static_cast<size_t>(options.max_images));
  return decode_image_files(files, 3, options);
}

}  // namespace aafgan::data
