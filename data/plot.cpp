#include "data/plot.h"

#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "base/error.h"

namespace aafgan::data {

namespace {

// A round step (1, 2 or 5 × 10^k) giving about `target` intervals over `span`.
double nice_step(double span, int target) {
  const double raw = span / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

// Enough digits to tell neighbouring ticks apart, and no more; exponents as "1e-9", not "1e-09".
std::string tick_label(double v, double step, double max_abs) {
  if (std::abs(v) < step * 1e-9) v = 0;  // k * step can land at -1e-17 instead of 0
  if (step >= 1e6 || step < 1e-4) {
    const double digits = std::floor(std::log10(max_abs)) - std::floor(std::log10(step)) + 1;
    std::string s = fmt::format("{:.{}g}", v, static_cast<int>(std::clamp(digits, 1.0, 17.0)));
    const size_t e = s.find('e');
    if (e == std::string::npos) return s;
    const bool negative = s[e + 1] == '-';
    size_t d = e + 2;
    while (d + 1 < s.size() && s[d] == '0') ++d;
    return s.substr(0, e) + (negative ? "e-" : "e") + s.substr(d);
  }
  const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  return fmt::format("{:.{}f}", v, decimals);
}

struct Axis {
  double lo, hi, step;
  std::vector<double> ticks;
  std::vector<std::string> labels;
};

Axis make_axis(double lo, double hi, int target, bool snap_to_ticks, double min_step) {
  Axis a{lo, hi, std::max(nice_step(hi - lo, target), min_step), {}, {}};
  if (snap_to_ticks) {
    a.lo = std::floor(lo / a.step) * a.step;
    a.hi = std::ceil(hi / a.step) * a.step;
  }
  const double k0 = std::ceil(a.lo / a.step - 1e-9), k1 = std::floor(a.hi / a.step + 1e-9);
  for (double k = k0; k <= k1 && a.ticks.size() < 50; ++k) a.ticks.push_back(k * a.step);
  const double max_abs = std::max(std::abs(a.lo), std::abs(a.hi));
  for (double t : a.ticks) a.labels.push_back(tick_label(t, a.step, max_abs));
  return a;
}

// Non-finite values are gaps; values near the double limit would overflow the range arithmetic.
bool plottable(double v) { return std::isfinite(v) && std::abs(v) <= 1e300; }

// fontconfig resolves the family; without any font Cairo falls back to its built-in one.
constexpr const char* kFontFamily = "DejaVu Sans";
constexpr double kTitleSize = 16, kLabelSize = 13, kTickSize = 11;

class Painter {
 public:
  Painter(int w, int h)
      : surface_(cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h), cairo_surface_destroy),
        cr_(cairo_create(surface_.get()), cairo_destroy) {
    check();
    // Fixed options rather than the user's fontconfig settings, so a plot does not depend on them;
    // grey antialiasing because coloured subpixel fringes would put the curves' colours into the text.
    cairo_font_options_t* fo = cairo_font_options_create();
    cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_SLIGHT);
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_ON);
    cairo_set_font_options(cr_.get(), fo);
    cairo_font_options_destroy(fo);
    cairo_select_font_face(cr_.get(), kFontFamily, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    colour(255, 255, 255);
    cairo_paint(cr_.get());
  }

  cairo_t* cr() { return cr_.get(); }

  void colour(uint8_t r, uint8_t g, uint8_t b) { cairo_set_source_rgb(cr(), r / 255.0, g / 255.0, b / 255.0); }

  cairo_text_extents_t extents(const std::string& s, double size) {
    cairo_set_font_size(cr(), size);
    cairo_text_extents_t e;
    cairo_text_extents(cr(), s.c_str(), &e);
    return e;
  }

  double width(const std::string& s, double size) { return extents(s, size).x_advance; }

  // Ascent and descent of the font, so every line of text gets the same height whatever its letters.
  cairo_font_extents_t metrics(double size) {
    cairo_set_font_size(cr(), size);
    cairo_font_extents_t e;
    cairo_font_extents(cr(), &e);
    return e;
  }

  // `x` is where the text starts, ends or centres (align 0, 1 or 0.5); `y` its baseline.
  void text(const std::string& s, double x, double y, double size, double align = 0) {
    x -= width(s, size) * align;
    cairo_move_to(cr(), std::round(x), std::round(y));
    cairo_show_text(cr(), s.c_str());
  }

