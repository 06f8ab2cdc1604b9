// Every engine op on CUDA tensors against its CPU twin (forward and every gradient), f64
// central-difference checks on the GPU, and one GAN iteration of each app on both devices from
// the same weights and inputs. Without a GPU each case prints "skipped: <reason>".
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "engine/autograd.h"
#include "engine/device.h"
#include "engine/nn/module.h"
#include "engine/ops.h"
#include "engine/ops/adaptive.h"
#include "engine/ops/pointwise.h"
#include "engine/optim/adam.h"
#include "models/dcgan.h"
#include "models/image_data.h"
#include "models/mnist_condgan.h"
#include "training/trainer.h"
#include "data/fake_images.h"
#include "tests/gpu.h"
#include "tests/gradcheck.h"
#include "tests/temp_dir.h"

using namespace aafgan;
using aafgan::testing::leaf;
using aafgan::testing::random_input;

namespace {

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

struct Result {
  std::vector<double> y;
  std::vector<std::vector<double>> grads;
};

// y = fn(inputs on `device`), then the gradients of sum(y ⊙ proj) for inputs with requires_grad.
Result run_on(const Device& device, const Fn& fn, const std::vector<Tensor>& inputs, DType dtype) {
  std::vector<Tensor> xs;
  for (const Tensor& x : inputs) {
    Tensor c = x.to(dtype).to(device);
    c.set_requires_grad(x.requires_grad());
    xs.push_back(c);
  }
  const Tensor y = fn(xs);
  Result r;
  r.y = y.to_vector();
  bool any = false;
  for (const Tensor& x : xs) any = any || x.requires_grad();
  if (any) {
    const Tensor proj = random_input(y.shape(), 4242).to(dtype).to(device);
    autograd::backward(sum(mul(y, proj)));
    for (const Tensor& x : xs)
      r.grads.push_back(x.requires_grad() && x.grad().defined() ? x.grad().to_vector() : std::vector<double>{});
  } else {
    autograd::clear_tape();
  }
  return r;
}

void check_close(const std::string& what, const std::vector<double>& cpu, const std::vector<double>& gpu,
                 double rtol) {
  REQUIRE_MESSAGE(cpu.size() == gpu.size(), what);
  double scale = 0;
  for (double v : cpu) scale = std::max(scale, std::abs(v));
  int64_t bad = 0;
  double worst = 0;
  for (size_t i = 0; i < cpu.size(); ++i) {
    const double err = std::abs(cpu[i] - gpu[i]);
    worst = std::max(worst, err / std::max(scale, 1e-30));
    bad += !(err <= rtol * (std::abs(cpu[i]) + scale * 1e-2) + 1e-30) || std::isnan(gpu[i]) != std::isnan(cpu[i]);
  }
  CHECK_MESSAGE(bad == 0, what, ": ", bad, " of ", cpu.size(), " differ; worst error relative to the largest ",
                worst);
}

// Forward and gradients agree across devices, f32 (~1e-5) and f64 (~1e-12).
void agree(const std::string& what, const Fn& fn, const std::vector<Tensor>& inputs) {
  for (const DType dt : {DType::f32, DType::f64}) {
    const double rtol = dt == DType::f32 ? 2e-5 : 1e-11;
    const Result c = run_on(Device::cpu(), fn, inputs, dt);
    const Result g = run_on(Device::cuda(0), fn, inputs, dt);
    const std::string tag = what + " " + dtype_name(dt);
    check_close(tag + " forward", c.y, g.y, rtol);
    for (size_t k = 0; k < c.grads.size(); ++k)
      check_close(tag + " gradient of input " + std::to_string(k), c.grads[k], g.grads[k], rtol);
  }
}

}  // namespace

TEST_CASE("cuda engine: tensors round-trip between devices in both dtypes") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  const Tensor a = random_input({3, 5, 7}, 1);
  const Tensor g = a.to(Device::cuda(0));
  CHECK(g.device().is_cuda());
  CHECK(g.to_vector() == a.to_vector());
  CHECK(g.to(DType::f32).to(DType::f64).to(Device::cpu()).to_vector() == a.to(DType::f32).to(DType::f64).to_vector());
  Tensor z = Tensor::zeros(Shape{1000}, DType::f32, Device::cuda(0));
  for (double v : z.to_vector()) REQUIRE(v == 0.0);
  z.fill_(2.5);
  CHECK(z.to_vector() == std::vector<double>(1000, 2.5));
  CHECK(z.clone().to_vector() == z.to_vector());
}

