#include "report/aggregate.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include <fmt/format.h>

namespace aafgan::report {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool in_curves(const Run& r) { return r.state == RunState::complete || r.state == RunState::in_progress; }

double final_of(const std::vector<double>& v) { return v.empty() ? kNaN : v.back(); }

double best_of(const std::vector<double>& v, Better better) {
  double best = kNaN;
  for (double x : v) {
    if (!std::isfinite(x)) continue;
    if (!std::isfinite(best) || (better == Better::higher ? x > best : x < best)) best = x;
  }
  return best;
}

const ModelStats* stats_of(const Aggregate& a, const std::string& model) {
  for (const ModelStats& s : a.models)
    if (s.model == model) return &s;
  return nullptr;
}

// model − baseline for every metric both have, final (and best where defined).
void compare(const Aggregate& a, const std::string& model, const std::string& baseline, double confidence,
             std::vector<Comparison>& out) {
  const ModelStats *m = stats_of(a, model), *b = stats_of(a, baseline);
  for (const std::string& metric : a.metrics) {
    const auto im = m->metrics.find(metric), ib = b->metrics.find(metric);
    if (im == m->metrics.end() || ib == b->metrics.end() || !im->second.info.summarised) continue;
    out.push_back({model, baseline, metric, "final",
                   welch_test(im->second.final_value.values, ib->second.final_value.values, confidence)});
    if (im->second.info.better != Better::neither)
      out.push_back({model, baseline, metric, "best",
                     welch_test(im->second.best_value.values, ib->second.best_value.values, confidence)});
  }
}

}  // namespace

Curve curve_of(const Model& m, const std::string& column) {
  Curve c;
  int rows = 0;
  std::vector<const std::vector<double>*> cols;
  for (const Run& r : m.runs) {
    if (!in_curves(r)) continue;
    const auto* v = r.metrics.column(column);
    if (!v) continue;
    cols.push_back(v);
    rows = std::max(rows, static_cast<int>(v->size()));
    ++c.runs;
    c.in_progress += r.state == RunState::in_progress;
  }
  for (int e = 0; e < rows; ++e) {
    std::vector<double> at;
    int reached = 0;
    for (const auto* v : cols)
      if (e < static_cast<int>(v->size())) {
        ++reached;
        at.push_back((*v)[e]);
      }
    const SampleSummary s = summarize(at);
    c.epochs.push_back(e + 1);
    c.mean.push_back(s.mean);
    c.std.push_back(s.std);
    c.n.push_back(s.n);
    c.partial.push_back(reached < c.runs);
  }
  return c;
}

int first_epoch_reaching(const MetricsTable& t, const std::string& column, double threshold, Better better) {
  const auto* v = t.column(column);
  if (!v) return 0;
  for (size_t e = 0; e < v->size(); ++e) {
    const double x = (*v)[e];
    if (std::isfinite(x) && (better == Better::lower ? x <= threshold : x >= threshold)) return t.epochs[e];
  }
  return 0;
}

Aggregate aggregate(const Experiment& ex, const ReportOptions& opt) {
  Aggregate a;
  std::set<std::string> columns, parameters;
  for (const Model& m : ex.models)
    for (const Run& r : m.runs)
      for (const std::string& c : r.metrics.columns) {
        if (const auto p = parameter_column(c)) parameters.insert(p->parameter);
        else columns.insert(c);
      }
  a.metrics.assign(columns.begin(), columns.end());
  std::stable_sort(a.metrics.begin(), a.metrics.end(), [](const std::string& x, const std::string& y) {
    return metric_info(x).order < metric_info(y).order;
  });
  a.parameters.assign(parameters.begin(), parameters.end());
  a.threshold_metric_present = columns.count(opt.threshold_metric) > 0;
  Better threshold_better = metric_info(opt.threshold_metric).better;
  if (threshold_better == Better::neither) threshold_better = Better::higher;

  for (const Model& m : ex.models) {
    // "Final" is each run's last epoch: runs of different lengths are not aligned by epoch.
    std::set<int> lengths;
    for (const Run& r : m.runs)
      if (r.state == RunState::complete) lengths.insert(r.epochs);
    if (lengths.size() > 1) {
      std::string list;
      for (const int n : lengths) list += (list.empty() ? "" : ", ") + std::to_string(n);
      a.warnings.push_back(fmt::format("model {}: its complete runs have {} epochs, so its final values are taken at "
                                       "different epochs (the curves are aligned by epoch)", m.name, list));
    }
    ModelStats s;
    s.model = m.name;
    for (const Run& r : m.runs) {
      s.complete += r.state == RunState::complete;
      s.in_progress += r.state == RunState::in_progress;
      s.failed += r.state == RunState::failed;
      s.unreadable += r.state == RunState::unreadable;
    }
    for (const std::string& metric : a.metrics) {
      MetricStats ms;
      ms.info = metric_info(metric);
      bool any = false;
      for (const Run& r : m.runs) {
        if (r.state != RunState::complete) continue;
        const auto* v = r.metrics.column(metric);
        if (!v) continue;
        any = true;
        const double f = final_of(*v);
        if (std::isfinite(f)) ms.final_value.values.push_back(f);
        if (ms.info.better != Better::neither) {
          const double b = best_of(*v, ms.info.better);
          if (std::isfinite(b)) ms.best_value.values.push_back(b);
        }
      }
      if (!any) continue;
      ms.final_value.summary = summarize(ms.final_value.values);
      ms.best_value.summary = summarize(ms.best_value.values);
      s.metrics.emplace(metric, std::move(ms));
    }
    if (a.threshold_metric_present)
      for (double thr : opt.thresholds) {
        ThresholdStats t;
        t.threshold = thr;
        for (const Run& r : m.runs) {
          if (r.state != RunState::complete || !r.metrics.column(opt.threshold_metric)) continue;
          ++t.runs;
          const int e = first_epoch_reaching(r.metrics, opt.threshold_metric, thr, threshold_better);
          if (e > 0) {
            ++t.reached;
            t.epochs.push_back(e);
          }
        }
        t.summary = summarize(t.epochs);
        s.thresholds.push_back(t);
      }
    a.models.push_back(std::move(s));
  }

  for (const Model& m : ex.models)
    if (m.is_default()) a.baseline = m.name;
  if (!a.baseline.empty())
    for (const Model& m : ex.models)
      if (!m.is_default()) compare(a, m.name, a.baseline, opt.confidence, a.vs_default);

  for (const Model& m : ex.models) {
    if (m.parts.dis_hidden != "MiDA" && m.parts.gen_hidden != "MiDA") continue;
    ModelParts mish = m.parts;
    if (mish.dis_hidden == "MiDA") mish.dis_hidden = "Mish";
    if (mish.gen_hidden == "MiDA") mish.gen_hidden = "Mish";
    const std::string other = model_folder_name(mish);
    if (!stats_of(a, other)) continue;
    a.mida_mish_pairs.emplace_back(m.name, other);
    compare(a, m.name, other, opt.confidence, a.mida_vs_mish);
  }
  return a;
}

}  // namespace aafgan::report
