#pragma once
// MNIST as the IDX files distribute it: train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz]
// and the t10k-… pair of the test split; and any IDX set laid out the same way (Fashion-MNIST,
// KMNIST, EMNIST), whose image size and classes are read from its files.
#include <cstdint>
#include <string>
#include <vector>

namespace aafgan::data {

// MNIST's own shape, the default of the models.
constexpr int kMnistSide = 28;
constexpr int kMnistPixels = kMnistSide * kMnistSide;
constexpr int kMnistClasses = 10;
// The most images an MNIST-format file may declare: MNIST has 60,000 and EMNIST's largest split
// 697,932. With kMnistMaxSide it bounds what a header can make the reader allocate.
constexpr int64_t kMnistMaxImages = int64_t(1) << 20;
// The largest image side an MNIST-format file may declare. These sets are small images fed to
// MLPs whose first layer grows with the pixels: 256×256 is already a 64 MB weight.
constexpr int64_t kMnistMaxSide = 256;

// What an IDX set holds, from its headers and labels alone (no pixel is read). The training split
// (train when present, else t10k) defines it: its image header gives height × width, its labels
// the classes: class = label − first_label, classes = largest − smallest label + 1. So MNIST's
// 0..9 stay 0..9, and EMNIST letters' 1..26 become 26 classes 0..25 ('a' = 0); a label value
// missing between the two still counts as a class, so that no class is renumbered.
struct MnistFormat {
  std::string training_split;  // "train" or "t10k"
  int height = 0, width = 0;
  int first_label = 0;
  int classes = 0;
  int64_t pixels() const { return int64_t{height} * width; }
};

// The format of the IDX set in `dir`: the training split's headers are checked (N×H×W with
// 1 ≤ H, W ≤ kMnistMaxSide and N ≤ kMnistMaxImages, N labels) before its labels are read; a
// second split's images must have the same height × width. Errors name the file and the problem.
MnistFormat read_mnist_format(const std::string& dir);

struct MnistSplit {
  int64_t count = 0;
  int height = 0, width = 0;
  std::vector<uint8_t> images;  // count × height × width, row-major, 0..255
  std::vector<uint8_t> labels;  // count class indices, 0..classes − 1 (the file's label − first_label)
  int first_label = 0, classes = 0;
  std::string images_path, labels_path;
  int64_t pixels() const { return int64_t{height} * width; }
};

// Reads one split ("train" or "t10k") from `dir`, preferring the plain file and falling back
// to the .gz. Takes the folder's format (read_mnist_format), checks this split's headers against
// it before reading any values, then that every label is one of its classes; errors name the file
// and the problem.
MnistSplit load_mnist_split(const std::string& dir, const std::string& split);

// True when both files of the split exist in `dir` (plain or .gz).
bool has_mnist_split(const std::string& dir, const std::string& split);

}  // namespace aafgan::data

namespace aafgan::data {

// The folder to read MNIST from: `requested` when given (it must hold a split), else the
// bundled data/mnist found next to the executable's build folder (../data/mnist) or under the
// current directory. Errors say what was looked for where.
std::string find_mnist_dir(const std::string& requested);

}  // namespace aafgan::data
