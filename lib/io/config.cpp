// YAML → RunConfig: one table of keys (path, reader, writer) drives parsing,
// --set overrides, unknown-key suggestions, to_yaml and config_keys(), so a new
// key is one line below. Pipeline (everything before any work is done):
//   1. parse the YAML text (malformed → "<msg> (<file>:<line>)")
//   2. flatten it to key path → (node, origin), rejecting unknown or duplicate keys;
//      a top-level `base: other.yaml` flattens that file first and lets this
//      file's keys replace its keys one by one (a variant states what it changes)
//   3. apply the app's flag overrides, then the --set ones, to that flat map
//   4. read every given key into the structs (type errors name the origin)
//   5. validate: ranges, the mixture, then SdeConfig / make_sde / SamplerOptions /
//      ObjectiveConfig validators (their "(sde.beta)" is rewritten to the origin)
//      and the combinations across sections.
#include "hold/io/config.h"

#include <ATen/Context.h>
#include <yaml-cpp/yaml.h>

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <type_traits>
#include <utility>

#include "hold/core/error.h"
#include "hold/core/format.h"
#include "hold/core/suggest.h"
#include "hold/data/data_source.h"
#include "hold/data/toy_dataset.h"
#include "hold/models/factory.h"

namespace hold {
namespace {

// ---------------------------------------------------------------- values

/// A value that does not fit its key; the caller appends the key's origin.
struct BadValue : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Scalar: return "'" + n.Scalar() + "'";
    case YAML::NodeType::Sequence: return "a sequence";
    case YAML::NodeType::Map: return "a mapping";
    default: return "nothing";
  }
}

const std::string& scalar_of(const YAML::Node& n, const std::string& expected) {
  if (!n.IsScalar()) throw BadValue("expected " + expected + ", got " + describe(n));
  return n.Scalar();
}

bool parse_double(const std::string& s, double& out) {
  if (s == ".inf" || s == ".Inf" || s == "+.inf") return out = INFINITY, true;
  if (s == "-.inf" || s == "-.Inf") return out = -INFINITY, true;
  if (s == ".nan" || s == ".NaN") return out = NAN, true;
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && errno != ERANGE;
}

void read(const YAML::Node& n, double& out) {
  const std::string& s = scalar_of(n, "a number");
  if (!parse_double(s, out)) throw BadValue("expected a number, got '" + s + "'");
}

void read(const YAML::Node& n, int64_t& out) {
  const std::string& s = scalar_of(n, "an integer");
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (!s.empty() && end == s.c_str() + s.size() && errno != ERANGE) {
    out = v;
    return;
  }
  // Integral values written as floats (steps: 2e4) are accepted.
  double d = 0;
  if (parse_double(s, d) && std::isfinite(d) && d == std::floor(d) && std::fabs(d) <= 9.0e15) {
    out = static_cast<int64_t>(d);
    return;
  }
  throw BadValue("expected an integer, got '" + s + "'");
}

void read(const YAML::Node& n, int& out) {
  int64_t v = 0;
  read(n, v);
  if (v < INT32_MIN || v > INT32_MAX) throw BadValue("integer out of range, got " + std::to_string(v));
  out = static_cast<int>(v);
}

void read(const YAML::Node& n, bool& out) {
  const std::string& s = scalar_of(n, "true or false");
  if (!YAML::convert<bool>::decode(n, out)) throw BadValue("expected true or false, got '" + s + "'");
}

void read(const YAML::Node& n, std::string& out) { out = scalar_of(n, "a string"); }

/// A sequence of T, or a single T standing for a one-element list.
template <class T>
void read(const YAML::Node& n, std::vector<T>& out) {
  out.clear();
  if (n.IsScalar()) {
    out.emplace_back();
    read(n, out.back());
    return;
  }
  if (!n.IsSequence()) throw BadValue("expected a sequence, got " + describe(n));
  for (const auto& item : n) {
    out.emplace_back();
    read(item, out.back());
  }
}

/// Mixture means/stds: one entry per component, each a number (1-D) or a
/// sequence of numbers (one per coordinate).
void read_points(const YAML::Node& n, std::vector<std::vector<double>>& out) {
  if (!n.IsSequence()) throw BadValue("expected a sequence (one entry per component), got " + describe(n));
  out.clear();
  for (const auto& item : n) {
    out.emplace_back();
    if (item.IsSequence()) {
      read(item, out.back());
    } else {
      out.back().emplace_back();
      read(item, out.back().back());
    }
  }
}

