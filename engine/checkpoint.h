#pragma once
// Checkpoint files: named tensors plus JSON metadata in one versioned, checksummed binary.
//
// Layout (integers little-endian):
//   "AAFGANCK" | u32 version | u32 reserved (0) | u64 total file length
//   u64 metadata length | metadata (JSON text)
//   u64 tensor count | per tensor: u32 name length | name | u8 dtype (0 f32, 1 f64) | u8 ndim |
//                                  i64 dims[ndim] | raw little-endian elements
//   u64 total file length | u32 CRC-32 (zlib) of every byte before it
#include <string>

#include <nlohmann/json.hpp>

#include "engine/nn/module.h"
#include "engine/tensor.h"

namespace aafgan {

// Writes `path` durably (base/durable_file.h: a unique temporary, fsynced and renamed over
// `path`), so a crash or a full disk leaves either the old file or the new one, never a torn one.
// Tensors must be on the cpu; names must be unique and non-empty.
void save_checkpoint(const std::string& path, const nn::NamedTensors& tensors, const nlohmann::json& metadata);

struct Checkpoint {
  std::string path;  // where it was read from, for error messages
  nn::NamedTensors tensors;
  nlohmann::json metadata;

  bool contains(const std::string& name) const;
  // Throws naming the missing tensor and the file.
  const Tensor& at(const std::string& name) const;
};

// Reads and verifies a whole checkpoint (cpu tensors). A truncated or corrupted file, a
// foreign file or one from an unknown format version throws an Error naming the file and the
// problem.
Checkpoint load_checkpoint(const std::string& path);

// Copies ckpt's tensor prefix + name into each target in place (the targets keep their
// storage, so module parameters and optimizer handles stay valid). Shapes must match; dtypes
// are converted. Tensors of the checkpoint that no target asks for are ignored.
void load_into(const Checkpoint& ckpt, const nn::NamedTensors& targets, const std::string& prefix = "");

}  // namespace aafgan