  // A 1-pixel line along pixel centres, so it stays crisp instead of smearing over two rows;
  // square caps cover the end pixels whole.
  void hairline(int x0, int y0, int x1, int y1) {
    cairo_set_line_width(cr(), 1);
    cairo_set_line_cap(cr(), CAIRO_LINE_CAP_SQUARE);
    cairo_move_to(cr(), x0 + 0.5, y0 + 0.5);
    cairo_line_to(cr(), x1 + 0.5, y1 + 0.5);
    cairo_stroke(cr());
  }

  Image take() {
    cairo_surface_flush(surface_.get());
    check();
    const int w = cairo_image_surface_get_width(surface_.get()), h = cairo_image_surface_get_height(surface_.get());
    const int stride = cairo_image_surface_get_stride(surface_.get());
    const unsigned char* data = cairo_image_surface_get_data(surface_.get());
    Image img{w, h, 3, std::vector<uint8_t>(static_cast<size_t>(w) * h * 3)};
    for (int y = 0; y < h; ++y) {
      const auto* row = reinterpret_cast<const uint32_t*>(data + static_cast<size_t>(y) * stride);
      uint8_t* out = &img.pixels[static_cast<size_t>(y) * w * 3];
      for (int x = 0; x < w; ++x, out += 3) {  // RGB24: 0x00RRGGBB in native byte order
        out[0] = static_cast<uint8_t>(row[x] >> 16), out[1] = static_cast<uint8_t>(row[x] >> 8),
        out[2] = static_cast<uint8_t>(row[x]);
      }
    }
    return img;
  }

 private:
  void check() {
    const cairo_status_t s = cairo_status(cr_.get());  // reports a failed surface too
    AAFGAN_CHECK(s == CAIRO_STATUS_SUCCESS, "plot: cairo: {}", cairo_status_to_string(s));
  }

  std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> surface_;
  std::unique_ptr<cairo_t, decltype(&cairo_destroy)> cr_;
};

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

  Painter p(opt.width, opt.height);
  cairo_t* cr = p.cr();

  // Layout: margins sized to the text they hold.
  constexpr int kPad = 10, kTick = 5, kGap = 4, kSwatch = 24, kLegendGap = 16;
  // A long title shrinks rather than running off the image.
  const double title_w = std::max(1.0, p.width(title, kTitleSize));
  const double title_size = std::min(kTitleSize, kTitleSize * (opt.width - 2 * kPad) / title_w);
  const cairo_font_extents_t title_m = p.metrics(title_size), label_m = p.metrics(kLabelSize);
  const cairo_font_extents_t tick_m = p.metrics(kTickSize);
  // Tick labels centre on their tick by the height of a digit, legend swatches on that of an "x".
  const double digit_h = -p.extents("0", kTickSize).y_bearing, x_h = -p.extents("x", kLabelSize).y_bearing;
  const auto height = [](const cairo_font_extents_t& m) { return static_cast<int>(std::ceil(m.ascent + m.descent)); };
  double ylabel_w = 0, legend_w = 0;
  for (const std::string& l : yaxis.labels) ylabel_w = std::max(ylabel_w, p.width(l, kTickSize));
  for (const Series& s : series) legend_w = std::max(legend_w, kSwatch + 6 + p.width(s.name, kLabelSize));
  const double last_x_label_w = xaxis.labels.empty() ? 0 : p.width(xaxis.labels.back(), kTickSize);
  const int left = kPad + static_cast<int>(std::ceil(ylabel_w)) + kGap + kTick;
  const int top = kPad + height(title_m) + 8;
  const int right = opt.width - 1 - kPad -
                    static_cast<int>(std::ceil(legend_w > 0 ? kLegendGap + legend_w : last_x_label_w / 2));
  const int bottom =
      opt.height - 1 - kPad - kTick - kGap - height(tick_m) - (x_label.empty() ? 0 : height(label_m) + 2);
  AAFGAN_CHECK(right - left >= 40 && bottom - top >= 40, "plot: {}×{} leaves no room for the chart", opt.width,
               opt.height);

