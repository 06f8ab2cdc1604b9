#pragma once
// What each metrics.csv column means to the report: its title, unit, which direction is
// better (and so what "best" is), whether it is summarised and in which order.
#include <optional>
#include <string>

namespace aafgan::report {

enum class Better { higher, lower, neither };

struct MetricInfo {
  std::string column;
  std::string title;  // "Classifier accuracy on generated digits"
  std::string unit;   // "%", "s", "" …
  Better better = Better::neither;  // neither: only the final value is summarised (losses, D accuracy)
  bool summarised = true;           // false: charted only (learning rate, KID's spread over subsets)
  int order = 1000;                 // position in charts and tables
};

MetricInfo metric_info(const std::string& column);

// The classifier-accuracy column (a fraction 0..1 today, possibly percent later: see run_folder.h).
inline constexpr const char* kClassifierAccuracy = "pre_classifier_accuracies";

// `G.<layer…>.<param>.mean|max|min` / `D.…`: the parameter (`G.out.BHSA.lambda`) and the statistic.
struct ParameterColumn {
  std::string parameter;  // G.out.BHSA.lambda
  std::string statistic;  // mean, max or min
};
std::optional<ParameterColumn> parameter_column(const std::string& column);

// "λ" for lambda, "τ" for tau, … (the name itself when it has no Greek letter).
std::string parameter_symbol(const std::string& name);

}  // namespace aafgan::report
