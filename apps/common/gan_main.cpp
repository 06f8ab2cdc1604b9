#include "apps/common/gan_main.h"

#include <cstdio>
#include <exception>

#include <fmt/format.h>

namespace aafgan::apps {

int gan_main(CLI::App& app, int argc, char** argv, const char* name, const GanAppOptions& o,
             const std::function<models::Experiment()>& defaults,
             const std::function<int(const models::Experiment&, Device)>& body) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    const models::Experiment e = resolve_experiment(app, o, defaults());
    const Device device = resolve_device(o);  // after --threads: it reports the GEMM threads
    return body(e, device);
  } catch (const std::exception& ex) {
    fmt::print(stderr, "{}: {}\n", name, ex.what());
    return 1;
  }
}

}  // namespace aafgan::apps
