// GAN quality metrics (metrics/): the FID Inception against pytorch-fid's network in PyTorch
// (tests/fixtures/fid_inception_*, tools/make_fid_fixture.py), the Fréchet distance, KID and the
// Parzen window against closed forms and NumPy (tests/fixtures/fid_math_reference.json,
// tools/make_fid_math_fixture.py), weight-file errors, and a tiny DCGAN run writing
// fid_scores.csv every epoch.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/test_helpers.h"
#include "tests/tiny_image_run.h"
#include "data/fake_images.h"
#include "engine/autograd.h"
#include "engine/checkpoint.h"
#include "base/random_streams.h"
#include "models/dcgan.h"
#include "metrics/features.h"
#include "metrics/frechet.h"
#include "metrics/gan_metrics.h"
#include "metrics/inception.h"
#include "metrics/kid.h"
#include "metrics/parzen.h"
#include "models/image_data.h"
#include "models/mnist_condgan.h"
#include "tests/temp_dir.h"

using namespace aafgan;
using aafgan::testing::distinct_leaf;
using aafgan::testing::expect_error;
using namespace aafgan::models::fid;
using aafgan::testing::TempDir;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kFixtures = AAFGAN_FIXTURES_DIR;
const std::string kWeights = kFixtures + "/fid_inception_w16.aafgan";

json read_json(const std::string& name) {
  std::ifstream in(kFixtures + "/" + name);
  REQUIRE_MESSAGE(in.good(), "cannot open " << name);
  return json::parse(in);
}

FeatureMatrix matrix_of(const json& j) {
  const auto shape = j.at("shape").get<std::vector<int64_t>>();
  const auto data = j.at("data").get<std::vector<double>>();
  REQUIRE(shape.size() == 2);
  FeatureMatrix m(shape[0], shape[1]);
  for (size_t i = 0; i < data.size(); ++i) m.data()[i] = data[i];
  return m;
}


std::vector<double> read_csv_row(const fs::path& p) {
  std::ifstream in(p);
  std::string line, cell;
  std::getline(in, line);
  std::vector<double> v;
  std::stringstream ss(line);
  while (std::getline(ss, cell, ',')) v.push_back(std::stod(cell));
  return v;
}

// Rows with a known covariance: n rows of d correlated Gaussians.
FeatureMatrix gaussian_rows(int64_t n, int64_t d, uint64_t seed, double offset = 0.0) {
  Generator gen(seed);
  Tensor z = randn(Shape{n, d}, gen, DType::f64);
  FeatureMatrix m(n, d);
  const double* p = z.data<double>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j)
      m(i, j) = p[i * d + j] * (1.0 + 0.25 * static_cast<double>(j)) + (j > 0 ? 0.5 * p[i * d + j - 1] : 0.0) + offset;
  return m;
}

}  // namespace

// --- the Inception port -------------------------------------------------------------------------

TEST_CASE("fid inception: features match pytorch-fid's network in PyTorch to 1e-4") {
  const json ref = read_json("fid_inception_reference.json");
  for (DType dt : {DType::f64, DType::f32}) {
    for (const json& c : ref.at("cases")) {
      const auto net = FidInception::load(kWeights, dt, c.at("resize").get<int>());
      CHECK(net->feature_dim() == 2048 / ref.at("width_divisor").get<int>());
      std::vector<double> pixels;
      for (int v : c.at("pixels")) pixels.push_back(v / 255.0);
      const Tensor x = Tensor::from_vector(Shape(c.at("shape").get<std::vector<int64_t>>()), pixels, dt);
      Tensor y;
      {
        autograd::NoGradGuard no_grad;
        y = net->forward(x);
      }
      const std::vector<double> want = c.at("features").at("data").get<std::vector<double>>();
      const std::vector<double> got = y.to_vector();
      REQUIRE(got.size() == want.size());
      // Relative to the feature vector's scale (its largest element, and its norm): a feature
      // near 0 has no meaningful relative error of its own. PyTorch's own float32 forward is
      // 4e-6 of the scale from this float64 reference.
      double scale = 0, worst = 0, worst_rel = 0, err2 = 0, norm2 = 0;
      for (double w : want) scale = std::max(scale, std::fabs(w));
      for (size_t i = 0; i < got.size(); ++i) {
        const double e = std::fabs(got[i] - want[i]);
        worst = std::max(worst, e);
        err2 += e * e;
        norm2 += want[i] * want[i];
        if (std::fabs(want[i]) > 1e-2 * scale) worst_rel = std::max(worst_rel, e / std::fabs(want[i]));
      }
      MESSAGE(c.at("name").get<std::string>() << " " << std::string(dtype_name(dt)) << ": max |error| " << worst << " = "
                                              << worst / scale << " of the largest feature " << scale
                                              << ", error norm / feature norm " << std::sqrt(err2 / norm2)
                                              << ", max elementwise relative error (features > 1% of the largest) "
                                              << worst_rel);
      const double tol = dt == DType::f64 ? 1e-10 : 1e-4;
      CHECK(worst <= tol * scale);
      CHECK(std::sqrt(err2 / norm2) <= tol);
    }
  }
}

