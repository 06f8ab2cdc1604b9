// The data pipeline beside the engine: the per-epoch sample order (a pure function of seed and
// epoch, so resumed runs replay it), the background prefetcher, PNG files, sample grids and
// loss plots.
#include <doctest/doctest.h>


#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/file_size_limit.h"
#include "tests/optional_parts.h"
#include "tests/temp_dir.h"
#include "data/batch_order.h"
#include "data/image_grid.h"
#include "data/plot.h"
#include "data/png_writer.h"
#include "data/prefetcher.h"
#include "base/error.h"

using namespace aafgan;
using namespace aafgan::data;
namespace fs = std::filesystem;
using aafgan::testing::TempDir;

namespace {

bool is_permutation_of_iota(const std::vector<int64_t>& p) {
  std::vector<int64_t> sorted = p;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i)
    if (sorted[i] != static_cast<int64_t>(i)) return false;
  return true;
}

}  // namespace

// ---------------------------------------------------------------- epoch_permutation

TEST_CASE("permutation: every epoch order is a permutation of 0..n-1") {
  for (int64_t n : {0, 1, 2, 3, 10, 100, 10007}) {
    const auto p = epoch_permutation(n, 1234, 3);
    CHECK(static_cast<int64_t>(p.size()) == n);
    CHECK(is_permutation_of_iota(p));
  }
}

TEST_CASE("permutation: a pure function of (seed, epoch)") {
  CHECK(epoch_permutation(1000, 42, 7) == epoch_permutation(1000, 42, 7));
  CHECK(epoch_permutation(1000, 42, 7) != epoch_permutation(1000, 42, 8));
  CHECK(epoch_permutation(1000, 42, 7) != epoch_permutation(1000, 43, 7));
  CHECK(epoch_permutation(1000, 42, 0) != epoch_permutation(1000, uint64_t{42} + (uint64_t{1} << 32), 0));
  // Epochs far apart draw from disjoint counter ranges too.
  CHECK(epoch_permutation(1000, 42, 1) != epoch_permutation(1000, 42, (int64_t{1} << 32) - 1));
  // The order must not depend on anything that varies between runs or machines: it is
  // pinned here so that a change to the algorithm (which would make resumed runs of old
  // checkpoints see different batches) is a deliberate decision.
  const std::vector<int64_t> pinned = epoch_permutation(10, 42, 0);
  CHECK(pinned == std::vector<int64_t>{6, 8, 1, 2, 7, 9, 5, 0, 3, 4});
}

TEST_CASE("permutation: rejects negative sizes and epochs") {
  CHECK_THROWS_AS(epoch_permutation(-1, 1, 0), Error);
  CHECK_THROWS_AS(epoch_permutation(10, 1, -1), Error);
}

TEST_CASE("permutation: all orders of 4 items are equally likely") {
  // 24 orders × 1000 expected draws each; Fisher–Yates with a biased bounded draw (plain
  // modulo, or j in [0, n) instead of [0, i]) fails this.
  constexpr int kDraws = 24000;
  std::map<std::vector<int64_t>, int> seen;
  for (int k = 0; k < kDraws; ++k) ++seen[epoch_permutation(4, 1000 + k / 8, k % 8)];
  REQUIRE(seen.size() == 24);
  double chi2 = 0;
  for (const auto& [order, count] : seen) chi2 += std::pow(count - 1000.0, 2) / 1000.0;
  INFO("chi2 = " << chi2);
  CHECK(chi2 < 49.7);  // 23 degrees of freedom, p = 0.001
}

TEST_CASE("permutation: the first position is uniform for a larger n") {
  constexpr int kN = 50, kDraws = 20000;
  std::vector<int> first(kN, 0), last(kN, 0);
  for (int s = 0; s < kDraws; ++s) {
    const auto p = epoch_permutation(kN, static_cast<uint64_t>(s) * 7919, 1);
    ++first[static_cast<size_t>(p.front())];
    ++last[static_cast<size_t>(p.back())];
  }
  const double expected = static_cast<double>(kDraws) / kN;
  double chi2_first = 0, chi2_last = 0;
  for (int i = 0; i < kN; ++i) {
    chi2_first += std::pow(first[static_cast<size_t>(i)] - expected, 2) / expected;
    chi2_last += std::pow(last[static_cast<size_t>(i)] - expected, 2) / expected;
  }
  INFO("chi2 first = " << chi2_first << ", last = " << chi2_last);
  CHECK(chi2_first < 85.4);  // 49 degrees of freedom, p = 0.001
  CHECK(chi2_last < 85.4);
}

