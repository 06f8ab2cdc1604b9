#pragma once
// Which real images ./celeba_dcgan's FID and KID compare the generated ones against.
#include <cstdint>

#include "metrics/gan_metrics.h"
#include "models/image_data.h"

namespace aafgan::models::fid {

// CelebA's official test split where the dataset has one; other datasets have none, so their
// own training images stand in (with a note on stdout). Either way the first `samples` images,
// at 64×64 like the generated ones (the network resizes both to 299 bilinearly, as pytorch-fid).
// The training-image reference is a view of `training`'s bytes: `training` must outlive every
// call of its `load` (FidEvaluator's constructor makes the only one).
FidReference dcgan_fid_reference(const ImageSourceOptions& source, const ImageTrainingData& training,
                                 int64_t samples);

}  // namespace aafgan::models::fid
