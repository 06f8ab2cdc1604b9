#pragma once
// Stopping a run on a signal without losing work (issue 13 §4). The first SIGINT, SIGTERM or
// SIGHUP sets stop_requested(): training finishes its batch and checkpoints, and long loops that
// can be redone (the epoch metrics: FID features, KID, Parzen) give up at their next iteration
// with StopRequested. A second signal ends the process at once (exit 128 + signal), except while
// a durable write (base/durable_file.h) is in progress: that write completes first, so no file
// is ever left half-replaced. SIGPIPE and SIGXFSZ are ignored: writes to a closed pipe or past
// the file size limit fail (EPIPE, EFBIG) instead of killing the process.
#include <atomic>
#include <stdexcept>

namespace aafgan {

std::atomic<bool>& stop_requested();
void install_stop_signal_handlers();

class StopRequested : public std::runtime_error {
 public:
  explicit StopRequested(const char* where);
};
// For loops whose work is redone after a resume.
void throw_if_stop_requested(const char* where);

// Held for the length of a write that must not be cut short by a second signal.
class CriticalWrite {
 public:
  CriticalWrite();
  ~CriticalWrite();
  CriticalWrite(const CriticalWrite&) = delete;
  CriticalWrite& operator=(const CriticalWrite&) = delete;
};

}  // namespace aafgan
