#include "report/run_folder.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/json_limits.h"
#include "report/metric_catalog.h"

namespace aafgan::report {

namespace fs = std::filesystem;

namespace {

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

std::string first_line(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

const char* state_name(RunState s) {
  switch (s) {
    case RunState::complete: return "complete";
    case RunState::in_progress: return "in progress";
    case RunState::failed: return "failed";
    case RunState::unreadable: return "unreadable";
  }
  return "?";
}

std::string normalise_units(MetricsTable& t) {
  std::string note;
  for (size_t c = 0; c < t.columns.size(); ++c) {
    const std::string& name = t.columns[c];
    auto& v = t.values[c];
    if (name == "d_accuracies" || name == "d_accuracies_last") {
      for (double& x : v) x *= 100;
    } else if (name == kClassifierAccuracy) {
      const bool percent = std::any_of(v.begin(), v.end(), [](double x) { return std::isfinite(x) && x > 1.5; });
      if (!percent)
        for (double& x : v) x *= 100;
      note = percent ? "classifier accuracy read as percent (a value > 1.5)" : "classifier accuracy read as a fraction";
    }
  }
  return note;
}

namespace {

// Why config.json is no completion marker ("" when it is one): unreadable, not a JSON object, or
// claiming more epochs (completed_epochs, written by the apps) than the tables hold.
std::string marker_problem(const fs::path& path, int epochs_recorded) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec) && fs::file_size(path, ec) == 0) return "config.json is empty";
  nlohmann::json j;
  try {
    j = read_json_file_within(path.string(), "a run's config.json", run_config_json_limits());
  } catch (const Error& e) {
    return fmt::format("config.json is unreadable ({})", e.what());
  }
  if (!j.is_object()) return "config.json is not a JSON object";
  const auto it = j.find("completed_epochs");
  if (it != j.end() && it->is_number_integer() && it->get<int>() > epochs_recorded)
    return fmt::format("config.json says {} epochs, the tables hold {}", it->get<int>(), epochs_recorded);
  return "";
}

}  // namespace

Run read_run(const std::string& run_dir, const std::string& model, const std::string& seed) {
  Run r;
  r.model = model;
  r.seed = seed;
  r.path = run_dir;
  const fs::path dir(run_dir);
  r.has_checkpoint = fs::exists(dir / "model_checkpoints" / "last.ckpt");
  const bool failed = fs::exists(dir / "error.txt"), complete = fs::exists(dir / "config.json");
  r.state = failed ? RunState::failed : complete ? RunState::complete : RunState::in_progress;
  if (failed) {
    r.reason = first_line(dir / "error.txt");
    if (r.reason.empty()) r.reason = "error.txt (empty)";
  }
  try {
    if (fs::exists(dir / "metrics.csv")) r.metrics = read_metrics_csv((dir / "metrics.csv").string());
    else if (fs::is_directory(dir / "stats")) r.metrics = read_stats_folder((dir / "stats").string());
    else if (complete) fail("{}: complete (config.json) but neither metrics.csv nor stats/ is there", run_dir);
    r.notes = normalise_units(r.metrics);
  } catch (const std::exception& e) {
    r.state = RunState::unreadable;
    r.reason = e.what();
    r.metrics = {};
  }
  r.epochs = r.metrics.rows();
  if (r.state == RunState::complete) {
    // config.json marks a complete run only when it reads as one: a kill or a full disk can leave
    // it empty, and the apps then resume the run (grid/run_completion.h) rather than skip it.
    const std::string problem = marker_problem(dir / "config.json", r.epochs);
    if (!problem.empty()) {
      r.state = RunState::in_progress;
      r.reason = problem + "; the apps resume such a run";
      if (r.has_checkpoint) r.reason += " from model_checkpoints/last.ckpt";
    }
  }
  if (r.state == RunState::in_progress && r.reason.empty()) {
    r.reason = r.epochs == 0 ? "no epoch recorded yet" : fmt::format("{} epoch(s) recorded, no config.json yet", r.epochs);
    if (r.has_checkpoint) r.reason += "; resumable from model_checkpoints/last.ckpt";
  }
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir / "samples_img", ec)) {
    const std::string stem = entry.path().stem().string();
    if (entry.path().extension() == ".png" && all_digits(stem) && std::stoi(stem) > r.last_sample_epoch) {
      r.last_sample_epoch = std::stoi(stem);
      r.last_sample = entry.path().string();
    }
  }
  return r;
}

int Experiment::run_count(RunState s) const {
  int n = 0;
  for (const Model& m : models)
    for (const Run& r : m.runs) n += r.state == s;
  return n;
}

int Experiment::run_count() const {
  int n = 0;
  for (const Model& m : models) n += static_cast<int>(m.runs.size());
  return n;
}

Experiment read_experiment(const std::string& dir) {
  AAFGAN_CHECK(fs::exists(dir), "{}: no such folder", dir);
  AAFGAN_CHECK(fs::is_directory(dir), "{}: not a folder", dir);
  Experiment ex;
  ex.dir = dir;
  std::vector<fs::path> subdirs;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_directory()) subdirs.push_back(entry.path());
  std::sort(subdirs.begin(), subdirs.end());
  for (const fs::path& sub : subdirs) {
    const std::string name = sub.filename().string();
    const auto parts = parse_model_folder(name);
    if (!parts) {
      if (name[0] != '.') ex.ignored.push_back(name);
      continue;
    }
    Model m{name, *parts, {}};
    std::vector<std::pair<long long, fs::path>> seeds;
    for (const auto& entry : fs::directory_iterator(sub)) {
      const std::string s = entry.path().filename().string();
      if (entry.is_directory() && all_digits(s) && s.size() < 10) seeds.emplace_back(std::stoll(s), entry.path());
      else if (entry.is_directory()) ex.ignored.push_back(name + "/" + s);  // e.g. 0_failed_float32 (--retry-double)
    }
    std::sort(seeds.begin(), seeds.end());
    for (const auto& [index, path] : seeds) m.runs.push_back(read_run(path.string(), name, path.filename().string()));
    if (!m.runs.empty()) ex.models.push_back(std::move(m));
  }
  std::stable_sort(ex.models.begin(), ex.models.end(),
                   [](const Model& a, const Model& b) { return a.is_default() && !b.is_default(); });
  if (ex.models.empty()) {
    std::string hint;
    for (const fs::path& sub : subdirs) {
      std::error_code ec;
      for (const auto& entry : fs::directory_iterator(sub, ec))
        if (entry.is_directory() && parse_model_folder(entry.path().filename().string())) {
          hint = fmt::format(" (the experiment folders are one level down, e.g. {})", sub.string());
          break;
        }
      if (!hint.empty()) break;
    }
    fail("{}: no runs found: expected output[_D…][_G…][_Dis_…][_Gen_…]/<seed index>/ folders{}", dir, hint);
  }
  return ex;
}

}  // namespace aafgan::report
