#pragma once
// Aggregation over seeds. Rules (docs/report.md):
//  - curves (per-epoch mean ± std) use the complete and the in-progress runs; at each epoch,
//    the runs that reached it. An epoch that fewer of the model's runs reached than the others
//    is `partial` (charts draw it dashed). Failed and unreadable runs are left out.
//  - final/best values, thresholds and comparisons use complete runs only.
//  - final = a run's value at its last epoch; best = its maximum (higher-is-better metrics) or
//    minimum (lower-is-better) over epochs; metrics with no better direction (losses, D
//    accuracy, learning rate) have a final value only.
#include <map>
#include <string>
#include <vector>

#include "report/metric_catalog.h"
#include "report/run_folder.h"
#include "report/statistics.h"

namespace aafgan::report {

struct Curve {
  std::vector<int> epochs;
  std::vector<double> mean, std;  // std NaN where fewer than 2 runs have a finite value
  std::vector<int> n;             // runs with a finite value at that epoch
  std::vector<bool> partial;      // fewer runs reached this epoch than the model's curve runs
  int runs = 0;                   // runs that contribute at all
  int in_progress = 0;            // of which in progress
};

// Per-epoch mean ± std of `column` over a model's complete and in-progress runs.
Curve curve_of(const Model& m, const std::string& column);

struct ValueStats {
  std::vector<double> values;  // one per complete run with a finite value
  SampleSummary summary;
};

struct ThresholdStats {
  double threshold = 0;
  int reached = 0, runs = 0;          // runs = complete runs with the metric
  std::vector<double> epochs;         // first epoch reaching it, one per run that did
  SampleSummary summary;              // over the runs that reached it
};

struct MetricStats {
  MetricInfo info;
  ValueStats final_value, best_value;  // best_value empty when info.better is neither
};

struct ModelStats {
  std::string model;
  int complete = 0, in_progress = 0, failed = 0, unreadable = 0;
  std::map<std::string, MetricStats> metrics;   // by column
  std::vector<ThresholdStats> thresholds;       // of ReportOptions::threshold_metric
};

struct Comparison {
  std::string model, baseline, metric;
  std::string quantity;  // "final" or "best"
  WelchTest test;        // model − baseline
};

struct ReportOptions {
  std::vector<double> thresholds = {50, 80, 90};
  std::string threshold_metric = kClassifierAccuracy;
  double confidence = 0.95;
};

struct Aggregate {
  std::vector<std::string> metrics;      // summarised and charted columns, in display order
  std::vector<std::string> parameters;   // adaptive parameters (G.out.BHSA.lambda …), sorted
  std::vector<ModelStats> models;        // as Experiment::models
  std::string baseline;                  // "output" when present, else ""
  std::vector<Comparison> vs_default;    // each non-default model against `output`
  std::vector<Comparison> mida_vs_mish;  // MiDA − Mish for folders that differ only in that
  // What a reader must know before trusting the summary: e.g. a model whose complete runs differ
  // in length, whose "final" values then mix epochs. One sentence each.
  std::vector<std::string> warnings;
  std::vector<std::pair<std::string, std::string>> mida_mish_pairs;
  bool threshold_metric_present = false;
};

// When is an epoch "reached": value ≥ threshold for higher-is-better metrics, ≤ for lower-is-better.
int first_epoch_reaching(const MetricsTable& t, const std::string& column, double threshold, Better better);

Aggregate aggregate(const Experiment& ex, const ReportOptions& opt);

}  // namespace aafgan::report
