#include "data/parallel_decode.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

#include "data/image_preprocess.h"
#include "base/error.h"

namespace aafgan::data {

void parallel_for_chunks(int64_t n, int threads, int64_t chunk, const std::function<void(int64_t, int64_t, int)>& fn,
                         const std::function<void(int64_t, int64_t)>& progress) {
  AAFGAN_CHECK(n >= 0 && threads >= 1 && chunk >= 1, "parallel_for_chunks: bad arguments n={} threads={} chunk={}", n,
               threads, chunk);
  const int64_t chunks = (n + chunk - 1) / chunk;
  threads = static_cast<int>(std::min<int64_t>(threads, std::max<int64_t>(chunks, 1)));
  std::atomic<int64_t> next{0}, done{0};
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::condition_variable finished_cv;
  int finished = 0;
  int64_t error_chunk = -1;
  std::exception_ptr error;

  auto work = [&](int worker) {
    for (;;) {
      if (stop.load(std::memory_order_relaxed)) break;
      const int64_t c = next.fetch_add(1);
      if (c >= chunks) break;
      const int64_t begin = c * chunk, end = std::min(n, begin + chunk);
      try {
        fn(begin, end, worker);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (error_chunk < 0 || c < error_chunk) {
          error_chunk = c;
          error = std::current_exception();
        }
        stop = true;
        break;
      }
      done += end - begin;
    }
    std::lock_guard<std::mutex> lock(mu);
    ++finished;
    finished_cv.notify_one();
  };

  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(threads));
  try {
    for (int t = 0; t < threads; ++t) pool.emplace_back(work, t);
  } catch (...) {
    stop = true;  // could not start a thread: stop those that did, then report
    for (std::thread& th : pool) th.join();
    throw;
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    while (finished < static_cast<int>(pool.size())) {
      finished_cv.wait_for(lock, std::chrono::milliseconds(250));
      if (progress && finished < static_cast<int>(pool.size())) {
        lock.unlock();
        progress(done.load(), n);
        lock.lock();
      }
    }
  }
  for (std::thread& th : pool) th.join();
  if (error) std::rethrow_exception(error);
  if (progress) progress(done.load(), n);
}

ImageDataset decode_image_files(const std::vector<std::string>& paths, int channels, const ImageLoadOptions& options) {
  const auto n = static_cast<int64_t>(paths.size());
  const int size = options.size;
  AAFGAN_CHECK(size >= 1 && size <= 4096, "image loading: size {} is not in 1..4096", size);
  const size_t image_bytes = static_cast<size_t>(channels) * static_cast<size_t>(size) * static_cast<size_t>(size);
  std::vector<uint8_t> pixels(static_cast<size_t>(n) * image_bytes);
  std::vector<uint8_t> ok(static_cast<size_t>(n), 1);
  std::vector<std::string> reasons(static_cast<size_t>(n));

  const int threads = resolve_threads(options.threads);
  std::vector<std::unique_ptr<ImagePreprocessor>> workers(static_cast<size_t>(threads));
  const bool strict = options.strict;
  const DctScaling scaling = options.dct_scaling;
  parallel_for_chunks(
      n, threads, 16,
      [&](int64_t begin, int64_t end, int worker) {
        auto& pre = workers[static_cast<size_t>(worker)];
        if (!pre) pre = std::make_unique<ImagePreprocessor>(channels, size, scaling);
        for (int64_t i = begin; i < end; ++i) {
          const std::string& path = paths[static_cast<size_t>(i)];
          try {
            pre->process_file(path, pixels.data() + static_cast<size_t>(i) * image_bytes);
          } catch (const Error& e) {
            if (strict)
              fail("{} (strict loading: a corrupt or unreadable image is an error; without strict it is skipped)",
                   e.what());
            // The messages start with the path; the reason is the rest.
            std::string why = e.what();
            if (why.compare(0, path.size() + 2, path + ": ") == 0) why.erase(0, path.size() + 2);
            ok[static_cast<size_t>(i)] = 0;
            reasons[static_cast<size_t>(i)] = std::move(why);
          }
        }
      },
      options.progress);

  // Compact out the failures, keeping the listing order.
  std::vector<SkippedImage> skipped;
  int64_t kept = 0;
  for (int64_t i = 0; i < n; ++i) {
    const auto si = static_cast<size_t>(i);
    if (!ok[si]) {
      skipped.push_back({paths[si], std::move(reasons[si])});
      continue;
    }
    if (kept != i)
      std::memmove(pixels.data() + static_cast<size_t>(kept) * image_bytes, pixels.data() + si * image_bytes,
                   image_bytes);
    ++kept;
  }
  pixels.resize(static_cast<size_t>(kept) * image_bytes);
  ImageDataset ds(kept, channels, size, std::move(pixels));
  ds.skipped = std::move(skipped);
  return ds;
}

}  // namespace aafgan::data
