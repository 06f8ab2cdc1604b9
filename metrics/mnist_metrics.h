#pragma once
// The per-epoch metrics of the conditional MNIST GAN (gan-protocol.md §4): which real digits the
// Parzen-window log-likelihood holds out, and the pre-trained classifier's accuracy on
// generated digits. ./mnist_condgan only says which of them a user asked for.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/mnist.h"
#include "engine/dtype.h"
#include "metrics/features.h"
#include "models/mnist_classifier.h"
#include "training/trainer.h"

namespace aafgan::models {

// The real digits of the Parzen metric: σ is chosen on `validation`, the score is of `test`.
struct ParzenReference {
  std::shared_ptr<const fid::FeatureMatrix> validation, test;
  std::string description;  // which rows were chosen, one line for the user
};

// parzen_ll.py's choice where the data allows it, the closest stand-in where it does not.
// `training` is the split the GAN trains on, read from `dir`; `training_is_train` says whether
// it is MNIST's train split (else the folder held only t10k). May read t10k from `dir`.
ParzenReference choose_parzen_reference(const data::MnistSplit& training, bool training_is_train,
                                        const std::string& dir);

// "classifier_accuracy": accuracy of `net` on `count` generated digits, labels i % classes,
// from the same noise every epoch; a fraction in metrics.csv, percent in
// stats/pre_classifier_accuracies.csv (the reference's hits/len*100).
EpochMetric classifier_metric(std::shared_ptr<MnistClassifier> net, uint64_t run_seed, int count, DType dtype);

// The metrics every run of a grid gets, in a fixed order (it is the order of metrics.csv's columns).
struct MnistMetrics {
  std::shared_ptr<MnistClassifier> classifier;  // null: no classifier accuracy
  std::optional<ParzenReference> parzen;        // empty: no Parzen log-likelihood
  int samples = 1000;                           // generated digits per metric (GENERATE_N_IN_CSV)

  std::vector<EpochMetric> for_run(uint64_t run_seed, DType dtype) const;
};

}  // namespace aafgan::models
