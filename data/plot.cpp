#include "data/plot.h"

#include <algorithm>
#include <cmath>

#include "engine/error.h"

namespace aafgan::data {

namespace {

// 5×7 glyphs, one byte per row, bit 4 = leftmost column (the HD44780 character shapes).
struct Glyph {
  char c;
  uint8_t rows[7];
};

constexpr Glyph kFont[] = {
    {' ', {0, 0, 0, 0, 0, 0, 0}},
    {'0', {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E}}, {'1', {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E}},
    {'2', {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F}}, {'3', {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E}},
    {'4', {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02}}, {'5', {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E}},
    {'6', {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E}}, {'7', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}},
    {'8', {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E}}, {'9', {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C}},
    {'A', {0x0E, 0x11, 0x11, 0x11, 0x1F, 0x11, 0x11}}, {'B', {0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E}},
    {'C', {0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E}}, {'D', {0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C}},
    {'E', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F}}, {'F', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10}},
    {'G', {0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F}}, {'H', {0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}},
    {'I', {0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E}}, {'J', {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C}},
    {'K', {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11}}, {'L', {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F}},
    {'M', {0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11}}, {'N', {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11}},
    {'O', {0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}}, {'P', {0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10}},
    {'Q', {0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D}}, {'R', {0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11}},
    {'S', {0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E}}, {'T', {0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04}},
    {'U', {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}}, {'V', {0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04}},
    {'W', {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A}}, {'X', {0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11}},
    {'Y', {0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04}}, {'Z', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F}},
    {'a', {0x00, 0x00, 0x0E, 0x01, 0x0F, 0x11, 0x0F}}, {'b', {0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x1E}},
    {'c', {0x00, 0x00, 0x0E, 0x10, 0x10, 0x11, 0x0E}}, {'d', {0x01, 0x01, 0x0D, 0x13, 0x11, 0x11, 0x0F}},
    {'e', {0x00, 0x00, 0x0E, 0x11, 0x1F, 0x10, 0x0E}}, {'f', {0x06, 0x09, 0x08, 0x1C, 0x08, 0x08, 0x08}},
    {'g', {0x00, 0x00, 0x0F, 0x11, 0x0F, 0x01, 0x0E}}, {'h', {0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x11}},
    {'i', {0x04, 0x00, 0x0C, 0x04, 0x04, 0x04, 0x0E}}, {'j', {0x02, 0x00, 0x06, 0x02, 0x02, 0x12, 0x0C}},
    {'k', {0x10, 0x10, 0x12, 0x14, 0x18, 0x14, 0x12}}, {'l', {0x0C, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E}},
    {'m', {0x00, 0x00, 0x1A, 0x15, 0x15, 0x11, 0x11}}, {'n', {0x00, 0x00, 0x16, 0x19, 0x11, 0x11, 0x11}},
    {'o', {0x00, 0x00, 0x0E, 0x11, 0x11, 0x11, 0x0E}}, {'p', {0x00, 0x00, 0x1E, 0x11, 0x1E, 0x10, 0x10}},
    {'q', {0x00, 0x00, 0x0D, 0x13, 0x0F, 0x01, 0x01}}, {'r', {0x00, 0x00, 0x16, 0x19, 0x10, 0x10, 0x10}},
    {'s', {0x00, 0x00, 0x0E, 0x10, 0x0E, 0x01, 0x1E}}, {'t', {0x08, 0x08, 0x1C, 0x08, 0x08, 0x09, 0x06}},
    {'u', {0x00, 0x00, 0x11, 0x11, 0x11, 0x13, 0x0D}}, {'v', {0x00, 0x00, 0x11, 0x11, 0x11, 0x0A, 0x04}},
    {'w', {0x00, 0x00, 0x11, 0x11, 0x15, 0x15, 0x0A}}, {'x', {0x00, 0x00, 0x11, 0x0A, 0x04, 0x0A, 0x11}},
    {'y', {0x00, 0x00, 0x11, 0x11, 0x0F, 0x01, 0x0E}}, {'z', {0x00, 0x00, 0x1F, 0x02, 0x04, 0x08, 0x1F}},
    {'.', {0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C}}, {',', {0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08}},
    {'-', {0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00}}, {'_', {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1F}},
    {'+', {0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00}}, {'=', {0x00, 0x00, 0x1F, 0x00, 0x1F, 0x00, 0x00}},
    {'(', {0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02}}, {')', {0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08}},
    {':', {0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00}}, {'/', {0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00}},
    {'%', {0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03}}, {'?', {0x0E, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04}},
};

