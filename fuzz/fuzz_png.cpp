// data/png_writer.h read_png (the PNG reader of the image-folder loader and the tests) on
// arbitrary bytes.
#include <cstdint>

#include "data/png_writer.h"
#include "base/error.h"
#include "fuzz/fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = aafgan::fuzz::write_input_file("png", data, size);
  try {
    const aafgan::data::Image img = aafgan::data::read_png(path);
    if (img.pixels.size() != static_cast<size_t>(img.width) * img.height * img.channels) __builtin_trap();
  } catch (const aafgan::Error&) {
  }
  return 0;
}
