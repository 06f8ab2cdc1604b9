// A main() for the harnesses outside libFuzzer: runs LLVMFuzzerTestOneInput once on each file
// given, and on each file (recursively, in sorted order) of each folder given. This is how every
// build, g++ included, replays the kept corpora (ctest fuzz.replay.<name>): a regression input
// that crashes, leaks an exception or trips a sanitizer fails the test.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace fs = std::filesystem;

namespace {

bool replay(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", file.c_str());
    return false;
  }
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // A fresh copy of exactly `size` bytes, as libFuzzer passes it, so reads past the end are caught.
  std::vector<uint8_t> input(bytes.begin(), bytes.end());
  LLVMFuzzerTestOneInput(input.empty() ? nullptr : input.data(), input.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE_OR_FOLDER...\n", argv[0]);
    return 2;
  }
  size_t replayed = 0;
  for (int i = 1; i < argc; ++i) {
    const fs::path arg = argv[i];
    std::vector<fs::path> files;
    if (fs::is_directory(arg)) {
      for (const auto& e : fs::recursive_directory_iterator(arg))
        if (e.is_regular_file()) files.push_back(e.path());
      std::sort(files.begin(), files.end());
    } else {
      files.push_back(arg);
    }
    for (const fs::path& f : files) {
      // Named first, so that a crash's report says which input caused it.
      std::fprintf(stderr, "replay: %s\n", f.c_str());
      if (!replay(f)) return 1;
      ++replayed;
    }
  }
  // An empty corpus would make the ctest entry pass while testing nothing.
  if (replayed == 0) {
    std::fprintf(stderr, "replay: no input files found\n");
    return 1;
  }
  std::printf("replay: %zu inputs, no crash\n", replayed);
  return 0;
}
