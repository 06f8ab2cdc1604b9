#pragma once
// Inception-v3 as pytorch-fid defines it for FID (the 2015-12-05 TensorFlow weights ported to
// PyTorch, pt_inception-2015-12-05-6726825d.pth), up to the 2048-d global average pool:
//   resize to 299×299 (bilinear, align_corners=False) → 2x − 1 → Conv2d_1a_3x3 … Conv2d_4a_3x3
//   with two 3×3/2 max pools → Mixed_5b..5d (FIDInceptionA) → Mixed_6a (InceptionB) →
//   Mixed_6b..6e (FIDInceptionC) → Mixed_7a (InceptionD) → Mixed_7b (FIDInceptionE_1) →
//   Mixed_7c (FIDInceptionE_2) → global average pool → [N, 2048].
// Every BasicConv2d is conv (no bias) + BatchNorm(eps 0.001, running statistics) + ReLU. The FID
// variants differ from torchvision's blocks only in their pool branches: the average pools
// ignore padded cells (count_include_pad=False), and Mixed_7c max-pools instead (3×3/1, pad 1).
//
// Tensor names are pytorch-fid's state_dict keys ("Conv2d_1a_3x3.conv.weight",
// "Mixed_5b.branch_pool.bn.running_var", ...). tools/convert_fid_weights.py turns the .pth into
// this engine's checkpoint format; tools/make_fid_fixture.py writes a reduced-width twin.
#include <memory>
#include <string>
#include <vector>

#include "engine/nn/module.h"

namespace aafgan::models::fid {

struct InceptionOptions {
  // Every channel count is divided by this (1 = the real network; the test fixture uses 16, so
  // the features have 2048/16 = 128 dimensions). Must divide all of them: 1, 2, 4, 8 or 16.
  int width_divisor = 1;
  // Inputs are resized to resize × resize first (pytorch-fid: 299; at least 75, the smallest
  // input the stem and the reductions accept).
  int resize = 299;
};

class FidInception : public nn::Module {
 public:
  // Weights are zeros/ones placeholders until load_into fills them; parameters never require
  // a gradient (the network is a fixed feature extractor). Starts in eval mode.
  explicit FidInception(const InceptionOptions& options = {}, DType dtype = DType::f32);

  // x [N, 3, H, W] with values in [0, 1] → features [N, feature_dim()]. Runs on device(): an x
  // on another device is copied there and its features are copied back to x's device (copies
  // are not differentiable), so callers holding host images need not know where it runs.
  Tensor forward(const Tensor& x) override;

  // Where the weights live, hence where forward runs. Starts on the CPU; nn::Module::to(Device)
  // moves every weight and BatchNorm buffer (e.g. net->to(Device::cuda(0))).
  Device device() const { return probe_.device(); }

  int64_t feature_dim() const { return feature_dim_; }
  const InceptionOptions& options() const { return options_; }
  DType dtype() const { return dtype_; }

  // Reads a checkpoint written by tools/convert_fid_weights.py or tools/make_fid_fixture.py:
  // its metadata's "width_divisor" (default 1) picks the width; every tensor of the network
  // must be present with its exact shape (an error names the first one that is not), and
  // tensors the network does not have are an error too (a file of some other network).
  // `resize` overrides the input size (0 = the metadata's "resize", else 299).
  static std::unique_ptr<FidInception> load(const std::string& path, DType dtype = DType::f32, int resize = 0);

 private:
  InceptionOptions options_;
  DType dtype_;
  int64_t feature_dim_ = 0;
  // The stem convolutions and Mixed blocks in forward order, registered under pytorch-fid's
  // names; the two max pools sit after stem_[2] and stem_[4].
  std::vector<std::shared_ptr<nn::Module>> stem_, mixed_;
  // A handle to one weight: Module::to keeps handles valid, so its device is the network's.
  Tensor probe_;
};

}  // namespace aafgan::models::fid
