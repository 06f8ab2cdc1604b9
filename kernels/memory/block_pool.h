#pragma once
// defines: StreamId, EventId, SegmentSource, BlockPool (its counters: pool_stats.h)
//
// The bookkeeping of a caching allocator, in the style of PyTorch's CUDACachingAllocator, as
// plain C++: the CUDA layer (kernels/cuda/device_allocator.cu) supplies memory and events
// through SegmentSource, and the tests supply host memory and fake events, so that every rule
// below is tested on machines without a GPU.
//
// Why it is shaped this way:
// - A training step asks for the same sizes every step, so freed blocks are kept and handed
//   out again: the steady state makes no cudaMalloc (slow, and it may synchronise the device)
//   and no cudaFree (which does).
// - Segments (what the source hands out) are cut into blocks (what callers get): best fit over
//   the free blocks, the remainder split off when it is worth keeping (size_classes.h), and a
//   freed block merged with its free neighbours in the same segment, so that memory freed in
//   small pieces can serve a large request later. A segment that is one free block again can
//   be given back (empty_cache, and the out-of-memory retry).
// - Blocks are reused without synchronising only by the stream they were allocated on: work
//   on one stream runs in order, so the next user of a block runs after the last one. A block
//   that another stream also used (record_stream) is kept back when freed until events
//   recorded on those streams at free time have completed.
// - While a stream is being captured into a CUDA graph nothing may synchronise, free memory or
//   query events recorded in the capture. The pool then neither trims nor waits: a block
//   allocated or freed in a capture is host bookkeeping only and keeps its address, so the
//   captured graph's addresses stay valid; events for blocks freed then are recorded only
//   after the capture.
// - A graph replays with the addresses it was captured with, long after its temporaries went
//   back to the pool when the capture ended. Reusing those blocks between replays is fine (the
//   work runs in stream order with the replays), but giving their segment back to the source
//   is not: the next replay would write memory the driver may have handed to someone else.
//   So every segment in which a block was allocated or freed while a stream was being
//   captured is held by that capture; end_capture turns what the capture touched into a hold
//   that the graph's owner releases when it destroys the graph. Trimming (empty_cache, the
//   out-of-memory retry) never gives back a held segment.
//
// Not thread-safe: the CUDA layer holds one mutex around every call.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kernels/memory/pool_stats.h"

namespace aafgan::kernels::memory {

// A stream (a cudaStream_t in production, any value in tests) and an event on one.
using StreamId = std::uintptr_t;
using EventId = std::uintptr_t;
// The segments one ended capture touched, kept from the source until released (end_capture);
// 0 holds nothing.
using HoldId = std::uint64_t;

// Where the pool's memory and events come from (cudaMalloc and cudaEvent_t in production).
class SegmentSource {
 public:
  virtual ~SegmentSource() = default;
  // `bytes` of fresh memory; nullptr when out of memory. Blocks are aligned as the segment's
  // base is, up to kMinBlockBytes (cudaMalloc: at least 256 bytes).
  // Any other failure throws. `during_capture`: a stream is being captured right now (CUDA
  // then needs the call made in relaxed capture mode).
  virtual void* allocate_segment(size_t bytes, bool during_capture) = 0;
  virtual void free_segment(void* ptr, size_t bytes) = 0;
  // Waits until no enqueued work can still use any of this source's memory.
  virtual void synchronize() = 0;
  // Whether `stream` is being captured into a graph now.
  virtual bool capturing(StreamId stream) = 0;
  // An event that completes once the work enqueued on `stream` so far has finished.
  virtual EventId record_event(StreamId stream) = 0;
  // Whether that work has finished; never blocks.
  virtual bool event_completed(EventId event) = 0;
  virtual void destroy_event(EventId event) noexcept = 0;
};

class BlockPool {
 public:
  explicit BlockPool(SegmentSource& source);
  // Gives every segment back to the source, blocks still in use included, and destroys the
  // outstanding events: destroy a pool only when nothing uses its memory.
  ~BlockPool();
  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;

