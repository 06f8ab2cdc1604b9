#include "data/mnist.h"

#include <algorithm>
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

namespace {

struct SplitFiles {
  std::string images, labels;
};

SplitFiles split_files(const std::string& dir, const std::string& split) {
  if (!std::filesystem::is_directory(dir)) fail("MNIST folder '{}' does not exist", dir);
  SplitFiles f{find_file(dir, split + "-images-idx3-ubyte"), find_file(dir, split + "-labels-idx1-ubyte")};
  if (f.images.empty() || f.labels.empty())
    fail("MNIST folder '{}' lacks {}-images-idx3-ubyte[.gz] or {}-labels-idx1-ubyte[.gz]", dir, split, split);
  return f;
}

// What the headers declare is what will be decompressed and allocated, so a header no image set
// of this kind can have must fail here, before any value is read, not after gigabytes.
void check_headers(const IdxReader& images, const IdxReader& labels) {
  const std::vector<int64_t>& d = images.dims();
  if (d[1] < 1 || d[2] < 1) fail("{}: images are {}×{}, which holds no pixels", images.path(), d[1], d[2]);
  if (d[1] > kMnistMaxSide || d[2] > kMnistMaxSide)
    fail("{}: images are {}×{}, larger than an MNIST-format file holds (at most {}×{})", images.path(), d[1], d[2],
         kMnistMaxSide, kMnistMaxSide);
  if (d[0] > kMnistMaxImages)
    fail("{}: the header declares {} images, more than an MNIST-format file holds (at most {})", images.path(), d[0],
         kMnistMaxImages);
  if (d[0] != labels.dims()[0])
    fail("{} holds {} images but {} holds {} labels", images.path(), d[0], labels.path(), labels.dims()[0]);
}

}  // namespace

MnistFormat read_mnist_format(const std::string& dir) {
  MnistFormat f;
  f.training_split = has_mnist_split(dir, "train") ? "train" : "t10k";
  const SplitFiles files = split_files(dir, f.training_split);
  IdxReader images(files.images, 3);
  IdxReader labels(files.labels, 1);
  check_headers(images, labels);
  f.height = static_cast<int>(images.dims()[1]);
  f.width = static_cast<int>(images.dims()[2]);
  const std::vector<uint8_t> values = labels.read_values();
  if (values.empty()) fail("{}: holds no labels, so there are no classes to condition on", files.labels);
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  f.first_label = *lo;
  f.classes = *hi - *lo + 1;
  // The classifier trains on one split and is scored on the other; the GAN's Parzen metric
  // compares the two: they must be images of one size.
  if (f.training_split == "train" && has_mnist_split(dir, "t10k")) {
    const IdxReader test(split_files(dir, "t10k").images, 3);
    if (test.dims()[1] != f.height || test.dims()[2] != f.width)
      fail("{} holds {}×{} images but {} holds {}×{}: the two splits of a folder must be of one size", files.images,
           f.height, f.width, test.path(), test.dims()[1], test.dims()[2]);
  }
  return f;
}

MnistSplit load_mnist_split(const std::string& dir, const std::string& split) {
  MnistSplit s;
  const SplitFiles files = split_files(dir, split);
  s.images_path = files.images;
  s.labels_path = files.labels;
  const MnistFormat format = read_mnist_format(dir);
  IdxReader images(s.images_path, 3);
  IdxReader labels(s.labels_path, 1);
  check_headers(images, labels);
  if (images.dims()[1] != format.height || images.dims()[2] != format.width)
    fail("{}: images are {}×{}, but the {} split's are {}×{}", s.images_path, images.dims()[1], images.dims()[2],
         format.training_split, format.height, format.width);
  s.count = images.dims()[0];
  s.height = format.height;
  s.width = format.width;
  s.first_label = format.first_label;
  s.classes = format.classes;
  s.images = images.read_values();
  s.labels = labels.read_values();
  for (size_t i = 0; i < s.labels.size(); ++i) {
    const int label = s.labels[i];
    if (label < format.first_label || label >= format.first_label + format.classes)
      fail("{}: label {} at index {} is not one of the {} split's classes (labels {}..{})", s.labels_path, label, i,
           format.training_split, format.first_label, format.first_label + format.classes - 1);
    s.labels[i] = static_cast<uint8_t>(label - format.first_label);
  }
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
