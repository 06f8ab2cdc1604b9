#pragma once
// Static SVG line charts: one line (+ optional shaded band) per series, axes with "nice"
// ticks, labels and a legend. No script; hover titles via <title>.
#include <string>
#include <vector>

namespace aafgan::report {

struct ChartSeries {
  std::string label;                // legend text
  std::string colour;               // "#1f77b4"
  std::vector<double> x, y;         // NaN y = a gap
  std::vector<double> band_lo, band_hi;  // empty, or one per x (NaN = no band there)
  std::vector<bool> dashed;         // empty, or one per x: the segment ending at x is dashed
  std::string dash;                 // "" solid, or an SVG dash array for the whole series
};

struct Chart {
  std::string id;        // element id (unique in the page)
  std::string metric;    // data-metric attribute: the column (or parameter) it shows
  std::string kind;      // data-kind attribute: "metric" or "parameter"
  std::string title, x_label, y_label, note;
  std::vector<ChartSeries> series;
  int width = 600, height = 360;
};

std::string render_chart(const Chart& chart);

// Evenly spaced round tick values (1, 2, 2.5 or 5 × 10^k) covering [lo, hi].
std::vector<double> nice_ticks(double lo, double hi, int target_count);

std::string xml_escape(const std::string& s);

// Colour of the i-th model (a fixed qualitative palette, so a model has the same colour in every chart).
std::string model_colour(int index);

}  // namespace aafgan::report