const uint8_t* glyph(char c) {
  for (const Glyph& g : kFont)
    if (g.c == c) return g.rows;
  return glyph('?');
}

constexpr int kAdvance = 6;  // glyph width + 1 column of spacing
constexpr int kGlyphH = 7;

int text_width(const std::string& s, int scale) {
  return s.empty() ? 0 : static_cast<int>(s.size()) * kAdvance * scale - scale;
}

struct Rgb {
  uint8_t r, g, b;
};

constexpr Rgb kBlack{0, 0, 0}, kGrid{225, 225, 225}, kFrame{120, 120, 120};

class Canvas {
 public:
  Canvas(int w, int h) : img_{w, h, 3, std::vector<uint8_t>(static_cast<size_t>(w) * h * 3, 255)} {}

  // alpha = coverage in [0, 1]; pixels outside the canvas or the clip rectangle are ignored.
  void blend(int x, int y, Rgb c, double alpha) {
    if (x < clip_x0_ || y < clip_y0_ || x > clip_x1_ || y > clip_y1_ || alpha <= 0) return;
    if (x < 0 || y < 0 || x >= img_.width || y >= img_.height) return;
    uint8_t* p = &img_.pixels[(static_cast<size_t>(y) * img_.width + x) * 3];
    const double a = std::min(alpha, 1.0);
    const uint8_t src[3] = {c.r, c.g, c.b};
    for (int i = 0; i < 3; ++i) p[i] = static_cast<uint8_t>(std::lround(p[i] * (1 - a) + src[i] * a));
  }

  void fill(int x0, int y0, int x1, int y1, Rgb c) {
    for (int y = y0; y <= y1; ++y)
      for (int x = x0; x <= x1; ++x) blend(x, y, c, 1);
  }

  void text(int x, int y, const std::string& s, int scale, Rgb c) {
    for (char ch : s) {
      const uint8_t* rows = glyph(ch);
      for (int gy = 0; gy < kGlyphH; ++gy)
        for (int gx = 0; gx < 5; ++gx)
          if (rows[gy] & (0x10 >> gx)) fill(x + gx * scale, y + gy * scale, x + (gx + 1) * scale - 1, y + (gy + 1) * scale - 1, c);
      x += kAdvance * scale;
    }
  }

  // An anti-aliased segment `width` pixels thick: each pixel is covered by how far its
  // centre lies inside the stroke, so slopes look smooth rather than stair-stepped.
  void line(double ax, double ay, double bx, double by, double width, Rgb c) {
    const double half = width / 2, dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
    const int x0 = static_cast<int>(std::floor(std::min(ax, bx) - half - 1));
    const int x1 = static_cast<int>(std::ceil(std::max(ax, bx) + half + 1));
    const int y0 = static_cast<int>(std::floor(std::min(ay, by) - half - 1));
    const int y1 = static_cast<int>(std::ceil(std::max(ay, by) + half + 1));
    for (int y = std::max(y0, clip_y0_); y <= std::min(y1, clip_y1_); ++y)
      for (int x = std::max(x0, clip_x0_); x <= std::min(x1, clip_x1_); ++x) {
        const double t = len2 > 0 ? std::clamp(((x - ax) * dx + (y - ay) * dy) / len2, 0.0, 1.0) : 0.0;
        const double d = std::hypot(x - (ax + t * dx), y - (ay + t * dy));
        blend(x, y, c, half + 0.5 - d);
      }
  }

