// data/jpeg_decode.h on arbitrary bytes, with the option sets the dataset loaders use: full size
// RGB, gray with DCT scaling and the centred-square row window, and any-M scaling. One decoder
// takes all three, so that its reuse after a failed decode is exercised as the loaders use it.
#include <cstdint>

#include "data/jpeg_decode.h"
#include "base/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace aafgan::data;
  static const JpegDecodeOptions kOptions[] = {
      {3, 0, DctScaling::off, false},
      {1, 16, DctScaling::power_of_two, true},
      {3, 5, DctScaling::any, true},
  };
  JpegDecoder decoder;
  DecodedJpeg out;
  for (const JpegDecodeOptions& o : kOptions) {
    try {
      decoder.decode(data, size, "fuzz.jpg", o, out);
      const size_t rows = static_cast<size_t>(out.row_end - out.row_begin);
      if (out.pixels.size() != rows * static_cast<size_t>(out.width) * static_cast<size_t>(out.channels))
        __builtin_trap();  // the layout DecodedJpeg promises
    } catch (const aafgan::Error&) {
    }
  }
  return 0;
}
