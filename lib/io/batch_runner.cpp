#include "hold/io/batch_runner.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <utility>

#include "hold/core/error.h"
#include "hold/core/seeds.h"
#include "hold/io/npz.h"
#include "hold/io/progress.h"

namespace hold {
namespace {

/// write_npz's argument: the arrays in name order (byte-identical files).
std::vector<std::pair<std::string, at::Tensor>> as_arrays(const NamedTensors& tensors) {
  return {tensors.begin(), tensors.end()};
}

/// The work's results as they are saved and merged: contiguous, on the CPU.
NamedTensors on_cpu(NamedTensors tensors, int64_t k) {
  for (auto& [name, tensor] : tensors) {
    if (!tensor.defined()) throw Error("batch " + std::to_string(k) + " returned no tensor for '" + name + "'");
    tensor = tensor.cpu().contiguous();
  }
  return tensors;
}

}  // namespace

int64_t batch_count(int64_t n, int64_t batch) { return (n + batch - 1) / batch; }

NamedTensors concatenate_batches(const std::vector<NamedTensors>& batches) {
  std::map<std::string, std::vector<at::Tensor>> pieces;
  for (const NamedTensors& batch : batches)
    for (const auto& [name, tensor] : batch) pieces[name].push_back(tensor);
  NamedTensors merged;
  for (const auto& [name, list] : pieces) {
    try {
      merged[name] = at::cat(list, 0);
    } catch (const c10::Error& e) {
      throw Error("the batches' '" + name + "' arrays do not fit together: " + e.what_without_backtrace());
    }
  }
  return merged;
}

BatchRunner::BatchRunner(BatchRunOptions options) : options_(std::move(options)) {
  const BatchRunOptions& o = options_;
  if (o.n < 1 || o.batch < 1) {
    throw Error("a batched run needs n >= 1 and batch >= 1, got n = " + std::to_string(o.n) +
                ", batch = " + std::to_string(o.batch));
  }
  if (o.world < 1 || o.rank < 0 || o.rank >= o.world) {
    throw Error("rank " + std::to_string(o.rank) + " is outside a world of " + std::to_string(o.world));
  }
  if (o.world > 1 && o.parts_dir.empty()) throw Error("several processes share a batched run only through part files");
  batches_ = batch_count(o.n, o.batch);
  if (!o.parts_dir.empty()) parts_.emplace(o.parts_dir, batches_);
}

int64_t BatchRunner::count(int64_t k) const { return std::min(options_.batch, options_.n - k * options_.batch); }

int64_t BatchRunner::finished() const { return parts_ ? parts_->count() : 0; }

int64_t BatchRunner::items_saved() const { return std::min(options_.n, finished() * options_.batch); }

std::optional<NamedTensors> BatchRunner::run(const BatchWork& work) {
  const BatchRunOptions& o = options_;
  ProgressBar bar(o.label, o.n);
  if (o.rank != 0 || !o.show_progress) bar.mute();
  // The bar counts the items of finished batches (with parts: every
  // process's, so rank 0 shows the whole run) plus the running batch's share.
  int64_t items_done = items_saved();
  std::string postfix;
  if (items_done > 0) bar.update(items_done);
  std::vector<NamedTensors> in_memory(parts_ ? 0 : batches_);
  for (int64_t k = o.rank; k < batches_; k += o.world) {
    if (parts_ && parts_->exists(k)) continue;  // saved by an earlier session
    const int64_t count = this->count(k);
    Batch batch{k, k * o.batch, count, batch_generator(o.seed, k, o.generator_device), {}};
    batch.progress = [&, count](double fraction, const std::string& text) {
      postfix = text;
      const auto within = static_cast<int64_t>(std::clamp(fraction, 0.0, 1.0) * static_cast<double>(count));
      bar.update(std::min(o.n, items_done + within), postfix);
    };
    NamedTensors result = on_cpu(work(batch), k);
    if (parts_) {
      write_npz(parts_->path(k), as_arrays(result));  // atomic: a part that exists is complete
      items_done = items_saved();
    } else {
      in_memory[k] = std::move(result);
      items_done += count;
    }
    bar.update(items_done, postfix);
  }
  if (o.rank != 0) return std::nullopt;
  if (parts_) {
    parts_->wait_for_all(o.timeout_s, [&](int64_t done) { bar.update(std::min(o.n, done * o.batch), postfix); });
    for (int64_t k = 0; k < batches_; ++k) in_memory.push_back(read_npz(parts_->path(k)));
  }
  bar.update(o.n, postfix);
  bar.finish();
  return concatenate_batches(in_memory);
}

void BatchRunner::remove_parts() const {
  if (parts_) parts_->remove();
}

}  // namespace hold
