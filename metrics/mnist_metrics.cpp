#include "metrics/mnist_metrics.h"

#include <algorithm>

#include <fmt/format.h>

#include "engine/autograd.h"
#include "base/error.h"
#include "engine/ops.h"
#include "base/random_streams.h"
#include "metrics/gan_metrics.h"
#include "models/gan.h"

namespace aafgan::models {

namespace {

std::shared_ptr<const fid::FeatureMatrix> rows(const data::MnistSplit& split, int64_t first, int64_t count) {
  return std::make_shared<const fid::FeatureMatrix>(fid::mnist_rows(split, first, count));
}

}  // namespace

ParzenReference choose_parzen_reference(const data::MnistSplit& training, bool training_is_train,
                                        const std::string& dir) {
  ParzenReference r;
  if (!training_is_train) {
    // Only t10k: two fixed slices of it, which the GAN also trains on unless --max-images keeps them out.
    const int64_t v0 = training.count * 8 / 10, t0 = training.count * 9 / 10;
    r.validation = rows(training, v0, t0 - v0);
    r.test = rows(training, t0, training.count - t0);
    r.description = fmt::format(
        "note: Parzen: only t10k is available; σ is chosen on t10k[{}:{}] and the score is of t10k[{}:{}], digits "
        "the GAN also trains on unless --max-images is at most {}",
        v0, t0, t0, training.count, v0);
    return r;
  }
  // parzen_ll.py chose σ on 1,000 digits of MNIST's validation rows (train[50000:60000]) and
  // evaluated the 10,000 test digits.
  const int64_t start = training.count - std::min<int64_t>(10000, training.count / 6);
  const int64_t valid_n = std::min<int64_t>(1000, training.count - start);
  r.validation = rows(training, start, valid_n);
  if (data::has_mnist_split(dir, "t10k")) {
    const data::MnistSplit test = data::load_mnist_split(dir, "t10k");
    r.test = rows(test, 0, test.count);
    r.description = fmt::format("Parzen: σ chosen on train[{}:{}], evaluated on the {} t10k digits", start,
                                start + valid_n, test.count);
  } else {
    const int64_t first = start + valid_n;
    r.test = rows(training, first, training.count - first);
    r.description = fmt::format("Parzen: no t10k split; σ chosen on train[{}:{}], evaluated on train[{}:{}]", start,
                                start + valid_n, first, training.count);
  }
  return r;
}

EpochMetric classifier_metric(std::shared_ptr<MnistClassifier> net, uint64_t run_seed, int count, DType dtype) {
  return {"classifier_accuracy", "pre_classifier_accuracies", [net, run_seed, count, dtype](GanModel& gan) {
            const ClassifierShape& shape = net->shape();
            const int classes = gan.num_classes();
            AAFGAN_CHECK(classes == shape.classes && gan.sample_shape().numel() == shape.pixels(),
                         "the classifier reads {}, but the GAN makes {} samples of {} classes", shape.str(),
                         gan.sample_shape().str(), classes);
            Generator gen(run_seed, stream_id(RandomStream::classifier_metric));
            std::vector<int32_t> labels(static_cast<size_t>(count));
            for (int i = 0; i < count; ++i) labels[static_cast<size_t>(i)] = i % classes;
            autograd::NoGradGuard no_grad;
            const Tensor z = randn(Shape{count, gan.noise_size()}, gen, dtype, gan.device());
            const Tensor onehot = one_hot(labels, classes, dtype).to(gan.device());
            const Tensor images = gan.generate(z, onehot).to(Device::cpu()).to(net->dtype());
            return accuracy(*net, gan_to_classifier_input(images, shape),
                            std::vector<int>(labels.begin(), labels.end()));
          },
          100.0};
}

std::vector<EpochMetric> MnistMetrics::for_run(uint64_t run_seed, DType dtype) const {
  std::vector<EpochMetric> m;
  if (classifier) m.push_back(classifier_metric(classifier, run_seed, samples, dtype));
  if (parzen) {
    fid::ParzenMetricOptions po;
    po.samples = samples;
    for (auto& metric : fid::parzen_metrics(parzen->validation, parzen->test, po, run_seed, dtype))
      m.push_back(std::move(metric));
  }
  return m;
}

}  // namespace aafgan::models