void read(const YAML::Node& n, GridKind& out) {
  const auto& grids = grid_registry();
  const std::string& s = scalar_of(n, "a time grid");
  const auto* entry = grids.find(s);
  if (entry == nullptr) throw BadValue("unknown grid '" + s + "', expected one of: " + join(grids.names(), ", "));
  out = entry->value;
}

void read(const YAML::Node& n, at::ScalarType& out) {
  const std::string& s = scalar_of(n, "float32 or float64");
  if (s == "float32") {
    out = at::kFloat;
  } else if (s == "float64") {
    out = at::kDouble;
  } else {
    throw BadValue("unknown dtype '" + s + "', expected one of: float32, float64");
  }
}

void emit(YAML::Emitter& out, double v) { out << fmt(v); }
void emit(YAML::Emitter& out, int64_t v) { out << std::to_string(v); }
void emit(YAML::Emitter& out, int v) { out << std::to_string(v); }
void emit(YAML::Emitter& out, bool v) { out << (v ? "true" : "false"); }
void emit(YAML::Emitter& out, const std::string& v) { out << v; }
void emit(YAML::Emitter& out, GridKind v) { out << grid_name(v); }
void emit(YAML::Emitter& out, at::ScalarType v) { out << (v == at::kDouble ? "float64" : "float32"); }

template <class T>
void emit(YAML::Emitter& out, const std::vector<T>& v) {
  out << YAML::Flow << YAML::BeginSeq;
  for (const auto& item : v) emit(out, item);
  out << YAML::EndSeq;
}

/// Means/stds as written by read_points: flat when every entry is 1-D.
void emit_points(YAML::Emitter& out, const std::vector<std::vector<double>>& points) {
  const bool flat = std::all_of(points.begin(), points.end(), [](const auto& p) { return p.size() == 1; });
  out << YAML::Flow << YAML::BeginSeq;
  for (const auto& p : points) {
    if (flat) {
      emit(out, p[0]);
    } else {
      emit(out, p);
    }
  }
  out << YAML::EndSeq;
}

// ---------------------------------------------------------------- the key table

struct Key {
  std::string path;  ///< "sde.beta"; top-level keys have no dot
  std::function<void(RunConfig&, const YAML::Node&)> read;
  std::function<void(const RunConfig&, YAML::Emitter&)> emit;
};

/// A key whose field is `ref(config)`; reader and writer chosen by the field's type.
template <class Ref>
Key field(std::string path, Ref ref) {
  return Key{std::move(path), [ref](RunConfig& c, const YAML::Node& n) { read(n, ref(c)); },
             [ref](const RunConfig& c, YAML::Emitter& out) { emit(out, ref(const_cast<RunConfig&>(c))); }};
}

Key points_field(std::string path, std::vector<std::vector<double>>& (*ref)(RunConfig&)) {
  return Key{std::move(path), [ref](RunConfig& c, const YAML::Node& n) { read_points(n, ref(c)); },
             [ref](const RunConfig& c, YAML::Emitter& out) { emit_points(out, ref(const_cast<RunConfig&>(c))); }};
}

#define HOLD_FIELD(path, member) \
  field(                         \
      path, [](RunConfig & c) -> auto& { return c.member; })

