#include "data/mnist.h"

#include <filesystem>

#include "data/idx.h"
#include "base/error.h"

namespace aafgan::data {

namespace {

// The plain file if present, else the .gz; empty when neither exists. Any kind of file counts,
// so that a FIFO or device in its place is refused by name (data/idx.h) rather than skipped.
std::string find_file(const std::string& dir, const std::string& stem) {
  const std::filesystem::path base = std::filesystem::path(dir) / stem;
  std::error_code ec;
  if (std::filesystem::exists(base, ec)) return base.string();
  if (std::filesystem::exists(base.string() + ".gz", ec)) return base.string() + ".gz";
  return "";
}

}  // namespace

bool has_mnist_split(const std::string& dir, const std::string& split) {
  return !find_file(dir, split + "-images-idx3-ubyte").empty() && !find_file(dir, split + "-labels-idx1-ubyte").empty();
}

MnistSplit load_mnist_split(const std::string& dir, const std::string& split) {
  if (!std::filesystem::is_directory(dir)) fail("MNIST folder '{}' does not exist", dir);
  MnistSplit s;
  s.images_path = find_file(dir, split + "-images-idx3-ubyte");
  s.labels_path = find_file(dir, split + "-labels-idx1-ubyte");
  if (s.images_path.empty() || s.labels_path.empty())
    fail("MNIST folder '{}' lacks {}-images-idx3-ubyte[.gz] or {}-labels-idx1-ubyte[.gz]", dir, split, split);
  // Both headers are checked before any values are read: what they declare is what will be
  // decompressed and allocated, so a header MNIST cannot have must fail here, not after gigabytes.
  IdxReader images(s.images_path, 3);
  IdxReader labels(s.labels_path, 1);
  if (images.dims()[1] != kMnistSide || images.dims()[2] != kMnistSide)
    fail("{}: images are {}×{}, MNIST's are 28×28", s.images_path, images.dims()[1], images.dims()[2]);
  if (images.dims()[0] > kMnistMaxImages)
    fail("{}: the header declares {} images, more than an MNIST-format file holds (at most {})", s.images_path,
         images.dims()[0], kMnistMaxImages);
  if (images.dims()[0] != labels.dims()[0])
    fail("{} holds {} images but {} holds {} labels", s.images_path, images.dims()[0], s.labels_path,
         labels.dims()[0]);
  s.count = images.dims()[0];
  s.images = images.read_values();
  s.labels = labels.read_values();
  for (size_t i = 0; i < s.labels.size(); ++i)
    if (s.labels[i] >= kMnistClasses) fail("{}: label {} at index {} is not a digit", s.labels_path, s.labels[i], i);
  return s;
}

}  // namespace aafgan::data

namespace aafgan::data {

namespace {

bool has_any_split(const std::string& dir) { return has_mnist_split(dir, "t10k") || has_mnist_split(dir, "train"); }

}  // namespace

std::string find_mnist_dir(const std::string& requested) {
  if (!requested.empty()) {
    if (!std::filesystem::is_directory(requested)) fail("--data {}: no such folder", requested);
    if (!has_any_split(requested))
      fail("--data {}: no MNIST files there (expected t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz], "
           "optionally with the train-… pair)", requested);
    return requested;
  }
  std::vector<std::string> dirs;
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) dirs.push_back((exe.parent_path() / ".." / "data" / "mnist").lexically_normal().string());
  dirs.push_back((std::filesystem::current_path(ec) / "data" / "mnist").lexically_normal().string());
  for (const std::string& d : dirs)
    if (has_any_split(d)) return d;
  std::string tried;
  for (const std::string& d : dirs) tried += "\n  " + d;
  fail("no MNIST data found; looked for the bundled folder at:{}\npass --data DIR (a folder with the t10k and/or "
       "train IDX files)", tried);
}

}  // namespace aafgan::data
