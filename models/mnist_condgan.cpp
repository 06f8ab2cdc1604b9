#include "models/mnist_condgan.h"

#include "engine/ops.h"

namespace aafgan::models {

Tensor one_hot(const std::vector<int32_t>& labels, int classes, DType dtype) {
  Tensor t = Tensor::zeros(Shape{static_cast<int64_t>(labels.size()), classes}, dtype);
  dispatch(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = t.data<T>();
    for (size_t i = 0; i < labels.size(); ++i) {
      AAFGAN_CHECK(labels[i] >= 0 && labels[i] < classes, "one_hot: label {} outside [0, {})", labels[i], classes);
      p[i * static_cast<size_t>(classes) + static_cast<size_t>(labels[i])] = T(1);
    }
  });
  return t;
}

MnistCondGan::MnistCondGan(const MnistGanSpec& spec, Generator& init, std::shared_ptr<Generator> dropout_gen,
                           DType dtype)
    : noise_size_(spec.noise_size), height_(spec.height), width_(spec.width), classes_(spec.classes) {
  AAFGAN_CHECK(height_ >= 1 && width_ >= 1 && classes_ >= 1, "MnistCondGan: images {}×{} and {} classes must be positive",
               height_, width_, classes_);
  const int64_t pixels = int64_t{height_} * width_;
  const auto leaky = [&] { return nn::LeakyReLU(spec.leaky_slope); };

  ActivationFactory gf(Net::generator, spec.gen_initializers, init, dtype);
  auto g = std::make_shared<nn::Sequential>();
  int64_t in = noise_size_ + classes_;
  int hidden_index = 0;
  for (int64_t width : {256, 512, 1024}) {
    g->add(std::make_shared<nn::Linear>(in, width, init, true, dtype));
    g->add(gf.hidden(spec.gen_hidden, Shape{width}, "hidden" + std::to_string(++hidden_index), leaky()));
    in = width;
  }
  g->add(std::make_shared<nn::Linear>(in, pixels, init, true, dtype));
  g->add(gf.output(spec.gen, Shape{pixels}));

  ActivationFactory df(Net::discriminator, spec.dis_initializers, init, dtype);
  auto d = std::make_shared<nn::Sequential>();
  in = pixels + classes_;
  hidden_index = 0;
  for (int64_t width : {1024, 512, 256}) {
    d->add(std::make_shared<nn::Linear>(in, width, init, true, dtype));
    d->add(df.hidden(spec.dis_hidden, Shape{width}, "hidden" + std::to_string(++hidden_index), leaky()));
    d->add(std::make_shared<nn::Dropout>(spec.dropout, dropout_gen));
    in = width;
  }
  d->add(std::make_shared<nn::Linear>(in, 1, init, true, dtype));
  d->add(df.output(spec.dis, Shape{1}));

  adopt_networks(g, d, gf, df);
}

Tensor MnistCondGan::generate(const Tensor& z, const Tensor& onehot) { return generator()(concat({z, onehot}, 1)); }

Tensor MnistCondGan::discriminate(const Tensor& x, const Tensor& onehot) {
  return discriminator()(concat({x, onehot}, 1));
}

}  // namespace aafgan::models
