#include "report/summary_writer.h"

#include <fmt/format.h>

#include "report/format.h"

namespace aafgan::report {

namespace {

// A CSV cell: quoted when it holds a comma, quote or line break.
std::string cell(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string md_cell(std::string s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : c == '\n' ? std::string(" ") : std::string(1, c);
  return out;
}

const char* kCsvHeader =
    "kind,model,baseline,metric,quantity,n,mean,std,reached,n_baseline,mean_baseline,diff,ci95_low,ci95_high,t,df,"
    "p_value,note\n";

std::string comparison_row(const char* kind, const Comparison& c) {
  const WelchTest& w = c.test;
  return fmt::format("{},{},{},{},{},{},{},,,{},{},{},{},{},{},{},{},{}\n", kind, cell(c.model), cell(c.baseline), c.metric,
                     c.quantity, w.n_a, csv_number(w.mean_a), w.n_b, csv_number(w.mean_b), csv_number(w.diff),
                     csv_number(w.ci_low), csv_number(w.ci_high), csv_number(w.t), csv_number(w.df), csv_number(w.p),
                     cell(w.why_not));
}

const Comparison* find(const std::vector<Comparison>& v, const std::string& model, const std::string& metric,
                       const std::string& quantity) {
  for (const Comparison& c : v)
    if (c.model == model && c.metric == metric && c.quantity == quantity) return &c;
  return nullptr;
}

}  // namespace

std::string rules_text(const ReportOptions& opt) {
  return fmt::format(
      "Values are mean ± sample standard deviation (n − 1) over the complete runs (seeds) of a model; "
      "in-progress, failed and unreadable runs are listed but not counted. Final = the value at a run's last "
      "epoch; best = its maximum over epochs for higher-is-better metrics (accuracies, Parzen log-likelihood) "
      "and its minimum for lower-is-better ones (FID, KID, epoch time); losses and D accuracy have no better "
      "direction and are reported as final values only. Accuracies are in percent. Epochs to a threshold: the "
      "first epoch whose value reaches it (≥, or ≤ for lower-is-better metrics), averaged over the runs that "
      "reached it. Δ = difference of means (model − baseline) with its {:g} % confidence interval (Welch–"
      "Satterthwaite df, Student t quantile); p = Welch's two-sided t-test.",
      opt.confidence * 100);
}

std::string summary_csv(const Experiment& ex, const Aggregate& a, const ReportOptions& opt) {
  (void)ex;
  std::string out = kCsvHeader;
  for (const ModelStats& m : a.models) {
    for (const std::string& metric : a.metrics) {
      const auto it = m.metrics.find(metric);
      if (it == m.metrics.end() || !it->second.info.summarised) continue;
      const MetricStats& s = it->second;
      auto value_row = [&](const char* quantity, const ValueStats& v) {
        out += fmt::format("value,{},,{},{},{},{},{},,,,,,,,,,\n", cell(m.model), metric, quantity, v.summary.n,
                           csv_number(v.summary.mean), csv_number(v.summary.std));
      };
      value_row("final", s.final_value);
      if (s.info.better != Better::neither) value_row("best", s.best_value);
    }
    for (const ThresholdStats& t : m.thresholds)
      out += fmt::format("threshold,{},,{},epochs_to_{},{},{},{},{},,,,,,,,,{}\n", cell(m.model), opt.threshold_metric,
                         csv_number(t.threshold), t.runs, csv_number(t.summary.mean), csv_number(t.summary.std),
                         t.reached, t.reached == 0 ? cell(fmt::format("not reached by any of {} runs", t.runs)) : "");
  }
  for (const Comparison& c : a.vs_default) out += comparison_row("vs_default", c);
  for (const Comparison& c : a.mida_vs_mish) out += comparison_row("mida_vs_mish", c);
  return out;
}

std::string runs_csv(const Experiment& ex) {
  std::string out = "model,seed_index,state,epochs,last_sample_epoch,reason,path\n";
  for (const Model& m : ex.models)
    for (const Run& r : m.runs)
      out += fmt::format("{},{},{},{},{},{},{}\n", cell(m.name), r.seed, state_name(r.state), r.epochs,
                         r.last_sample_epoch, cell(r.reason), cell(r.path));
  return out;
}

std::string summary_markdown(const Experiment& ex, const Aggregate& a, const ReportOptions& opt) {
  std::string md = fmt::format("# Experiment report: `{}`\n\n", ex.dir);
  md += fmt::format("{} runs in {} models: {} complete, {} in progress, {} failed, {} unreadable.\n\n", ex.run_count(),
                    ex.models.size(), ex.run_count(RunState::complete), ex.run_count(RunState::in_progress),
                    ex.run_count(RunState::failed), ex.run_count(RunState::unreadable));
  md += rules_text(opt) + "\n\n";

  md += "## Models\n\n| model | activations | complete | in progress | failed | unreadable |\n|---|---|---:|---:|---:|---:|\n";
  for (size_t i = 0; i < ex.models.size(); ++i) {
    const ModelStats& s = a.models[i];
    md += fmt::format("| `{}` | {} | {} | {} | {} | {} |\n", s.model, describe_model(ex.models[i].parts), s.complete,
                      s.in_progress, s.failed, s.unreadable);
  }
  std::string incomplete;
  for (const Model& m : ex.models)
    for (const Run& r : m.runs)
      if (r.state != RunState::complete)
        incomplete += fmt::format("| `{}` | {} | {} | {} | {} |\n", m.name, r.seed, state_name(r.state), r.epochs,
                                  md_cell(r.reason));
  if (!incomplete.empty())
    md += "\n## Runs that are not complete\n\n| model | seed index | state | epochs reached | reason |\n|---|---:|---|---:|---|\n" +
          incomplete;
  if (!ex.ignored.empty()) {
    md += "\nIgnored folders (not model or seed-index folders):";
    for (const std::string& s : ex.ignored) md += " `" + s + "`";
    md += "\n";
  }

  if (!a.warnings.empty()) {
    md += "\n## Warnings\n\n";
    for (const std::string& w : a.warnings) md += "- " + md_cell(w) + "\n";
  }

  md += "\n## Summary\n";
  for (const std::string& metric : a.metrics) {
    const MetricInfo info = metric_info(metric);
    if (!info.summarised) continue;
    const bool best = info.better != Better::neither;
    const bool cmp = !a.baseline.empty();
    md += fmt::format("\n### {}\n\n`{}`\n\n| model | n | final |{}", metric_heading(info), metric, best ? " best |" : "");
    if (cmp) md += fmt::format(" Δ final vs `{}` [95 % CI] | p |", a.baseline);
    if (cmp && best) md += " Δ best [95 % CI] | p |";
    md += "\n|---|---:|---:|" + std::string(best ? "---:|" : "") + (cmp ? "---:|---:|" : "") + (cmp && best ? "---:|---:|" : "") + "\n";
    for (const ModelStats& m : a.models) {
      const auto it = m.metrics.find(metric);
      if (it == m.metrics.end()) continue;
      const MetricStats& s = it->second;
      md += fmt::format("| `{}` | {} | {} |", m.model, s.final_value.summary.n, format_mean_std(s.final_value.summary));
      if (best) md += " " + format_mean_std(s.best_value.summary) + " |";
      for (const char* q : {"final", "best"}) {
        if (!cmp || (std::string(q) == "best" && !best)) continue;
        const Comparison* c = find(a.vs_default, m.model, metric, q);
        md += c ? fmt::format(" {} | {} |", format_diff_ci(c->test), format_p(c->test.p)) : std::string(" — | — |");
      }
      md += "\n";
    }
  }

  md += fmt::format("\n## Epochs to reach `{}` thresholds\n\n", opt.threshold_metric);
  if (!a.threshold_metric_present) {
    md += fmt::format("No run records `{}`.\n", opt.threshold_metric);
  } else {
    const MetricInfo info = metric_info(opt.threshold_metric);
    const char* op = info.better == Better::lower ? "≤" : "≥";
    md += "First epoch whose value reaches the threshold (early convergence); mean ± std over the complete runs that "
          "reached it, (k/n) = runs that reached it of the complete runs.\n\n| model |";
    for (double t : opt.thresholds) md += fmt::format(" {} {:g}{} |", op, t, info.unit == "%" ? " %" : "");
    md += "\n|---|";
    for (size_t i = 0; i < opt.thresholds.size(); ++i) md += "---:|";
    md += "\n";
    for (const ModelStats& m : a.models) {
      md += fmt::format("| `{}` |", m.model);
      for (const ThresholdStats& t : m.thresholds) md += " " + format_threshold(t) + " |";
      md += "\n";
    }
  }

  md += "\n## MiDA vs Mish\n\n";
  if (a.mida_mish_pairs.empty()) {
    md += "No pair of model folders that differ only in MiDA vs Mish hidden activations.\n";
  } else {
    md += "Δ = MiDA − Mish.\n\n| MiDA model | Mish model | metric | quantity | n (MiDA, Mish) | Δ [95 % CI] | t | df | p |\n"
          "|---|---|---|---|---:|---:|---:|---:|---:|\n";
    for (const Comparison& c : a.mida_vs_mish)
      md += fmt::format("| `{}` | `{}` | {} | {} | {}, {} | {} | {} | {} | {} |\n", c.model, c.baseline, c.metric, c.quantity,
                        c.test.n_a, c.test.n_b, format_diff_ci(c.test), format_number(c.test.t, 3),
                        format_number(c.test.df, 3), format_p(c.test.p));
  }
  return md;
}

}  // namespace aafgan::report
