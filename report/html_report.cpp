#include "report/html_report.h"

#include <cmath>
#include <ctime>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

#include "report/base64.h"
#include "report/format.h"
#include "report/summary_writer.h"
#include "report/svg_chart.h"

namespace aafgan::report {

namespace {

namespace fs = std::filesystem;
using E = std::string;

E esc(const std::string& s) { return xml_escape(s); }

const char* kStyle = R"(
body{font-family:-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"DejaVu Sans",sans-serif;color:#1d2330;background:#f4f5f7;margin:0}
main{max-width:1280px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:34px 0 12px;padding-bottom:6px;border-bottom:2px solid #d9dde5}
h3{font-size:15px;margin:22px 0 8px}
.sub{color:#5b6475;font-size:13px}.path{font-family:"DejaVu Sans Mono",Menlo,monospace;font-size:13px}
nav{margin:14px 0 4px;font-size:14px}nav a{margin-right:16px;color:#2b5797;text-decoration:none}
.chips span{display:inline-block;margin:10px 8px 0 0;padding:4px 10px;border-radius:12px;font-size:13px;background:#e7eaf0}
.chips .complete{background:#dff1e0;color:#1f5f24}.chips .in_progress{background:#fff1cf;color:#7a5400}
.chips .failed{background:#fbdcdc;color:#8a1c1c}.chips .unreadable{background:#ead9f2;color:#5b1f7a}
table{border-collapse:collapse;background:#fff;font-size:13px;margin:6px 0 10px;box-shadow:0 1px 2px rgba(0,0,0,.06)}
th,td{padding:5px 10px;border-bottom:1px solid #e5e8ee;text-align:right;white-space:nowrap}
th{background:#eef1f6;font-weight:600;color:#333b4a}td.l,th.l{text-align:left}
td.reason{text-align:left;white-space:normal;max-width:560px;color:#444}
tr:last-child td{border-bottom:none}
code{font-family:"DejaVu Sans Mono",Menlo,monospace;font-size:12px}
.sw{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:6px;vertical-align:-1px}
.state{padding:1px 7px;border-radius:9px;font-size:12px}
.state.complete{background:#dff1e0}.state.in_progress{background:#fff1cf}.state.failed{background:#fbdcdc}.state.unreadable{background:#ead9f2}
.sig{font-weight:600;color:#1f5f24}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(600px,1fr));gap:16px}
.card{background:#fff;border-radius:6px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:8px}
svg.chart{display:block;max-width:100%;height:auto}
svg .ct{font-size:15px;font-weight:600;fill:#1d2330}svg .tick{font-size:11px;fill:#4a5263}
svg .label{font-size:12px;fill:#333b4a}svg .legend{font-size:12px;fill:#1d2330}svg .note{font-size:11px;fill:#6b7385}
svg .grid{stroke:#e6e9ef;stroke-width:1}svg .axis{stroke:#8a92a3;stroke-width:1}svg .frame{fill:none;stroke:#b8bfcc;stroke-width:1}
.samples{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:16px}
figure{margin:0;background:#fff;border-radius:6px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:10px}
figure img{max-width:100%;image-rendering:pixelated;display:block;margin:0 auto}
figcaption{font-size:13px;margin-top:6px;color:#333b4a}
.rules{font-size:13px;color:#444;max-width:1000px;line-height:1.45}
)";

std::string state_class(RunState s) {
  switch (s) {
    case RunState::complete: return "complete";
    case RunState::in_progress: return "in_progress";
    case RunState::failed: return "failed";
    default: return "unreadable";
  }
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return in ? s.str() : std::string();
}

std::string legend_label(const Model& m, const Curve& c) {
  std::string s = fmt::format("{} (n={}", m.name, c.runs);
  if (c.in_progress) s += fmt::format(", {} in progress", c.in_progress);
  return s + ")";
}

std::string swatch(int i) { return fmt::format("<span class=\"sw\" style=\"background:{}\"></span>", model_colour(i)); }

std::string chart_id(const std::string& prefix, const std::string& name) {
  std::string id = prefix;
  for (char c : name) id += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
  return id;
}

std::string metric_chart(const Experiment& ex, const std::string& metric) {
  const MetricInfo info = metric_info(metric);
  Chart ch;
  ch.id = chart_id("chart-", metric);
  ch.metric = metric;
  ch.kind = "metric";
  ch.title = info.title;
  ch.x_label = "epoch";
  ch.y_label = info.unit.empty() ? metric : fmt::format("{} ({})", metric, info.unit);
  bool any_partial = false;
  for (size_t i = 0; i < ex.models.size(); ++i) {
    const Curve c = curve_of(ex.models[i], metric);
    if (c.runs == 0) continue;
    ChartSeries s;
    s.label = legend_label(ex.models[i], c);
    s.colour = model_colour(static_cast<int>(i));
    for (size_t e = 0; e < c.epochs.size(); ++e) {
      s.x.push_back(c.epochs[e]);
      s.y.push_back(c.mean[e]);
      s.band_lo.push_back(c.mean[e] - c.std[e]);
      s.band_hi.push_back(c.mean[e] + c.std[e]);
      s.dashed.push_back(c.partial[e]);
      any_partial = any_partial || c.partial[e];
    }
    ch.series.push_back(std::move(s));
  }
  ch.note = "line: mean over seeds, band: ± 1 sample std";
  if (any_partial) ch.note += "; dashed: epochs not yet reached by every run of the model";
  return render_chart(ch);
}

std::string parameter_chart(const Experiment& ex, const std::string& parameter) {
  Chart ch;
  ch.id = chart_id("param-", parameter);
  ch.metric = parameter;
  ch.kind = "parameter";
  const size_t dot = parameter.rfind('.');
  const std::string name = parameter.substr(dot + 1), where = parameter.substr(0, dot);
  ch.title = fmt::format("{}  ·  {}", parameter_symbol(name), where);
  ch.x_label = "epoch";
  ch.y_label = parameter_symbol(name) == name ? name : parameter_symbol(name) + " (" + name + ")";
  for (size_t i = 0; i < ex.models.size(); ++i) {
    const Curve mean = curve_of(ex.models[i], parameter + ".mean");
    if (mean.runs == 0) continue;
    const Curve lo = curve_of(ex.models[i], parameter + ".min"), hi = curve_of(ex.models[i], parameter + ".max");
    ChartSeries s;
    s.label = legend_label(ex.models[i], mean);
    s.colour = model_colour(static_cast<int>(i));
    for (size_t e = 0; e < mean.epochs.size(); ++e) {
      s.x.push_back(mean.epochs[e]);
      s.y.push_back(mean.mean[e]);
      s.band_lo.push_back(e < lo.mean.size() ? lo.mean[e] : NAN);
      s.band_hi.push_back(e < hi.mean.size() ? hi.mean[e] : NAN);
      s.dashed.push_back(mean.partial[e]);
    }
    ch.series.push_back(std::move(s));
  }
  ch.note = "line: mean over the layer's parameter entries, averaged over seeds; band: min … max, averaged over seeds";
  return render_chart(ch);
}

std::string welch_cells(const Comparison* c) {
  if (!c) return "<td>—</td><td>—</td>";
  const bool sig = c->test.valid && c->test.p < 0.05;
  return fmt::format("<td{}>{}</td><td{}>{}</td>", sig ? " class=\"sig\"" : "", esc(format_diff_ci(c->test)),
                     sig ? " class=\"sig\"" : "", esc(format_p(c->test.p)));
}

const Comparison* find(const std::vector<Comparison>& v, const std::string& model, const std::string& metric, const std::string& q) {
  for (const Comparison& c : v)
    if (c.model == model && c.metric == metric && c.quantity == q) return &c;
  return nullptr;
}

int model_index(const Experiment& ex, const std::string& name) {
  for (size_t i = 0; i < ex.models.size(); ++i)
    if (ex.models[i].name == name) return static_cast<int>(i);
  return 0;
}

}  // namespace

std::string render_html(const Experiment& ex, const Aggregate& a, const ReportOptions& opt) {
  const std::string title = fs::path(ex.dir).lexically_normal().filename().string().empty()
                                ? fs::path(ex.dir).lexically_normal().parent_path().filename().string()
                                : fs::path(ex.dir).lexically_normal().filename().string();
  char when[64] = "";
  const std::time_t now = std::time(nullptr);
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M", std::localtime(&now));
  E h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width\">\n";
  h += fmt::format("<title>aafgan report: {}</title>\n<style>{}</style></head>\n<body><main>\n", esc(title), kStyle);
  std::error_code ec;
  const fs::path absolute = fs::absolute(ex.dir, ec).lexically_normal();
  h += fmt::format("<h1>Experiment report: {}</h1>\n<div class=\"sub\"><span class=\"path\">{}</span> · generated {} by aafgan_report</div>\n",
                   esc(title), esc(ec ? ex.dir : absolute.string()), when);
  h += fmt::format("<div class=\"chips\"><span>{} models</span><span>{} runs</span><span class=\"complete\">{} complete</span>"
                   "<span class=\"in_progress\">{} in progress</span><span class=\"failed\">{} failed</span>"
                   "<span class=\"unreadable\">{} unreadable</span></div>\n",
                   ex.models.size(), ex.run_count(), ex.run_count(RunState::complete), ex.run_count(RunState::in_progress),
                   ex.run_count(RunState::failed), ex.run_count(RunState::unreadable));
  h += "<nav><a href=\"#models\">Models &amp; runs</a><a href=\"#summary\">Summary</a><a href=\"#metrics\">Metrics</a>"
       "<a href=\"#parameters\">Adaptive parameters</a><a href=\"#samples\">Samples</a></nav>\n";

  // Models and runs.
  h += "<h2 id=\"models\">Models &amp; runs</h2>\n<table><tr><th class=\"l\">model</th><th class=\"l\">activations</th>"
       "<th>complete</th><th>in progress</th><th>failed</th><th>unreadable</th><th>epochs (complete runs)</th></tr>\n";
  for (size_t i = 0; i < ex.models.size(); ++i) {
    const Model& m = ex.models[i];
    const ModelStats& s = a.models[i];
    int lo = 0, hi = 0;
    for (const Run& r : m.runs)
      if (r.state == RunState::complete) {
        lo = lo == 0 ? r.epochs : std::min(lo, r.epochs);
        hi = std::max(hi, r.epochs);
      }
    const std::string epochs = hi == 0 ? "—" : lo == hi ? std::to_string(hi) : fmt::format("{}–{}", lo, hi);
    h += fmt::format("<tr><td class=\"l\">{}<code>{}</code></td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                     swatch(static_cast<int>(i)), esc(m.name), esc(describe_model(m.parts)), s.complete, s.in_progress,
                     s.failed, s.unreadable, epochs);
  }
  h += "</table>\n";
  E incomplete;
  for (const Model& m : ex.models)
    for (const Run& r : m.runs)
      if (r.state != RunState::complete)
        incomplete += fmt::format("<tr><td class=\"l\"><code>{}</code></td><td>{}</td><td class=\"l\"><span class=\"state {}\">{}</span></td>"
                                  "<td>{}</td><td class=\"reason\">{}</td></tr>\n",
                                  esc(m.name), esc(r.seed), state_class(r.state), state_name(r.state), r.epochs, esc(r.reason));
  if (!incomplete.empty())
    h += "<h3>Runs that are not complete</h3>\n<table><tr><th class=\"l\">model</th><th>seed index</th><th class=\"l\">state</th>"
         "<th>epochs reached</th><th class=\"l\">reason</th></tr>\n" + incomplete + "</table>\n"
         "<p class=\"rules\">In-progress runs contribute the epochs they have reached to the curves (dashed where not every run "
         "of the model has reached an epoch); they are not counted in the summary. Failed and unreadable runs are left out of "
         "both.</p>\n";
  if (!ex.ignored.empty()) {
    h += "<p class=\"rules\">Ignored folders (not model or seed-index folders):";
    for (const std::string& s : ex.ignored) h += " <code>" + esc(s) + "</code>";
    h += "</p>\n";
  }

  if (!a.warnings.empty()) {
    h += "<h3>Warnings</h3>\n<ul class=\"warnings\">\n";
    for (const std::string& w : a.warnings) h += "<li>" + esc(w) + "</li>\n";
    h += "</ul>\n";
  }

  // Summary.
  h += "<h2 id=\"summary\">Summary</h2>\n<p class=\"rules\">" + esc(rules_text(opt)) + " Bold: p &lt; 0.05.</p>\n";
  for (const std::string& metric : a.metrics) {
    const MetricInfo info = metric_info(metric);
    if (!info.summarised) continue;
    const bool best = info.better != Better::neither, cmp = !a.baseline.empty();
    h += fmt::format("<h3>{} <code>{}</code></h3>\n<table data-summary=\"{}\"><tr><th class=\"l\">model</th><th>n</th><th>final</th>",
                     esc(metric_heading(info)), esc(metric), esc(metric));
    if (best) h += "<th>best</th>";
    if (cmp) h += fmt::format("<th>Δ final vs <code>{}</code> [95 % CI]</th><th>p</th>", esc(a.baseline));
    if (cmp && best) h += "<th>Δ best [95 % CI]</th><th>p</th>";
    h += "</tr>\n";
    for (size_t i = 0; i < a.models.size(); ++i) {
      const ModelStats& m = a.models[i];
      const auto it = m.metrics.find(metric);
      if (it == m.metrics.end()) continue;
      h += fmt::format("<tr><td class=\"l\">{}<code>{}</code></td><td>{}</td><td>{}</td>", swatch(static_cast<int>(i)), esc(m.model),
                       it->second.final_value.summary.n, esc(format_mean_std(it->second.final_value.summary)));
      if (best) h += "<td>" + esc(format_mean_std(it->second.best_value.summary)) + "</td>";
      if (cmp) h += welch_cells(find(a.vs_default, m.model, metric, "final"));
      if (cmp && best) h += welch_cells(find(a.vs_default, m.model, metric, "best"));
      h += "</tr>\n";
    }
    h += "</table>\n";
  }
  h += fmt::format("<h3>Epochs to reach <code>{}</code> thresholds (early convergence)</h3>\n", esc(opt.threshold_metric));
  if (!a.threshold_metric_present) {
    h += fmt::format("<p class=\"rules\">No run records <code>{}</code>.</p>\n", esc(opt.threshold_metric));
  } else {
    const MetricInfo info = metric_info(opt.threshold_metric);
    h += "<table data-summary=\"thresholds\"><tr><th class=\"l\">model</th>";
    for (double t : opt.thresholds)
      h += fmt::format("<th>{} {:g}{}</th>", info.better == Better::lower ? "≤" : "≥", t, info.unit == "%" ? " %" : "");
    h += "</tr>\n";
    for (size_t i = 0; i < a.models.size(); ++i) {
      h += fmt::format("<tr><td class=\"l\">{}<code>{}</code></td>", swatch(static_cast<int>(i)), esc(a.models[i].model));
      for (const ThresholdStats& t : a.models[i].thresholds) h += "<td>" + esc(format_threshold(t)) + "</td>";
      h += "</tr>\n";
    }
    h += "</table>\n<p class=\"rules\">First epoch whose value reaches the threshold; mean ± std over the complete runs that "
         "reached it; (k/n) = runs that reached it of the complete runs.</p>\n";
  }
  h += "<h3>MiDA vs Mish</h3>\n";
  if (a.mida_mish_pairs.empty()) {
    h += "<p class=\"rules\">No pair of model folders that differ only in MiDA vs Mish hidden activations.</p>\n";
  } else {
    h += "<table data-summary=\"mida_vs_mish\"><tr><th class=\"l\">MiDA model</th><th class=\"l\">Mish model</th><th class=\"l\">metric</th>"
         "<th class=\"l\">quantity</th><th>n</th><th>Δ (MiDA − Mish) [95 % CI]</th><th>t</th><th>df</th><th>p</th></tr>\n";
    for (const Comparison& c : a.mida_vs_mish) {
      const bool sig = c.test.valid && c.test.p < 0.05;
      h += fmt::format("<tr><td class=\"l\">{}<code>{}</code></td><td class=\"l\">{}<code>{}</code></td><td class=\"l\">{}</td>"
                       "<td class=\"l\">{}</td><td>{}, {}</td><td{}>{}</td><td>{}</td><td>{}</td><td{}>{}</td></tr>\n",
                       swatch(model_index(ex, c.model)), esc(c.model), swatch(model_index(ex, c.baseline)), esc(c.baseline),
                       esc(metric_info(c.metric).title), c.quantity, c.test.n_a, c.test.n_b, sig ? " class=\"sig\"" : "",
                       esc(format_diff_ci(c.test)), esc(format_number(c.test.t, 3)), esc(format_number(c.test.df, 3)),
                       sig ? " class=\"sig\"" : "", esc(format_p(c.test.p)));
    }
    h += "</table>\n";
  }

  // Charts.
  h += "<h2 id=\"metrics\">Metrics per epoch</h2>\n<div class=\"charts\">\n";
  for (const std::string& metric : a.metrics) h += "<div class=\"card\">" + metric_chart(ex, metric) + "</div>\n";
  h += "</div>\n<h2 id=\"parameters\">Adaptive parameters</h2>\n";
  if (a.parameters.empty()) h += "<p class=\"rules\">No model has adaptive activation parameters.</p>\n";
  else {
    h += "<div class=\"charts\">\n";
    for (const std::string& p : a.parameters) h += "<div class=\"card\">" + parameter_chart(ex, p) + "</div>\n";
    h += "</div>\n";
  }

  // Samples: the highest-epoch grid of the model's first complete run (else of any run with one).
  h += "<h2 id=\"samples\">Last sample grid per model</h2>\n<div class=\"samples\">\n";
  for (size_t i = 0; i < ex.models.size(); ++i) {
    const Run* pick = nullptr;
    for (const Run& r : ex.models[i].runs)
      if (!r.last_sample.empty() && (!pick || (pick->state != RunState::complete && r.state == RunState::complete))) pick = &r;
    h += "<figure>";
    const std::string bytes = pick ? read_bytes(pick->last_sample) : "";
    if (bytes.size() > 8 && bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0)
      h += fmt::format("<img alt=\"samples of {}\" src=\"data:image/png;base64,{}\">", esc(ex.models[i].name), base64_encode(bytes));
    else
      h += "<div class=\"rules\">no sample grid</div>";
    h += fmt::format("<figcaption>{}<code>{}</code>", swatch(static_cast<int>(i)), esc(ex.models[i].name));
    if (pick)
      h += fmt::format(" — seed index {}, epoch {} ({})", esc(pick->seed), pick->last_sample_epoch, state_name(pick->state));
    h += "</figcaption></figure>\n";
  }
  h += "</div>\n</main></body></html>\n";
  return h;
}

}  // namespace aafgan::report
