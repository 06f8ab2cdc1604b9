#include "data/image_grid.h"

#include <cmath>

#include "base/error.h"

namespace aafgan::data {

namespace {

uint8_t to_byte(float v) {
  if (!(v > -1.0f)) return 0;  // also NaN
  if (v >= 1.0f) return 255;
  return static_cast<uint8_t>(std::lround((static_cast<double>(v) + 1.0) * 127.5));
}

}  // namespace

Image make_grid(const float* images, int64_t n, int channels, int height, int width, int rows, int cols, int scale,
                int pad, bool column_major, uint8_t pad_value) {
  AAFGAN_CHECK(channels == 1 || channels == 3, "make_grid: {} channels, expected 1 or 3", channels);
  AAFGAN_CHECK(height > 0 && width > 0 && rows > 0 && cols > 0 && scale > 0 && pad >= 0,
               "make_grid: bad geometry (image {}×{}, grid {}×{}, scale {}, pad {})", height, width, rows, cols,
               scale, pad);
  AAFGAN_CHECK(n >= 0 && n <= int64_t{rows} * cols, "make_grid: {} images do not fit a {}×{} grid", n, rows, cols);
  AAFGAN_CHECK(n == 0 || images != nullptr, "make_grid: no image data");

  const int cell_w = width * scale, cell_h = height * scale;
  Image out;
  out.width = cols * cell_w + (cols + 1) * pad;
  out.height = rows * cell_h + (rows + 1) * pad;
  out.channels = channels;
  out.pixels.assign(static_cast<size_t>(out.width) * out.height * channels, pad_value);

  const size_t plane = static_cast<size_t>(height) * width;
  for (int64_t k = 0; k < n; ++k) {
    const int64_t row = column_major ? k % rows : k / cols;
    const int64_t col = column_major ? k / rows : k % cols;
    const float* src = images + static_cast<size_t>(k) * channels * plane;
    const int64_t x0 = pad + col * (cell_w + pad), y0 = pad + row * (cell_h + pad);
    for (int y = 0; y < cell_h; ++y) {
      uint8_t* dst = &out.pixels[(static_cast<size_t>(y0 + y) * out.width + static_cast<size_t>(x0)) * channels];
      const size_t src_row = static_cast<size_t>(y / scale) * width;
      for (int x = 0; x < cell_w; ++x)
        for (int c = 0; c < channels; ++c) *dst++ = to_byte(src[c * plane + src_row + x / scale]);
    }
  }
  return out;
}

}  // namespace aafgan::data
