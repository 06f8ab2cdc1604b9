// ./mnist_condgan's default classifier (issue 14 §1): trained once per set of digits, kept in the
// cache folder, reused by later runs, retrained when the entry is damaged or for other digits.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "metrics/classifier_cache.h"
#include "metrics/mnist_classifier_training.h"
#include "tests/temp_dir.h"
#include "tests/trainer_run.h"

using namespace aafgan;
namespace fs = std::filesystem;

namespace {

void write_idx(const std::string& path, const std::vector<uint32_t>& dims, const uint8_t* values, size_t n) {
  std::vector<uint8_t> b = {0, 0, 0x08, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<uint8_t>(d >> shift));
  b.insert(b.end(), values, values + n);
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), static_cast<long>(b.size()));
}

// The first `count` bundled digits as a folder holding a t10k split only.
void write_digits(const std::string& dir, int count, int first = 0) {
  const data::MnistSplit& s = testing::bundled_digits();
  fs::create_directories(dir);
  write_idx(dir + "/t10k-images-idx3-ubyte", {static_cast<uint32_t>(count), 28, 28}, s.images.data() + first * 784,
            static_cast<size_t>(count) * 784);
  std::vector<uint8_t> labels(s.labels.begin() + first, s.labels.begin() + first + count);
  write_idx(dir + "/t10k-labels-idx1-ubyte", {static_cast<uint32_t>(count)}, labels.data(), labels.size());
}

// Calls cached_mnist_classifier with its log captured.
std::string load_logged(const std::string& dir, std::shared_ptr<models::MnistClassifier>* net) {
  std::FILE* log = std::tmpfile();
  REQUIRE(log);
  *net = models::cached_mnist_classifier(dir, log);
  std::rewind(log);
  std::string text;
  for (int c; (c = std::fgetc(log)) != EOF;) text += static_cast<char>(c);
  std::fclose(log);
  return text;
}

int entries(const fs::path& cache) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(cache)) n += e.path().extension() == ".ckpt";
  return n;
}

}  // namespace

TEST_CASE("classifier cache: trained once for the digits in use, then reused, and retrained when damaged") {
  testing::TempDir tmp("classifier_cache");
  const fs::path cache = tmp.path() / "cache";
  ::setenv("AAFGAN_CACHE_DIR", cache.c_str(), 1);
  const std::string digits = tmp.file("digits");
  write_digits(digits, 250);  // 200 trained on, 50 held out: seconds for the 14 epochs

  std::shared_ptr<models::MnistClassifier> first, second;
  const std::string trained = load_logged(digits, &first);
  CHECK(trained.find("training the reference MNIST classifier once") != std::string::npos);
  CHECK(entries(cache) == 1);
  const std::string fp = models::load_classifier_data(digits).fingerprint();
  const fs::path entry = cache / ("mnist_classifier-" + fp + ".ckpt");
  REQUIRE(fs::exists(entry));
  CHECK(first->metadata().at("epochs") == 14);
  CHECK(first->metadata().at("data_fingerprint") == fp);
  CHECK(first->metadata().at("held_out_accuracy").get<double>() > 0.3);  // 200 digits: far above chance (0.1)

  const std::string reused = load_logged(digits, &second);
  CHECK(reused.find("training") == std::string::npos);
  CHECK(reused.find(entry.string()) != std::string::npos);
  const auto a = first->named_parameters(), b = second->named_parameters();
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) CHECK(a[i].second.to_vector() == b[i].second.to_vector());

  // A damaged entry is trained again, not trusted and not fatal.
  std::ofstream(entry, std::ios::binary | std::ios::trunc) << "not a checkpoint";
  const std::string redone = load_logged(digits, &second);
  CHECK(redone.find("unreadable") != std::string::npos);
  CHECK(redone.find("training the reference MNIST classifier once") != std::string::npos);
  CHECK(second->metadata().at("data_fingerprint") == fp);

  // Other digits are another entry.
  const std::string others = tmp.file("others");
  write_digits(others, 250, 1000);
  CHECK(models::load_classifier_data(others).fingerprint() != fp);
  load_logged(others, &second);
  CHECK(entries(cache) == 2);
}
