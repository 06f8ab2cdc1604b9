#include "report/format.h"

#include <cmath>
#include <fmt/format.h>

namespace aafgan::report {

std::string format_number(double v, int significant) {
  if (std::isnan(v)) return "n/a";
  if (std::isinf(v)) return v > 0 ? "∞" : "−∞";
  if (v == 0) return "0";
  const double a = std::fabs(v);
  if (a >= 1e6 || a < 1e-4) return fmt::format("{:.{}e}", v, significant - 1);
  const int digits = std::max(0, significant - 1 - static_cast<int>(std::floor(std::log10(a))));
  return fmt::format("{:.{}f}", v, digits);
}

std::string format_mean_std(const SampleSummary& s) {
  if (s.n == 0) return "n/a";
  if (s.n == 1) return format_number(s.mean) + " (n=1)";
  return format_number(s.mean) + " ± " + format_number(s.std, 2);
}

std::string format_p(double p) {
  if (std::isnan(p)) return "n/a";
  if (p < 1e-4) return "< 0.0001";
  return fmt::format("{:.2g}", p);
}

std::string format_diff_ci(const WelchTest& w) {
  if (!w.valid) {
    if (w.n_a > 0 && w.n_b > 0) return fmt::format("{}{} (no CI: {})", w.diff >= 0 ? "+" : "", format_number(w.diff), w.why_not);
    return "n/a";
  }
  return fmt::format("{}{} [{}, {}]", w.diff >= 0 ? "+" : "", format_number(w.diff), format_number(w.ci_low, 3),
                     format_number(w.ci_high, 3));
}

std::string format_threshold(const ThresholdStats& t) {
  if (t.runs == 0) return "n/a (no complete run)";
  if (t.reached == 0) return fmt::format("n/a (0/{} reached)", t.runs);
  // Epochs: integers when they are, else 3 significant digits ("4", "2.33 ± 0.58").
  std::string epochs = fmt::format("{:.3g}", t.summary.mean);
  if (t.reached > 1) epochs += fmt::format(" ± {:.2g}", t.summary.std);
  return fmt::format("{} ({}/{} reached)", epochs, t.reached, t.runs);
}

std::string metric_heading(const MetricInfo& m) {
  std::string s = m.title;
  if (!m.unit.empty()) s += " (" + m.unit + ")";
  if (m.better == Better::higher) s += ", higher is better";
  if (m.better == Better::lower) s += ", lower is better";
  return s;
}

std::string describe_model(const ModelParts& p) {
  std::string s;
  auto add = [&](const char* what, const std::string& v) {
    if (v != "default") s += (s.empty() ? "" : ", ") + std::string(what) + " " + v;
  };
  add("D hidden", p.dis_hidden);
  add("G hidden", p.gen_hidden);
  add("D out", p.dis);
  add("G out", p.gen);
  return s.empty() ? "all default" : s;
}

std::string csv_number(double v) {
  if (std::isnan(v)) return "";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{}", v);
}

}  // namespace aafgan::report
