#include "metrics/gan_metrics.h"

#include <fmt/format.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "engine/autograd.h"
#include "engine/host_allocator.h"
#include "engine/ops.h"
#include "base/random_streams.h"
#include "metrics/features.h"
#include "models/gan.h"

namespace aafgan::models::fid {

namespace fs = std::filesystem;

namespace {

// Puts a module's buffers (BatchNorm running statistics) back as they were when it goes out of
// scope: generating in training mode would otherwise move them.
class KeepBuffers {
 public:
  explicit KeepBuffers(const nn::Module& m) : live_(m.named_buffers()) {
    for (const auto& [name, t] : live_) saved_.push_back(t.clone());
  }
  ~KeepBuffers() {
    for (size_t i = 0; i < live_.size(); ++i) {
      Tensor dst = live_[i].second;
      dst.copy_(saved_[i]);
    }
  }
  KeepBuffers(const KeepBuffers&) = delete;
  KeepBuffers& operator=(const KeepBuffers&) = delete;

 private:
  nn::NamedTensors live_;
  std::vector<Tensor> saved_;
};

// Samples first .. first + n − 1 of a fixed sequence: noise from `noise` (drawn in order, so
// calls must come in order), labels i % classes for a conditional GAN. Generated on the model's
// device, returned on the cpu, where the Parzen metric and the unit-range mapping run (the FID
// Inception copies its batches back to its own device).
Tensor generate(GanModel& gan, Generator& noise, int64_t first, int64_t n, DType dtype) {
  const Device device = gan.device();
  const Tensor z = randn(Shape{n, gan.noise_size()}, noise, dtype, device);
  Tensor onehot;
  if (gan.num_classes() > 0) {
    std::vector<int32_t> labels(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) labels[static_cast<size_t>(i)] = static_cast<int32_t>((first + i) % gan.num_classes());
    onehot = one_hot(labels, gan.num_classes(), dtype);
    if (!device.is_cpu()) onehot = onehot.to(device);
  }
  const Tensor x = gan.generate(z, onehot);
  return x.device().is_cpu() ? x : x.to(Device::cpu());
}

// Names a weights file by content cheaply: its size and the CRC-32 our checkpoint format keeps
// in its last four bytes.
std::string weights_identity(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  AAFGAN_CHECK(in.good(), "cannot open FID Inception weights '{}'", path);
  const std::streamoff size = in.tellg();
  uint32_t crc = 0;
  if (size >= 4) {
    unsigned char b[4] = {0, 0, 0, 0};
    in.seekg(size - 4);
    in.read(reinterpret_cast<char*>(b), 4);
    crc = uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
  }
  return fmt::format("{} ({} bytes, crc32 {:08x})", fs::path(path).filename().string(), static_cast<int64_t>(size), crc);
}

ProgressFn progress_printer(bool verbose, const std::string& what) {
  if (!verbose) return nullptr;
  return [what, last = int64_t(0)](int64_t done, int64_t total) mutable {
    if (done == total || done - last >= 1000) {
      fmt::print("FID: {} {} / {}\n", what, done, total);
      std::fflush(stdout);
      last = done;
    }
  };
}

}  // namespace

FidEvaluator::FidEvaluator(FidMetricOptions options, const FidReference& reference) : o_(std::move(options)) {
  AAFGAN_CHECK(!o_.weights_path.empty(),
               "FID needs Inception weights: pass --fid-weights FILE (made by tools/convert_fid_weights.py from "
               "pt_inception-2015-12-05-6726825d.pth)");
  AAFGAN_CHECK(o_.samples >= 2 && o_.batch_size >= 1, "FID: {} samples in batches of {} (need at least 2 samples)",
               o_.samples, o_.batch_size);
  net_ = FidInception::load(o_.weights_path);
  key_ = fmt::format("weights {}; {} features; images: {}", weights_identity(o_.weights_path), net_->feature_dim(),
                     reference.fingerprint);

  bool need_images = true;
  if (!o_.stats_cache.empty() && fs::exists(o_.stats_cache)) {
    FrechetStatsFile f = load_frechet_stats(o_.stats_cache);
    const std::string made_for = f.metadata.value("key", std::string());
    if (made_for != key_)
      fail("FID statistics cache '{}' was made for \"{}\", but this run needs \"{}\": delete the file or pass "
           "another --fid-stats-cache",
           o_.stats_cache, made_for, key_);
    real_ = std::move(f.stats);
    need_images = false;
    if (o_.kid) {
      need_images = true;
      for (const auto& [name, t] : f.extra)
        if (name == "features" && t.ndim() == 2 && t.size(1) == net_->feature_dim()) {
          const Tensor d = t.to(DType::f64);
          real_features_ = Eigen::Map<const FeatureMatrix>(d.data<double>(), d.size(0), d.size(1));
          need_images = false;
        }
      if (need_images && o_.verbose)
        fmt::print("FID: the cache '{}' has no real features for KID; recomputing it\n", o_.stats_cache);
    }
    if (!need_images && o_.verbose)
      fmt::print("FID: statistics of {} reference images read from {}\n", real_.count, o_.stats_cache);
  }
  if (need_images) {
    const data::ImageDataset images = reference.load();
    AAFGAN_CHECK(images.count >= 2, "FID: the reference images ({}) hold {} image(s); at least 2 are needed",
                 reference.fingerprint, images.count);
    FeatureMatrix feats = extract_features(
        *net_, images.count, o_.batch_size,
        [&](int64_t first, int64_t n) { return dataset_batch(images, first, n, net_->dtype()); },
        progress_printer(o_.verbose, "reference images"));
    host_cache_release();
    real_ = frechet_stats(feats);
    if (o_.kid) real_features_ = std::move(feats);
    if (!o_.stats_cache.empty()) {
      nn::NamedTensors extra;
      if (o_.kid) {
        // f32 halves the file; KID's kernel sums do not need more than f32's 7 digits per feature.
        Tensor t = Tensor::empty(Shape{real_features_.rows(), real_features_.cols()}, DType::f32);
        float* p = t.data<float>();
        for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<float>(real_features_.data()[i]);
        extra.emplace_back("features", t);
      }
      save_frechet_stats(o_.stats_cache, real_, {{"key", key_}}, extra);
      if (o_.verbose) fmt::print("FID: reference statistics of {} images cached in {}\n", real_.count, o_.stats_cache);
    }
  }
}

FidScores FidEvaluator::score(GanModel& gan, uint64_t run_seed, DType dtype) {
  // The Inception follows the generator: on its GPU when it has one (the images make a short
  // round trip through the host, the network's feature maps never do).
  if (net_->device() != gan.device()) net_->to(gan.device());
  Generator noise(run_seed, stream_id(RandomStream::fid_noise));
  FeatureMatrix fake;
  {
    KeepBuffers keep(gan.generator());
    fake = extract_features(
        *net_, o_.samples, o_.batch_size,
        [&](int64_t first, int64_t n) { return gan_to_unit_range(generate(gan, noise, first, n, dtype)); },
        progress_printer(o_.verbose, "generated images"));
  }
  // The Inception's feature maps (GBs at batch 50) stay in the host allocator's cache otherwise,
  // through the whole next training epoch.
  host_cache_release();
  FidScores s;
  s.fid = frechet_distance(real_, frechet_stats(fake));
  if (o_.kid) {
    KidOptions k;
    k.subsets = o_.kid_subsets;
    k.subset_size = o_.kid_subset_size;
    k.seed = run_seed;
    k.stream = stream_id(RandomStream::kid_subsets);
    s.kid = kernel_inception_distance(real_features_, fake, k);
  }
  return s;
}

std::vector<EpochMetric> fid_metrics(std::shared_ptr<FidEvaluator> evaluator, uint64_t run_seed, DType dtype) {
  auto last = std::make_shared<FidScores>();
  std::vector<EpochMetric> m;
  m.push_back({"fid", "fid_scores", [evaluator, last, run_seed, dtype](GanModel& gan) {
                 *last = evaluator->score(gan, run_seed, dtype);
                 return last->fid;
               }});
  if (evaluator->kid_enabled()) {
    m.push_back({"kid", "kid_scores", [last](GanModel&) { return last->kid.mean; }});
    m.push_back({"kid_std", "kid_scores_std", [last](GanModel&) { return last->kid.std; }});
  }
  return m;
}

FeatureMatrix mnist_rows(const data::MnistSplit& split, int64_t first, int64_t count) {
  AAFGAN_CHECK(first >= 0 && count >= 1 && first + count <= split.count, "MNIST rows [{}, {}) of a split of {}", first,
               first + count, split.count);
  FeatureMatrix out(count, split.pixels());
  const uint8_t* src = split.images.data() + first * split.pixels();
  for (int64_t i = 0; i < out.size(); ++i) out.data()[i] = static_cast<double>(src[i]) / 255.0;
  return out;
}

std::vector<EpochMetric> parzen_metrics(std::shared_ptr<const FeatureMatrix> validation,
                                        std::shared_ptr<const FeatureMatrix> test, const ParzenMetricOptions& options,
                                        uint64_t run_seed, DType dtype) {
  AAFGAN_CHECK(validation && test && validation->rows() >= 1 && test->rows() >= 1 &&
                   validation->cols() == test->cols(),
               "Parzen metric: validation and test points are missing or differ in dimension");
  AAFGAN_CHECK(options.samples >= 1, "Parzen metric: {} samples", options.samples);
  auto last = std::make_shared<ParzenResult>();
  const auto compute = [validation, test, options, run_seed, dtype, last](GanModel& gan) {
    const int64_t d = gan.sample_shape().numel();
    AAFGAN_CHECK(d == validation->cols(), "Parzen metric: samples of {} values against held-out points of {}", d,
                 validation->cols());
    Generator noise(run_seed, stream_id(RandomStream::parzen_noise));
    FeatureMatrix samples(options.samples, d);
    {
      autograd::NoGradGuard no_grad;
      KeepBuffers keep(gan.generator());
      for (int64_t first = 0; first < options.samples; first += 1000) {
        const int64_t n = std::min<int64_t>(1000, options.samples - first);
        const Tensor x = gan_to_unit_range(generate(gan, noise, first, n, dtype)).to(DType::f64);
        std::memcpy(samples.data() + first * d, x.data<double>(), static_cast<size_t>(n * d) * sizeof(double));
      }
    }
    *last = parzen_evaluate(samples, *validation, *test, options.grid, options.batch);
    return last->mean;
  };
  return {{"parzen_ll", "parzen_log_likelihood", compute, 1.0, "lls_avg"},
          {"parzen_ll_std", "parzen_log_likelihood_std", [last](GanModel&) { return last->std; }, 1.0, "lls_std"},
          {"parzen_ll_se", "parzen_log_likelihood_se", [last](GanModel&) { return last->std_error; }},
          {"parzen_sigma", "parzen_sigma", [last](GanModel&) { return last->sigma; }}};
}

}  // namespace aafgan::models::fid
