#pragma once
// The GENERATOR and DISCRIMINATOR sections of a reference config: activation initialisers,
// weight initialisation and the layer lists, which may only restate the app's fixed network.
#include <nlohmann/json.hpp>
#include <string>

#include "experiment/config_reader.h"
#include "experiment/experiment.h"

namespace aafgan::models {

// "the conditional MLP of gan-protocol §1", for messages.
const char* arch_desc(Arch a);

// Reads section `net` (null when the file has none) into e's gen_ or dis_ fields. NOISE_SIZE,
// CHANNELS and CONDITIONAL_LABELS must have been read: the layer lists are checked against them.
void read_network(const ConfigReader& r, const std::string& section, bool gen, const nlohmann::json* net,
                  Experiment& e);

// The section as the reference wrote it, with the fixed network's layer lists.
nlohmann::json write_network(const Experiment& e, bool gen);

}  // namespace aafgan::models
