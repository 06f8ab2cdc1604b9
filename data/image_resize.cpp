#include "data/image_resize.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"

namespace aafgan::data {

namespace {

// Box edges computed in floating point (a crop scaled by M/8) may land a hair off an integer.
constexpr double kEdgeSlack = 1e-6;

float triangle(double x) {
  x = std::fabs(x);
  return x < 1.0 ? static_cast<float>(1.0 - x) : 0.0f;
}

// First source pixel touched by [lo, hi) and one past the last.
int box_begin(double lo) { return static_cast<int>(std::floor(lo + kEdgeSlack)); }
int box_end(double hi) { return static_cast<int>(std::ceil(hi - kEdgeSlack)); }

// The weights are non-negative and sum to 1, so v lies in [0, 255] up to float rounding: only
// the top needs a clamp (an integer min, no branch).
inline uint8_t to_u8(float v) { return static_cast<uint8_t>(std::min(static_cast<int>(v + 0.5f), 255)); }

// Horizontal pass over rows of interleaved floats (the vertical pass's output), writing the
// planar 8-bit result. Unrolled for the usual tap counts (C and T known at compile time).
template <int C, int T>
void horizontal_fixed(const float* lines, int cols, int out_w, int out_h, const int* first, const float* weights,
                      uint8_t* dst) {
  const size_t plane = static_cast<size_t>(out_w) * static_cast<size_t>(out_h);
  for (int y = 0; y < out_h; ++y) {
    const float* line = lines + static_cast<size_t>(y) * static_cast<size_t>(cols);
    uint8_t* out = dst + static_cast<size_t>(y) * static_cast<size_t>(out_w);
    for (int x = 0; x < out_w; ++x) {
      const float* p = line + static_cast<size_t>(first[x]) * C;
      const float* w = weights + static_cast<size_t>(x) * T;
      float acc[C];
      for (int c = 0; c < C; ++c) acc[c] = w[0] * p[c];
      for (int k = 1; k < T; ++k)
        for (int c = 0; c < C; ++c) acc[c] += w[k] * p[k * C + c];
      for (int c = 0; c < C; ++c) out[static_cast<size_t>(c) * plane + static_cast<size_t>(x)] = to_u8(acc[c]);
    }
  }
}

void horizontal_any(const float* lines, int cols, int channels, int taps, int out_w, int out_h, const int* first,
                    const float* weights, uint8_t* dst) {
  const size_t plane = static_cast<size_t>(out_w) * static_cast<size_t>(out_h);
  for (int y = 0; y < out_h; ++y) {
    const float* line = lines + static_cast<size_t>(y) * static_cast<size_t>(cols);
    for (int x = 0; x < out_w; ++x) {
      const float* p = line + static_cast<size_t>(first[x]) * static_cast<size_t>(channels);
      const float* w = weights + static_cast<size_t>(x) * static_cast<size_t>(taps);
      for (int c = 0; c < channels; ++c) {
        float acc = 0;
        for (int k = 0; k < taps; ++k) acc += w[k] * p[k * channels + c];
        dst[static_cast<size_t>(c) * plane + static_cast<size_t>(y) * static_cast<size_t>(out_w) +
            static_cast<size_t>(x)] = to_u8(acc);
      }
    }
  }
}

template <int C>
bool horizontal_unrolled(const float* lines, int cols, int taps, int out_w, int out_h, const int* first,
                         const float* weights, uint8_t* dst) {
  switch (taps) {
    case 1: horizontal_fixed<C, 1>(lines, cols, out_w, out_h, first, weights, dst); return true;
    case 2: horizontal_fixed<C, 2>(lines, cols, out_w, out_h, first, weights, dst); return true;
    case 3: horizontal_fixed<C, 3>(lines, cols, out_w, out_h, first, weights, dst); return true;
    case 4: horizontal_fixed<C, 4>(lines, cols, out_w, out_h, first, weights, dst); return true;
    case 5: horizontal_fixed<C, 5>(lines, cols, out_w, out_h, first, weights, dst); return true;
    case 6: horizontal_fixed<C, 6>(lines, cols, out_w, out_h, first, weights, dst); return true;
    case 7: horizontal_fixed<C, 7>(lines, cols, out_w, out_h, first, weights, dst); return true;
    case 8: horizontal_fixed<C, 8>(lines, cols, out_w, out_h, first, weights, dst); return true;
    default: return false;
  }
}

}  // namespace

CropBox center_square_box(int width, int height) {
  const int side = std::min(width, height);
  const int x0 = (width - side) / 2, y0 = (height - side) / 2;
  return CropBox{double(x0), double(y0), double(x0 + side), double(y0 + side)};
}

CropBox full_box(int width, int height) { return CropBox{0, 0, double(width), double(height)}; }

CropBox scale_box(const CropBox& box, double scale) {
  return CropBox{box.x0 * scale, box.y0 * scale, box.x1 * scale, box.y1 * scale};
}

ResizePlan::Axis ResizePlan::make_axis(int src_size, double lo, double hi, int out_size) {
  Axis axis;
  const double scale = (hi - lo) / out_size;
  const double filter_scale = std::max(scale, 1.0);  // upscaling: plain bilinear
  const double support = filter_scale;               // the triangle's support is 1
  const int b0 = std::max(0, box_begin(lo)), b1 = std::min(src_size, box_end(hi));
  std::vector<int> begin(static_cast<size_t>(out_size)), count(static_cast<size_t>(out_size));
  std::vector<std::vector<float>> w(static_cast<size_t>(out_size));
  for (int i = 0; i < out_size; ++i) {
    const double center = lo + (i + 0.5) * scale;
    const int x0 = std::max(b0, static_cast<int>(std::floor(center - support + 0.5)));
    const int x1 = std::min(b1, static_cast<int>(std::floor(center + support + 0.5)));
    auto& wi = w[static_cast<size_t>(i)];
    double total = 0;
    for (int x = x0; x < x1; ++x) {
      wi.push_back(triangle((x + 0.5 - center) / filter_scale));
      total += wi.back();
    }
    if (total <= 0) {  // cannot happen for a valid box; the nearest pixel then
      const int x = std::clamp(static_cast<int>(std::floor(center)), b0, b1 - 1);
      wi.assign(1, 1.0f);
      begin[static_cast<size_t>(i)] = x;
      count[static_cast<size_t>(i)] = 1;
    } else {
      for (float& v : wi) v = static_cast<float>(v / total);
      begin[static_cast<size_t>(i)] = x0;
      count[static_cast<size_t>(i)] = x1 - x0;
    }
    axis.taps = std::max(axis.taps, count[static_cast<size_t>(i)]);
  }
  // Every output reads `taps` pixels; a window that would run past the box end starts earlier,
  // its extra pixels weighted 0, so the filter stays inside the box.
  axis.first.resize(static_cast<size_t>(out_size));
  axis.weights.assign(static_cast<size_t>(out_size) * static_cast<size_t>(axis.taps), 0.0f);
  for (int i = 0; i < out_size; ++i) {
    const auto si = static_cast<size_t>(i);
    const int start = std::min(begin[si], b1 - axis.taps);
    axis.first[si] = start;
    for (int k = 0; k < count[si]; ++k)
      axis.weights[si * static_cast<size_t>(axis.taps) + static_cast<size_t>(begin[si] - start + k)] =
          w[si][static_cast<size_t>(k)];
  }
  return axis;
}

ResizePlan::ResizePlan(int src_width, int src_height, const CropBox& box, int out_width, int out_height)
    : src_w_(src_width), src_h_(src_height), out_w_(out_width), out_h_(out_height), box_(box) {
  AAFGAN_CHECK(src_width > 0 && src_height > 0 && out_width > 0 && out_height > 0,
               "resize: sizes must be positive (source {}×{}, output {}×{})", src_width, src_height, out_width,
               out_height);
  AAFGAN_CHECK(box.x0 >= -kEdgeSlack && box.y0 >= -kEdgeSlack && box.x1 <= src_width + kEdgeSlack &&
                   box.y1 <= src_height + kEdgeSlack && box.width() > kEdgeSlack && box.height() > kEdgeSlack,
               "resize: crop box [{}, {}) × [{}, {}) is empty or not inside the {}×{} image", box.x0, box.x1, box.y0,
               box.y1, src_width, src_height);
  horizontal_ = make_axis(src_width, box.x0, box.x1, out_width);
  vertical_ = make_axis(src_height, box.y0, box.y1, out_height);
  row_lo_ = *std::min_element(vertical_.first.begin(), vertical_.first.end());
  row_hi_ = *std::max_element(vertical_.first.begin(), vertical_.first.end()) + vertical_.taps;
  col_lo_ = *std::min_element(horizontal_.first.begin(), horizontal_.first.end());
  col_hi_ = *std::max_element(horizontal_.first.begin(), horizontal_.first.end()) + horizontal_.taps;
  // The horizontal pass indexes the vertical pass's lines, which start at column col_lo_.
  for (int& f : horizontal_.first) f -= col_lo_;
}

bool ResizePlan::same_geometry(int src_width, int src_height, const CropBox& box, int out_width, int out_height) const {
  return !empty() && src_w_ == src_width && src_h_ == src_height && out_w_ == out_width && out_h_ == out_height &&
         box_.x0 == box.x0 && box_.y0 == box.y0 && box_.x1 == box.x1 && box_.y1 == box.y1;
}

void ResizePlan::run(const uint8_t* src, size_t src_stride, int channels, uint8_t* dst,
                     std::vector<float>& scratch) const {
  AAFGAN_CHECK(!empty(), "resize: the plan is empty");
  AAFGAN_CHECK(channels >= 1 && channels <= 4, "resize: {} channels, expected 1..4", channels);
  // Vertical first: each output row is a weighted sum of whole source rows (restricted to the
  // columns the horizontal filter reads), contiguous interleaved values, so the loop vectorises.
  const int cols = (col_hi_ - col_lo_) * channels;
  scratch.resize(static_cast<size_t>(out_h_) * static_cast<size_t>(cols));
  const int vtaps = vertical_.taps;
  const uint8_t* base = src + static_cast<size_t>(col_lo_) * static_cast<size_t>(channels);
  for (int y = 0; y < out_h_; ++y) {
    float* line = scratch.data() + static_cast<size_t>(y) * static_cast<size_t>(cols);
    const float* w = vertical_.weights.data() + static_cast<size_t>(y) * static_cast<size_t>(vtaps);
    const uint8_t* r = base + static_cast<size_t>(vertical_.first[static_cast<size_t>(y)]) * src_stride;
    const float w0 = w[0];
    for (int j = 0; j < cols; ++j) line[j] = w0 * static_cast<float>(r[j]);
    for (int k = 1; k < vtaps; ++k) {
      const float wk = w[k];
      const uint8_t* rk = r + static_cast<size_t>(k) * src_stride;
      for (int j = 0; j < cols; ++j) line[j] += wk * static_cast<float>(rk[j]);
    }
  }

  // Horizontal: a few taps per output pixel, unrolled; rounds to 8 bits into the planes.
  const int* hf = horizontal_.first.data();
  const float* hw = horizontal_.weights.data();
  const int htaps = horizontal_.taps;
  const float* lines = scratch.data();
  bool done = false;
  if (channels == 3)
    done = horizontal_unrolled<3>(lines, cols, htaps, out_w_, out_h_, hf, hw, dst);
  else if (channels == 1)
    done = horizontal_unrolled<1>(lines, cols, htaps, out_w_, out_h_, hf, hw, dst);
  if (!done) horizontal_any(lines, cols, channels, htaps, out_w_, out_h_, hf, hw, dst);
}

std::vector<uint8_t> resize_to_planar(const uint8_t* src, int width, int height, int channels, const CropBox& box,
                                      int out_width, int out_height) {
  const ResizePlan plan(width, height, box, out_width, out_height);
  std::vector<uint8_t> out(static_cast<size_t>(channels) * static_cast<size_t>(out_width) *
                           static_cast<size_t>(out_height));
  std::vector<float> scratch;
  plan.run(src, static_cast<size_t>(width) * static_cast<size_t>(channels), channels, out.data(), scratch);
  return out;
}

}  // namespace aafgan::data
