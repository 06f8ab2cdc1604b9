#pragma once
// A small but real training run for the trainer tests (CPU and GPU): 300 bundled digits, batch
// 50, BHSA output and MiDA hidden layers in G, the reference decay. Tests adjust `opt` before
// run(); each run() builds a fresh trainer, as a restarted process would.
#include <filesystem>
#include <memory>

#include "data/mnist.h"
#include "models/mnist_condgan.h"
#include "models/mnist_data.h"
#include "training/trainer.h"

namespace aafgan::testing {

inline const data::MnistSplit& bundled_digits() {
  static const data::MnistSplit s = data::load_mnist_split(AAFGAN_FIXTURES_DIR "/../../data/mnist", "t10k");
  return s;
}

inline models::MnistGanSpec bhsa_mida_spec() {
  models::MnistGanSpec s;
  s.gen = "BHSA";
  s.gen_hidden = "MiDA";
  return s;
}

struct TrainerRun {
  models::MnistTrainingData data{bundled_digits(), 300};
  std::shared_ptr<Generator> dropout = std::make_shared<Generator>(7, 4);
  Generator init{7, 1};
  models::MnistCondGan model;
  models::TrainOptions opt;

  TrainerRun(const std::filesystem::path& dir, int epochs) : model(bhsa_mida_spec(), init, dropout, DType::f32) {
    opt.run_dir = dir.string();
    opt.seed = 7;
    opt.epochs = epochs;
    opt.batch_size = 50;
    opt.lr_decay_rate = 0.95;
    opt.lr_decay_until = 31;
    opt.log_every = 0;
    opt.label = "[test]";
  }
  models::RunOutcome run() {
    models::AdversarialTrainer t(model, data, opt, DType::f32, dropout);
    return t.run();
  }
};

}  // namespace aafgan::testing
