#include "data/png_writer.h"

#include <png.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "base/durable_file.h"
#include "base/error.h"

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

std::string encode_png(int width, int height, int channels, const uint8_t* pixels, const std::string& what) {
  AAFGAN_CHECK(channels == 1 || channels == 3, "write_png '{}': {} channels, expected 1 (gray) or 3 (RGB)", what,
               channels);
  AAFGAN_CHECK(width > 0 && height > 0, "write_png '{}': empty image {}×{}", what, width, height);
  AAFGAN_CHECK(pixels != nullptr, "write_png '{}': no pixel data", what);

  png_image img = make_png_image();
  img.width = static_cast<png_uint_32>(width);
  img.height = static_cast<png_uint_32>(height);
  img.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  std::string bytes;
  bool ok = png_image_write_get_memory_size(img, size, 0, pixels, 0, nullptr);
  if (ok) {
    bytes.resize(size);
    ok = png_image_write_to_memory(&img, bytes.data(), &size, 0, pixels, 0, nullptr);
    bytes.resize(size);
  }
  const std::string why = ok ? "" : img.message;
  png_image_free(&img);
  if (!ok) fail("write_png '{}': {}", what, why);
  return bytes;
}

void write_png(const std::string& path, int width, int height, int channels, const uint8_t* pixels) {
  // Encoded in memory, then written durably (base/durable_file.h): a kill or a full disk
  // leaves the previous image whole.
  const std::string bytes = encode_png(width, height, channels, pixels, path);
  DurableFile out(path);
  out.write(bytes.data(), bytes.size());
  out.commit();
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
// Deflate cannot compress better than about 1032:1.
constexpr uint64_t kMaxDeflateRatio = 1032;

// The fewest bytes the image's compressed data can take: every row is at least a filter byte and
// one bit per pixel before compression. A file shorter than that is truncated whatever it holds.
uint64_t min_compressed_bytes(uint64_t width, uint64_t height) {
  return height * (1 + (width + 7) / 8) / kMaxDeflateRatio;
}
}  // namespace

namespace {

uint32_t be32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// libpng allocates the length an ancillary chunk declares (up to 2 GiB) before reading its data,
// and the simplified API offers no limit: a 50-byte file whose pCAL chunk declares 1.9 GB cost
// that much memory (found by fuzz/fuzz_png). Every chunk of a PNG lies within the file, so one
// walk over the chunk headers bounds all of them by the file's size. Anything else wrong (no
// signature, no IEND) is left to libpng's own messages.
void check_chunk_lengths(const std::string& path, uint64_t file_bytes) {
  std::ifstream in(path, std::ios::binary);
  unsigned char head[8];
  static const unsigned char kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (!in.read(reinterpret_cast<char*>(head), 8) || std::memcmp(head, kSignature, 8) != 0) return;
  uint64_t at = 8;
  while (file_bytes - at >= 8) {
    in.seekg(static_cast<std::streamoff>(at));
    if (!in.read(reinterpret_cast<char*>(head), 8)) return;
    const uint64_t length = be32(head);
    if (length + 12 > file_bytes - at) {
      std::string type;
      for (int i = 4; i < 8; ++i) type += std::isalpha(head[i]) ? static_cast<char>(head[i]) : '?';
      fail("read_png '{}': truncated or corrupt: chunk '{}' at byte {} declares {} bytes, the file ends {} bytes "
           "after it",
           path, type, at, length, file_bytes - at - 8);
    }
    if (std::memcmp(head + 4, "IEND", 4) == 0) return;
    at += 12 + length;
  }
}

}  // namespace

Image read_png(const std::string& path) {
  if (!std::filesystem::exists(path)) fail("read_png '{}': no such file", path);
  std::error_code ec;
  const uint64_t file_bytes = std::filesystem::file_size(path, ec);
  if (!ec) check_chunk_lengths(path, file_bytes);
  png_image img = make_png_image();
  if (!png_image_begin_read_from_file(&img, path.c_str())) fail("read_png '{}': {}", path, img.message);
  // The header alone decides the allocation below: a hostile one can ask for 4 GiB × 4 GiB.
  if (uint64_t{img.width} * img.height > kMaxPngPixels) {
    const uint64_t w = img.width, h = img.height;
    png_image_free(&img);
    fail("read_png '{}': image of {}×{} pixels is too large (at most {} pixels)", path, w, h, kMaxPngPixels);
  }
  // Nor may a header alone: a 60-byte file declaring 16384 × 16384 pixels would cost 768 MiB,
  // allocated and cleared, before libpng finds no data (found by fuzz/fuzz_png).
  if (!ec && file_bytes < min_compressed_bytes(img.width, img.height)) {
    const uint64_t w = img.width, h = img.height;
    png_image_free(&img);
    fail("read_png '{}': truncated: {}×{} pixels need at least {} bytes of compressed data, the file has {}", path, w,
         h, min_compressed_bytes(w, h), file_bytes);
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
