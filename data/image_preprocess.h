#pragma once
// One image file (JPEG or PNG, told apart by content) to the C×S×S uint8 block a dataset
// stores: decode (JPEGs shrunk by libjpeg's DCT scaling where that still leaves at least S
// pixels across the crop), take the largest centred square, resize to S×S (image_resize.h).
// The crop is computed in source pixels and scaled with the image; where a scaled edge falls
// inside a decoded pixel (scales like 3/8) it moves inward to the next whole pixel.
#include <cstdint>
#include <string>
#include <vector>

#include "data/image_resize.h"
#include "data/jpeg_decode.h"

namespace aafgan::data {

// Holds the buffers, the libjpeg decompressor and the filter of the last geometry, so a run of
// same-sized images (CelebA) allocates and computes filter weights once. One per thread.
class ImagePreprocessor {
 public:
  ImagePreprocessor(int channels, int size, DctScaling scaling = DctScaling::power_of_two);

  // Writes channels × size × size bytes to `out`. Throws aafgan::Error "PATH: REASON" when the
  // file is missing, unreadable, neither JPEG nor PNG, or corrupt.
  void process_file(const std::string& path, uint8_t* out);

  // The same from a JPEG file's bytes already in memory (`name` is used in errors).
  void process_jpeg(const uint8_t* bytes, size_t size, const std::string& name, uint8_t* out);

  // Centre-square crop and resize of decoded interleaved pixels with `src_channels` (1 or 3;
  // converted to the output's channels: gray replicated, or RGB to luma 0.299/0.587/0.114).
  void process_pixels(const uint8_t* pixels, int width, int height, int src_channels, uint8_t* out);

  int channels() const { return channels_; }
  int size() const { return size_; }

 private:
  void resize(const uint8_t* src, int width, int rows, const CropBox& box, uint8_t* out);

  int channels_, size_;
  DctScaling scaling_;
  JpegDecoder jpeg_;
  DecodedJpeg decoded_;
  std::vector<uint8_t> file_, converted_;
  std::vector<float> scratch_;
  ResizePlan plan_;
};

// Reads a whole file into `bytes` (reused). Throws aafgan::Error "PATH: no such file" or
// "PATH: cannot read: <errno text>".
void read_file_bytes(const std::string& path, std::vector<uint8_t>& bytes);

}  // namespace aafgan::data