const std::vector<Key>& keys() {
  static const std::vector<Key> table{
      HOLD_FIELD("seed", seed),
      HOLD_FIELD("threads", threads),
      HOLD_FIELD("device", device),
      HOLD_FIELD("sample_count", sample_count),

      HOLD_FIELD("sde.name", sde.name),
      HOLD_FIELD("sde.T", sde.t_max),
      HOLD_FIELD("sde.eps", sde.eps),
      HOLD_FIELD("sde.beta", sde.beta),
      HOLD_FIELD("sde.beta_min", sde.beta_min),
      HOLD_FIELD("sde.beta_max", sde.beta_max),
      HOLD_FIELD("sde.sigma_min", sde.sigma_min),
      HOLD_FIELD("sde.sigma_max", sde.sigma_max),
      HOLD_FIELD("sde.m_inv", sde.m_inv),
      HOLD_FIELD("sde.gamma", sde.gamma),
      HOLD_FIELD("sde.order", sde.order),
      HOLD_FIELD("sde.L", sde.coupling_l),
      HOLD_FIELD("sde.xi", sde.xi),
      HOLD_FIELD("sde.gammas", sde.gammas),
      HOLD_FIELD("sde.roots", sde.roots),

      HOLD_FIELD("data.name", data.name),
      HOLD_FIELD("data.noise", data.noise),
      HOLD_FIELD("data.scale", data.scale),
      HOLD_FIELD("data.path", data.path),
      HOLD_FIELD("data.split", data.split),
      HOLD_FIELD("data.image_size", data.image_size),
      HOLD_FIELD("data.channels", data.channels),
      HOLD_FIELD("data.random_flip", data.random_flip),
      HOLD_FIELD("data.pad", data.pad),
      HOLD_FIELD("data.prefetch", data.prefetch),
      HOLD_FIELD("data.weights", data.mixture.weights),
      points_field(
          "data.means", [](RunConfig & c) -> auto& { return c.data.mixture.means; }),
      points_field(
          "data.stds", [](RunConfig & c) -> auto& { return c.data.mixture.stds; }),

      HOLD_FIELD("model.name", model.name),
      HOLD_FIELD("model.hidden", model.hidden),
      HOLD_FIELD("model.layers", model.layers),
      HOLD_FIELD("model.embedding", model.embedding),
      HOLD_FIELD("model.embedding_dim", model.embedding_dim),
      HOLD_FIELD("model.fourier_scale", model.fourier_scale),
      HOLD_FIELD("model.mixed_score", model.mixed_score),
      HOLD_FIELD("model.num_classes", model.num_classes),
      HOLD_FIELD("model.label_dropout", model.label_dropout),
      HOLD_FIELD("model.channels", model.channels),
      HOLD_FIELD("model.ch_mult", model.ch_mult),
      HOLD_FIELD("model.num_res_blocks", model.num_res_blocks),
      HOLD_FIELD("model.attn_resolutions", model.attn_resolutions),
      HOLD_FIELD("model.dropout", model.dropout),
      HOLD_FIELD("model.resamp_with_conv", model.resamp_with_conv),
      HOLD_FIELD("model.fir", model.fir),
      HOLD_FIELD("model.fir_kernel", model.fir_kernel),
      HOLD_FIELD("model.skip_rescale", model.skip_rescale),
      HOLD_FIELD("model.resblock_type", model.resblock_type),
      HOLD_FIELD("model.progressive", model.progressive),
      HOLD_FIELD("model.progressive_input", model.progressive_input),
      HOLD_FIELD("model.progressive_combine", model.progressive_combine),
      HOLD_FIELD("model.init_scale", model.init_scale),
      HOLD_FIELD("model.dense", model.dense),
      HOLD_FIELD("model.channels_last", model.channels_last),

      HOLD_FIELD("objective.name", objective.name),
      HOLD_FIELD("objective.blocks", objective.blocks),
      HOLD_FIELD("objective.weighting", objective.weighting),
      HOLD_FIELD("objective.t_eps", objective.t_eps),
      HOLD_FIELD("objective.target", objective.target),
      HOLD_FIELD("objective.order", objective.order),
      HOLD_FIELD("objective.lambda2", objective.lambda2),
      HOLD_FIELD("objective.lambda3", objective.lambda3),
      HOLD_FIELD("objective.hdsm_estimator", objective.hdsm_estimator),
      HOLD_FIELD("objective.hdsm_form", objective.hdsm_form),

      HOLD_FIELD("train.steps", train.steps),
      HOLD_FIELD("train.batch_size", train.batch_size),
      HOLD_FIELD("train.lr", train.lr),
      HOLD_FIELD("train.warmup", train.warmup),
      HOLD_FIELD("train.lr_schedule", train.lr_schedule),
      HOLD_FIELD("train.grad_clip", train.grad_clip),
      HOLD_FIELD("train.ema", train.ema),
      HOLD_FIELD("train.log_every", train.log_every),
      HOLD_FIELD("train.ckpt_every", train.ckpt_every),
      HOLD_FIELD("train.keep_checkpoints", train.keep_checkpoints),
      HOLD_FIELD("train.sample_every", train.sample_every),
      HOLD_FIELD("train.sample_grid", train.sample_grid),
      HOLD_FIELD("train.precision", train.precision),
      HOLD_FIELD("train.max_nonfinite", train.max_nonfinite),

      HOLD_FIELD("sample.method", sample.method),
      HOLD_FIELD("sample.nfe", sample.nfe),
      HOLD_FIELD("sample.grid", sample.grid),
      HOLD_FIELD("sample.frame", sample.frame),
      HOLD_FIELD("sample.t_s", sample.t_s),
      HOLD_FIELD("sample.denoise", sample.denoise),
      HOLD_FIELD("sample.ode_solver", sample.ode_solver),
      HOLD_FIELD("sample.atol", sample.atol),
      HOLD_FIELD("sample.rtol", sample.rtol),
      HOLD_FIELD("sample.snr", sample.snr),
      HOLD_FIELD("sample.order", sample.order),
      HOLD_FIELD("sample.frame_var", sample.frame_var),
      HOLD_FIELD("sample.eta", sample.eta),
      HOLD_FIELD("sample.inpaint_method", sample.inpaint_method),
      HOLD_FIELD("sample.inpaint_resample", sample.inpaint_resample),
      HOLD_FIELD("sample.inpaint_refresh", sample.inpaint_refresh),
      HOLD_FIELD("sample.dtype", sample.dtype),

      HOLD_FIELD("likelihood.t_eps", likelihood.t_eps),
      HOLD_FIELD("likelihood.atol", likelihood.atol),
      HOLD_FIELD("likelihood.rtol", likelihood.rtol),
      HOLD_FIELD("likelihood.trace", likelihood.trace),
      HOLD_FIELD("likelihood.probe", likelihood.probe),
      HOLD_FIELD("likelihood.probes", likelihood.probes),
      HOLD_FIELD("likelihood.batch", likelihood.batch),
      HOLD_FIELD("likelihood.n", likelihood.n),
      HOLD_FIELD("likelihood.dtype", likelihood.dtype),

      HOLD_FIELD("distributed.backend", distributed.backend),
      HOLD_FIELD("distributed.timeout_s", distributed.timeout_s),
      HOLD_FIELD("distributed.bucket_mb", distributed.bucket_mb),
  };
  return table;
}

