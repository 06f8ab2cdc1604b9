// stats/ holds what the reference code wrote, with its names and units, so that its analysis
// scripts read our run folders (issue 14 §2): the expected folder below is laid out by hand from
// the reference's description, not derived from our writer.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "metrics/gan_metrics.h"
#include "models/mnist_classifier.h"
#include "metrics/mnist_metrics.h"
#include "tests/temp_dir.h"
#include "tests/trainer_run.h"

using namespace aafgan;
namespace fs = std::filesystem;

namespace {

std::vector<double> row_of(const fs::path& p) {
  std::ifstream in(p);
  REQUIRE_MESSAGE(in, p.string());
  std::string line, rest;
  std::getline(in, line);
  CHECK_MESSAGE(!std::getline(in, rest), p.string() << " holds more than one row");
  std::vector<double> v;
  std::stringstream ss(line);
  for (std::string cell; std::getline(ss, cell, ',');) v.push_back(std::stod(cell));
  return v;
}

// metrics.csv column `name`, one value per epoch.
std::vector<double> column_of(const fs::path& metrics, const std::string& name) {
  std::ifstream in(metrics);
  std::string header;
  std::getline(in, header);
  std::vector<std::string> cols;
  std::stringstream hs(header);
  for (std::string c; std::getline(hs, c, ',');) cols.push_back(c);
  const auto at = std::find(cols.begin(), cols.end(), name);
  REQUIRE_MESSAGE(at != cols.end(), name);
  std::vector<double> v;
  for (std::string line; std::getline(in, line);) {
    std::stringstream ls(line);
    std::string cell;
    for (long i = 0; i <= at - cols.begin(); ++i) std::getline(ls, cell, ',');
    v.push_back(std::stod(cell));
  }
  return v;
}

}  // namespace

TEST_CASE("reference stats: the files, names and units of the reference's stats/ folder") {
  testing::TempDir dir("reference_stats");
  testing::TrainerRun r(dir.path(), 2);  // G: MiDA hidden layers, BHSA output (tests/trainer_run.h)
  Generator init(3, 1);
  auto classifier = std::make_shared<models::MnistClassifier>(init, std::make_shared<Generator>(3, 2));
  r.opt.metrics.push_back(models::classifier_metric(classifier, 7, 100, DType::f32));
  const data::MnistSplit& digits = testing::bundled_digits();
  auto validation = std::make_shared<const models::fid::FeatureMatrix>(models::fid::mnist_rows(digits, 300, 50));
  auto test = std::make_shared<const models::fid::FeatureMatrix>(models::fid::mnist_rows(digits, 350, 50));
  models::fid::ParzenMetricOptions parzen;
  parzen.samples = 100;
  for (auto& m : models::fid::parzen_metrics(validation, test, parzen, 7, DType::f32)) r.opt.metrics.push_back(m);
  REQUIRE(r.run() == models::RunOutcome::completed);

  // The reference's files: epoch numbers, the loss series, classifier accuracy in percent
  // (hits/len*100), Parzen mean and std, and per adaptive parameter <Gen|Dis>_<param>_<layer
  // index in the config's layer list>: G's list is Linear, custom_relu, Linear, custom_relu,
  // Linear, custom_relu, Linear, last_activation, so MiDA sits at 1, 3, 5 and BHSA at 7.
  const std::set<std::string> reference = {
      "x", "times", "d_losses", "g_losses", "d_accuracies", "pre_classifier_accuracies", "lls_avg", "lls_std",
      "Gen_lambda_1", "Gen_tau_1", "Gen_lambda_3", "Gen_tau_3", "Gen_lambda_5", "Gen_tau_5", "Gen_lambda_7",
      "Gen_tau_7"};
  std::set<std::string> written;
  for (const auto& e : fs::directory_iterator(dir.path() / "stats")) written.insert(e.path().stem().string());
  for (const std::string& f : reference) CHECK_MESSAGE(written.count(f) == 1, "stats/" << f << ".csv is missing");

  const fs::path stats = dir.path() / "stats", metrics = dir.path() / "metrics.csv";
  CHECK(row_of(stats / "x.csv") == std::vector<double>{1, 2});
  // Percent in stats/, a fraction in metrics.csv.
  const std::vector<double> percent = row_of(stats / "pre_classifier_accuracies.csv");
  const std::vector<double> fraction = column_of(metrics, "pre_classifier_accuracies");
  REQUIRE(percent.size() == 2);
  for (size_t e = 0; e < 2; ++e) {
    CHECK(fraction[e] >= 0.0);
    CHECK(fraction[e] <= 1.0);
    CHECK(percent[e] == doctest::Approx(100 * fraction[e]));
  }
  CHECK(row_of(stats / "lls_avg.csv") == column_of(metrics, "parzen_log_likelihood"));
  const std::vector<double> std_ll = row_of(stats / "lls_std.csv"), se = column_of(metrics, "parzen_log_likelihood_se");
  for (size_t e = 0; e < 2; ++e) CHECK(std_ll[e] == doctest::Approx(se[e] * std::sqrt(50.0)));  // se = std/√#test
  for (const char* f : {"d_losses", "g_losses", "d_accuracies", "times"})
    CHECK(row_of(stats / (std::string(f) + ".csv")) == column_of(metrics, f));
  CHECK(row_of(stats / "Gen_lambda_7.csv") == column_of(metrics, "G.out.BHSA.lambda.mean"));
  CHECK(row_of(stats / "Gen_tau_3.csv") == column_of(metrics, "G.hidden2.MiDA.tau.mean"));
}
