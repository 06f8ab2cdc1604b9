// The image-dataset layer of the CelebA DCGAN app: JPEG decoding with DCT scaling, the crop and
// antialiased resize, the CelebA / folder / MNIST / fake loaders on files made here, corrupt
// files, and the --cache file. Every failure a user's data can cause ends in an aafgan::Error
// that names the file and says what was expected.
#include <doctest/doctest.h>

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "data/celeba.h"
#include "data/fake_images.h"
#include "data/image_cache.h"
#include "data/image_dataset.h"
#include "data/image_folder.h"
#include "data/image_preprocess.h"
#include "data/image_resize.h"
#include "data/jpeg_decode.h"
#include "data/jpeg_encode.h"
#include "data/mnist_resized.h"
#include "data/png_writer.h"
#include "base/error.h"
#include "tests/temp_dir.h"
#include "tests/test_helpers.h"

using namespace aafgan;
using namespace aafgan::data;
namespace fs = std::filesystem;
using aafgan::testing::TempDir;
using aafgan::testing::check_error;

namespace {

using Rgb = std::array<int, 3>;

constexpr int kCelebaW = 178, kCelebaH = 218;
const Rgb kBorder = {255, 0, 0};

// The colour inside the crop of CelebA-like image k (1-based).
Rgb inside_colour(int k) { return {10 + 20 * k, 200 - 15 * k, 60 + 7 * k}; }

// A w × h RGB image of one colour, with rows [0, top) and [h - bottom, h) in `border`.
std::vector<uint8_t> banded_image(int w, int h, Rgb inside, int top, int bottom, Rgb border) {
  std::vector<uint8_t> px(static_cast<size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y) {
    const Rgb& c = (y < top || y >= h - bottom) ? border : inside;
    for (int x = 0; x < w; ++x)
      for (int ch = 0; ch < 3; ++ch) px[(static_cast<size_t>(y) * w + x) * 3 + ch] = static_cast<uint8_t>(c[ch]);
  }
  return px;
}

// A smooth colour gradient with a little texture: realistic enough for DCT-scaling comparisons.
std::vector<uint8_t> smooth_image(int w, int h, int seed) {
  std::vector<uint8_t> px(static_cast<size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const double v = 0.5 + 0.25 * std::sin(0.05 * x + seed) + 0.2 * std::cos(0.04 * y - seed);
      px[(static_cast<size_t>(y) * w + x) * 3 + 0] = static_cast<uint8_t>(255 * v);
      px[(static_cast<size_t>(y) * w + x) * 3 + 1] = static_cast<uint8_t>(255 * (1 - v));
      px[(static_cast<size_t>(y) * w + x) * 3 + 2] = static_cast<uint8_t>((x * 3 + y * 2 + seed * 17) % 256 / 2 + 64);
    }
  return px;
}

JpegEncodeOptions sharp() {
  JpegEncodeOptions o;
  o.quality = 98;
  o.subsample_chroma = false;
  return o;
}

// DIR/img_align_celeba/000001.jpg … 0000NN.jpg (178×218, a red band above and below the
// 178×178 centre crop, colour inside_colour(k) inside) and the split file: the first 8
// train, the next 2 valid, the rest test.
void write_celeba(const std::string& dir, int n = 12) {
  fs::create_directories(fs::path(dir) / "img_align_celeba");
  std::ofstream list(fs::path(dir) / "list_eval_partition.txt");
  for (int k = 1; k <= n; ++k) {
    const std::string name = fmt::format("{:06d}.jpg", k);
    const auto px = banded_image(kCelebaW, kCelebaH, inside_colour(k), 20, 20, kBorder);
    write_jpeg((fs::path(dir) / "img_align_celeba" / name).string(), kCelebaW, kCelebaH, 3, px.data(), sharp());
    list << name << " " << (k <= 8 ? 0 : k <= 10 ? 1 : 2) << "\n";
  }
}

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// Largest |pixel - colour| over image i of a planar RGB dataset.
int max_deviation(const ImageDataset& ds, int64_t i, Rgb colour) {
  const size_t plane = static_cast<size_t>(ds.size) * ds.size;
  const uint8_t* img = ds.image(i);
  int worst = 0;
  for (int c = 0; c < 3; ++c)
    for (size_t p = 0; p < plane; ++p) worst = std::max(worst, std::abs(int(img[c * plane + p]) - colour[c]));
  return worst;
}

// The largest share of `border` in any pixel of image i: the projection of (pixel - inside)
// onto (border - inside), 0 for the inside colour, 1 for the border colour. Ringing of JPEG's
// DCT moves pixels away from both colours and gives negative shares.
double max_border_share(const ImageDataset& ds, int64_t i, Rgb inside, Rgb border) {
  const size_t plane = static_cast<size_t>(ds.size) * ds.size;
  const uint8_t* img = ds.image(i);
  double norm = 0;
  for (int c = 0; c < 3; ++c) norm += double(border[c] - inside[c]) * (border[c] - inside[c]);
  double worst = -1;
  for (size_t p = 0; p < plane; ++p) {
    double dot = 0;
    for (int c = 0; c < 3; ++c) dot += double(img[c * plane + p] - inside[c]) * (border[c] - inside[c]);
    worst = std::max(worst, dot / norm);
  }
  return worst;
}

std::vector<uint8_t> dataset_bytes(const ImageDataset& ds) { return std::vector<uint8_t>(ds.data(), ds.data() + ds.bytes()); }

ImageLoadOptions with_threads(int threads) {
  ImageLoadOptions o;
  o.threads = threads;
  return o;
}

}  // namespace