#undef HOLD_FIELD

const std::vector<std::string>& section_names() {
  static const std::vector<std::string> names{"sde",   "data",   "model",      "objective",
                                              "train", "sample", "likelihood", "distributed"};
  return names;
}

const Key* find_key(const std::string& path) {
  for (const auto& k : keys()) {
    if (k.path == path) return &k;
  }
  return nullptr;
}

bool is_section(const std::string& name) {
  const auto& s = section_names();
  return std::find(s.begin(), s.end(), name) != s.end();
}

// ---------------------------------------------------------------- suggestions

std::string unknown_key_message(const std::string& path) {
  std::vector<std::string> candidates = config_keys();
  candidates.insert(candidates.end(), section_names().begin(), section_names().end());
  const std::string guess = nearest(path, candidates);
  if (!guess.empty()) return "unknown key '" + path + "', did you mean '" + guess + "'?";
  const auto dot = path.find('.');
  if (dot != std::string::npos && is_section(path.substr(0, dot))) {
    std::vector<std::string> in_section;
    for (const auto& k : config_keys()) {
      if (k.compare(0, dot + 1, path, 0, dot + 1) == 0) in_section.push_back(k.substr(dot + 1));
    }
    return "unknown key '" + path + "', valid keys of " + path.substr(0, dot) + ": " + join(in_section);
  }
  std::vector<std::string> top;
  for (const auto& k : config_keys()) {
    if (k.find('.') == std::string::npos) top.push_back(k);
  }
  return "unknown key '" + path + "', valid top-level keys: " + join(top) + ", sections: " + join(section_names());
}

// ---------------------------------------------------------------- flattening

constexpr const char* kBaseKey = "base";

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash + 1);
}

/// The file's absolute path when it exists (to detect a cycle of bases
/// reached by different relative paths), else the path as given.
std::string canonical_path(const std::string& path) {
  char* resolved = ::realpath(path.c_str(), nullptr);
  if (resolved == nullptr) return path;
  std::string out(resolved);
  std::free(resolved);
  return out;
}

struct Entry {
  YAML::Node value;
  std::string origin;  ///< "file:line key" or "--set key"
  int line = 0;        ///< 1-based, 0 for command-line values
};
using Entries = std::map<std::string, Entry>;

std::string file_where(const std::string& source, const YAML::Node& key_node, const std::string& path) {
  return source + ":" + std::to_string(key_node.Mark().line + 1) + " " + path;
}

ConfigError duplicate_key_error(const std::string& path, int first_line, const std::string& where) {
  return ConfigError("duplicate key '" + path + "', first at line " + std::to_string(first_line) + " (" + where + ")");
}

