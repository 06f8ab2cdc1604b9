// The DCGAN of gan-protocol.md §2: its shapes, parameter count and initialisations, and the
// shared adversarial trainer running it end to end on tiny random images (every output file,
// resume after a stop bit-identical to an uninterrupted run).
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>

#include "data/plot.h"
#include "data/fake_images.h"
#include "engine/autograd.h"
#include "engine/checkpoint.h"
#include "engine/ops.h"
#include "models/dcgan.h"
#include "models/image_data.h"
#include "training/trainer.h"
#include "tests/temp_dir.h"
#include "tests/tiny_image_run.h"

using namespace aafgan;
namespace fs = std::filesystem;
using aafgan::testing::TempDir;

namespace {

int64_t count_parameters(nn::Module& m) {
  int64_t n = 0;
  for (const Tensor& p : m.parameters()) n += p.numel();
  return n;
}

double std_of(const Tensor& t) {
  const std::vector<double> v = t.to_vector();
  double mean = 0, sq = 0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  for (double x : v) sq += (x - mean) * (x - mean);
  return std::sqrt(sq / static_cast<double>(v.size()));
}

// The first transposed-convolution weight of G, the first convolution weight of D.
Tensor first_weight(nn::Module& m) { return m.named_parameters().front().second; }

}  // namespace

TEST_CASE("dcgan: shapes and ranges of G and D and the parameter count of gan-protocol section 2") {
  Generator init(3, 1);
  models::DcGan gan(models::DcGanSpec{}, init, DType::f32);
  autograd::NoGradGuard no_grad;
  Generator noise(3, 2);
  const Tensor fake = gan.generate(randn(Shape{2, 100}, noise), Tensor());
  CHECK(fake.shape() == Shape{2, 3, 64, 64});
  for (double v : fake.to_vector()) REQUIRE(std::abs(v) <= 1.0);
  const Tensor p = gan.discriminate(fake, Tensor());
  CHECK(p.shape() == Shape{2, 1});
  for (double v : p.to_vector()) REQUIRE((v > 0.0 && v < 1.0));
  // Conv weights (4×4, no bias) plus BN weight and bias per normalised channel.
  const int64_t g = 16 * (100 * 1024 + 1024 * 512 + 512 * 256 + 256 * 128 + 128 * 3) + 2 * (1024 + 512 + 256 + 128);
  const int64_t d = 16 * (3 * 128 + 128 * 256 + 256 * 512 + 512 * 1024 + 1024 * 1) + 2 * (256 + 512 + 1024);
  CHECK(count_parameters(gan.generator()) == g);
  CHECK(count_parameters(gan.discriminator()) == d);
  CHECK(gan.generator_adaptive().empty());
}

TEST_CASE("dcgan: adaptive hidden layers take one parameter per channel and position, and mnist has one channel") {
  models::DcGanSpec spec;
  spec.gen_hidden = "MiDA";
  spec.dis = "BHSA";
  spec.channels = 1;
  Generator init(5, 1);
  models::DcGan gan(spec, init, DType::f32);
  REQUIRE(gan.generator_adaptive().size() == 4);
  CHECK(gan.generator_adaptive()[0].layer->parameters().front().shape() == Shape{1024, 4, 4});
  CHECK(gan.generator_adaptive()[3].layer->parameters().front().shape() == Shape{128, 32, 32});
  REQUIRE(gan.discriminator_adaptive().size() == 1);
  CHECK(gan.discriminator_adaptive()[0].layer->parameters().front().shape() == Shape{1});
  autograd::NoGradGuard no_grad;
  Generator noise(5, 2);
  const Tensor fake = gan.generate(randn(Shape{1, 100}, noise), Tensor());
  CHECK(fake.shape() == Shape{1, 1, 64, 64});
  CHECK(gan.discriminate(fake, Tensor()).shape() == Shape{1, 1});
  CHECK_THROWS_WITH_AS(gan.discriminate(Tensor::zeros(Shape{1, 3, 64, 64}), Tensor()),
                       doctest::Contains("expected [N, 1, 64, 64]"), Error);
}

