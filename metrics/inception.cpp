#include "metrics/inception.h"

#include <fmt/format.h>

#include <initializer_list>
#include <set>
#include <utility>

#include "engine/autograd.h"
#include "engine/checkpoint.h"
#include "engine/nn/batchnorm.h"
#include "engine/ops.h"
#include "engine/ops/image_ops.h"

namespace aafgan::models::fid {

namespace {

// A kernel kh×kw with its stride and padding.
struct Kernel {
  int kh = 1, kw = 1, stride = 1, pad_h = 0, pad_w = 0;
};
Kernel k1() { return {}; }
Kernel k3(int stride = 1, int pad = 0) { return {3, 3, stride, pad, pad}; }
Kernel k5p2() { return {5, 5, 1, 2, 2}; }
Kernel k1x7() { return {1, 7, 1, 0, 3}; }
Kernel k7x1() { return {7, 1, 1, 3, 0}; }
Kernel k1x3() { return {1, 3, 1, 0, 1}; }
Kernel k3x1() { return {3, 1, 1, 1, 0}; }

// The bias-free convolution of a BasicConv2d, with a possibly rectangular kernel.
class Conv : public nn::Module {
 public:
  Conv(int64_t in, int64_t out, const Kernel& k, DType dt) {
    weight = register_parameter("weight", Tensor::zeros(Shape{out, in, k.kh, k.kw}, dt));
    params.stride_h = params.stride_w = k.stride;
    params.pad_h = k.pad_h;
    params.pad_w = k.pad_w;
  }
  Tensor forward(const Tensor& x) override { return conv2d(x, weight, Tensor(), params); }
  Tensor weight;
  Conv2dParams params;
};

// torchvision's BasicConv2d: conv (no bias) → BatchNorm(eps 0.001) → ReLU.
class BasicConv2d : public nn::Module {
 public:
  BasicConv2d(int64_t in, int64_t out, const Kernel& k, DType dt) : out_channels(out) {
    conv_ = register_module("conv", std::make_shared<Conv>(in, out, k, dt));
    bn_ = register_module("bn", std::make_shared<nn::BatchNorm2d>(out, 0.001, 0.1, dt));
  }
  Tensor forward(const Tensor& x) override { return relu(bn_->forward(conv_->forward(x))); }
  int64_t out_channels;

 private:
  std::shared_ptr<Conv> conv_;
  std::shared_ptr<nn::BatchNorm2d> bn_;
};

// A Mixed block: its branches are BasicConv2d children registered under their torchvision names.
class Block : public nn::Module {
 public:
  int64_t out_channels = 0;

 protected:
  Block(int divisor, DType dt) : divisor_(divisor), dtype_(dt) {}
  // A torchvision channel count at this width.
  int64_t c(int64_t full) const { return full / divisor_; }
  std::shared_ptr<BasicConv2d> conv(const char* name, int64_t in, int64_t out, const Kernel& k) {
    return register_module(name, std::make_shared<BasicConv2d>(in, out, k, dtype_));
  }

 private:
  int divisor_;
  DType dtype_;
};

// FIDInceptionA (Mixed_5b..5d): torchvision's InceptionA whose pool branch averages without
// counting the padding.
class InceptionA : public Block {
 public:
  InceptionA(int64_t in, int64_t pool_features, int divisor, DType dt) : Block(divisor, dt) {
    b1x1_ = conv("branch1x1", in, c(64), k1());
    b5x5_1_ = conv("branch5x5_1", in, c(48), k1());
    b5x5_2_ = conv("branch5x5_2", c(48), c(64), k5p2());
    dbl_1_ = conv("branch3x3dbl_1", in, c(64), k1());
    dbl_2_ = conv("branch3x3dbl_2", c(64), c(96), k3(1, 1));
    dbl_3_ = conv("branch3x3dbl_3", c(96), c(96), k3(1, 1));
    pool_ = conv("branch_pool", in, c(pool_features), k1());
    out_channels = c(64) + c(64) + c(96) + c(pool_features);
  }
  Tensor forward(const Tensor& x) override {
    return concat({b1x1_->forward(x), b5x5_2_->forward(b5x5_1_->forward(x)),
                   dbl_3_->forward(dbl_2_->forward(dbl_1_->forward(x))),
                   pool_->forward(avg_pool2d(x, 3, 1, 1, /*count_include_pad=*/false))},
                  1);
  }

