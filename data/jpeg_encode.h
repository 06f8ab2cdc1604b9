#pragma once
// JPEG encoding with libjpeg-turbo: the tests and the decode benchmark make their own
// CelebA-like files with it.
#include <cstdint>
#include <string>
#include <vector>

namespace aafgan::data {

struct JpegEncodeOptions {
  int quality = 95;            // 1..100
  bool subsample_chroma = true;  // 4:2:0 like most photos (CelebA's files are 4:2:0); false: 4:4:4
};

// Encodes height × width × channels interleaved pixels (channels 1 = gray, 3 = RGB).
// Throws aafgan::Error on bad arguments or a libjpeg failure.
std::vector<uint8_t> encode_jpeg(int width, int height, int channels, const uint8_t* pixels,
                                 const JpegEncodeOptions& options = {});

// encode_jpeg written to `path`; the file appears complete or not at all (tmp file, rename).
void write_jpeg(const std::string& path, int width, int height, int channels, const uint8_t* pixels,
                const JpegEncodeOptions& options = {});

}  // namespace aafgan::data
