#include "training/live_line.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>

#include "training/console.h"

namespace aafgan::models {

int terminal_columns(int fd) {
  winsize ws{};
  if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  if (const char* c = std::getenv("COLUMNS")) {
    const int n = std::atoi(c);
    if (n > 0) return n;
  }
  return 80;
}

std::string fit_to_columns(const std::string& text, int columns) {
  int count = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte of the code point already counted
    if (count == columns) return text.substr(0, i);
    ++count;
  }
  return text;
}

LiveLine::LiveLine(std::FILE* stream) : stream_(stream), tty_(isatty(fileno(stream)) != 0) {}

void LiveLine::show(const std::string& text) {
  if (!tty_) return;
  // One column short of the width: writing the last column leaves some terminals' cursor in a
  // pending wrap, and the next "\r" would then return to the row below.
  say(stream_, "\r\033[K" + fit_to_columns(text, terminal_columns(fileno(stream_)) - 1));
  shown_ = true;
}

void LiveLine::clear() {
  if (!shown_) return;
  say(stream_, "\r\033[K");
  shown_ = false;
}

}  // namespace aafgan::models
