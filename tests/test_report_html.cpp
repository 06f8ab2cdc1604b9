// report.html: self-contained (no script, sample grids as data: URIs), one chart per metric and
// per adaptive parameter; and, where Chromium is installed, the page rendered headless to a PNG
// that is not blank and a DOM with one <svg data-metric=…> per metric.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "data/png_writer.h"
#include "report/html_report.h"
#include "report/write_report.h"
#include "tests/report_fixture.h"
#include "tests/temp_dir.h"

using namespace aafgan::report;
using aafgan::testing::TempDir;
namespace fs = std::filesystem;

namespace {

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// data-metric → how many <svg> charts of `kind` carry it.
std::map<std::string, int> charts_in(const std::string& html, const std::string& kind) {
  std::map<std::string, int> count;
  const std::regex svg("<svg[^>]*>");
  const std::regex metric("data-metric=\"([^\"]*)\""), kind_attr("data-kind=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), svg); it != std::sregex_iterator(); ++it) {
    const std::string tag = it->str();
    std::smatch m, k;
    if (std::regex_search(tag, m, metric) && std::regex_search(tag, k, kind_attr) && k[1] == kind) ++count[m[1]];
  }
  return count;
}

const std::set<std::string> kMetrics = {"d_losses", "fid_scores", "lr", "pre_classifier_accuracies", "times"};

void check_one_chart_per_metric(const std::string& html) {
  const auto metrics = charts_in(html, "metric");
  CHECK(metrics.size() == kMetrics.size());
  for (const std::string& m : kMetrics) {
    CAPTURE(m);
    CHECK(metrics.count(m) == 1);
    if (metrics.count(m)) CHECK(metrics.at(m) == 1);
  }
  const auto params = charts_in(html, "parameter");
  CHECK(params.size() == 1);
  CHECK(params.count("D.hidden1.MiDA.lambda") == 1);
}

// Chromium's path: $AAFGAN_CHROMIUM, else chromium / chromium-browser / google-chrome on PATH; "" when none.
std::string find_chromium() {
  if (const char* env = std::getenv("AAFGAN_CHROMIUM"); env && *env) return env;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':'))
    for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
      const fs::path p = fs::path(dir) / name;
      if (::access(p.c_str(), X_OK) == 0) return p.string();
    }
  return "";
}

}  // namespace

// Prints "skipped: chromium not installed" (ctest: Skipped) only when no Chromium is found.
#define AAFGAN_REQUIRE_CHROMIUM_OR_SKIP()                  \
  const std::string chromium = find_chromium();           \
  if (chromium.empty()) {                                 \
    std::printf("skipped: chromium not installed\n");     \
    return;                                               \
  }

TEST_CASE("report html: self-contained, one chart per metric and parameter, samples embedded, runs listed") {
  TempDir dir("report_html");
  aafgan::testing::write_synthetic_experiment(dir.path() / "exp");
  write_report((dir.path() / "exp").string(), dir.file("out"), ReportOptions{});
  const std::string html = read(dir.file("out/report.html"));
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("src=\"http") == std::string::npos);
  CHECK(html.find("href=\"http") == std::string::npos);
  check_one_chart_per_metric(html);
  // The MiDA model's grid (its highest epoch), the others have none.
  CHECK(html.find("data:image/png;base64,iVBORw0KGgo") != std::string::npos);
  CHECK(html.find("seed index 0, epoch 4 (complete)") != std::string::npos);
  // Incomplete runs are listed with their state and reason; partial epochs are dashed and explained.
  CHECK(html.find("<span class=\"state in_progress\">in progress</span>") != std::string::npos);
  CHECK(html.find("diverged: non-finite loss at epoch 2 batch 7") != std::string::npos);
  CHECK(html.find("&quot;abc&quot; is not a number") != std::string::npos);
  CHECK(html.find("output_DMish (n=3, 1 in progress)") != std::string::npos);
  CHECK(html.find("dashed: epochs not yet reached by every run of the model") != std::string::npos);
  CHECK(html.find("stroke-dasharray=\"5 4\"") != std::string::npos);
  CHECK(html.find("data-summary=\"thresholds\"") != std::string::npos);
  CHECK(html.find("data-summary=\"mida_vs_mish\"") != std::string::npos);
}

TEST_CASE("report html: rendered by headless Chromium, not blank, one chart per metric in its DOM") {
  AAFGAN_REQUIRE_CHROMIUM_OR_SKIP();
  TempDir dir("report_chromium");
  aafgan::testing::write_synthetic_experiment(dir.path() / "exp");
  write_report((dir.path() / "exp").string(), dir.file("out"), ReportOptions{});
  const std::string page = "file://" + dir.file("out/report.html");
  const std::string common = "'" + chromium + "' --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir='" +
                             dir.file("profile") + "' ";
  const std::string shot = dir.file("page.png");
  const std::string cmd1 = "timeout 180 " + common + "--window-size=1280,2400 --screenshot='" + shot + "' '" + page + "' > '" +
                           dir.file("shot.log") + "' 2>&1";
  INFO(cmd1);
  REQUIRE(std::system(cmd1.c_str()) == 0);
  const aafgan::data::Image img = aafgan::data::read_png(shot);
  CHECK(img.width == 1280);
  CHECK(img.height == 2400);
  REQUIRE(img.channels == 3);
  std::set<uint32_t> colours;
  size_t ink = 0;  // pixels that are neither white nor the page background (#f4f5f7)
  for (size_t i = 0; i + 2 < img.pixels.size(); i += 3) {
    const uint32_t c = (img.pixels[i] << 16) | (img.pixels[i + 1] << 8) | img.pixels[i + 2];
    colours.insert(c);
    ink += c != 0xffffff && c != 0xf4f5f7;
  }
  const double ink_share = static_cast<double>(ink) / (img.width * img.height);
  CAPTURE(colours.size());
  CAPTURE(ink_share);
  CHECK(colours.size() > 100);
  CHECK(ink_share > 0.03);
  // The DOM as Chromium parsed it.
  const std::string dom_file = dir.file("dom.html");
  const std::string cmd2 = "timeout 180 " + common + "--dump-dom '" + page + "' > '" + dom_file + "' 2> '" + dir.file("dom.log") + "'";
  INFO(cmd2);
  REQUIRE(std::system(cmd2.c_str()) == 0);
  const std::string dom = read(dom_file);
  REQUIRE(dom.find("</html>") != std::string::npos);
  check_one_chart_per_metric(dom);
  if (const char* keep = std::getenv("AAFGAN_KEEP_REPORT_PNG"); keep && *keep) fs::copy_file(shot, keep, fs::copy_options::overwrite_existing);
}
