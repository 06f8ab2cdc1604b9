// ./aafgan_report EXPERIMENT_DIR [--out DIR] [--thresholds 50,80,90] [--threshold-metric COLUMN]
// Reads an experiment folder of ./mnist_condgan or ./celeba_dcgan (the reference layout,
// gan-protocol.md §5), aggregates its runs over seeds and writes report.html, summary.csv,
// summary.md and runs.csv (docs/report.md).
// Exit codes: 0 written; 3 written, but some run folder could not be read (listed, left out);
// 1 bad input (no such folder, no runs, nothing readable, unwritable --out); 100–120 a bad
// command line (CLI11's codes).
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "base/std_descriptors.h"
#include "report/metric_catalog.h"
#include "report/write_report.h"

using namespace aafgan::report;

int main(int argc, char** argv) {
  // First of all: a closed 0-2 would be taken by the next file opened (base/std_descriptors.h).
  if (!aafgan::std_descriptors_ready()) return 1;
  CLI::App app{"Aggregates an experiment folder (EXPERIMENT_DIR/output…/<seed index>/) over seeds into report.html, "
               "summary.csv, summary.md and runs.csv (see docs/report.md).",
               "aafgan_report"};
  std::string dir, out;
  ReportOptions opt;
  app.add_option("EXPERIMENT_DIR", dir, "the experiment folder holding output…/<seed index>/ run folders")->required();
  app.add_option("--out", out, "folder for the report files (default: EXPERIMENT_DIR)");
  app.add_option("--thresholds", opt.thresholds,
                 "comma list of thresholds for the epochs-to-threshold table, in the metric's unit (percent for "
                 "accuracies)")
      ->delimiter(',')
      ->capture_default_str()
      ->check(CLI::Range(-1e12, 1e12));
  app.add_option("--threshold-metric", opt.threshold_metric,
                 "metrics.csv column the thresholds apply to (≥ for higher-is-better metrics, ≤ for FID/KID)")
      ->capture_default_str();
  app.add_option("--confidence", opt.confidence, "confidence level of the intervals")
      ->capture_default_str()
      ->check(CLI::Range(0.5, 0.9999));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (out.empty()) out = dir;
  try {
    const WrittenReport w = write_report(dir, out, opt);
    const Experiment& ex = w.experiment;
    std::printf("%d runs in %zu models: %d complete, %d in progress, %d failed, %d unreadable\n", ex.run_count(),
                ex.models.size(), ex.run_count(RunState::complete), ex.run_count(RunState::in_progress),
                ex.run_count(RunState::failed), ex.run_count(RunState::unreadable));
    for (const std::string& f : w.files) std::printf("wrote %s\n", f.c_str());
    std::fflush(stdout);
    for (const std::string& warning : w.aggregate.warnings) std::fprintf(stderr, "aafgan_report: warning: %s\n", warning.c_str());
    const int unreadable = ex.run_count(RunState::unreadable);
    for (const Model& m : ex.models)
      for (const Run& r : m.runs)
        if (r.state == RunState::unreadable) std::fprintf(stderr, "aafgan_report: skipped %s: %s\n", r.path.c_str(), r.reason.c_str());
    if (unreadable == ex.run_count()) {
      std::fprintf(stderr, "aafgan_report: %s: none of the %d runs could be read\n", dir.c_str(), unreadable);
      return 1;
    }
    return unreadable > 0 ? 3 : 0;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "aafgan_report: %s\n", e.what());
    return 1;
  }
}
