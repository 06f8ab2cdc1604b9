#include "engine/cuda_graph.h"

#include "base/error.h"

namespace aafgan {

CudaGraph::~CudaGraph() { reset(); }

void CudaGraph::reset() {
  if (exec_) {
    // Work already enqueued may still be a replay of this graph.
    try {
      backend::synchronize(device_);
    } catch (...) {
    }
    backend::graph_destroy(exec_);
  }
  exec_ = nullptr;
  generators_.clear();
  per_replay_.clear();
}

void CudaGraph::capture(const Device& d, const std::vector<Generator*>& generators,
                        const std::function<void()>& body) {
  AAFGAN_CHECK(d.is_cuda(), "CUDA graphs need a CUDA device, not {}", d.str());
  reset();
  bases_ = std::make_unique<backend::Buffer>(d, generators.size() * sizeof(uint64_t));
  size_t begun = 0;
  backend::graph_begin_capture(d);
  try {
    for (; begun < generators.size(); ++begun)
      generators[begun]->begin_capture(bases_->as<uint64_t>() + begun);
    body();
    std::vector<uint64_t> per_replay;
    for (Generator* g : generators) per_replay.push_back(g->end_capture());
    begun = 0;
    exec_ = backend::graph_end_capture(d);
    device_ = d;
    generators_ = generators;
    per_replay_ = std::move(per_replay);
  } catch (...) {
    for (size_t i = 0; i < begun; ++i) generators[i]->end_capture();
    backend::graph_abort_capture(d);
    throw;
  }
}

void CudaGraph::replay() {
  AAFGAN_CHECK(exec_ != nullptr, "CudaGraph::replay before a capture");
  std::vector<uint64_t> positions;
  for (size_t i = 0; i < generators_.size(); ++i) positions.push_back(generators_[i]->advance(per_replay_[i]));
  stager_.upload(bases_->get(), device_, positions.data(), positions.size() * sizeof(uint64_t));
  backend::graph_launch(device_, exec_);
}

}  // namespace aafgan
