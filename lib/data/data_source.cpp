#include "hold/data/data_source.h"

#include <ATen/ATen.h>

#include <algorithm>

#include "hold/core/error.h"
#include "hold/data/data_config.h"
#include "hold/data/image_loader.h"
#include "hold/data/image_readers.h"
#include "hold/data/toy_dataset.h"

namespace hold {
namespace {

/// Every rank draws the whole global batch (the generators stay in step) and
/// keeps its slice, so the union over ranks is the one-process batch.
class ToyTrainingData : public TrainingData {
 public:
  ToyTrainingData(std::unique_ptr<ToyDataset> data, int64_t batch, int64_t rank, int64_t world_size)
      : data_(std::move(data)), batch_(batch), rank_(rank), world_size_(world_size) {}
  DataBatch next(at::Generator& gen) override {
    LabelledData d = data_->sample_labelled(batch_, gen);
    if (world_size_ == 1) return {d.x, d.labels};
    const int64_t local = batch_ / world_size_;
    auto mine = [&](const at::Tensor& t) {
      return t.defined() ? t.slice(0, rank_ * local, (rank_ + 1) * local).contiguous() : t;
    };
    return {mine(d.x), mine(d.labels)};
  }
  void seek(int64_t) override {}  // the stream is the generator's, restored with it

 private:
  std::unique_ptr<ToyDataset> data_;
  int64_t batch_, rank_, world_size_;
};

class ImageTrainingData : public TrainingData {
 public:
  ImageTrainingData(const ImageArray& data, const ImageLoaderOptions& options) : loader_(data, options) {}
  DataBatch next(at::Generator&) override {
    const int64_t batch = loader_.position();
    at::Tensor x = loader_.next();
    return {x, loader_.labels_of(batch)};
  }
  void seek(int64_t step) override { loader_.seek(step); }

 private:
  ImageLoader loader_;
};

}  // namespace

ImageArray read_image_data(const DataConfig& d) {
  if (!is_image_data(d.name)) throw UsageError("data set '" + d.name + "' is not an image data set (data.name)");
  ImageArray data = data_set_registry().at(d.name).read_images(d);
  if (d.pad > 0) data.images = at::constant_pad_nd(data.images, {d.pad, d.pad, d.pad, d.pad}, 0).contiguous();
  return data;
}

std::vector<int64_t> data_shape(const DataConfig& d) {
  if (!is_image_data(d.name)) return {make_toy_dataset(d)->dim()};
  int64_t c = 3, side = 32;
  if (d.name == "mnist" || d.name == "fashion_mnist") {
    // The header tells (MNIST-format sets need not be 28×28); 28 where the
    // files are absent (sampling from a checkpoint on another machine).
    c = 1, side = 28;
    try {
      const auto shape = read_mnist_shape(d.path, d.split);
      if (shape[1] == shape[2]) side = shape[1];
    } catch (const UsageError&) {
    }
  }
  if (d.name == "image_folder") c = d.channels, side = d.image_size;
  return {c, side + 2 * d.pad, side + 2 * d.pad};
}

std::unique_ptr<TrainingData> make_training_data(const DataConfig& d, const TrainingStream& stream) {
  if (!is_image_data(d.name)) {
    if (stream.batch_size % stream.world_size != 0) {
      throw UsageError("train.batch_size " + std::to_string(stream.batch_size) +
                       " is not divisible by the number of processes " + std::to_string(stream.world_size));
    }
    return std::make_unique<ToyTrainingData>(make_toy_dataset(d), stream.batch_size, stream.rank, stream.world_size);
  }
  ImageLoaderOptions options;
  options.batch_size = stream.batch_size;
  options.seed = stream.seed;
  options.random_flip = d.random_flip;
  options.pad = d.pad;
  options.rank = stream.rank;
  options.world_size = stream.world_size;
  options.prefetch = static_cast<int>(d.prefetch);
  options.pin_memory = stream.pin_memory;
  return std::make_unique<ImageTrainingData>(data_set_registry().at(d.name).read_images(d), options);
}

int64_t num_classes(const DataConfig& d) {
  if (is_image_data(d.name)) return data_set_registry().at(d.name).num_classes;
  return make_toy_dataset(d)->num_classes();
}

at::Tensor reference_data(const DataConfig& d, int64_t n, at::Generator& gen) {
  if (is_image_data(d.name))
    throw UsageError("fresh reference data exists only for toy data sets (data.name " + d.name + ")");
  return make_toy_dataset(d)->sample(n, gen);
}

}  // namespace hold