  // A few pixels between the data's extremes and the frame, so no curve runs along it.
  constexpr double kInset = 4;
  const auto px = [&](double x) {
    return left + kInset + (x - xaxis.lo) / (xaxis.hi - xaxis.lo) * (right - left - 2 * kInset);
  };
  const auto py = [&](double y) {
    return bottom - kInset - (y - yaxis.lo) / (yaxis.hi - yaxis.lo) * (bottom - top - 2 * kInset);
  };
  const auto pixel = [](double v) { return static_cast<int>(std::lround(v)); };

  p.colour(228, 228, 228);
  for (double t : yaxis.ticks) p.hairline(left, pixel(py(t)), right, pixel(py(t)));
  for (double t : xaxis.ticks) p.hairline(pixel(px(t)), top, pixel(px(t)), bottom);

  // The curves, clipped to the inside of the frame. Each run of plottable values is one path,
  // so the joins are round rather than overlapping segment ends.
  cairo_save(cr);
  cairo_rectangle(cr, left + 1, top + 1, right - left - 1, bottom - top - 1);
  cairo_clip(cr);
  cairo_set_line_width(cr, 2);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  for (const Series& s : series) {
    p.colour(s.r, s.g, s.b);
    const auto ok = [&](size_t i) { return i < s.values.size() && plottable(s.values[i]); };
    for (size_t i = 0; i < s.values.size(); ++i) {
      if (!ok(i)) continue;
      const double x = px(opt.x_first + static_cast<double>(i) * opt.x_step), y = py(s.values[i]);
      const bool joined_before = i > 0 && ok(i - 1), joined_after = ok(i + 1);
      if (!joined_before && !joined_after) {
        cairo_arc(cr, x, y, 3, 0, 2 * 3.14159265358979323846);  // an isolated point: a dot
        cairo_fill(cr);
        continue;
      }
      joined_before ? cairo_line_to(cr, x, y) : cairo_move_to(cr, x, y);
      if (!joined_after) cairo_stroke(cr);
    }
  }
  cairo_restore(cr);

  // Frame, ticks and their labels.
  p.colour(150, 150, 150);
  p.hairline(left, top, right, top);
  p.hairline(right, top, right, bottom);
  p.colour(0, 0, 0);
  p.hairline(left, top, left, bottom);
  p.hairline(left, bottom, right, bottom);
  for (size_t i = 0; i < yaxis.ticks.size(); ++i) {
    const int y = pixel(py(yaxis.ticks[i]));
    p.hairline(left - kTick, y, left - 1, y);
    p.text(yaxis.labels[i], left - kTick - kGap, y + 0.5 + digit_h / 2, kTickSize, 1);
  }
  for (size_t i = 0; i < xaxis.ticks.size(); ++i) {
    const int x = pixel(px(xaxis.ticks[i]));
    p.hairline(x, bottom + 1, x, bottom + kTick);
    p.text(xaxis.labels[i], x + 0.5, bottom + kTick + kGap + tick_m.ascent, kTickSize, 0.5);
  }
  const int tick_text_bottom = bottom + kTick + kGap + height(tick_m);
  if (!x_label.empty()) p.text(x_label, (left + right) / 2.0, tick_text_bottom + 2 + label_m.ascent, kLabelSize, 0.5);
  // Over the chart, as far as the image allows.
  const double title_half = p.width(title, title_size) / 2;
  const double title_x = std::max(kPad + title_half, std::min((left + right) / 2.0, opt.width - kPad - title_half));
  p.text(title, title_x, kPad + title_m.ascent, title_size, 0.5);

  // Legend beside the chart, so it never hides a curve.
  const double row_h = height(label_m) + 4;
  for (size_t i = 0; i < series.size(); ++i) {
    const double x = right + kLegendGap, baseline = top + 4 + label_m.ascent + static_cast<double>(i) * row_h;
    p.colour(series[i].r, series[i].g, series[i].b);  // a swatch level with the middle of the lower-case letters
    cairo_rectangle(cr, x, std::round(baseline - x_h / 2) - 1, kSwatch, 3);
    cairo_fill(cr);
    p.colour(0, 0, 0);
    p.text(series[i].name, x + kSwatch + 6, baseline, kLabelSize);
  }
  return p.take();
}

bool plots_available() { return true; }
std::string plots_unavailable_reason() { return ""; }

void plot_series(const std::string& path, const std::string& title, const std::vector<Series>& series,
                 const std::string& x_label, const PlotOptions& options) {
  write_png(path, render_plot(title, series, x_label, options));
}

}  // namespace aafgan::data
