#include "models/image_data.h"

#include <algorithm>
#include <array>
#include <functional>

#include <fmt/format.h>

#include "data/celeba.h"
#include "data/fake_images.h"
#include "data/image_cache.h"
#include "data/image_folder.h"
#include "data/mnist.h"
#include "data/mnist_resized.h"
#include "base/error.h"

namespace aafgan::models {

ImageTrainingData::ImageTrainingData(data::ImageDataset images, std::string description)
    : images_(std::move(images)), description_(std::move(description)) {
  AAFGAN_CHECK(images_.count > 0, "{}: no images to train on", description_);
}

void ImageTrainingData::fill(const int64_t* indices, int64_t n, float* images, int32_t* labels) const {
  // A table instead of per-pixel arithmetic: the loader thread then keeps up with the GPU.
  static const std::array<float, 256> to_float = [] {
    std::array<float, 256> t{};
    for (int v = 0; v < 256; ++v) t[static_cast<size_t>(v)] = static_cast<float>(v) / 255.0f * 2.0f - 1.0f;
    return t;
  }();
  const size_t per_image = images_.image_bytes();
  for (int64_t i = 0; i < n; ++i) {
    AAFGAN_CHECK(indices[i] >= 0 && indices[i] < images_.count, "image index {} outside [0, {})", indices[i],
                 images_.count);
    const uint8_t* src = images_.image(indices[i]);
    float* dst = images + static_cast<size_t>(i) * per_image;
    for (size_t p = 0; p < per_image; ++p) dst[p] = to_float[src[p]];
    labels[i] = 0;
  }
}

namespace {

data::ImageDataset load_images(const ImageSourceOptions& s) {
  data::ImageLoadOptions lo;
  lo.size = kDcganImageSize;
  lo.max_images = s.max_images;
  lo.threads = s.decode_threads;
  lo.strict = s.strict;
  int64_t last_report = -1;
  lo.progress = [&last_report](int64_t done, int64_t total) {
    if (done == total || done - last_report >= 20000) {
      fmt::print("decoding images: {} / {}\n", done, total);
      last_report = done;
    }
  };

  // dir, split and channels also name the images in the cache's fingerprint.
  std::string dir = s.dir, split = "train";
  int channels = 3;
  std::function<data::ImageDataset()> build;
  if (s.dataset == "celeba") {
    if (dir.empty())
      fail("--dataset celeba needs --data DIR: the folder holding img_align_celeba/ (the aligned JPEGs) and "
           "list_eval_partition.txt");
    build = [&] { return data::load_celeba(dir, "train", lo); };
  } else if (s.dataset == "folder") {
    if (dir.empty()) fail("--dataset folder needs --data DIR: a folder of JPEG or PNG images (subfolders included)");
    split = "all";
    build = [&] { return data::load_image_folder(dir, lo); };
  } else if (s.dataset == "mnist") {
    dir = data::find_mnist_dir(dir);
    if (!data::has_mnist_split(dir, "train")) {
      fmt::print("note: {} holds only the t10k split; training on its test images\n", dir);
      split = "t10k";
    }
    channels = 1;
    build = [&] { return data::load_mnist_resized(dir, split, kDcganImageSize, lo); };
  } else if (s.dataset == "fake") {
    const int64_t count = s.max_images > 0 ? std::min<int64_t>(s.max_images, s.fake_count) : s.fake_count;
    split = fmt::format("seed=0 count={}", count);
    dir = "-";
    build = [count, &lo] { return data::make_fake_images(count, 3, kDcganImageSize, 0, lo.threads); };
  } else {
    fail("unknown dataset '{}': expected celeba, folder, mnist or fake", s.dataset);
  }
  if (s.cache_path.empty()) return build();
  const data::CacheFingerprint fp = data::make_cache_fingerprint(s.dataset, dir, split, channels, lo);
  bool used_cache = false;
  data::ImageDataset ds = data::load_or_create_cache(s.cache_path, fp, build, &used_cache);
  fmt::print("{} the preprocessed images {} {}\n", used_cache ? "mapped" : "cached", used_cache ? "from" : "in",
             s.cache_path);
  return ds;
}

}  // namespace

ImageTrainingData load_image_training_data(const ImageSourceOptions& source) {
  data::ImageDataset images = load_images(source);
  // CelebA's and a folder's summary says what was found on disk; MNIST's and fake images' only
  // matters when something was skipped.
  if (!images.skipped.empty() || source.dataset == "celeba" || source.dataset == "folder")
    fmt::print("{}\n", images.summary());
  std::string what = fmt::format("{} {}×{}×{} images ({}{})", images.count, images.channels, images.size, images.size,
                                 source.dataset, source.dir.empty() ? "" : " from " + source.dir);
  return ImageTrainingData(std::move(images), std::move(what));
}

}  // namespace aafgan::models
