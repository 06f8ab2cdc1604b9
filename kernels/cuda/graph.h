#pragma once
// defines: stream_capturing, graph_begin_capture, graph_end_capture, graph_abort_capture,
//          graph_launch, graph_destroy, event_create, event_record, event_done, event_synchronize,
//          event_destroy
//
// CUDA graphs and events for the engine (engine/cuda_graph.h, engine/host_stager.h). A graph is
// captured from one stream in cudaStreamCaptureModeThreadLocal (this thread may make no
// synchronising call meanwhile; other threads, e.g. the data loader, are unaffected), then
// instantiated; replays launch the instantiated graph on a stream. Handles are opaque pointers so
// that this header needs no CUDA headers. Failures throw std::runtime_error naming the call.
//
// A graph handle also owns the caching allocator's hold on the segments its addresses lie in
// (device_allocator.h): taken when the capture ends, released by graph_destroy; a capture
// that ends without a graph (invalidated, failed instantiation, graph_abort_capture) releases
// it at once. A capture begun here must therefore end here, or its segments stay cached.
namespace aafgan::kernels::cuda {

// Whether `stream` is being captured. Never throws (a failed query answers false).
bool stream_capturing(void* stream);
void graph_begin_capture(void* stream);
// Ends the capture and instantiates the graph (a cudaGraphExec_t with its memory hold). Throws
// (capture ended, hold released) when the capture was invalidated, naming the runtime's reason.
void* graph_end_capture(void* stream);
// Ends a capture that failed midway, discarding what was captured and clearing the error state.
void graph_abort_capture(void* stream) noexcept;
void graph_launch(void* graph, void* stream);
// Frees the graph and releases its memory hold. The segments are trimmable at once even if a
// replay still runs: safe, since every trim synchronises the device before it frees memory.
void graph_destroy(void* graph) noexcept;

// Events with timing off (the cheapest kind): record on a stream, test or wait.
void* event_create();
void event_record(void* event, void* stream);
bool event_done(void* event);
void event_synchronize(void* event);
void event_destroy(void* event) noexcept;

}  // namespace aafgan::kernels::cuda