TEST_CASE("fid inception: full width has pytorch-fid's tensor names and 21785568 parameters") {
  const FidInception net;
  CHECK(net.feature_dim() == 2048);
  int64_t params = 0;
  for (const auto& [name, t] : net.named_parameters()) {
    params += t.numel();
    CHECK_FALSE(t.requires_grad());
  }
  CHECK(params == 21785568);
  CHECK(net.named_parameters().size() + net.named_buffers().size() == 470);
  std::vector<std::string> names;
  for (const auto& [name, t] : net.named_parameters()) names.push_back(name);
  for (const auto& [name, t] : net.named_buffers()) names.push_back(name);
  for (const char* want : {"Conv2d_1a_3x3.conv.weight", "Conv2d_4a_3x3.bn.bias", "Mixed_5b.branch1x1.bn.running_mean",
                           "Mixed_6e.branch7x7dbl_5.conv.weight", "Mixed_7a.branch7x7x3_4.conv.weight",
                           "Mixed_7c.branch3x3dbl_3b.bn.running_var", "Mixed_7c.branch_pool.conv.weight"})
    CHECK_MESSAGE(std::find(names.begin(), names.end(), want) != names.end(), want);
  for (const auto& [name, t] : net.named_parameters())
    if (name == "Mixed_6b.branch7x7_2.conv.weight") CHECK(t.shape() == Shape({128, 128, 1, 7}));
}

TEST_CASE("fid inception: missing or wrong weights are errors that name the file and the tensor") {
  TempDir tmp("fid_weights");
  expect_error("no file", [] { FidInception::load("/nonexistent/fid_inception.aafgan"); }, "/nonexistent/fid_inception.aafgan");
  const Checkpoint ck = load_checkpoint(kWeights);
  const auto rewrite = [&](const std::string& path, const std::function<void(nn::NamedTensors&)>& edit) {
    nn::NamedTensors t = ck.tensors;
    edit(t);
    save_checkpoint(path, t, ck.metadata);
  };
  const std::string missing = tmp.file("missing.aafgan");
  rewrite(missing, [](nn::NamedTensors& t) {
    t.erase(std::remove_if(t.begin(), t.end(), [](const auto& e) { return e.first == "Mixed_6e.branch_pool.bn.running_var"; }),
            t.end());
  });
  expect_error("missing", [&] { FidInception::load(missing); }, "lack tensor 'Mixed_6e.branch_pool.bn.running_var'");
  const std::string shape = tmp.file("shape.aafgan");
  rewrite(shape, [](nn::NamedTensors& t) {
    for (auto& e : t)
      if (e.first == "Conv2d_2a_3x3.conv.weight") e.second = Tensor::zeros({2, 2, 3, 4});
  });
  expect_error("misshaped", [&] { FidInception::load(shape); }, "tensor 'Conv2d_2a_3x3.conv.weight' is float32[2,2,3,4]");
  const std::string extra = tmp.file("extra.aafgan");
  rewrite(extra, [](nn::NamedTensors& t) { t.emplace_back("fc.weight", Tensor::zeros({3, 2})); });
  expect_error("extra", [&] { FidInception::load(extra); }, "'fc.weight'");
  expect_error("no weights option", [] { FidEvaluator(FidMetricOptions{}, FidReference{}); }, "--fid-weights");
  const std::string other = tmp.file("other.aafgan");
  save_checkpoint(other, {{"w", Tensor::zeros({2})}}, {{"format", "something-else"}});
  expect_error("other format", [&] { FidInception::load(other); }, "not FID Inception weights");
}