void add_entry(Entries& entries, const std::string& source, const YAML::Node& key_node, const std::string& path,
               const YAML::Node& value) {
  const std::string where = file_where(source, key_node, path);
  if (!find_key(path)) throw ConfigError(unknown_key_message(path) + " (" + where + ")");
  if (entries.count(path)) throw duplicate_key_error(path, entries[path].line, where);
  entries[path] = Entry{value, where, key_node.Mark().line + 1};
}

std::string key_text(const YAML::Node& key, const std::string& source) {
  if (!key.IsScalar()) {
    throw ConfigError("keys must be plain names, got " + describe(key) + " (" + source + ":" +
                      std::to_string(key.Mark().line + 1) + ")");
  }
  return key.Scalar();
}

/// A file's top-level `base:`, its key node and value (copies share yaml-cpp's nodes).
using BaseKey = std::optional<std::pair<YAML::Node, YAML::Node>>;

/// The file's own entries; its `base:`, resolved by flatten_with_bases, goes to *base.
Entries flatten(const YAML::Node& root, const std::string& source, BaseKey* base) {
  Entries entries;
  if (root.IsNull()) return entries;  // an empty file: all defaults
  if (!root.IsMap()) {
    throw ConfigError("a config must be a mapping of keys and sections, got " + describe(root) + " (" + source + ":" +
                      std::to_string(root.Mark().line + 1) + ")");
  }
  for (const auto& top : root) {
    const std::string name = key_text(top.first, source);
    if (name == kBaseKey) {
      if (*base) {
        throw duplicate_key_error(kBaseKey, (*base)->first.Mark().line + 1, file_where(source, top.first, name));
      }
      base->emplace(top.first, top.second);
      continue;
    }
    if (!is_section(name)) {
      add_entry(entries, source, top.first, name, top.second);
      continue;
    }
    if (top.second.IsNull()) continue;  // "sde:" with nothing under it
    if (!top.second.IsMap()) {
      throw ConfigError("section '" + name + "' must be a mapping of keys, got " + describe(top.second) + " (" +
                        file_where(source, top.first, name) + ")");
    }
    for (const auto& item : top.second) {
      add_entry(entries, source, item.first, name + "." + key_text(item.first, source), item.second);
    }
  }
  return entries;
}

void apply_override(Entries& entries, const ConfigOverride& o) {
  if (is_section(o.key)) {
    throw ConfigError("'" + o.key + "' is a section; set its keys one by one, e.g. " + o.key + ".name (" + o.origin +
                      ")");
  }
  if (!find_key(o.key)) throw ConfigError(unknown_key_message(o.key) + " (" + o.origin + ")");
  YAML::Node value;
  try {
    value = YAML::Load(o.value);
  } catch (const YAML::Exception& e) {
    throw ConfigError("malformed value '" + o.value + "': " + e.msg + " (" + o.origin + ")");
  }
  entries[o.key] = Entry{value, o.origin, 0};
}

ConfigOverride parse_set(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw ConfigError("--set expects key.path=value, got '" + text + "' (--set " + text + ")");
  }
  std::string key = text.substr(0, eq);
  return ConfigOverride{key, text.substr(eq + 1), "--set " + key};
}

// ---------------------------------------------------------------- validation

void require(bool ok, const RunConfig& c, const std::string& key, const std::string& what) {
  if (!ok) throw ConfigError(what + " (" + c.where(key) + ")");
}

/// The key a module's message ends with, "(section.key)", or "".
std::string trailing_key(const std::string& msg, size_t& open) {
  open = msg.rfind(" (");
  if (open == std::string::npos || msg.empty() || msg.back() != ')') return "";
  const std::string key = msg.substr(open + 2, msg.size() - open - 3);
  return find_key(key) ? key : "";
}

/// Runs a struct validator; its trailing "(key)" becomes the key's origin.
template <class F>
void with_origins(const RunConfig& c, F&& validate) {
  try {
    validate();
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    size_t open = 0;
    const std::string key = trailing_key(msg, open);
    if (!key.empty()) throw ConfigError(msg.substr(0, open) + " (" + c.where(key) + ")");
    throw;
  }
}

