#pragma once
// The training options of the DCGAN tests' tiny runs (8 fake 64×64 images, batch 4, a 2×2
// sample grid), shared so that the DCGAN and FID tests train the same run.
#include <string>

#include "training/trainer.h"

namespace aafgan::testing {

inline models::TrainOptions tiny_image_run_options(const std::string& run_dir, int epochs, const std::string& label) {
  models::TrainOptions opt;
  opt.run_dir = run_dir;
  opt.seed = 21;
  opt.epochs = epochs;
  opt.batch_size = 4;
  opt.lr = 2e-4;
  opt.log_every = 0;
  opt.grid_samples = 4;
  opt.grid_rows = 2;
  opt.grid_cols = 2;
  opt.grid_column_major = false;
  opt.label = label;
  return opt;
}

}  // namespace aafgan::testing
