// ./aafgan_events PATH... [--wall-time] [--skip-tag TAG]...
// Prints the events of TensorBoard event files (a file, or a folder such as <run>/tensorboard/),
// one value per line: "step<TAB>tag<TAB>value" (scalars as stored, float32; histograms as count,
// range, sum and bucket counts; images as size and a hash of the PNG), in file order. Without
// --wall-time two runs that logged the same values print the same text (tools/fault_lib.sh
// compares an interrupted run with an uninterrupted one so). Files cut short by a kill print up
// to their last whole record, then a "# damage:" line.
// Exit codes: 0 printed; 1 no such file, no event file in a folder, a file without one whole
// record (not an event file), or a record that is no Event.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "base/error.h"
#include "base/std_descriptors.h"
#include "tensorboard/event_file.h"

namespace fs = std::filesystem;
using namespace aafgan::tb;

namespace {

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::string describe(const aafgan::tfevents::Summary::Value& v) {
  switch (v.value_case()) {
    case aafgan::tfevents::Summary::Value::kSimpleValue:
      return fmt::format("{}", v.simple_value());
    case aafgan::tfevents::Summary::Value::kHisto: {
      const auto& h = v.histo();
      std::string buckets;
      for (double c : h.bucket()) buckets += fmt::format("{}{}", buckets.empty() ? "" : ",", c);
      return fmt::format("histogram n={} min={} max={} sum={} buckets=[{}]", h.num(), h.min(), h.max(), h.sum(), buckets);
    }
    case aafgan::tfevents::Summary::Value::kImage: {
      const auto& i = v.image();
      return fmt::format("image {}x{}x{} {} bytes fnv1a {:016x}", i.width(), i.height(), i.colorspace(),
                         i.encoded_image_string().size(), fnv1a(i.encoded_image_string()));
    }
    default:
      return "(no value)";
  }
}

}  // namespace

int main(int argc, char** argv) {
  // First of all: a closed 0-2 would be taken by the next file opened (base/std_descriptors.h).
  if (!aafgan::std_descriptors_ready()) return 1;
  CLI::App app{"Prints the values of TensorBoard event files, one per line (step, tag, value).", "aafgan_events"};
  std::vector<std::string> paths;
  std::vector<std::string> skip;
  bool wall_time = false;
  app.add_option("PATH", paths, "event files, or folders holding them (e.g. RUN/tensorboard)")->required();
  app.add_flag("--wall-time", wall_time, "start each line with the event's wall time (seconds since 1970)");
  app.add_option("--skip-tag", skip, "leave out this tag (repeatable), e.g. batch/it_per_s");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  const std::set<std::string> skipped(skip.begin(), skip.end());
  try {
    std::vector<std::string> files;
    for (const std::string& p : paths) {
      if (fs::is_directory(p)) {
        const auto in = event_files_in(p);
        if (in.empty()) aafgan::fail("{}: no event files (names holding \"tfevents\")", p);
        files.insert(files.end(), in.begin(), in.end());
      } else {
        if (!fs::exists(p)) aafgan::fail("{}: no such file", p);
        files.push_back(p);
      }
    }
    for (size_t f = 0; f < files.size(); ++f) {
      const EventFileRead read = read_event_file(files[f]);
      // Not one whole record: whatever the file is, it is no event file (one cut by a kill still
      // holds its first records).
      if (read.events.empty() && read.file_bytes > 0)
        aafgan::fail("{}: not a TensorBoard event file ({} bytes, no whole record: {})", files[f], read.file_bytes,
                     read.damage);
      // The file's index, not its name: names hold the start time and the process id.
      fmt::print("# file {} of {}: {} events\n", f + 1, files.size(), read.events.size());
      for (const auto& e : read.events) {
        const std::string prefix = wall_time ? fmt::format("{:.6f}\t", e.wall_time()) : "";
        if (e.what_case() == aafgan::tfevents::Event::kFileVersion)
          fmt::print("{}{}\tfile_version\t{}\n", prefix, e.step(), e.file_version());
        for (const auto& v : e.summary().value())
          if (!skipped.count(v.tag())) fmt::print("{}{}\t{}\t{}\n", prefix, e.step(), v.tag(), describe(v));
      }
      if (!read.damage.empty())
        fmt::print("# damage: {} ({} of the file's {} bytes read)\n", read.damage, read.whole_bytes, read.file_bytes);
    }
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "aafgan_events: %s\n", e.what());
    return 1;
  }
  return 0;
}
