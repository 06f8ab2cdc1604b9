#include "data/jpeg_decode.h"

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstring>

#include "data/jpeg_error.h"
#include "base/error.h"

namespace aafgan::data {

namespace {

// Limits a hostile header's allocation (a 65535×65535 image would need 12 GiB).
constexpr int64_t kMaxDecodedPixels = int64_t{1} << 28;

uint8_t luma(int r, int g, int b) { return static_cast<uint8_t>((299 * r + 587 * g + 114 * b + 500) / 1000); }

}  // namespace

const char* dct_scaling_name(DctScaling s) {
  switch (s) {
    case DctScaling::off: return "off";
    case DctScaling::power_of_two: return "power_of_two";
    case DctScaling::any: return "any";
  }
  return "?";
}

int choose_dct_scale(int width, int height, int min_side, DctScaling scaling) {
  if (min_side <= 0 || scaling == DctScaling::off) return 8;
  const int64_t side = std::min(width, height);
  for (int m = 1; m < 8; ++m) {
    if (scaling == DctScaling::power_of_two && (m & (m - 1)) != 0) continue;
    if (side * m >= int64_t{8} * min_side) return m;
  }
  return 8;
}

bool looks_like_jpeg(const uint8_t* data, size_t size) {
  return size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF;
}

struct JpegDecoder::Impl {
  jpeg_decompress_struct cinfo;
  JpegErrorManager err;
  std::vector<JSAMPROW> rows;
  std::vector<uint8_t> cmyk;  // 4-channel rows of a CMYK/YCCK file before conversion
  bool is_cmyk = false;
  bool adobe_inverted = false;

  Impl() {
    std::memset(&cinfo, 0, sizeof cinfo);
    // For a training set a damaged image is an error, even where libjpeg could paper over it.
    cinfo.err = install_jpeg_errors(err, JpegWarnings::fail);
    if (setjmp(err.jump)) fail("cannot create a JPEG decompressor: {}", err.message);
    jpeg_create_decompress(&cinfo);
    // libjpeg's own working memory (progressive files buffer whole coefficient planes): capped,
    // so that a crafted file fails with libjpeg's error instead of exhausting the host.
    cinfo.mem->max_memory_to_use = 512L << 20;
  }
  ~Impl() { jpeg_destroy_decompress(&cinfo); }