  void set_clip(int x0, int y0, int x1, int y1) { clip_x0_ = x0, clip_y0_ = y0, clip_x1_ = x1, clip_y1_ = y1; }
  void reset_clip() { set_clip(0, 0, img_.width - 1, img_.height - 1); }

  Image take() { return std::move(img_); }

 private:
  Image img_;
  int clip_x0_ = 0, clip_y0_ = 0, clip_x1_ = 1 << 30, clip_y1_ = 1 << 30;
};

// A round step (1, 2 or 5 × 10^k) giving about `target` intervals over `span`.
double nice_step(double span, int target) {
  const double raw = span / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

// Enough decimals to tell neighbouring ticks apart, and no more.
std::string tick_label(double v, double step) {
  if (std::abs(v) < step * 1e-9) v = 0;  // k * step can land at -1e-17 instead of 0
  if (step >= 1e6 || step < 1e-4) return fmt::format("{:.3g}", v);
  const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  return fmt::format("{:.{}f}", v, decimals);
}

struct Axis {
  double lo, hi, step;
  std::vector<double> ticks;
};

Axis make_axis(double lo, double hi, int target, bool snap_to_ticks, double min_step) {
  Axis a{lo, hi, std::max(nice_step(hi - lo, target), min_step), {}};
  if (snap_to_ticks) {
    a.lo = std::floor(lo / a.step) * a.step;
    a.hi = std::ceil(hi / a.step) * a.step;
  }
  const double k0 = std::ceil(a.lo / a.step - 1e-9), k1 = std::floor(a.hi / a.step + 1e-9);
  for (double k = k0; k <= k1 && a.ticks.size() < 50; ++k) a.ticks.push_back(k * a.step);
  return a;
}

// Non-finite values are gaps; values near the double limit would overflow the range arithmetic.
bool plottable(double v) { return std::isfinite(v) && std::abs(v) <= 1e300; }

}  // namespace