// --- Fréchet distance ---------------------------------------------------------------------------

TEST_CASE("frechet: identical sets give 0 and a pure mean shift gives the squared shift") {
  const FeatureMatrix a = gaussian_rows(400, 12, 1);
  const FrechetStats s = frechet_stats(a);
  CHECK(frechet_distance(s, s) <= 1e-8 * s.cov.trace());
  FrechetStats shifted = s;
  Eigen::VectorXd delta(12);
  for (int j = 0; j < 12; ++j) delta[j] = 0.1 * (j - 5);
  shifted.mean += delta;
  CHECK(frechet_distance(s, shifted) == doctest::Approx(delta.squaredNorm()).epsilon(1e-8));
  // The same through the accumulator: rows shifted by a constant have the same covariance.
  const FeatureMatrix b = gaussian_rows(400, 12, 1, 3.0);
  CHECK(frechet_distance(s, frechet_stats(b)) == doctest::Approx(12 * 9.0).epsilon(1e-8));
}

TEST_CASE("frechet: diagonal covariances have the closed form of the sum of squared root differences") {
  FrechetStats a, b;
  a.count = b.count = 10;
  a.mean = Eigen::VectorXd::Zero(4);
  b.mean = Eigen::VectorXd::Constant(4, 0.5);
  Eigen::VectorXd va(4), vb(4);
  va << 1.0, 4.0, 0.25, 2.0;
  vb << 9.0, 1.0, 0.25, 0.5;
  a.cov = va.asDiagonal();
  b.cov = vb.asDiagonal();
  double want = 4 * 0.25;
  for (int i = 0; i < 4; ++i) want += std::pow(std::sqrt(va[i]) - std::sqrt(vb[i]), 2);
  CHECK(frechet_distance(a, b) == doctest::Approx(want).epsilon(1e-12));
  CHECK(frechet_distance(b, a) == doctest::Approx(want).epsilon(1e-12));
}

TEST_CASE("frechet: statistics and distance match NumPy") {
  const json f = read_json("fid_math_reference.json").at("frechet");
  const FeatureMatrix x = matrix_of(f.at("x")), y = matrix_of(f.at("y"));
  // Fed in uneven batches: the pairwise update must equal the one-shot statistics.
  FrechetAccumulator acc(x.cols());
  for (int64_t i = 0; i < x.rows(); i += 7) acc.add(FeatureMatrix(x.middleRows(i, std::min<int64_t>(7, x.rows() - i))));
  const FrechetStats sx = acc.stats(), sy = frechet_stats(y);
  const FeatureMatrix s1 = matrix_of(f.at("sigma1"));
  const auto mu1 = f.at("mu1").at("data").get<std::vector<double>>();
  for (int64_t i = 0; i < x.cols(); ++i) {
    CHECK(sx.mean[i] == doctest::Approx(mu1[static_cast<size_t>(i)]).epsilon(1e-12));
    for (int64_t j = 0; j < x.cols(); ++j) CHECK(sx.cov(i, j) == doctest::Approx(s1(i, j)).epsilon(1e-11));
  }
  CHECK(sx.count == x.rows());
  CHECK(frechet_distance(sx, sy) == doctest::Approx(f.at("fid").get<double>()).epsilon(1e-10));
}

TEST_CASE("frechet: statistics files round-trip and foreign files are refused") {
  TempDir tmp("fid_stats");
  const FrechetStats s = frechet_stats(gaussian_rows(50, 5, 3));
  save_frechet_stats(tmp.file("s.stats"), s, {{"key", "abc"}}, {{"features", Tensor::ones({2, 5})}});
  const FrechetStatsFile f = load_frechet_stats(tmp.file("s.stats"));
  CHECK(f.stats.count == 50);
  CHECK(f.stats.mean == s.mean);
  CHECK(f.stats.cov == s.cov);
  CHECK(f.metadata.at("key") == "abc");
  REQUIRE(f.extra.size() == 1);
  CHECK(f.extra[0].first == "features");
  expect_error("weights as stats", [] { load_frechet_stats(kWeights); }, "is not a file of FID statistics");
  expect_error("one vector", [] { FrechetAccumulator a(3); a.add(FeatureMatrix::Zero(1, 3)); a.stats(); },
               "at least 2 feature vectors");
}

