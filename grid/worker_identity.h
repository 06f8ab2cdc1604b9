#pragma once
// Who this process is, for run locks and claims that other processes, on this host or others
// sharing the folder, must be able to read.
#include <string>

namespace aafgan::models {

std::string host_name();
// The host name plus what tells apart machines and containers that share it (the boot id and
// the PID namespace): two processes with equal machine_identity() see the same process ids, so
// one may tell whether the other is still alive.
std::string machine_identity();
bool process_alive(long pid);  // of this machine_identity()
std::string utc_time_now();    // "2026-12-02 05:40:00 UTC"

}  // namespace aafgan::models
