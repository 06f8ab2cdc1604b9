#pragma once
// The readers under test take a path, not bytes: each harness writes its input to one temporary
// file per process (reused for every input, so a long run does not churn the file system) and
// hands the real reader that path.
#include <string>

#include <cstddef>
#include <cstdint>

namespace aafgan::fuzz {

// Writes `size` bytes to this process's temporary file for `tag` and returns its path. The file
// is created on first use under $TMPDIR (or /tmp) and removed when the process exits normally.
const std::string& write_input_file(const char* tag, const uint8_t* data, size_t size);

}  // namespace aafgan::fuzz