// ---------------------------------------------------------------- resize

TEST_CASE("images: resize halves with the antialiasing triangle filter") {
  // PIL's BILINEAR at a 2x reduction: weights 1/8 3/8 3/8 1/8, renormalised at the edges.
  // PIL: Image.frombytes("L", (8, 1), row).resize((4, 1), Image.BILINEAR) gives the same.
  const std::vector<uint8_t> row = {0, 0, 0, 0, 255, 255, 255, 255};
  const auto out = resize_to_planar(row.data(), 8, 1, 1, full_box(8, 1), 4, 1);
  CHECK(out == std::vector<uint8_t>{0, 32, 223, 255});
}

TEST_CASE("images: resize enlarges with plain bilinear interpolation") {
  // As PIL's Image.resize((4, 1), Image.BILINEAR).
  const std::vector<uint8_t> row = {0, 255};
  const auto out = resize_to_planar(row.data(), 2, 1, 1, full_box(2, 1), 4, 1);
  CHECK(out == std::vector<uint8_t>{0, 64, 191, 255});
}

TEST_CASE("images: resize never reads outside the crop box") {
  const std::vector<uint8_t> row = {255, 255, 0, 0, 0, 0, 255, 255};
  CHECK(resize_to_planar(row.data(), 8, 1, 1, CropBox{2, 0, 6, 1}, 2, 1) == std::vector<uint8_t>{0, 0});
  CHECK(resize_to_planar(row.data(), 8, 1, 1, CropBox{2, 0, 6, 1}, 7, 1) == std::vector<uint8_t>(7, 0));
}

TEST_CASE("images: resize writes planar channels and keeps a uniform image uniform") {
  const auto px = banded_image(50, 30, {12, 34, 250}, 0, 0, {0, 0, 0});
  const auto out = resize_to_planar(px.data(), 50, 30, 3, center_square_box(50, 30), 17, 17);
  REQUIRE(out.size() == 3u * 17 * 17);
  for (int c = 0; c < 3; ++c)
    for (int p = 0; p < 17 * 17; ++p) CHECK(out[static_cast<size_t>(c * 17 * 17 + p)] == std::array<int, 3>{12, 34, 250}[c]);
}

TEST_CASE("images: centre square boxes") {
  const CropBox b = center_square_box(kCelebaW, kCelebaH);
  CHECK(b.x0 == 0);
  CHECK(b.x1 == 178);
  CHECK(b.y0 == 20);
  CHECK(b.y1 == 198);
  const CropBox w = center_square_box(300, 200);
  CHECK(w.x0 == 50);
  CHECK(w.x1 == 250);
  CHECK(w.y0 == 0);
  CHECK(w.y1 == 200);
  const CropBox s = scale_box(b, 0.5);
  CHECK(s.y0 == 10);
  CHECK(s.y1 == 99);
}

TEST_CASE("images: a bad crop box is an error") {
  const std::vector<uint8_t> px(16, 0);
  check_error([&] { ResizePlan(4, 4, CropBox{0, 0, 5, 4}, 2, 2); }, {"crop box", "4×4"});
  check_error([&] { ResizePlan(4, 4, CropBox{1, 1, 1, 3}, 2, 2); }, {"empty"});
}

// ---------------------------------------------------------------- JPEG decoding

TEST_CASE("images: the DCT scale is the smallest that still covers the target") {
  CHECK(choose_dct_scale(178, 218, 64, DctScaling::power_of_two) == 4);  // 89×109
  CHECK(choose_dct_scale(178, 218, 64, DctScaling::any) == 3);           // 67×82
  CHECK(choose_dct_scale(178, 218, 64, DctScaling::off) == 8);
  CHECK(choose_dct_scale(178, 218, 32, DctScaling::power_of_two) == 2);
  CHECK(choose_dct_scale(178, 218, 22, DctScaling::power_of_two) == 1);
  CHECK(choose_dct_scale(178, 218, 200, DctScaling::power_of_two) == 8);  // enlarging: full size
  CHECK(choose_dct_scale(178, 218, 0, DctScaling::power_of_two) == 8);
}

TEST_CASE("images: JPEG decoding at full size and scaled") {
  const auto px = smooth_image(kCelebaW, kCelebaH, 1);
  const auto jpg = encode_jpeg(kCelebaW, kCelebaH, 3, px.data());
  JpegDecodeOptions o;
  const DecodedJpeg full = decode_jpeg(jpg.data(), jpg.size(), "x.jpg", o);
  CHECK(full.width == 178);
  CHECK(full.height == 218);
  CHECK(full.scale == 8);
  CHECK(full.pixels.size() == 178u * 218 * 3);
  // Close to what was encoded (quality 95).
  double diff = 0;
  for (size_t i = 0; i < px.size(); ++i) diff += std::abs(int(px[i]) - int(full.pixels[i]));
  CHECK(diff / px.size() < 3.0);

  o.min_side = 64;
  const DecodedJpeg half = decode_jpeg(jpg.data(), jpg.size(), "x.jpg", o);
  CHECK(half.scale == 4);
  CHECK(half.width == 89);
  CHECK(half.height == 109);
  CHECK(half.src_width == 178);
  CHECK(half.src_height == 218);
}