void validate_top_level(const RunConfig& c) {
  require(c.seed >= 0, c, "seed", "seed must be >= 0, got " + std::to_string(c.seed));
  require(c.threads >= 0, c, "threads", "threads must be >= 0 (0: all cores), got " + std::to_string(c.threads));
  require(c.sample_count >= 1, c, "sample_count", "sample_count must be >= 1, got " + std::to_string(c.sample_count));
  static const std::regex device_re("cpu|auto|cuda(:[0-9]+)?");
  require(std::regex_match(c.device, device_re), c, "device",
          "device must be cpu, cuda, cuda:<index> or auto, got '" + c.device + "'");
  require(c.device == "cpu" || c.device == "auto" || at::hasCUDA(), c, "device",
          "device '" + c.device +
              "' is not available: no CUDA GPU is visible (or this LibTorch lacks CUDA; "
              "hold-train --version tells)");
}

/// A module's warning with its trailing "(section.key)" turned into the origin.
void add_warnings(RunConfig& c, const std::vector<std::string>& warnings) {
  for (const auto& w : warnings) {
    size_t open = 0;
    const std::string key = trailing_key(w, open);
    c.warnings.push_back(key.empty() ? w : w.substr(0, open) + " (" + c.where(key) + ")");
  }
}

/// The checks that span sections: which data each network takes.
void validate_model_data(const RunConfig& c) {
  const NetworkInput input = network_registry().at(c.model.name).input;
  const bool images = is_image_data(c.data.name);
  require(input != NetworkInput::kImages || images, c, "model.name",
          "model '" + c.model.name + "' needs an image data set, got data.name '" + c.data.name + "'");
  require(
      input != NetworkInput::kVectors || !images, c, "model.name",
      "model '" + c.model.name + "' is for toy data; images need model.name: ncsnpp (data.name '" + c.data.name + "')");
  require(input != NetworkInput::kMixture || c.data.name == "gmm" || c.data.name == "gmm1d", c, "model.name",
          "model '" + c.model.name + "' needs a gmm or gmm1d data set, got data.name '" + c.data.name + "'");
}

/// objective classifier (issue 14): an MLP on vector data whose set has labels.
void validate_classifier(const RunConfig& c) {
  if (!c.objective.trains_classifier()) return;
  require(network_registry().at(c.model.name).input == NetworkInput::kVectors, c, "objective.name",
          "the classifier objective trains an MLP on the state of vector data (model.name mlp), not model '" +
              c.model.name + "'");
  require(num_classes(c.data) >= 2, c, "objective.name",
          "the classifier objective needs data with class labels (gmm, gmm1d: the components; swissroll: the "
          "rolls), and data set '" +
              c.data.name + "' has none");
}

/// model.num_classes (classifier-free guidance): the data's labels, a score objective.
void validate_class_conditional(const RunConfig& c) {
  if (c.model.num_classes == 0) return;
  require(!c.objective.trains_classifier(), c, "model.num_classes",
          "a classifier (objective.name classifier) takes no labels as input; model.num_classes is for score models");
  const int64_t classes = num_classes(c.data);
  require(classes == c.model.num_classes, c, "model.num_classes",
          "model.num_classes " + std::to_string(c.model.num_classes) + " must be the data's number of classes, " +
              std::to_string(classes) + " (data.name " + c.data.name + ")");
}

void validate_sections(RunConfig& c) {
  std::vector<std::string> warnings;
  with_origins(c, [&] { c.data.resolve(warnings); });
  with_origins(c, [&] { network_registry().at(c.model.name); });
  validate_model_data(c);
  with_origins(c, [&] { c.model.validate(data_shape(c.data), warnings); });
  with_origins(c, [&] { c.train.validate(); });
  with_origins(c, [&] { c.distributed.validate(); });
  require(precision_registry().at(c.train.precision).value != Precision::kFp16 || c.device != "cpu", c,
          "train.precision",
          "fp16 autocast needs a CUDA device (device: " + c.device + "); use bf16 or fp32 on the CPU");
  add_warnings(c, warnings);
}

/// A rough radius of the data (for the VE check σ_max ≳ data diameter).
double data_radius(const RunConfig& c) {
  if (c.data.name == "swissroll") return 0.8 * std::sqrt(2.0) + 4.5 * M_PI * c.data.scale;
  if (c.data.name == "checkerboard") return 4.0 * std::sqrt(2.0);  // the corners of [−4, 4]²
  double r = 0;
  const GaussianMixture& m = c.data.mixture;
  for (int j = 0; j < m.num_components(); ++j) {
    double mean2 = 0, var = 0;
    for (size_t i = 0; i < m.means[j].size(); ++i)
      mean2 += m.means[j][i] * m.means[j][i], var += m.stds[j][i] * m.stds[j][i];
    r = std::max(r, std::sqrt(mean2) + 3 * std::sqrt(var));
  }
  return r;
}

