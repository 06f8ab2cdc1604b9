// FID feature extraction speed: ms per image of the FID Inception (metrics/inception.h) on
// batches of 64×64 images, resized to 299×299 inside the network as pytorch-fid does. The
// weights' values do not change the work, so the network runs with its placeholder weights
// and no weights file is needed (the GPU check machines have no network access).
#include <CLI/CLI.hpp>

#include <chrono>
#include <exception>

#include <fmt/format.h>

#include "bench/bench_common.h"
#include "engine/autograd.h"
#include "engine/device.h"
#include "engine/random.h"
#include "metrics/inception.h"

using namespace aafgan;

int main(int argc, char** argv) {
  CLI::App app{"FID Inception feature extraction: ms per image (placeholder weights; the work is the same)"};
  std::string device_name = "auto";
  int64_t batch = 50, images = 1000;
  int size = 64;
  bool tf32 = false;
  app.add_option("--device", device_name, "auto, cpu, cuda or cuda:N");
  app.add_option("--batch-size", batch, "images per forward")->check(CLI::Range(1, 4096));
  app.add_option("--images", images, "timed images (after one untimed batch)")->check(CLI::Range(1, 1 << 24));
  app.add_option("--size", size, "input side in pixels")->check(CLI::Range(8, 1024));
  app.add_flag("--tf32", tf32, "allow TF32 on the GPU");
  CLI11_PARSE(app, argc, argv);
  try {
    const Device device = parse_device(device_name);
    if (device.is_cuda()) set_allow_tf32(tf32);
    models::fid::FidInception net;
    net.to(device);
    Generator gen(1, 1);
    const Tensor x = rand(Shape{batch, 3, size, size}, gen, DType::f32, device);
    autograd::NoGradGuard no_grad;
    const auto run = [&] {
      const Tensor f = net.forward(x);
      synchronize(device);
      return f.size(1);
    };
    run();  // algorithm searches, caches, first-touch allocations
    const int64_t batches = (images + batch - 1) / batch;
    const auto t0 = std::chrono::steady_clock::now();
    int64_t dim = 0;
    for (int64_t b = 0; b < batches; ++b) dim = run();
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    fmt::print("{}\n", bench::cpu_line());
    fmt::print("FID features on {} ({}{}): {} images {}×{} in batches of {}: {:.3f} ms per image ({:.1f} s per 10k), "
               "{} features\n", device.str(), aafgan::device_name(device), device.is_cuda() && tf32 ? ", TF32" : "",
               batches * batch, size, size, batch, ms / static_cast<double>(batches * batch),
               ms / static_cast<double>(batches * batch) * 10.0, dim);
  } catch (const std::exception& e) {
    fmt::print(stderr, "aafgan_bench_fid: {}\n", e.what());
    return 1;
  }
  return 0;
}