TEST_CASE("images: decoding only the crop rows gives the same rows") {
  const auto px = smooth_image(kCelebaW, kCelebaH, 2);
  for (bool subsample : {true, false}) {
    JpegEncodeOptions eo;
    eo.subsample_chroma = subsample;
    const auto jpg = encode_jpeg(kCelebaW, kCelebaH, 3, px.data(), eo);
    for (DctScaling s : {DctScaling::off, DctScaling::power_of_two, DctScaling::any}) {
      JpegDecodeOptions o;
      o.min_side = 64;
      o.scaling = s;
      const DecodedJpeg all = decode_jpeg(jpg.data(), jpg.size(), "x.jpg", o);
      o.center_square_rows = true;
      const DecodedJpeg rows = decode_jpeg(jpg.data(), jpg.size(), "x.jpg", o);
      INFO("scaling " << std::string(dct_scaling_name(s)) << " subsample " << subsample);
      CHECK(rows.row_begin > 0);
      CHECK(rows.row_end < all.height);
      const size_t stride = static_cast<size_t>(all.width) * 3;
      const std::vector<uint8_t> expected(all.pixels.begin() + static_cast<std::ptrdiff_t>(rows.row_begin * stride),
                                          all.pixels.begin() + static_cast<std::ptrdiff_t>(rows.row_end * stride));
      CHECK(rows.pixels == expected);
    }
  }
}

TEST_CASE("images: a gray JPEG becomes RGB and a colour one gray as asked") {
  std::vector<uint8_t> gray(40 * 30);
  for (size_t i = 0; i < gray.size(); ++i) gray[i] = static_cast<uint8_t>(i % 200);
  const auto jpg = encode_jpeg(40, 30, 1, gray.data());
  JpegDecodeOptions o;
  o.channels = 3;
  const DecodedJpeg rgb = decode_jpeg(jpg.data(), jpg.size(), "g.jpg", o);
  REQUIRE(rgb.pixels.size() == 40u * 30 * 3);
  for (size_t i = 0; i < 40u * 30; ++i) {
    CHECK(rgb.pixels[3 * i] == rgb.pixels[3 * i + 1]);
    CHECK(rgb.pixels[3 * i] == rgb.pixels[3 * i + 2]);
  }
  const auto colour = banded_image(16, 16, {200, 100, 50}, 0, 0, {0, 0, 0});
  const auto cjpg = encode_jpeg(16, 16, 3, colour.data(), sharp());
  o.channels = 1;
  const DecodedJpeg g = decode_jpeg(cjpg.data(), cjpg.size(), "c.jpg", o);
  REQUIRE(g.pixels.size() == 16u * 16);
  // Luma of (200, 100, 50): 0.299·200 + 0.587·100 + 0.114·50 = 124.2.
  CHECK(std::abs(int(g.pixels[0]) - 124) <= 2);
}

TEST_CASE("images: corrupt JPEG data is an error naming the file and the reason") {
  const auto px = smooth_image(64, 64, 3);
  const auto jpg = encode_jpeg(64, 64, 3, px.data());
  JpegDecoder decoder;
  DecodedJpeg out;
  JpegDecodeOptions o;
  SUBCASE("truncated") {
    const std::vector<uint8_t> cut(jpg.begin(), jpg.begin() + static_cast<std::ptrdiff_t>(jpg.size() / 2));
    check_error([&] { decoder.decode(cut.data(), cut.size(), "cut.jpg", o, out); },
                {"cut.jpg", "corrupt JPEG", "Premature end"});
  }
  SUBCASE("garbage") {
    std::vector<uint8_t> junk(500, 0x5A);
    check_error([&] { decoder.decode(junk.data(), junk.size(), "junk.jpg", o, out); }, {"junk.jpg", "corrupt JPEG"});
  }
  SUBCASE("empty") {
    check_error([&] { decoder.decode(jpg.data(), 0, "empty.jpg", o, out); }, {"empty.jpg", "empty"});
  }
  // The decoder is still usable afterwards.
  decoder.decode(jpg.data(), jpg.size(), "good.jpg", o, out);
  CHECK(out.width == 64);
}

TEST_CASE("images: DCT-scaled decoding stays close to full decoding") {
  const auto px = smooth_image(kCelebaW, kCelebaH, 4);
  const auto jpg = encode_jpeg(kCelebaW, kCelebaH, 3, px.data());
  std::vector<uint8_t> a(3 * 64 * 64), b(3 * 64 * 64), c(3 * 64 * 64);
  ImagePreprocessor full(3, 64, DctScaling::off), pow2(3, 64, DctScaling::power_of_two), any(3, 64, DctScaling::any);
  full.process_jpeg(jpg.data(), jpg.size(), "x.jpg", a.data());
  pow2.process_jpeg(jpg.data(), jpg.size(), "x.jpg", b.data());
  any.process_jpeg(jpg.data(), jpg.size(), "x.jpg", c.data());
  double db = 0, dc = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    db += std::abs(int(a[i]) - int(b[i]));
    dc += std::abs(int(a[i]) - int(c[i]));
  }
  CHECK(db / a.size() < 2.0);
  CHECK(dc / a.size() < 3.0);
}