  // False with err.message set when libjpeg reports an error or a warning. Everything that
  // lives across the setjmp is a member or a parameter that is never modified, so a longjmp
  // skips no destructor and clobbers nothing that is read afterwards.
  bool run(const uint8_t* data, size_t size, const JpegDecodeOptions& o, DecodedJpeg& out) {
    if (setjmp(err.jump)) {
      jpeg_abort_decompress(&cinfo);
      return false;
    }
    jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
    jpeg_read_header(&cinfo, TRUE);
    is_cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    adobe_inverted = cinfo.saw_Adobe_marker != 0;
    // libjpeg-turbo converts YCbCr/RGB/gray to either RGB or gray itself; CMYK comes out as
    // CMYK and is converted below.
    cinfo.out_color_space = is_cmyk ? JCS_CMYK : (o.channels == 1 ? JCS_GRAYSCALE : JCS_RGB);
    cinfo.scale_num = static_cast<unsigned>(
        choose_dct_scale(static_cast<int>(cinfo.image_width), static_cast<int>(cinfo.image_height), o.min_side, o.scaling));
    cinfo.scale_denom = 8;
    jpeg_calc_output_dimensions(&cinfo);
    if (int64_t{cinfo.output_width} * cinfo.output_height > kMaxDecodedPixels) {
      std::snprintf(err.message, sizeof err.message, "image of %u×%u pixels is too large", cinfo.image_width,
                    cinfo.image_height);
      jpeg_abort_decompress(&cinfo);
      return false;
    }
    jpeg_start_decompress(&cinfo);

    out.src_width = static_cast<int>(cinfo.image_width);
    out.src_height = static_cast<int>(cinfo.image_height);
    out.scale = static_cast<int>(cinfo.scale_num);
    out.width = static_cast<int>(cinfo.output_width);
    out.height = static_cast<int>(cinfo.output_height);
    out.channels = o.channels;
    out.row_begin = 0;
    out.row_end = out.height;
    if (o.center_square_rows && out.src_height > out.src_width) {
      const int y0 = (out.src_height - out.src_width) / 2;
      const double s = out.scale / 8.0;
      out.row_begin = static_cast<int>(std::floor(y0 * s));
      out.row_end = std::min(out.height, static_cast<int>(std::ceil((y0 + out.src_width) * s)));
    }
    const size_t comps = static_cast<size_t>(cinfo.output_components);
    const size_t stride = static_cast<size_t>(out.width) * comps;
    const size_t nrows = static_cast<size_t>(out.row_end - out.row_begin);
    std::vector<uint8_t>& buf = is_cmyk ? cmyk : out.pixels;
    buf.resize(nrows * stride);  // may throw std::bad_alloc: JpegDecoder::decode aborts then
    rows.resize(nrows);
    for (size_t r = 0; r < nrows; ++r) rows[r] = buf.data() + r * stride;

    if (out.row_begin > 0) jpeg_skip_scanlines(&cinfo, static_cast<JDIMENSION>(out.row_begin));
    const auto end = static_cast<JDIMENSION>(out.row_end);
    while (cinfo.output_scanline < end) {
      const JDIMENSION at = cinfo.output_scanline - static_cast<JDIMENSION>(out.row_begin);
      if (jpeg_read_scanlines(&cinfo, rows.data() + at, end - cinfo.output_scanline) == 0) {
        // Only a suspending data source returns no rows; the memory source never suspends.
        std::snprintf(err.message, sizeof err.message, "libjpeg returned no rows at row %u", cinfo.output_scanline);
        jpeg_abort_decompress(&cinfo);
        return false;
      }
    }
    if (end == cinfo.output_height)
      jpeg_finish_decompress(&cinfo);
    else
      jpeg_abort_decompress(&cinfo);  // the rows below the crop are not needed
    return true;
  }

  // CMYK (Adobe files store it inverted) to RGB or gray.
  void convert_cmyk(DecodedJpeg& out) const {
    const size_t n = cmyk.size() / 4;
    out.pixels.resize(n * static_cast<size_t>(out.channels));
    for (size_t i = 0; i < n; ++i) {
      int c = cmyk[4 * i], m = cmyk[4 * i + 1], y = cmyk[4 * i + 2], k = cmyk[4 * i + 3];
      if (!adobe_inverted) {
        c = 255 - c;
        m = 255 - m;
        y = 255 - y;
        k = 255 - k;
      }
      const int r = (c * k + 127) / 255, g = (m * k + 127) / 255, b = (y * k + 127) / 255;
      if (out.channels == 3) {
        out.pixels[3 * i] = static_cast<uint8_t>(r);
        out.pixels[3 * i + 1] = static_cast<uint8_t>(g);
        out.pixels[3 * i + 2] = static_cast<uint8_t>(b);
      } else {
        out.pixels[i] = luma(r, g, b);
      }
    }
  }
};

JpegDecoder::JpegDecoder() : impl_(std::make_unique<Impl>()) {}
JpegDecoder::~JpegDecoder() = default;

void JpegDecoder::decode(const uint8_t* data, size_t size, const std::string& name, const JpegDecodeOptions& options,
                         DecodedJpeg& out) {
  AAFGAN_CHECK(options.channels == 1 || options.channels == 3, "{}: {} channels asked, expected 1 or 3", name,
               options.channels);
  if (size == 0) fail("{}: corrupt JPEG: the file is empty", name);
  bool ok = false;
  try {
    ok = impl_->run(data, size, options, out);
  } catch (...) {
    jpeg_abort_decompress(&impl_->cinfo);  // ready for the next image
    throw;
  }
  if (!ok) fail("{}: corrupt JPEG: {}", name, impl_->err.message);
  if (impl_->is_cmyk) impl_->convert_cmyk(out);
}

DecodedJpeg decode_jpeg(const uint8_t* data, size_t size, const std::string& name, const JpegDecodeOptions& options) {
  JpegDecoder decoder;
  DecodedJpeg out;
  decoder.decode(data, size, name, options, out);
  return out;
}

}  // namespace aafgan::data
