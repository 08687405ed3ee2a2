#include "hold/train/distributed.h"

// The Gloo process group is compiled into every official LibTorch; its
// header is guarded by this macro. (Since LibTorch 2.0 the backends derive
// from c10d::Backend; a c10d::ProcessGroup is the Python-side dispatcher.)
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO
#endif
#include <ATen/ATen.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>

#include "hold/core/error.h"
#include "hold/core/format.h"

namespace hold {
namespace {

int64_t parse_int(const char* name, const char* value) {
  const std::string text = value;
  size_t used = 0;
  int64_t out = 0;
  try {
    out = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size()) {
    throw UsageError(std::string("environment variable ") + name + " must be an integer, got '" + text + "'");
  }
  return out;
}

/// The first of several variables that is set, or nullptr.
const char* first_set(const EnvLookup& env, std::initializer_list<const char*> names, const char** which) {
  for (const char* name : names) {
    if (const char* v = env(name); v && *v) {
      *which = name;
      return v;
    }
  }
  return nullptr;
}

void check_env(const LaunchEnv& e, const char* rank_name, const char* world_name) {
  if (e.world_size < 1)
    throw UsageError(std::string(world_name) + " must be >= 1, got " + std::to_string(e.world_size));
  if (e.rank < 0 || e.rank >= e.world_size) {
    throw UsageError(std::string(rank_name) + " must lie in [0, " + world_name + " = " + std::to_string(e.world_size) +
                     "), got " + std::to_string(e.rank));
  }
  if (e.master_port < 1 || e.master_port > 65535) {
    throw UsageError("MASTER_PORT must lie in [1, 65535], got " + std::to_string(e.master_port));
  }
}

}  // namespace

std::string first_slurm_host(const std::string& nodelist) {
  // The first entry ends at a comma outside brackets.
  std::string entry;
  int depth = 0;
  for (const char c : nodelist) {
    if (c == '[') ++depth;
    if (c == ']') --depth;
    if (c == ',' && depth == 0) break;
    entry += c;
  }
  const auto open = entry.find('[');
  const auto bad = [&] { return UsageError("SLURM_JOB_NODELIST is not a SLURM host list: '" + nodelist + "'"); };
  if (entry.empty() || depth < 0) throw bad();
  if (open == std::string::npos) {
    if (entry.find(']') != std::string::npos) throw bad();
    return entry;
  }
  const auto close = entry.find(']', open);
  if (close == std::string::npos || open == 0) throw bad();
  // "01-04,07" → the first number of the first range, zero padding kept.
  const std::string ranges = entry.substr(open + 1, close - open - 1);
  std::string first;
  for (const char c : ranges) {
    if (c == '-' || c == ',') break;
    if (!std::isdigit(static_cast<unsigned char>(c))) throw bad();
    first += c;
  }
  if (first.empty()) throw bad();
  return entry.substr(0, open) + first + entry.substr(close + 1);
}

LaunchEnv read_launch_env(const EnvLookup& env) {
  LaunchEnv e;
  const char* rank_name = "RANK";
  const char* world_name = "WORLD_SIZE";
  const char* local_name = "LOCAL_RANK";
  const char* world = first_set(env, {"WORLD_SIZE", "SLURM_NTASKS"}, &world_name);
  if (!world) return e;  // not launched by torchrun or srun: one process
  e.source = std::string(world_name) == "WORLD_SIZE" ? "torchrun" : "slurm";
  const bool slurm = e.source == "slurm";
  e.world_size = parse_int(world_name, world);
  rank_name = slurm ? "SLURM_PROCID" : "RANK";
  local_name = slurm ? "SLURM_LOCALID" : "LOCAL_RANK";
  if (const char* v = env(rank_name))
    e.rank = parse_int(rank_name, v);
  else if (e.world_size > 1)
    throw UsageError(std::string(world_name) + " is set but " + rank_name + " is not");
  if (const char* v = env(local_name)) e.local_rank = parse_int(local_name, v);
  if (const char* v = env("MASTER_PORT")) e.master_port = static_cast<int>(parse_int("MASTER_PORT", v));
  if (const char* v = env("MASTER_ADDR"); v && *v) {
    e.master_addr = v;
  } else if (const char* nodes = env("SLURM_JOB_NODELIST"); slurm && nodes && *nodes) {
    e.master_addr = first_slurm_host(nodes);
  } else if (e.world_size > 1) {
    throw UsageError(std::string("MASTER_ADDR is not set (") + world_name + " = " + std::to_string(e.world_size) + ")");
  }
  check_env(e, rank_name, world_name);
  return e;
}

LaunchEnv read_launch_env() {
  return read_launch_env([](const char* name) { return std::getenv(name); });
}

struct Communicator::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::Backend> group;
  bool nccl = false;
  int64_t rank = 0;
  double timeout_s = 0;
  c10::Device device = c10::kCPU;  // where collectives of scalars run (NCCL: the GPU)

  /// Waits for a collective; a dead or silent peer becomes one clear error.
  void wait(const c10::intrusive_ptr<c10d::Work>& work) const {
    try {
      work->wait();
    } catch (const c10::Error& e) {
      fail(e.what_without_backtrace());
    } catch (const std::exception& e) {
      fail(e.what());
    }
  }
  ~Impl() {
    // An NCCL communicator must be shut down before it is destroyed (its
    // watchdog thread otherwise reports a leak, and a peer may hang).
    if (!nccl || !group) return;
    try {
      group->shutdown();
    } catch (const std::exception&) {
      // Exiting anyway: nothing more to release.
    }
  }
  [[noreturn]] void fail(const std::string& why) const {
    throw Error("rank " + std::to_string(rank) +
                " lost the other processes (a peer died, or did not answer within "
                "distributed.timeout_s = " +
                std::to_string(static_cast<int64_t>(timeout_s)) + " s): " + why);
  }
};