// ---------------------------------------------------------------- CelebA

TEST_CASE("images: CelebA splits have the right counts and shapes") {
  TempDir tmp("images_celeba_splits");
  write_celeba(tmp.dir());
  const ImageLoadOptions o = with_threads(2);
  const ImageDataset train = load_celeba(tmp.dir(), "train", o);
  const ImageDataset valid = load_celeba(tmp.dir(), "valid", o);
  const ImageDataset test = load_celeba(tmp.dir(), "test", o);
  const ImageDataset all = load_celeba(tmp.dir(), "all", o);
  CHECK(train.count == 8);
  CHECK(valid.count == 2);
  CHECK(test.count == 2);
  CHECK(all.count == 12);
  for (const ImageDataset* ds : {&train, &valid, &test, &all}) {
    CHECK(ds->channels == 3);
    CHECK(ds->size == 64);
    CHECK(ds->bytes() == static_cast<size_t>(ds->count) * 3 * 64 * 64);
    CHECK(ds->skipped.empty());
    CHECK_FALSE(ds->has_labels());
    CHECK_FALSE(ds->memory_mapped());
  }
  CHECK(train.summary() == "decoded 8 images, skipped 0");
  // The split file's order: valid holds images 9 and 10, in that order.
  CHECK(max_deviation(valid, 0, inside_colour(9)) <= 12);
  CHECK(max_deviation(valid, 1, inside_colour(10)) <= 12);
  CHECK(load_celeba(tmp.dir(), "val", o).count == 2);
}

TEST_CASE("images: CelebA centre crop leaves out the band above and below") {
  TempDir tmp("images_celeba_crop");
  write_celeba(tmp.dir());
  for (DctScaling s : {DctScaling::off, DctScaling::power_of_two, DctScaling::any}) {
    ImageLoadOptions o = with_threads(2);
    o.dct_scaling = s;
    const ImageDataset ds = load_celeba(tmp.dir(), "all", o);
    REQUIRE(ds.count == 12);
    for (int64_t i = 0; i < ds.count; ++i) {
      INFO("image " << i + 1 << " dct " << std::string(dct_scaling_name(s)));
      const Rgb inside = inside_colour(static_cast<int>(i) + 1);
      // Full size and 1/2 (the crop edges fall on whole decoded pixels): the inside colour up
      // to JPEG's rounding. At 3/8 the 3-point inverse DCT rings near the sharp band edge,
      // a few levels either way; a band row that got in would give a share of 0.3 or more.
      const bool ringing = s == DctScaling::any;
      CHECK(max_border_share(ds, i, inside, kBorder) < (ringing ? 0.04 : 0.02));
      CHECK(max_deviation(ds, i, inside) <= (ringing ? 20 : 6));
    }
  }
}

TEST_CASE("images: CelebA order and bytes do not depend on the thread count") {
  TempDir tmp("images_celeba_threads");
  write_celeba(tmp.dir());
  const ImageDataset one = load_celeba(tmp.dir(), "all", with_threads(1));
  const ImageDataset three = load_celeba(tmp.dir(), "all", with_threads(3));
  const ImageDataset many = load_celeba(tmp.dir(), "all", with_threads(16));
  CHECK(dataset_bytes(one) == dataset_bytes(three));
  CHECK(dataset_bytes(one) == dataset_bytes(many));
}

TEST_CASE("images: max_images caps the dataset before decoding") {
  TempDir tmp("images_celeba_cap");
  write_celeba(tmp.dir());
  ImageLoadOptions o = with_threads(2);
  const ImageDataset all = load_celeba(tmp.dir(), "train", o);
  o.max_images = 3;
  const ImageDataset three = load_celeba(tmp.dir(), "train", o);
  REQUIRE(three.count == 3);
  CHECK(std::equal(three.data(), three.data() + three.bytes(), all.data()));
  o.max_images = 100;
  CHECK(load_celeba(tmp.dir(), "train", o).count == 8);
}

TEST_CASE("images: CelebA progress reaches the total") {
  TempDir tmp("images_celeba_progress");
  write_celeba(tmp.dir());
  ImageLoadOptions o = with_threads(2);
  int64_t last_done = -1, last_total = -1;
  o.progress = [&](int64_t done, int64_t total) {
    CHECK(done >= last_done);
    last_done = done;
    last_total = total;
  };
  load_celeba(tmp.dir(), "all", o);
  CHECK(last_done == 12);
  CHECK(last_total == 12);
}

