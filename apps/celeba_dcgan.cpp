// ./celeba_dcgan: the DCGAN of gan-protocol.md §2 with adaptive activations, on CelebA, any
// folder of images, MNIST resized to 64×64 or random images, over a grid of models × seeds.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>

#include <fmt/format.h>

#include "apps/common/gan_main.h"
#include "base/std_descriptors.h"
#include "models/dcgan.h"
#include "metrics/fid_reference.h"
#include "metrics/gan_metrics.h"
#include "models/image_data.h"

using namespace aafgan;

int main(int argc, char** argv) {
  // First of all: a closed 0-2 would be taken by the next file opened (base/std_descriptors.h).
  if (!aafgan::std_descriptors_ready()) return 1;
  CLI::App app{"DCGAN on CelebA 64×64 (or any image folder, MNIST, random images) with adaptive activation "
               "functions (gan-protocol.md §2).\nA comma list in --gen/--dis/--gen-hidden/--dis-hidden runs a grid; "
               "rerunning a command resumes it."};
  app.option_defaults()->always_capture_default();
  apps::GanAppOptions o;
  models::ImageSourceOptions d;
  apps::add_gan_options(app, o, models::celeba_defaults());
  app.add_option("--dataset", d.dataset, "celeba, folder, mnist or fake")
      ->check(CLI::IsMember({"celeba", "folder", "mnist", "fake"}));
  app.add_option("--data", o.data_dir,
                 "dataset folder: CelebA (img_align_celeba/ + list_eval_partition.txt), an image folder, or MNIST "
                 "IDX files (default for mnist: the bundled t10k)");
  app.add_option("--cache", d.cache_path, "store the preprocessed 64×64 images in FILE on first use, map it afterwards");
  app.add_flag("--strict", d.strict,
               "a corrupt or unreadable image, or an entry of a --dataset folder that is not an image used once "
               "(unreadable, FIFO or device, dangling link, duplicate, other file), is an error instead of being "
               "skipped");
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
      ->check(CLI::Range(int64_t(2), int64_t(1000000)));  // 10^6: hours of FID per epoch already
  app.add_option("--fid-stats-cache", fid.stats_cache,
                 "keep the real images' FID statistics (and KID features) in FILE: computed on first use, read "
                 "afterwards; refused if made for other weights or images");
  return apps::gan_main(app, argc, argv, "celeba_dcgan", o, [] { return models::celeba_defaults(); },
                        [&](const models::Experiment& e, Device device) {
    d.dir = o.data_dir;
    d.max_images = o.max_images;
    const models::ImageTrainingData data = models::load_image_training_data(d);
    const int64_t channels = data.sample_shape()[0];

    apps::GridCallbacks cb;
    cb.make_model = [&e, channels](const models::RunSpec& run, DType dtype, Generator& init,
                                   std::shared_ptr<Generator>) -> std::unique_ptr<models::GanModel> {
      models::DcGanSpec spec;
      apps::set_run_models(spec, run, e);
      spec.gen_init_weights = e.gen_init_weights;
      spec.dis_init_weights = e.dis_init_weights;
      spec.gen_hidden_slope = e.gen_hidden_slope;
      spec.dis_hidden_slope = e.dis_hidden_slope;
      spec.channels = channels;
      spec.noise_size = e.noise_size;
      return std::make_unique<models::DcGan>(spec, init, dtype);
    };
    if (!fid.weights_path.empty()) {
      const models::fid::FidReference ref = models::fid::dcgan_fid_reference(d, data, fid.samples);
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
  });
}
