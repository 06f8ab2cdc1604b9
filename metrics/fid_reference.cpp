#include "metrics/fid_reference.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "data/celeba.h"

namespace aafgan::models::fid {

FidReference dcgan_fid_reference(const ImageSourceOptions& source, const ImageTrainingData& training,
                                 int64_t samples) {
  FidReference ref;
  const int64_t n = samples;
  if (source.dataset == "celeba") {
    ref.fingerprint =
        fmt::format("celeba {} test split, first {} at 64x64", std::filesystem::absolute(source.dir).string(), n);
    ref.load = [source, n] {
      data::ImageLoadOptions lo;
      lo.size = kDcganImageSize;
      lo.max_images = n;
      lo.threads = source.decode_threads;
      lo.strict = source.strict;
      return data::load_celeba(source.dir, "test", lo);
    };
  } else {
    fmt::print("note: --dataset {} has no test split; FID compares against the first {} training images\n",
               source.dataset, n);
    ref.fingerprint = fmt::format("{} (training images), first {}", training.describe(), n);
    ref.load = [&training, n] {
      const data::ImageDataset& all = training.images();
      return data::ImageDataset(std::min(n, all.count), all.channels, all.size, nullptr, all.data(), false);
    };
  }
  return ref;
}

}  // namespace aafgan::models::fid
