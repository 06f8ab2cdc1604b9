#pragma once
// A fresh folder per test case under the system temp folder, removed afterwards.
#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace aafgan::testing {

class TempDir {
 public:
  // `tag` names the suite and case, so parallel ctest cases never share a folder.
  explicit TempDir(const std::string& tag)
      : path_(std::filesystem::temp_directory_path() / ("aafgan_test_" + tag + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string dir() const { return path_.string(); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace aafgan::testing
