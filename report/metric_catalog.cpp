#include "report/metric_catalog.h"

#include <map>

namespace aafgan::report {

namespace {
bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }
bool ends_with(const std::string& s, const std::string& p) {
  return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}
}  // namespace

MetricInfo metric_info(const std::string& c) {
  MetricInfo m{c, c, "", Better::neither, true, 1000};
  auto set = [&](const char* title, const char* unit, Better b, int order, bool summarised = true) {
    m.title = title;
    m.unit = unit;
    m.better = b;
    m.order = order;
    m.summarised = summarised;
  };
  if (c == kClassifierAccuracy) set("Classifier accuracy on generated digits", "%", Better::higher, 0);
  else if (c == "fid_scores") set("FID", "", Better::lower, 10);
  else if (c == "kid_scores") set("KID", "", Better::lower, 11);
  else if (c == "kid_scores_std") set("KID: std over subsets", "", Better::neither, 12, false);
  else if (starts_with(c, "parzen")) {
    set("Parzen-window log-likelihood", "nats", Better::higher, 13);
    if (c != "parzen_log_likelihood") m.title += " (" + c + ")";
  } else if (c == "d_losses") set("D loss (epoch mean)", "BCE", Better::neither, 20);
  else if (c == "g_losses") set("G loss (epoch mean)", "BCE", Better::neither, 21);
  else if (c == "d_accuracies") set("D accuracy (epoch mean)", "%", Better::neither, 22);
  else if (c == "d_losses_last") set("D loss (last batch)", "BCE", Better::neither, 30);
  else if (c == "g_losses_last") set("G loss (last batch)", "BCE", Better::neither, 31);
  else if (c == "d_accuracies_last") set("D accuracy (last batch)", "%", Better::neither, 32);
  else if (c == "times") set("Epoch time", "s", Better::lower, 40);
  else if (c == "lr") set("Learning rate", "", Better::neither, 41, false);
  return m;
}

std::optional<ParameterColumn> parameter_column(const std::string& c) {
  if (!(starts_with(c, "G.") || starts_with(c, "D."))) return std::nullopt;
  for (const char* stat : {"mean", "max", "min"}) {
    const std::string suffix = std::string(".") + stat;
    if (ends_with(c, suffix) && c.size() > suffix.size() + 2) return ParameterColumn{c.substr(0, c.size() - suffix.size()), stat};
  }
  return std::nullopt;
}

std::string parameter_symbol(const std::string& name) {
  static const std::map<std::string, std::string> greek = {
      {"alpha", "α"}, {"beta", "β"}, {"gamma", "γ"}, {"delta", "δ"}, {"epsilon", "ε"}, {"kappa", "κ"},
      {"lambda", "λ"}, {"mu", "μ"}, {"rho", "ρ"}, {"sigma", "σ"}, {"tau", "τ"}, {"omega", "ω"}};
  const auto it = greek.find(name);
  return it == greek.end() ? name : it->second;
}

}  // namespace aafgan::report