// --- KID ----------------------------------------------------------------------------------------

TEST_CASE("kid: unbiased polynomial MMD on given subsets matches NumPy") {
  const json k = read_json("fid_math_reference.json").at("kid");
  const FeatureMatrix real = matrix_of(k.at("real")), fake = matrix_of(k.at("fake"));
  const auto rs = k.at("real_subsets").get<std::vector<std::vector<int64_t>>>();
  const auto fs_ = k.at("fake_subsets").get<std::vector<std::vector<int64_t>>>();
  const auto mmd = k.at("mmd2").get<std::vector<double>>();
  for (size_t s = 0; s < rs.size(); ++s) {
    const double got = kid_from_subsets(real, fake, {rs[s]}, {fs_[s]}).mean;
    CHECK(got == doctest::Approx(mmd[s]).epsilon(1e-10));
  }
  const KidResult r = kid_from_subsets(real, fake, rs, fs_);
  CHECK(r.subsets == static_cast<int>(rs.size()));
  CHECK(r.mean == doctest::Approx(k.at("mean").get<double>()).epsilon(1e-10));
  CHECK(r.std == doctest::Approx(k.at("std").get<double>()).epsilon(1e-10));
  // Sets of different sizes use the general unbiased form.
  CHECK(polynomial_mmd2_unbiased(real, fake) == doctest::Approx(k.at("mmd2_whole_sets").get<double>()).epsilon(1e-10));
}

TEST_CASE("kid: subsets are seeded draws of distinct indices capped at the smaller set") {
  Generator g1(5, stream_id(RandomStream::kid_subsets)), g2(5, stream_id(RandomStream::kid_subsets));
  const auto a = draw_subsets(30, 10, 4, g1), b = draw_subsets(30, 10, 4, g2);
  CHECK(a == b);
  for (const auto& s : a) {
    CHECK(s.size() == 10);
    CHECK(std::adjacent_find(s.begin(), s.end()) == s.end());  // sorted, so distinct means no equal neighbours
    CHECK(s.front() >= 0);
    CHECK(s.back() < 30);
  }
  CHECK(a[0] != a[1]);
  const FeatureMatrix x = gaussian_rows(12, 4, 7), y = gaussian_rows(9, 4, 8, 0.5);
  KidOptions o;
  o.subsets = 6;
  o.seed = 3;
  const KidResult r = kernel_inception_distance(x, y, o), again = kernel_inception_distance(x, y, o);
  CHECK(r.subset_size == 9);
  CHECK(r.subsets == 6);
  CHECK(r.mean == again.mean);
  // One "subset" holding every row of equal-size sets is the whole-set estimate.
  o.subsets = 1;
  const FeatureMatrix y12 = gaussian_rows(12, 4, 9, 0.5);
  CHECK(kernel_inception_distance(x, y12, o).mean == doctest::Approx(polynomial_mmd2_unbiased(x, y12)).epsilon(1e-12));
  expect_error("too few", [] { kernel_inception_distance(FeatureMatrix::Zero(1, 3), FeatureMatrix::Zero(5, 3)); },
               "at least 2");
}

// --- Parzen window ------------------------------------------------------------------------------

