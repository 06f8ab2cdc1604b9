#include "kernels/cuda/graph.h"

#include <cuda_runtime.h>

#include <cstdint>
#include <memory>
#include <string>

#include "kernels/cuda/device_allocator.h"
#include "kernels/cuda/runtime_libs_internal.h"

namespace aafgan::kernels::cuda {

namespace {

using detail::check_cuda;

cudaStream_t as_stream(void* s) { return static_cast<cudaStream_t>(s); }

// What a graph handle points to: the executable graph, and the allocator's hold on the
// segments its addresses lie in, which must last exactly as long as the graph.
struct Graph {
  cudaGraphExec_t exec = nullptr;
  uint64_t memory_hold = 0;
  Graph() = default;
  ~Graph() {
    if (exec) cudaGraphExecDestroy(exec);
    cudaGetLastError();
    release_graph_hold(memory_hold);
  }
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;
};

// The capture of `stream` is over: what it touched in the allocator is held by `g` from now on.
void take_hold(Graph& g, void* stream, cudaGraph_t captured) {
  try {
    g.memory_hold = end_capture_hold(stream);
  } catch (...) {
    if (captured) cudaGraphDestroy(captured);
    throw;
  }
}

}  // namespace

bool stream_capturing(void* stream) {
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  if (cudaStreamIsCapturing(as_stream(stream), &status) != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  return status == cudaStreamCaptureStatusActive;
}

void graph_begin_capture(void* stream) {
  check_cuda(cudaStreamBeginCapture(as_stream(stream), cudaStreamCaptureModeThreadLocal), "cudaStreamBeginCapture",
             "");
}

void* graph_end_capture(void* stream) {
  // Made first: failing to make it afterwards would leave a hold without an owner.
  auto g = std::make_unique<Graph>();
  cudaGraph_t graph = nullptr;
  const cudaError_t err = cudaStreamEndCapture(as_stream(stream), &graph);
  take_hold(*g, stream, graph);  // released with g if no graph comes of the capture
  if (err != cudaSuccess || !graph) {
    cudaGetLastError();
    if (graph) cudaGraphDestroy(graph);
    check_cuda(err == cudaSuccess ? cudaErrorStreamCaptureInvalidated : err, "cudaStreamEndCapture",
               "the captured work was invalidated (an operation that is not allowed during capture)");
  }
  const cudaError_t inst = cudaGraphInstantiateWithFlags(&g->exec, graph, 0);
  cudaGraphDestroy(graph);  // the executable graph keeps what it needs
  if (inst != cudaSuccess) g->exec = nullptr;
  check_cuda(inst, "cudaGraphInstantiateWithFlags", "");
  return g.release();
}

void graph_abort_capture(void* stream) noexcept {
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  // An invalidated capture still has to be ended before the stream takes ordinary work again.
  if (cudaStreamIsCapturing(as_stream(stream), &status) == cudaSuccess && status != cudaStreamCaptureStatusNone) {
    cudaGraph_t graph = nullptr;
    if (cudaStreamEndCapture(as_stream(stream), &graph) == cudaSuccess && graph) cudaGraphDestroy(graph);
  }
  cudaGetLastError();
  // Nothing of the capture will ever run: what it touched need not be held (0 when
  // graph_end_capture already released it).
  try {
    release_graph_hold(end_capture_hold(stream));
  } catch (...) {
  }
}

void graph_launch(void* graph, void* stream) {
  check_cuda(cudaGraphLaunch(static_cast<Graph*>(graph)->exec, as_stream(stream)), "cudaGraphLaunch", "");
}

void graph_destroy(void* graph) noexcept { delete static_cast<Graph*>(graph); }

void* event_create() {
  cudaEvent_t e = nullptr;
  check_cuda(cudaEventCreateWithFlags(&e, cudaEventDisableTiming), "cudaEventCreateWithFlags", "");
  return e;
}

void event_record(void* event, void* stream) {
  check_cuda(cudaEventRecord(static_cast<cudaEvent_t>(event), as_stream(stream)), "cudaEventRecord", "");
}

bool event_done(void* event) {
  const cudaError_t err = cudaEventQuery(static_cast<cudaEvent_t>(event));
  if (err == cudaErrorNotReady) return false;
  check_cuda(err, "cudaEventQuery", "");
  return true;
}

void event_synchronize(void* event) {
  check_cuda(cudaEventSynchronize(static_cast<cudaEvent_t>(event)), "cudaEventSynchronize", "");
}

void event_destroy(void* event) noexcept {
  if (event) cudaEventDestroy(static_cast<cudaEvent_t>(event));
}

}  // namespace aafgan::kernels::cuda
