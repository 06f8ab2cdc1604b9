// ./aafgan_fid DIR_A DIR_B: the FID (and with --kid the KID) between two folders of images, with
// the FID Inception of pytorch-fid (metrics/). Images are read as ./celeba_dcgan reads a
// folder (data/image_folder.h: every .jpg/.jpeg/.png below DIR, sorted by path, the largest
// centred square resized with antialiasing to --size, RGB), then the network resizes them
// bilinearly to 299×299 exactly as pytorch-fid does. --size 64 (the default) is the native size
// of the DCGAN's samples and of its 64×64 training images, so both sides take the same path;
// for square images of one size S, --size S feeds them unchanged, which is pytorch-fid's own
// pipeline. Either argument may instead be a statistics file (a --fid-stats-cache of
// ./celeba_dcgan, or one this tool wrote with --save-stats).
#include <CLI/CLI.hpp>
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include <Eigen/Core>
#include <fmt/format.h>

#include "data/image_folder.h"
#include "engine/device.h"
#include "base/std_descriptors.h"
#include "metrics/features.h"
#include "metrics/frechet.h"
#include "metrics/inception.h"
#include "metrics/kid.h"

using namespace aafgan;
using namespace aafgan::models::fid;
namespace fs = std::filesystem;

namespace {

struct Options {
  std::string a, b, weights, save_a, save_b;
  bool kid = false;
  int64_t batch_size = 50, max_images = 0;
  int size = 64, threads = 0, decode_threads = 0, kid_subsets = 100;
  std::string device = "auto";
  int64_t kid_subset_size = 1000;
};

struct Side {
  FrechetStats stats;
  FeatureMatrix features;  // empty when read from a statistics file without them
};

Side load_side(const std::string& path, FidInception& net, const Options& o, const std::string& save) {
  Side s;
  if (fs::is_regular_file(path)) {
    FrechetStatsFile f = load_frechet_stats(path);
    AAFGAN_CHECK(f.stats.mean.size() == net.feature_dim(), "{} holds statistics of {} features, the weights give {}",
                 path, f.stats.mean.size(), net.feature_dim());
    s.stats = std::move(f.stats);
    for (const auto& [name, t] : f.extra)
      if (name == "features" && t.ndim() == 2 && t.size(1) == net.feature_dim()) {
        const Tensor d = t.to(DType::f64);
        s.features = Eigen::Map<const FeatureMatrix>(d.data<double>(), d.size(0), d.size(1));
      }
    fmt::print("{}: statistics of {} images\n", path, s.stats.count);
    return s;
  }
  data::ImageLoadOptions lo;
  lo.size = o.size;
  lo.max_images = o.max_images;
  lo.threads = o.decode_threads;
  const data::ImageDataset images = data::load_image_folder(path, lo);
  fmt::print("{}: {}\n", path, images.summary());
  AAFGAN_CHECK(images.count >= 2, "{}: FID needs at least 2 images, found {}", path, images.count);
  int64_t last = 0;
  const auto start = std::chrono::steady_clock::now();
  s.features = extract_features(
      net, images.count, o.batch_size, [&](int64_t first, int64_t n) { return dataset_batch(images, first, n); },
      [&](int64_t done, int64_t total) {
        if (done == total || done - last >= 1000) {
          fmt::print("  {} / {} images\n", done, total);
          std::fflush(stdout);
          last = done;
        }
      });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print("  features of {} images in {:.1f} s ({:.1f} ms per image, batches of {})\n", images.count, seconds,
             1000.0 * seconds / static_cast<double>(images.count), o.batch_size);
  s.stats = frechet_stats(s.features);
  if (!save.empty()) {
    Tensor t = Tensor::empty(Shape{s.features.rows(), s.features.cols()}, DType::f64);
    std::copy(s.features.data(), s.features.data() + s.features.size(), t.data<double>());
    save_frechet_stats(save, s.stats, {{"key", fmt::format("aafgan_fid {} size {}", path, o.size)}},
                       {{"features", t.to(DType::f32)}});
    fmt::print("  statistics written to {}\n", save);
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  // First of all: a closed 0-2 would be taken by the next file opened (base/std_descriptors.h).
  if (!aafgan::std_descriptors_ready()) return 1;
  CLI::App app{"FID (and KID) between two folders of images with pytorch-fid's Inception network.\n"
               "Weights: tools/convert_fid_weights.py pt_inception-2015-12-05-6726825d.pth FILE"};
  app.option_defaults()->always_capture_default();
  Options o;
  app.add_option("DIR_A", o.a, "folder of images (or a statistics file)")->required();
  app.add_option("DIR_B", o.b, "folder of images (or a statistics file)")->required();
  app.add_option("--fid-weights", o.weights, "FID Inception weights in the engine's format")->required();
  app.add_flag("--kid", o.kid, "also the Kernel Inception Distance (mean ± std over subsets)");
  app.add_option("--batch-size", o.batch_size, "images per Inception batch")->check(CLI::Range(1, 100000));
  app.add_option("--max-images", o.max_images, "use the first N images of each folder (0 = all)")
      ->check(CLI::Range(int64_t(0), int64_t(1) << 40));
  app.add_option("--size", o.size, "side the images are loaded at (centre square, antialiased) before the net's "
                                    "bilinear resize to 299")->check(CLI::Range(8, 4096));
  app.add_option("--kid-subsets", o.kid_subsets, "KID subsets")->check(CLI::Range(1, 100000));
  app.add_option("--kid-subset-size", o.kid_subset_size, "KID subset size (capped at the smaller set)")
      ->check(CLI::Range(int64_t(2), int64_t(1) << 30));
  app.add_option("--save-stats-a", o.save_a, "write DIR_A's statistics (and features) to FILE");
  app.add_option("--save-stats-b", o.save_b, "write DIR_B's statistics (and features) to FILE");
  app.add_option("--threads", o.threads, "CPU threads (default: all cores)")->check(CLI::Range(1, 1024));
  app.add_option("--device", o.device, "where the Inception runs: auto (the GPU when one is usable), cpu, cuda[:N]");
  app.add_option("--decode-threads", o.decode_threads, "JPEG decoding threads (default: all cores)")
      ->check(CLI::Range(1, 1024));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (o.threads) {
      omp_set_num_threads(o.threads);
      Eigen::setNbThreads(o.threads);
    }
    for (const std::string& p : {o.a, o.b})
      AAFGAN_CHECK(fs::exists(p), "{}: no such folder or statistics file", p);
    const Device device = parse_device(o.device);
    const auto net = FidInception::load(o.weights);
    net->to(device);
    fmt::print("FID Inception: {} features (width 1/{}), inputs resized to {}, on {}\n", net->feature_dim(),
               net->options().width_divisor, net->options().resize, device.str());
    const Side a = load_side(o.a, *net, o, o.save_a), b = load_side(o.b, *net, o, o.save_b);
    const auto start = std::chrono::steady_clock::now();
    const double fid = frechet_distance(a.stats, b.stats);
    fmt::print("FID: {:.6f} (Fréchet distance of {}-d statistics in {:.1f} s)\n", fid, a.stats.mean.size(),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (o.kid) {
      AAFGAN_CHECK(a.features.rows() > 0 && b.features.rows() > 0,
                   "--kid needs the features of both sides; a statistics file without them cannot give KID");
      KidOptions k;
      k.subsets = o.kid_subsets;
      k.subset_size = o.kid_subset_size;
      const KidResult r = kernel_inception_distance(a.features, b.features, k);
      fmt::print("KID: {:.6f} ± {:.6f} ({} subsets of {}; ± is the standard deviation over the subsets)\n", r.mean,
                 r.std, r.subsets, r.subset_size);
    }
    return 0;
  } catch (const std::exception& ex) {
    fmt::print(stderr, "aafgan_fid: {}\n", ex.what());
    return 1;
  }
}