 private:
  std::shared_ptr<BasicConv2d> b1x1_, b5x5_1_, b5x5_2_, dbl_1_, dbl_2_, dbl_3_, pool_;
};

// InceptionB (Mixed_6a): the 35×35 → 17×17 reduction.
class InceptionB : public Block {
 public:
  InceptionB(int64_t in, int divisor, DType dt) : Block(divisor, dt) {
    b3x3_ = conv("branch3x3", in, c(384), k3(2));
    dbl_1_ = conv("branch3x3dbl_1", in, c(64), k1());
    dbl_2_ = conv("branch3x3dbl_2", c(64), c(96), k3(1, 1));
    dbl_3_ = conv("branch3x3dbl_3", c(96), c(96), k3(2));
    out_channels = c(384) + c(96) + in;
  }
  Tensor forward(const Tensor& x) override {
    return concat({b3x3_->forward(x), dbl_3_->forward(dbl_2_->forward(dbl_1_->forward(x))), max_pool2d(x, 3, 2)}, 1);
  }

 private:
  std::shared_ptr<BasicConv2d> b3x3_, dbl_1_, dbl_2_, dbl_3_;
};

// FIDInceptionC (Mixed_6b..6e): factorised 7×7 branches; the pool branch as in FIDInceptionA.
class InceptionC : public Block {
 public:
  InceptionC(int64_t in, int64_t channels_7x7, int divisor, DType dt) : Block(divisor, dt) {
    const int64_t c7 = c(channels_7x7);
    b1x1_ = conv("branch1x1", in, c(192), k1());
    b7_1_ = conv("branch7x7_1", in, c7, k1());
    b7_2_ = conv("branch7x7_2", c7, c7, k1x7());
    b7_3_ = conv("branch7x7_3", c7, c(192), k7x1());
    dbl_1_ = conv("branch7x7dbl_1", in, c7, k1());
    dbl_2_ = conv("branch7x7dbl_2", c7, c7, k7x1());
    dbl_3_ = conv("branch7x7dbl_3", c7, c7, k1x7());
    dbl_4_ = conv("branch7x7dbl_4", c7, c7, k7x1());
    dbl_5_ = conv("branch7x7dbl_5", c7, c(192), k1x7());
    pool_ = conv("branch_pool", in, c(192), k1());
    out_channels = 4 * c(192);
  }
  Tensor forward(const Tensor& x) override {
    Tensor b7 = b7_3_->forward(b7_2_->forward(b7_1_->forward(x)));
    Tensor dbl = dbl_5_->forward(dbl_4_->forward(dbl_3_->forward(dbl_2_->forward(dbl_1_->forward(x)))));
    return concat({b1x1_->forward(x), b7, dbl, pool_->forward(avg_pool2d(x, 3, 1, 1, /*count_include_pad=*/false))},
                  1);
  }

 private:
  std::shared_ptr<BasicConv2d> b1x1_, b7_1_, b7_2_, b7_3_, dbl_1_, dbl_2_, dbl_3_, dbl_4_, dbl_5_, pool_;
};

// InceptionD (Mixed_7a): the 17×17 → 8×8 reduction.
class InceptionD : public Block {
 public:
  InceptionD(int64_t in, int divisor, DType dt) : Block(divisor, dt) {
    b3_1_ = conv("branch3x3_1", in, c(192), k1());
    b3_2_ = conv("branch3x3_2", c(192), c(320), k3(2));
    b7_1_ = conv("branch7x7x3_1", in, c(192), k1());
    b7_2_ = conv("branch7x7x3_2", c(192), c(192), k1x7());
    b7_3_ = conv("branch7x7x3_3", c(192), c(192), k7x1());
    b7_4_ = conv("branch7x7x3_4", c(192), c(192), k3(2));
    out_channels = c(320) + c(192) + in;
  }
  Tensor forward(const Tensor& x) override {
    return concat({b3_2_->forward(b3_1_->forward(x)),
                   b7_4_->forward(b7_3_->forward(b7_2_->forward(b7_1_->forward(x)))), max_pool2d(x, 3, 2)},
                  1);
  }

