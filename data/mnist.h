#pragma once
// MNIST as the IDX files distribute it: train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz]
// and the t10k-… pair of the test split.
#include <cstdint>
#include <string>
#include <vector>

namespace aafgan::data {

constexpr int kMnistSide = 28;
constexpr int kMnistPixels = kMnistSide * kMnistSide;
constexpr int kMnistClasses = 10;
// The most images an MNIST-format file may declare: MNIST has 60,000 and EMNIST's largest split
// 697,932. It bounds what a header can make the reader allocate (822 MB of pixels).
constexpr int64_t kMnistMaxImages = int64_t(1) << 20;

struct MnistSplit {
  int64_t count = 0;
  std::vector<uint8_t> images;  // count × 784, row-major, 0..255
  std::vector<uint8_t> labels;  // count, 0..9
  std::string images_path, labels_path;
};

// Reads one split ("train" or "t10k") from `dir`, preferring the plain file and falling back
// to the .gz. Checks both headers (N×28×28 with N at most kMnistMaxImages, N labels) before
// reading any values, then that every label is 0..9; errors name the file and the problem.
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
