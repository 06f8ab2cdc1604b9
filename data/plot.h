#pragma once
// Line charts of training curves (losses, D(x), D(G(z))) as PNG files, so a run can be judged
// at a glance without plotting tools on the training machine.
#include <cstdint>
#include <string>
#include <vector>

#include "data/png_writer.h"  // Image

namespace aafgan::data {

struct Series {
  std::string name;            // shown in the legend
  std::vector<double> values;  // value i is plotted at x = x_first + i * x_step
  uint8_t r = 0, g = 0, b = 0;
};

struct PlotOptions {
  int width = 800, height = 480;  // pixels; at least 200 × 150
  double x_first = 1.0;           // x of values[0] (epochs count from 1)
  double x_step = 1.0;
};

// Whether this build draws plots: Cairo was found at configure time (cmake/optional_parts.cmake).
// Without it render_plot and plot_series throw an Error saying so, and callers skip their plots.
bool plots_available();
// Why there are no plots ("" when there are), for the one line a program prints about it.
std::string plots_unavailable_reason();

// Draws the series on a white background with axes, tick labels, `title` on top, `x_label`
// below and a legend at the right. The y range fits every finite value; non-finite values
// (and magnitudes above 1e300) are skipped and break the line. A point without finite neighbours is drawn as a dot.
// Drawn with Cairo, antialiased; text in fontconfig's "DejaVu Sans" (Cairo's built-in font where
// none is installed). The same input gives the same pixels: nothing depends on time or chance.
Image render_plot(const std::string& title, const std::vector<Series>& series, const std::string& x_label,
                  const PlotOptions& options = {});

// render_plot written atomically to `path` (see write_png).
void plot_series(const std::string& path, const std::string& title, const std::vector<Series>& series,
                 const std::string& x_label, const PlotOptions& options = {});

}  // namespace aafgan::data
