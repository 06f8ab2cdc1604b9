#include "base/stop_signal.h"

#include <unistd.h>

#include <csignal>
#include <string>

namespace aafgan {

namespace {

// Lock-free atomics only: the handler below may touch nothing else.
std::atomic<int> critical_writes{0};
std::atomic<int> exit_after_write{0};  // the signal to exit with once the writes are done; 0: none

extern "C" void on_stop_signal(int sig) {
  if (!stop_requested().exchange(true)) return;  // the first: stop after the batch
  if (critical_writes.load() > 0) {
    exit_after_write.store(sig);
    return;
  }
  ::_exit(128 + sig);
}

}  // namespace

std::atomic<bool>& stop_requested() {
  static std::atomic<bool> flag{false};
  return flag;
}

void install_stop_signal_handlers() {
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGHUP, on_stop_signal);  // a closed terminal stops a run as SIGTERM does
  std::signal(SIGPIPE, SIG_IGN);
  // A write past the file size limit (ulimit -f) would kill the process with SIGXFSZ, a
  // checkpoint's temporary left behind; ignored, the write fails with EFBIG, which the writers
  // report like a full disk (the run fails by name, the previous checkpoint stays).
  std::signal(SIGXFSZ, SIG_IGN);
}

StopRequested::StopRequested(const char* where)
    : std::runtime_error(std::string("stopped by signal during ") + where) {}

void throw_if_stop_requested(const char* where) {
  if (stop_requested().load()) throw StopRequested(where);
}

CriticalWrite::CriticalWrite() { critical_writes.fetch_add(1); }

CriticalWrite::~CriticalWrite() {
  if (critical_writes.fetch_sub(1) == 1) {
    const int sig = exit_after_write.load();
    if (sig != 0) ::_exit(128 + sig);
  }
}

}  // namespace aafgan