TEST_CASE("cuda engine: arithmetic with broadcasting, affine, rdiv and reductions agree with the cpu") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  for (auto [sa, sb] : std::vector<std::pair<Shape, Shape>>{{{4, 7}, {4, 7}}, {{4, 7}, {7}}, {{2, 3, 4, 5}, {3, 4, 5}},
                                                            {{2, 3, 4}, {3, 1}}, {{5}, {}}}) {
    const std::string s = sa.str() + " by " + sb.str();
    agree("add " + s, [](const std::vector<Tensor>& v) { return add(v[0], v[1]); }, {leaf(sa, 1), leaf(sb, 2)});
    agree("sub " + s, [](const std::vector<Tensor>& v) { return sub(v[0], v[1]); }, {leaf(sa, 3), leaf(sb, 4)});
    agree("mul " + s, [](const std::vector<Tensor>& v) { return mul(v[0], v[1]); }, {leaf(sa, 5), leaf(sb, 6)});
    agree("div " + s, [](const std::vector<Tensor>& v) { return div(v[0], v[1]); },
          {leaf(sa, 7), leaf(sb, 8, 0.5, 1.5)});
  }
  agree("affine", [](const std::vector<Tensor>& v) { return v[0] * 3.0 - 1.5; }, {leaf({33, 9}, 9)});
  agree("rdiv", [](const std::vector<Tensor>& v) { return 2.0 / v[0]; }, {leaf({33, 9}, 10, 0.5, 2.0)});
  agree("sum all", [](const std::vector<Tensor>& v) { return sum(v[0]); }, {leaf({300, 70}, 11)});
  agree("mean", [](const std::vector<Tensor>& v) { return mean(v[0]); }, {leaf({1000}, 12)});
  for (int d = 0; d < 3; ++d)
    agree("sum dim " + std::to_string(d), [d](const std::vector<Tensor>& v) { return sum(v[0], d); },
          {leaf({6, 130, 5}, 13)});
  agree("reshape and concat", [](const std::vector<Tensor>& v) { return concat({reshape(v[0], {4, 6}), v[1]}, 1); },
        {leaf({2, 12}, 14), leaf({4, 3}, 15)});
}

TEST_CASE("cuda engine: linear, matmul, conv2d, conv_transpose2d, batch_norm and max_pool2d agree with the cpu") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  agree("linear", [](const std::vector<Tensor>& v) { return linear(v[0], v[1], v[2]); },
        {leaf({10, 37}, 21), leaf({23, 37}, 22), leaf({23}, 23)});
  agree("matmul", [](const std::vector<Tensor>& v) { return matmul(v[0], v[1]); }, {leaf({9, 17}, 24), leaf({17, 5}, 25)});
  Conv2dParams s2;
  s2.stride_h = s2.stride_w = 2;
  s2.pad_h = s2.pad_w = 1;
  agree("conv2d 4x4 stride 2 pad 1", [s2](const std::vector<Tensor>& v) { return conv2d(v[0], v[1], v[2], s2); },
        {leaf({3, 4, 16, 16}, 26), leaf({6, 4, 4, 4}, 27), leaf({6}, 28)});
  Conv2dParams rect;
  rect.pad_w = 3;
  agree("conv2d 1x7", [rect](const std::vector<Tensor>& v) { return conv2d(v[0], v[1], Tensor(), rect); },
        {leaf({2, 3, 9, 9}, 29), leaf({5, 3, 1, 7}, 30)});
  agree("conv_transpose2d 4x4 stride 2 pad 1",
        [s2](const std::vector<Tensor>& v) { return conv_transpose2d(v[0], v[1], Tensor(), s2); },
        {leaf({3, 6, 8, 8}, 31), leaf({6, 4, 4, 4}, 32)});
  agree("batch_norm training", [](const std::vector<Tensor>& v) {
    Tensor rm, rv;
    return batch_norm(v[0], v[1], v[2], rm, rv, true);
  }, {leaf({8, 5, 6, 6}, 33), leaf({5}, 34, 0.5, 1.5), leaf({5}, 35)});
  agree("batch_norm eval", [](const std::vector<Tensor>& v) {
    Tensor rm = Tensor::full(Shape{5}, 0.1, v[0].dtype(), v[0].device());
    Tensor rv = Tensor::full(Shape{5}, 1.7, v[0].dtype(), v[0].device());
    return batch_norm(v[0], v[1], v[2], rm, rv, false);
  }, {leaf({8, 5, 6, 6}, 36), leaf({5}, 37, 0.5, 1.5), leaf({5}, 38)});
  agree("max_pool2d", [](const std::vector<Tensor>& v) { return max_pool2d(v[0], 2); }, {leaf({2, 3, 10, 10}, 39)});

  // Running statistics are updated alike.
  for (const Device d : {Device::cpu(), Device::cuda(0)}) {
    Tensor rm = Tensor::zeros(Shape{5}, DType::f64, d), rv = Tensor::ones(Shape{5}, DType::f64, d);
    batch_norm(random_input({8, 5, 3, 3}, 40).to(d), Tensor(), Tensor(), rm, rv, true);
    static std::vector<double> cpu_mean, cpu_var;
    if (d.is_cpu()) {
      cpu_mean = rm.to_vector();
      cpu_var = rv.to_vector();
    } else {
      check_close("running mean", cpu_mean, rm.to_vector(), 1e-12);
      check_close("running var", cpu_var, rv.to_vector(), 1e-12);
    }
  }
}

