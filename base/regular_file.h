#pragma once
// Opening a file a user named, for reading. A path can name a FIFO, whose open() blocks until
// some writer appears (forever, in a batch job), or a device such as /dev/zero or /dev/urandom,
// which yields bytes without end and has no size to bound a reader by. Both are refused by type
// from stat(), before open() is called at all.
#include <cstdint>
#include <string>

namespace aafgan {

// "a FIFO", "a character device", "a block device", "a socket", "a directory" or "not a regular
// file" for st_mode's type; empty for a regular file.
std::string special_file_kind(unsigned st_mode);

// A read-only descriptor (O_CLOEXEC) on `path` and its size, or aafgan::Error "<path>: no such
// file", "<path>: is a FIFO, not a regular file", "<path>: cannot open (reason)". The caller
// closes fd.
struct RegularFile {
  int fd = -1;
  uint64_t size = 0;
};
RegularFile open_regular_file(const std::string& path);

// Reads up to `n` bytes of `fd` into `buf`, retrying reads that a signal interrupted, until `n`
// bytes or the end of the file: the count read, or -1 with errno set on an error.
int64_t read_fully(int fd, void* buf, size_t n);

}  // namespace aafgan
