#include "data/png_writer.h"

#include <png.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "engine/durable_file.h"
#include "engine/error.h"

namespace aafgan::data {

namespace {

// The simplified libpng API reports errors in the struct rather than through longjmp,
// which keeps C++ destructors and exceptions safe.
png_image make_png_image() {
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  return img;
}

}  // namespace

void write_png(const std::string& path, int width, int height, int channels, const uint8_t* pixels) {
  AAFGAN_CHECK(channels == 1 || channels == 3, "write_png '{}': {} channels, expected 1 (gray) or 3 (RGB)", path,
               channels);
  AAFGAN_CHECK(width > 0 && height > 0, "write_png '{}': empty image {}×{}", path, width, height);
  AAFGAN_CHECK(pixels != nullptr, "write_png '{}': no pixel data", path);

  png_image img = make_png_image();
  img.width = static_cast<png_uint_32>(width);
  img.height = static_cast<png_uint_32>(height);
  img.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  // Encoded in memory (the first call only sizes it), then written as every output is
  // (engine/durable_file.h): a unique temporary, fsynced, renamed, the folder fsynced.
  png_alloc_size_t size = 0;
  std::vector<uint8_t> bytes;
  bool ok = png_image_write_to_memory(&img, nullptr, &size, 0, pixels, 0, nullptr) != 0;
  if (ok) {
    bytes.resize(size);
    ok = png_image_write_to_memory(&img, bytes.data(), &size, 0, pixels, 0, nullptr) != 0;
  }
  if (!ok) {
    const std::string why = img.message;
    png_image_free(&img);
    fail("write_png '{}': {}", path, why);
  }
  png_image_free(&img);
  try {
    DurableFile file(path);
    file.write(bytes.data(), size);
    file.commit();
  } catch (const std::exception& e) {
    fail("write_png '{}': {}", path, e.what());
  }
}

void write_png(const std::string& path, const Image& image) {
  const size_t expected = static_cast<size_t>(image.width) * image.height * image.channels;
  AAFGAN_CHECK(image.pixels.size() == expected, "write_png '{}': {} bytes of pixels for a {}×{}×{} image", path,
               image.pixels.size(), image.width, image.height, image.channels);
  write_png(path, image.width, image.height, image.channels, image.pixels.data());
}

namespace {
// 2^28 pixels (16384 × 16384), as the JPEG decoder allows: far above any dataset image.
constexpr uint64_t kMaxPngPixels = uint64_t(1) << 28;
}  // namespace

Image read_png(const std::string& path) {
  if (!std::filesystem::exists(path)) fail("read_png '{}': no such file", path);
  png_image img = make_png_image();
  if (!png_image_begin_read_from_file(&img, path.c_str())) fail("read_png '{}': {}", path, img.message);
  // The header alone decides the allocation below: a hostile one can ask for 4 GiB × 4 GiB.
  if (uint64_t{img.width} * img.height > kMaxPngPixels) {
    const uint64_t w = img.width, h = img.height;
    png_image_free(&img);
    fail("read_png '{}': image of {}×{} pixels is too large (at most {} pixels)", path, w, h, kMaxPngPixels);
  }
  const bool color = (img.format & PNG_FORMAT_FLAG_COLOR) != 0;
  img.format = color ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  Image out;
  out.width = static_cast<int>(img.width);
  out.height = static_cast<int>(img.height);
  out.channels = color ? 3 : 1;
  out.pixels.resize(PNG_IMAGE_SIZE(img));
  // Without a background libpng would blend alpha into whatever the buffer holds; white
  // matches the plots' background.
  png_color white{255, 255, 255};
  if (!png_image_finish_read(&img, &white, out.pixels.data(), 0, nullptr)) {
    const std::string why = img.message;
    png_image_free(&img);
    fail("read_png '{}': {}", path, why);
  }
  return out;
}

}  // namespace aafgan::data
