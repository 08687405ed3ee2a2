#pragma once
// The sharded, resumable batch loop of hold-sample, hold-fid export and
// hold-nll: one place that decides which items a batch covers, which
// generator it draws from, who draws it, where it is saved and how the parts
// are merged, so that the tools cannot drift apart.
//
//   * A run of n items in batches of b has ceil(n / b) batches; batch k covers
//     items [k·b, min(n, (k+1)·b)).
//   * Batch k draws from its own generator, batch_generator(seed, k, device)
//     (core/seeds.h: derived_generator(seed, k, kBatchStream, device)), so its
//     result depends only on (seed, k, b), not on the process, the session or
//     the order in which batches run.
//   * With a parts folder (io/part_files.h) rank r of a world of w processes
//     takes the batches k ≡ r (mod w) and saves each finished batch atomically
//     as part_<k>.npz; batches whose part exists are skipped (a rerun resumes);
//     rank 0 waits for all parts and merges them. Without one (a single
//     process that need not resume) the batches stay in memory.
//   * The merge is, per array name, the concatenation along dim 0 over the
//     batches that hold that name, in the order of k. (An array only batch 0
//     returns, e.g. hold-sample's trajectory, comes out as batch 0's.)
//   * A progress bar over the n items, drawn by rank 0 only; the work reports
//     its progress within a batch through Batch::progress.
//
// Usage:
//   BatchRunner runner({.n = n, .batch = b, .seed = seed, .parts_dir = dir, .rank = r, .world = w});
//   auto merged = runner.run([&](const Batch& batch) -> NamedTensors {
//     return {{"x", draw(batch.count, batch.generator)}};
//   });
//   if (merged) { write(*merged); runner.remove_parts(); }
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hold/io/part_files.h"

namespace hold {

/// A batch's results by name: CPU tensors whose dim 0 runs over its items.
using NamedTensors = std::map<std::string, at::Tensor>;

/// One batch, as the work callback sees it.
struct Batch {
  int64_t index = 0;  ///< k
  int64_t first = 0;  ///< its first item, k·b
  int64_t count = 0;  ///< its items, min(b, n − k·b)
  /// batch_generator(seed, k, generator_device): every draw of the batch.
  at::Generator generator;
  /// Moves the progress bar within the batch: `fraction` ∈ [0, 1] of its
  /// items done, and the text after the bar (e.g. "nfe=12").
  std::function<void(double fraction, const std::string& postfix)> progress;
};

/// The work of one batch: its named results.
using BatchWork = std::function<NamedTensors(const Batch&)>;

struct BatchRunOptions {
  int64_t n = 0;      ///< items in the run (≥ 1)
  int64_t batch = 1;  ///< items per batch (≥ 1)
  int64_t seed = 0;   ///< the run's seed
  /// Where the generators draw: the sampler's device, or the CPU (hold-nll).
  c10::Device generator_device = c10::Device(c10::kCPU);
  /// The folder of part files; "" keeps the batches in memory (one process only).
  std::string parts_dir = "";
  int64_t rank = 0;   ///< this process (read_launch_env().rank)
  int64_t world = 1;  ///< processes sharing the run
  /// Rank 0 gives up when no other process wrote a part for this long.
  double timeout_s = 600.0;
  std::string label = "batches";  ///< the progress bar's label
  bool show_progress = true;      ///< false: no bar at all (tests)
};

/// ceil(n / b): the batches of a run of n items in batches of b.
int64_t batch_count(int64_t n, int64_t batch);

/// Per name, the concatenation along dim 0 of the batches that hold it, in
/// the order given. hold::Error naming the array when shapes do not fit.
NamedTensors concatenate_batches(const std::vector<NamedTensors>& batches);

class BatchRunner {
 public:
  /// Creates the parts folder if there is one (UsageError naming it when that
  /// fails). hold::Error for n < 1, batch < 1, a rank outside [0, world), or
  /// several processes without a parts folder (they could not merge).
  explicit BatchRunner(BatchRunOptions options);

  int64_t batches() const { return batches_; }
  /// Items of batch k: min(b, n − k·b).
  int64_t count(int64_t k) const;
  /// Batches already saved (a resumed run); 0 without a parts folder.
  int64_t finished() const;

  /// Runs this process's unfinished batches through `work`, then (rank 0)
  /// waits for the other processes' parts and merges. Returns the merged
  /// results on rank 0, nullopt on the other ranks (their batches are on disk).
  std::optional<NamedTensors> run(const BatchWork& work);

  /// Deletes the parts folder: for rank 0, once the tool has written its
  /// output (until then a failed write can be rerun without redrawing).
  void remove_parts() const;

 private:
  /// Items of the saved parts, as the bar counts them: min(n, parts · b).
  int64_t items_saved() const;

  BatchRunOptions options_;
  int64_t batches_ = 0;
  std::optional<PartFiles> parts_;
};

}  // namespace hold
