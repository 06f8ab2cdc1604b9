// Writes the seed inputs of fuzz/corpus/ with the project's own writers, so each seed is a
// file the reader accepts today: `fuzz_make_seeds SOURCE_DIR` (SOURCE_DIR = the repository
// root, whose fuzz/corpus/<name>/seed-* files it replaces and whose reference configs it copies).
// Regression inputs (crash-*, timeout-*, oom-*) and merged fuzzer finds are left alone.
#include <png.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "data/image_cache.h"
#include "data/jpeg_encode.h"
#include "engine/checkpoint.h"
#include "base/error.h"
#include "fuzz/fuzz_image_cache.h"

namespace fs = std::filesystem;
using namespace aafgan;

namespace {

fs::path corpus;

void put(const std::string& harness, const std::string& name, const std::vector<uint8_t>& bytes) {
  fs::create_directories(corpus / harness);
  std::ofstream out(corpus / harness / name, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) fail("cannot write {}", (corpus / harness / name).string());
}

std::vector<uint8_t> read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) fail("cannot read {}", p.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<uint8_t> pattern(size_t n, unsigned mul) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * mul + 11);
  return v;
}

std::vector<uint8_t> idx(const std::vector<uint32_t>& dims, const std::vector<uint8_t>& values) {
  std::vector<uint8_t> b = {0, 0, 0x08, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(d >> s));
  b.insert(b.end(), values.begin(), values.end());
  return b;
}

std::vector<uint8_t> gzip(const std::vector<uint8_t>& in) {
  std::vector<uint8_t> out(compressBound(static_cast<uLong>(in.size())) + 32);
  z_stream z{};
  if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) fail("deflateInit2 failed");
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) fail("deflate failed");
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

void idx_seeds() {
  const auto labels = idx({5}, {0, 1, 9, 3, 7});
  const auto images = idx({4, 3, 3}, pattern(36, 37));
  put("idx", "seed-labels.idx1", labels);
  put("idx", "seed-images.idx3", images);
  put("idx", "seed-labels.idx1.gz", gzip(labels));
  put("idx", "seed-images.idx3.gz", gzip(images));
  put("idx", "seed-empty.idx3", idx({0, 28, 28}, {}));
}

void jpeg_seeds() {
  data::JpegEncodeOptions q50;
  q50.quality = 50;
  data::JpegEncodeOptions full;
  full.subsample_chroma = false;
  put("jpeg", "seed-gray-8x8.jpg", data::encode_jpeg(8, 8, 1, pattern(64, 5).data()));
  put("jpeg", "seed-rgb420-24x16.jpg", data::encode_jpeg(24, 16, 3, pattern(24 * 16 * 3, 7).data(), q50));
  put("jpeg", "seed-rgb444-9x17.jpg", data::encode_jpeg(9, 17, 3, pattern(9 * 17 * 3, 13).data(), full));
}

// The simplified libpng writer covers the formats read_png must convert: gray, gray + alpha,
// RGB, RGBA, 16-bit and palette.
void png_seed(const std::string& name, int w, int h, png_uint_32 format, const std::vector<uint8_t>& pixels,
              const std::vector<uint8_t>& colormap = {}, int colormap_entries = 0) {
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  img.width = static_cast<png_uint_32>(w);
  img.height = static_cast<png_uint_32>(h);
  img.format = format;
  img.colormap_entries = static_cast<png_uint_32>(colormap_entries);
  png_alloc_size_t n = 0;
  const void* cmap = colormap.empty() ? nullptr : colormap.data();
  if (!png_image_write_to_memory(&img, nullptr, &n, 0, pixels.data(), 0, cmap)) fail("png: {}", img.message);
  std::vector<uint8_t> out(n);
  if (!png_image_write_to_memory(&img, out.data(), &n, 0, pixels.data(), 0, cmap)) fail("png: {}", img.message);
  out.resize(n);
  put("png", name, out);
}

