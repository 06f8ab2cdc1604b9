// The plots of a build without Cairo (cmake/optional_parts.cmake): every call says why.
#include "data/plot.h"

#include "base/error.h"

namespace aafgan::data {

bool plots_available() { return false; }

std::string plots_unavailable_reason() {
  return "built without Cairo (install libcairo2-dev and pkg-config, then configure again)";
}

Image render_plot(const std::string&, const std::vector<Series>&, const std::string&, const PlotOptions&) {
  throw Error("plot: " + plots_unavailable_reason());
}

void plot_series(const std::string& path, const std::string&, const std::vector<Series>&, const std::string&,
                 const PlotOptions&) {
  throw Error("plot " + path + ": " + plots_unavailable_reason());
}

}  // namespace aafgan::data
