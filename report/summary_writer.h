#pragma once
// summary.csv (one tidy row per model × metric × quantity, thresholds and comparisons),
// summary.md (the same as readable tables, plus the runs that are not complete) and runs.csv
// (every run with its state).
#include <string>

#include "report/aggregate.h"

namespace aafgan::report {

std::string summary_csv(const Experiment& ex, const Aggregate& a, const ReportOptions& opt);
std::string summary_markdown(const Experiment& ex, const Aggregate& a, const ReportOptions& opt);
std::string runs_csv(const Experiment& ex);

// The statement of the rules at the top of summary.md and the HTML summary.
std::string rules_text(const ReportOptions& opt);

}  // namespace aafgan::report