const Registry<Choice<BackendChoice>>& backend_registry() {
  static const Registry<Choice<BackendChoice>> r(
      "distributed backend", "distributed.backend",
      {{"auto", BackendChoice::kAuto, "nccl for CUDA devices, gloo otherwise"},
       {"gloo", BackendChoice::kGloo, "Gloo (CPU tensors; CUDA too)"},
       {"nccl", BackendChoice::kNccl, "NCCL (CUDA devices)"}});
  return r;
}

void DistributedOptions::validate() const {
  backend_registry().at(backend);
  if (!(timeout_s > 0 && std::isfinite(timeout_s))) {
    throw ConfigError("timeout_s must be positive, got " + fmt(timeout_s) + " (distributed.timeout_s)");
  }
  if (!(bucket_mb > 0 && std::isfinite(bucket_mb))) {
    throw ConfigError("bucket_mb must be positive, got " + fmt(bucket_mb) + " (distributed.bucket_mb)");
  }
}

Communicator::Communicator(const LaunchEnv& env, const DistributedOptions& options, c10::Device device)
    : impl_(std::make_unique<Impl>()), rank_(env.rank), world_size_(env.world_size) {
  impl_->rank = env.rank;
  impl_->timeout_s = options.timeout_s;
  impl_->device = device;
  const BackendChoice choice = backend_registry().at(options.backend).value;
  backend_ = choice == BackendChoice::kAuto ? (device.is_cuda() ? "nccl" : "gloo") : options.backend;
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(options.timeout_s * 1000));
  bucket_bytes_ = static_cast<int64_t>(options.bucket_mb * 1024 * 1024);
  if (backend_ == "nccl" && !device.is_cuda()) {
    throw UsageError("the nccl backend needs CUDA devices, and this run uses " + device.str() +
                     "; use distributed.backend: gloo (distributed.backend)");
  }
  c10d::TCPStoreOptions store_options;
  store_options.port = static_cast<std::uint16_t>(env.master_port);
  store_options.isServer = env.rank == 0;
  store_options.numWorkers = static_cast<std::size_t>(env.world_size);
  store_options.waitWorkers = true;
  store_options.timeout = timeout;
  try {
    impl_->store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, store_options);
    auto prefixed = c10::make_intrusive<c10d::PrefixStore>("hold", impl_->store);
    if (backend_ == "gloo") {
      auto gloo_options = c10d::ProcessGroupGloo::Options::create(timeout);
      gloo_options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      impl_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, static_cast<int>(env.rank),
                                                                 static_cast<int>(env.world_size), gloo_options);
    } else {
#ifdef USE_C10D_NCCL
      auto nccl_options = c10d::ProcessGroupNCCL::Options::create();
      nccl_options->timeout = timeout;
      impl_->group = c10::make_intrusive<c10d::ProcessGroupNCCL>(prefixed, static_cast<int>(env.rank),
                                                                 static_cast<int>(env.world_size), nccl_options);
      impl_->nccl = true;
#else
      throw UsageError("this LibTorch was built without NCCL; use distributed.backend: gloo (distributed.backend)");
#endif
    }
  } catch (const c10::Error& e) {
    throw Error("rank " + std::to_string(env.rank) + " could not join the process group at " + env.master_addr + ":" +
                std::to_string(env.master_port) + " within " + fmt(options.timeout_s) +
                " s: " + e.what_without_backtrace());
  }
}

Communicator::~Communicator() = default;

void Communicator::broadcast(const std::vector<at::Tensor>& tensors) {
  for (const auto& t : tensors) {
    std::vector<at::Tensor> one{t};
    impl_->wait(impl_->group->broadcast(one));
  }
}

void Communicator::all_reduce_mean(const at::Tensor& flat) {
  const int64_t n = flat.numel();
  const int64_t per_bucket = std::max<int64_t>(1, bucket_bytes_ / static_cast<int64_t>(flat.element_size()));
  std::vector<c10::intrusive_ptr<c10d::Work>> pending;
  const at::Tensor view = flat.view({-1});
  for (int64_t start = 0; start < n; start += per_bucket) {
    std::vector<at::Tensor> bucket{view.narrow(0, start, std::min(per_bucket, n - start))};
    pending.push_back(impl_->group->allreduce(bucket));
  }
  for (auto& work : pending) impl_->wait(work);
  flat.div_(static_cast<double>(world_size_));
}

double Communicator::mean(double value) { return mean(std::vector<double>{value})[0]; }

std::vector<double> Communicator::mean(const std::vector<double>& values) {
  at::Tensor t = at::tensor(values, at::kDouble).to(impl_->device);
  std::vector<at::Tensor> one{t};
  impl_->wait(impl_->group->allreduce(one));
  t = t.cpu() / static_cast<double>(world_size_);
  return {t.data_ptr<double>(), t.data_ptr<double>() + t.numel()};
}

bool Communicator::all(bool same) { return mean(same ? 1.0 : 0.0) == 1.0; }

}  // namespace hold
