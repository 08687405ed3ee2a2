#pragma once
// Where training batches come from, for toy and image data alike:
//   toy     fresh i.i.d. draws from the run's generator (its state is in the
//           checkpoint, so a resumed run continues the same stream);
//   images  epochs over a fixed split, shuffled from the seed (ImageLoader):
//           the batch of step i is a pure function of i, so resuming seeks.
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hold/data/data_config.h"
#include "hold/data/image_readers.h"

namespace hold {

struct DataConfig;

/// One training batch: the data and, where the data set has classes, their labels.
struct DataBatch {
  at::Tensor x;       ///< float32 [B, ...data_shape] on the CPU
  at::Tensor labels;  ///< int64 [B], undefined when the data set has no classes (or no label files)
};

class TrainingData {
 public:
  virtual ~TrainingData() = default;
  /// The next batch (toy data draws from gen; labels cost no extra draws).
  virtual DataBatch next(at::Generator& gen) = 0;
  /// Makes the next call return the batch of step `step` (0-based; resume).
  virtual void seek(int64_t step) = 0;
};

/// Shape of one data point without reading any file: {d} for toy data,
/// {C, H, W} for images (after padding / resizing).
std::vector<int64_t> data_shape(const DataConfig& config);

/// What the training stream needs besides the `data:` section.
struct TrainingStream {
  int64_t batch_size = 1;  ///< the global batch (train.batch_size)
  uint64_t seed = 0;       ///< image shuffles (the run's seed)
  int64_t rank = 0;
  int64_t world_size = 1;
  bool pin_memory = false;  ///< batches bound for a CUDA device
};

/// The training stream of a resolved section. With world_size > 1, the rank's
/// slice of every global batch (images) or its own share of i.i.d. draws
/// (toy). Throws UsageError for unreadable data files.
std::unique_ptr<TrainingData> make_training_data(const DataConfig& config, const TrainingStream& stream);

/// The configured image split (data.name, path, split, image_size, channels)
/// as uint8 pixels [N, C, H, W], padded with data.pad black pixels on each
/// side as training sees them; labels if the source has them. For evaluation
/// (likelihood, FID statistics). UsageError for unreadable files or toy data.
ImageArray read_image_data(const DataConfig& config);

/// Number of classes the training batches' labels take (a mixture's
/// components, the swiss roll's 5 rolls, the 10 of CIFAR-10, MNIST and
/// Fashion-MNIST); 0 for data without labels (the checkerboard, an image folder).
int64_t num_classes(const DataConfig& config);

/// n fresh draws of a toy data set for comparisons and plots, float32 [n, d]
/// (images are compared through hold-fid). UsageError for image data.
at::Tensor reference_data(const DataConfig& config, int64_t n, at::Generator& gen);

}  // namespace hold