void png_seeds() {
  png_seed("seed-gray-3x2.png", 3, 2, PNG_FORMAT_GRAY, pattern(6, 40));
  png_seed("seed-ga-2x2.png", 2, 2, PNG_FORMAT_GA, pattern(8, 60));
  png_seed("seed-rgb-4x3.png", 4, 3, PNG_FORMAT_RGB, pattern(36, 23));
  png_seed("seed-rgba-3x3.png", 3, 3, PNG_FORMAT_RGBA, pattern(36, 29));
  png_seed("seed-rgb16-2x2.png", 2, 2, PNG_FORMAT_LINEAR_RGB, pattern(24, 71));
  png_seed("seed-palette-4x2.png", 4, 2, PNG_FORMAT_RGBA_COLORMAP, {0, 1, 2, 3, 3, 2, 1, 0}, pattern(16, 53), 4);
}

void cache_seeds() {
  const std::vector<data::CacheFingerprint> fps = fuzz::cache_fingerprints();
  const fs::path dir = fs::temp_directory_path() / ("aafgan_make_seeds_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  data::ImageDataset rgb(2, 3, 4, pattern(2 * 3 * 4 * 4, 17));
  rgb.skipped.push_back({"/photos/broken.jpg", "corrupt JPEG: Premature end of JPEG file"});
  data::ImageDataset gray(3, 1, 2, pattern(3 * 2 * 2, 31));
  gray.labels = {4, 0, 9};
  const std::pair<const char*, const data::ImageDataset*> caches[] = {{"seed-rgb.cache", &rgb}, {"seed-gray-labels.cache", &gray}};
  for (size_t i = 0; i < 2; ++i) {
    const fs::path p = dir / caches[i].first;
    data::write_image_cache(p.string(), *caches[i].second, fps[i]);
    put("image_cache", caches[i].first, read(p));
  }
  fs::remove_all(dir);
}

void checkpoint_seeds() {
  const fs::path dir = fs::temp_directory_path() / ("aafgan_make_seeds_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const nn::NamedTensors tensors = {
      {"G.fc1.weight", Tensor::from_vector(Shape{2, 3}, {1, -2, 3.5, 0, 1e-3, -7})},
      {"D.act.alpha", Tensor::from_vector(Shape{4}, {0.1, 0.2, 0.3, 0.4}, DType::f64)},
      {"step", Tensor::scalar(12)},
      {"empty", Tensor::empty(Shape{0, 5})},
  };
  const nlohmann::json meta = {{"epoch", 3}, {"batch", 17}, {"history", {{"d_losses", {0.5, 0.25}}}}, {"name", "seed"}};
  save_checkpoint((dir / "a.ckpt").string(), tensors, meta);
  put("checkpoint", "seed-tensors.ckpt", read(dir / "a.ckpt"));
  save_checkpoint((dir / "b.ckpt").string(), {}, nlohmann::json::object());
  put("checkpoint", "seed-empty.ckpt", read(dir / "b.ckpt"));
  fs::remove_all(dir);
}

void experiment_seeds(const fs::path& root) {
  // ../shared/reference/*.json are the same files as these fixtures.
  for (const char* name : {"reference_mnist_condgan.json", "reference_celeba_dcgan.json"})
    put("experiment", std::string("seed-") + name, read(root / "tests/fixtures" / name));
  // A small grid with the optional keys the reference files lack.
  const std::string tiny = R"({"tiny": {"EPOCHS": 2, "BATCH_SIZE": 4, "SEEDS": [1, 2, 3], "N_SEEDS": 2,
    "GEN_MODELS": ["default", "BHSA", "DSILU"], "DIS_MODELS": ["default", "BHAA"], "SKIP_DEFAULT": 1,
    "SKIP_DIFF_OUTPUT": 0, "DOUBLE_TENSORS": 1, "GENERATE_N_IN_CSV": 10, "FID_ENABLED": 0,
    "FREEZE_CUSTOM_PARAMETERS_EPOCH": 1, "_SKIP_DIFF_HIDDEN": 1, "EXPERIMENT_DIR": "out/tiny"},
    "other": {"EPOCHS": 1}})";
  put("experiment", "seed-tiny-grid.json", std::vector<uint8_t>(tiny.begin(), tiny.end()));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s SOURCE_DIR\n", argv[0]);
    return 2;
  }
  try {
    corpus = fs::path(argv[1]) / "fuzz" / "corpus";
    idx_seeds();
    jpeg_seeds();
    png_seeds();
    cache_seeds();
    checkpoint_seeds();
    experiment_seeds(argv[1]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz_make_seeds: %s\n", e.what());
    return 1;
  }
  std::printf("seeds written under %s\n", corpus.c_str());
  return 0;
}
