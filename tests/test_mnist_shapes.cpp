// Issue 23 item 5: the conditional GAN and the classifier take their image size and classes from
// the IDX set, not from MNIST. An EMNIST-letters-like set made here (20×20 images, labels 1..26)
// goes through the data layer, one epoch of the GAN, the classifier, its metric and its cache.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "data/mnist.h"
#include "engine/autograd.h"
#include "engine/checkpoint.h"
#include "metrics/classifier_cache.h"
#include "metrics/mnist_classifier_training.h"
#include "models/mnist_condgan.h"
#include "models/mnist_data.h"
#include "metrics/mnist_metrics.h"
#include "training/trainer.h"
#include "tests/temp_dir.h"

using namespace aafgan;
namespace fs = std::filesystem;

namespace {

constexpr int kSide = 20;
constexpr int kLetters = 26;

void write_idx(const std::string& path, const std::vector<uint32_t>& dims, const std::vector<uint8_t>& values) {
  std::vector<uint8_t> b = {0, 0, 0x08, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<uint8_t>(d >> shift));
  b.insert(b.end(), values.begin(), values.end());
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), static_cast<long>(b.size()));
}

// `per_class` images of each letter 1..26: a bright 3×3 block whose place says the letter, on
// faint noise, so that the classifier has something to learn.
void write_letters_split(const std::string& dir, const std::string& split, int per_class, uint32_t seed) {
  const int n = per_class * kLetters;
  std::vector<uint8_t> images(static_cast<size_t>(n) * kSide * kSide), labels(static_cast<size_t>(n));
  uint32_t state = seed;
  for (int i = 0; i < n; ++i) {
    const int c = i % kLetters;
    labels[static_cast<size_t>(i)] = static_cast<uint8_t>(c + 1);
    uint8_t* img = images.data() + static_cast<size_t>(i) * kSide * kSide;
    for (int p = 0; p < kSide * kSide; ++p) {
      state = state * 1664525u + 1013904223u;
      img[p] = static_cast<uint8_t>(state >> 27);
    }
    const int r0 = (c / 5) * 3 + 1, c0 = (c % 5) * 4 + 1;
    for (int r = r0; r < r0 + 3; ++r)
      for (int col = c0; col < c0 + 3; ++col) img[r * kSide + col] = 255;
  }
  fs::create_directories(dir);
  write_idx(dir + "/" + split + "-images-idx3-ubyte", {static_cast<uint32_t>(n), kSide, kSide}, images);
  write_idx(dir + "/" + split + "-labels-idx1-ubyte", {static_cast<uint32_t>(n)}, labels);
}

void write_letters(const std::string& dir) {
  write_letters_split(dir, "train", 8, 1);
  write_letters_split(dir, "t10k", 2, 2);
}

std::string read_text(std::FILE* f) {
  std::rewind(f);
  std::string text;
  for (int c; (c = std::fgetc(f)) != EOF;) text += static_cast<char>(c);
  return text;
}

// A PNG's width and height, from its IHDR chunk.
std::pair<uint32_t, uint32_t> png_size(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<unsigned char> head(24);
  in.read(reinterpret_cast<char*>(head.data()), 24);
  REQUIRE(in.gcount() == 24);
  const auto be = [&](int at) {
    return (uint32_t{head[at]} << 24) | (uint32_t{head[at + 1]} << 16) | (uint32_t{head[at + 2]} << 8) | head[at + 3];
  };
  return {be(16), be(20)};
}

}  // namespace