TEST_CASE("cuda engine: activations, pointwise maps, dropout, losses and adaptive activations agree with the cpu") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  const std::vector<std::pair<std::string, Fn>> maps = {
      {"relu", [](const std::vector<Tensor>& v) { return relu(v[0]); }},
      {"leaky_relu", [](const std::vector<Tensor>& v) { return leaky_relu(v[0], 0.2); }},
      {"sigmoid", [](const std::vector<Tensor>& v) { return sigmoid(v[0]); }},
      {"tanh", [](const std::vector<Tensor>& v) { return aafgan::tanh(v[0]); }},
      {"exp", [](const std::vector<Tensor>& v) { return aafgan::exp(v[0]); }},
      {"softplus", [](const std::vector<Tensor>& v) { return softplus(v[0]); }},
      {"abs", [](const std::vector<Tensor>& v) { return aafgan::abs(v[0]); }},
      {"square", [](const std::vector<Tensor>& v) { return square(v[0]); }},
      {"clamp", [](const std::vector<Tensor>& v) { return clamp(v[0], -0.3, 0.4); }},
  };
  for (const auto& [name, fn] : maps) agree(name, fn, {leaf({17, 31}, 50, -3.0, 3.0)});
  agree("sqrt log log1p", [](const std::vector<Tensor>& v) { return aafgan::log1p(aafgan::log(aafgan::sqrt(v[0]))); },
        {leaf({17, 31}, 51, 1.5, 4.0)});
  agree("dropout", [](const std::vector<Tensor>& v) {
    Generator gen(77, 4);
    return dropout(v[0], 0.3, true, gen);
  }, {leaf({13, 257}, 52)});
  agree("binary_cross_entropy", [](const std::vector<Tensor>& v) { return binary_cross_entropy(v[0], v[1]); },
        {leaf({64, 1}, 53, 0.02, 0.98), leaf({64, 1}, 54, 0.0, 1.0)});
  agree("log_softmax and nll", [](const std::vector<Tensor>& v) {
    const Tensor labels = Tensor::from_vector({6}, {3, 0, 9, 3, 1, 7}, v[0].dtype()).to(v[0].device());
    return nll_loss(log_softmax(v[0]), labels);
  }, {leaf({6, 10}, 55, -3.0, 3.0)});
  for (const char* act : {"BHSA", "MiDA", "SHReLU"}) {
    const Act a = parse_act(act);
    const int np = kernels::act_param_count(a);
    std::vector<Tensor> in = {leaf({9, 3, 4, 4}, 56, -2.0, 2.0)};
    for (int k = 0; k < np; ++k) in.push_back(leaf({3, 4, 4}, 57 + static_cast<uint64_t>(k), 0.2, 0.8));
    agree(std::string("adaptive ") + act, [a](const std::vector<Tensor>& v) {
      return adaptive_activation(a, Range::sym, v[0], std::vector<Tensor>(v.begin() + 1, v.end()));
    }, in);
  }
  // The same seed draws the same numbers on both devices.
  Generator gc(5, 2), gg(5, 2);
  check_close("randn", randn(Shape{4097}, gc, DType::f64).to_vector(),
              randn(Shape{4097}, gg, DType::f64, Device::cuda(0)).to_vector(), 1e-13);
}