void add_prior_warnings(RunConfig& c, const LinearSde& sde) {
  const PriorMismatch pm = sde.prior_mismatch();
  if (!pm.ok()) {
    std::ostringstream os;
    os << "the prior does not match the forward process at T: max|Phi(T)| = " << pm.phi_max
       << ", max|Sigma(T) - Sigma_inf| = " << pm.cov_err << " (both should be <= 1e-2); raise sde.beta or sde.T ("
       << c.where("sde.beta") << ")";
    c.warnings.push_back(os.str());
  }
  // Images: the cube's diameter overstates the spread of real data (score SDE
  // picks σ_max = 50 for CIFAR-10 from pairwise distances), so no check.
  if (!pm.applicable && !is_image_data(c.data.name)) {
    const double diameter = 2 * data_radius(c);
    if (c.sde.sigma_max < diameter) {
      c.warnings.push_back("sigma_max " + fmt(c.sde.sigma_max) + " is below the data's diameter (about " +
                           fmt(diameter) + "): the prior will not cover the data (" + c.where("sde.sigma_max") + ")");
    }
  }
}

void validate(RunConfig& c) {
  validate_top_level(c);
  validate_sections(c);
  with_origins(c, [&] { c.sde.validate(); });
  std::unique_ptr<LinearSde> sde;
  with_origins(c, [&] {
    try {
      sde = std::make_unique<LinearSde>(make_sde(c.sde));
    } catch (const NumericalError& e) {
      throw ConfigError(std::string("the SDE cannot be built: ") + e.what() + " (sde.name)");
    }
  });
  with_origins(c, [&] { c.sample.validate(*sde); });
  with_origins(c, [&] { c.likelihood.validate(*sde); });
  with_origins(c, [&] { c.objective.validate(*sde); });
  validate_classifier(c);
  validate_class_conditional(c);
  add_prior_warnings(c, *sde);
}

/// An explicit sample.grid in the file is walked by every sampler, also by one
/// picked on the command line (--sampler, --set) whose own grid differs: say
/// so, since the file's grid was chosen for the file's sampler (`file_method`).
void add_grid_warning(RunConfig& c, const std::string& file_method) {
  if (c.sample.method == file_method || c.sample.grid == GridKind::kAuto || c.line_of("sample.grid") == 0) return;
  const GridKind own = c.sample.own_grid();
  if (own == GridKind::kAuto || own == c.sample.grid) return;
  c.warnings.push_back("sampler " + c.sample.method + " walks the config's " + grid_name(c.sample.grid) +
                       " grid, not its own " + grid_name(own) + " (--grid auto for that) (" + c.where("sample.grid") +
                       ")");
}

// ---------------------------------------------------------------- entry points

YAML::Node parse_yaml(const std::string& text, const std::string& source) {
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError("malformed YAML: " + e.msg + " (" + source + ":" + std::to_string(e.mark.line + 1) + ")");
  } catch (const YAML::Exception& e) {
    throw ConfigError("malformed YAML: " + e.msg + " (" + source + ")");
  }
}

