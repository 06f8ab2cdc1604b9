#pragma once
// A CUDA graph of one training step (issue 12 §7): the step's GPU work is captured once from the
// device's stream and then replayed with one launch, so that a step costs the host one call
// instead of hundreds of kernel launches.
//
// What a replay cannot do by itself is supplied around it: a replayed kernel keeps its captured
// arguments, so
// - the generators drawing inside the step read their position from a device word this class
//   sets before each replay (Generator::begin_capture), and advance on the host by what one
//   replay draws, so checkpoints and later eager draws see the same positions as eager steps;
// - Adam's step counts and learning rate come from Adam::before_replay, which the caller runs
//   before replay();
// - new inputs are copied into the tensors the step was captured with (HostStager).
// A captured step must not synchronise, read back or allocate state that outlives the step on
// first use; everything that persists (parameters, gradients, optimizer state, statistics)
// keeps the addresses it had at capture, which the caching allocator guarantees.
// Memory: the step's temporaries were freed to the shared pool when the capture ended, yet every
// replay writes them again. Work between replays on the same stream may use those blocks (it is
// ordered with the replays), but must not keep a tensor alive across a replay in memory it got
// after the capture ended; the trainer creates no such tensor (its step inputs are made before
// the capture), so no private pool is needed. What must not happen is that memory going back to
// CUDA: the graph holds every segment in which a block was allocated or freed during its capture,
// so neither empty_cache nor the allocator's out-of-memory retry frees those segments while this
// object holds the graph; reset() (or the destructor) ends the hold.
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "engine/backend.h"
#include "engine/host_stager.h"
#include "engine/random.h"

namespace aafgan {

class CudaGraph {
 public:
  CudaGraph() = default;
  ~CudaGraph();
  CudaGraph(const CudaGraph&) = delete;
  CudaGraph& operator=(const CudaGraph&) = delete;

  // Captures what `body` enqueues on d's stream; nothing of it runs until replay(). `generators`
  // are those body draws from. If anything throws, the capture is ended and discarded, the
  // generators are as before, and the exception propagates.
  void capture(const Device& d, const std::vector<Generator*>& generators, const std::function<void()>& body);
  bool ready() const { return exec_ != nullptr; }
  // One replay: the generators' positions, the launch, the generators advanced.
  void replay();
  // Drops the graph (a later capture starts over).
  void reset();

 private:
  Device device_;
  void* exec_ = nullptr;
  std::vector<Generator*> generators_;
  std::vector<uint64_t> per_replay_;          // counters each generator draws in one replay
  std::unique_ptr<backend::Buffer> bases_;    // their positions, read by the replayed kernels
  HostStager stager_;
};

}  // namespace aafgan