TEST_CASE("parzen: one sample gives the Gaussian log-density and two give their mixture") {
  FeatureMatrix s(1, 2), x(2, 2);
  s << 0.3, -0.2;
  x << 0.3, -0.2, 1.3, 0.8;
  const double sigma = 0.7;
  const auto ll = parzen_log_likelihoods(s, x, {sigma}).front();
  const double norm = 2 * std::log(sigma * std::sqrt(2 * M_PI));
  CHECK(ll[0] == doctest::Approx(-norm).epsilon(1e-12));
  CHECK(ll[1] == doctest::Approx(-2.0 / (2 * sigma * sigma) - norm).epsilon(1e-12));
  // 1-D, two samples: log(½·N(x; s1, σ) + ½·N(x; s2, σ)).
  FeatureMatrix s2(2, 1), x1(1, 1);
  s2 << -1.0, 2.0;
  x1 << 0.5;
  const auto pdf = [](double v, double m, double sd) {
    return std::exp(-(v - m) * (v - m) / (2 * sd * sd)) / (sd * std::sqrt(2 * M_PI));
  };
  CHECK(parzen_log_likelihoods(s2, x1, {0.4}).front()[0] ==
        doctest::Approx(std::log(0.5 * pdf(0.5, -1.0, 0.4) + 0.5 * pdf(0.5, 2.0, 0.4))).epsilon(1e-12));
  // Far from every sample with a narrow window: the log-sum-exp stays finite.
  FeatureMatrix far(1, 2);
  far << 100.0, 100.0;
  const double v = parzen_log_likelihoods(s, far, {0.1}).front()[0];
  CHECK(std::isfinite(v));
  CHECK(v == doctest::Approx(-((99.7 * 99.7 + 100.2 * 100.2) / 0.02) - 2 * std::log(0.1 * std::sqrt(2 * M_PI))));
}

TEST_CASE("parzen: matches NumPy and picks the grid bandwidth that is best on validation") {
  const json p = read_json("fid_math_reference.json").at("parzen");
  const FeatureMatrix samples = matrix_of(p.at("samples")), valid = matrix_of(p.at("validation")),
                      test = matrix_of(p.at("test"));
  const auto grid = parzen_sigma_grid();
  const auto want_grid = p.at("sigmas").get<std::vector<double>>();
  REQUIRE(grid.size() == want_grid.size());
  for (size_t i = 0; i < grid.size(); ++i) CHECK(grid[i] == doctest::Approx(want_grid[i]).epsilon(1e-14));
  // Batches of 3 rows: the batching must not change a value.
  const ParzenResult r = parzen_evaluate(samples, valid, test, grid, 3);
  const auto want_val = p.at("validation_means").get<std::vector<double>>();
  for (size_t i = 0; i < grid.size(); ++i) CHECK(r.validation_means[i] == doctest::Approx(want_val[i]).epsilon(1e-10));
  CHECK(r.sigma == doctest::Approx(p.at("sigma").get<double>()).epsilon(1e-14));
  for (double m : r.validation_means) CHECK(m <= r.validation_means[std::find(grid.begin(), grid.end(), r.sigma) - grid.begin()]);
  CHECK(r.mean == doctest::Approx(p.at("mean").get<double>()).epsilon(1e-10));
  CHECK(r.std_error == doctest::Approx(p.at("std_error").get<double>()).epsilon(1e-9));
}

TEST_CASE("parzen: the mnist metric scores a conditional generator against held-out rows") {
  models::MnistGanSpec spec;
  Generator init(3, 1);
  models::MnistCondGan gan(spec, init, std::make_shared<Generator>(3, 4), DType::f32);
  auto rows = [](uint64_t seed) {
    Generator g(seed);
    Tensor t = rand(Shape{6, 784}, g, DType::f64);
    FeatureMatrix m(6, 784);
    std::copy(t.data<double>(), t.data<double>() + t.numel(), m.data());
    return std::make_shared<const FeatureMatrix>(m);
  };
  ParzenMetricOptions o;
  o.samples = 30;
  const auto metrics = parzen_metrics(rows(1), rows(2), o, 3, DType::f32);
  REQUIRE(metrics.size() == 4);
  CHECK(metrics[0].csv_name == "parzen_log_likelihood");
  CHECK(metrics[0].reference_stats == "lls_avg");
  CHECK(metrics[1].reference_stats == "lls_std");
  const double ll = metrics[0].compute(gan), std_ll = metrics[1].compute(gan), se = metrics[2].compute(gan),
               sigma = metrics[3].compute(gan);
  CHECK(std::isfinite(ll));
  CHECK(se >= 0);
  CHECK(se == doctest::Approx(std_ll / std::sqrt(6.0)));  // 6 test rows
  CHECK(std::find(o.grid.begin(), o.grid.end(), sigma) != o.grid.end());
  CHECK(metrics[0].compute(gan) == ll);  // the same noise every epoch
}