// ---------------------------------------------------------------- Prefetcher

namespace {

struct TestBatch {
  int64_t index = -1;
  std::vector<int> data;
};

void fill_batch(int64_t i, TestBatch& b) {
  b.index = i;
  b.data.assign(64, static_cast<int>(i));
}

}  // namespace

TEST_CASE("prefetch: delivers every batch once, in order, reusing the ring's buffers") {
  for (int depth : {1, 2, 3}) {
    CAPTURE(depth);
    std::atomic<int64_t> max_filled{-1};
    Prefetcher<TestBatch> pf(
        200,
        [&](int64_t i, TestBatch& b) {
          fill_batch(i, b);
          max_filled = i;
        },
        depth);
    std::set<const TestBatch*> buffers;
    TestBatch* b = nullptr;
    int64_t expected = 0;
    while (pf.next(b)) {
      REQUIRE(b != nullptr);
      CHECK(b->index == expected);
      CHECK(b->data == std::vector<int>(64, static_cast<int>(expected)));
      // The producer never runs ahead of the buffers it may overwrite.
      CHECK(max_filled.load() < expected + depth);
      buffers.insert(b);
      if (expected % 17 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));  // a slow consumer
      ++expected;
    }
    CHECK(b == nullptr);
    CHECK(expected == 200);
    CHECK(buffers.size() == static_cast<size_t>(depth));
    CHECK_FALSE(pf.next(b));  // stays finished
  }
}

TEST_CASE("prefetch: a slow producer and an empty epoch") {
  SUBCASE("slow producer") {
    Prefetcher<TestBatch> pf(5, [](int64_t i, TestBatch& b) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      fill_batch(i, b);
    });
    TestBatch* b = nullptr;
    for (int64_t i = 0; i < 5; ++i) {
      REQUIRE(pf.next(b));
      CHECK(b->index == i);
    }
    CHECK_FALSE(pf.next(b));
  }
  SUBCASE("zero batches") {
    bool called = false;
    Prefetcher<TestBatch> pf(0, [&](int64_t, TestBatch&) { called = true; });
    TestBatch* b = nullptr;
    CHECK_FALSE(pf.next(b));
    CHECK_FALSE(called);
  }
}

TEST_CASE("prefetch: an exception in the fill function reaches the consumer in order") {
  Prefetcher<TestBatch> pf(10, [](int64_t i, TestBatch& b) {
    if (i == 4) throw Error("cannot decode image 4");
    fill_batch(i, b);
  });
  TestBatch* b = nullptr;
  for (int64_t i = 0; i < 4; ++i) {
    REQUIRE(pf.next(b));
    CHECK(b->index == i);
  }
  CHECK_THROWS_WITH_AS(pf.next(b), "cannot decode image 4", Error);
  CHECK(b == nullptr);
  CHECK_THROWS_AS(pf.next(b), Error);  // the failure is not forgotten
}

TEST_CASE("prefetch: a non-aafgan exception keeps its type") {
  Prefetcher<TestBatch> pf(3, [](int64_t, TestBatch&) { throw std::out_of_range("index"); });
  TestBatch* b = nullptr;
  CHECK_THROWS_AS(pf.next(b), std::out_of_range);
}

