// Images per second of the image-dataset loader (data/image_folder.h): read, JPEG decode,
// centre-square crop and antialiased resize to S×S, on --threads workers (1 by default, so the
// number is per core), with and without libjpeg's DCT scaling. Each mode's fastest of --repeat
// passes counts; img/CPU-s divides by the process's CPU time instead of the wall clock, which
// stays meaningful when other processes compete for the cores.
//
// Without --folder it writes a synthetic CelebA-like set first (178×218 RGB JPEGs, 4:2:0,
// quality 90, smooth shapes plus texture so the files are about CelebA's size) into a temporary
// folder, removed afterwards.
//
//   aafgan_bench_jpeg [--folder DIR] [--count N] [--threads N] [--size S] [--repeat N]
//   aafgan_bench_jpeg --write-synthetic DIR [--count N]   (only writes the set, and keeps it)
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "bench/bench_common.h"
#include "data/image_folder.h"
#include "data/image_preprocess.h"
#include "data/image_resize.h"
#include "data/jpeg_decode.h"
#include "data/jpeg_encode.h"
#include "base/error.h"

using namespace aafgan;
using namespace aafgan::data;
namespace fs = std::filesystem;

namespace {

constexpr int kWidth = 178, kHeight = 218;

// A face-sized picture: a few soft ellipses over a gradient, plus fine noise (JPEG files of
// real photos owe much of their size to texture).
std::vector<uint8_t> synthetic_image(std::mt19937& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> noise(0, 6);
  struct Blob {
    double cx, cy, rx, ry, r, g, b;
  };
  std::vector<Blob> blobs;
  for (int i = 0; i < 6; ++i)
    blobs.push_back({u(rng) * kWidth, u(rng) * kHeight, 15 + u(rng) * 60, 15 + u(rng) * 60, u(rng) * 255,
                     u(rng) * 255, u(rng) * 255});
  const double base[3] = {u(rng) * 255, u(rng) * 255, u(rng) * 255};
  std::vector<uint8_t> px(static_cast<size_t>(kWidth) * kHeight * 3);
  for (int y = 0; y < kHeight; ++y)
    for (int x = 0; x < kWidth; ++x) {
      double c[3] = {base[0] * (0.6 + 0.4 * y / kHeight), base[1] * (0.6 + 0.4 * x / kWidth), base[2]};
      for (const Blob& b : blobs) {
        const double dx = (x - b.cx) / b.rx, dy = (y - b.cy) / b.ry;
        const double a = std::exp(-(dx * dx + dy * dy) * 2);
        c[0] += a * (b.r - c[0]);
        c[1] += a * (b.g - c[1]);
        c[2] += a * (b.b - c[2]);
      }
      for (int k = 0; k < 3; ++k)
        px[(static_cast<size_t>(y) * kWidth + x) * 3 + k] =
            static_cast<uint8_t>(std::clamp(c[k] + noise(rng), 0.0, 255.0));
    }
  return px;
}

void write_synthetic_set(const std::string& dir, int count) {
  fs::create_directories(dir);
  std::mt19937 rng(12345);
  JpegEncodeOptions o;
  o.quality = 90;
  o.subsample_chroma = true;
  for (int i = 0; i < count; ++i) {
    const auto px = synthetic_image(rng);
    write_jpeg((fs::path(dir) / fmt::format("{:06d}.jpg", i + 1)).string(), kWidth, kHeight, 3, px.data(), o);
  }
}

// CPU seconds of the whole process (every worker thread): on a machine shared with other busy
// processes, images per CPU-second is the per-core rate even when the wall clock is not.
double cpu_seconds() { return bench::process_cpu_ms() * 1e-3; }

double seconds_since(double t0_ms) { return (bench::now_ms() - t0_ms) * 1e-3; }

// The decoded size of the first file at a scaling mode, e.g. "89×109 (4/8)".
std::string decode_geometry(const std::string& file, DctScaling scaling, int size) {
  std::vector<uint8_t> bytes;
  read_file_bytes(file, bytes);
  if (!looks_like_jpeg(bytes.data(), bytes.size())) return "(not a JPEG)";
  JpegDecodeOptions o;
  o.min_side = size;
  o.scaling = scaling;
  const DecodedJpeg d = decode_jpeg(bytes.data(), bytes.size(), file, o);
  return fmt::format("{}×{} ({}/8)", d.width, d.height, d.scale);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Images per second of the image-dataset loader (read, JPEG decode, crop, antialiased resize), "
               "with and without libjpeg's DCT scaling."};
  bench::configure_cli(app);
  std::string folder, write_only;
  int count = 300, threads = 1, size = 64, repeat = 3;
  app.add_option("--folder", folder, "folder of images (default: a synthetic CelebA-like set of --count JPEGs)");
  app.add_option("--count", count, "synthetic images to write, or the cap on --folder's images")
      ->check(CLI::Range(1, 1 << 30));
  app.add_option("--threads", threads, "decode workers (the per-core rate divides by this)")
      ->check(CLI::Range(1, 1024));
  app.add_option("--size", size, "output side S")->check(CLI::Range(1, 4096));
  app.add_option("--write-synthetic", write_only, "write the synthetic set to this folder, keep it, and exit");
  app.add_option("--repeat", repeat, "timed passes per mode; the fastest counts")->check(CLI::Range(1, 1000));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  if (!write_only.empty()) {
    try {
      write_synthetic_set(write_only, count);
      fmt::print("wrote {} synthetic {}×{} JPEGs to {}\n", count, kWidth, kHeight, write_only);
      return 0;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "aafgan_bench_jpeg: %s\n", e.what());
      return 1;
    }
  }
  const std::string tmp = (fs::temp_directory_path() / fmt::format("aafgan_bench_jpeg_{}", ::getpid())).string();
  int status = 0;
  try {
    std::string dir = folder;
    if (dir.empty()) {
      fmt::print("writing {} synthetic {}×{} JPEGs to {} …\n", count, kWidth, kHeight, tmp);
      write_synthetic_set(tmp, count);
      dir = tmp;
    }
    std::vector<std::string> files = list_image_files(dir);
    if (static_cast<int64_t>(files.size()) > count && !folder.empty()) files.resize(static_cast<size_t>(count));
    uintmax_t total_bytes = 0;
    for (const std::string& f : files) total_bytes += fs::file_size(f);
    fmt::print("{} images, {:.1f} KB per file on average, output {}×{}×3, {} thread{} (machine has {}), load {}\n",
               files.size(), total_bytes / 1024.0 / files.size(), size, size, threads, threads == 1 ? "" : "s",
               std::thread::hardware_concurrency(), bench::load_averages());
    fmt::print("{}\n", bench::cpu_line());

    ImageLoadOptions options;
    options.threads = threads;
    options.size = size;
    options.max_images = static_cast<int64_t>(files.size());

    struct Row {
      std::string label;
      DctScaling scaling;
    };
    const Row rows[] = {{"DCT scaling off (full decode)", DctScaling::off},
                        {"DCT scaling 1/2^k (default)", DctScaling::power_of_two},
                        {"DCT scaling any M/8", DctScaling::any}};
    fmt::print("\n{:<32} {:>16} {:>10} {:>14} {:>12} {:>10} {:>8}\n", "mode", "decoded at", "images/s",
               "images/s/core", "img/CPU-s", "us/image", "vs off");
    double off_rate = 0;
    for (const Row& row : rows) {
      options.dct_scaling = row.scaling;
      load_image_folder(dir, options);  // warm-up: page cache, allocations
      double best = 1e300, best_cpu = 1e300;
      int64_t decoded = 0;
      for (int r = 0; r < repeat; ++r) {
        const double t0 = bench::now_ms();
        const double c0 = cpu_seconds();
        const ImageDataset ds = load_image_folder(dir, options);
        best_cpu = std::min(best_cpu, cpu_seconds() - c0);
        best = std::min(best, seconds_since(t0));
        decoded = ds.count + static_cast<int64_t>(ds.skipped.size());
      }
      const double rate = decoded / best;
      if (row.scaling == DctScaling::off) off_rate = rate;
      fmt::print("{:<32} {:>16} {:>10.0f} {:>14.0f} {:>12.0f} {:>10.1f} {:>7.2f}x\n", row.label,
                 decode_geometry(files.front(), row.scaling, size), rate, rate / threads, decoded / best_cpu,
                 1e6 / rate, off_rate > 0 ? rate / off_rate : 1.0);
    }

    // The resize alone, for scale: the filter of the default path on one thread.
    {
      const int w = (kWidth + 1) / 2, h = 89;
      std::vector<uint8_t> src(static_cast<size_t>(w) * h * 3, 128), dst(static_cast<size_t>(3) * size * size);
      const ResizePlan plan(w, h, center_square_box(w, h), size, size);
      std::vector<float> scratch;
      const int n = 2000;
      const double t0 = bench::now_ms();
      const double c0 = cpu_seconds();
      for (int i = 0; i < n; ++i) plan.run(src.data(), static_cast<size_t>(w) * 3, 3, dst.data(), scratch);
      const double s = seconds_since(t0), cpu = cpu_seconds() - c0;
      fmt::print("{:<32} {:>16} {:>10.0f} {:>14.0f} {:>12.0f} {:>10.1f}\n", "resize only (1 thread)",
                 fmt::format("{}×{}", w, h), n / s, n / s, n / cpu, 1e6 * s / n);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aafgan_bench_jpeg: %s\n", e.what());
    status = 1;
  }
  std::error_code ec;
  if (folder.empty()) fs::remove_all(tmp, ec);
  return status;
}
