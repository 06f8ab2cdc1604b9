#pragma once
// Whether a run folder holds a complete run, judged from its content: config.json (written when
// a run completes, with its completed_epochs) and the checkpoint's position, against the epochs
// asked for now. A marker alone is not trusted: a completed 1-epoch run asked for 3 epochs
// continues from its checkpoint (the reference's "more epochs" use), a damaged config.json is
// repaired from the checkpoint or the run resumes, and a run that has to start from scratch
// although it has outputs says why.
#include <string>

namespace aafgan::models {

struct RunCompletion {
  bool complete = false;      // complete for the epochs asked: nothing to train
  bool repair_marker = false; // complete by its checkpoint, config.json unreadable: write it again
  bool marker_stale = false;  // config.json claims what the run does not hold: remove it, then train
  int epochs_done = -1;       // by the checkpoint (else config.json) when config.json exists; -1 otherwise
  std::string note;           // what was found, for one line of output; "" when nothing unusual
};

// Reads <run_dir>/config.json and, only when it exists, <run_dir>/model_checkpoints/last.ckpt.
// Never throws for their content (an unreadable file is a finding, reported in `note`).
RunCompletion judge_run_completion(const std::string& run_dir, int epochs);

}  // namespace aafgan::models
