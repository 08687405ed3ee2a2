#pragma once
// Training batches over an in-memory image split, reproducible by batch number.
//
// Batch i (0-based, counted from the start of training) is a pure function of
// (data, options, i), so a resumed run seeks instead of replaying:
//   e = i / batches_per_epoch, j = i mod batches_per_epoch;
//   the epoch's order is a Fisher–Yates shuffle driven by std::mt19937_64
//   seeded with splitmix64(seed, "perm", e);
//   the global batch is order[j·B, (j+1)·B); its B flip bits (top bit of each
//   draw) come from std::mt19937_64 seeded with splitmix64(seed, "flip", e, j);
//   rank r keeps rows [r·B/W, (r+1)·B/W), so the ranks' slices concatenate to
//   the one-process batch.
// Only the standard's fully specified engine and our own shuffle are used, so
// the stream is identical on every platform and LibTorch version.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "hold/data/image_readers.h"

namespace hold {

struct ImageLoaderOptions {
  /// Global batch size B, over all ranks.
  int64_t batch_size = 128;
  /// Seeds the epoch orders and the flips.
  uint64_t seed = 0;
  /// Mirror left–right with probability 1/2 (CIFAR-10 training in score_sde).
  bool random_flip = true;
  /// Pixels added on each side with the value of black (28 → 32: pad 2).
  int64_t pad = 0;
  /// true: x ↦ 2x/255 − 1 ∈ [−1, 1] (score_sde's centring); false: x/255 ∈ [0, 1].
  bool centered = true;
  /// This process takes the rank-th of world_size equal slices of each global batch.
  int64_t rank = 0, world_size = 1;
  /// Batches prepared ahead by a background thread; 0: prepared inside next().
  int prefetch = 2;
  /// Batches in pinned host memory (for runs on CUDA; needs a CUDA device).
  bool pin_memory = false;
};

namespace detail {

/// Calls make(i) for i = position, position + 1, ... on one background thread,
/// keeping up to `depth` results ready; depth 0 calls make inside next().
/// make is only ever called from one thread at a time. An exception thrown by
/// make is re-thrown by the next() that would have returned its result, and the
/// position stays there (a retry calls make again).
class Prefetcher {
 public:
  using Make = std::function<at::Tensor(int64_t)>;
  Prefetcher(Make make, int depth);
  ~Prefetcher();  // stops and joins the thread (waits for a make in progress)
  Prefetcher(const Prefetcher&) = delete;
  Prefetcher& operator=(const Prefetcher&) = delete;

  at::Tensor next();
  /// The next next() returns make(position); drops the prepared results.
  void seek(int64_t position);
  int64_t position() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace detail

class ImageLoader {
 public:
  /// Throws UsageError when the images are not uint8 [N, C, H, W], the options
  /// are out of range, batch_size is not divisible by world_size, or N < batch_size.
  ImageLoader(const ImageArray& data, ImageLoaderOptions options);
  ~ImageLoader();
  ImageLoader(const ImageLoader&) = delete;
  ImageLoader& operator=(const ImageLoader&) = delete;

  /// Batch number position(), then advances: float32 [B / world_size, C, H + 2·pad,
  /// W + 2·pad], CPU, contiguous, not requiring grad.
  at::Tensor next();
  /// The next call to next() returns batch number `batches_consumed` (resume).
  void seek(int64_t batches_consumed);
  /// The class labels of batch number `batch`, int64 [B / world_size], row
  /// for row the images next() gives for it; undefined when the data have
  /// no labels. Computed apart from the prefetch thread (its own copy of the
  /// epoch order), so that the trainer can take them with the batch.
  at::Tensor labels_of(int64_t batch);
  bool has_labels() const;
  /// N / B: the incomplete last batch of an epoch is dropped.
  int64_t batches_per_epoch() const;
  /// Batches consumed so far (including seeks).
  int64_t position() const;
  /// {C, H + 2·pad, W + 2·pad}.
  std::vector<int64_t> sample_shape() const;

 private:
  struct Batcher;
  std::shared_ptr<Batcher> batcher_;  // shared with the prefetch thread's closure
  std::unique_ptr<detail::Prefetcher> prefetcher_;
  at::Tensor labels_;  // int64 [N] or undefined
  int64_t label_epoch_ = -1;
  std::vector<int64_t> label_order_;  // the epoch order of label_epoch_ (the caller's thread)
};

}  // namespace hold
