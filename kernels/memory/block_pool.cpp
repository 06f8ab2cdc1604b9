// The caching allocator's bookkeeping: best fit, splitting, merging, per-stream reuse, blocks
// held back for other streams, segments held for CUDA graphs, and giving wholly free segments
// back.
#include "kernels/memory/block_pool.h"

#include <cstdio>
#include <stdexcept>

#include "kernels/memory/size_classes.h"

namespace aafgan::kernels::memory {

namespace {

std::string pointer_str(const void* p) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%p", p);
  return buf;
}

void* as_ptr(std::uintptr_t addr) { return reinterpret_cast<void*>(addr); }

}  // namespace

bool BlockPool::BlockOrder::operator()(const Block* a, const Block* b) const {
  if (a->stream != b->stream) return a->stream < b->stream;
  if (a->size != b->size) return a->size < b->size;
  return a->addr < b->addr;
}

BlockPool::BlockPool(SegmentSource& source) : source_(source) {}

BlockPool::~BlockPool() {
  for (auto& [stream, queue] : events_)
    for (auto& [event, block] : queue) source_.destroy_event(event);
  for (auto& [base, seg] : segments_) {
    try {
      source_.free_segment(as_ptr(base), seg.bytes);
    } catch (...) {
      // A destructor must not throw; the segment is then left to the source's owner.
    }
    for (Block* b = seg.head; b;) {
      Block* next = b->next;
      delete b;
      b = next;
    }
  }
}

void* BlockPool::allocate(size_t bytes, StreamId stream) {
  if (bytes == 0) throw std::invalid_argument("BlockPool::allocate: a request of 0 bytes (callers hand out nullptr for it)");
  if (bytes > kMaxRequestBytes) return nullptr;
  const size_t size = round_size(bytes);
  const bool small = in_small_pool(size);
  const bool capturing = source_.capturing(stream);
  // Querying an event recorded inside a capture is illegal, so blocks held back stay so
  // until the capture ends.
  if (!capturing) {
    record_deferred_events();
    collect_finished_events();
  }
  Block* b = take_free(size, stream, small);
  if (b) {
    ++stats_.cache_hits;
  } else {
    b = grow(size, stream, small, capturing);
    if (!b) return nullptr;
  }
  split(b, size);
  if (capturing) note_capture(*b->segment, stream);
  b->allocated = true;
  live_.emplace(b->addr, b);
  stats_.allocated_bytes += b->size;
  if (stats_.allocated_bytes > stats_.peak_allocated_bytes) stats_.peak_allocated_bytes = stats_.allocated_bytes;
  return as_ptr(b->addr);
}

void BlockPool::free(void* ptr) {
  if (!ptr) return;
  const auto it = live_.find(reinterpret_cast<std::uintptr_t>(ptr));
  if (it == live_.end()) throw std::invalid_argument(bad_pointer(ptr));
  Block* b = it->second;
  // The graph being captured keeps this address: its segment must outlive the graph. Asked
  // before any change, so that a failing query leaves the block live.
  std::vector<StreamId> captured;
  if (source_.capturing(b->stream)) captured.push_back(b->stream);
  for (StreamId s : b->uses)
    if (source_.capturing(s)) captured.push_back(s);
  for (StreamId s : captured) note_capture(*b->segment, s);
  live_.erase(it);
  stats_.allocated_bytes -= b->size;
  if (b->uses.empty())
    release(b);
  else
    hold_back(b);
}

void BlockPool::record_stream(void* ptr, StreamId stream) {
  const auto it = live_.find(reinterpret_cast<std::uintptr_t>(ptr));
  if (it == live_.end()) throw std::invalid_argument("record_stream on a block that is not live: " + bad_pointer(ptr));
  Block* b = it->second;
  if (stream == b->stream) return;
  for (StreamId s : b->uses)
    if (s == stream) return;
  b->uses.push_back(stream);
}

size_t BlockPool::empty_cache() {
  // Events first, so that the synchronisation covers them too.
  record_deferred_events();
  source_.synchronize();
  collect_finished_events();
  return release_free_segments();
}

