#pragma once
// The decode workers shared by the image loaders: a small std::thread pool over index ranges.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/image_dataset.h"

namespace aafgan::data {

// Calls fn(begin, end, worker) for consecutive chunks of [0, n) of at most `chunk` indices,
// handed out in order to `threads` worker threads (worker = 0..threads-1, so per-worker state
// can be indexed). `done` (optional) is called on the calling thread about every 0.25 s and at
// the end with the number of indices finished. After an exception no new chunk starts; the
// one from the lowest chunk is rethrown once every worker has stopped.
void parallel_for_chunks(int64_t n, int threads, int64_t chunk, const std::function<void(int64_t, int64_t, int)>& fn,
                         const std::function<void(int64_t done, int64_t total)>& progress = {});

// Decodes and preprocesses `paths` (ImagePreprocessor, one per worker) into a dataset of
// `channels` × options.size². Each image is written at its index in one preallocated buffer;
// failed ones are recorded in `skipped` and compacted out afterwards, so the order is the
// listing order whatever the thread count. With options.strict the first failure (lowest
// index) is thrown instead, naming the file. options.max_images is not applied here.
ImageDataset decode_image_files(const std::vector<std::string>& paths, int channels, const ImageLoadOptions& options);

}  // namespace aafgan::data