  // A block of at least `bytes` (1 … kMaxRequestBytes) for work on `stream`; nullptr when
  // the source is out of memory, after (unless `stream` is being captured) synchronising,
  // giving back every wholly free segment and asking once more. 0 bytes throws
  // std::invalid_argument. A failure of the source propagates and leaves the pool unchanged.
  void* allocate(size_t bytes, StreamId stream);
  // Returns a block from allocate. Reusable at once by its stream unless record_stream named
  // other streams. nullptr is a no-op; any other pointer that is not a live block throws
  // std::invalid_argument saying whether it was freed already or is not this pool's.
  void free(void* ptr);
  // Marks that work on `stream` uses the live block `ptr`, so that the block is not reused
  // before that work is done. Its own stream is a no-op. Each stream named here must still
  // exist when the block is freed (an event is recorded on it then).
  void record_stream(void* ptr, StreamId stream);
  // Waits for the source (synchronize), takes back every block held for other streams, and
  // gives back every wholly free segment that no capture or graph holds. Returns the bytes
  // given back. Must not be called while a stream is being captured (the caller checks: the
  // pool cannot name every stream).
  size_t empty_cache();

  // The capture of `stream` has ended, into a graph or discarded: the segments in which a
  // block was allocated or freed while `stream` was being captured stay held, now by the
  // returned hold, until release_hold. 0 when the capture touched no segment (or the pool saw
  // no capture of `stream`). Whoever ends a capture must call this, or its segments stay held
  // for the life of the pool; a discarded capture's hold may be released at once.
  HoldId end_capture(StreamId stream);
  // The graph that owned `hold` is gone: its segments are given back by the next trim once
  // wholly free and held by nothing else. 0 is a no-op; a hold not outstanding (released
  // already, or never returned) throws std::invalid_argument.
  void release_hold(HoldId hold);

  PoolStats stats() const;
  // Whether `ptr` lies inside one of this pool's segments (live, free or held back).
  bool contains(const void* ptr) const;

 private:
  struct Segment;
  // A piece of a segment. Blocks of one segment form an address-ordered doubly linked list;
  // the segment's first block is never deleted (merging keeps the lower block), so a segment
  // is wholly free when that block is free and has no successor.
  struct Block {
    std::uintptr_t addr = 0;
    size_t size = 0;
    StreamId stream = 0;  // the segment's stream, copied here for the free-set order
    bool small = false;   // the segment's pool
    bool allocated = false;  // handed out, or freed and still held back for other streams
    int pending_events = 0;  // events still to complete before a freed block is reusable
    Block* prev = nullptr;
    Block* next = nullptr;
    Segment* segment = nullptr;
    std::vector<StreamId> uses;  // other streams that used it (record_stream), no repeats
  };
  struct Segment {
    std::uintptr_t base = 0;
    size_t bytes = 0;
    Block* head = nullptr;
    int holds = 0;  // captures in progress and graphs whose addresses lie here: never trimmed
  };
  // Best fit: for one stream, the smallest block first, and the lowest address among equals.
  struct BlockOrder {
    bool operator()(const Block* a, const Block* b) const;
  };
  using FreeSet = std::set<Block*, BlockOrder>;

  FreeSet& free_set(const Block* b) { return b->small ? small_free_ : large_free_; }
  Block* take_free(size_t size, StreamId stream, bool small);
  Block* grow(size_t size, StreamId stream, bool small, bool capturing);
  Block* new_segment(size_t bytes, StreamId stream, bool small, bool capturing);
  void split(Block* b, size_t size);
  void release(Block* b);  // a freed block becomes free: merged and put in its free set
  void hold_back(Block* b);
  void record_deferred_events();
  void collect_finished_events();
  void note_capture(Segment& seg, StreamId stream);
  void hold(Segment& seg);
  void unhold(Segment& seg);
  size_t release_free_segments();
  const Segment* segment_of(std::uintptr_t addr) const;
  std::string bad_pointer(const void* ptr) const;

  SegmentSource& source_;
  FreeSet small_free_, large_free_;
  std::unordered_map<std::uintptr_t, Block*> live_;  // by address: blocks handed out
  std::map<std::uintptr_t, Segment> segments_;       // by base address (nodes are stable)
  // Per stream, in recording order (a stream completes its events in that order).
  std::map<StreamId, std::deque<std::pair<EventId, Block*>>> events_;
  // Freed while a stream involved was being captured: events recorded after the capture.
  std::vector<Block*> deferred_;
  // Per stream being captured, the bases of the segments its capture touched so far; then per
  // ended capture, those of its hold. Each entry counts once in its segment's `holds`.
  std::map<StreamId, std::set<std::uintptr_t>> captures_;
  std::unordered_map<HoldId, std::vector<std::uintptr_t>> holds_;
  HoldId last_hold_ = 0;
  PoolStats stats_;
};

}  // namespace aafgan::kernels::memory
