#pragma once
// JPEG decoding with libjpeg-turbo, shrinking while decoding when the caller will downscale
// anyway. libjpeg can decode each 8×8 DCT block straight to M×M pixels (scale M/8), which skips
// most of the inverse-DCT and colour-conversion work: CelebA's 178×218 faces decoded at 1/2 are
// 89×109, still more than the 64 pixels the model wants.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace aafgan::data {

// Which DCT scales M/8 the decoder may choose.
enum class DctScaling {
  off,           // always full size (M = 8)
  power_of_two,  // M in {1, 2, 4, 8}: the scales libjpeg-turbo has SIMD inverse DCTs for
  any,           // any M in 1..8
};

const char* dct_scaling_name(DctScaling s);  // "off", "power_of_two", "any"

// The smallest allowed M (scale M/8) with min(width, height)·M/8 ≥ min_side, i.e. the
// smallest decode whose largest centred square (or whole image, for a square resize) still
// has at least min_side pixels a side. 8 when none smaller qualifies or min_side <= 0.
int choose_dct_scale(int width, int height, int min_side, DctScaling scaling);

struct JpegDecodeOptions {
  int channels = 3;  // 3: RGB (gray JPEGs are replicated); 1: gray (luma of colour JPEGs)
  int min_side = 0;  // see choose_dct_scale; 0 decodes at full size
  DctScaling scaling = DctScaling::power_of_two;
  // Decode only the rows the largest centred square of the source covers once scaled, rows
  // floor(y0·M/8) .. ceil(y1·M/8) - 1; the rows below it are never decoded, so damage confined
  // there goes unnoticed (the pixels used are intact).
  bool center_square_rows = false;
};

struct DecodedJpeg {
  int src_width = 0, src_height = 0;  // the size stored in the file
  int scale = 8;                      // decoded at scale/8 of the source size
  int width = 0, height = 0;          // the scaled image's size (libjpeg: ceil(src·scale/8))
  int channels = 0;
  int row_begin = 0, row_end = 0;     // scaled rows held in `pixels`
  std::vector<uint8_t> pixels;        // (row_end - row_begin) × width × channels, interleaved
};

// One libjpeg decompressor, reused image after image (not thread-safe: one per thread).
// A corrupt or truncated stream, and any libjpeg warning (e.g. "Premature end of JPEG file"),
// throws aafgan::Error "<name>: corrupt JPEG: <libjpeg's message>"; libjpeg's default of
// calling exit() never happens. The decoder stays usable after an error.
class JpegDecoder {
 public:
  JpegDecoder();
  ~JpegDecoder();
  JpegDecoder(const JpegDecoder&) = delete;
  JpegDecoder& operator=(const JpegDecoder&) = delete;

  // Decodes `size` bytes at `data` into `out` (whose buffer is reused between calls).
  void decode(const uint8_t* data, size_t size, const std::string& name, const JpegDecodeOptions& options,
              DecodedJpeg& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Convenience: one decode with a fresh decoder.
DecodedJpeg decode_jpeg(const uint8_t* data, size_t size, const std::string& name, const JpegDecodeOptions& options);

// True when the bytes start like a JPEG file (FF D8 FF).
bool looks_like_jpeg(const uint8_t* data, size_t size);

}  // namespace aafgan::data
