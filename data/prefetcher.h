#pragma once
// Prepares batches on a background thread while the consumer trains on the previous one.
//
//   Prefetcher<MyBatch> pf(num_batches, [&](int64_t i, MyBatch& b) { ...fill b for batch i... });
//   MyBatch* b;
//   while (pf.next(b)) train(*b);
//
// Batches are produced strictly in index order into a ring of `depth` buffers that are reused,
// so a fill function that resizes its vectors to the same size every time allocates only in
// the first round. The buffer handed out by next() stays untouched until the following call.
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "base/error.h"

namespace aafgan::data {

template <typename Batch>
class Prefetcher {
 public:
  using Fill = std::function<void(int64_t index, Batch& out)>;

  // depth = buffers in the ring: one held by the consumer, the rest filled ahead.
  Prefetcher(int64_t count, Fill fill, int depth = 3) : count_(count), fill_(std::move(fill)) {
    AAFGAN_CHECK(count >= 0, "Prefetcher: negative batch count {}", count);
    AAFGAN_CHECK(depth >= 1, "Prefetcher: depth must be at least 1, got {}", depth);
    AAFGAN_CHECK(static_cast<bool>(fill_), "Prefetcher: no fill function");
    ring_.resize(static_cast<size_t>(depth));
    // Started last: the thread reads every member above.
    worker_ = std::thread([this] { produce(); });
  }

  // Stops after the fill in progress (if any) and joins, so breaking out of an epoch early
  // (SIGINT, divergence) never leaves a thread writing into freed buffers.
  ~Prefetcher() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    space_.notify_all();
    worker_.join();
  }

  Prefetcher(const Prefetcher&) = delete;
  Prefetcher& operator=(const Prefetcher&) = delete;

  // Hands out the next batch in index order and returns true, or sets `out` to nullptr and
  // returns false after the last one. If the fill function threw for this index, rethrows
  // that exception here (and on every later call): the batches before it are delivered first.
  bool next(Batch*& out) {
    std::unique_lock<std::mutex> lock(mu_);
    if (handed_ > released_) {
      // Calling next() means the consumer is done with the previous buffer.
      released_ = handed_;
      space_.notify_one();
    }
    ready_.wait(lock, [this] { return filled_ > handed_ || error_ || handed_ == count_; });
    if (filled_ > handed_) {
      out = &ring_[slot(handed_)];
      ++handed_;
      return true;
    }
    out = nullptr;
    if (error_) std::rethrow_exception(error_);
    return false;
  }

  int64_t count() const { return count_; }
  int depth() const { return static_cast<int>(ring_.size()); }

 private:
  size_t slot(int64_t index) const { return static_cast<size_t>(index % static_cast<int64_t>(ring_.size())); }

  void produce() {
    const auto depth = static_cast<int64_t>(ring_.size());
    for (int64_t i = 0; i < count_; ++i) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        // Batch i reuses the buffer of batch i - depth, which must be released first.
        space_.wait(lock, [&] { return stop_ || i < released_ + depth; });
        if (stop_) return;
      }
      try {
        fill_(i, ring_[slot(i)]);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu_);
        error_ = std::current_exception();
        ready_.notify_one();
        return;
      }
      std::lock_guard<std::mutex> lock(mu_);
      filled_ = i + 1;
      ready_.notify_one();
    }
  }

  const int64_t count_;
  const Fill fill_;
  std::vector<Batch> ring_;

  std::mutex mu_;
  std::condition_variable ready_;  // the producer filled a batch or failed
  std::condition_variable space_;  // the consumer released a buffer or asked to stop
  int64_t filled_ = 0;             // batches 0..filled_-1 are complete
  int64_t handed_ = 0;             // batches 0..handed_-1 were given to the consumer
  int64_t released_ = 0;           // batches 0..released_-1 are finished with
  bool stop_ = false;
  std::exception_ptr error_;

  std::thread worker_;
};

}  // namespace aafgan::data
