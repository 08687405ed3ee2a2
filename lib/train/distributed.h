#pragma once
// Data parallelism over torch.distributed's c10d process groups (Gloo on CPUs,
// NCCL on GPUs): one process per device, launched by torchrun, SLURM's srun or
// scripts/launch_local.sh, with DistributedDataParallel's semantics (docs/distributed.md).
//
// The launch environment says who this process is:
//   torchrun  RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT
//   SLURM     SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID, the first host of
//             SLURM_JOB_NODELIST (MASTER_ADDR / MASTER_PORT still win if set)
// With neither, or a world of 1, there is no process group at all.
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hold/core/registry.h"

namespace hold {

struct LaunchEnv {
  int64_t rank = 0;
  int64_t world_size = 1;
  int64_t local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  /// "torchrun", "slurm", or "" (one process).
  std::string source;

  bool distributed() const { return world_size > 1; }
};

/// getenv-like lookup (tests inject their own): nullptr when unset.
using EnvLookup = std::function<const char*(const char*)>;

/// Reads the launch environment. A variable that is not a number, a rank
/// outside [0, world), or a world > 1 without a master address is a
/// UsageError naming the variable.
LaunchEnv read_launch_env(const EnvLookup& env);
LaunchEnv read_launch_env();

/// The first host of a SLURM node list: "node[01-04,07],gpu5" → "node01",
/// "a,b" → "a", "gpu-[3,5]" → "gpu-3". UsageError for an empty or malformed list.
std::string first_slurm_host(const std::string& nodelist);

struct DistributedOptions {
  /// auto (nccl for CUDA devices, gloo otherwise) | gloo | nccl.
  std::string backend = "auto";
  /// A peer that does not answer for this long ends the run with an error.
  double timeout_s = 600.0;
  /// Gradient all-reduce bucket size (DDP's default 25 MB).
  double bucket_mb = 25.0;

  /// Throws ConfigError ending in "(distributed.<key>)".
  void validate() const;
};

enum class BackendChoice { kAuto, kGloo, kNccl };
/// distributed.backend: auto | gloo | nccl.
const Registry<Choice<BackendChoice>>& backend_registry();

/// One process's membership of the process group: collectives over tensors on
/// its device. Every call is collective: all ranks must make it, in order.
class Communicator {
 public:
  /// Rendezvous through a c10d TCPStore at master_addr:master_port (rank 0
  /// serves it) and a process group of the chosen backend. Throws UsageError
  /// when the backend cannot serve the device (nccl without CUDA), and
  /// hold::Error when a peer does not join within the timeout.
  Communicator(const LaunchEnv& env, const DistributedOptions& options, c10::Device device);
  ~Communicator();

  int64_t rank() const { return rank_; }
  int64_t world_size() const { return world_size_; }
  const std::string& backend() const { return backend_; }

  /// Rank 0's values into every rank's tensors, in place.
  void broadcast(const std::vector<at::Tensor>& tensors);
  /// The mean over ranks, in place, of a contiguous tensor, in buckets of
  /// bucket_mb (DDP's gradient averaging).
  void all_reduce_mean(const at::Tensor& flat);
  /// The mean over ranks of one number.
  double mean(double value);
  /// The means over ranks of a few numbers, in one collective.
  std::vector<double> mean(const std::vector<double>& values);
  /// True on every rank when `same` holds on all of them.
  bool all(bool same);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int64_t rank_ = 0, world_size_ = 1;
  std::string backend_;
  int64_t bucket_bytes_ = 0;
};

}  // namespace hold
