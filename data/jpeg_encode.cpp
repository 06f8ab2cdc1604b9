#include "data/jpeg_encode.h"

#include <cstddef>
#include <cstdio>

#include <jpeglib.h>
#include <unistd.h>

#include <cerrno>
#include <csetjmp>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "base/durable_file.h"
#include "base/error.h"

namespace aafgan::data {

namespace {

struct EncodeErrorManager {
  jpeg_error_mgr pub;  // first member: libjpeg hands back a jpeg_error_mgr*
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void on_encode_error(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<EncodeErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

void no_output(j_common_ptr) {}

// The libjpeg part, with nothing but plain data across the setjmp. On failure returns false
// with err->message set; *out (malloc'ed by libjpeg) must be freed by the caller either way.
bool compress(jpeg_compress_struct* cinfo, EncodeErrorManager* err, int width, int height, int channels,
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
  EncodeErrorManager err;
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = on_encode_error;
  err.pub.output_message = no_output;
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