 private:
  std::shared_ptr<BasicConv2d> b3_1_, b3_2_, b7_1_, b7_2_, b7_3_, b7_4_;
};

// FIDInceptionE_1 (Mixed_7b: average pool without the padding) and FIDInceptionE_2 (Mixed_7c:
// max pool 3×3/1, pad 1 — the TF graph's quirk pytorch-fid reproduces).
class InceptionE : public Block {
 public:
  InceptionE(int64_t in, bool max_pool, int divisor, DType dt) : Block(divisor, dt), max_pool_(max_pool) {
    b1x1_ = conv("branch1x1", in, c(320), k1());
    b3_1_ = conv("branch3x3_1", in, c(384), k1());
    b3_2a_ = conv("branch3x3_2a", c(384), c(384), k1x3());
    b3_2b_ = conv("branch3x3_2b", c(384), c(384), k3x1());
    dbl_1_ = conv("branch3x3dbl_1", in, c(448), k1());
    dbl_2_ = conv("branch3x3dbl_2", c(448), c(384), k3(1, 1));
    dbl_3a_ = conv("branch3x3dbl_3a", c(384), c(384), k1x3());
    dbl_3b_ = conv("branch3x3dbl_3b", c(384), c(384), k3x1());
    pool_ = conv("branch_pool", in, c(192), k1());
    out_channels = c(320) + 4 * c(384) + c(192);
  }
  Tensor forward(const Tensor& x) override {
    const Tensor b3 = b3_1_->forward(x);
    const Tensor dbl = dbl_2_->forward(dbl_1_->forward(x));
    const Tensor pooled = max_pool_ ? max_pool2d(x, 3, 1, 1) : avg_pool2d(x, 3, 1, 1, /*count_include_pad=*/false);
    return concat({b1x1_->forward(x), b3_2a_->forward(b3), b3_2b_->forward(b3), dbl_3a_->forward(dbl),
                   dbl_3b_->forward(dbl), pool_->forward(pooled)},
                  1);
  }

