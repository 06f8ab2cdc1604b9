#pragma once
// 8-bit PNG files: sample grids and plots out, and back in for the tests.
#include <cstdint>
#include <string>
#include <vector>

namespace aafgan::data {

// An 8-bit image, rows top to bottom, channels interleaved (gray, or R G B).
struct Image {
  int width = 0, height = 0, channels = 0;
  std::vector<uint8_t> pixels;  // height × width × channels
};

// Writes `pixels` (height × width × channels, channels 1 = gray or 3 = RGB) to `path`.
// The file appears complete or not at all (base/durable_file.h: a unique temporary, fsynced,
// renamed over `path`, the folder fsynced). The folder must exist. Throws aafgan::Error naming the path.
void write_png(const std::string& path, int width, int height, int channels, const uint8_t* pixels);
void write_png(const std::string& path, const Image& image);
// The PNG file's bytes, as write_png writes them; `what` names the image in errors.
std::string encode_png(int width, int height, int channels, const uint8_t* pixels, const std::string& what);

// Reads a PNG as gray (1 channel) when it has no colour, else RGB (3); any alpha is
// composited over white. Throws aafgan::Error naming the path.
Image read_png(const std::string& path);

}  // namespace aafgan::data