TEST_CASE("prefetch: destroyed mid-epoch, it stops without finishing the epoch") {
  std::atomic<int64_t> fills{0};
  SUBCASE("producer waiting for a free buffer") {
    {
      Prefetcher<TestBatch> pf(1000000, [&](int64_t i, TestBatch& b) {
        fill_batch(i, b);
        ++fills;
      });
      TestBatch* b = nullptr;
      REQUIRE(pf.next(b));
      REQUIRE(pf.next(b));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // let it fill the ring
    }
    CHECK(fills.load() <= 2 + 3);
  }
  SUBCASE("producer inside a slow fill") {
    {
      Prefetcher<TestBatch> pf(1000000, [&](int64_t i, TestBatch& b) {
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        fill_batch(i, b);
        ++fills;
      });
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    CHECK(fills.load() <= 1);
  }
  SUBCASE("never consumed") {
    { Prefetcher<TestBatch> pf(50, [&](int64_t i, TestBatch& b) { fill_batch(i, b), ++fills; }); }
    CHECK(fills.load() <= 3);
  }
}

TEST_CASE("prefetch: rejects bad arguments") {
  CHECK_THROWS_AS(Prefetcher<TestBatch>(-1, fill_batch), Error);
  CHECK_THROWS_AS(Prefetcher<TestBatch>(5, fill_batch, 0), Error);
  CHECK_THROWS_AS(Prefetcher<TestBatch>(5, nullptr), Error);
}

// ---------------------------------------------------------------- PNG

TEST_CASE("png: write_png and read_png round trip gray and RGB") {
  TempDir tmp("data_png");
  for (int channels : {1, 3}) {
    CAPTURE(channels);
    const int w = 37, h = 23;  // odd sizes catch row-stride mistakes
    std::vector<uint8_t> pixels(static_cast<size_t>(w) * h * channels);
    for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>((i * 131 + i / 7) & 0xFF);
    const std::string path = tmp.file("img" + std::to_string(channels) + ".png");
    write_png(path, w, h, channels, pixels.data());
    const Image back = read_png(path);
    CHECK(back.width == w);
    CHECK(back.height == h);
    CHECK(back.channels == channels);
    CHECK(back.pixels == pixels);
  }
}

TEST_CASE("png: write_png replaces an existing file") {
  TempDir tmp("data_png_replace");
  const std::string path = tmp.file("a.png");
  const std::vector<uint8_t> black(4 * 4, 0), white(2 * 3 * 3, 255);
  write_png(path, 4, 4, 1, black.data());
  write_png(path, Image{2, 3, 3, white});
  const Image back = read_png(path);
  CHECK(back.width == 2);
  CHECK(back.height == 3);
  CHECK(back.pixels == white);
}

TEST_CASE("png: a write that fails (full disk) leaves the previous image whole and no temporary") {
  TempDir tmp("data_png_full");
  const std::string path = tmp.file("1.png");
  const std::vector<uint8_t> small(4 * 4, 9);
  std::vector<uint8_t> big(64 * 64 * 3);
  std::mt19937 rng(7);
  for (uint8_t& v : big) v = static_cast<uint8_t>(rng() >> 24);  // incompressible: the PNG stays > 12 KB
  write_png(path, 4, 4, 1, small.data());
  std::string message;
  try {
    const aafgan::testing::FileSizeLimit full_disk(1024);
    write_png(path, 64, 64, 3, big.data());
  } catch (const Error& e) {
    message = e.what();
  }
  CHECK(message.find("1.png") != std::string::npos);
  const Image back = read_png(path);
  CHECK(back.width == 4);
  CHECK(back.pixels == small);
  int files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(tmp.path())) ++files;
  CHECK(files == 1);
}

TEST_CASE("png: errors name the path") {
  TempDir tmp("data_png_errors");
  const std::vector<uint8_t> px(16, 7);
  const std::string in_missing_dir = tmp.file("no/such/folder/a.png");
  try {
    write_png(in_missing_dir, 4, 4, 1, px.data());
    FAIL("writing into a missing folder did not throw");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find(in_missing_dir) != std::string::npos);
  }
  CHECK_THROWS_AS(write_png(tmp.file("a.png"), 4, 4, 2, px.data()), Error);
  CHECK_THROWS_AS(write_png(tmp.file("a.png"), Image{4, 4, 3, px}), Error);  // too few bytes
  CHECK_FALSE(fs::exists(tmp.file("a.png")));

  const std::string missing = tmp.file("missing.png");
  try {
    read_png(missing);
    FAIL("reading a missing file did not throw");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find(missing) != std::string::npos);
  }
  const std::string not_png = tmp.file("not.png");
  { std::ofstream(not_png) << "this is not a PNG file"; }
  try {
    read_png(not_png);
    FAIL("reading a non-PNG did not throw");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find(not_png) != std::string::npos);
  }
}

