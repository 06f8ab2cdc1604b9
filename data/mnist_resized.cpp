#include "data/mnist_resized.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "data/image_resize.h"
#include "data/mnist.h"
#include "data/parallel_decode.h"
#include "base/error.h"

namespace aafgan::data {

ImageDataset load_mnist_resized(const std::string& dir, const std::string& split, int size,
                                const ImageLoadOptions& options) {
  AAFGAN_CHECK(split == "train" || split == "test" || split == "t10k",
               "MNIST: unknown split '{}' (expected train or test)", split);
  AAFGAN_CHECK(size >= 1 && size <= 4096, "MNIST: size {} is not in 1..4096", size);
  AAFGAN_CHECK(options.max_images >= 0, "MNIST: max_images {} is negative", options.max_images);
  const MnistSplit mnist = load_mnist_split(dir, split == "train" ? "train" : "t10k");
  int64_t n = mnist.count;
  if (options.max_images > 0) n = std::min(n, options.max_images);

  const ResizePlan plan(mnist.width, mnist.height, full_box(mnist.width, mnist.height), size, size);
  const size_t out_bytes = static_cast<size_t>(size) * static_cast<size_t>(size);
  std::vector<uint8_t> pixels(static_cast<size_t>(n) * out_bytes);
  const int threads = resolve_threads(options.threads);
  std::vector<std::vector<float>> scratch(static_cast<size_t>(threads));
  parallel_for_chunks(
      n, threads, 256,
      [&](int64_t begin, int64_t end, int worker) {
        for (int64_t i = begin; i < end; ++i)
          plan.run(mnist.images.data() + static_cast<size_t>(i * mnist.pixels()), static_cast<size_t>(mnist.width), 1,
                   pixels.data() + static_cast<size_t>(i) * out_bytes, scratch[static_cast<size_t>(worker)]);
      },
      options.progress);

  ImageDataset ds(n, 1, size, std::move(pixels));
  // The files' labels, as they were: the split stores class indices from 0.
  ds.labels.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    ds.labels[static_cast<size_t>(i)] = mnist.labels[static_cast<size_t>(i)] + mnist.first_label;
  return ds;
}

}  // namespace aafgan::data
