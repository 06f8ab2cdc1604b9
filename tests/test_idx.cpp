// The MNIST data layer: the IDX reader and load_mnist_split on files made here, so every kind
// of damage a user's download can have ends in an aafgan::Error that names the file; and the
// bundled t10k split, whose class counts are known.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/temp_dir.h"
#include "data/idx.h"
#include "data/mnist.h"
#include "base/error.h"
#include "tests/test_helpers.h"

using namespace aafgan;
using namespace aafgan::data;
namespace fs = std::filesystem;
using aafgan::testing::TempDir;
using aafgan::testing::check_error;

namespace {

// An IDX file: magic (0, 0, type, rank), big-endian dimensions, then the values.
std::vector<uint8_t> idx_bytes(const std::vector<uint32_t>& dims, const std::vector<uint8_t>& values,
                               uint8_t type = 0x08) {
  std::vector<uint8_t> b = {0, 0, type, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<uint8_t>(d >> shift));
  b.insert(b.end(), values.begin(), values.end());
  return b;
}

std::vector<uint8_t> iota_bytes(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 7 + 3);
  return v;
}

void write_plain(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

void write_gz(const std::string& path, const std::vector<uint8_t>& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())) == static_cast<int>(bytes.size()));
  REQUIRE(gzclose(f) == Z_OK);
}

// The process's peak resident memory so far (KiB).
long peak_rss_kib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

}  // namespace

TEST_CASE("idx: reads a plain rank-3 file") {
  TempDir tmp("idx_plain");
  const std::string path = tmp.file("images-idx3-ubyte");
  const std::vector<uint8_t> values = iota_bytes(2 * 3 * 4);
  write_plain(path, idx_bytes({2, 3, 4}, values));
  const IdxArray a = read_idx_u8(path, 3);
  CHECK(a.dims == std::vector<int64_t>{2, 3, 4});
  CHECK(a.values == values);
}

TEST_CASE("idx: reads a gzip-compressed file") {
  TempDir tmp("idx_gz");
  const std::string path = tmp.file("labels-idx1-ubyte.gz");
  const std::vector<uint8_t> values = iota_bytes(300);  // over 255: the count needs two bytes
  write_gz(path, idx_bytes({300}, values));
  const IdxArray a = read_idx_u8(path, 1);
  CHECK(a.dims == std::vector<int64_t>{300});
  CHECK(a.values == values);
}

TEST_CASE("idx: an empty array is valid") {
  TempDir tmp("idx_empty");
  const std::string path = tmp.file("e");
  write_plain(path, idx_bytes({0, 28, 28}, {}));
  const IdxArray a = read_idx_u8(path, 3);
  CHECK(a.dims == std::vector<int64_t>{0, 28, 28});
  CHECK(a.values.empty());
}

