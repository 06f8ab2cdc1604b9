#pragma once
// Writing TensorBoard event files: one file per process start, appended record by record (one
// write each, so a kill never tears a record and a live TensorBoard sees every step at once),
// fsynced when a checkpoint records how far it got.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tensorboard/event.pb.h"

namespace aafgan::tb {

// How far an event file had been written (and synced) when a checkpoint was taken.
struct EventFilePosition {
  std::string file;  // its name in the log folder
  uint64_t bytes = 0;
};

class EventFileWriter {
 public:
  // A new file "events.out.tfevents.<seconds>.<host>.<pid>" in `dir` (created with its parents),
  // opened by the file_version record TensorBoard expects first.
  static EventFileWriter create(const std::string& dir);
  // Continues dir/pos.file, cut back to pos.bytes: the records after them belong to steps a
  // resumed run does again. Where the file is shorter than that or damaged, it is cut at its last
  // whole record instead, and where it is missing a new file is created; `note` then says so.
  static EventFileWriter reopen(const std::string& dir, const EventFilePosition& pos, std::string& note);

  EventFileWriter(EventFileWriter&& other) noexcept;
  EventFileWriter& operator=(EventFileWriter&& other) noexcept;
  EventFileWriter(const EventFileWriter&) = delete;
  EventFileWriter& operator=(const EventFileWriter&) = delete;
  ~EventFileWriter();

  // One event holding a scalar (stored as float32, as TensorBoard's simple_value) per tag.
  void scalars(int64_t step, const std::vector<std::pair<std::string, double>>& values);
  void histogram(int64_t step, const std::string& tag, const std::vector<double>& values);
  // `png`: the encoded image; channels 1 (gray) or 3 (RGB).
  void image(int64_t step, const std::string& tag, int width, int height, int channels, const std::string& png);
  void write(const tfevents::Event& event);

  // Everything written so far reaches the disk (fsync); returns the position a checkpoint keeps.
  EventFilePosition sync();
  const std::string& path() const { return path_; }

 private:
  EventFileWriter(std::string path, int fd, uint64_t bytes);
  tfevents::Event event_at(int64_t step) const;

  std::string path_;
  int fd_ = -1;
  uint64_t bytes_ = 0;
};

// The events of a file up to its last whole record, and how far that is.
struct EventFileRead {
  std::vector<tfevents::Event> events;
  std::string damage;        // why reading stopped early ("" when it read to the end)
  uint64_t whole_bytes = 0;  // the bytes of the whole records read
  uint64_t file_bytes = 0;
};
// Throws when the file cannot be read or a record is no Event.
EventFileRead read_event_file(const std::string& path);
// read_event_file's events; `damage` as there.
std::vector<tfevents::Event> read_events(const std::string& path, std::string& damage);

// The event files of a log folder, in the order TensorBoard reads them (by name).
std::vector<std::string> event_files_in(const std::string& dir);

}  // namespace aafgan::tb
