#pragma once
// The IDX format of the MNIST files (http://yann.lecun.com/exdb/mnist/): a big-endian header
// (two zero bytes, a type code, the number of dimensions, each dimension) and the raw values.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace aafgan::data {

struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> values;  // row-major
};

// An unsigned-byte IDX file, plain or gzip-compressed (detected from its content), of which
// only the header has been read: the caller checks the dimensions against what it can hold
// before read_values() reads (and allocates, and decompresses) what they declare. A gzip of
// 4 MB can declare, and hold, 4 GiB of values; only the caller knows that MNIST's are 28×28.
// Errors are aafgan::Error naming the file and the problem: missing, a FIFO or device (refused
// before opening), wrong magic, a type other than unsigned byte, a rank other than
// `expected_rank`, more values than the file can hold.
class IdxReader {
 public:
  IdxReader(const std::string& path, int expected_rank);
  ~IdxReader();
  IdxReader(const IdxReader&) = delete;
  IdxReader& operator=(const IdxReader&) = delete;

  const std::string& path() const { return path_; }
  const std::vector<int64_t>& dims() const { return dims_; }
  uint64_t count() const { return count_; }  // the product of dims()

  // Exactly count() values; a stream that holds fewer (truncated) or more (trailing data) is an
  // error. Call once.
  std::vector<uint8_t> read_values();

 private:
  struct Stream;
  std::string path_;
  std::vector<int64_t> dims_;
  uint64_t count_ = 0;
  std::unique_ptr<Stream> stream_;
};

// IdxReader's header, then its values, for a caller with no tighter bound than 2^32 values.
IdxArray read_idx_u8(const std::string& path, int expected_rank);

}  // namespace aafgan::data
