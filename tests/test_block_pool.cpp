// The caching allocator's bookkeeping (kernels/memory/block_pool.h) on host memory with fake
// events: size classes, splitting, merging, best fit, the two pools, per-stream reuse, blocks
// held back for other streams (also across a graph capture), the out-of-memory retry, trimming,
// segments held for captured graphs, the counters, bad pointers, and a randomized run checking
// that live blocks never overlap and that everything freed merges back into whole segments.
// Runs in every build.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/memory/block_pool.h"
#include "kernels/memory/size_classes.h"
#include "tests/test_helpers.h"

using aafgan::testing::contains;

namespace {

namespace mem = aafgan::kernels::memory;
using mem::BlockPool;
using mem::EventId;
using mem::StreamId;

constexpr size_t KiB = 1024;
constexpr size_t MiB = 1024 * KiB;
constexpr StreamId s1 = 1, s2 = 2, s3 = 3;

// Host memory as segments, and events that complete when a test says so (finish) or on
// synchronize, like cudaDeviceSynchronize.
class HostSource : public mem::SegmentSource {
 public:
  size_t limit = SIZE_MAX;               // beyond this many bytes in segments: out of memory
  bool throw_next = false;               // the next allocate_segment fails with an exception
  std::set<StreamId> capturing_streams;  // streams "being captured"
  std::map<std::uintptr_t, size_t> segments;  // handed out and not given back
  size_t in_use = 0;
  std::vector<size_t> sizes;  // of every segment handed out, in order
  int synchronize_calls = 0;
  int allocs_during_capture = 0;
  int events_recorded = 0;
  struct Event {
    StreamId stream;
    bool done;
  };
  std::map<EventId, Event> events;  // recorded and not destroyed

  ~HostSource() override {
    for (const auto& [p, n] : segments) std::free(reinterpret_cast<void*>(p));
  }

  void* allocate_segment(size_t bytes, bool during_capture) override {
    if (during_capture) ++allocs_during_capture;
    if (throw_next) {
      throw_next = false;
      throw std::runtime_error("host source failure");
    }
    if (bytes > limit - in_use) return nullptr;
    void* p = std::aligned_alloc(4096, bytes);
    REQUIRE(p != nullptr);
    segments[reinterpret_cast<std::uintptr_t>(p)] = bytes;
    in_use += bytes;
    sizes.push_back(bytes);
    return p;
  }
  void free_segment(void* p, size_t bytes) override {
    const auto it = segments.find(reinterpret_cast<std::uintptr_t>(p));
    CHECK(it != segments.end());
    if (it == segments.end()) return;
    CHECK(it->second == bytes);
    in_use -= it->second;
    segments.erase(it);
    std::free(p);
  }
  void synchronize() override {
    ++synchronize_calls;
    for (auto& [id, e] : events) e.done = true;
  }
  bool capturing(StreamId stream) override { return capturing_streams.count(stream) > 0; }
  EventId record_event(StreamId stream) override {
    const EventId id = ++next_event_;
    events[id] = Event{stream, false};
    ++events_recorded;
    return id;
  }
  bool event_completed(EventId id) override { return events.at(id).done; }
  void destroy_event(EventId id) noexcept override { events.erase(id); }

  // The work enqueued on `stream` so far has finished.
  void finish(StreamId stream) {
    for (auto& [id, e] : events)
      if (e.stream == stream) e.done = true;
  }
  // Whether [p, p + bytes) lies inside one segment.
  bool holds(const char* p, size_t bytes) const {
    const auto addr = reinterpret_cast<std::uintptr_t>(p);
    auto it = segments.upper_bound(addr);
    if (it == segments.begin()) return false;
    --it;
    return addr - it->first + bytes <= it->second;
  }