namespace {

// A valid 2×2 gray PNG at `path` whose IHDR then claims width × height (CRC fixed up).
void write_png_claiming(const std::string& path, uint32_t width, uint32_t height) {
  write_png(path, Image{2, 2, 1, std::vector<uint8_t>(4, 7)});
  std::vector<unsigned char> bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  // IHDR follows the 8-byte signature: length (4), "IHDR" (4), width (4), height (4), …, CRC.
  REQUIRE(bytes.size() > 33);
  REQUIRE(std::string(bytes.begin() + 12, bytes.begin() + 16) == "IHDR");
  for (int k = 0; k < 2; ++k) {
    const uint32_t v = k == 0 ? width : height;
    for (int b = 0; b < 4; ++b) bytes[static_cast<size_t>(16 + 4 * k + b)] = static_cast<unsigned char>(v >> (24 - 8 * b));
  }
  const uint32_t crc = static_cast<uint32_t>(crc32(0, bytes.data() + 12, 17));  // type + 13 data bytes
  for (int b = 0; b < 4; ++b) bytes[static_cast<size_t>(29 + b)] = static_cast<unsigned char>(crc >> (24 - 8 * b));
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

TEST_CASE("png: a header asking for a huge image is refused before any allocation") {
  TempDir tmp("png_huge");
  const std::string path = tmp.file("huge.png");
  write_png_claiming(path, 100000, 100000);  // 10^10 pixels
  try {
    read_png(path);
    FAIL("a 100000×100000 PNG header was accepted");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("100000×100000 pixels is too large") != std::string::npos);
  }
}

TEST_CASE("png: a chunk declaring more bytes than the file holds is refused before libpng allocates them") {
  // Found by fuzz/fuzz_png (fuzz/corpus/png/crash-pcal-chunk-declaring-1.9GB.png): libpng
  // allocated an ancillary chunk's declared length, 1.9 GB for a 50-byte file, before reading it.
  TempDir tmp("png_chunk");
  const std::string path = tmp.file("chunk.png");
  write_png(path, Image{2, 2, 1, std::vector<uint8_t>(4, 7)});
  std::vector<char> bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  // After the signature (8) and IHDR (25): a tEXt chunk header claiming 0x70000000 bytes.
  const char chunk[8] = {0x70, 0, 0, 0, 't', 'E', 'X', 't'};
  bytes.insert(bytes.begin() + 33, chunk, chunk + 8);
  {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  try {
    read_png(path);
    FAIL("a chunk longer than the file was accepted");
  } catch (const Error& e) {
    INFO(std::string(e.what()));
    CHECK(std::string(e.what()).find("chunk 'tEXt' at byte 33 declares 1879048192 bytes") != std::string::npos);
  }
}

TEST_CASE("png: a file too short for the image its header declares is refused before any allocation") {
  // Found by fuzz/fuzz_png: 16384 × 16384 is within the pixel cap, but a file of a few dozen
  // bytes cannot hold it (deflate compresses at most ~1032:1); it used to cost 256 MiB per read.
  TempDir tmp("png_short");
  const std::string path = tmp.file("short.png");
  write_png_claiming(path, 16384, 16384);
  try {
    read_png(path);
    FAIL("a 16384×16384 PNG of a few bytes was accepted");
  } catch (const Error& e) {
    INFO(std::string(e.what()));
    CHECK(std::string(e.what()).find("truncated: 16384×16384 pixels need at least") != std::string::npos);
  }
  // An image that small and flat compresses to well under its bound, and still reads.
  const Image flat{512, 512, 1, std::vector<uint8_t>(512 * 512, 9)};
  write_png(path, flat);
  CHECK(read_png(path).pixels == flat.pixels);
}

// ---------------------------------------------------------------- make_grid

namespace {

// Image k of a 2×3 (h×w) batch holds value k/10 - 0.9 everywhere, channel c adds c * 0.5
// so the channels differ too.
std::vector<float> numbered_images(int n, int channels, int h, int w) {
  std::vector<float> v(static_cast<size_t>(n) * channels * h * w);
  for (int k = 0; k < n; ++k)
    for (int c = 0; c < channels; ++c)
      for (int i = 0; i < h * w; ++i)
        v[((static_cast<size_t>(k) * channels + c) * h * w) + i] = static_cast<float>(k / 10.0 - 0.9 + c * 0.5);
  return v;
}

// Rounded from the float the image holds: -0.4 is 76.5 in double but just under it in float.
uint8_t expected_byte(double v) {
  const double f = static_cast<float>(v);
  return static_cast<uint8_t>(std::lround((std::clamp(f, -1.0, 1.0) + 1) * 127.5));
}

uint8_t at(const Image& img, int x, int y, int c = 0) {
  return img.pixels[(static_cast<size_t>(y) * img.width + x) * img.channels + c];
}

}  // namespace

TEST_CASE("grid: make_grid places image k in its cell, row- or column-major") {
  const int n = 5, h = 2, w = 3, rows = 2, cols = 3, scale = 4, pad = 2;
  for (int channels : {1, 3}) {
    const std::vector<float> images = numbered_images(n, channels, h, w);
    for (bool column_major : {false, true}) {
      CAPTURE(channels);
      CAPTURE(column_major);
      const Image g = make_grid(images.data(), n, channels, h, w, rows, cols, scale, pad, column_major, 77);
      CHECK(g.width == cols * w * scale + (cols + 1) * pad);
      CHECK(g.height == rows * h * scale + (rows + 1) * pad);
      CHECK(g.channels == channels);
      REQUIRE(g.pixels.size() == static_cast<size_t>(g.width) * g.height * channels);
      for (int k = 0; k < rows * cols; ++k) {
        const int row = column_major ? k % rows : k / cols, col = column_major ? k / rows : k % cols;
        const int x0 = pad + col * (w * scale + pad), y0 = pad + row * (h * scale + pad);
        for (int c = 0; c < channels; ++c) {
          const uint8_t want = k < n ? expected_byte(k / 10.0 - 0.9 + c * 0.5) : 77;  // cell k ≥ n stays empty
          // Every pixel of the enlarged cell, and the padding just outside it.
          bool all = true;
          for (int y = y0; y < y0 + h * scale; ++y)
            for (int x = x0; x < x0 + w * scale; ++x) all = all && at(g, x, y, c) == want;
          CHECK_MESSAGE(all, "cell " << k << " channel " << c);
          CHECK(at(g, x0 - 1, y0, c) == 77);
          CHECK(at(g, x0 + w * scale, y0 + h * scale, c) == 77);
        }
      }
    }
  }
}

TEST_CASE("grid: nearest-neighbour scaling keeps each source pixel as a block") {
  // One 2×2 image with four distinct values, scaled 3×, no padding.
  const std::vector<float> img = {-1.0f, -0.5f, 0.5f, 1.0f};
  const Image g = make_grid(img.data(), 1, 1, 2, 2, 1, 1, 3, 0, false);
  REQUIRE(g.width == 6);
  REQUIRE(g.height == 6);
  for (int y = 0; y < 6; ++y)
    for (int x = 0; x < 6; ++x) CHECK(at(g, x, y) == expected_byte(img[static_cast<size_t>((y / 3) * 2 + x / 3)]));
}

TEST_CASE("grid: values are clamped and rounded, NaN is black") {
  const std::vector<float> img = {-7.0f, -1.0f, 0.0f, 1.0f, 3.5f, NAN, INFINITY, -INFINITY, 0.001f};
  const Image g = make_grid(img.data(), 1, 1, 1, 9, 1, 1, 1, 0, false);
  const std::vector<uint8_t> want = {0, 0, 128, 255, 255, 0, 255, 0, 128};
  CHECK(g.pixels == want);
}

TEST_CASE("grid: the MNIST layout, 30 samples in 3 rows × 10 class columns") {
  std::vector<float> images(30 * 28 * 28);
  for (int k = 0; k < 30; ++k)
    std::fill_n(images.begin() + k * 784, 784, static_cast<float>((k / 3) / 9.0 * 2 - 1));  // class k / 3
  const Image g = make_grid(images.data(), 30, 1, 28, 28, 3, 10, 2, 2, true);
  CHECK(g.width == 10 * 56 + 11 * 2);
  CHECK(g.height == 3 * 56 + 4 * 2);
  for (int cls = 0; cls < 10; ++cls)
    for (int r = 0; r < 3; ++r) CHECK(at(g, 2 + cls * 58 + 10, 2 + r * 58 + 10) == expected_byte(cls / 9.0 * 2 - 1));
}

TEST_CASE("grid: rejects impossible layouts") {
  const std::vector<float> images(7 * 4, 0.0f);
  CHECK_THROWS_AS(make_grid(images.data(), 7, 1, 2, 2, 2, 3, 1, 0, false), Error);  // 7 > 6 cells
  CHECK_THROWS_AS(make_grid(images.data(), 1, 2, 2, 2, 1, 1, 1, 0, false), Error);  // 2 channels
  CHECK_THROWS_AS(make_grid(images.data(), 1, 1, 2, 2, 1, 1, 0, 0, false), Error);  // scale 0
}

// ---------------------------------------------------------------- plot

namespace {

size_t count_color(const Image& img, uint8_t r, uint8_t g, uint8_t b) {
  size_t n = 0;
  for (size_t i = 0; i + 2 < img.pixels.size(); i += 3)
    n += img.pixels[i] == r && img.pixels[i + 1] == g && img.pixels[i + 2] == b;
  return n;
}

// The title's ink in a 300×200 plot without curves: its top 32 rows hold the title and nothing else.
struct Ink {
  int top = -1, bottom = -1;
  size_t pixels = 0;
  std::vector<uint8_t> region;
};

Ink title_ink(const std::string& title) {
  PlotOptions opt;
  opt.width = 300;
  opt.height = 200;
  const Image img = render_plot(title, {}, "", opt);
  Ink ink;
  ink.region.assign(img.pixels.begin(), img.pixels.begin() + 32 * img.width * 3);
  for (int y = 0; y < 32; ++y)
    for (int x = 0; x < img.width * 3; ++x)
      if (img.pixels[(static_cast<size_t>(y) * img.width) * 3 + x] < 200) {
        if (ink.top < 0) ink.top = y;
        ink.bottom = y;
        ++ink.pixels;
      }
  return ink;
}

}  // namespace

TEST_CASE("plot: plot_series writes a PNG of the requested size with every curve") {
  AAFGAN_REQUIRE_PLOTS_OR_SKIP();
  TempDir tmp("data_plot");
  std::vector<double> d_loss, g_loss;
  for (int i = 0; i < 50; ++i) {
    d_loss.push_back(1.4 * std::exp(-i / 15.0) + 0.3);
    g_loss.push_back(0.7 + 0.02 * i + 0.1 * std::sin(i));
  }
  const std::string path = tmp.file("losses.png");
  PlotOptions opt;
  opt.width = 640;
  opt.height = 400;
  plot_series(path, "BHSA default losses", {{"D loss", d_loss, 220, 30, 30}, {"G loss", g_loss, 30, 60, 220}},
              "epoch", opt);
  CHECK_FALSE(fs::exists(path + ".tmp"));
  const Image img = read_png(path);
  CHECK(img.width == 640);
  CHECK(img.height == 400);
  CHECK(img.channels == 3);
  const size_t white = count_color(img, 255, 255, 255), total = img.pixels.size() / 3;
  CHECK(white < total);         // not blank
  CHECK(white > total / 2);     // but mostly background
  CHECK(count_color(img, 220, 30, 30) > 100);  // each curve's solid core is drawn
  CHECK(count_color(img, 30, 60, 220) > 100);
  CHECK(count_color(img, 0, 0, 0) > 200);  // axes and text
}

TEST_CASE("plot: degenerate data still plots") {
  AAFGAN_REQUIRE_PLOTS_OR_SKIP();
  PlotOptions opt;
  opt.width = 300;
  opt.height = 200;
  SUBCASE("a single point") {
    const Image img = render_plot("one", {{"x", {0.5}, 0, 150, 0}}, "epoch", opt);
    CHECK(img.width == 300);
    CHECK(count_color(img, 0, 150, 0) > 5);
  }
  SUBCASE("non-finite values are skipped") {
    const Image img = render_plot("gaps", {{"x", {NAN, 1.0, INFINITY, 2.0, 3.0, -INFINITY}, 0, 150, 0}}, "", opt);
    CHECK(count_color(img, 0, 150, 0) > 5);
  }
  SUBCASE("a constant series, an all-NaN series and no series at all") {
    CHECK(count_color(render_plot("flat", {{"x", {2, 2, 2}, 0, 150, 0}}, "it", opt), 0, 150, 0) > 20);
    CHECK_NOTHROW(render_plot("nan", {{"x", {NAN, NAN}, 0, 150, 0}}, "it", opt));
    CHECK_NOTHROW(render_plot("none", {}, "it", opt));
  }
  SUBCASE("tiny and huge values") {
    CHECK_NOTHROW(render_plot("tiny", {{"x", {1e-9, 3e-9}, 0, 150, 0}}, "it", opt));
    CHECK_NOTHROW(render_plot("huge", {{"x", {-4e12, 1e13}, 0, 150, 0}}, "it", opt));
    CHECK_NOTHROW(render_plot("extreme", {{"x", {-1.7e308, 1.0, 1.7e308, 2.0}, 0, 150, 0}}, "it", opt));
  }
  CHECK_THROWS_AS(render_plot("small", {}, "", PlotOptions{50, 50}), Error);
}

TEST_CASE("plot: text is drawn in a real font") {
  AAFGAN_REQUIRE_PLOTS_OR_SKIP();
  // DejaVu Sans where fonts-dejavu-core is installed (tools/setup.sh); Cairo's built-in fallback passes too.
  const Ink title = title_ink("losses per epoch (output_Dis_BHAA seed 0)");
  CHECK(title.pixels > 300);
  // The old 5×7 font drew every character it lacked as "?".
  const std::string chars = "()[]{}<>!?#&*gs";
  std::vector<Ink> glyphs;
  for (char c : chars) glyphs.push_back(title_ink(std::string(1, c)));
  for (size_t i = 0; i < chars.size(); ++i) {
    CAPTURE(chars[i]);
    CHECK(std::none_of(glyphs.begin(), glyphs.begin() + i, [&](const Ink& g) { return g.region == glyphs[i].region; }));
  }
  // ... and had no descenders, so "g" read like "s": real glyphs reach below the baseline.
  const Ink s = title_ink("s");
  CHECK(s.pixels > 10);
  CHECK(title_ink("g").bottom > s.bottom + 1);
  CHECK(title_ink("(").bottom > s.bottom + 1);
  CHECK(title_ink("(").top < s.top - 1);
}

TEST_CASE("plot: identical inputs give identical pixels") {
  AAFGAN_REQUIRE_PLOTS_OR_SKIP();
  // The fault-injection test compares the losses.png of a resumed run with an uninterrupted one's.
  const std::vector<Series> series{{"d_loss", {1.2, 0.9, NAN, 0.7, 0.65}, 200, 40, 40},
                                   {"g_loss", {0.8, 1.1, 1.3, 1.2, 1.4}, 40, 90, 200}};
  const Image a = render_plot("losses per epoch (run seed 0)", series, "epoch");
  const Image b = render_plot("losses per epoch (run seed 0)", series, "epoch");
  CHECK(a.pixels == b.pixels);
}
