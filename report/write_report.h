#pragma once
// The whole report: read EXPERIMENT_DIR, aggregate, write report.html, summary.csv,
// summary.md and runs.csv into the output folder (each file durably: base/durable_file.h).
#include <string>
#include <vector>

#include "report/aggregate.h"

namespace aafgan::report {

struct WrittenReport {
  Experiment experiment;
  Aggregate aggregate;
  std::vector<std::string> files;  // paths written
};

// Throws aafgan::Error for a missing folder, a folder without runs, or an unwritable --out.
WrittenReport write_report(const std::string& experiment_dir, const std::string& out_dir, const ReportOptions& opt);

}  // namespace aafgan::report
