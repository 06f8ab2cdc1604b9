#include "data/image_preprocess.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "data/png_writer.h"  // read_png
#include "base/error.h"

namespace aafgan::data {

namespace {

double snap_up(double v) {
  const double r = std::round(v);
  return std::fabs(v - r) < 1e-6 ? r : std::ceil(v);
}
double snap_down(double v) {
  const double r = std::round(v);
  return std::fabs(v - r) < 1e-6 ? r : std::floor(v);
}

CropBox snap_inward(const CropBox& b) {
  CropBox s{snap_up(b.x0), snap_up(b.y0), snap_down(b.x1), snap_down(b.y1)};
  // A crop that would shrink to nothing keeps its fractional edges.
  if (s.x1 - s.x0 < 1 || s.y1 - s.y0 < 1) return b;
  return s;
}

bool looks_like_png(const std::vector<uint8_t>& b) {
  return b.size() >= 8 && b[0] == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G';
}

}  // namespace

void read_file_bytes(const std::string& path, std::vector<uint8_t>& bytes) {
  // open + fstat + read: three system calls for the usual small file, no stdio buffering.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) fail("{}: no such file", path);
    fail("{}: cannot open: {}", path, std::strerror(errno));
  }
  struct stat st;
  size_t capacity = 1 << 16;
  if (::fstat(fd, &st) == 0 && st.st_size >= 0) capacity = static_cast<size_t>(st.st_size) + 1;
  bytes.resize(capacity);
  size_t have = 0;
  for (;;) {
    if (have == bytes.size()) bytes.resize(bytes.size() * 2);
    const ssize_t n = ::read(fd, bytes.data() + have, bytes.size() - have);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      fail("{}: cannot read: {}", path, std::strerror(err));
    }
    if (n == 0) break;
    have += static_cast<size_t>(n);
  }
  ::close(fd);
  bytes.resize(have);
}

ImagePreprocessor::ImagePreprocessor(int channels, int size, DctScaling scaling)
    : channels_(channels), size_(size), scaling_(scaling) {
  AAFGAN_CHECK(channels == 1 || channels == 3, "image preprocessing: {} channels, expected 1 or 3", channels);
  AAFGAN_CHECK(size >= 1 && size <= 4096, "image preprocessing: output size {} is not in 1..4096", size);
}

void ImagePreprocessor::resize(const uint8_t* src, int width, int rows, const CropBox& box, uint8_t* out) {
  if (!plan_.same_geometry(width, rows, box, size_, size_)) plan_ = ResizePlan(width, rows, box, size_, size_);
  plan_.run(src, static_cast<size_t>(width) * static_cast<size_t>(channels_), channels_, out, scratch_);
}

void ImagePreprocessor::process_jpeg(const uint8_t* bytes, size_t size, const std::string& name, uint8_t* out) {
  JpegDecodeOptions o;
  o.channels = channels_;
  o.min_side = size_;
  o.scaling = scaling_;
  o.center_square_rows = true;
  jpeg_.decode(bytes, size, name, o, decoded_);
  // The crop in source pixels, carried to the decoded (scaled) grid and made relative to the
  // first decoded row.
  CropBox box = scale_box(center_square_box(decoded_.src_width, decoded_.src_height), decoded_.scale / 8.0);
  box.y0 -= decoded_.row_begin;
  box.y1 -= decoded_.row_begin;
  const int rows = decoded_.row_end - decoded_.row_begin;
  box.x1 = std::min(box.x1, double(decoded_.width));
  box.y1 = std::min(box.y1, double(rows));
  // At scales like 3/8 a crop edge can fall inside a decoded pixel, which then mixes both
  // sides of the edge: such an edge moves inward to the next whole pixel, so nothing from
  // outside the crop reaches the output (the crop shrinks by under one decoded pixel a side).
  box = snap_inward(box);
  resize(decoded_.pixels.data(), decoded_.width, rows, box, out);
}

void ImagePreprocessor::process_pixels(const uint8_t* pixels, int width, int height, int src_channels, uint8_t* out) {
  AAFGAN_CHECK(src_channels == 1 || src_channels == 3, "image preprocessing: {} source channels, expected 1 or 3",
               src_channels);
  const uint8_t* src = pixels;
  const size_t n = static_cast<size_t>(width) * static_cast<size_t>(height);
  if (src_channels != channels_) {
    converted_.resize(n * static_cast<size_t>(channels_));
    if (channels_ == 3) {
      for (size_t i = 0; i < n; ++i) converted_[3 * i] = converted_[3 * i + 1] = converted_[3 * i + 2] = pixels[i];
    } else {
      for (size_t i = 0; i < n; ++i)
        converted_[i] =
            static_cast<uint8_t>((299 * pixels[3 * i] + 587 * pixels[3 * i + 1] + 114 * pixels[3 * i + 2] + 500) / 1000);
    }
    src = converted_.data();
  }
  resize(src, width, height, center_square_box(width, height), out);
}

void ImagePreprocessor::process_file(const std::string& path, uint8_t* out) {
  read_file_bytes(path, file_);
  if (looks_like_jpeg(file_.data(), file_.size())) {
    process_jpeg(file_.data(), file_.size(), path, out);
  } else if (looks_like_png(file_)) {
    Image img;
    try {
      img = read_png(path);
    } catch (const Error& e) {
      // read_png says "read_png 'PATH': why"; keep the why.
      std::string why = e.what();
      const std::string prefix = "read_png '" + path + "': ";
      if (why.compare(0, prefix.size(), prefix) == 0) why.erase(0, prefix.size());
      fail("{}: corrupt PNG: {}", path, why);
    }
    process_pixels(img.pixels.data(), img.width, img.height, img.channels, out);
  } else if (file_.empty()) {
    fail("{}: the file is empty", path);
  } else {
    fail("{}: neither a JPEG nor a PNG file (unknown content)", path);
  }
}

}  // namespace aafgan::data
