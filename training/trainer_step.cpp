// The training step of the AdversarialTrainer (gan-protocol §3): the D and G steps, the fixed
// tensors they read and write, and their capture into a CUDA graph.
#include "training/trainer.h"

#include <fmt/format.h>

#include "engine/autograd.h"
#include "engine/ops.h"
#include "engine/step_stats.h"
#include "training/console.h"

namespace aafgan::models {

namespace {

// Temporarily stops parameter gradients of a network (the G step needs D's input gradients
// only), restoring each parameter's own flag (frozen ones stay frozen) afterwards.
class NoParamGrads {
 public:
  explicit NoParamGrads(nn::Module& m) : params_(m.parameters()) {
    for (Tensor& p : params_) {
      flags_.push_back(p.requires_grad());
      p.set_requires_grad(false);
    }
  }
  ~NoParamGrads() {
    for (size_t i = 0; i < params_.size(); ++i) params_[i].set_requires_grad(flags_[i]);
  }

 private:
  std::vector<Tensor> params_;
  std::vector<bool> flags_;
};

}  // namespace

Tensor AdversarialTrainer::noise(int64_t n) {
  return randn(Shape{n, model_.noise_size()}, noise_gen_, dtype_, opt_.device);
}

Tensor AdversarialTrainer::onehot(const std::vector<int32_t>& labels) const {
  const int classes = model_.num_classes();
  if (classes == 0) return Tensor();
  const Tensor t = one_hot(labels, classes, dtype_);
  return opt_.device.is_cpu() ? t : t.to(opt_.device);
}

std::vector<int32_t> AdversarialTrainer::random_labels(int64_t n) {
  std::vector<int32_t> labels(static_cast<size_t>(n), 0);
  if (model_.num_classes() > 0)
    for (auto& l : labels) l = static_cast<int32_t>(label_gen_.next_below(static_cast<uint64_t>(model_.num_classes())));
  return labels;
}

void AdversarialTrainer::prepare_step_buffers(int64_t n) {
  if (real_.defined() && real_.size(0) == n) return;
  drop_graph();  // a new batch size: new shapes, a new graph
  std::vector<int64_t> shape = {n};
  for (int64_t d : model_.sample_shape().vec()) shape.push_back(d);
  real_ = Tensor::empty(Shape(shape), dtype_, opt_.device);
  const int classes = model_.num_classes();
  for (Tensor* t : {&real_onehot_, &fake_onehot_, &g_onehot_})
    *t = classes > 0 ? Tensor::empty(Shape{n, classes}, dtype_, opt_.device) : Tensor();
  real_target_ = Tensor::full(Shape{n, 1}, opt_.real_target, dtype_, opt_.device);
  fake_target_ = Tensor::zeros(Shape{n, 1}, dtype_, opt_.device);
}

void AdversarialTrainer::stage_onehot(Tensor& dst, const std::vector<int32_t>& labels) {
  if (!dst.defined()) return;
  const Tensor host = one_hot(labels, model_.num_classes(), dtype_);
  label_stager_.upload(dst.raw_data(), opt_.device, host.raw_data(), host.nbytes());
}

void AdversarialTrainer::train_step(const Tensor& real, const std::vector<int32_t>& labels) {
  const int64_t n = real.size(0);
  AAFGAN_CHECK(static_cast<int64_t>(labels.size()) == n, "train_step: {} labels for a batch of {}", labels.size(), n);
  prepare_step_buffers(n);
  if (!stats_.defined()) restart_stats(nlohmann::json::object());
  // The step's inputs go into the tensors it was built (or captured) with; the labels are drawn
  // here, on the host, in the order the step has always drawn them.
  real_.copy_(real);
  stage_onehot(real_onehot_, labels);
  stage_onehot(fake_onehot_, random_labels(n));
  stage_onehot(g_onehot_, random_labels(n));
  if (!graph_.ready() && opt_.cuda_graph && !graph_off_ && opt_.device.is_cuda() &&
      eager_steps_ >= opt_.graph_warmup)
    try_capture();
  if (graph_.ready()) {
    opt_d_->before_replay();
    opt_g_->before_replay();
    graph_.replay();
    return;
  }
  step_body();
  ++eager_steps_;
}

void AdversarialTrainer::step_body() {
  // D step: the fake batch carries no history, so only D's parameters get gradients.
  opt_d_->zero_grad();
  const Tensor p_real = model_.discriminate(real_, real_onehot_);
  const Tensor loss_real = binary_cross_entropy(p_real, real_target_);
  Tensor fake;
  {
    autograd::NoGradGuard no_grad;
    fake = model_.generate(noise(real_.size(0)), fake_onehot_);
  }
  const Tensor p_fake = model_.discriminate(fake, fake_onehot_);
  const Tensor loss_fake = binary_cross_entropy(p_fake, fake_target_);
  const Tensor d_loss = loss_real + loss_fake;
  // A non-finite loss is found when the statistics are read (every --log-every batches): the
  // run then stops before any checkpoint could keep what this step did to the weights.
  autograd::backward(d_loss);
  opt_d_->step();

  // G step: backpropagate through D into G; D's weights need no gradient here.
  opt_g_->zero_grad();
  Tensor g_loss;
  {
    NoParamGrads frozen_d(model_.discriminator());
    const Tensor p = model_.discriminate(model_.generate(noise(real_.size(0)), g_onehot_), g_onehot_);
    g_loss = binary_cross_entropy(p, real_target_);
    autograd::backward(g_loss);
  }
  opt_g_->step();
  record_step_stats(stats_, d_loss, g_loss, p_real, p_fake);
}

bool AdversarialTrainer::try_capture() {
  std::vector<Generator*> generators = {&noise_gen_};
  if (dropout_gen_) generators.push_back(dropout_gen_.get());
  try {
    graph_.capture(opt_.device, generators, [&] { step_body(); });
    return true;
  } catch (const std::exception& e) {
    // Whatever the capture recorded never ran: the eager step that follows starts from the same state.
    autograd::clear_tape();
    opt_d_->end_replays();
    opt_g_->end_replays();
    graph_off_ = true;
    // Eager steps do the same work without a graph, and a second capture of the same step would
    // fail the same way: the run goes on eagerly rather than stopping or retrying.
    say(stderr, fmt::format("\n{}: CUDA graph capture failed ({}); training continues with eager steps (the same "
                            "results, more kernel launches per step) for the rest of this run, without trying "
                            "to capture again\n",
                            opt_.label, e.what()));
    return false;
  }
}

void AdversarialTrainer::drop_graph() {
  if (!graph_.ready()) return;
  graph_.reset();
  opt_d_->end_replays();
  opt_g_->end_replays();
  eager_steps_ = 0;
}

void AdversarialTrainer::restart_stats(const nlohmann::json& partial) {
  if (!stats_.defined()) stats_ = new_step_stats(opt_.device);
  const auto get = [&](const char* key) { return partial.contains(key) ? partial.at(key).get<double>() : 0.0; };
  reset_step_stats(stats_, StepSums{get("d_loss"), get("g_loss"), get("d_accuracy")});
}

}  // namespace aafgan::models