HoldId BlockPool::end_capture(StreamId stream) {
  const auto it = captures_.find(stream);
  if (it == captures_.end()) return 0;
  const HoldId id = ++last_hold_;
  // The segments' counts carry over from the capture to the hold.
  holds_.emplace(id, std::vector<std::uintptr_t>(it->second.begin(), it->second.end()));
  captures_.erase(it);
  return id;
}

void BlockPool::release_hold(HoldId hold) {
  if (hold == 0) return;
  const auto it = holds_.find(hold);
  if (it == holds_.end())
    throw std::invalid_argument("BlockPool::release_hold: hold " + std::to_string(hold) +
                                " is not outstanding (released already, or never returned by end_capture)");
  for (std::uintptr_t base : it->second) unhold(segments_.at(base));
  holds_.erase(it);
}

PoolStats BlockPool::stats() const {
  PoolStats s = stats_;
  s.cached_bytes = s.reserved_bytes - s.allocated_bytes;
  return s;
}

bool BlockPool::contains(const void* ptr) const { return segment_of(reinterpret_cast<std::uintptr_t>(ptr)) != nullptr; }

BlockPool::Block* BlockPool::take_free(size_t size, StreamId stream, bool small) {
  FreeSet& set = small ? small_free_ : large_free_;
  Block key;
  key.stream = stream;
  key.size = size;
  key.addr = 0;
  const auto it = set.lower_bound(&key);
  if (it == set.end() || (*it)->stream != stream) return nullptr;
  Block* b = *it;
  set.erase(it);
  return b;
}

BlockPool::Block* BlockPool::grow(size_t size, StreamId stream, bool small, bool capturing) {
  const size_t bytes = segment_size(size);
  if (Block* b = new_segment(bytes, stream, small, capturing)) return b;
  // Out of memory. A capture may neither wait nor free: the caller reports it.
  if (capturing) return nullptr;
  // Once the device is idle every held-back block is reusable and merged with its
  // neighbours, which may already serve the request; otherwise wholly free segments (of any
  // stream) go back to the source to make room, and the source is asked once more.
  source_.synchronize();
  collect_finished_events();
  if (Block* b = take_free(size, stream, small)) {
    ++stats_.cache_hits;
    return b;
  }
  release_free_segments();
  return new_segment(bytes, stream, small, false);
}

BlockPool::Block* BlockPool::new_segment(size_t bytes, StreamId stream, bool small, bool capturing) {
  ++stats_.segment_allocs;
  void* p = source_.allocate_segment(bytes, capturing);
  if (!p) return nullptr;
  const auto base = reinterpret_cast<std::uintptr_t>(p);
  const auto after = segments_.lower_bound(base);
  const bool overlaps = segment_of(base) != nullptr || (after != segments_.end() && after->first - base < bytes);
  if (overlaps) {
    source_.free_segment(p, bytes);
    throw std::logic_error("BlockPool: the segment source returned " + pointer_str(p) +
                           ", which overlaps a segment it handed out before");
  }
  Segment& seg = segments_.emplace(base, Segment{base, bytes, nullptr}).first->second;
  Block* b = new Block();
  b->addr = base;
  b->size = bytes;
  b->stream = stream;
  b->small = small;
  b->segment = &seg;
  seg.head = b;
  stats_.reserved_bytes += bytes;
  ++stats_.segments;
  return b;
}

void BlockPool::split(Block* b, size_t size) {
  const size_t rest = b->size - size;
  if (!worth_splitting(b->small, rest)) return;
  Block* r = new Block();
  r->addr = b->addr + size;
  r->size = rest;
  r->stream = b->stream;
  r->small = b->small;
  r->segment = b->segment;
  r->prev = b;
  r->next = b->next;
  if (b->next) b->next->prev = r;
  b->next = r;
  b->size = size;
  free_set(r).insert(r);
}

