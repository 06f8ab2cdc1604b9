// TensorBoard event files (tensorboard/): the framing and checksums against values from outside
// (RFC 3720's CRC-32C check values, bytes framed by the tensorboard package's RecordWriter), reading
// cut and damaged files, histograms, and a resumed writer. tests/check_tensorboard_run.py reads a
// real run's files with TensorBoard's own loader.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>

#include <fmt/format.h>

#include "tensorboard/crc32c.h"
#include "tensorboard/event_file.h"
#include "tensorboard/histogram.h"
#include "tensorboard/record_file.h"
#include "tests/temp_dir.h"

using namespace aafgan::tb;
using aafgan::testing::TempDir;
namespace fs = std::filesystem;

namespace {

std::string hex(const std::string& bytes) {
  std::string out;
  for (unsigned char c : bytes) out += fmt::format("{:02x}", c);
  return out;
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<int64_t> steps_of(const std::string& path) {
  std::string damage;
  std::vector<int64_t> steps;
  for (const auto& e : read_events(path, damage)) steps.push_back(e.step());
  return steps;
}

}  // namespace

TEST_CASE("tensorboard: CRC-32C gives the check values of RFC 3720 and TensorFlow's mask") {
  CHECK(crc32c("123456789", 9) == 0xE3069283u);
  const std::string zeros(32, '\0'), ones(32, '\xff');
  std::string ascending(32, '\0');
  std::iota(ascending.begin(), ascending.end(), 0);
  CHECK(crc32c(zeros.data(), zeros.size()) == 0x8A9136AAu);
  CHECK(crc32c(ones.data(), ones.size()) == 0x62A8AB43u);
  CHECK(crc32c(ascending.data(), ascending.size()) == 0x46DD794Eu);
  CHECK(crc32c("", 0) == 0u);
  // tensorboard.compat.tensorflow_stub.pywrap_tensorflow.masked_crc32c(b"123456789")
  CHECK(masked_crc32c("123456789", 9) == 0xc78ab0e5u);
}

TEST_CASE("tensorboard: a record is framed byte for byte as TensorBoard's RecordWriter frames it") {
  // tensorboard.summary.writer.record_writer.RecordWriter(...).write(b"hello aafgan")
  CHECK(hex(frame_record("hello aafgan")) == "0c00000000000000f4c8fe0a68656c6c6f2061616667616e665a221c");
}

TEST_CASE("tensorboard: a cut or damaged file reads up to its last whole record") {
  TempDir tmp("tb_records");
  const std::vector<std::string> payloads = {"first", std::string(300, 'x'), "", "last one"};
  std::string file;
  std::vector<size_t> ends;
  for (const auto& p : payloads) {
    file += frame_record(p);
    ends.push_back(file.size());
  }
  const std::string path = tmp.file("events.out.tfevents.test");
  write_bytes(path, file);
  RecordScan whole = scan_records(path);
  CHECK(whole.payloads == payloads);
  CHECK(whole.damage.empty());
  CHECK(whole.whole_bytes() == file.size());

  SUBCASE("cut at every length") {
    for (size_t len = 0; len < file.size(); ++len) {
      write_bytes(path, file.substr(0, len));
      const RecordScan s = scan_records(path);
      const size_t whole_records = static_cast<size_t>(std::count_if(ends.begin(), ends.end(), [&](size_t e) { return e <= len; }));
      REQUIRE(s.payloads.size() == whole_records);
      CHECK(std::equal(s.payloads.begin(), s.payloads.end(), payloads.begin()));
      const bool on_boundary = len == 0 || std::find(ends.begin(), ends.end(), len) != ends.end();
      CHECK(s.damage.empty() == on_boundary);
    }
  }
  SUBCASE("a flipped byte in a record's data or length ends the reading there") {
    std::string bad = file;
    bad[ends[0] + 12 + 100] ^= 0x20;  // inside the second record's data
    write_bytes(path, bad);
    RecordScan s = scan_records(path);
    CHECK(s.payloads.size() == 1);
    CHECK(s.damage.find("fails its CRC") != std::string::npos);
    bad = file;
    bad[ends[1] + 3] ^= 0x01;  // the third record's length
    write_bytes(path, bad);
    s = scan_records(path);
    CHECK(s.payloads.size() == 2);
    CHECK(s.damage.find("length") != std::string::npos);
  }
  SUBCASE("garbage after the last record") {
    write_bytes(path, file + "\x07garbage that is no record at all");
    const RecordScan s = scan_records(path);
    CHECK(s.payloads == payloads);
    CHECK_FALSE(s.damage.empty());
  }
  SUBCASE("a missing file is an error naming it") {
    CHECK_THROWS_WITH(scan_records(tmp.file("nope")), doctest::Contains("nope"));
  }
}

TEST_CASE("tensorboard: histograms count every finite value once") {
  std::vector<double> v;
  for (int i = 1; i <= 100; ++i) v.push_back(i);
  auto h = make_histogram(v);
  CHECK(h.num() == 100);
  CHECK(h.sum() == 5050);
  CHECK(h.sum_squares() == 338350);
  CHECK(h.min() == 1);
  CHECK(h.max() == 100);
  REQUIRE(h.bucket_size() == 30);
  REQUIRE(h.bucket_limit_size() == 30);
  CHECK(std::accumulate(h.bucket().begin(), h.bucket().end(), 0.0) == 100);
  CHECK(h.bucket_limit(29) == 100);
  for (int i = 1; i < 30; ++i) CHECK(h.bucket_limit(i) > h.bucket_limit(i - 1));
  // Bucket i holds (limit[i-1], limit[i]]: recount from the limits.
  for (int i = 0; i < 30; ++i) {
    const double lo = i == 0 ? -INFINITY : h.bucket_limit(i - 1), hi = h.bucket_limit(i);
    CHECK(h.bucket(i) == std::count_if(v.begin(), v.end(), [&](double x) { return x > lo && x <= hi; }));
  }

  SUBCASE("equal values: one bucket") {
    h = make_histogram(std::vector<double>(7, 0.25));
    REQUIRE(h.bucket_size() == 1);
    CHECK(h.bucket(0) == 7);
    CHECK(h.bucket_limit(0) == 0.25);
    CHECK(h.min() == 0.25);
  }
  SUBCASE("fewer values than buckets, and non-finite ones left out") {
    h = make_histogram({3.0, NAN, -1.0, INFINITY, 2.0});
    CHECK(h.num() == 3);
    CHECK(h.bucket_size() == 3);
    CHECK(h.min() == -1);
    CHECK(h.max() == 3);
  }
  SUBCASE("no values") {
    h = make_histogram({});
    CHECK(h.num() == 0);
    CHECK(h.bucket_size() == 0);
  }
}

TEST_CASE("tensorboard: a resumed writer continues at the checkpointed position") {
  TempDir tmp("tb_reopen");
  const std::string dir = tmp.file("tensorboard");
  EventFileWriter w = EventFileWriter::create(dir);
  const std::string path = w.path();
  CHECK(fs::path(path).filename().string().rfind("events.out.tfevents.", 0) == 0);
  w.scalars(1, {{"loss", 0.5}, {"acc", 0.25}});
  const EventFilePosition at_checkpoint = w.sync();
  w.scalars(2, {{"loss", 0.4}});
  w.scalars(3, {{"loss", 0.3}});
  CHECK(steps_of(path) == std::vector<int64_t>{0, 1, 2, 3});

  std::string note;
  SUBCASE("the steps after the checkpoint go, the new ones follow") {
    EventFileWriter r = EventFileWriter::reopen(dir, at_checkpoint, note);
    CHECK(note.empty());
    CHECK(r.path() == path);
    r.scalars(2, {{"loss", 0.41}});
    std::string damage;
    const auto events = read_events(path, damage);
    CHECK(damage.empty());
    REQUIRE(events.size() == 3);
    CHECK(events[0].file_version() == "brain.Event:2");
    CHECK(events[2].step() == 2);
    CHECK(events[2].summary().value(0).simple_value() == 0.41f);
    CHECK(event_files_in(dir) == std::vector<std::string>{path});
  }
  SUBCASE("a file shorter than the checkpoint says is cut at its last whole record") {
    w.sync();
    const std::string bytes = read_bytes(path);
    write_bytes(path, bytes.substr(0, at_checkpoint.bytes - 3));  // inside the step-1 record
    EventFileWriter r = EventFileWriter::reopen(dir, at_checkpoint, note);
    CHECK(note.find("continues after byte") != std::string::npos);
    r.scalars(1, {{"loss", 0.5}});
    CHECK(steps_of(path) == std::vector<int64_t>{0, 1});
  }
  SUBCASE("a file with nothing whole gets its version record again") {
    write_bytes(path, "\x01\x02");
    EventFileWriter r = EventFileWriter::reopen(dir, at_checkpoint, note);
    CHECK_FALSE(note.empty());
    std::string damage;
    const auto events = read_events(path, damage);
    REQUIRE(events.size() == 1);
    CHECK(events[0].file_version() == "brain.Event:2");
  }
  SUBCASE("a missing file: a new one") {
    fs::remove(path);
    EventFileWriter r = EventFileWriter::reopen(dir, at_checkpoint, note);
    CHECK(note.find("missing") != std::string::npos);
    CHECK(fs::exists(r.path()));
  }
}

TEST_CASE("tensorboard: images and histograms are stored as TensorBoard reads them") {
  TempDir tmp("tb_values");
  EventFileWriter w = EventFileWriter::create(tmp.dir());
  w.image(4, "samples", 3, 2, 1, std::string("\x89PNG fake", 9));
  w.histogram(4, "adaptive/G.out.BHSA.lambda", {0.1, 0.2, 0.2});
  w.scalars(5, {{"third", 1.0 / 3.0}});
  CHECK_THROWS_WITH(w.image(4, "rgba", 1, 1, 4, "x"), doctest::Contains("4 channels"));
  std::string damage;
  const auto events = read_events(w.path(), damage);
  REQUIRE(events.size() == 4);
  const auto& img = events[1].summary().value(0);
  CHECK(img.tag() == "samples");
  CHECK(img.image().width() == 3);
  CHECK(img.image().height() == 2);
  CHECK(img.image().colorspace() == 1);
  CHECK(img.image().encoded_image_string().size() == 9);
  const auto& h = events[2].summary().value(0).histo();
  CHECK(h.num() == 3);
  CHECK(h.max() == 0.2);
  CHECK(events[3].summary().value(0).simple_value() == static_cast<float>(1.0 / 3.0));
  CHECK(events[3].wall_time() >= events[0].wall_time());
  CHECK(events[0].wall_time() > 1.7e9);  // seconds since 1970, not since boot
}