TEST_CASE("images: corrupt and missing CelebA images are skipped and counted") {
  TempDir tmp("images_celeba_corrupt");
  write_celeba(tmp.dir());
  const fs::path images = fs::path(tmp.dir()) / "img_align_celeba";
  const std::string truncated = (images / "000003.jpg").string();
  const std::string garbage = (images / "000005.jpg").string();
  const std::string missing = (images / "000007.jpg").string();
  const auto bytes = read_bytes(truncated);
  write_bytes(truncated, std::vector<uint8_t>(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(bytes.size() / 3)));
  write_bytes(garbage, std::vector<uint8_t>(700, 0x42));
  fs::remove(missing);

  for (int threads : {1, 3}) {
    const ImageDataset ds = load_celeba(tmp.dir(), "train", with_threads(threads));
    CHECK(ds.count == 5);
    REQUIRE(ds.skipped.size() == 3);
    CHECK(ds.skipped[0].path == truncated);
    CHECK(ds.skipped[0].reason.find("corrupt JPEG") != std::string::npos);
    CHECK(ds.skipped[1].path == garbage);
    CHECK(ds.skipped[1].reason.find("neither a JPEG nor a PNG") != std::string::npos);
    CHECK(ds.skipped[2].path == missing);
    CHECK(ds.skipped[2].reason == "no such file");
    CHECK(ds.summary().find("decoded 5 images, skipped 3 (first: " + truncated + ": corrupt JPEG") == 0);
    // The survivors are compacted in order: 1, 2, 4, 6, 8.
    const int kept[] = {1, 2, 4, 6, 8};
    for (int i = 0; i < 5; ++i) CHECK(max_deviation(ds, i, inside_colour(kept[i])) <= 12);
  }

  ImageLoadOptions strict = with_threads(3);
  strict.strict = true;
  // The lowest failing index is reported, whatever the thread count.
  check_error([&] { load_celeba(tmp.dir(), "train", strict); }, {truncated, "corrupt JPEG", "strict"});
}

TEST_CASE("images: CelebA layout errors say what was expected where") {
  TempDir tmp("images_celeba_errors");
  const std::string dir = tmp.dir();
  SUBCASE("missing folder") {
    const std::string missing = tmp.file("nowhere");
    check_error([&] { load_celeba(missing, "train"); }, {"CelebA", missing, "does not exist"});
  }
  SUBCASE("missing image folder") {
    check_error([&] { load_celeba(dir, "train"); }, {"CelebA: expected", dir + "/img_align_celeba"});
  }
  SUBCASE("missing split file") {
    fs::create_directories(fs::path(dir) / "img_align_celeba");
    check_error([&] { load_celeba(dir, "train"); },
                {"CelebA: expected " + dir + "/list_eval_partition.txt (the official split file: lines '<file> <0|1|2>')"});
  }
  SUBCASE("malformed line") {
    write_celeba(dir, 3);
    std::ofstream(fs::path(dir) / "list_eval_partition.txt", std::ios::app) << "000004.jpg three\n";
    check_error([&] { load_celeba(dir, "train"); },
                {dir + "/list_eval_partition.txt line 4", "'000004.jpg three'", "<file> <0|1|2>"});
  }
  SUBCASE("a line with an extra field") {
    write_celeba(dir, 2);
    std::ofstream(fs::path(dir) / "list_eval_partition.txt", std::ios::app) << "\n000003.jpg 0 1\n";
    check_error([&] { load_celeba(dir, "train"); }, {"line 4", "'000003.jpg 0 1'"});
  }
  SUBCASE("unknown split") {
    write_celeba(dir, 2);
    check_error([&] { load_celeba(dir, "training"); }, {"unknown split 'training'", "train, valid, test or all"});
  }
  SUBCASE("a split with no images") {
    write_celeba(dir, 2);
    check_error([&] { load_celeba(dir, "test"); }, {"lists no images of split 'test'"});
  }
}

TEST_CASE("images: CelebA from Kaggle's nested folder and CSV split file") {
  TempDir tmp("images_celeba_kaggle");
  write_celeba(tmp.dir(), 4);
  const fs::path outer = fs::path(tmp.dir()) / "img_align_celeba";
  const fs::path staging = fs::path(tmp.dir()) / "staging";
  fs::rename(outer, staging);
  fs::create_directories(outer);
  fs::rename(staging, outer / "img_align_celeba");
  fs::remove(fs::path(tmp.dir()) / "list_eval_partition.txt");
  std::ofstream(fs::path(tmp.dir()) / "list_eval_partition.csv")
      << "image_id,partition\r\n000001.jpg,0\r\n000002.jpg,0\r\n000003.jpg,1\r\n000004.jpg,2\r\n";
  const ImageDataset ds = load_celeba(tmp.dir(), "train", with_threads(2));
  CHECK(ds.count == 2);
  CHECK(ds.skipped.empty());
  CHECK(max_deviation(ds, 1, inside_colour(2)) <= 12);
}

// ---------------------------------------------------------------- image folder

TEST_CASE("images: a folder of PNG and JPEG files in subfolders") {
  TempDir tmp("images_folder");
  const fs::path root = tmp.path();
  fs::create_directories(root / "b" / "deeper");
  fs::create_directories(root / "a");
  const auto red = banded_image(40, 60, {220, 30, 30}, 0, 0, {0, 0, 0});
  const auto green = banded_image(90, 50, {30, 220, 30}, 0, 0, {0, 0, 0});
  const auto blue = banded_image(30, 30, {30, 30, 220}, 0, 0, {0, 0, 0});
  write_jpeg((root / "b" / "deeper" / "z.JPG").string(), 40, 60, 3, red.data(), sharp());
  write_png((root / "a" / "y.png").string(), 90, 50, 3, green.data());
  write_jpeg((root / "c.jpeg").string(), 30, 30, 3, blue.data(), sharp());
  std::vector<uint8_t> gray(20 * 20, 77);
  write_png((root / "b" / "gray.PNG").string(), 20, 20, 1, gray.data());
  std::ofstream(root / "notes.txt") << "not an image";

  const auto files = list_image_files(tmp.dir());
  REQUIRE(files.size() == 4);
  CHECK(files[0] == (root / "a" / "y.png").string());
  CHECK(files[1] == (root / "b" / "deeper" / "z.JPG").string());
  CHECK(files[2] == (root / "b" / "gray.PNG").string());
  CHECK(files[3] == (root / "c.jpeg").string());

  ImageLoadOptions o = with_threads(2);
  o.size = 32;
  const ImageDataset ds = load_image_folder(tmp.dir(), o);
  REQUIRE(ds.count == 4);
  CHECK(ds.channels == 3);
  CHECK(ds.size == 32);
  CHECK(max_deviation(ds, 0, {30, 220, 30}) == 0);  // PNG: lossless
  CHECK(max_deviation(ds, 1, {220, 30, 30}) <= 6);
  CHECK(max_deviation(ds, 2, {77, 77, 77}) == 0);   // gray replicated
  CHECK(max_deviation(ds, 3, {30, 30, 220}) <= 6);

  o.max_images = 2;
  CHECK(load_image_folder(tmp.dir(), o).count == 2);
}

