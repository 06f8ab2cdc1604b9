#include "report/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <limits>

#include "report/format.h"

namespace aafgan::report {

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string model_colour(int index) {
  // Tableau 10, then darker variants.
  static const char* palette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
                                  "#ff9da7", "#9c755f", "#79706e", "#1f3b73", "#a0522d", "#2e7d32", "#6a1b9a"};
  constexpr int n = sizeof(palette) / sizeof(palette[0]);
  return palette[((index % n) + n) % n];
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!(hi > lo)) return {lo};
  const double raw = (hi - lo) / std::max(1, target);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step)
    ticks.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : t);
  return ticks;
}

namespace {

std::string tick_label(double v, double step) {
  if (v == 0) return "0";
  const double a = std::fabs(v);
  if (a >= 1e5 || step < 1e-4) return fmt::format("{:.3g}", v);
  const int decimals = std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
  return fmt::format("{:.{}f}", v, std::min(decimals, 6));
}

}  // namespace

std::string render_chart(const Chart& c) {
  const double inf = std::numeric_limits<double>::infinity();
  double xmin = inf, xmax = -inf, ymin = inf, ymax = -inf;
  for (const ChartSeries& s : c.series)
    for (size_t i = 0; i < s.x.size(); ++i) {
      auto use_y = [&](double y) {
        if (!std::isfinite(y)) return;
        ymin = std::min(ymin, y);
        ymax = std::max(ymax, y);
      };
      if (!std::isfinite(s.y[i])) continue;
      xmin = std::min(xmin, s.x[i]);
      xmax = std::max(xmax, s.x[i]);
      use_y(s.y[i]);
      if (i < s.band_lo.size()) use_y(s.band_lo[i]);
      if (i < s.band_hi.size()) use_y(s.band_hi[i]);
    }
  const bool empty = !std::isfinite(xmin);
  if (empty) xmin = 1, xmax = 2, ymin = 0, ymax = 1;
  if (xmax == xmin) xmin -= 0.5, xmax += 0.5;
  if (ymax == ymin) {
    const double pad = std::fabs(ymin) > 0 ? std::fabs(ymin) * 0.05 : 0.5;
    ymin -= pad;
    ymax += pad;
  } else {
    const double pad = (ymax - ymin) * 0.06;
    ymin -= pad;
    ymax += pad;
  }
  // Legend rows below the plot: two entries per row.
  const int legend_rows = static_cast<int>((c.series.size() + 1) / 2);
  const int left = 72, right = 20, top = 44, plot_h = c.height - top - 56;
  const int legend_top = top + plot_h + 62;
  std::vector<std::string> notes;  // one line per "; "-separated part
  for (size_t start = 0; start < c.note.size();) {
    const size_t end = c.note.find("; ", start);
    notes.push_back(c.note.substr(start, end == std::string::npos ? std::string::npos : end - start));
    start = end == std::string::npos ? c.note.size() : end + 2;
  }
  const int height = legend_top + legend_rows * 20 + static_cast<int>(notes.size()) * 15 + 4;
  const int plot_w = c.width - left - right;
  auto X = [&](double x) { return left + (x - xmin) / (xmax - xmin) * plot_w; };
  auto Y = [&](double y) { return top + (ymax - y) / (ymax - ymin) * plot_h; };

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"{}\" data-metric=\"{}\" data-kind=\"{}\" "
      "width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\">\n",
      xml_escape(c.id), xml_escape(c.metric), xml_escape(c.kind), c.width, height, c.width, height, xml_escape(c.title));
  svg += fmt::format("<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>\n", c.width, height);
  svg += fmt::format("<text x=\"{}\" y=\"22\" class=\"ct\">{}</text>\n", left, xml_escape(c.title));
  // Grid and ticks.
  const std::vector<double> yt = nice_ticks(ymin, ymax, 6);
  const double ystep = yt.size() > 1 ? yt[1] - yt[0] : 1;
  for (double t : yt) {
    if (t < ymin || t > ymax) continue;
    svg += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\" class=\"grid\"/>"
                       "<text x=\"{}\" y=\"{:.1f}\" class=\"tick\" text-anchor=\"end\">{}</text>\n",
                       left, left + plot_w, Y(t), Y(t), left - 6, Y(t) + 4, tick_label(t, ystep));
  }
  std::vector<double> xt = nice_ticks(xmin, xmax, 8);
  xt.erase(std::remove_if(xt.begin(), xt.end(), [](double t) { return std::fabs(t - std::round(t)) > 1e-9; }), xt.end());
  for (double t : xt) {
    if (t < xmin || t > xmax) continue;
    svg += fmt::format("<line x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{}\" y2=\"{}\" class=\"axis\"/>"
                       "<text x=\"{:.1f}\" y=\"{}\" class=\"tick\" text-anchor=\"middle\">{:g}</text>\n",
                       X(t), X(t), top + plot_h, top + plot_h + 5, X(t), top + plot_h + 19, t);
  }
  svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" class=\"frame\"/>\n", left, top, plot_w, plot_h);
  svg += fmt::format("<text x=\"{}\" y=\"{}\" class=\"label\" text-anchor=\"middle\">{}</text>\n", left + plot_w / 2,
                     top + plot_h + 38, xml_escape(c.x_label));
  svg += fmt::format("<text transform=\"translate(16,{}) rotate(-90)\" class=\"label\" text-anchor=\"middle\">{}</text>\n",
                     top + plot_h / 2, xml_escape(c.y_label));
  if (empty)
    svg += fmt::format("<text x=\"{}\" y=\"{}\" class=\"label\" text-anchor=\"middle\">no finite values</text>\n",
                       left + plot_w / 2, top + plot_h / 2);

  svg += fmt::format("<clipPath id=\"{}-clip\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/></clipPath>\n<g clip-path=\"url(#{}-clip)\">\n",
                     xml_escape(c.id), left, top - 2, plot_w, plot_h + 4, xml_escape(c.id));
  // Bands first (under every line).
  for (const ChartSeries& s : c.series) {
    if (s.band_lo.empty()) continue;
    size_t i = 0;
    while (i < s.x.size()) {
      auto ok = [&](size_t k) { return std::isfinite(s.band_lo[k]) && std::isfinite(s.band_hi[k]); };
      if (!ok(i)) { ++i; continue; }
      size_t j = i;
      while (j < s.x.size() && ok(j)) ++j;
      std::string pts;
      for (size_t k = i; k < j; ++k) pts += fmt::format("{:.1f},{:.1f} ", X(s.x[k]), Y(s.band_hi[k]));
      for (size_t k = j; k-- > i;) pts += fmt::format("{:.1f},{:.1f} ", X(s.x[k]), Y(s.band_lo[k]));
      if (j - i == 1)  // a single point: a short vertical bar instead of an invisible polygon
        svg += fmt::format("<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\" stroke-opacity=\"0.35\" stroke-width=\"6\"/>\n",
                           X(s.x[i]), Y(s.band_hi[i]), Y(s.band_lo[i]), s.colour);
      else
        svg += fmt::format("<polygon points=\"{}\" fill=\"{}\" fill-opacity=\"0.16\" stroke=\"none\"/>\n", pts, s.colour);
      i = j;
    }
  }
  const bool markers = std::all_of(c.series.begin(), c.series.end(), [](const ChartSeries& s) { return s.x.size() <= 30; });
  for (const ChartSeries& s : c.series) {
    // Runs of segments with the same style, split at gaps.
    std::string solid, dashed;
    for (size_t i = 1; i < s.x.size(); ++i) {
      if (!std::isfinite(s.y[i]) || !std::isfinite(s.y[i - 1])) continue;
      std::string& path = (i < s.dashed.size() && s.dashed[i]) ? dashed : solid;
      path += fmt::format("M{:.1f},{:.1f}L{:.1f},{:.1f}", X(s.x[i - 1]), Y(s.y[i - 1]), X(s.x[i]), Y(s.y[i]));
    }
    const std::string extra = s.dash.empty() ? "" : fmt::format(" stroke-dasharray=\"{}\"", s.dash);
    if (!solid.empty())
      svg += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" stroke-linejoin=\"round\" stroke-linecap=\"round\"{}/>\n",
                         solid, s.colour, extra);
    if (!dashed.empty())
      svg += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" stroke-dasharray=\"5 4\"/>\n", dashed, s.colour);
    if (markers && s.dash.empty())
      for (size_t i = 0; i < s.x.size(); ++i)
        if (std::isfinite(s.y[i]))
          svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2.8\" fill=\"{}\"><title>{}, epoch {:g}: {}</title></circle>\n",
                             X(s.x[i]), Y(s.y[i]), s.colour, xml_escape(s.label), s.x[i], format_number(s.y[i]));
  }
  svg += "</g>\n";
  // Legend.
  for (size_t i = 0; i < c.series.size(); ++i) {
    const ChartSeries& s = c.series[i];
    const int lx = left + static_cast<int>(i % 2) * (plot_w / 2), ly = legend_top + static_cast<int>(i / 2) * 20;
    const std::string dash = s.dash.empty() ? "" : fmt::format(" stroke-dasharray=\"{}\"", s.dash);
    svg += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"3\"{}/>", lx, lx + 22, ly - 4,
                       ly - 4, s.colour, dash);
    if (!s.band_lo.empty())
      svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"22\" height=\"10\" fill=\"{}\" fill-opacity=\"0.16\"/>", lx, ly - 9, s.colour);
    svg += fmt::format("<text x=\"{}\" y=\"{}\" class=\"legend\">{}</text>\n", lx + 28, ly, xml_escape(s.label));
  }
  for (size_t i = 0; i < notes.size(); ++i)
    svg += fmt::format("<text x=\"{}\" y=\"{}\" class=\"note\">{}</text>\n", left,
                       legend_top + legend_rows * 20 + 4 + static_cast<int>(i) * 15, xml_escape(notes[i]));
  svg += "</svg>\n";
  return svg;
}

}  // namespace aafgan::report
