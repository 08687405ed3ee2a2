#include "hold/train/checkpoint.h"

#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <zlib.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "hold/core/error.h"
#include "hold/io/atomic_file.h"
#include "hold/models/ema.h"
#include "hold/train/adam.h"

namespace hold {
namespace {

// Version 2 added the checksum; version 1 files (no checksum) still load.
constexpr const char* kFormat = "hold-checkpoint/2";
constexpr const char* kFormatV1 = "hold-checkpoint/1";

using Archive = torch::serialize::InputArchive;

[[noreturn]] void bad_checkpoint(const std::string& path, const std::string& what) {
  throw UsageError("not a usable checkpoint: " + what + " (" + path + ")");
}

/// Runs `read` (which reads the checkpoint at `path`) and turns what LibTorch's
/// reader throws on a damaged file into a UsageError naming the path.
template <class Read>
auto guarded_read(const std::string& path, Read&& read) {
  try {
    return read();
  } catch (const UsageError&) {
    throw;
  } catch (const c10::Error& e) {
    bad_checkpoint(path, e.what_without_backtrace());
  } catch (const std::exception& e) {
    // LibTorch's reader throws plain standard exceptions on some corruptions.
    bad_checkpoint(path, e.what());
  }
}

/// The whole file; UsageError if it cannot be read.
std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError("cannot open checkpoint (" + path + ")");
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

/// Opens the archive and checks its format tag.
void open_archive(const std::string& path, Archive& archive) {
  const std::string bytes = read_bytes(path);
  guarded_read(path, [&] {
    archive.load_from(bytes.data(), bytes.size());
    c10::IValue format;
    if (!archive.try_read("format", format) || !format.isString() ||
        (format.toStringRef() != kFormat && format.toStringRef() != kFormatV1)) {
      bad_checkpoint(path, std::string("no '") + kFormat + "' format tag");
    }
  });
}

/// Every tensor of a nested archive, by key, moved to the CPU.
std::map<std::string, at::Tensor> read_tensors(Archive& archive, const std::string& key, const std::string& path) {
  Archive nested;
  if (!archive.try_read(key, nested)) bad_checkpoint(path, "no '" + key + "' section");
  std::map<std::string, at::Tensor> out;
  for (const auto& name : nested.keys()) {
    at::Tensor t;
    nested.read(name, t);
    out[name] = t.cpu();
  }
  return out;
}

int64_t read_step(Archive& archive, const std::string& path) {
  c10::IValue step;
  if (!archive.try_read("step", step) || !step.isInt()) bad_checkpoint(path, "no step");
  return step.toInt();
}

using TensorMap = std::map<std::string, at::Tensor>;

/// CRC-32 of the config, the step, and every tensor of the weights, the EMA
/// and the training state (Adam's moments, the generator), names and raw
/// bytes in name order. LibTorch's zip reader does not check its own CRCs, so
/// a flipped bit would otherwise load silently.
int64_t content_checksum(const std::string& config_yaml, int64_t step, const TensorMap& model, const TensorMap& ema,
                         const TensorMap& training) {
  uLong crc = crc32(0L, Z_NULL, 0);
  auto add = [&crc](const void* data, size_t n) {
    const auto* bytes = static_cast<const Bytef*>(data);
    while (n > 0) {  // crc32 takes a uInt length
      const uInt chunk = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
      crc = crc32(crc, bytes, chunk);
      bytes += chunk;
      n -= chunk;
    }
  };
  add(config_yaml.data(), config_yaml.size());
  add(&step, sizeof step);
  for (const auto* set : {&model, &ema, &training}) {
    for (const auto& [name, tensor] : *set) {
      add(name.data(), name.size());
      const at::Tensor t = tensor.detach().cpu().contiguous();
      add(t.data_ptr(), t.numel() * t.element_size());
    }
  }
  return static_cast<int64_t>(crc);
}

/// Adam's moments and the generator state as read back from an archive.
TensorMap training_tensors(Archive& archive, const std::string& path) {
  Archive optimizer;
  if (!archive.try_read("optimizer", optimizer)) bad_checkpoint(path, "no optimizer state");
  TensorMap out;
  for (const char* key : {"exp_avg", "exp_avg_sq"}) optimizer.read(key, out[std::string("optimizer.") + key], true);
  if (!archive.try_read("generator", out["generator"], /*is_buffer=*/true)) bad_checkpoint(path, "no generator state");
  at::Tensor noise;
  if (archive.try_read("noise_generator", noise, /*is_buffer=*/true)) out["noise_generator"] = noise;
  return out;
}

/// Compares the stored checksum (version 1 files have none) with the content
/// read; UsageError naming the file on a mismatch.
void verify_checksum(Archive& archive, const std::string& path, int64_t step, const TensorMap& model,
                     const TensorMap& ema) {
  c10::IValue stored, yaml, format;
  archive.try_read("format", format);
  if (format.isString() && format.toStringRef() == kFormatV1) return;
  if (!archive.try_read("checksum", stored)) bad_checkpoint(path, "no checksum");
  if (!stored.isInt() || !archive.try_read("config", yaml) || !yaml.isString())
    bad_checkpoint(path, "bad checksum record");
  if (stored.toInt() != content_checksum(yaml.toStringRef(), step, model, ema, training_tensors(archive, path))) {
    bad_checkpoint(path, "the checksum does not match its contents (the file is corrupt; use an earlier checkpoint)");
  }
}

/// Whether `name` is one of `names`.
bool listed(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

/// Copies `values[name]` into every tensor of `named` (parameters or buffers);
/// a tensor named in `keep_if_absent` that `values` lacks keeps its value.
void copy_named(const torch::OrderedDict<std::string, at::Tensor>& named,
                const std::map<std::string, at::Tensor>& values, const std::string& set, const std::string& path,
                const std::vector<std::string>& keep_if_absent = {}) {
  at::NoGradGuard no_grad;
  for (const auto& item : named) {
    const auto it = values.find(item.key());
    if (it == values.end() && listed(keep_if_absent, item.key())) continue;
    if (it == values.end()) bad_checkpoint(path, "no " + set + " weight '" + item.key() + "'");
    if (!it->second.sizes().equals(item.value().sizes())) {
      std::ostringstream os;
      os << set << " weight '" << item.key() << "' has shape " << it->second.sizes() << ", the network expects "
         << item.value().sizes();
      bad_checkpoint(path, os.str());
    }
    item.value().copy_(it->second);
  }
}

}  // namespace

std::string serialize_checkpoint(const TrainingState& state) {
  torch::serialize::OutputArchive archive;
  archive.write("format", c10::IValue(std::string(kFormat)));
  archive.write("config", c10::IValue(to_yaml(state.config)));
  archive.write("step", c10::IValue(state.step));

  // Copies, not views: the parameters may be views into one flat buffer.
  TensorMap model_tensors, ema_tensors;
  for (const auto& item : state.model.named_parameters(/*recurse=*/true)) {
    model_tensors[item.key()] = item.value().detach().clone();
  }
  for (const auto& item : state.model.named_buffers(/*recurse=*/true)) model_tensors[item.key()] = item.value();
  for (size_t i = 0; i < state.ema.names().size(); ++i)
    ema_tensors[state.ema.names()[i]] = state.ema.shadow()[i].clone();
  TensorMap training{{"optimizer.exp_avg", state.optimizer.exp_avg()},
                     {"optimizer.exp_avg_sq", state.optimizer.exp_avg_sq()},
                     {"generator", state.generator.get_state()}};
  if (state.noise_generator) training["noise_generator"] = state.noise_generator->get_state();
  archive.write("checksum",
                c10::IValue(content_checksum(to_yaml(state.config), state.step, model_tensors, ema_tensors, training)));

  torch::serialize::OutputArchive model;
  for (const auto& item : state.model.named_parameters(/*recurse=*/true))
    model.write(item.key(), model_tensors[item.key()]);
  for (const auto& item : state.model.named_buffers(/*recurse=*/true)) {
    model.write(item.key(), item.value(), /*is_buffer=*/true);
  }
  archive.write("model", model);

  torch::serialize::OutputArchive ema;
  for (const auto& [name, tensor] : ema_tensors) ema.write(name, tensor);
  archive.write("ema", ema);

  torch::serialize::OutputArchive optimizer;
  state.optimizer.save(optimizer);
  archive.write("optimizer", optimizer);

  archive.write("generator", state.generator.get_state(), /*is_buffer=*/true);
  if (state.noise_generator) archive.write("noise_generator", training["noise_generator"], /*is_buffer=*/true);

  std::string bytes;
  archive.save_to([&bytes](const void* data, size_t n) {
    bytes.append(static_cast<const char*>(data), n);
    return n;
  });
  return bytes;
}

void save_checkpoint(const std::string& path, const TrainingState& state) {
  write_file_atomic(path, serialize_checkpoint(state));
}

LoadedCheckpoint load_checkpoint(const std::string& path) {
  Archive archive;
  open_archive(path, archive);
  LoadedCheckpoint out;
  out.path = path;
  guarded_read(path, [&] {
    c10::IValue yaml;
    if (!archive.try_read("config", yaml) || !yaml.isString()) bad_checkpoint(path, "no config");
    out.config = parse_config(yaml.toStringRef(), path + " (stored config)");
    out.step = read_step(archive, path);
    out.model = read_tensors(archive, "model", path);
    out.ema = read_tensors(archive, "ema", path);
    verify_checksum(archive, path, out.step, out.model, out.ema);
  });
  return out;
}

void load_weights(torch::nn::Module& model, const LoadedCheckpoint& checkpoint, WeightSet which) {
  const auto& params = which == WeightSet::kEma ? checkpoint.ema : checkpoint.model;
  copy_named(model.named_parameters(/*recurse=*/true), params, which == WeightSet::kEma ? "EMA" : "model",
             checkpoint.path);
  copy_named(model.named_buffers(/*recurse=*/true), checkpoint.model, "buffer", checkpoint.path);
}

namespace {

/// The checksummed weights of an open checkpoint into model (raw parameters,
/// buffers) and ema (shadow); returns the checkpoint's step. Parameters named
/// in `keep_if_absent` that the checkpoint lacks keep the model's values, and
/// their shadows (a copy of the model's values since the Ema was made) too.
int64_t restore_weights(Archive& archive, const std::string& path, torch::nn::Module& model, Ema& ema,
                        const std::vector<std::string>& keep_if_absent = {}) {
  const int64_t step = read_step(archive, path);
  const auto weights = read_tensors(archive, "model", path);
  verify_checksum(archive, path, step, weights, read_tensors(archive, "ema", path));
  copy_named(model.named_parameters(/*recurse=*/true), weights, "model", path, keep_if_absent);
  copy_named(model.named_buffers(/*recurse=*/true), weights, "buffer", path);
  const auto ema_weights = read_tensors(archive, "ema", path);
  for (const auto& name : ema.names()) {
    const auto it = ema_weights.find(name);
    if (it == ema_weights.end() && listed(keep_if_absent, name)) continue;  // the shadow began as the model's value
    if (it == ema_weights.end()) bad_checkpoint(path, "no EMA weight '" + name + "'");
    try {
      ema.set_shadow(name, it->second);
    } catch (const std::invalid_argument& e) {
      bad_checkpoint(path, e.what());
    }
  }
  return step;
}

}  // namespace

int64_t load_initial_weights(const std::string& path, torch::nn::Module& model, Ema& ema,
                             const std::vector<std::string>& keep_if_absent) {
  Archive archive;
  open_archive(path, archive);
  return guarded_read(path, [&] { return restore_weights(archive, path, model, ema, keep_if_absent); });
}

int64_t restore_training_state(const std::string& path, torch::nn::Module& model, Ema& ema, Adam& optimizer,
                               at::Generator& generator, at::Generator* noise_generator) {
  Archive archive;
  open_archive(path, archive);
  return guarded_read(path, [&] {
    const int64_t step = restore_weights(archive, path, model, ema);
    Archive optimizer_archive;
    if (!archive.try_read("optimizer", optimizer_archive)) bad_checkpoint(path, "no optimizer state");
    optimizer.load(optimizer_archive);
    at::Tensor state;
    if (!archive.try_read("generator", state)) bad_checkpoint(path, "no generator state");
    generator.set_state(state);
    if (noise_generator) {
      // A checkpoint of a CPU run resumed on a GPU has none: the noise stream
      // then starts from its seed, as a fresh GPU run's does.
      at::Tensor noise_state;
      if (archive.try_read("noise_generator", noise_state)) noise_generator->set_state(noise_state);
    }
    return step;
  });
}

}  // namespace hold