TEST_CASE("images: a folder crops the largest centred square of wide images") {
  TempDir tmp("images_folder_wide");
  // 120×60: blue columns 0..29 and 90..119 outside the centred 60×60 square, green inside.
  std::vector<uint8_t> px(120 * 60 * 3);
  for (int y = 0; y < 60; ++y)
    for (int x = 0; x < 120; ++x) {
      const bool inside = x >= 30 && x < 90;
      uint8_t* p = &px[(static_cast<size_t>(y) * 120 + x) * 3];
      p[0] = 20;
      p[1] = inside ? 200 : 20;
      p[2] = inside ? 20 : 200;
    }
  write_png(tmp.file("wide.png"), 120, 60, 3, px.data());
  ImageLoadOptions o = with_threads(1);
  o.size = 16;
  const ImageDataset ds = load_image_folder(tmp.dir(), o);
  REQUIRE(ds.count == 1);
  CHECK(max_deviation(ds, 0, {20, 200, 20}) == 0);
}

TEST_CASE("images: folder errors") {
  TempDir tmp("images_folder_errors");
  SUBCASE("empty folder") {
    fs::create_directories(tmp.path() / "sub");
    std::ofstream(tmp.path() / "sub" / "readme.md") << "x";
    check_error([&] { load_image_folder(tmp.dir()); }, {tmp.dir(), "no .jpg, .jpeg or .png files"});
  }
  SUBCASE("missing folder") {
    const std::string missing = tmp.file("nope");
    check_error([&] { load_image_folder(missing); }, {missing, "no such folder"});
  }
  SUBCASE("a corrupt PNG is skipped or with strict an error") {
    const auto px = banded_image(8, 8, {1, 2, 3}, 0, 0, {0, 0, 0});
    write_png(tmp.file("a.png"), 8, 8, 3, px.data());
    auto bytes = read_bytes(tmp.file("a.png"));
    bytes.resize(bytes.size() / 2);
    write_bytes(tmp.file("b.png"), bytes);
    write_png(tmp.file("c.png"), 8, 8, 3, px.data());
    const ImageDataset ds = load_image_folder(tmp.dir(), with_threads(2));
    CHECK(ds.count == 2);
    REQUIRE(ds.skipped.size() == 1);
    CHECK(ds.skipped[0].path == tmp.file("b.png"));
    CHECK(ds.skipped[0].reason.find("corrupt PNG") == 0);
    ImageLoadOptions strict = with_threads(2);
    strict.strict = true;
    check_error([&] { load_image_folder(tmp.dir(), strict); }, {tmp.file("b.png"), "corrupt PNG"});
  }
}

TEST_CASE("images: a folder's entries not used are counted in the summary and kept by the cache") {
  TempDir tmp("images_folder_unused");
  const auto px = banded_image(8, 8, {1, 2, 3}, 0, 0, {0, 0, 0});
  write_png(tmp.file("a.png"), 8, 8, 3, px.data());
  std::ofstream(tmp.path() / "b.txt") << "x";
  std::ofstream(tmp.path() / "c.txt") << "x";
  fs::create_symlink("missing.png", tmp.path() / "d.png");
  ImageLoadOptions o = with_threads(1);
  o.size = 8;
  const ImageDataset ds = load_image_folder(tmp.dir(), o);
  CHECK(ds.count == 1);
  CHECK(ds.summary() == "decoded 1 images, skipped 0; not used: 2 not an image (first: " + tmp.file("b.txt") +
                            "), 1 dangling link (first: " + tmp.file("d.png") + ": " + std::strerror(ENOENT) + ")");
  const std::string cache = tmp.file("folder.cache");
  const CacheFingerprint fp = make_cache_fingerprint("folder", tmp.dir(), "all", 3, o);
  bool used = false;
  load_or_create_cache(cache, fp, [&] { return load_image_folder(tmp.dir(), o); }, &used);
  const ImageDataset mapped = load_or_create_cache(cache, fp, [&]() -> ImageDataset { FAIL("rebuilt"); return {}; },
                                                   &used);
  CHECK(used);
  CHECK(mapped.summary() == ds.summary());
}

// ---------------------------------------------------------------- MNIST and fake

