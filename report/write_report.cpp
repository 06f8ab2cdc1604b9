#include "report/write_report.h"

#include <filesystem>

#include "base/durable_file.h"
#include "base/error.h"
#include "report/html_report.h"
#include "report/summary_writer.h"

namespace aafgan::report {

namespace fs = std::filesystem;

WrittenReport write_report(const std::string& experiment_dir, const std::string& out_dir, const ReportOptions& opt) {
  WrittenReport w;
  w.experiment = read_experiment(experiment_dir);
  w.aggregate = aggregate(w.experiment, opt);
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  AAFGAN_CHECK(fs::is_directory(out_dir), "--out {}: cannot create the folder{}", out_dir, ec ? ": " + ec.message() : "");
  const auto put = [&](const char* name, const std::string& text) {
    const std::string path = (fs::path(out_dir) / name).string();
    write_file_durably(path, text);
    w.files.push_back(path);
  };
  put("summary.csv", summary_csv(w.experiment, w.aggregate, opt));
  put("summary.md", summary_markdown(w.experiment, w.aggregate, opt));
  put("runs.csv", runs_csv(w.experiment));
  put("report.html", render_html(w.experiment, w.aggregate, opt));
  return w;
}

}  // namespace aafgan::report
