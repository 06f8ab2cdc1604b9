#pragma once
// A synthetic experiment folder with known values, for the report tests (tests/test_report*.cpp):
//   output/0..2          complete, classifier accuracy as fractions, FID, D loss, times, lr
//   output/3             unreadable (a bad cell on line 3 of metrics.csv)
//   output_DMiDA/0..3    complete, D.hidden1.MiDA.lambda.mean|max|min, a sample grid
//   output_DMish/0..1    complete (seed 1 writes the accuracy in percent)
//   output_DMish/2       in progress: 2 epochs, a checkpoint, no config.json
//   output_DMish/3       failed: error.txt, NaN / Infinity cells
//   output/0_failed_float32 and notes/  ignored folders
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "data/png_writer.h"

namespace aafgan::testing {

struct SyntheticRun {
  std::string model, seed;
  std::vector<std::pair<std::string, std::vector<std::string>>> columns;  // cells per epoch
  enum { complete, in_progress, failed } state = complete;
  std::string error;
  bool sample = false;
};

using Columns = std::vector<std::pair<std::string, std::vector<std::string>>>;

inline SyntheticRun make_run(const std::string& model, const std::string& seed, Columns columns) {
  SyntheticRun r;
  r.model = model;
  r.seed = seed;
  r.columns = std::move(columns);
  return r;
}

inline void write_text(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

inline std::vector<std::string> cells(std::initializer_list<double> v) {
  std::vector<std::string> out;
  for (double x : v) out.push_back(fmt::format("{}", x));
  return out;
}

inline void write_synthetic_run(const std::filesystem::path& root, const SyntheticRun& r) {
  const std::filesystem::path dir = root / r.model / r.seed;
  std::filesystem::create_directories(dir);
  std::string csv = "epoch";
  for (const auto& [name, v] : r.columns) csv += "," + name;
  csv += "\n";
  const size_t rows = r.columns.front().second.size();
  for (size_t e = 0; e < rows; ++e) {
    csv += std::to_string(e + 1);
    for (const auto& [name, v] : r.columns) csv += "," + v[e];
    csv += "\n";
  }
  write_text(dir / "metrics.csv", csv);
  write_text(dir / "model_checkpoints" / "last.ckpt", "checkpoint");
  if (r.state == SyntheticRun::complete) write_text(dir / "config.json", "{}\n");
  if (r.state == SyntheticRun::failed) write_text(dir / "error.txt", r.error + "\nmore detail\n");
  if (r.sample) {
    std::filesystem::create_directories(dir / "samples_img");
    for (int epoch : {1, 4}) {
      data::Image img{40, 20, 3, std::vector<uint8_t>(40 * 20 * 3)};
      for (size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<uint8_t>((i * 7 + epoch * 50) % 256);
      data::write_png((dir / "samples_img" / (std::to_string(epoch) + ".png")).string(), img);
    }
  }
}

// Classifier accuracies (fractions) per seed of each model; finals and bests are listed in the tests.
inline void write_synthetic_experiment(const std::filesystem::path& root) {
  using R = SyntheticRun;
  const std::vector<std::vector<double>> acc_default = {{.30, .55, .82, .91}, {.25, .50, .79, .88}, {.35, .60, .87, .86}};
  const std::vector<std::vector<double>> fid_default = {{50, 40, 30, 35}, {60, 45, 32, 33}, {55, 42, 31, 36}};
  for (int s = 0; s < 3; ++s) {
    const auto& a = acc_default[s];
    const auto& f = fid_default[s];
    write_synthetic_run(root, make_run("output", std::to_string(s),
                                {{"d_losses", cells({1.4, 1.3 + 0.01 * s, 1.2, 1.1})},
                                 {"fid_scores", cells({f[0], f[1], f[2], f[3]})},
                                 {"lr", cells({0.001, 0.00095, 0.0009025, 0.000857375})},
                                 {"pre_classifier_accuracies", cells({a[0], a[1], a[2], a[3]})},
                                 {"times", cells({10.0 + s, 10.5, 11, 9.5})}}));
  }
  // A malformed run: line 3 has a word where a number belongs.
  write_text(root / "output" / "3" / "metrics.csv", "epoch,d_losses\n1,1.0\n2,abc\n");
  write_text(root / "output" / "3" / "config.json", "{}\n");
  const std::vector<std::vector<double>> acc_mida = {{.40, .70, .90, .95}, {.45, .81, .92, .93}, {.38, .66, .85, .97}, {.42, .75, .91, .96}};
  const std::vector<std::vector<double>> fid_mida = {{45, 30, 25, 28}, {44, 26, 29, 27}, {47, 24, 28, 30}, {46, 30, 26, 26}};
  for (int s = 0; s < 4; ++s) {
    const auto& a = acc_mida[s];
    const auto& f = fid_mida[s];
    R r = make_run("output_DMiDA", std::to_string(s),
        {{"D.hidden1.MiDA.lambda.max", cells({0.8, 0.85, 0.9, 0.95})},
         {"D.hidden1.MiDA.lambda.mean", cells({0.5, 0.55, 0.6, 0.65 + 0.01 * s})},
         {"D.hidden1.MiDA.lambda.min", cells({0.2, 0.25, 0.3, 0.35})},
         {"d_losses", cells({1.5, 1.4, 1.3, 1.2})},
         {"fid_scores", cells({f[0], f[1], f[2], f[3]})},
         {"pre_classifier_accuracies", cells({a[0], a[1], a[2], a[3]})},
         {"times", cells({12, 12, 12, 12.5})}});
    r.sample = s == 0;
    write_synthetic_run(root, r);
  }
  write_synthetic_run(root, make_run("output_DMish", "0", {{"d_losses", cells({1.4, 1.3, 1.2, 1.0})},
                                                         {"pre_classifier_accuracies", cells({.33, .58, .80, .89})}}));
  // Percent already: read as percent (a value > 1.5).
  write_synthetic_run(root, make_run("output_DMish", "1", {{"d_losses", cells({1.4, 1.3, 1.2, 1.0})},
                                                         {"pre_classifier_accuracies", cells({31, 62, 83, 92})}}));
  R running = make_run("output_DMish", "2", {{"d_losses", cells({1.5, 1.35})}, {"pre_classifier_accuracies", cells({.30, .57})}});
  running.state = R::in_progress;
  write_synthetic_run(root, running);
  R failed = make_run("output_DMish", "3",
                      {{"d_losses", {"1.5", "NaN", "Infinity"}}, {"pre_classifier_accuracies", {"0.2", "-inf", "nan"}}});
  failed.state = R::failed;
  failed.error = "diverged: non-finite loss at epoch 2 batch 7 (d_loss nan, g_loss 0.7)";
  write_synthetic_run(root, failed);
  std::filesystem::create_directories(root / "output" / "0_failed_float32");
  std::filesystem::create_directories(root / "notes");
}

}  // namespace aafgan::testing