namespace {

std::vector<uint8_t> idx_bytes(const std::vector<uint32_t>& dims, const std::vector<uint8_t>& values) {
  std::vector<uint8_t> b = {0, 0, 0x08, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<uint8_t>(d >> shift));
  b.insert(b.end(), values.begin(), values.end());
  return b;
}

// Three 28×28 digits: all 0, all 200, and a left half of 255.
void write_mnist(const std::string& dir, const std::string& split) {
  std::vector<uint8_t> images(3 * 784, 0);
  std::fill(images.begin() + 784, images.begin() + 2 * 784, 200);
  for (int y = 0; y < 28; ++y)
    for (int x = 0; x < 14; ++x) images[2 * 784 + static_cast<size_t>(y * 28 + x)] = 255;
  write_bytes(dir + "/" + split + "-images-idx3-ubyte", idx_bytes({3, 28, 28}, images));
  write_bytes(dir + "/" + split + "-labels-idx1-ubyte", idx_bytes({3}, {7, 1, 4}));
}

}  // namespace

TEST_CASE("images: MNIST resized to 64 keeps its labels") {
  TempDir tmp("images_mnist");
  write_mnist(tmp.dir(), "train");
  write_mnist(tmp.dir(), "t10k");
  const ImageDataset ds = load_mnist_resized(tmp.dir(), "train", 64, with_threads(2));
  CHECK(ds.count == 3);
  CHECK(ds.channels == 1);
  CHECK(ds.size == 64);
  CHECK(ds.labels == std::vector<int32_t>{7, 1, 4});
  const uint8_t* zero = ds.image(0);
  const uint8_t* flat = ds.image(1);
  const uint8_t* half = ds.image(2);
  CHECK(std::all_of(zero, zero + 64 * 64, [](uint8_t v) { return v == 0; }));
  CHECK(std::all_of(flat, flat + 64 * 64, [](uint8_t v) { return v == 200; }));
  // Left half bright, right half dark, a short bilinear ramp between.
  for (int y = 0; y < 64; ++y) {
    CHECK(half[y * 64 + 0] == 255);
    CHECK(half[y * 64 + 30] == 255);
    CHECK(half[y * 64 + 33] == 0);
    CHECK(half[y * 64 + 63] == 0);
  }
  ImageLoadOptions o = with_threads(1);
  o.max_images = 2;
  const ImageDataset test = load_mnist_resized(tmp.dir(), "test", 32, o);
  CHECK(test.count == 2);
  CHECK(test.size == 32);
  CHECK(test.labels == std::vector<int32_t>{7, 1});
  check_error([&] { load_mnist_resized(tmp.dir(), "validation", 64); }, {"unknown split 'validation'"});
}

TEST_CASE("images: fake images are a pure function of the seed") {
  const ImageDataset a = make_fake_images(10, 3, 64, 42, 1);
  const ImageDataset b = make_fake_images(10, 3, 64, 42, 4);
  const ImageDataset c = make_fake_images(10, 3, 64, 43, 2);
  const ImageDataset d = make_fake_images(4, 3, 64, 42, 2);
  CHECK(a.count == 10);
  CHECK(a.channels == 3);
  CHECK(a.size == 64);
  CHECK(dataset_bytes(a) == dataset_bytes(b));
  CHECK(dataset_bytes(a) != dataset_bytes(c));
  CHECK(std::equal(d.data(), d.data() + d.bytes(), a.data()));  // image i does not depend on the count
  CHECK(std::memcmp(a.image(0), a.image(1), a.image_bytes()) != 0);
  // Roughly uniform bytes.
  double mean = 0;
  for (size_t i = 0; i < a.bytes(); ++i) mean += a.data()[i];
  mean /= a.bytes();
  CHECK(mean > 120);
  CHECK(mean < 135);
  CHECK(make_fake_images(0, 1, 8, 1).count == 0);
}

// ---------------------------------------------------------------- cache

TEST_CASE("images: the cache round-trips byte for byte and is memory-mapped") {
  TempDir tmp("images_cache_roundtrip");
  write_celeba(tmp.dir());
  fs::remove(fs::path(tmp.dir()) / "img_align_celeba" / "000002.jpg");  // one skipped image to carry
  const ImageLoadOptions o = with_threads(2);
  const std::string cache = tmp.file("celeba_train.cache");
  const CacheFingerprint fp = make_cache_fingerprint("celeba", tmp.dir(), "train", 3, o);
  const ImageDataset decoded = load_celeba(tmp.dir(), "train", o);
  REQUIRE(decoded.skipped.size() == 1);

  bool used = true;
  const ImageDataset first = load_or_create_cache(cache, fp, [&] { return load_celeba(tmp.dir(), "train", o); }, &used);
  CHECK_FALSE(used);
  CHECK(fs::exists(cache));
  CHECK(first.memory_mapped());
  const ImageDataset again = load_or_create_cache(cache, fp, [&]() -> ImageDataset { FAIL("rebuilt"); return {}; }, &used);
  CHECK(used);
  for (const ImageDataset* ds : {&first, &again}) {
    CHECK(ds->memory_mapped());
    CHECK(ds->count == decoded.count);
    CHECK(ds->channels == 3);
    CHECK(ds->size == 64);
    CHECK(dataset_bytes(*ds) == dataset_bytes(decoded));
    REQUIRE(ds->skipped.size() == 1);
    CHECK(ds->skipped[0].path == decoded.skipped[0].path);
    CHECK(ds->skipped[0].reason == decoded.skipped[0].reason);
    CHECK(ds->summary() == decoded.summary());
  }
  // No temporary file is left behind.
  int files = 0;
  for (const auto& e : fs::directory_iterator(tmp.path())) files += e.is_regular_file() ? 1 : 0;
  CHECK(files == 2);  // the split file and the cache

  // The same folder spelled differently is the same source.
  const CacheFingerprint relative = make_cache_fingerprint("celeba", tmp.dir() + "/./", "train", 3, o);
  CHECK(relative.text() == fp.text());
}

