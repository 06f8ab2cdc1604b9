#pragma once
// What the trainer's files (trainer.cpp, trainer_step.cpp, trainer_checkpoint.cpp,
// trainer_outputs.cpp) share and nothing else includes: the run folder's fixed names, the random
// streams, and the loss series every run records.
#include <cstdint>
#include <string>
#include <vector>

#include "base/durable_file.h"
#include "base/random_streams.h"

namespace aafgan::models::trainer_detail {

// Random streams of one run under its seed (base/random_streams.h).
constexpr uint32_t kNoiseStream = stream_id(RandomStream::trainer_noise),
                   kLabelStream = stream_id(RandomStream::trainer_labels),
                   kFixedSampleStream = stream_id(RandomStream::fixed_samples);
constexpr const char* kCheckpoint = "model_checkpoints/last.ckpt";
constexpr const char* kFailedMarker = "error.txt";

// Per-epoch series written to stats/<name>.csv, as the reference code names them.
inline const std::vector<std::string>& loss_series() {
  static const std::vector<std::string> names = {"d_losses", "g_losses", "d_accuracies", "times"};
  return names;
}

inline void write_text_atomic(const std::string& path, const std::string& text) { write_file_durably(path, text); }

}  // namespace aafgan::models::trainer_detail
