#pragma once
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace aafgan {

// Every failure a user can cause (shapes, dtypes, devices, files) is one of these, with a
// message that names what failed.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> f, Args&&... args) {
  throw Error(fmt::format(f, std::forward<Args>(args)...));
}

#define AAFGAN_CHECK(cond, ...)            \
  do {                                     \
    if (!(cond)) ::aafgan::fail(__VA_ARGS__); \
  } while (0)

}  // namespace aafgan