TEST_CASE("cuda engine: f64 central differences of the gpu ops match their gpu gradients") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  Conv2dParams s2;
  s2.stride_h = s2.stride_w = 2;
  s2.pad_h = s2.pad_w = 1;
  const std::vector<std::pair<std::string, std::pair<Fn, std::vector<Tensor>>>> cases = {
      {"linear", {[](const std::vector<Tensor>& v) { return linear(v[0], v[1], v[2]); },
                  {leaf({3, 5}, 61), leaf({4, 5}, 62), leaf({4}, 63)}}},
      {"conv2d", {[s2](const std::vector<Tensor>& v) { return conv2d(v[0], v[1], Tensor(), s2); },
                  {leaf({2, 2, 6, 6}, 64), leaf({3, 2, 4, 4}, 65)}}},
      {"conv_transpose2d", {[s2](const std::vector<Tensor>& v) { return conv_transpose2d(v[0], v[1], Tensor(), s2); },
                            {leaf({2, 3, 3, 3}, 66), leaf({3, 2, 4, 4}, 67)}}},
      {"batch_norm", {[](const std::vector<Tensor>& v) {
                        Tensor rm, rv;
                        return batch_norm(v[0], v[1], v[2], rm, rv, true);
                      },
                      {leaf({4, 2, 3, 3}, 68), leaf({2}, 69, 0.5, 1.5), leaf({2}, 70)}}},
      {"bce", {[](const std::vector<Tensor>& v) { return binary_cross_entropy(sigmoid(v[0]), v[1]); },
               {leaf({6, 1}, 71), leaf({6, 1}, 72, 0.0, 1.0)}}},
  };
  for (const auto& [name, c] : cases) {
    const auto& [fn, inputs] = c;
    // The GPU evaluates fn at each perturbed point; its backward gives the analytic gradient.
    const Result analytic = run_on(Device::cuda(0), fn, inputs, DType::f64);
    const Tensor proj = random_input(Shape(std::vector<int64_t>{static_cast<int64_t>(analytic.y.size())}), 4242);
    const auto value = [&](const std::vector<Tensor>& xs) {
      autograd::NoGradGuard no_grad;
      std::vector<Tensor> on;
      for (const Tensor& x : xs) on.push_back(x.to(Device::cuda(0)));
      const std::vector<double> y = fn(on).to_vector(), p = random_input(fn(on).shape(), 4242).to_vector();
      double s = 0;
      for (size_t i = 0; i < y.size(); ++i) s += y[i] * p[i];
      return s;
    };
    for (size_t k = 0; k < inputs.size(); ++k) {
      if (!inputs[k].requires_grad()) continue;
      std::vector<double> numeric;
      for (int64_t i = 0; i < inputs[k].numel(); ++i) {
        std::vector<Tensor> plus, minus;
        for (const Tensor& x : inputs) {
          plus.push_back(x.clone());
          minus.push_back(x.clone());
        }
        const double eps = 1e-6;
        plus[k].data<double>()[i] += eps;
        minus[k].data<double>()[i] -= eps;
        numeric.push_back((value(plus) - value(minus)) / (2 * eps));
      }
      check_close(name + " gpu gradcheck input " + std::to_string(k), numeric, analytic.grads[k], 1e-5);
    }
    (void)proj;
  }
}

TEST_CASE("cuda engine: multi-tensor Adam steps equal the cpu loop") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  for (const DType dt : {DType::f32, DType::f64}) {
    std::vector<std::vector<double>> finals[2];
    int side = 0;
    for (const Device d : {Device::cpu(), Device::cuda(0)}) {
      std::vector<Tensor> params;
      for (int i = 0; i < 30; ++i) {  // more tensors than one launch takes, of odd sizes
        Tensor p = random_input(Shape{static_cast<int64_t>(1 + 97 * i)}, 100 + static_cast<uint64_t>(i)).to(dt).to(d);
        p.set_requires_grad(true);
        params.push_back(p);
      }
      optim::Adam adam(params, optim::AdamOptions{});
      for (int step = 0; step < 3; ++step) {
        adam.zero_grad();
        Tensor loss = Tensor::zeros(Shape{}, dt, d);
        for (const Tensor& p : params) loss = loss + sum(square(p));
        autograd::backward(loss);
        adam.step();
      }
      for (const Tensor& p : params) finals[side].push_back(p.to_vector());
      ++side;
    }
    for (size_t i = 0; i < finals[0].size(); ++i)
      check_close(std::string("adam ") + dtype_name(dt) + " tensor " + std::to_string(i), finals[0][i], finals[1][i],
                  dt == DType::f32 ? 1e-6 : 1e-13);
  }
}

