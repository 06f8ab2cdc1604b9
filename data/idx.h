#pragma once
// The IDX format of the MNIST files (http://yann.lecun.com/exdb/mnist/): a big-endian header
// (two zero bytes, a type code, the number of dimensions, each dimension) and the raw values.
#include <cstdint>
#include <string>
#include <vector>

namespace aafgan::data {

struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> values;  // row-major
};

// Reads an unsigned-byte IDX file, plain or gzip-compressed (detected from its content).
// Throws aafgan::Error naming the file and the problem: missing, wrong magic, a type other
// than unsigned byte, a rank other than `expected_rank`, truncated or trailing data.
IdxArray read_idx_u8(const std::string& path, int expected_rank);

}  // namespace aafgan::data