/// The file's text; errors read "cannot read <what>: <why> (<where>)".
std::string read_text_file(const std::string& path, const std::string& what, const std::string& where) {
  const auto fail = [&](const std::string& why) {
    return ConfigError("cannot read " + what + ": " + why + " (" + where + ")");
  };
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw fail(std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw fail("it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw fail(std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw fail("read error");
  return text.str();
}

// ---------------------------------------------------------------- base files

Entries flatten_with_bases(const YAML::Node& root, const std::string& source, std::vector<std::string>& chain);

/// The entries of the file that `base: value` (at key_node of `source`)
/// names, relative to the including file's folder, with its own bases.
Entries read_base(const YAML::Node& key_node, const YAML::Node& value, const std::string& source,
                  std::vector<std::string>& chain) {
  const std::string where = file_where(source, key_node, kBaseKey);
  if (!value.IsScalar() || value.Scalar().empty()) {
    throw ConfigError("base must be the path of a config file, got " + describe(value) + " (" + where + ")");
  }
  std::string path = value.Scalar();
  if (path[0] != '/') path = directory_of(source) + path;
  const std::string text = read_text_file(path, "base config " + path, where);
  const std::string id = canonical_path(path);
  if (std::find(chain.begin(), chain.end(), id) != chain.end()) {
    throw ConfigError("base configs form a cycle: " + path + " includes itself (" + where + ")");
  }
  const YAML::Node base_root = parse_yaml(text, path);
  if (base_root.IsNull()) throw ConfigError("the base config " + path + " is empty: it sets no key (" + where + ")");
  chain.push_back(id);
  Entries entries = flatten_with_bases(base_root, path, chain);
  chain.pop_back();
  return entries;
}

/// `base:` names the file whose keys this one starts from. Origins stay
/// those of the file that set each key, so an error in an inherited key
/// names the base file and its line.
Entries flatten_with_bases(const YAML::Node& root, const std::string& source, std::vector<std::string>& chain) {
  BaseKey base;
  Entries own = flatten(root, source, &base);
  if (!base) return own;
  Entries merged = read_base(base->first, base->second, source, chain);
  for (auto& [key, entry] : own) merged[key] = std::move(entry);
  return merged;
}

Entries flatten_with_bases(const YAML::Node& root, const std::string& source) {
  std::vector<std::string> chain{canonical_path(source)};
  return flatten_with_bases(root, source, chain);
}

}  // namespace

std::string RunConfig::where(const std::string& key) const {
  const auto it = origins.find(key);
  if (it != origins.end()) return it->second;
  return source.empty() ? key : source + " " + key;
}

int RunConfig::line_of(const std::string& key) const {
  const auto it = origins.find(key);
  if (it == origins.end()) return 0;
  static const std::regex line_re("^.*:([0-9]+) [^ ]+$");
  std::smatch m;
  return std::regex_match(it->second, m, line_re) ? std::stoi(m[1]) : 0;
}

const std::vector<std::string>& config_keys() {
  static const std::vector<std::string> paths = [] {
    std::vector<std::string> out;
    for (const auto& k : keys()) out.push_back(k.path);
    return out;
  }();
  return paths;
}

RunConfig parse_config(const std::string& yaml_text, const std::string& source,
                       const std::vector<std::string>& overrides, const std::vector<ConfigOverride>& flags) {
  Entries entries = flatten_with_bases(parse_yaml(yaml_text, source), source);
  const auto method_entry = entries.find("sample.method");
  const std::string file_method =
      method_entry == entries.end() ? SamplerOptions{}.method : method_entry->second.value.Scalar();
  for (const auto& f : flags) apply_override(entries, f);
  for (const auto& s : overrides) apply_override(entries, parse_set(s));

  RunConfig c;
  c.source = source;
  for (const auto& k : keys()) {
    const auto it = entries.find(k.path);
    if (it == entries.end()) continue;
    try {
      k.read(c, it->second.value);
    } catch (const BadValue& e) {
      throw ConfigError(std::string(e.what()) + " (" + it->second.origin + ")");
    }
    c.origins[k.path] = it->second.origin;
  }
  validate(c);
  add_grid_warning(c, file_method);
  return c;
}

RunConfig parse_config(const std::string& yaml_text, const std::string& source,
                       const std::vector<std::string>& overrides) {
  return parse_config(yaml_text, source, overrides, {});
}

RunConfig load_config(const std::string& path, const std::vector<std::string>& overrides,
                      const std::vector<ConfigOverride>& flags) {
  const std::string text = read_text_file(path, "config file", path);
  // A file with no keys is a mistake (an unsaved editor buffer, a truncated
  // copy), not a request for the defaults: running on silently would train
  // the default model into the wrong place.
  if (parse_yaml(text, path).IsNull()) {
    throw ConfigError("the config file is empty: it sets no key (" + path + ")");
  }
  return parse_config(text, path, overrides, flags);
}

RunConfig load_config(const std::string& path, const std::vector<std::string>& overrides) {
  return load_config(path, overrides, {});
}

std::string to_yaml(const RunConfig& config) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  std::string section;
  for (const auto& k : keys()) {
    const auto dot = k.path.find('.');
    const std::string this_section = dot == std::string::npos ? "" : k.path.substr(0, dot);
    if (this_section != section) {
      if (!section.empty()) out << YAML::EndMap;
      section = this_section;
      out << YAML::Key << section << YAML::Value << YAML::BeginMap;
    }
    out << YAML::Key << k.path.substr(dot == std::string::npos ? 0 : dot + 1) << YAML::Value;
    k.emit(config, out);
  }
  if (!section.empty()) out << YAML::EndMap;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace hold
