#pragma once
// Every Philox stream id the project draws from, in one place. Under one seed, distinct stream
// ids give independent numbers, so each consumer owns a stream: changing how many numbers one
// of them draws leaves every other's draws unchanged.
//
// The values are part of what a checkpoint means: a resumed run rebuilds its generators from
// (seed, stream) and must redraw the numbers the interrupted run would have drawn, and a
// rerun must reproduce old results bit for bit. Never renumber a stream; add new ones.
//
// Header-only and dependency-free, so data/ can use it without linking the engine.
#include <cstdint>

namespace aafgan {

enum class RandomStream : uint32_t {
  // --- streams of one GAN run's seed ---------------------------------------------------------
  gan_init = 1,         // initial weights and activation parameters (apps/common/gan_app.cpp,
                        // bench/aafgan_bench_gan.cpp: the benchmarked model is the one users train)
  trainer_noise = 2,    // z of every D and G step (training/trainer_step.cpp; its offset is checkpointed)
  trainer_labels = 3,   // labels of the generated samples of every step (training/trainer_step.cpp; checkpointed)
  gan_dropout = 4,      // the discriminator's dropout masks (apps/common/gan_app.cpp,
                        // bench/aafgan_bench_gan.cpp; checkpointed by the trainer)
  fixed_samples = 5,    // the sample grid's noise, the same every epoch (training/trainer_outputs.cpp)
  classifier_metric = 6,  // noise of the classifier-accuracy metric (metrics/mnist_metrics.cpp)
  fid_noise = 7,        // noise of the FID/KID samples (metrics/gan_metrics.cpp)
  kid_subsets = 8,      // KID's random subsets (metrics/gan_metrics.cpp → metrics/kid.cpp)
  parzen_noise = 9,     // noise of the Parzen-window samples (metrics/gan_metrics.cpp)
  data_order = 0x0DA7A,  // each epoch's sample order (data/batch_order.cpp); far from the small
                         // ids so that new consumers, numbered upwards, never reach it

  // --- streams of ./mnist_classifier's own --seed (apps/mnist_classifier.cpp) ----------------
  // A separate training with its own seed: its ids may repeat the GAN run's above.
  classifier_init = 0,         // the CNN's initial weights
  classifier_dropout = 1,      // its dropout masks
  classifier_batch_order = 2,  // its per-epoch shuffles
};

// The id Generator and philox4x32 take.
constexpr uint32_t stream_id(RandomStream s) { return static_cast<uint32_t>(s); }

}  // namespace aafgan
