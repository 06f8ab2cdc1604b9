#pragma once
// The per-epoch tables of a run folder: metrics.csv (a header `epoch,<col>,…`, one row per
// epoch) or, for folders written by the reference code, stats/<name>.csv (one row, one value
// per epoch). Strict: every problem is an aafgan::Error naming the file and line.
#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

namespace aafgan::report {

struct MetricsTable {
  std::vector<std::string> columns;          // without "epoch", in file order
  std::vector<int> epochs;                   // 1, 2, … (one per row)
  std::vector<std::vector<double>> values;   // values[column][row]; NaN where a cell is empty or NaN

  int rows() const { return static_cast<int>(epochs.size()); }
  // The column's values, or nullptr when the table has no such column. A hash lookup: a report
  // asks for every column of every run (a linear search made 10^6 columns quadratic).
  const std::vector<double>* column(const std::string& name) const;
  std::vector<double>* column(const std::string& name);

 private:
  size_t index_of(const std::string& name) const;  // columns.size() when absent
  // Built on first use and again whenever `columns` was grown or replaced (its size or buffer
  // changed), so that code filling `columns` directly stays correct.
  mutable std::unordered_map<std::string, size_t> index_;
  mutable size_t indexed_size_ = 0;
  mutable const std::string* indexed_data_ = nullptr;
};

// One cell: a decimal number, or NaN/nan/-nan, inf/Infinity (either sign); empty = NaN
// (a series shorter than the others). Anything else throws, naming `where` (file:line).
double parse_cell(const std::string& cell, const std::string& where, const std::string& column);

// metrics.csv. Rules: the first header cell is `epoch`; column names are unique and non-empty;
// every row has as many cells as the header; the epochs are 1, 2, 3, … in order; no quotes;
// CRLF line ends and trailing blank lines are accepted; a blank line inside the table is not.
MetricsTable read_metrics_csv(const std::string& path);
MetricsTable parse_metrics_csv(const std::string& text, const std::string& path);

// stats/*.csv of one run: each file one row of comma-separated values, one per epoch; the
// column is the file name without .csv. Files of different lengths are padded with NaN.
MetricsTable read_stats_folder(const std::string& stats_dir);

}  // namespace aafgan::report
