#pragma once
// Number and label formatting shared by the summary writers and the HTML page.
#include <string>

#include "report/aggregate.h"

namespace aafgan::report {

std::string format_number(double v, int significant = 4);     // "12.35", "0.001234", "n/a" for NaN
std::string format_mean_std(const SampleSummary& s);          // "12.35 ± 0.5", "12.35 (n=1)", "n/a"
std::string format_p(double p);                               // "0.032", "< 0.0001", "n/a"
std::string format_diff_ci(const WelchTest& w);               // "+1.2 [−0.3, 2.7]" or "n/a (why)"
std::string format_threshold(const ThresholdStats& t);        // "4.33 ± 0.58 (3/3)", "n/a (0/3 reached)"
std::string metric_heading(const MetricInfo& m);              // "Epoch time (s), lower is better"
std::string describe_model(const ModelParts& p);              // "all default", "D hidden MiDA, G out BHSA"
std::string csv_number(double v);                             // full precision, "" for NaN

}  // namespace aafgan::report
