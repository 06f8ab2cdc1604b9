#include "data/jpeg_error.h"

namespace aafgan::data {

namespace {

[[noreturn]] void jump_with_message(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

void on_error(j_common_ptr cinfo) { jump_with_message(cinfo); }

// Levels >= 0 are trace messages, ignored.
void on_message_failing_warnings(j_common_ptr cinfo, int level) {
  if (level < 0) jump_with_message(cinfo);
}

void no_output(j_common_ptr) {}

}  // namespace

jpeg_error_mgr* install_jpeg_errors(JpegErrorManager& err, JpegWarnings warnings) {
  jpeg_error_mgr* pub = jpeg_std_error(&err.pub);
  err.pub.error_exit = on_error;
  if (warnings == JpegWarnings::fail) err.pub.emit_message = on_message_failing_warnings;
  err.pub.output_message = no_output;
  err.message[0] = '\0';
  return pub;
}

}  // namespace aafgan::data