 private:
  EventId next_event_ = 0;
};

char* alloc(BlockPool& pool, size_t bytes, StreamId stream = s1) {
  void* p = pool.allocate(bytes, stream);
  REQUIRE(p != nullptr);
  return static_cast<char*>(p);
}

template <typename F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("block pool: sizes are rounded to 512 bytes and sorted into pools by size") {
  static_assert(mem::round_size(1) == 512);
  static_assert(mem::round_size(512) == 512);
  static_assert(mem::round_size(513) == 1024);
  static_assert(mem::round_size(MiB) == MiB);
  static_assert(mem::round_size(MiB + 1) == MiB + 512);
  static_assert(mem::in_small_pool(MiB) && !mem::in_small_pool(MiB + 512));
  static_assert(mem::segment_size(512) == 2 * MiB);
  static_assert(mem::segment_size(MiB) == 2 * MiB);
  static_assert(mem::segment_size(MiB + 512) == 20 * MiB);
  static_assert(mem::segment_size(10 * MiB - 512) == 20 * MiB);
  static_assert(mem::segment_size(10 * MiB) == 10 * MiB);
  static_assert(mem::segment_size(10 * MiB + 512) == 12 * MiB);
  static_assert(mem::worth_splitting(true, 512) && !mem::worth_splitting(true, 0));
  static_assert(!mem::worth_splitting(false, MiB) && mem::worth_splitting(false, MiB + 512));
  // The largest request still rounds without overflowing.
  CHECK(mem::segment_size(mem::round_size(mem::kMaxRequestBytes)) >= mem::kMaxRequestBytes);
}

TEST_CASE("block pool: one small segment serves several requests by splitting") {
  HostSource src;
  BlockPool pool(src);
  char* a = alloc(pool, 600 * KiB);
  char* b = alloc(pool, 600 * KiB);
  char* c = alloc(pool, 100);
  CHECK(b == a + 600 * KiB);
  CHECK(c == b + 600 * KiB);
  CHECK(src.sizes == std::vector<size_t>{2 * MiB});
  const mem::PoolStats s = pool.stats();
  CHECK(s.segments == 1);
  CHECK(s.segment_allocs == 1);
  CHECK(s.cache_hits == 2);
  CHECK(s.allocated_bytes == 1200 * KiB + 512);
  CHECK(s.reserved_bytes == 2 * MiB);
  CHECK(s.cached_bytes == 2 * MiB - s.allocated_bytes);
}

TEST_CASE("block pool: freed neighbours merge, and the merged block serves a larger request") {
  HostSource src;
  BlockPool pool(src);
  std::vector<char*> p;
  for (int i = 0; i < 6; ++i) p.push_back(alloc(pool, 300 * KiB));
  for (int i = 1; i < 6; ++i) REQUIRE(p[i] == p[0] + i * 300 * KiB);
  // Two 300 KiB holes side by side (the tail, 248 KiB, is too small): only their merge can
  // serve 600 KiB without a new segment.
  pool.free(p[2]);
  pool.free(p[3]);
  char* q = alloc(pool, 600 * KiB);
  CHECK(q == p[2]);
  CHECK(src.sizes.size() == 1);
  // A block freed between two free ones merges both ways.
  pool.free(q);
  pool.free(p[0]);
  pool.free(p[1]);  // p[0] before it is free, the 600 KiB hole after it too
  char* r = alloc(pool, MiB);
  CHECK(r == p[0]);
  CHECK(src.sizes.size() == 1);
  pool.free(r);
  pool.free(p[4]);
  pool.free(p[5]);
  // Everything freed: the segment is one block again, so it can be given back.
  CHECK(pool.empty_cache() == 2 * MiB);
  CHECK(src.segments.empty());
}

TEST_CASE("block pool: best fit takes the smallest free block that is large enough") {
  HostSource src;
  BlockPool pool(src);
  char* a = alloc(pool, 100 * KiB);
  alloc(pool, 8 * KiB);  // live separators keep the freed blocks apart
  char* b = alloc(pool, 50 * KiB);
  alloc(pool, 8 * KiB);
  char* c = alloc(pool, 70 * KiB);
  alloc(pool, 8 * KiB);
  pool.free(a);
  pool.free(b);
  pool.free(c);
  const uint64_t hits = pool.stats().cache_hits;
  CHECK(alloc(pool, 60 * KiB) == c);            // 70 KiB fits best, not 100 KiB or the tail
  CHECK(alloc(pool, 10 * KiB) == c + 60 * KiB);  // the 10 KiB split off it
  CHECK(alloc(pool, 50 * KiB) == b);
  CHECK(alloc(pool, 90 * KiB) == a);
  CHECK(pool.stats().cache_hits == hits + 4);
  CHECK(src.sizes.size() == 1);
}

TEST_CASE("block pool: small and large requests come from separate pools") {
  HostSource src;
  BlockPool pool(src);
  char* big = alloc(pool, 2 * MiB);
  CHECK(src.sizes == std::vector<size_t>{20 * MiB});
  pool.free(big);
  // A free 20 MiB large-pool block does not serve a small request...
  char* small = alloc(pool, 512);
  CHECK(src.sizes == std::vector<size_t>{20 * MiB, 2 * MiB});
  CHECK(!(small >= big && small < big + 20 * MiB));
  pool.free(small);
  // ... nor a wholly free small segment a large one.
  CHECK(alloc(pool, MiB + 512) == big);
  CHECK(src.sizes.size() == 2);
}

TEST_CASE("block pool: large blocks split only when more than 1 MiB would be left") {
  HostSource src;
  BlockPool pool(src);
  alloc(pool, 19 * MiB);  // its own 20 MiB segment; the 1 MiB left stays with the block
  CHECK(pool.stats().allocated_bytes == 20 * MiB);
  char* b = alloc(pool, 5 * MiB);  // a shared 20 MiB segment, 15 MiB split off
  CHECK(pool.stats().allocated_bytes == 25 * MiB);
  char* c = alloc(pool, 11 * MiB);  // from those 15 MiB, leaving 4 MiB
  CHECK(c == b + 5 * MiB);
  CHECK(pool.stats().allocated_bytes == 36 * MiB);
  alloc(pool, 11 * MiB);  // 4 MiB cannot serve it: its own 12 MiB segment, not split
  CHECK(src.sizes == std::vector<size_t>{20 * MiB, 20 * MiB, 12 * MiB});
  CHECK(pool.stats().allocated_bytes == 48 * MiB);
}

TEST_CASE("block pool: a block is reused only by the stream it was allocated on") {
  HostSource src;
  BlockPool pool(src);
  char* a = alloc(pool, 4096, s1);
  pool.free(a);
  char* b = alloc(pool, 4096, s2);
  CHECK(src.sizes.size() == 2);
  CHECK(!(b >= a && b < a + 2 * MiB));
  CHECK(alloc(pool, 4096, s1) == a);
  CHECK(src.sizes.size() == 2);
}

TEST_CASE("block pool: a block used by another stream is reused only after that stream's event completes") {
  HostSource src;
  BlockPool pool(src);
  char* a = alloc(pool, 600 * KiB, s1);
  pool.record_stream(a, s2);
  pool.record_stream(a, s2);  // once is enough
  pool.record_stream(a, s1);  // its own stream needs nothing
  pool.free(a);
  CHECK(src.events_recorded == 1);
  CHECK(pool.stats().pending_free_blocks == 1);
  CHECK(pool.stats().allocated_bytes == 0);
  char* b = alloc(pool, 600 * KiB, s1);
  CHECK(b == a + 600 * KiB);  // not a: s2 may still be using it
  pool.free(b);
  char* c = alloc(pool, 600 * KiB, s1);
  CHECK(c == b);
  pool.free(c);
  src.finish(s2);
  CHECK(alloc(pool, 600 * KiB, s1) == a);
  CHECK(pool.stats().pending_free_blocks == 0);
  CHECK(src.events.empty());
  CHECK(src.sizes.size() == 1);
}

TEST_CASE("block pool: a block freed during a graph capture waits for an event recorded after it") {
  HostSource src;
  BlockPool pool(src);
  char* a = alloc(pool, 600 * KiB, s1);
  pool.record_stream(a, s2);
  src.capturing_streams = {s1};
  pool.free(a);
  CHECK(src.events_recorded == 0);  // an event recorded in the capture could not be queried
  char* b = alloc(pool, 600 * KiB, s1);
  CHECK(b != a);
  CHECK(src.events_recorded == 0);
  src.capturing_streams.clear();
  char* c = alloc(pool, 600 * KiB, s1);  // the capture is over: the event is recorded now
  CHECK(src.events_recorded == 1);
  CHECK(c != a);
  src.finish(s2);
  CHECK(alloc(pool, 600 * KiB, s1) == a);
  CHECK(pool.stats().pending_free_blocks == 0);
}

TEST_CASE("block pool: out of memory waits, gives back wholly free segments and retries once") {
  HostSource src;
  src.limit = 4 * MiB;
  BlockPool pool(src);

  pool.free(alloc(pool, MiB, s2));  // a wholly free segment of s2 stays cached
  alloc(pool, MiB, s1);
  CHECK(src.in_use == 4 * MiB);
  // s3 needs a segment: the first try fails, s2's segment is given back, the retry succeeds.
  CHECK(pool.allocate(4096, s3) != nullptr);
  CHECK(src.synchronize_calls == 1);
  mem::PoolStats s = pool.stats();
  CHECK(s.segment_allocs == 4);
  CHECK(s.segment_frees == 1);
  CHECK(s.segments == 2);
  // Nothing left to give back: nullptr, after one retry.
  CHECK(pool.allocate(4096, s2) == nullptr);
  CHECK(src.synchronize_calls == 2);
  CHECK(pool.stats().segment_allocs == 6);
  // Over the largest request: out of memory without asking the source.
  CHECK(pool.allocate(mem::kMaxRequestBytes + 1, s1) == nullptr);
  CHECK(pool.stats().segment_allocs == 6);
}

TEST_CASE("block pool: out of memory takes back blocks held for other streams after waiting") {
  HostSource src;
  src.limit = 2 * MiB;
  BlockPool pool(src);
  char* x = alloc(pool, MiB, s1);
  alloc(pool, MiB, s1);  // the segment is full
  pool.record_stream(x, s2);
  pool.free(x);  // held back: s2's event has not completed
  CHECK(alloc(pool, MiB, s1) == x);  // after synchronize the event has completed
  CHECK(src.synchronize_calls == 1);
  CHECK(pool.stats().segment_frees == 0);
  CHECK(pool.stats().pending_free_blocks == 0);
}

TEST_CASE("block pool: out of memory during a capture neither waits nor frees") {
  HostSource src;
  src.limit = 4 * MiB;
  BlockPool pool(src);
  pool.free(alloc(pool, MiB, s2));  // wholly free, would be given back outside a capture
  alloc(pool, MiB, s1);
  src.capturing_streams = {s1};
  CHECK(pool.allocate(MiB + 512, s1) == nullptr);
  CHECK(src.synchronize_calls == 0);
  CHECK(src.allocs_during_capture == 1);
  CHECK(pool.stats().segment_frees == 0);
  CHECK(src.segments.size() == 2);
  // A cached block still serves the capture.
  CHECK(pool.allocate(512 * KiB, s1) != nullptr);
}

TEST_CASE("block pool: a captured graph's segment survives empty_cache and the out-of-memory retry until its hold is released") {
  HostSource src;
  src.limit = 4 * MiB;
  BlockPool pool(src);
  // The captured step's temporary: allocated and freed inside the capture, as a step's
  // temporaries are; the graph keeps writing it on every replay.
  src.capturing_streams = {s1};
  char* t = alloc(pool, MiB, s1);
  pool.free(t);
  src.capturing_streams.clear();
  const mem::HoldId graph = pool.end_capture(s1);
  CHECK(graph != 0);
  CHECK(pool.stats().held_segments == 1);
  CHECK(pool.stats().held_bytes == 2 * MiB);

  CHECK(pool.empty_cache() == 0);
  CHECK(src.holds(t, MiB));
  // Out of memory on another stream: after waiting, the wholly free but held segment stays.
  alloc(pool, 600 * KiB, s2);
  CHECK(src.in_use == 4 * MiB);
  CHECK(pool.allocate(600 * KiB, s3) == nullptr);
  CHECK(src.synchronize_calls == 2);
  CHECK(pool.stats().segment_frees == 0);
  CHECK(src.holds(t, MiB));
  // Eager work on the graph's stream between replays still reuses the block.
  char* again = alloc(pool, MiB, s1);
  CHECK(again == t);
  pool.free(again);
  CHECK(pool.stats().held_segments == 1);  // eager use neither adds nor drops a hold

  // The graph is destroyed: the segment is trimmable again, by the retry as by empty_cache.
  pool.release_hold(graph);
  CHECK(pool.stats().held_segments == 0);
  CHECK(pool.stats().held_bytes == 0);
  CHECK(pool.allocate(600 * KiB, s3) != nullptr);
  CHECK(pool.stats().segment_frees == 1);  // the graph's segment made room
  CHECK(pool.stats().segments == 2);
  CHECK_THROWS_AS(pool.release_hold(graph), std::invalid_argument);
  CHECK(contains(message_of([&] { pool.release_hold(graph); }), "not outstanding"));
  pool.release_hold(0);
}

TEST_CASE("block pool: empty_cache gives a released graph's segment back, and a stream not captured is unaffected") {
  HostSource src;
  BlockPool pool(src);
  char* a = alloc(pool, 600 * KiB, s1);  // before the capture, freed inside it
  char* b = alloc(pool, 600 * KiB, s2);
  src.capturing_streams = {s1};
  pool.free(a);
  pool.free(b);                           // s2 is not being captured
  pool.free(alloc(pool, 5 * MiB, s2));    // nor here: a large segment of its own
  src.capturing_streams.clear();
  CHECK(pool.end_capture(s2) == 0);
  const mem::HoldId graph = pool.end_capture(s1);
  CHECK(graph != 0);
  CHECK(pool.end_capture(s1) == 0);  // that capture is accounted for
  CHECK(pool.stats().segments == 3);
  CHECK(pool.empty_cache() == 22 * MiB);  // s2's small and large segments
  CHECK(src.holds(a, 600 * KiB));
  CHECK(!src.holds(b, 600 * KiB));
  CHECK(pool.stats().held_segments == 1);
  pool.release_hold(graph);
  CHECK(pool.empty_cache() == 2 * MiB);
  CHECK(src.segments.empty());
  CHECK(pool.stats().segments == 0);
}

TEST_CASE("block pool: a segment two graphs use is held until both are destroyed") {
  HostSource src;
  BlockPool pool(src);
  mem::HoldId graphs[2] = {0, 0};
  char* first = nullptr;
  for (mem::HoldId& g : graphs) {
    src.capturing_streams = {s1};
    char* t = alloc(pool, 600 * KiB, s1);
    if (!first) first = t;
    CHECK(t == first);  // the second capture reuses the first one's freed block
    pool.free(t);
    src.capturing_streams.clear();
    g = pool.end_capture(s1);
  }
  CHECK(graphs[0] != 0);
  CHECK(graphs[1] != 0);
  CHECK(graphs[0] != graphs[1]);
  CHECK(pool.stats().held_segments == 1);
  pool.release_hold(graphs[0]);
  CHECK(pool.empty_cache() == 0);
  CHECK(pool.stats().held_segments == 1);
  pool.release_hold(graphs[1]);
  CHECK(pool.empty_cache() == 2 * MiB);
}

TEST_CASE("block pool: a capture in progress holds its segments against another stream's out-of-memory retry") {
  HostSource src;
  src.limit = 4 * MiB;
  BlockPool pool(src);
  src.capturing_streams = {s1};
  char* t = alloc(pool, 600 * KiB, s1);
  pool.free(t);  // the capture goes on; the graph does not exist yet
  alloc(pool, 600 * KiB, s2);
  CHECK(pool.allocate(600 * KiB, s3) == nullptr);
  CHECK(src.holds(t, 600 * KiB));
  CHECK(pool.stats().segment_frees == 0);
  // A discarded capture releases its hold at once: the segment goes at the next retry.
  src.capturing_streams.clear();
  pool.release_hold(pool.end_capture(s1));
  CHECK(pool.allocate(600 * KiB, s3) != nullptr);
  CHECK(pool.stats().segment_frees == 1);
  CHECK(pool.stats().held_segments == 0);
}

TEST_CASE("block pool: empty_cache gives back only wholly free segments") {
  HostSource src;
  BlockPool pool(src);
  char* a1 = alloc(pool, 600 * KiB, s1);
  alloc(pool, 600 * KiB, s1);  // keeps a1's segment partly used
  pool.free(a1);
  pool.free(alloc(pool, 600 * KiB, s2));
  pool.free(alloc(pool, 5 * MiB, s1));  // a 20 MiB large segment
  char* d = alloc(pool, 600 * KiB, s3);
  pool.record_stream(d, s2);
  pool.free(d);  // held back until the synchronisation inside empty_cache
  CHECK(pool.stats().segments == 4);
  CHECK(pool.empty_cache() == 24 * MiB);
  CHECK(src.synchronize_calls == 1);
  const mem::PoolStats s = pool.stats();
  CHECK(s.segments == 1);
  CHECK(s.segment_frees == 3);
  CHECK(s.reserved_bytes == 2 * MiB);
  CHECK(s.pending_free_blocks == 0);
  CHECK(src.segments.size() == 1);
  CHECK(alloc(pool, 600 * KiB, s1) == a1);  // the kept segment still serves
}

TEST_CASE("block pool: the counters follow allocations, reuse and trimming") {
  HostSource src;
  BlockPool pool(src);
  char* a = alloc(pool, 1000);
  char* b = alloc(pool, 3 * MiB);
  mem::PoolStats s = pool.stats();
  CHECK(s.allocated_bytes == 1024 + 3 * MiB);
  CHECK(s.peak_allocated_bytes == s.allocated_bytes);
  CHECK(s.reserved_bytes == 22 * MiB);
  CHECK(s.cached_bytes == 22 * MiB - s.allocated_bytes);
  CHECK(s.segments == 2);
  CHECK(s.segment_allocs == 2);
  CHECK(s.cache_hits == 0);
  pool.free(b);
  CHECK(pool.stats().allocated_bytes == 1024);
  CHECK(pool.stats().peak_allocated_bytes == 1024 + 3 * MiB);
  CHECK(alloc(pool, 3 * MiB) == b);
  CHECK(pool.stats().cache_hits == 1);
  pool.free(b);
  pool.free(a);
  pool.empty_cache();
  s = pool.stats();
  CHECK(s.allocated_bytes == 0);
  CHECK(s.reserved_bytes == 0);
  CHECK(s.cached_bytes == 0);
  CHECK(s.segments == 0);
  CHECK(s.segment_frees == 2);
  CHECK(s.peak_allocated_bytes == 1024 + 3 * MiB);
}

TEST_CASE("block pool: bad pointers and sizes are refused with a reason") {
  HostSource src;
  BlockPool pool(src);
  CHECK_THROWS_AS(pool.allocate(0, s1), std::invalid_argument);
  CHECK(contains(message_of([&] { pool.allocate(0, s1); }), "0 bytes"));
  pool.free(nullptr);

  int local = 0;
  CHECK_THROWS_AS(pool.free(&local), std::invalid_argument);
  CHECK(contains(message_of([&] { pool.free(&local); }), "not allocated by this allocator"));
  CHECK(!pool.contains(&local));

  char* a = alloc(pool, 4096);
  char* b = alloc(pool, 4096);
  CHECK(pool.contains(a + 100));
  CHECK(contains(message_of([&] { pool.free(b + 512); }), "not at the start of a live block"));
  pool.free(a);
  CHECK(contains(message_of([&] { pool.free(a); }), "freed already"));
  pool.free(b);  // merges into a
  CHECK(contains(message_of([&] { pool.free(b); }), "freed already"));
  CHECK_THROWS_AS(pool.record_stream(b, s2), std::invalid_argument);

  char* h = alloc(pool, 4096);
  pool.record_stream(h, s2);
  pool.free(h);
  CHECK(contains(message_of([&] { pool.free(h); }), "held back"));

  // A failing source leaves the pool as it was.
  const mem::PoolStats before = pool.stats();
  src.throw_next = true;
  CHECK(message_of([&] { pool.allocate(4096, s3); }) == "host source failure");
  const mem::PoolStats after = pool.stats();
  CHECK(after.segments == before.segments);
  CHECK(after.allocated_bytes == before.allocated_bytes);
  CHECK(after.segment_allocs == before.segment_allocs + 1);
  CHECK(pool.allocate(4096, s3) != nullptr);
}

TEST_CASE("block pool: destroying the pool gives every segment back") {
  HostSource src;
  {
    BlockPool pool(src);
    alloc(pool, 4096);
    alloc(pool, 30 * MiB);
    char* h = alloc(pool, 4096, s2);
    pool.record_stream(h, s3);
    pool.free(h);
    CHECK(src.segments.size() == 3);
    CHECK(src.events.size() == 1);
  }
  CHECK(src.segments.empty());
  CHECK(src.events.empty());
}

TEST_CASE("block pool: randomized use keeps live blocks apart and merges back into whole segments") {
  HostSource src;
  src.limit = 768 * MiB;  // now and then out of memory, so that the retry runs too
  BlockPool pool(src);
  std::mt19937_64 rng(12345);
  const auto uniform = [&](uint64_t lo, uint64_t hi) { return std::uniform_int_distribution<uint64_t>(lo, hi)(rng); };
  struct Live {
    size_t bytes;
    StreamId stream;
    char tag;
  };
  std::map<char*, Live> live;
  const auto random_live = [&] {
    auto it = live.begin();
    std::advance(it, static_cast<std::ptrdiff_t>(uniform(0, live.size() - 1)));
    return it;
  };
  int allocations = 0, failures = 0;
  for (int step = 0; step < 20000; ++step) {
    const uint64_t op = uniform(0, 99);
    if (op < 55 && live.size() < 300) {
      const uint64_t kind = uniform(0, 99);
      const size_t bytes = kind < 70 ? uniform(1, MiB) : kind < 95 ? uniform(MiB + 1, 10 * MiB) : uniform(10 * MiB, 40 * MiB);
      const StreamId stream = uniform(1, 3);
      char* p = static_cast<char*>(pool.allocate(bytes, stream));
      if (!p) {
        ++failures;
        continue;
      }
      ++allocations;
      REQUIRE(reinterpret_cast<std::uintptr_t>(p) % mem::kMinBlockBytes == 0);
      REQUIRE(src.holds(p, bytes));
      const auto next = live.lower_bound(p);
      if (next != live.end()) REQUIRE(p + bytes <= next->first);
      if (next != live.begin()) {
        const auto prev = std::prev(next);
        REQUIRE(prev->first + prev->second.bytes <= p);
      }
      const char tag = static_cast<char>(uniform(1, 120));
      p[0] = tag;
      p[bytes - 1] = tag;
      live[p] = Live{bytes, stream, tag};
    } else if (op < 90 && !live.empty()) {
      const auto it = random_live();
      REQUIRE(it->first[0] == it->second.tag);  // nothing else wrote into it
      REQUIRE(it->first[it->second.bytes - 1] == it->second.tag);
      pool.free(it->first);
      live.erase(it);
    } else if (op < 95 && !live.empty()) {
      pool.record_stream(random_live()->first, uniform(1, 3));
    } else if (op < 99) {
      src.finish(uniform(1, 3));
    } else {
      pool.empty_cache();
    }
    const mem::PoolStats s = pool.stats();
    REQUIRE(s.reserved_bytes == src.in_use);
    REQUIRE(s.segments == src.segments.size());
    size_t requested = 0;
    for (const auto& [p, l] : live) requested += l.bytes;
    REQUIRE(s.allocated_bytes >= requested);
  }
  CHECK(allocations > 5000);
  CHECK(failures > 0);
  for (const auto& [p, l] : live) pool.free(p);
  for (StreamId s : {s1, s2, s3}) src.finish(s);
  pool.empty_cache();
  // Every segment was one free block again, so every one went back.
  CHECK(src.segments.empty());
  const mem::PoolStats s = pool.stats();
  CHECK(s.allocated_bytes == 0);
  CHECK(s.reserved_bytes == 0);
  CHECK(s.pending_free_blocks == 0);
  CHECK(src.events.empty());
}
