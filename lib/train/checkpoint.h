#pragma once
// Training checkpoints (architecture.md: state dicts plus the resolved config,
// never serialized objects). One file, a LibTorch archive with the keys
//   format     "hold-checkpoint/2" (version 1, without checksum, is still read)
//   config     the resolved RunConfig as YAML (to_yaml)
//   step       the number of optimiser steps taken
//   model      parameters and buffers by name (Module::named_parameters / _buffers)
//   ema        the EMA shadow of the parameters by name
//   optimizer  the optimiser's state (Adam moments and step count)
//   generator  the run generator's state, so a resumed run draws the same numbers
//   checksum   CRC-32 of config, step, model and ema, verified on every load
// written atomically (temporary file, fsync, rename: io/atomic_file.h).
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "hold/io/config.h"

#include "hold/core/torch_fwd.h"

namespace hold {

class Adam;
class Ema;

/// References to the live training state, for save_checkpoint.
struct TrainingState {
  const RunConfig& config;
  int64_t step;
  const torch::nn::Module& model;
  const Ema& ema;
  const Adam& optimizer;
  const at::Generator& generator;
  /// The device's noise generator where it is not `generator` (GPU runs).
  const at::Generator* noise_generator = nullptr;
};

/// The archive bytes of a checkpoint (what save_checkpoint writes).
std::string serialize_checkpoint(const TrainingState& state);
/// Writes the checkpoint to `path` atomically; throws UsageError naming the
/// path when it cannot be written.
void save_checkpoint(const std::string& path, const TrainingState& state);

/// A checkpoint as hold-sample / hold-nll need it.
struct LoadedCheckpoint {
  std::string path;
  RunConfig config;  ///< parsed (and validated) from the stored YAML
  int64_t step = 0;
  std::map<std::string, at::Tensor> model;  ///< raw parameters and buffers (CPU)
  std::map<std::string, at::Tensor> ema;    ///< EMA parameters (CPU)
};

/// Reads a checkpoint; a missing, truncated or foreign file is a UsageError
/// naming the path.
LoadedCheckpoint load_checkpoint(const std::string& path);

enum class WeightSet { kEma, kRaw };
/// Copies the checkpoint's weights into `model` (same architecture, e.g. from
/// make_network(ckpt.config, d)): the EMA parameters (default, for sampling)
/// or the raw ones; buffers always from the raw set. A missing name or a shape
/// mismatch is a UsageError naming the checkpoint.
void load_weights(torch::nn::Module& model, const LoadedCheckpoint& checkpoint, WeightSet which = WeightSet::kEma);

/// Restores model, EMA, optimiser and generator from the checkpoint at `path`
/// (resume); returns its step. Errors as load_checkpoint.
int64_t restore_training_state(const std::string& path, torch::nn::Module& model, Ema& ema, Adam& optimizer,
                               at::Generator& generator, at::Generator* noise_generator = nullptr);

/// Fine-tuning's start (hold-train --init): copies the raw weights, the
/// buffers and the EMA shadow of the checkpoint at `path` into `model` and
/// `ema`, and nothing else (the optimiser, the step and the generators start
/// afresh). Returns the checkpoint's step. Errors as load_checkpoint.
/// Parameters named in `keep_if_absent` may be missing from the checkpoint:
/// they keep the values `model` was built with, and so do their shadows,
/// which `ema` copied from `model` (a label embedding added to an
/// unconditional model).
int64_t load_initial_weights(const std::string& path, torch::nn::Module& model, Ema& ema,
                             const std::vector<std::string>& keep_if_absent = {});

}  // namespace hold
