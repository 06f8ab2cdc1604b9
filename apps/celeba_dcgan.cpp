// ./celeba_dcgan: the DCGAN of gan-protocol.md §2 with adaptive activations, on CelebA, any
// folder of images, MNIST resized to 64×64 or random images, over a grid of models × seeds.
#include <CLI/CLI.hpp>
#include <filesystem>

#include <fmt/format.h>

#include "apps/common/gan_app.h"
#include "data/celeba.h"
#include "data/fake_images.h"
#include "data/image_cache.h"
#include "data/image_folder.h"
#include "data/mnist.h"
#include "data/mnist_resized.h"
#include "models/dcgan.h"
#include "models/fid/gan_metrics.h"
#include "models/image_data.h"

using namespace aafgan;
namespace fs = std::filesystem;

namespace {

struct DataOptions {
  std::string dataset = "celeba", cache_path;
  bool strict = false;
  int decode_threads = 0;
  int64_t fake_count = 2048;
};

// Decodes (or maps from --cache) the training images of --dataset.
data::ImageDataset load_images(const DataOptions& d, const apps::GanAppOptions& o) {
  data::ImageLoadOptions lo;
  lo.size = 64;
  lo.max_images = o.max_images;
  lo.threads = d.decode_threads;
  lo.strict = d.strict;
  int64_t last_report = -1;
  lo.progress = [&last_report](int64_t done, int64_t total) {
    if (done == total || done - last_report >= 20000) {
      fmt::print("decoding images: {} / {}\n", done, total);
      last_report = done;
    }
  };

  std::string dir = o.data_dir, split = "train";
  int channels = 3;
  std::function<data::ImageDataset()> build;
  if (d.dataset == "celeba") {
    if (dir.empty())
      fail("--dataset celeba needs --data DIR: the folder holding img_align_celeba/ (the aligned JPEGs) and "
           "list_eval_partition.txt");
    build = [&] { return data::load_celeba(dir, "train", lo); };
  } else if (d.dataset == "folder") {
    if (dir.empty()) fail("--dataset folder needs --data DIR: a folder of JPEG or PNG images (subfolders included)");
    split = "all";
    build = [&] { return data::load_image_folder(dir, lo); };
  } else if (d.dataset == "mnist") {
    dir = data::find_mnist_dir(dir);
    if (!data::has_mnist_split(dir, "train")) {
      fmt::print("note: {} holds only the t10k split; training on its 10,000 test images\n", dir);
      split = "t10k";
    }
    channels = 1;
    build = [&] { return data::load_mnist_resized(dir, split, 64, lo); };
  } else {  // fake
    const int64_t count = o.max_images > 0 ? std::min<int64_t>(o.max_images, d.fake_count) : d.fake_count;
    split = fmt::format("seed=0 count={}", count);
    dir = "-";
    build = [count, &lo] { return data::make_fake_images(count, 3, 64, 0, lo.threads); };
  }
  if (d.cache_path.empty()) return build();
  const data::CacheFingerprint fp = data::make_cache_fingerprint(d.dataset, dir, split, channels, lo);
  bool used_cache = false;
  data::ImageDataset ds = data::load_or_create_cache(d.cache_path, fp, build, &used_cache);
  fmt::print("{} the preprocessed images {} {}\n", used_cache ? "mapped" : "cached", used_cache ? "from" : "in",
             d.cache_path);
  return ds;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"DCGAN on CelebA 64×64 (or any image folder, MNIST, random images) with adaptive activation "
               "functions (gan-protocol.md §2).\nA comma list in --gen/--dis/--gen-hidden/--dis-hidden runs a grid; "
               "rerunning a command resumes it."};
  app.option_defaults()->always_capture_default();
  apps::GanAppOptions o;
  DataOptions d;
  apps::add_gan_options(app, o, models::celeba_defaults());
  app.add_option("--dataset", d.dataset, "celeba, folder, mnist or fake")
      ->check(CLI::IsMember({"celeba", "folder", "mnist", "fake"}));
  app.add_option("--data", o.data_dir,
                 "dataset folder: CelebA (img_align_celeba/ + list_eval_partition.txt), an image folder, or MNIST "
                 "IDX files (default for mnist: the bundled t10k)");
  app.add_option("--cache", d.cache_path, "store the preprocessed 64×64 images in FILE on first use, map it afterwards");
  app.add_flag("--strict", d.strict, "a corrupt or unreadable image is an error instead of being skipped");
  app.add_option("--decode-threads", d.decode_threads, "JPEG decoding threads (default: all cores)")
      ->check(CLI::Range(1, 1024));
  app.add_option("--fake-images", d.fake_count, "number of random images of --dataset fake")
      ->check(CLI::Range(1, 1 << 30));
  models::fid::FidMetricOptions fid;
  app.add_option("--fid-weights", fid.weights_path,
                 "FID Inception weights (tools/convert_fid_weights.py): every epoch, FID and KID of --fid-samples "
                 "generated images against the test split (stats/fid_scores.csv, kid_scores.csv)")
      ->check(CLI::ExistingFile);
  app.add_option("--fid-samples", fid.samples,
                 "generated images per FID evaluation; also the number of real images compared (the first N)")
      ->check(CLI::Range(int64_t(2), int64_t(1) << 30));
  app.add_option("--fid-stats-cache", fid.stats_cache,
                 "keep the real images' FID statistics (and KID features) in FILE: computed on first use, read "
                 "afterwards; refused if made for other weights or images");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  try {
    const Device device = apps::resolve_device(o);
    const models::Experiment e = apps::resolve_experiment(app, o, models::celeba_defaults());
    models::expand_grid(e);  // bad model names or seeds fail before any image is decoded

    data::ImageDataset images = load_images(d, o);
    if (!images.skipped.empty() || d.dataset == "celeba" || d.dataset == "folder") fmt::print("{}\n", images.summary());
    const std::string what = fmt::format("{} {}×{}×{} images ({}{})", images.count, images.channels, images.size,
                                         images.size, d.dataset, o.data_dir.empty() ? "" : " from " + o.data_dir);
    const models::ImageTrainingData data(std::move(images), what);
    const int64_t channels = data.sample_shape()[0];

    apps::GridCallbacks cb;
    cb.make_model = [&e, channels](const models::RunSpec& run, DType dtype, Generator& init,
                                   std::shared_ptr<Generator>) -> std::unique_ptr<models::GanModel> {
      models::DcGanSpec spec;
      spec.gen = run.models.gen;
      spec.dis = run.models.dis;
      spec.gen_hidden = run.models.gen_hidden;
      spec.dis_hidden = run.models.dis_hidden;
      spec.gen_initializers = e.gen_initializers;
      spec.dis_initializers = e.dis_initializers;
      spec.gen_init_weights = e.gen_init_weights;
      spec.dis_init_weights = e.dis_init_weights;
      spec.gen_hidden_slope = e.gen_hidden_slope;
      spec.dis_hidden_slope = e.dis_hidden_slope;
      spec.channels = channels;
      spec.noise_size = e.noise_size;
      return std::make_unique<models::DcGan>(spec, init, dtype);
    };
    // FID plugs in here (issue 7): cb.metrics returns its EpochMetric when --fid-weights is given.
    // The real side: CelebA's official test split; other datasets have none, so their own
    // training images stand in. Either way the first --fid-samples images, at 64×64 like the
    // samples (the network resizes both to 299 bilinearly, as pytorch-fid).
    if (!fid.weights_path.empty()) {
      models::fid::FidReference ref;
      const int64_t n = fid.samples;
      if (d.dataset == "celeba") {
        ref.fingerprint = fmt::format("celeba {} test split, first {} at 64x64", fs::absolute(o.data_dir).string(), n);
        ref.load = [&d, &o, n] {
          data::ImageLoadOptions lo;
          lo.size = 64;
          lo.max_images = n;
          lo.threads = d.decode_threads;
          lo.strict = d.strict;
          return data::load_celeba(o.data_dir, "test", lo);
        };
      } else {
        fmt::print("note: --dataset {} has no test split; FID compares against the first {} training images\n",
                   d.dataset, n);
        ref.fingerprint = fmt::format("{} (training images), first {}", data.describe(), n);
        ref.load = [&data, n] {
          const data::ImageDataset& all = data.images();
          // A view of the training images' bytes, which outlive the evaluator's construction.
          return data::ImageDataset(std::min(n, all.count), all.channels, all.size, nullptr, all.data(), false);
        };
      }
      auto evaluator = std::make_shared<models::fid::FidEvaluator>(fid, ref);
      cb.metrics = [evaluator](const models::RunSpec& run, DType dtype) {
        return models::fid::fid_metrics(evaluator, run.seed, dtype);
      };
    } else if (e.fid_enabled) {
      fmt::print("note: the config enables FID but no --fid-weights was given: no FID is computed\n");
    }
    const int side = std::max(1, static_cast<int>(std::lround(std::sqrt(e.samples_in_visualization))));
    cb.grid_rows = (e.samples_in_visualization + side - 1) / side;
    cb.grid_cols = side;
    cb.grid_column_major = false;
    return apps::run_grid(e, o, data, cb, device);
  } catch (const std::exception& ex) {
    fmt::print(stderr, "celeba_dcgan: {}\n", ex.what());
    return 1;
  }
}
