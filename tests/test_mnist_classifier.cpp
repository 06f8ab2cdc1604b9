// The reference MNIST classifier that scores generated digits: its output is a proper
// distribution, its checkpoints restore it exactly, it learns from real digits, and the GAN's
// [−1, 1] images reach it with the normalisation it was trained on.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "data/mnist.h"
#include "engine/autograd.h"
#include "engine/checkpoint.h"
#include "engine/optim/adadelta.h"
#include "models/mnist_classifier.h"

using namespace aafgan;
using models::MnistClassifier;
namespace fs = std::filesystem;

namespace {

const std::string kBundledMnist = AAFGAN_FIXTURES_DIR "/../../data/mnist";

class TempFile {
 public:
  explicit TempFile(const std::string& tag)
      : path_((fs::temp_directory_path() / ("aafgan_test_mnist_classifier_" + tag + "_" + std::to_string(::getpid()) + ".ckpt"))
                  .string()) {}
  ~TempFile() {
    std::error_code ec;
    fs::remove(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Tensor random_images(int64_t n, uint64_t seed, DType dt) {
  Generator g(seed);
  return randn(Shape{n, 1, 28, 28}, g, dt);
}

// Mean NLL over a fixed set, without dropout or recording: a deterministic measure of fit.
double eval_loss(MnistClassifier& net, const Tensor& x, const Tensor& y) {
  autograd::NoGradGuard no_grad;
  net.eval();
  const double l = nll_loss(net(x), y).item();
  net.train();
  return l;
}

}  // namespace

TEST_CASE("mnist classifier: output is [N, 10] log-probabilities (f32 and f64)") {
  for (DType dt : {DType::f32, DType::f64}) {
    Generator init(3);
    MnistClassifier net(init, std::make_shared<Generator>(4), dt);
    CHECK(net.parameters().size() == 8);
    CHECK(net.named_parameters()[0].first == "conv1.weight");
    const Tensor out = net(random_images(5, 7, dt));
    REQUIRE(out.shape() == Shape{5, 10});
    CHECK(out.dtype() == dt);
    const std::vector<double> v = out.to_vector();
    for (int r = 0; r < 5; ++r) {
      double s = 0;
      for (int c = 0; c < 10; ++c) {
        CHECK(v[static_cast<size_t>(r * 10 + c)] <= 0.0);
        s += std::exp(v[static_cast<size_t>(r * 10 + c)]);
      }
      CHECK(s == doctest::Approx(1.0).epsilon(dt == DType::f32 ? 1e-5 : 1e-12));
    }
    autograd::clear_tape();
    CHECK_THROWS_WITH_AS(net(Tensor::zeros(Shape{2, 784}, dt)), doctest::Contains("[N, 1, 28, 28]"), Error);
  }
}

TEST_CASE("mnist classifier: save/load round trip gives identical outputs") {
  TempFile file("roundtrip");
  Generator init(5);
  MnistClassifier net(init, std::make_shared<Generator>(6));
  net.eval();
  const Tensor x = random_images(4, 8, DType::f32);
  autograd::NoGradGuard no_grad;
  const Tensor before = net(x);
  net.save(file.path(), {{"held_out_accuracy", 0.5}});

  MnistClassifier loaded = MnistClassifier::load(file.path());
  loaded.eval();
  const Tensor after = loaded(x);
  REQUIRE(after.shape() == before.shape());
  CHECK(std::memcmp(after.raw_data(), before.raw_data(), before.nbytes()) == 0);
  CHECK(loaded.metadata().at("held_out_accuracy").get<double>() == 0.5);
  CHECK(loaded.metadata().at("model").get<std::string>() == "mnist_classifier");
  // Distinct storage: training the loaded net must not move the original.
  CHECK(!loaded.parameters()[0].same_storage(net.parameters()[0]));

  // A checkpoint of something else is refused by name, not with a shape error.
  save_checkpoint(file.path(), {{"conv1.weight", Tensor::zeros(Shape{32, 1, 3, 3})}}, {{"model", "gan"}});
  CHECK_THROWS_WITH_AS(MnistClassifier::load(file.path()), doctest::Contains("not an MNIST classifier"), Error);
}

TEST_CASE("mnist classifier: accuracy counts matches in batches and restores the mode") {
  Generator init(9);
  MnistClassifier net(init, std::make_shared<Generator>(10));
  const Tensor x = random_images(7, 11, DType::f32);
  std::vector<int> pred;
  {
    autograd::NoGradGuard no_grad;
    net.eval();
    pred = models::argmax_rows(net(x));
    net.train();
  }
  CHECK(models::accuracy(net, x, pred, 3) == 1.0);  // 3 + 3 + 1: a short last batch
  CHECK(net.training());
  std::vector<int> wrong = pred;
  wrong[0] = (wrong[0] + 1) % 10;
  wrong[6] = (wrong[6] + 1) % 10;
  net.eval();
  CHECK(models::accuracy(net, x, wrong, 100) == doctest::Approx(5.0 / 7.0));
  CHECK(!net.training());
  CHECK(autograd::tape_size() == 0);
  CHECK_THROWS_AS(models::accuracy(net, x, std::vector<int>(6, 0), 3), Error);
}

TEST_CASE("mnist classifier: gan_to_classifier_input and pixel input match the training normalisation") {
  const Tensor g = Tensor::from_vector({2, 784}, std::vector<double>(2 * 784, -1.0));
  {
    Tensor g2 = g.clone();
    g2.data<float>()[784] = 1.0f;
    g2.data<float>()[785] = 0.0f;
    const Tensor x = models::gan_to_classifier_input(g2);
    REQUIRE(x.shape() == Shape{2, 1, 28, 28});
    const std::vector<double> v = x.to_vector();
    CHECK(v[0] == doctest::Approx((0.0 - 0.1307) / 0.3081).epsilon(1e-6));
    CHECK(v[784] == doctest::Approx((1.0 - 0.1307) / 0.3081).epsilon(1e-6));
    CHECK(v[785] == doctest::Approx((0.5 - 0.1307) / 0.3081).epsilon(1e-6));
  }
  CHECK(models::gan_to_classifier_input(Tensor::zeros(Shape{3, 1, 28, 28}, DType::f64)).dtype() == DType::f64);
  CHECK_THROWS_AS(models::gan_to_classifier_input(Tensor::zeros(Shape{2, 100})), Error);

  // The real pixels 0 and 255 land exactly where the GAN's −1 and 1 do.
  const std::vector<uint8_t> pixels = [] {
    std::vector<uint8_t> p(2 * 784, 0);
    p[784] = 255;
    return p;
  }();
  const std::vector<double> v = models::mnist_pixels_to_input(pixels, 1, 1, DType::f64).to_vector();
  CHECK(v.size() == 784);
  CHECK(v[0] == doctest::Approx((1.0 - 0.1307) / 0.3081).epsilon(1e-12));
  CHECK(v[1] == doctest::Approx((0.0 - 0.1307) / 0.3081).epsilon(1e-12));
  CHECK_THROWS_AS(models::mnist_pixels_to_input(pixels, 1, 2), Error);
}

TEST_CASE("mnist classifier: a short Adadelta training on bundled digits reduces the loss") {
  REQUIRE_MESSAGE(data::has_mnist_split(kBundledMnist, "t10k"), "bundled MNIST missing at ", kBundledMnist);
  const data::MnistSplit split = data::load_mnist_split(kBundledMnist, "t10k");
  constexpr int64_t kImages = 240, kBatch = 24, kEpochs = 2;
  const Tensor x = models::mnist_pixels_to_input(split.images, 0, kImages);
  std::vector<double> lab(split.labels.begin(), split.labels.begin() + kImages);
  const Tensor y = Tensor::from_vector(Shape{kImages}, lab);

  Generator init(1);
  MnistClassifier net(init, std::make_shared<Generator>(2));
  optim::Adadelta opt(net.parameters());  // lr 1.0, the reference's
  const double before = eval_loss(net, x, y);
  for (int64_t e = 0; e < kEpochs; ++e)
    for (int64_t s = 0; s < kImages; s += kBatch) {
      const Tensor xb = models::mnist_pixels_to_input(split.images, s, kBatch);
      const Tensor yb = Tensor::from_vector(Shape{kBatch}, std::vector<double>(lab.begin() + s, lab.begin() + s + kBatch));
      opt.zero_grad();
      autograd::backward(nll_loss(net(xb), yb));
      opt.step();
    }
  const double after = eval_loss(net, x, y);
  const std::vector<int> labels(split.labels.begin(), split.labels.begin() + kImages);
  const double acc = models::accuracy(net, x, labels, 128);
  MESSAGE("loss ", before, " -> ", after, " after ", kEpochs * kImages / kBatch, " steps; accuracy on them ", acc);
  CHECK(before == doctest::Approx(std::log(10.0)).epsilon(0.1));
  CHECK(after < 0.5 * before);
  CHECK(acc > 0.7);
}
