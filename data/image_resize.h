#pragma once
// Crop and resize of 8-bit images into the planar C×H×W layout the models read.
//
// The filter is PIL's Image.resize(..., BILINEAR) — what torchvision's Resize applies to PIL
// images: a separable triangle filter whose support grows with the downscale factor, so a
// downscale averages every source pixel under the output pixel (antialiased); an upscale is
// plain bilinear interpolation (half-pixel centres, edge pixels repeated). Two differences
// from PIL: the filter never reads outside the crop box (a centre crop followed by a resize,
// as torchvision's CenterCrop then Resize), and the passes run vertical first and keep float
// precision in between instead of rounding to 8 bits (results differ from PIL by at most 1
// level; the tests pin PIL's values where they are exact).
#include <cstddef>
#include <cstdint>
#include <vector>

namespace aafgan::data {

// A region [x0, x1) × [y0, y1) in pixel coordinates (pixel i spans [i, i+1)); fractional
// edges are allowed (a box scaled with the image, e.g. by libjpeg's DCT scaling).
struct CropBox {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  double width() const { return x1 - x0; }
  double height() const { return y1 - y0; }
};

// The largest centred square: side min(width, height), offset floor of half the excess
// (CelebA's 178×218 gives x 0..178, y 20..198).
CropBox center_square_box(int width, int height);

// The whole image.
CropBox full_box(int width, int height);

// `box` in the coordinates of an image scaled by `scale` (both axes), e.g. M/8 for libjpeg.
CropBox scale_box(const CropBox& box, double scale);

// The filter of one geometry (source size, box, output size), computed once and applied to
// any number of images of that geometry.
class ResizePlan {
 public:
  ResizePlan() = default;
  // Throws aafgan::Error when the box is empty or not inside the source, or a size is not positive.
  ResizePlan(int src_width, int src_height, const CropBox& box, int out_width, int out_height);

  bool same_geometry(int src_width, int src_height, const CropBox& box, int out_width, int out_height) const;
  bool empty() const { return out_w_ == 0; }
  int out_width() const { return out_w_; }
  int out_height() const { return out_h_; }
  // The source rows the filter reads: [first_row, end_row).
  int first_row() const { return row_lo_; }
  int end_row() const { return row_hi_; }

  // src: rows of interleaved pixels with `channels` (1..4) values each, `src_stride` bytes
  // apart; row r of the source is at src + r * src_stride (only rows first_row()..end_row()-1
  // are read). dst: channels × out_height × out_width, planar. `scratch` is reused.
  // The weights are floats normalised to sum 1, so a uniform image stays exactly uniform.
  void run(const uint8_t* src, size_t src_stride, int channels, uint8_t* dst, std::vector<float>& scratch) const;

 private:
  // One axis: output i reads `taps` source pixels from first[i] with weights[i*taps .. +taps)
  // (zero-padded, windows kept inside the source so the loops need no bounds checks).
  struct Axis {
    int taps = 0;
    std::vector<int> first;
    std::vector<float> weights;
  };
  static Axis make_axis(int src_size, double lo, double hi, int out_size);

  int src_w_ = 0, src_h_ = 0, out_w_ = 0, out_h_ = 0;
  CropBox box_;
  Axis horizontal_, vertical_;
  int row_lo_ = 0, row_hi_ = 0;  // source rows read
  int col_lo_ = 0, col_hi_ = 0;  // source columns read (horizontal_.first is relative to col_lo_)
};

// One-shot convenience: crops `box` of an interleaved image and resizes it to out_w × out_h, planar.
std::vector<uint8_t> resize_to_planar(const uint8_t* src, int width, int height, int channels, const CropBox& box,
                                      int out_width, int out_height);

}  // namespace aafgan::data