TEST_CASE("mnist shapes: a 26-class 20x20 IDX set trains the conditional GAN and the classifier end to end") {
  testing::TempDir tmp("mnist_shapes");
  const std::string dir = tmp.file("letters");
  write_letters(dir);

  const data::MnistFormat f = data::read_mnist_format(dir);
  CHECK(f.height == kSide);
  CHECK(f.width == kSide);
  CHECK(f.first_label == 1);
  CHECK(f.classes == kLetters);

  data::MnistSplit split = data::load_mnist_split(dir, "train");
  REQUIRE(split.count == 8 * kLetters);
  CHECK(split.labels.front() == 0);  // letter 1 ('a') is class 0
  CHECK(split.labels[kLetters - 1] == kLetters - 1);
  const models::MnistTrainingData data(std::move(split), 0);
  CHECK(data.sample_shape() == Shape{kSide * kSide});
  CHECK(data.num_classes() == kLetters);

  // The classifier, trained briefly on these letters and scored on the held-out t10k.
  const models::ClassifierData cd = models::load_classifier_data(dir);
  CHECK(cd.shape == models::ClassifierShape{kSide, kSide, kLetters});
  CHECK(cd.train_count == 8 * kLetters);
  CHECK(cd.eval_count == 2 * kLetters);
  models::ClassifierRecipe recipe;
  recipe.epochs = 3;
  recipe.log_interval = 0;
  std::FILE* log = std::tmpfile();
  REQUIRE(log);
  double held_out = -1;
  const std::string ckpt = tmp.file("letters_classifier.ckpt");
  models::MnistClassifier trained = models::train_mnist_classifier(cd, recipe, ckpt, log, &held_out);
  std::fclose(log);
  CHECK(trained.shape() == cd.shape);
  CHECK(held_out > 2.0 / kLetters);  // the blocks are easy: well above chance
  {
    autograd::NoGradGuard no_grad;
    trained.eval();
    const Tensor scores = trained(models::mnist_pixels_to_input(cd.eval_pixels, 0, 3, DType::f32, cd.shape));
    CHECK(scores.shape() == Shape{3, kLetters});
  }
  auto net = std::make_shared<models::MnistClassifier>(models::MnistClassifier::load(ckpt));
  CHECK(net->shape() == cd.shape);
  CHECK(net->metadata().at("classes") == kLetters);

  // The GAN: its inputs are 100 + 26 and 400 + 26 wide, its samples 400-vectors, 20×20 pictures.
  models::MnistGanSpec spec;
  spec.height = kSide;
  spec.width = kSide;
  spec.classes = kLetters;
  Generator init(5, 1);
  auto dropout = std::make_shared<Generator>(5, 4);
  models::MnistCondGan gan(spec, init, dropout, DType::f32);
  CHECK(gan.num_classes() == kLetters);
  CHECK(gan.sample_shape() == Shape{kSide * kSide});
  CHECK(gan.image_shape() == Shape{1, kSide, kSide});
  CHECK(gan.generator().parameters().front().shape() == Shape{256, 100 + kLetters});
  CHECK(gan.discriminator().parameters().front().shape() == Shape{1024, kSide * kSide + kLetters});

  models::TrainOptions opt;
  opt.run_dir = tmp.file("run");
  opt.seed = 5;
  opt.epochs = 1;
  opt.batch_size = 52;
  opt.log_every = 0;
  opt.label = "[letters]";
  opt.grid_samples = 2 * kLetters;  // what ./mnist_condgan asks for: full columns, one per class
  opt.grid_rows = 2;
  opt.grid_cols = kLetters;
  opt.tensorboard = false;
  opt.metrics.push_back(models::classifier_metric(net, opt.seed, 104, DType::f32));
  models::AdversarialTrainer trainer(gan, data, opt, DType::f32, dropout);
  trainer.run();

  const fs::path run(opt.run_dir);
  REQUIRE(fs::exists(run / "samples_img" / "1.png"));
  // 26 columns and 2 rows of 20×20 samples at scale 4 with 2 pixels between them.
  const auto [w, h] = png_size((run / "samples_img" / "1.png").string());
  CHECK(w == kLetters * kSide * 4 + (kLetters + 1) * 2);
  CHECK(h == 2 * kSide * 4 + 3 * 2);
  std::ifstream acc(run / "stats" / "pre_classifier_accuracies.csv");
  REQUIRE(acc);
  double percent = -1;
  acc >> percent;
  CHECK(percent >= 0);
  CHECK(percent <= 100);

  // A classifier of another shape cannot score this GAN.
  Generator other_init(1);
  auto mnist_net = std::make_shared<models::MnistClassifier>(other_init, dropout);
  const models::EpochMetric wrong = models::classifier_metric(mnist_net, 5, 26, DType::f32);
  CHECK_THROWS_WITH_AS(wrong.compute(gan), doctest::Contains("26 classes"), Error);
}

TEST_CASE("mnist shapes: the classifier cache keys on the data's size and classes") {
  // The same bytes read as other shapes are other data.
  models::ClassifierData a;
  a.train_pixels.assign(800, 7);
  a.train_labels.assign(2, 1);
  a.train_count = 2;
  a.shape = {20, 20, 26};
  models::ClassifierData b = a;
  b.shape = {10, 40, 26};
  models::ClassifierData c = a;
  c.shape = {20, 20, 10};
  CHECK(a.fingerprint() != b.fingerprint());
  CHECK(a.fingerprint() != c.fingerprint());

  // A 10-class net under the letters' entry, with their fingerprint, is trained again, not used.
  testing::TempDir tmp("mnist_shapes_cache");
  const fs::path cache = tmp.path() / "cache";
  ::setenv("AAFGAN_CACHE_DIR", cache.c_str(), 1);
  const std::string dir = tmp.file("letters");
  write_letters(dir);
  const models::ClassifierData d = models::load_classifier_data(dir);
  fs::create_directories(cache);
  const std::string entry = (cache / ("mnist_classifier-" + d.fingerprint() + ".ckpt")).string();
  Generator init(3);
  models::MnistClassifier ten(init, std::make_shared<Generator>(4), DType::f32, {kSide, kSide, 10});
  const models::ClassifierRecipe recipe;
  ten.save(entry, models::classifier_metadata(d, recipe, recipe.epochs, 0.9, nlohmann::json::array()));
  std::FILE* log = std::tmpfile();
  REQUIRE(log);
  const std::shared_ptr<models::MnistClassifier> net = models::cached_mnist_classifier(dir, log);
  const std::string text = read_text(log);
  std::fclose(log);
  INFO(text);
  CHECK(text.find("not a complete training on these images (20×20 images, 26 classes)") != std::string::npos);
  CHECK(net->shape() == d.shape);
  CHECK(models::MnistClassifier::load(entry).shape().classes == kLetters);
  ::unsetenv("AAFGAN_CACHE_DIR");
}

TEST_CASE("mnist shapes: MNIST stays the default, and older classifier checkpoints read as MNIST's") {
  const models::MnistGanSpec spec;
  CHECK(spec.height == data::kMnistSide);
  CHECK(spec.width == data::kMnistSide);
  CHECK(spec.classes == data::kMnistClasses);
  CHECK(models::ClassifierShape{} == models::ClassifierShape{data::kMnistSide, data::kMnistSide, data::kMnistClasses});

  // A checkpoint written before the shape keys existed.
  testing::TempDir tmp("mnist_shapes_old");
  Generator init(2);
  models::MnistClassifier net(init, std::make_shared<Generator>(3));
  const std::string path = tmp.file("old.ckpt");
  save_checkpoint(path, net.named_parameters(), {{"model", "mnist_classifier"}, {"dtype", "float32"}});
  const models::MnistClassifier loaded = models::MnistClassifier::load(path);
  CHECK(loaded.shape() == models::ClassifierShape{});
}