TEST_CASE("idx: damaged files are errors that name the file") {
  TempDir tmp("idx_damaged");
  const std::string path = tmp.file("bad-idx-ubyte");
  const std::vector<uint8_t> good = idx_bytes({2, 3, 4}, iota_bytes(24));

  SUBCASE("truncated data") {
    write_plain(path, std::vector<uint8_t>(good.begin(), good.end() - 5));
    check_error([&] { read_idx_u8(path, 3); }, {path, "truncated", "24 values", "19"});
  }
  SUBCASE("a header promising 2^32 values in a few bytes") {
    // Found by fuzz/fuzz_idx: the reader used to allocate and zero what the header promised
    // before finding the data missing (4 GiB for these 23 bytes, plain or gzip).
    const std::vector<uint8_t> tiny = idx_bytes({65536, 256, 256}, {1, 2, 3});
    for (bool gz : {false, true}) {
      CAPTURE(gz);
      gz ? write_gz(path, tiny) : write_plain(path, tiny);
      const long peak_before = peak_rss_kib();
      // Plain: the file's size says it holds 3; gzip: its size says it cannot inflate to 2^32.
      check_error([&] { read_idx_u8(path, 3); }, {path, "truncated", "4294967296 values", gz ? "at most" : "holds 3"});
      CHECK(peak_rss_kib() - peak_before < 256 * 1024);
    }
  }
  SUBCASE("truncated data, gzip") {
    write_gz(path, std::vector<uint8_t>(good.begin(), good.end() - 1));
    check_error([&] { read_idx_u8(path, 3); }, {path, "truncated"});
  }
  SUBCASE("a cut-off gzip stream") {
    write_gz(path, good);
    std::vector<char> gz;
    {
      std::ifstream in(path, std::ios::binary);
      gz.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    gz.resize(gz.size() / 2);
    write_plain(path, std::vector<uint8_t>(gz.begin(), gz.end()));
    check_error([&] { read_idx_u8(path, 3); }, {path});
  }
  SUBCASE("truncated header") {
    write_plain(path, std::vector<uint8_t>(good.begin(), good.begin() + 10));
    check_error([&] { read_idx_u8(path, 3); }, {path, "truncated IDX header"});
  }
  SUBCASE("too short for a magic number") {
    write_plain(path, {0, 0});
    check_error([&] { read_idx_u8(path, 3); }, {path, "too short"});
  }
  SUBCASE("empty file") {
    write_plain(path, {});
    check_error([&] { read_idx_u8(path, 3); }, {path, "too short"});
  }
  SUBCASE("wrong magic") {
    std::vector<uint8_t> bad = good;
    bad[0] = 0x1f;
    bad[1] = 0x8c;
    write_plain(path, bad);
    check_error([&] { read_idx_u8(path, 3); }, {path, "wrong magic"});
  }
  SUBCASE("wrong element type") {
    write_plain(path, idx_bytes({2, 3, 4}, iota_bytes(24), 0x0D));  // 0x0D = float
    check_error([&] { read_idx_u8(path, 3); }, {path, "0x0d", "not unsigned byte"});
  }
  SUBCASE("wrong rank: a labels file where images are expected") {
    write_plain(path, idx_bytes({24}, iota_bytes(24)));
    check_error([&] { read_idx_u8(path, 3); }, {path, "1 dimensions, expected 3"});
  }
  SUBCASE("trailing bytes") {
    std::vector<uint8_t> bad = good;
    bad.push_back(0);
    bad.push_back(0);
    write_plain(path, bad);
    check_error([&] { read_idx_u8(path, 3); }, {path, "2 unexpected bytes"});
  }
  SUBCASE("dimensions whose product overflows: refused before any allocation") {
    write_plain(path, idx_bytes({0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}, {}));
    check_error([&] { read_idx_u8(path, 3); }, {path, "more than 4294967296 values"});
  }
  SUBCASE("a gzip that inflates far beyond its header stops at a bound") {
    std::vector<uint8_t> bomb = good;
    bomb.resize(bomb.size() + (size_t(8) << 20), 0);  // 8 MiB of zeros compress to a few KiB
    write_gz(path, bomb);
    check_error([&] { read_idx_u8(path, 3); }, {path, "more than 65536 unexpected bytes"});
  }
  SUBCASE("missing file") {
    const std::string missing = tmp.file("no-such-idx-ubyte");
    check_error([&] { read_idx_u8(missing, 3); }, {missing, "no such file"});
  }
}

TEST_CASE("idx: a FIFO is refused by type, without opening it") {
  // open() on a FIFO blocks until a writer comes: in a batch job, forever. The writer here only
  // exists to unblock a reader that did open it, so that such a reader fails this test instead
  // of hanging it.
  TempDir tmp("idx_fifo");
  const std::string path = tmp.file("train-images-idx3-ubyte");
  REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
  std::atomic<bool> done{false};
  std::thread unblocker([&] {
    while (!done.load()) {
      const int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK);  // ENXIO until a reader waits
      if (fd >= 0) {
        ::close(fd);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  check_error([&] { read_idx_u8(path, 3); }, {path, "is a FIFO, not a regular file"});
  done = true;
  unblocker.join();
}

TEST_CASE("idx: a character device is refused by type") {
  // /dev/zero would pass for an IDX header of zeros were it read; it has no size to bound it by.
  check_error([&] { read_idx_u8("/dev/zero", 3); }, {"/dev/zero", "is a character device, not a regular file"});
}

TEST_CASE("mnist: a 4 MB gzip declaring 1×65536×65536 images is refused from its header") {
  // Issue 22 row 4: the header was checked after the whole read, 19 s of inflating and 4.36 GB
  // resident for "images are 65536×65536". The file really holds its 2^32 values (zeros, as
  // concatenated gzip members, which zlib reads as one stream), so only reading the header first
  // can make this cheap.
  TempDir tmp("idx_mnist_huge");
  const std::string images = tmp.file("train-images-idx3-ubyte.gz");
  write_gz(images, idx_bytes({1, 65536, 65536}, {}));
  {
    const std::string zeros_gz = tmp.file("zeros.gz");
    write_gz(zeros_gz, std::vector<uint8_t>(size_t(16) << 20, 0));
    std::ifstream in(zeros_gz, std::ios::binary);
    const std::vector<char> member((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream out(images, std::ios::binary | std::ios::app);
    for (int i = 0; i < 256; ++i) out.write(member.data(), static_cast<std::streamsize>(member.size()));
  }
  write_gz(tmp.file("train-labels-idx1-ubyte.gz"), idx_bytes({1}, {3}));
  const long peak_before = peak_rss_kib();
  check_error([&] { load_mnist_split(tmp.dir(), "train"); }, {images, "images are 65536×65536", "at most 256×256"});
  CHECK(peak_rss_kib() - peak_before < 64 * 1024);
}

TEST_CASE("mnist: a header declaring more images than MNIST-format files hold is refused before reading") {
  TempDir tmp("idx_mnist_many");
  const std::string images = tmp.file("train-images-idx3-ubyte.gz");
  const uint32_t many = static_cast<uint32_t>(kMnistMaxImages) + 1;
  const std::string labels = tmp.file("train-labels-idx1-ubyte.gz");
  write_gz(images, idx_bytes({many, 28, 28}, {}));
  write_gz(labels, idx_bytes({many}, {}));
  for (const std::string& path : {images, labels}) {
    // Files large enough that their size alone could hold what the headers declare.
    std::ofstream out(path, std::ios::binary | std::ios::app);
    const std::vector<char> padding(size_t(1) << 20, 0);
    out.write(padding.data(), static_cast<std::streamsize>(padding.size()));
  }
  check_error([&] { load_mnist_split(tmp.dir(), "train"); }, {images, std::to_string(many) + " images", "at most"});
}

namespace {

// A split of `count` images of side rows × cols and the given labels, in `dir`.
void write_split(const std::string& dir, const std::string& split, uint32_t count, uint32_t rows, uint32_t cols,
                 const std::vector<uint8_t>& labels, bool gz = false) {
  const std::string images = dir + "/" + split + "-images-idx3-ubyte" + (gz ? ".gz" : "");
  const std::string label_file = dir + "/" + split + "-labels-idx1-ubyte" + (gz ? ".gz" : "");
  const auto image_bytes = idx_bytes({count, rows, cols}, iota_bytes(size_t{count} * rows * cols));
  const auto label_bytes = idx_bytes({static_cast<uint32_t>(labels.size())}, labels);
  if (gz) {
    write_gz(images, image_bytes);
    write_gz(label_file, label_bytes);
  } else {
    write_plain(images, image_bytes);
    write_plain(label_file, label_bytes);
  }
}

}  // namespace

TEST_CASE("mnist: load_mnist_split reads a tiny split") {
  TempDir tmp("idx_mnist_ok");
  bool gz = false;
  SUBCASE("plain") { gz = false; }
  SUBCASE("gzip") { gz = true; }
  write_split(tmp.dir(), "train", 3, 28, 28, {7, 0, 9}, gz);
  CHECK(has_mnist_split(tmp.dir(), "train"));
  CHECK_FALSE(has_mnist_split(tmp.dir(), "t10k"));
  const MnistSplit s = load_mnist_split(tmp.dir(), "train");
  CHECK(s.count == 3);
  CHECK(s.labels == std::vector<uint8_t>{7, 0, 9});
  CHECK(s.images == iota_bytes(3 * 784));
  CHECK(s.images_path.find("train-images-idx3-ubyte") != std::string::npos);
  CHECK((s.images_path.size() > 3 && s.images_path.substr(s.images_path.size() - 3) == ".gz") == gz);
  CHECK(s.height == 28);
  CHECK(s.width == 28);
  CHECK(s.first_label == 0);
  CHECK(s.classes == 10);
}

TEST_CASE("mnist: the image size comes from the header and the classes from the training labels") {
  TempDir tmp("idx_mnist_shape");
  // EMNIST letters: labels 1..26 (here 1, 5 and 26), so 26 classes with 'a' = class 0.
  write_split(tmp.dir(), "train", 3, 12, 9, {5, 1, 26}, true);
  write_split(tmp.dir(), "t10k", 2, 12, 9, {26, 2});
  const MnistFormat f = read_mnist_format(tmp.dir());
  CHECK(f.training_split == "train");
  CHECK(f.height == 12);
  CHECK(f.width == 9);
  CHECK(f.pixels() == 108);
  CHECK(f.first_label == 1);
  CHECK(f.classes == 26);
  const MnistSplit train = load_mnist_split(tmp.dir(), "train");
  CHECK(train.height == 12);
  CHECK(train.width == 9);
  CHECK(train.images == iota_bytes(3 * 108));
  CHECK(train.labels == std::vector<uint8_t>{4, 0, 25});
  CHECK(train.classes == 26);
  const MnistSplit test = load_mnist_split(tmp.dir(), "t10k");
  CHECK(test.labels == std::vector<uint8_t>{25, 1});
  CHECK(test.classes == 26);
  // With t10k alone, its labels decide.
  fs::remove(tmp.file("train-images-idx3-ubyte.gz"));
  const MnistFormat only_test = read_mnist_format(tmp.dir());
  CHECK(only_test.training_split == "t10k");
  CHECK(only_test.first_label == 2);
  CHECK(only_test.classes == 25);
}

TEST_CASE("mnist: load_mnist_split rejects inconsistent splits, naming the file") {
  TempDir tmp("idx_mnist_bad");
  const std::string images = tmp.file("train-images-idx3-ubyte");
  const std::string labels = tmp.file("train-labels-idx1-ubyte");

  SUBCASE("more images than labels") {
    write_split(tmp.dir(), "train", 3, 28, 28, {1, 2});
    check_error([&] { load_mnist_split(tmp.dir(), "train"); }, {images, "3 images", labels, "2 labels"});
  }
  SUBCASE("a test label that is not one of the training split's classes") {
    write_split(tmp.dir(), "train", 3, 28, 28, {1, 2, 3});
    write_split(tmp.dir(), "t10k", 3, 28, 28, {1, 11, 2});
    check_error([&] { load_mnist_split(tmp.dir(), "t10k"); },
                {tmp.file("t10k-labels-idx1-ubyte"), "label 11", "index 1", "train split's classes (labels 1..3)"});
  }
  SUBCASE("images larger than an MNIST-format file holds") {
    write_split(tmp.dir(), "train", 3, 257, 28, {1, 2, 3});
    check_error([&] { load_mnist_split(tmp.dir(), "train"); }, {images, "257×28", "at most 256×256"});
  }
  SUBCASE("images without pixels") {
    write_split(tmp.dir(), "train", 3, 0, 28, {1, 2, 3});
    check_error([&] { load_mnist_split(tmp.dir(), "train"); }, {images, "0×28", "no pixels"});
  }
  SUBCASE("a test split of another size than the training split") {
    write_split(tmp.dir(), "train", 3, 28, 28, {1, 2, 3});
    write_split(tmp.dir(), "t10k", 3, 27, 28, {1, 2, 3});
    check_error([&] { load_mnist_split(tmp.dir(), "train"); },
                {images, "28×28", tmp.file("t10k-images-idx3-ubyte"), "27×28", "of one size"});
  }
  SUBCASE("a training split without labels") {
    write_split(tmp.dir(), "train", 0, 28, 28, {});
    check_error([&] { load_mnist_split(tmp.dir(), "train"); }, {labels, "no labels"});
  }
  SUBCASE("images and labels swapped") {
    write_split(tmp.dir(), "train", 3, 28, 28, {1, 2, 3});
    fs::rename(images, tmp.file("x"));
    fs::rename(labels, images);
    fs::rename(tmp.file("x"), labels);
    check_error([&] { load_mnist_split(tmp.dir(), "train"); }, {images, "1 dimensions, expected 3"});
  }
  SUBCASE("the labels file is missing") {
    write_split(tmp.dir(), "train", 3, 28, 28, {1, 2, 3});
    fs::remove(labels);
    CHECK_FALSE(has_mnist_split(tmp.dir(), "train"));
    check_error([&] { load_mnist_split(tmp.dir(), "train"); }, {tmp.dir(), "train-labels-idx1-ubyte"});
  }
  SUBCASE("the folder is missing") {
    const std::string missing = tmp.file("nowhere");
    check_error([&] { load_mnist_split(missing, "train"); }, {missing, "does not exist"});
  }
}

TEST_CASE("mnist: the bundled t10k split loads with the known class counts") {
  const std::string dir = AAFGAN_FIXTURES_DIR "/../../data/mnist";
  REQUIRE(has_mnist_split(dir, "t10k"));
  const MnistSplit s = load_mnist_split(dir, "t10k");
  CHECK(s.count == 10000);
  CHECK(s.images.size() == size_t{10000} * kMnistPixels);
  CHECK(s.height == kMnistSide);
  CHECK(s.width == kMnistSide);
  CHECK(s.classes == kMnistClasses);
  REQUIRE(s.labels.size() == 10000);
  std::array<int, kMnistClasses> counts{};
  for (uint8_t l : s.labels) ++counts[l];
  CHECK(counts == std::array<int, kMnistClasses>{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009});
  // A real digit image uses the whole 0..255 range; all-zero data would mean a bad read.
  CHECK(*std::max_element(s.images.begin(), s.images.end()) == 255);
}