 private:
  bool max_pool_;
  std::shared_ptr<BasicConv2d> b1x1_, b3_1_, b3_2a_, b3_2b_, dbl_1_, dbl_2_, dbl_3a_, dbl_3b_, pool_;
};

constexpr const char* kFormat = "aafgan-fid-inception";

}  // namespace

FidInception::FidInception(const InceptionOptions& options, DType dtype) : options_(options), dtype_(dtype) {
  const int d = options.width_divisor;
  AAFGAN_CHECK(d == 1 || d == 2 || d == 4 || d == 8 || d == 16,
               "FID Inception: width_divisor {} must be 1, 2, 4, 8 or 16 (it must divide every channel count)", d);
  AAFGAN_CHECK(options.resize >= 75,
               "FID Inception: resize {} is too small: the network needs inputs of at least 75×75 (pytorch-fid: 299)",
               options.resize);
  const auto c = [d](int64_t full) { return full / d; };
  const auto stem = [&](const char* name, int64_t in, int64_t out, const Kernel& k) {
    auto m = register_module(name, std::make_shared<BasicConv2d>(in, out, k, dtype));
    stem_.push_back(m);
    return out;
  };
  int64_t ch = stem("Conv2d_1a_3x3", 3, c(32), k3(2));
  ch = stem("Conv2d_2a_3x3", ch, c(32), k3());
  ch = stem("Conv2d_2b_3x3", ch, c(64), k3(1, 1));
  ch = stem("Conv2d_3b_1x1", ch, c(80), k1());
  ch = stem("Conv2d_4a_3x3", ch, c(192), k3());
  const auto mixed = [&](const char* name, std::shared_ptr<Block> b) {
    register_module(name, b);
    mixed_.push_back(b);
    ch = b->out_channels;
  };
  mixed("Mixed_5b", std::make_shared<InceptionA>(ch, 32, d, dtype));
  mixed("Mixed_5c", std::make_shared<InceptionA>(ch, 64, d, dtype));
  mixed("Mixed_5d", std::make_shared<InceptionA>(ch, 64, d, dtype));
  mixed("Mixed_6a", std::make_shared<InceptionB>(ch, d, dtype));
  const std::initializer_list<std::pair<const char*, int64_t>> sevens = {
      {"Mixed_6b", 128}, {"Mixed_6c", 160}, {"Mixed_6d", 160}, {"Mixed_6e", 192}};
  for (const auto& [name, c7] : sevens)
    mixed(name, std::make_shared<InceptionC>(ch, c7, d, dtype));
  mixed("Mixed_7a", std::make_shared<InceptionD>(ch, d, dtype));
  mixed("Mixed_7b", std::make_shared<InceptionE>(ch, false, d, dtype));
  mixed("Mixed_7c", std::make_shared<InceptionE>(ch, true, d, dtype));
  feature_dim_ = ch;
  for (auto& [name, p] : named_parameters()) p.set_requires_grad(false);
  probe_ = named_parameters().front().second;
  eval();
}

Tensor FidInception::forward(const Tensor& x) {
  AAFGAN_CHECK(x.defined() && x.ndim() == 4 && x.size(1) == 3,
               "FID Inception: input {} must be [N, 3, H, W] RGB images with values in [0, 1]",
               x.defined() ? x.str() : std::string("(undefined)"));
  AAFGAN_CHECK(x.dtype() == dtype_, "FID Inception: input {} must be {} like the network's weights", x.str(),
               dtype_name(dtype_));
  const Device here = device();
  if (x.device() != here) return forward(x.to(here)).to(x.device());
  // pytorch-fid's order: resize in [0, 1], then scale to [−1, 1].
  Tensor h = affine(interpolate_bilinear(x, options_.resize, options_.resize), 2.0, -1.0);
  for (size_t i = 0; i < stem_.size(); ++i) {
    h = stem_[i]->forward(h);
    if (i == 2 || i == 4) h = max_pool2d(h, 3, 2);  // maxpool1 and maxpool2 of torchvision
  }
  for (const auto& m : mixed_) h = m->forward(h);
  return reshape(global_avg_pool2d(h), {x.size(0), feature_dim_});
}

std::unique_ptr<FidInception> FidInception::load(const std::string& path, DType dtype, int resize) {
  const Checkpoint ck = load_checkpoint(path);
  const nlohmann::json& meta = ck.metadata;
  if (meta.is_object() && meta.contains("format") && meta.at("format") != kFormat)
    fail("'{}' is a checkpoint of '{}', not FID Inception weights (make them with tools/convert_fid_weights.py)",
         path, meta.at("format").dump());
  InceptionOptions o;
  try {
    if (meta.is_object() && meta.contains("width_divisor")) o.width_divisor = meta.at("width_divisor").get<int>();
    o.resize = resize > 0 ? resize : meta.is_object() && meta.contains("resize") ? meta.at("resize").get<int>() : 299;
  } catch (const nlohmann::json::exception& e) {
    fail("FID Inception weights '{}': unreadable metadata ({})", path, e.what());
  }
  auto net = std::make_unique<FidInception>(o, dtype);
  nn::NamedTensors targets = net->named_parameters();
  for (auto& b : net->named_buffers()) targets.push_back(b);
  std::set<std::string> wanted;
  for (const auto& [name, t] : targets) {
    wanted.insert(name);
    if (!ck.contains(name))
      fail("FID Inception weights '{}' lack tensor '{}' (expected {} for width 1/{}): is it a file made by "
           "tools/convert_fid_weights.py from pt_inception-2015-12-05-6726825d.pth?",
           path, name, t.shape().str(), o.width_divisor);
  }
  for (const auto& [name, t] : ck.tensors)
    if (!wanted.count(name))
      fail("FID Inception weights '{}' hold tensor '{}' {}, which the FID Inception (width 1/{}) does not have", path,
           name, t.shape().str(), o.width_divisor);
  load_into(ck, targets);
  return net;
}

}  // namespace aafgan::models::fid
