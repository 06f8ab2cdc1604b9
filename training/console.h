#pragma once
// Progress and status lines of training runs. Writing them must never stop a run: with SIGPIPE
// ignored (install_stop_signal_handlers), a closed pipe (`./mnist_condgan | head`) or a full
// disk under a redirected log makes the write fail, and fmt::print would throw. The line is then
// dropped; training, checkpoints and outputs go on.
#include <cstdio>
#include <string>

namespace aafgan::models {

inline void say(std::FILE* stream, const std::string& text) noexcept {
  std::fwrite(text.data(), 1, text.size(), stream);
  std::fflush(stream);
  std::clearerr(stream);
}

}  // namespace aafgan::models
