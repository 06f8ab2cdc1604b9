#pragma once
// libjpeg's error manager for the decoder and the encoder (data/jpeg_decode.cpp,
// data/jpeg_encode.cpp). libjpeg's default handler prints and calls exit(). Ours formats the
// message and longjmps back to the caller's setjmp, which unwinds libjpeg's state; only then
// is a C++ exception thrown, so no exception ever crosses libjpeg's C frames. Nothing is
// printed. Private to data/: it needs jpeglib.h.

// jpeglib.h needs size_t and FILE declared before it.
#include <cstddef>
#include <cstdio>

#include <jpeglib.h>

#include <csetjmp>

namespace aafgan::data {

struct JpegErrorManager {
  jpeg_error_mgr pub;  // first member: libjpeg hands back a jpeg_error_mgr*
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

enum class JpegWarnings { ignore, fail };

// Sets `err` up (message empty) and returns what cinfo->err takes. With JpegWarnings::fail a
// warning (level -1: corrupt data libjpeg could paper over, e.g. a truncated file padded with a
// fake EOI) jumps as an error does.
jpeg_error_mgr* install_jpeg_errors(JpegErrorManager& err, JpegWarnings warnings);

}  // namespace aafgan::data
