#include "models/dcgan.h"

#include "engine/nn/batchnorm.h"
#include "engine/nn/conv.h"
#include "engine/nn/init.h"
#include "engine/ops.h"

namespace aafgan::models {

namespace {

constexpr int kKernel = 4;

// Applies a network's INIT_NET_WEIGHTS choice to one conv weight (DCGAN's weights_init).
void init_conv_weight(Tensor& w, const nlohmann::json& scheme, Generator& gen) {
  if (scheme.is_null()) return;  // the layer's own fan-in uniform initialisation stays
  const std::string name = scheme.is_object() ? scheme.value("name", std::string("default")) : "default";
  if (name == "he_normal") nn::init::he_normal(w, gen);
  else if (name == "glorot") nn::init::xavier_normal(w, gen);
  else nn::init::normal(w, 0.0, 0.02, gen);
}

void init_batch_norm(nn::BatchNorm2d& bn, const nlohmann::json& scheme, Generator& gen) {
  if (scheme.is_null()) return;  // ones and zeros
  nn::init::normal(bn.weight, 1.0, 0.02, gen);
  bn.bias.fill_(0.0);
}

std::shared_ptr<nn::Module> fixed_hidden(double slope) {
  return slope == 0.0 ? nn::ReLU() : nn::LeakyReLU(slope);
}

}  // namespace

DcGan::DcGan(const DcGanSpec& spec, Generator& init, DType dtype)
    : noise_size_(spec.noise_size), channels_(spec.channels) {
  AAFGAN_CHECK(channels_ >= 1 && channels_ <= 4, "DCGAN: {} image channels (expected 1 to 4)", channels_);
  const nlohmann::json null_scheme;
  const auto bn = [&](int64_t c, const nlohmann::json& scheme) {
    auto layer = std::make_shared<nn::BatchNorm2d>(c, 1e-5, 0.1, dtype);
    init_batch_norm(*layer, scheme, init);
    return layer;
  };

  // G: z [N,100,1,1] → 1024×4×4 → 512×8×8 → 256×16×16 → 128×32×32 → C×64×64.
  ActivationFactory gf(Net::generator, spec.gen_initializers, init, dtype);
  auto g = std::make_shared<nn::Sequential>();
  const int64_t g_widths[] = {1024, 512, 256, 128};
  int64_t in = noise_size_, side = 1;
  for (int i = 0; i < 4; ++i) {
    const int64_t out = g_widths[i];
    const int stride = i == 0 ? 1 : 2, pad = i == 0 ? 0 : 1;
    auto conv = std::make_shared<nn::ConvTranspose2d>(in, out, kKernel, stride, pad, init, false, dtype);
    init_conv_weight(conv->weight, spec.gen_init_weights, init);
    g->add(conv);
    g->add(bn(out, spec.gen_init_weights));
    side = i == 0 ? 4 : side * 2;
    g->add(gf.hidden(spec.gen_hidden, Shape{out, side, side}, "hidden" + std::to_string(i + 1),
                     fixed_hidden(spec.gen_hidden_slope)));
    in = out;
  }
  auto g_last = std::make_shared<nn::ConvTranspose2d>(in, channels_, kKernel, 2, 1, init, false, dtype);
  init_conv_weight(g_last->weight, spec.gen_init_weights, init);
  g->add(g_last);
  g->add(gf.output(spec.gen, Shape{channels_, 64, 64}));

  // D: C×64×64 → 128×32×32 → 256×16×16 → 512×8×8 → 1024×4×4 → 1×1×1; no BN on the first layer.
  ActivationFactory df(Net::discriminator, spec.dis_initializers, init, dtype);
  auto d = std::make_shared<nn::Sequential>();
  const int64_t d_widths[] = {128, 256, 512, 1024};
  in = channels_;
  side = 64;
  for (int i = 0; i < 4; ++i) {
    const int64_t out = d_widths[i];
    auto conv = std::make_shared<nn::Conv2d>(in, out, kKernel, 2, 1, init, false, dtype);
    init_conv_weight(conv->weight, spec.dis_init_weights, init);
    d->add(conv);
    if (i > 0) d->add(bn(out, spec.dis_init_weights));
    side /= 2;
    d->add(df.hidden(spec.dis_hidden, Shape{out, side, side}, "hidden" + std::to_string(i + 1),
                     fixed_hidden(spec.dis_hidden_slope)));
    in = out;
  }
  auto d_last = std::make_shared<nn::Conv2d>(in, 1, kKernel, 1, 0, init, false, dtype);
  init_conv_weight(d_last->weight, spec.dis_init_weights, init);
  d->add(d_last);
  d->add(std::make_shared<nn::Function>([](const Tensor& x) { return reshape(x, {x.size(0), 1}); }));
  d->add(df.output(spec.dis, Shape{1}));

  adopt_networks(g, d, gf, df);
}

Tensor DcGan::generate(const Tensor& z, const Tensor& onehot) {
  AAFGAN_CHECK(!onehot.defined(), "DCGAN: the model is unconditional, but labels were given");
  AAFGAN_CHECK(z.ndim() == 2 && z.size(1) == noise_size_, "DCGAN: noise {} (expected [N, {}])", z.str(), noise_size_);
  return generator()(reshape(z, {z.size(0), noise_size_, 1, 1}));
}

Tensor DcGan::discriminate(const Tensor& x, const Tensor& onehot) {
  AAFGAN_CHECK(!onehot.defined(), "DCGAN: the model is unconditional, but labels were given");
  AAFGAN_CHECK(x.ndim() == 4 && x.size(1) == channels_ && x.size(2) == 64 && x.size(3) == 64,
               "DCGAN: images {} (expected [N, {}, 64, 64])", x.str(), channels_);
  return discriminator()(x);
}

}  // namespace aafgan::models