// --- FID as an epoch metric -----------------------------------------------------------------------

namespace {

FidMetricOptions tiny_fid_options(const std::string& cache) {
  FidMetricOptions o;
  o.weights_path = kWeights;
  o.samples = 5;
  o.batch_size = 3;  // a short last batch
  o.stats_cache = cache;
  o.kid_subsets = 3;
  o.kid_subset_size = 4;
  o.verbose = false;
  return o;
}

FidReference fake_reference(int* loads) {
  return {[loads] {
            ++*loads;
            return data::make_fake_images(8, 3, 64, 99);
          },
          "fake seed=99 count=8"};
}

}  // namespace

TEST_CASE("fid metric: a tiny dcgan run writes fid and kid scores every epoch and caches the real statistics") {
  TempDir tmp("fid_dcgan");
  const std::string cache = tmp.file("real.fidstats");
  int loads = 0;
  auto evaluator = std::make_shared<FidEvaluator>(tiny_fid_options(cache), fake_reference(&loads));
  CHECK(loads == 1);
  CHECK(fs::exists(cache));
  CHECK(evaluator->reference_stats().count == 8);

  models::ImageTrainingData data{data::make_fake_images(4, 3, 64, 21), "4 fake images"};  // one batch an epoch
  models::DcGanSpec spec;
  spec.gen_init_weights = 1;
  spec.dis_init_weights = 1;
  Generator init(21, 1);
  models::DcGan model(spec, init, DType::f32);
  // Measuring leaves the generator's BatchNorm statistics as they were.
  const auto before = model.generator().named_buffers()[0].second.to_vector();
  const FidScores direct = evaluator->score(model, 21, DType::f32);
  CHECK(model.generator().named_buffers()[0].second.to_vector() == before);
  CHECK(direct.fid > 0);
  CHECK(evaluator->score(model, 21, DType::f32).fid == direct.fid);

  models::TrainOptions opt = aafgan::testing::tiny_image_run_options((tmp.path() / "run").string(), 2, "[fid test]");
  opt.metrics = fid_metrics(evaluator, 21, DType::f32);
  REQUIRE(opt.metrics.size() == 3);
  models::AdversarialTrainer trainer(model, data, opt, DType::f32, std::make_shared<Generator>(21, 4));
  REQUIRE(trainer.run() == models::RunOutcome::completed);
  const std::vector<double> fid = read_csv_row(tmp.path() / "run/stats/fid_scores.csv");
  REQUIRE(fid.size() == 2);
  for (double v : fid) CHECK((std::isfinite(v) && v > 0));
  CHECK(read_csv_row(tmp.path() / "run/stats/kid_scores.csv").size() == 2);
  CHECK(read_csv_row(tmp.path() / "run/stats/kid_scores_std.csv").size() == 2);

  // A second start reads the cache instead of the images; other images are refused.
  FidEvaluator again(tiny_fid_options(cache), fake_reference(&loads));
  CHECK(loads == 1);
  CHECK(again.reference_stats().mean == evaluator->reference_stats().mean);
  FidReference other = fake_reference(&loads);
  other.fingerprint = "fake seed=98 count=8";
  expect_error("stale cache", [&] { FidEvaluator(tiny_fid_options(cache), other); }, "delete the file");
}

TEST_CASE("fid metric: gray images become RGB and generator outputs map to the unit range") {
  const auto net = FidInception::load(kWeights);
  const data::ImageDataset gray = data::make_fake_images(3, 1, 64, 5);
  const FeatureMatrix f = extract_features(*net, 3, 2, [&](int64_t first, int64_t n) {
    return dataset_batch(gray, first, n);
  });
  CHECK(f.rows() == 3);
  CHECK(f.cols() == 128);
  const Tensor g = gan_to_unit_range(Tensor::from_vector({4}, {-1.0, 0.0, 1.0, 3.0}));
  CHECK(g.to_vector() == std::vector<double>{0.0, 0.5, 1.0, 1.0});
}
