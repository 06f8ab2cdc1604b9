// RunEventLog in a build without Protobuf (cmake/optional_parts.cmake): no event files. A fresh
// start still removes an earlier build's files, which would otherwise look like this run's.
#include <filesystem>

#include "base/error.h"
#include "training/run_event_log.h"

namespace aafgan::models {

namespace fs = std::filesystem;

bool RunEventLog::available() { return false; }

std::string RunEventLog::unavailable_reason() {
  return "built without Protobuf (install libprotobuf-dev and protobuf-compiler, then configure again)";
}

std::string RunEventLog::folder(const std::string& run_dir) { return (fs::path(run_dir) / "tensorboard").string(); }

void RunEventLog::discard(const std::string& run_dir) {
  std::error_code ec;
  fs::remove_all(folder(run_dir), ec);
  AAFGAN_CHECK(!ec, "cannot remove the earlier event files in '{}': {}", folder(run_dir), ec.message());
}

std::unique_ptr<RunEventLog> RunEventLog::start(const std::string&) {
  throw Error("TensorBoard event files: " + unavailable_reason());
}

std::unique_ptr<RunEventLog> RunEventLog::resume(const std::string&, const nlohmann::json&, std::string&) {
  throw Error("TensorBoard event files: " + unavailable_reason());
}

// No log can exist (start and resume throw), so none of these is ever reached.
struct RunEventLog::Impl {};
RunEventLog::~RunEventLog() = default;
void RunEventLog::batch(int64_t, const StepValues&, double, double) {}
void RunEventLog::epoch(int, const std::vector<std::pair<std::string, double>>&) {}
void RunEventLog::parameters(int, const GanModel&) {}
void RunEventLog::samples(int, const data::Image&) {}
nlohmann::json RunEventLog::position() { return nullptr; }

}  // namespace aafgan::models