void BlockPool::release(Block* b) {
  b->allocated = false;
  b->pending_events = 0;
  b->uses.clear();
  // Erase before resizing: the free sets are ordered by size.
  if (Block* p = b->prev; p && !p->allocated) {
    free_set(p).erase(p);
    p->size += b->size;
    p->next = b->next;
    if (b->next) b->next->prev = p;
    delete b;
    b = p;
  }
  if (Block* n = b->next; n && !n->allocated) {
    free_set(n).erase(n);
    b->size += n->size;
    b->next = n->next;
    if (n->next) n->next->prev = b;
    delete n;
  }
  free_set(b).insert(b);
}

void BlockPool::hold_back(Block* b) {
  ++stats_.pending_free_blocks;
  // Through the deferred list, so that a failure to record an event leaves the block held
  // back (retried later) rather than lost or, worse, reusable too early.
  deferred_.push_back(b);
  record_deferred_events();
}

void BlockPool::record_deferred_events() {
  for (size_t i = 0; i < deferred_.size();) {
    Block* b = deferred_[i];
    bool capture = source_.capturing(b->stream);
    for (size_t k = 0; k < b->uses.size() && !capture; ++k) capture = source_.capturing(b->uses[k]);
    if (capture) {
      ++i;
      continue;
    }
    std::vector<EventId> recorded;
    try {
      for (StreamId s : b->uses) recorded.push_back(source_.record_event(s));
    } catch (...) {
      for (EventId e : recorded) source_.destroy_event(e);
      throw;
    }
    for (size_t k = 0; k < recorded.size(); ++k) events_[b->uses[k]].emplace_back(recorded[k], b);
    b->pending_events = static_cast<int>(recorded.size());
    deferred_.erase(deferred_.begin() + static_cast<std::ptrdiff_t>(i));
  }
}

void BlockPool::collect_finished_events() {
  for (auto it = events_.begin(); it != events_.end();) {
    auto& queue = it->second;
    while (!queue.empty() && source_.event_completed(queue.front().first)) {
      const auto [event, b] = queue.front();
      queue.pop_front();
      source_.destroy_event(event);
      if (--b->pending_events == 0) {
        --stats_.pending_free_blocks;
        release(b);
      }
    }
    it = queue.empty() ? events_.erase(it) : std::next(it);
  }
}

void BlockPool::note_capture(Segment& seg, StreamId stream) {
  if (captures_[stream].insert(seg.base).second) hold(seg);
}

void BlockPool::hold(Segment& seg) {
  if (seg.holds++ > 0) return;
  ++stats_.held_segments;
  stats_.held_bytes += seg.bytes;
}

void BlockPool::unhold(Segment& seg) {
  if (--seg.holds > 0) return;
  --stats_.held_segments;
  stats_.held_bytes -= seg.bytes;
}

size_t BlockPool::release_free_segments() {
  size_t released = 0;
  for (auto it = segments_.begin(); it != segments_.end();) {
    Segment& seg = it->second;
    Block* head = seg.head;
    if (head->allocated || head->next || seg.holds > 0) {
      ++it;
      continue;
    }
    source_.free_segment(as_ptr(seg.base), seg.bytes);  // on failure nothing has changed
    free_set(head).erase(head);
    delete head;
    ++stats_.segment_frees;
    --stats_.segments;
    stats_.reserved_bytes -= seg.bytes;
    released += seg.bytes;
    it = segments_.erase(it);
  }
  return released;
}

const BlockPool::Segment* BlockPool::segment_of(std::uintptr_t addr) const {
  auto it = segments_.upper_bound(addr);
  if (it == segments_.begin()) return nullptr;
  --it;
  return addr - it->first < it->second.bytes ? &it->second : nullptr;
}

std::string BlockPool::bad_pointer(const void* ptr) const {
  const std::string p = "pointer " + pointer_str(ptr);
  const auto addr = reinterpret_cast<std::uintptr_t>(ptr);
  const Segment* seg = segment_of(addr);
  if (!seg) return p + " was not allocated by this allocator";
  for (const Block* b = seg->head; b; b = b->next)
    if (b->addr == addr)
      return p + (b->allocated ? " was freed already (and is held back until other streams have passed it)"
                               : " was freed already");
  return p + " points into this allocator's memory but not at the start of a live block (freed already and "
             "merged with a neighbour, or a pointer into a block)";
}

}  // namespace aafgan::kernels::memory
