#include "data/jpeg_encode.h"

#include <unistd.h>

#include <cerrno>
#include <csetjmp>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "data/jpeg_error.h"
#include "base/durable_file.h"
#include "base/error.h"

namespace aafgan::data {

namespace {

// The libjpeg part, with nothing but plain data across the setjmp. On failure returns false
// with err->message set; *out (malloc'ed by libjpeg) must be freed by the caller either way.
bool compress(jpeg_compress_struct* cinfo, JpegErrorManager* err, int width, int height, int channels,
              const uint8_t* pixels, const JpegEncodeOptions* options, unsigned char** out, unsigned long* out_size) {
  if (setjmp(err->jump)) {
    jpeg_destroy_compress(cinfo);
    return false;
  }
  jpeg_create_compress(cinfo);
  jpeg_mem_dest(cinfo, out, out_size);
  cinfo->image_width = static_cast<JDIMENSION>(width);
  cinfo->image_height = static_cast<JDIMENSION>(height);
  cinfo->input_components = channels;
  cinfo->in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(cinfo);
  jpeg_set_quality(cinfo, options->quality, TRUE);
  if (channels == 3) {
    // jpeg_set_defaults chooses 4:2:0; 4:4:4 keeps sharp colour edges (the tests' borders).
    const int h = options->subsample_chroma ? 2 : 1;
    cinfo->comp_info[0].h_samp_factor = h;
    cinfo->comp_info[0].v_samp_factor = h;
  }
  jpeg_start_compress(cinfo, TRUE);
  const size_t stride = static_cast<size_t>(width) * static_cast<size_t>(channels);
  while (cinfo->next_scanline < cinfo->image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(pixels + cinfo->next_scanline * stride);
    jpeg_write_scanlines(cinfo, &row, 1);
  }
  jpeg_finish_compress(cinfo);
  jpeg_destroy_compress(cinfo);
  return true;
}

}  // namespace

std::vector<uint8_t> encode_jpeg(int width, int height, int channels, const uint8_t* pixels,
                                 const JpegEncodeOptions& options) {
  AAFGAN_CHECK(channels == 1 || channels == 3, "encode_jpeg: {} channels, expected 1 (gray) or 3 (RGB)", channels);
  AAFGAN_CHECK(width > 0 && height > 0 && width <= 65500 && height <= 65500, "encode_jpeg: bad image size {}×{}",
               width, height);
  AAFGAN_CHECK(options.quality >= 1 && options.quality <= 100, "encode_jpeg: quality {} is not in 1..100",
               options.quality);
  AAFGAN_CHECK(pixels != nullptr, "encode_jpeg: no pixel data");
  jpeg_compress_struct cinfo;
  std::memset(&cinfo, 0, sizeof cinfo);
  JpegErrorManager err;
  cinfo.err = install_jpeg_errors(err, JpegWarnings::ignore);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  const bool ok = compress(&cinfo, &err, width, height, channels, pixels, &options, &buffer, &size);
  std::vector<uint8_t> bytes;
  if (ok) bytes.assign(buffer, buffer + size);
  std::free(buffer);
  if (!ok) fail("encode_jpeg: {}", err.message);
  return bytes;
}

void write_jpeg(const std::string& path, int width, int height, int channels, const uint8_t* pixels,
                const JpegEncodeOptions& options) {
  const std::vector<uint8_t> bytes = encode_jpeg(width, height, channels, pixels, options);
  DurableFile out(path);
  out.write(bytes.data(), bytes.size());
  out.commit();
}

}  // namespace aafgan::data
