#include "report/csv_table.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "base/error.h"

namespace aafgan::report {

namespace fs = std::filesystem;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// What a run folder's tables may hold: the apps write about a hundred columns (losses, metrics,
// three statistics per adaptive parameter) and one row per epoch; far beyond these a file is
// not a run's table, and reading it would only cost memory and a report nobody can open.
constexpr uintmax_t kMaxTableBytes = uintmax_t(64) << 20;
constexpr size_t kMaxColumns = 4096;
constexpr size_t kMaxRows = 100000;

std::string read_text(const std::string& path) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(path, ec);
  AAFGAN_CHECK(!ec, "{}: cannot read: {}", path, ec.message());
  AAFGAN_CHECK(size <= kMaxTableBytes, "{}: {} bytes, more than a run's table holds (at most {} MiB read)", path,
               size, kMaxTableBytes >> 20);
  std::ifstream in(path, std::ios::binary);
  AAFGAN_CHECK(in, "{}: cannot open for reading", path);
  std::ostringstream s;
  s << in.rdbuf();
  AAFGAN_CHECK(!in.bad(), "{}: read failed", path);
  return s.str();
}

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t pos = line.find(sep, start);
    out.push_back(line.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
    if (pos == std::string::npos) break;
    start = pos + 1;
  }
  return out;
}

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

// Lines without their ends (\n or \r\n); trailing empty lines dropped.
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines = split(text, '\n');
  for (auto& l : lines)
    if (!l.empty() && l.back() == '\r') l.pop_back();
  while (!lines.empty() && trim(lines.back()).empty()) lines.pop_back();
  return lines;
}

}  // namespace

size_t MetricsTable::index_of(const std::string& name) const {
  if (indexed_size_ != columns.size() || indexed_data_ != columns.data()) {
    index_.clear();
    index_.reserve(columns.size());
    for (size_t c = 0; c < columns.size(); ++c) index_.emplace(columns[c], c);  // the first of a repeated name
    indexed_size_ = columns.size();
    indexed_data_ = columns.data();
  }
  const auto it = index_.find(name);
  return it == index_.end() ? columns.size() : it->second;
}

const std::vector<double>* MetricsTable::column(const std::string& name) const {
  const size_t c = index_of(name);
  return c < columns.size() && c < values.size() ? &values[c] : nullptr;
}

std::vector<double>* MetricsTable::column(const std::string& name) {
  const size_t c = index_of(name);
  return c < columns.size() && c < values.size() ? &values[c] : nullptr;
}

double parse_cell(const std::string& raw, const std::string& where, const std::string& column) {
  const std::string cell = trim(raw);
  if (cell.empty()) return kNaN;
  std::string lower = cell;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "nan" || lower == "-nan" || lower == "+nan") return kNaN;
  if (lower == "inf" || lower == "+inf" || lower == "infinity" || lower == "+infinity")
    return std::numeric_limits<double>::infinity();
  if (lower == "-inf" || lower == "-infinity") return -std::numeric_limits<double>::infinity();
  // Only plain decimal numbers: strtod would also take hex floats and words like "nano".
  const bool plain = cell.find_first_not_of("0123456789+-.eE") == std::string::npos;
  char* end = nullptr;
  const double v = plain ? std::strtod(cell.c_str(), &end) : 0.0;
  AAFGAN_CHECK(plain && end == cell.c_str() + cell.size(), "{}: column {}: \"{}\" is not a number", where, column, cell);
  return v;
}

MetricsTable parse_metrics_csv(const std::string& text, const std::string& path) {
  const std::vector<std::string> lines = lines_of(text);
  AAFGAN_CHECK(!lines.empty(), "{}: empty file (expected a header line `epoch,<column>,…`)", path);
  MetricsTable t;
  for (size_t i = 0; i < lines.size(); ++i)
    AAFGAN_CHECK(lines[i].find('"') == std::string::npos, "{}:{}: quoted fields are not supported", path, i + 1);
  AAFGAN_CHECK(lines.size() - 1 <= kMaxRows, "{}: {} rows, more than a run's epochs (at most {})", path,
               lines.size() - 1, kMaxRows);
  const std::vector<std::string> header = split(lines[0], ',');
  AAFGAN_CHECK(header.size() - 1 <= kMaxColumns, "{}:1: {} columns, more than a run's table holds (at most {})", path,
               header.size() - 1, kMaxColumns);
  AAFGAN_CHECK(trim(header[0]) == "epoch", "{}:1: the first column must be `epoch`, not \"{}\"", path, trim(header[0]));
  std::set<std::string> seen;
  for (size_t c = 1; c < header.size(); ++c) {
    const std::string name = trim(header[c]);
    AAFGAN_CHECK(!name.empty(), "{}:1: column {} has no name", path, c + 1);
    AAFGAN_CHECK(seen.insert(name).second, "{}:1: column \"{}\" appears twice", path, name);
    t.columns.push_back(name);
  }
  t.values.assign(t.columns.size(), {});
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string where = fmt::format("{}:{}", path, i + 1);
    AAFGAN_CHECK(!trim(lines[i]).empty(), "{}: blank line inside the table", where);
    const std::vector<std::string> cells = split(lines[i], ',');
    AAFGAN_CHECK(cells.size() == header.size(), "{}: {} cells, the header has {}", where, cells.size(), header.size());
    const double e = parse_cell(cells[0], where, "epoch");
    const int expected = static_cast<int>(i);
    AAFGAN_CHECK(e == expected, "{}: epoch {} where {} was expected (rows are epochs 1, 2, … in order)", where,
                 trim(cells[0]), expected);
    t.epochs.push_back(expected);
    for (size_t c = 1; c < cells.size(); ++c) t.values[c - 1].push_back(parse_cell(cells[c], where, t.columns[c - 1]));
  }
  return t;
}

MetricsTable read_metrics_csv(const std::string& path) { return parse_metrics_csv(read_text(path), path); }

MetricsTable read_stats_folder(const std::string& stats_dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(stats_dir))
    if (entry.is_regular_file() && entry.path().extension() == ".csv") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  AAFGAN_CHECK(files.size() <= kMaxColumns, "{}: {} .csv files, more than a run's table holds (at most {})", stats_dir,
               files.size(), kMaxColumns);
  MetricsTable t;
  size_t rows = 0;
  for (const fs::path& f : files) {
    const std::vector<std::string> lines = lines_of(read_text(f.string()));
    AAFGAN_CHECK(lines.size() <= 1, "{}:2: one row expected (one value per epoch), found {} lines", f.string(), lines.size());
    std::vector<double> v;
    if (!lines.empty())
      for (const std::string& cell : split(lines[0], ','))
        v.push_back(parse_cell(cell, f.string() + ":1", f.stem().string()));
    AAFGAN_CHECK(v.size() <= kMaxRows, "{}:1: {} values, more than a run's epochs (at most {})", f.string(), v.size(),
                 kMaxRows);
    rows = std::max(rows, v.size());
    t.columns.push_back(f.stem().string());
    t.values.push_back(std::move(v));
  }
  for (auto& v : t.values) v.resize(rows, kNaN);
  for (size_t e = 1; e <= rows; ++e) t.epochs.push_back(static_cast<int>(e));
  return t;
}

}  // namespace aafgan::report
