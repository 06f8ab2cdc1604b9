// data/idx.h read_idx_u8 on arbitrary bytes, as a plain file and (when the input is not gzip
// already) gzip-compressed, so that mutations of the IDX structure also reach the gzip path.
#include <zlib.h>

#include <cstdint>
#include <vector>

#include "data/idx.h"
#include "base/error.h"
#include "fuzz/fuzz_input_file.h"

namespace {

void read_both_ranks(const std::string& path) {
  // Rank 1 is a labels file, rank 3 an images file: the two ways the MNIST loader calls it.
  for (int rank : {1, 3}) {
    try {
      const aafgan::data::IdxArray a = aafgan::data::read_idx_u8(path, rank);
      uint64_t expected = 1;
      for (int64_t d : a.dims) expected *= static_cast<uint64_t>(d);
      if (a.values.size() != expected) __builtin_trap();  // the reader's own promise
    } catch (const aafgan::Error&) {
      // A rejected file, with its message: the expected outcome for most inputs.
    }
  }
}

std::vector<uint8_t> gzip(const uint8_t* data, size_t size) {
  uLongf n = compressBound(static_cast<uLong>(size)) + 32;
  std::vector<uint8_t> out(n);
  z_stream z{};
  // windowBits 15 + 16: a gzip wrapper, as gzopen writes and the MNIST downloads have.
  if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) __builtin_trap();
  z.next_in = const_cast<Bytef*>(data);
  z.avail_in = static_cast<uInt>(size);
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) __builtin_trap();
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  read_both_ranks(aafgan::fuzz::write_input_file("idx", data, size));
  const bool is_gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
  if (!is_gzip && size < (1u << 20)) {
    const std::vector<uint8_t> gz = gzip(data, size);
    read_both_ranks(aafgan::fuzz::write_input_file("idx", gz.data(), gz.size()));
  }
  return 0;
}
