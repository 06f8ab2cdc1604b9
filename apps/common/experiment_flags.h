#pragma once
// The apps' flags that override experiment keys (--epochs, --lr, --gen, …), declared from the
// rows of the schema table (experiment/experiment_keys.cpp) that name a flag.
#include <CLI/CLI.hpp>

#include "experiment/experiment_keys.h"

namespace aafgan::apps {

// Adds one flag per table row that names one; a flag given stores its value in `o` (read, and
// checked like a file's value, by models::apply_overrides). `defaults` supplies the defaults
// quoted in --help. `o` must outlive parsing.
void add_experiment_flags(CLI::App& app, models::ExperimentOverrides& o, const models::Experiment& defaults);

}  // namespace aafgan::apps
