// The AdversarialTrainer's checkpoint: what it saves, and the checks and restores of a resume
// (same seed, dtype and settings; the run's position, random streams, history and frozen state).
#include "training/trainer.h"

#include <cmath>
#include <filesystem>
#include <limits>

#include <fmt/format.h>

#include "engine/checkpoint.h"
#include "training/console.h"
#include "training/trainer_internal.h"

namespace aafgan::models {

namespace fs = std::filesystem;
using trainer_detail::kCheckpoint;

namespace {

// Both networks' parameters and buffers under "G." / "D.": what a checkpoint holds of the model.
nn::NamedTensors model_tensors(GanModel& model) {
  nn::NamedTensors out;
  for (const char* net : {"G.", "D."}) {
    nn::Module& m = net[0] == 'G' ? model.generator() : model.discriminator();
    for (auto& [name, t] : m.named_parameters()) out.emplace_back(net + name, t);
    for (auto& [name, t] : m.named_buffers()) out.emplace_back(net + name, t);
  }
  return out;
}

// JSON has no NaN or infinity (nlohmann writes null, which the next resume cannot read back):
// the history stores them as strings and reads them back as the numbers they were.
nlohmann::json history_to_json(const nlohmann::json& history) {
  nlohmann::json out = history;
  for (auto& [key, series] : out.items())
    for (auto& v : series)
      if (v.is_number_float() && !std::isfinite(v.get<double>()))
        v = std::isnan(v.get<double>()) ? "NaN" : v.get<double>() > 0 ? "Infinity" : "-Infinity";
  return out;
}

nlohmann::json history_from_json(const nlohmann::json& stored, const std::string& where) {
  AAFGAN_CHECK(stored.is_object(), "{}: the history is not an object", where);
  nlohmann::json out = stored;
  for (auto& [key, series] : out.items()) {
    AAFGAN_CHECK(series.is_array(), "{}: history '{}' is not a list", where, key);
    for (auto& v : series) {
      if (v.is_number()) continue;
      const std::string t = v.is_string() ? v.get<std::string>() : v.dump();
      if (t == "NaN") v = std::numeric_limits<double>::quiet_NaN();
      else if (t == "Infinity") v = std::numeric_limits<double>::infinity();
      else if (t == "-Infinity") v = -std::numeric_limits<double>::infinity();
      else fail("{}: history '{}' holds {}, not a number", where, key, t);
    }
  }
  return out;
}

}  // namespace

nlohmann::json AdversarialTrainer::settings() const {
  // What decides the trajectory of a run besides its seed (and its epoch count, which a resume may
  // raise): a resume must find the same values.
  return {{"batch_size", opt_.batch_size},         {"lr", opt_.lr},
          {"beta1", opt_.beta1},                   {"beta2", opt_.beta2},
          {"eps", opt_.eps},                       {"lr_decay_rate", opt_.lr_decay_rate},
          {"lr_decay_until", opt_.lr_decay_until}, {"freeze_epoch", opt_.freeze_epoch},
          {"real_target", opt_.real_target},       {"training_images", data_.size()}};
}

nlohmann::json AdversarialTrainer::fresh_partial() {
  return {{"d_loss", 0.0}, {"g_loss", 0.0}, {"d_accuracy", 0.0}, {"batches", 0.0}, {"seconds", 0.0}};
}

void AdversarialTrainer::save_checkpoint(int epoch, int64_t next_batch, const nlohmann::json& partial) {
  nn::NamedTensors tensors = model_tensors(model_);
  for (auto& [name, t] : opt_g_->state()) tensors.emplace_back("optG." + name, t);
  for (auto& [name, t] : opt_d_->state()) tensors.emplace_back("optD." + name, t);
  nlohmann::json meta = {
      {"epoch", epoch},
      {"next_batch", next_batch},
      {"seed", opt_.seed},
      {"dtype", dtype_name(dtype_)},
      {"rng", {{"noise", noise_gen_.offset()}, {"labels", label_gen_.offset()}, {"dropout", dropout_gen_->offset()}}},
      {"frozen", frozen_},
      {"history", history_to_json(history_)},
      {"settings", settings()},
      {"partial", partial},
      {"steps", steps_},
  };
  // Synced before the checkpoint that points at it: a resume never finds the file shorter.
  if (events_) meta["tensorboard"] = events_->position();
  fs::create_directories(path("model_checkpoints"));
  aafgan::save_checkpoint(path(kCheckpoint), tensors, meta);
}

bool AdversarialTrainer::load_checkpoint(int& epoch, int64_t& next_batch, nlohmann::json& partial) {
  if (!fs::exists(path(kCheckpoint))) return false;
  const Checkpoint ck = aafgan::load_checkpoint(path(kCheckpoint));
  const nlohmann::json& m = ck.metadata;
  if (m.at("seed").get<uint64_t>() != opt_.seed)
    fail("{} was written by a run with seed {}, not {}", path(kCheckpoint), m.at("seed").get<uint64_t>(), opt_.seed);
  if (m.at("dtype").get<std::string>() != dtype_name(dtype_))
    fail("{} holds a {} run; this run is {}", path(kCheckpoint), m.at("dtype").get<std::string>(), dtype_name(dtype_));
  // The settings a run was trained with are part of it: a resume with others would silently mix
  // two experiments (the checkpoint's learning rate winning over a new --lr, say).
  const nlohmann::json now = settings();
  const nlohmann::json then = m.contains("settings") ? m.at("settings") : now;  // older checkpoints
  std::string differ;
  for (const auto& [key, value] : now.items())
    if (!then.contains(key) || then.at(key) != value)
      differ += fmt::format("{}{} {} (now {})", differ.empty() ? "" : ", ", key,
                            then.contains(key) ? then.at(key).dump() : "unset", value.dump());
  if (!differ.empty() && !opt_.force_resume)
    fail("{} was written with other settings: {}; rerun with the same settings, --force-resume to continue with "
         "the new ones, or --no-resume to start over", path(kCheckpoint), differ);
  if (!differ.empty())
    say(stdout, fmt::format("{}: resuming with changed settings (--force-resume): {}\n", opt_.label, differ));
  load_into(ck, model_tensors(model_));
  const auto with_prefix = [&](const std::string& prefix) {
    nn::NamedTensors out;
    for (auto& [name, t] : ck.tensors)
      if (name.rfind(prefix, 0) == 0) out.emplace_back(name.substr(prefix.size()), t);
    return out;
  };
  opt_g_->load_state(with_prefix("optG."));
  opt_d_->load_state(with_prefix("optD."));
  noise_gen_.set_state(opt_.seed, m.at("rng").at("noise").get<uint64_t>());
  label_gen_.set_state(opt_.seed, m.at("rng").at("labels").get<uint64_t>());
  dropout_gen_->set_state(dropout_gen_->seed(), m.at("rng").at("dropout").get<uint64_t>());
  if (m.at("frozen").get<bool>()) freeze_activations();
  history_ = history_from_json(m.at("history"), path(kCheckpoint));
  partial = m.at("partial");
  epoch = m.at("epoch").get<int>();
  next_batch = m.at("next_batch").get<int64_t>();
  const int64_t batches = data_.size() / opt_.batch_size;
  // Older checkpoints lack both; their runs never changed batch size (--force-resume could).
  steps_ = m.contains("steps") ? m.at("steps").get<int64_t>() : epoch * batches + next_batch;
  recorded_events_ = m.contains("tensorboard") ? m.at("tensorboard") : nlohmann::json();
  if (then.contains("batch_size") && then.at("batch_size") != opt_.batch_size && next_batch > 0) {
    // --force-resume with a new batch size: continue after the same number of images.
    next_batch = next_batch * then.at("batch_size").get<int64_t>() / opt_.batch_size;
  }
  AAFGAN_CHECK(epoch >= 0 && next_batch >= 0 && next_batch <= batches,
               "{}: position epoch {} batch {} is outside the run ({} batches per epoch)", path(kCheckpoint), epoch,
               next_batch, batches);
  // Forced on with new settings, the run takes the given lr as it is, not decayed for the epochs
  // already done; the schedule's products continue from it at the next epoch's end.
  if (opt_.force_resume && !differ.empty()) {
    opt_g_->set_lr(opt_.lr);
    opt_d_->set_lr(opt_.lr);
  }
  return true;
}

}  // namespace aafgan::models