namespace {

// One train_step of `make()`'s model on each device from the same weights and batch.
void same_iteration(const std::function<std::unique_ptr<models::GanModel>()>& make,
                    const models::TrainingData& data, int64_t batch) {
  double losses[2][2];
  int side = 0;
  for (const Device d : {Device::cpu(), Device::cuda(0)}) {
    auto model = make();
    testing::TempDir dir("cuda_iteration");
    models::TrainOptions o;
    o.run_dir = dir.path().string();
    o.seed = 3;
    o.batch_size = batch;
    o.device = d;
    models::AdversarialTrainer t(*model, data, o, DType::f32, std::make_shared<Generator>(3, 4));
    std::vector<int64_t> idx(static_cast<size_t>(batch));
    for (int64_t i = 0; i < batch; ++i) idx[static_cast<size_t>(i)] = i;
    std::vector<int64_t> shape = {batch};
    for (int64_t s : data.sample_shape().vec()) shape.push_back(s);
    Tensor images = Tensor::empty(Shape(shape), DType::f32);
    std::vector<int32_t> labels(static_cast<size_t>(batch));
    data.fill(idx.data(), batch, images.data<float>(), labels.data());
    t.train_step(images.to(d), labels);
    const StepStatsSnapshot st = t.read_stats();
    REQUIRE(st.first_bad_step < 0);
    losses[side][0] = st.last.d_loss;
    losses[side][1] = st.last.g_loss;
    ++side;
  }
  CHECK(losses[1][0] == doctest::Approx(losses[0][0]).epsilon(1e-4));
  CHECK(losses[1][1] == doctest::Approx(losses[0][1]).epsilon(1e-4));
}

}  // namespace

TEST_CASE("cuda engine: one GAN iteration of each app gives the cpu's losses") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  const models::ImageTrainingData mnist_like(data::make_fake_images(16, 1, 28, 9), "fake digits");
  // The MLP GAN takes 784-vectors: view the fake 1×28×28 images through a small adapter.
  struct Flat : models::TrainingData {
    const models::ImageTrainingData& in;
    explicit Flat(const models::ImageTrainingData& i) : in(i) {}
    int64_t size() const override { return in.size(); }
    Shape sample_shape() const override { return Shape{784}; }
    int num_classes() const override { return 10; }
    void fill(const int64_t* idx, int64_t n, float* images, int32_t* labels) const override {
      in.fill(idx, n, images, labels);
      for (int64_t i = 0; i < n; ++i) labels[i] = static_cast<int32_t>(idx[i] % 10);
    }
    std::string describe() const override { return "flat"; }
  } flat(mnist_like);
  same_iteration([] {
    models::MnistGanSpec spec;
    spec.gen = "BHSA";
    spec.gen_hidden = "MiDA";
    Generator init(3, 1);
    return std::make_unique<models::MnistCondGan>(spec, init, std::make_shared<Generator>(3, 4), DType::f32);
  }, flat, 16);
  const models::ImageTrainingData faces(data::make_fake_images(8, 3, 64, 10), "fake faces");
  same_iteration([] {
    models::DcGanSpec spec;
    spec.gen_init_weights = 1;
    spec.dis_init_weights = 1;
    Generator init(3, 1);
    return std::make_unique<models::DcGan>(spec, init, DType::f32);
  }, faces, 8);
}

TEST_CASE("cuda engine: without a usable GPU the device is refused with the reason") {
  if (cuda_available()) {
    CHECK(parse_device("auto").is_cuda());
    return;
  }
  CHECK(parse_device("auto").is_cpu());
  CHECK_THROWS_WITH_AS(parse_device("cuda"), doctest::Contains("no usable GPU"), Error);
  CHECK_THROWS_WITH_AS(Tensor::zeros(Shape{4}, DType::f32, Device::cuda(0)), doctest::Contains("cannot allocate"),
                       Error);
}

TEST_CASE("batch uploader: a CPU device takes the batch as it is") {
  BatchUploader uploader;
  const Tensor host = random_input({4, 7}, 90).to(DType::f32);
  CHECK(uploader.upload(host, Device::cpu()).same_storage(host));
}

