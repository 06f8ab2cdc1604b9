#include "tensorboard/event_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "base/error.h"
#include "base/stop_signal.h"
#include "tensorboard/histogram.h"
#include "tensorboard/record_file.h"

namespace aafgan::tb {

namespace fs = std::filesystem;

namespace {

constexpr const char* kPrefix = "events.out.tfevents.";

double wall_time() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// TensorBoard takes any name holding "tfevents"; the host keeps files of several machines
// writing into one shared folder apart, as TensorFlow's and PyTorch's names do.
std::string new_file_name() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || !host[0]) std::strcpy(host, "localhost");
  std::string h = host;
  for (char& c : h)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) c = '_';
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  return fmt::format("{}{}.{}.{}", kPrefix, seconds.count(), h, getpid());
}

int open_for_append(const std::string& path, int extra_flags) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC | extra_flags, 0644);
  AAFGAN_CHECK(fd >= 0, "cannot open event file '{}': {}", path, std::strerror(errno));
  return fd;
}

}  // namespace

EventFileWriter::EventFileWriter(std::string path, int fd, uint64_t bytes)
    : path_(std::move(path)), fd_(fd), bytes_(bytes) {}

EventFileWriter::EventFileWriter(EventFileWriter&& o) noexcept
    : path_(std::move(o.path_)), fd_(std::exchange(o.fd_, -1)), bytes_(o.bytes_) {}

EventFileWriter& EventFileWriter::operator=(EventFileWriter&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(o.path_);
    fd_ = std::exchange(o.fd_, -1);
    bytes_ = o.bytes_;
  }
  return *this;
}

EventFileWriter::~EventFileWriter() {
  if (fd_ >= 0) ::close(fd_);
}

EventFileWriter EventFileWriter::create(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  AAFGAN_CHECK(!ec, "cannot create the TensorBoard folder '{}': {}", dir, ec.message());
  const std::string path = (fs::path(dir) / new_file_name()).string();
  EventFileWriter w(path, open_for_append(path, O_CREAT | O_TRUNC), 0);
  tfevents::Event e = w.event_at(0);
  e.set_file_version("brain.Event:2");
  w.write(e);
  return w;
}

EventFileWriter EventFileWriter::reopen(const std::string& dir, const EventFilePosition& pos, std::string& note) {
  note.clear();
  const std::string path = (fs::path(dir) / pos.file).string();
  if (pos.file.empty() || pos.file.find('/') != std::string::npos || !fs::exists(path)) {
    EventFileWriter w = create(dir);
    note = fmt::format("the event file '{}' the checkpoint names is missing; the log continues in '{}'", path,
                       fs::path(w.path()).filename().string());
    return w;
  }
  const RecordScan scan = scan_records(path);
  // The last record boundary at or before the checkpoint's position.
  uint64_t keep = 0;
  for (uint64_t end : scan.ends)
    if (end <= pos.bytes) keep = end;
  if (keep != pos.bytes)
    note = fmt::format("'{}' holds {} whole bytes of the {} the checkpoint recorded{}{}; it continues after byte {}", path,
                       scan.whole_bytes(), pos.bytes, scan.damage.empty() ? "" : ", then ", scan.damage, keep);
  AAFGAN_CHECK(::truncate(path.c_str(), static_cast<off_t>(keep)) == 0, "cannot cut back event file '{}': {}", path,
               std::strerror(errno));
  EventFileWriter w(path, open_for_append(path, 0), keep);
  if (keep == 0) {  // nothing whole was left, not even the file_version record
    tfevents::Event e = w.event_at(0);
    e.set_file_version("brain.Event:2");
    w.write(e);
  }
  return w;
}

tfevents::Event EventFileWriter::event_at(int64_t step) const {
  tfevents::Event e;
  e.set_wall_time(wall_time());
  e.set_step(step);
  return e;
}

void EventFileWriter::write(const tfevents::Event& event) {
  const std::string record = frame_record(event.SerializeAsString());
  // A second stop signal waits for the record: the file never ends inside one by our doing.
  const CriticalWrite critical;
  size_t done = 0;
  while (done < record.size()) {
    const ssize_t n = ::write(fd_, record.data() + done, record.size() - done);
    if (n < 0 && errno == EINTR) continue;
    AAFGAN_CHECK(n > 0, "cannot write event file '{}': {}", path_, n < 0 ? std::strerror(errno) : "nothing written");
    done += static_cast<size_t>(n);
  }
  bytes_ += record.size();
}

void EventFileWriter::scalars(int64_t step, const std::vector<std::pair<std::string, double>>& values) {
  if (values.empty()) return;
  tfevents::Event e = event_at(step);
  for (const auto& [tag, v] : values) {
    tfevents::Summary::Value* value = e.mutable_summary()->add_value();
    value->set_tag(tag);
    value->set_simple_value(static_cast<float>(v));
  }
  write(e);
}

void EventFileWriter::histogram(int64_t step, const std::string& tag, const std::vector<double>& values) {
  tfevents::Event e = event_at(step);
  tfevents::Summary::Value* value = e.mutable_summary()->add_value();
  value->set_tag(tag);
  *value->mutable_histo() = make_histogram(values);
  write(e);
}

void EventFileWriter::image(int64_t step, const std::string& tag, int width, int height, int channels,
                            const std::string& png) {
  AAFGAN_CHECK(channels == 1 || channels == 3, "event image '{}': {} channels, expected 1 or 3", tag, channels);
  tfevents::Event e = event_at(step);
  tfevents::Summary::Value* value = e.mutable_summary()->add_value();
  value->set_tag(tag);
  tfevents::Summary::Image* img = value->mutable_image();
  img->set_width(width);
  img->set_height(height);
  img->set_colorspace(channels);
  img->set_encoded_image_string(png);
  write(e);
}

EventFilePosition EventFileWriter::sync() {
  AAFGAN_CHECK(::fsync(fd_) == 0, "cannot sync event file '{}': {}", path_, std::strerror(errno));
  return {fs::path(path_).filename().string(), bytes_};
}

EventFileRead read_event_file(const std::string& path) {
  const RecordScan scan = scan_records(path);
  EventFileRead r;
  r.damage = scan.damage;
  r.whole_bytes = scan.whole_bytes();
  r.file_bytes = scan.file_bytes;
  r.events.resize(scan.payloads.size());
  for (size_t i = 0; i < r.events.size(); ++i)
    AAFGAN_CHECK(r.events[i].ParseFromString(scan.payloads[i]), "'{}': record {} is not an Event", path, i);
  return r;
}

std::vector<tfevents::Event> read_events(const std::string& path, std::string& damage) {
  EventFileRead r = read_event_file(path);
  damage = std::move(r.damage);
  return std::move(r.events);
}

std::vector<std::string> event_files_in(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.is_regular_file() && entry.path().filename().string().find("tfevents") != std::string::npos)
      out.push_back(entry.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace aafgan::tb