Image render_plot(const std::string& title, const std::vector<Series>& series, const std::string& x_label,
                  const PlotOptions& opt) {
  AAFGAN_CHECK(opt.width >= 200 && opt.height >= 150, "plot: {}×{} is too small (at least 200×150)", opt.width,
               opt.height);
  AAFGAN_CHECK(std::isfinite(opt.x_first) && std::isfinite(opt.x_step) && opt.x_step > 0,
               "plot: x_first {} and x_step {} must be finite, x_step positive", opt.x_first, opt.x_step);

  // Data ranges.
  size_t n = 0;
  double ylo = INFINITY, yhi = -INFINITY;
  for (const Series& s : series) {
    n = std::max(n, s.values.size());
    for (double v : s.values)
      if (plottable(v)) ylo = std::min(ylo, v), yhi = std::max(yhi, v);
  }
  if (ylo > yhi) ylo = 0, yhi = 1;  // nothing finite to show: still draw the axes
  if (ylo == yhi) {
    const double d = ylo == 0 ? 1 : std::abs(ylo) * 0.1;
    ylo -= d, yhi += d;
  }
  double xlo = opt.x_first, xhi = opt.x_first + static_cast<double>(n > 0 ? n - 1 : 0) * opt.x_step;
  if (xlo == xhi) xlo -= opt.x_step, xhi += opt.x_step;  // a lone point sits in the middle
  // Epoch-like x values get integer ticks only.
  const bool integral_x = std::floor(opt.x_first) == opt.x_first && std::floor(opt.x_step) == opt.x_step;
  const Axis yaxis = make_axis(ylo, yhi, 5, true, 0);
  const Axis xaxis = make_axis(xlo, xhi, 6, false, integral_x ? 1 : 0);

  // Layout: margins sized to the text they hold.
  std::vector<std::string> ylabels;
  int ylabel_w = 0;
  for (double t : yaxis.ticks) {
    ylabels.push_back(tick_label(t, yaxis.step));
    ylabel_w = std::max(ylabel_w, text_width(ylabels.back(), 1));
  }
  int legend_w = 0;
  for (const Series& s : series) legend_w = std::max(legend_w, 30 + text_width(s.name, 1) + 12);
  const int left = 10 + ylabel_w + 4 + 5, top = 12 + 2 * kGlyphH + 10;
  const int right = opt.width - 1 - (legend_w > 0 ? legend_w + 10 : 20);
  const int bottom = opt.height - 1 - (5 + 4 + kGlyphH + 8 + (x_label.empty() ? 0 : 2 * kGlyphH + 6));
  AAFGAN_CHECK(right - left >= 40 && bottom - top >= 40, "plot: {}×{} leaves no room for the chart", opt.width,
               opt.height);

  const auto px = [&](double x) { return left + (x - xaxis.lo) / (xaxis.hi - xaxis.lo) * (right - left); };
  const auto py = [&](double y) { return bottom - (y - yaxis.lo) / (yaxis.hi - yaxis.lo) * (bottom - top); };

  Canvas cv(opt.width, opt.height);
  for (double t : yaxis.ticks) cv.fill(left, static_cast<int>(std::lround(py(t))), right, static_cast<int>(std::lround(py(t))), kGrid);
  for (double t : xaxis.ticks) cv.fill(static_cast<int>(std::lround(px(t))), top, static_cast<int>(std::lround(px(t))), bottom, kGrid);

  // The curves, clipped to the inside of the frame.
  cv.set_clip(left + 1, top + 1, right - 1, bottom - 1);
  for (const Series& s : series) {
    const Rgb c{s.r, s.g, s.b};
    const auto finite = [&](size_t i) { return i < s.values.size() && plottable(s.values[i]); };
    for (size_t i = 0; i < s.values.size(); ++i) {
      if (!finite(i)) continue;
      const double x = px(opt.x_first + static_cast<double>(i) * opt.x_step), y = py(s.values[i]);
      if (finite(i + 1)) {
        cv.line(x, y, px(opt.x_first + static_cast<double>(i + 1) * opt.x_step), py(s.values[i + 1]), 2.0, c);
      } else if (i == 0 || !finite(i - 1)) {
        cv.line(x, y, x, y, 5.0, c);  // isolated point: a dot
      }
    }
  }
  cv.reset_clip();

  // Frame, ticks and their labels.
  cv.fill(left, top, right, top, kFrame);
  cv.fill(right, top, right, bottom, kFrame);
  cv.fill(left, top, left, bottom, kBlack);
  cv.fill(left, bottom, right, bottom, kBlack);
  for (size_t i = 0; i < yaxis.ticks.size(); ++i) {
    const int y = static_cast<int>(std::lround(py(yaxis.ticks[i])));
    cv.fill(left - 5, y, left - 1, y, kBlack);
    cv.text(left - 9 - text_width(ylabels[i], 1), y - kGlyphH / 2, ylabels[i], 1, kBlack);
  }
  for (double t : xaxis.ticks) {
    const int x = static_cast<int>(std::lround(px(t)));
    cv.fill(x, bottom + 1, x, bottom + 5, kBlack);
    const std::string label = tick_label(t, xaxis.step);
    cv.text(x - text_width(label, 1) / 2, bottom + 9, label, 1, kBlack);
  }
  cv.text((left + right - text_width(x_label, 2)) / 2, bottom + 9 + kGlyphH + 8, x_label, 2, kBlack);
  cv.text((opt.width - text_width(title, 2)) / 2, 12, title, 2, kBlack);

  // Legend beside the chart, so it never hides a curve.
  for (size_t i = 0; i < series.size(); ++i) {
    const int x = right + 14, y = top + 4 + static_cast<int>(i) * 16;
    const Rgb c{series[i].r, series[i].g, series[i].b};
    cv.line(x, y + 3, x + 20, y + 3, 2.0, c);
    cv.text(x + 26, y, series[i].name, 1, kBlack);
  }
  return cv.take();
}

void plot_series(const std::string& path, const std::string& title, const std::vector<Series>& series,
                 const std::string& x_label, const PlotOptions& options) {
  write_png(path, render_plot(title, series, x_label, options));
}

}  // namespace aafgan::data
