#pragma once
// The per-epoch quality metrics of the GAN apps (gan-protocol.md §4), as EpochMetrics:
//   FID (and KID) of generated samples against real images, for ./celeba_dcgan;
//   the Parzen-window log-likelihood of held-out digits, for ./mnist_condgan.
// Generated samples come from the same noise (and labels) every epoch, drawn from the run's
// seed on their own streams (base/random_streams.h), so epochs compare like with like. The
// generator runs as the trainer's sample grid runs it (its current mode); BatchNorm running
// statistics it would update are restored afterwards, so measuring leaves the model exactly as
// it was.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "data/image_dataset.h"
#include "data/mnist.h"
#include "metrics/frechet.h"
#include "metrics/inception.h"
#include "metrics/kid.h"
#include "metrics/parzen.h"
#include "training/trainer.h"

namespace aafgan::models::fid {

struct FidMetricOptions {
  std::string weights_path;  // FID Inception weights (tools/convert_fid_weights.py)
  int64_t samples = 10000;   // generated images per epoch
  int64_t batch_size = 50;   // images per Inception (and generator) batch, as pytorch-fid
  // Where the real images' statistics are kept between runs ("" = recomputed at every start).
  // A file made for other weights or other images is refused, not silently reused.
  std::string stats_cache;
  bool kid = true;             // also KID (needs the real features: kept in the cache too)
  int kid_subsets = 100;       // KidOptions
  int64_t kid_subset_size = 1000;
  bool verbose = true;  // progress lines on stdout
};

// The real side of the comparison.
struct FidReference {
  std::function<data::ImageDataset()> load;  // called only when the cache cannot answer
  std::string fingerprint;                   // names the images for the cache: kind, folder, split, count
};

struct FidScores {
  double fid = 0;
  KidResult kid;  // zeros without KID
};

// Loads the network and the real statistics once (from the cache or by running the real
// images through it), then scores any number of runs.
class FidEvaluator {
 public:
  FidEvaluator(FidMetricOptions options, const FidReference& reference);

  // FID (and KID) of options.samples images of `gan` from the noise stream of `run_seed`.
  FidScores score(GanModel& gan, uint64_t run_seed, DType dtype);

  bool kid_enabled() const { return o_.kid; }
  const FrechetStats& reference_stats() const { return real_; }
  const FidInception& network() const { return *net_; }
  // What the cache file records and checks: the weights file (name, size, checksum) and the
  // reference fingerprint.
  const std::string& cache_key() const { return key_; }

 private:
  FidMetricOptions o_;
  std::shared_ptr<FidInception> net_;
  std::string key_;
  FrechetStats real_;
  FeatureMatrix real_features_;  // rows for KID; empty without it
};

// The metrics of one run: "fid" → stats/fid_scores.csv; with KID also "kid" → kid_scores.csv
// (mean MMD² over the subsets) and "kid_std" → kid_scores_std.csv. The KID metrics report what
// the FID metric computed from the same features, so they stay after it (the trainer calls
// metrics in order). The metrics keep `evaluator` alive.
std::vector<EpochMetric> fid_metrics(std::shared_ptr<FidEvaluator> evaluator, uint64_t run_seed, DType dtype);

// Rows first .. first + count − 1 of an MNIST split as 784-vectors in [0, 1] (x/255), the scale
// of parzen_ll.py and its σ grid.
FeatureMatrix mnist_rows(const data::MnistSplit& split, int64_t first, int64_t count);

struct ParzenMetricOptions {
  int64_t samples = 1000;  // generated digits, i % classes labels (parzen_ll.py used 10,000)
  int64_t batch = 100;
  std::vector<double> grid = parzen_sigma_grid();
};

// "parzen_ll" → stats/parzen_log_likelihood.csv and lls_avg.csv (mean LL of `test` in nats, data
// in [0, 1]), "parzen_ll_std" → parzen_log_likelihood_std.csv and lls_std.csv (the std of the
// test points' LLs), "parzen_ll_se" → parzen_log_likelihood_se.csv (its standard error, what
// parzen_ll.py prints after ±) and "parzen_sigma" →
// parzen_sigma.csv (the bandwidth chosen on `validation` that epoch). Generated samples (tanh
// outputs in [−1, 1]) are mapped to [0, 1] by (x + 1)/2 to match.
std::vector<EpochMetric> parzen_metrics(std::shared_ptr<const FeatureMatrix> validation,
                                        std::shared_ptr<const FeatureMatrix> test, const ParzenMetricOptions& options,
                                        uint64_t run_seed, DType dtype);

}  // namespace aafgan::models::fid