TEST_CASE("images: the cache keeps labels") {
  TempDir tmp("images_cache_labels");
  write_mnist(tmp.dir(), "train");
  ImageLoadOptions o = with_threads(1);
  o.size = 32;
  const ImageDataset ds = load_mnist_resized(tmp.dir(), "train", 32, o);
  const CacheFingerprint fp = make_cache_fingerprint("mnist", tmp.dir(), "train", 1, o);
  write_image_cache(tmp.file("m.cache"), ds, fp);
  const ImageDataset back = open_image_cache(tmp.file("m.cache"), fp);
  CHECK(back.labels == ds.labels);
  CHECK(dataset_bytes(back) == dataset_bytes(ds));
  CHECK(back.skipped.empty());
}

TEST_CASE("images: a cache that does not fit is rejected with a clear error") {
  TempDir tmp("images_cache_reject");
  const std::string cache = tmp.file("fake.cache");
  ImageLoadOptions o;
  o.size = 16;
  const CacheFingerprint fp = make_cache_fingerprint("fake", "", "seed=1", 3, o);
  const ImageDataset ds = make_fake_images(20, 3, 16, 1, 1);
  write_image_cache(cache, ds, fp);
  const auto good = read_bytes(cache);

  SUBCASE("another fingerprint") {
    CacheFingerprint other = fp;
    other.split = "seed=2";
    check_error([&] { open_image_cache(cache, other); },
                {cache, "different dataset", "seed=1", "seed=2", "delete it", "another --cache path"});
    check_error([&] { load_or_create_cache(cache, other, [] { return ImageDataset(); }); }, {"different dataset"});
    ImageLoadOptions bigger = o;
    bigger.size = 64;
    check_error([&] { open_image_cache(cache, make_cache_fingerprint("fake", "", "seed=1", 3, bigger)); },
                {"size=16", "size=64"});
  }
  SUBCASE("a character device in the cache's place is refused by type, before opening") {
    // /dev/zero has no size to map; a FIFO (refused by the same stat) would block the open.
    check_error([&] { open_image_cache("/dev/zero", fp); }, {"cache /dev/zero", "is a character device"});
  }
  SUBCASE("truncated payload") {
    write_bytes(cache, std::vector<uint8_t>(good.begin(), good.end() - 100));
    check_error([&] { open_image_cache(cache, fp); }, {cache, "truncated", "delete it"});
  }
  SUBCASE("truncated header") {
    write_bytes(cache, std::vector<uint8_t>(good.begin(), good.begin() + 1000));
    check_error([&] { open_image_cache(cache, fp); }, {cache, "truncated"});
  }
  SUBCASE("a flipped payload byte") {
    auto bad = good;
    bad[bad.size() - 7] ^= 0x10;
    write_bytes(cache, bad);
    check_error([&] { open_image_cache(cache, fp); }, {cache, "CRC", "delete it"});
    CHECK(open_image_cache(cache, fp, /*verify_payload*/ false).count == 20);
  }
  SUBCASE("a flipped header byte") {
    auto bad = good;
    bad[20] ^= 0x01;
    write_bytes(cache, bad);
    check_error([&] { open_image_cache(cache, fp); }, {cache, "corrupt header"});
  }
  SUBCASE("a crafted header with a valid CRC whose image count would wrap the size arithmetic") {
    auto bad = good;
    const uint64_t count = uint64_t(1) << 62;
    for (int i = 0; i < 8; ++i) bad[16 + static_cast<size_t>(i)] = static_cast<uint8_t>(count >> (8 * i));
    const uint32_t header_bytes = uint32_t(bad[12]) | uint32_t(bad[13]) << 8 | uint32_t(bad[14]) << 16 |
                                  uint32_t(bad[15]) << 24;
    for (int i = 0; i < 4; ++i) bad[56 + static_cast<size_t>(i)] = 0;
    const uint32_t c = static_cast<uint32_t>(crc32(0, bad.data(), header_bytes));
    for (int i = 0; i < 4; ++i) bad[56 + static_cast<size_t>(i)] = static_cast<uint8_t>(c >> (8 * i));
    write_bytes(cache, bad);
    check_error([&] { open_image_cache(cache, fp); }, {cache, "corrupt header", "images cannot fit"});
  }
  SUBCASE("not a cache") {
    write_bytes(cache, std::vector<uint8_t>(5000, 'x'));
    check_error([&] { open_image_cache(cache, fp); }, {cache, "not an aafgan image cache"});
  }
  SUBCASE("an unwritable path") {
    check_error([&] { write_image_cache(tmp.file("no/such/dir/x.cache"), ds, fp); }, {"x.cache", "cannot create"});
  }
}
