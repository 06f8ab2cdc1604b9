#pragma once
// Feeding images to the FID Inception: real uint8 datasets and generator outputs alike become
// RGB batches in [0, 1], run without a tape, a batch at a time, into float64 feature rows.
#include <cstdint>
#include <functional>

#include "data/image_dataset.h"
#include "metrics/frechet.h"
#include "metrics/inception.h"

namespace aafgan::models::fid {

// Images [n, C, H, W] in [0, 1] for rows [first, first + n) of a set; C is 1 (repeated to RGB)
// or 3. Any dtype: they are converted to the network's.
using ImageBatchFn = std::function<Tensor(int64_t first, int64_t n)>;
// Called after each batch with the images done so far and the total.
using ProgressFn = std::function<void(int64_t done, int64_t total)>;

// The features [count, net.feature_dim()] of `count` images, asked from `batch` in batches of
// `batch_size` (pytorch-fid: 50) inside a NoGradGuard.
FeatureMatrix extract_features(FidInception& net, int64_t count, int64_t batch_size, const ImageBatchFn& batch,
                               const ProgressFn& progress = nullptr);

// Images first .. first + n − 1 of a uint8 dataset as [n, C, S, S] floats x/255 (pytorch-fid
// reads image files with ToTensor(), the same mapping).
Tensor dataset_batch(const data::ImageDataset& images, int64_t first, int64_t n, DType dtype = DType::f32);

// Generator outputs in [−1, 1] mapped to [0, 1] by (x + 1)/2, clamped (a tanh output never
// leaves the range; an adaptive output function might). Same shape and dtype.
Tensor gan_to_unit_range(const Tensor& images);

}  // namespace aafgan::models::fid
