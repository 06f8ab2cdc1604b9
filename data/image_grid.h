#pragma once
// Sample grids: a batch of generated images tiled into one picture a person can look at.
#include <cstdint>

#include "data/png_writer.h"  // Image

namespace aafgan::data {

// Tiles `n` images (planar [n, channels, height, width], values in [-1, 1]) into a
// rows × cols grid. Each image is enlarged `scale` times (nearest neighbour) so a 28×28
// digit is visible, and `pad` pixels of `pad_value` separate the cells and frame the grid.
// Values are clamped to [-1, 1] and mapped to 0..255 with rounding; NaN becomes 0 so a
// diverged generator still yields a picture. Image k goes to row k / cols, column k % cols;
// with `column_major` to column k / rows, row k % rows (the MNIST grid: one class per
// column). Cells past n stay pad_value. Channels 1 or 3; the result is interleaved.
// Throws aafgan::Error when the images do not fit or a size is not positive.
Image make_grid(const float* images, int64_t n, int channels, int height, int width, int rows, int cols, int scale,
                int pad, bool column_major, uint8_t pad_value = 0);

}  // namespace aafgan::data