TEST_CASE("cuda engine: batches uploaded through the pinned double buffer arrive intact") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  BatchUploader uploader;
  std::vector<Tensor> batches, uploaded;
  for (int i = 0; i < 5; ++i) {  // more batches than staging buffers, of growing sizes
    batches.push_back(random_input({4 + i, 513}, 91 + static_cast<uint64_t>(i)).to(DType::f32));
    uploaded.push_back(uploader.upload(batches.back(), Device::cuda(0)));
  }
  for (int i = 0; i < 5; ++i) {
    CHECK(uploaded[static_cast<size_t>(i)].device().is_cuda());
    CHECK(uploaded[static_cast<size_t>(i)].to_vector() == batches[static_cast<size_t>(i)].to_vector());
  }
}

// A kernel cannot throw: an invalid loss input is written to the device's error record and thrown
// at the next wait for the device (here the read-back of the loss), with the CPU's message. The
// record is cleared by that report: the next valid loss reads back normally, and a second
// invalid input is reported with its own index.
TEST_CASE("cuda engine: an invalid bce prediction or nll label throws at the next read-back, as on the cpu") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  const Device gpu = Device::cuda(0);
  const auto message = [](const std::function<void()>& fn) {
    try {
      fn();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const Tensor target = Tensor::from_vector({4}, {0.0, 1.0, 1.0, 0.0});
  const Tensor bad_p = Tensor::from_vector({4}, {0.25, 0.5, 1.5, 0.75});
  const std::string cpu_bce = message([&] { binary_cross_entropy(bad_p, target); });
  CHECK(cpu_bce == "binary_cross_entropy: prediction 1.5 at index 2 is outside [0, 1]");
  const Tensor gpu_loss = binary_cross_entropy(bad_p.to(gpu), target.to(gpu));  // no wait yet
  const std::string gpu_bce = message([&] { gpu_loss.item(); });
  CHECK(gpu_bce.rfind(cpu_bce, 0) == 0);  // the CPU's message, then where it was found
  CHECK(gpu_bce.find("cuda:0") != std::string::npos);

  const Tensor good_p = Tensor::from_vector({4}, {0.25, 0.5, 0.5, 0.75});
  const double want = binary_cross_entropy(good_p, target).item();
  CHECK(binary_cross_entropy(good_p.to(gpu), target.to(gpu)).item() == doctest::Approx(want).epsilon(1e-6));

  const Tensor logp = log_softmax(random_input({3, 4}, 7).to(DType::f32));
  const Tensor bad_labels = Tensor::from_vector({3}, {1.0, 4.0, 0.0});
  const std::string cpu_nll = message([&] { nll_loss(logp, bad_labels); });
  CHECK(cpu_nll == "nll_loss: label 4 at row 1 is not a class index in [0, 4)");
  const Tensor gpu_nll_loss = nll_loss(logp.to(gpu), bad_labels.to(gpu));
  const std::string gpu_nll = message([&] { synchronize(gpu); });  // a synchronize reports it too
  CHECK(gpu_nll.rfind(cpu_nll, 0) == 0);
  CHECK(std::isnan(gpu_nll_loss.item()));  // cleared: the NaN loss itself reads back

  const Tensor second = Tensor::from_vector({4}, {-0.5, 0.5, 0.5, 0.75});
  const Tensor again = binary_cross_entropy(second.to(gpu), target.to(gpu));
  CHECK(message([&] { again.item(); }).rfind("binary_cross_entropy: prediction -0.5 at index 0", 0) == 0);
}

// The destructor waits for the copy still reading its staging buffer before freeing it.
TEST_CASE("cuda engine: a batch uploaded just before its uploader is destroyed arrives intact") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  const Tensor host = random_input({512, 4096}, 96).to(DType::f32);  // 8 MiB: the copy takes a while
  Tensor uploaded;
  {
    BatchUploader uploader;
    uploaded = uploader.upload(host, Device::cuda(0));
  }
  // Pinned memory freed under a running copy would be reused by this allocation and overwritten.
  {
    BatchUploader scribbler;
    const Tensor noise = Tensor::full({512, 4096}, -7.0, DType::f32);
    scribbler.upload(noise, Device::cuda(0));
  }
  CHECK(uploaded.to_vector() == host.to_vector());
}
