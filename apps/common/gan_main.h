#pragma once
// The part of main() that ./mnist_condgan and ./celeba_dcgan share once each has registered its
// flags: parsing, the experiment and device, the one-line error exit, and the activation choices
// and initializers every model spec takes from its run.
#include <functional>

#include <CLI/CLI.hpp>

#include "apps/common/gan_app.h"

namespace aafgan::apps {

// Parses the command line (a parse error or --help is CLI11's exit), resolves the experiment
// over `defaults()` (called after parsing, so that an app may read its data's shape first) and
// then the device, and returns what `body` returns. Any error on the way is
// one line "<name>: <what>" on stderr and exit 1.
int gan_main(CLI::App& app, int argc, char** argv, const char* name, const GanAppOptions& o,
             const std::function<models::Experiment()>& defaults,
             const std::function<int(const models::Experiment&, Device)>& body);

// The run's four activations and the experiment's initializer lists, into a model spec
// (models::DcGanSpec, models::MnistGanSpec).
template <typename Spec>
void set_run_models(Spec& spec, const models::RunSpec& run, const models::Experiment& e) {
  spec.gen = run.models.gen;
  spec.dis = run.models.dis;
  spec.gen_hidden = run.models.gen_hidden;
  spec.dis_hidden = run.models.dis_hidden;
  spec.gen_initializers = e.gen_initializers;
  spec.dis_initializers = e.dis_initializers;
}

}  // namespace aafgan::apps
