#pragma once
// The progress line a run rewrites in place on a terminal. Each update returns to the line's
// start and clears it (so a shorter line leaves no tail of the longer one before it), and is cut
// to the terminal's width: a line that wrapped could not be rewritten by "\r", and every update
// would scroll a new row.
#include <cstdio>
#include <string>

namespace aafgan::models {

// The width of the terminal on `fd` (TIOCGWINSZ), else $COLUMNS, else 80.
int terminal_columns(int fd);
// `text` cut to at most `columns` characters (UTF-8 code points, counted as one column each).
std::string fit_to_columns(const std::string& text, int columns);

class LiveLine {
 public:
  explicit LiveLine(std::FILE* stream);
  // Whether the stream is a terminal; elsewhere (a log file, a pipe) show() writes nothing.
  bool active() const { return tty_; }
  void show(const std::string& text);
  // Clears the line, when one is shown, so that the next output starts on a blank line start.
  void clear();

 private:
  std::FILE* stream_;
  bool tty_ = false, shown_ = false;
};

}  // namespace aafgan::models