TEST_CASE("dcgan: INIT_NET_WEIGHTS 1 draws N(0, 0.02) weights and he_normal N(0, 2/fan_in)") {
  models::DcGanSpec spec;
  spec.gen_init_weights = 1;
  spec.dis_init_weights = nlohmann::json{{"name", "he_normal"}};
  Generator init(11, 1);
  models::DcGan gan(spec, init, DType::f32);
  CHECK(std_of(first_weight(gan.generator())) == doctest::Approx(0.02).epsilon(0.02));
  // D's first conv: fan_in = 3·4·4.
  CHECK(std_of(first_weight(gan.discriminator())) == doctest::Approx(std::sqrt(2.0 / 48.0)).epsilon(0.05));
  // BN weights ~ N(1, 0.02) in both schemes.
  for (auto& [name, t] : gan.generator().named_parameters())
    if (name.find("weight") != std::string::npos && t.ndim() == 1) {
      CHECK(std_of(t) == doctest::Approx(0.02).epsilon(0.2));
      break;
    }
  // Without a scheme the layers keep PyTorch's fan-in uniform default: bound 1/√(fan_in).
  Generator init2(11, 1);
  models::DcGan plain(models::DcGanSpec{}, init2, DType::f32);
  CHECK(std_of(first_weight(plain.discriminator())) == doctest::Approx(1.0 / std::sqrt(48.0) / std::sqrt(3.0)).epsilon(0.05));
}

namespace {

struct TinyRun {
  models::ImageTrainingData data{data::make_fake_images(8, 3, 64, 21), "8 fake images"};
  Generator init{21, 1};
  models::DcGan model;
  models::TrainOptions opt;

  TinyRun(const fs::path& dir, int epochs)
      : model(spec(), init, DType::f32),
        opt(aafgan::testing::tiny_image_run_options(dir.string(), epochs, "[dcgan test]")) {}
  static models::DcGanSpec spec() {
    models::DcGanSpec s;
    s.gen_hidden = "SHReLU";
    s.gen_init_weights = 1;
    s.dis_init_weights = 1;
    return s;
  }
  models::RunOutcome run() {
    models::AdversarialTrainer t(model, data, opt, DType::f32, std::make_shared<Generator>(21, 4));
    return t.run();
  }
};

}  // namespace

TEST_CASE("dcgan: one epoch on tiny random images writes every output, and a stopped run resumes bit-identically") {
  TempDir a("dcgan_straight"), b("dcgan_resumed");
  TinyRun straight(a.path(), 2);
  REQUIRE(straight.run() == models::RunOutcome::completed);
  for (const char* f : {"samples_img/1.png", "samples_img/2.png", "stats/d_losses.csv", "stats/g_losses.csv",
                        "stats/d_accuracies.csv", "stats/times.csv", "metrics.csv",
                        "model_checkpoints/last.ckpt", "config.json"})
    CHECK_MESSAGE(fs::exists(a.path() / f), f);
  // A build without Cairo draws no plots (it says so at start).
  CHECK(fs::exists(a.path() / "graphics/losses.png") == data::plots_available());

  models::stop_requested().store(true);
  {
    TinyRun first(b.path(), 2);
    CHECK(first.run() == models::RunOutcome::interrupted);
  }
  models::stop_requested().store(false);
  TinyRun resumed(b.path(), 2);
  REQUIRE(resumed.run() == models::RunOutcome::completed);
  // Parameters and BN running statistics alike.
  for (const char* net : {"G", "D"}) {
    nn::Module& x = net[0] == 'G' ? straight.model.generator() : straight.model.discriminator();
    nn::Module& y = net[0] == 'G' ? resumed.model.generator() : resumed.model.discriminator();
    const auto px = x.named_parameters(), py = y.named_parameters();
    REQUIRE(px.size() == py.size());
    for (size_t i = 0; i < px.size(); ++i) CHECK_MESSAGE(px[i].second.to_vector() == py[i].second.to_vector(), px[i].first);
    const auto bx = x.named_buffers(), by = y.named_buffers();
    REQUIRE(bx.size() == by.size());
    for (size_t i = 0; i < bx.size(); ++i) CHECK_MESSAGE(bx[i].second.to_vector() == by[i].second.to_vector(), bx[i].first);
  }
}
