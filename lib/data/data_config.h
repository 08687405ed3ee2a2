#pragma once
// The `data:` section of a run config, owned here: what the keys mean, their
// checks, and the data set registry (toy sets drawn fresh, image sets read
// from files). lib/io/config reads the YAML into it.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hold/core/gaussian_mixture.h"
#include "hold/core/registry.h"

namespace hold {

struct DataConfig {
  /// A name of data_set_registry(): toy swissroll | gmm1d | gmm; images
  /// cifar10 | mnist | fashion_mnist | image_folder (lib/data/image_readers.h).
  std::string name = "swissroll";
  /// Images: where the files are (cifar10: cifar-10-batches-bin or its parent;
  /// mnist/fashion_mnist: the IDX files' folder, default Debian's
  /// /usr/share/datasets/fashion-mnist for fashion_mnist; image_folder: the folder).
  std::string path;
  /// Images: train | test.
  std::string split = "train";
  /// image_folder: the side images are centre-cropped and resized to.
  int64_t image_size = 0;
  /// image_folder: 1 (grey) or 3 (RGB).
  int64_t channels = 3;
  /// Images: random horizontal flips in training.
  bool random_flip = true;
  /// Images: pixels of value −1 added on each side (28 → 32: 2).
  int64_t pad = 0;
  /// Batches prepared ahead by a background thread (0: none).
  int64_t prefetch = 2;
  /// gmm: the mixture (weights, means, stds); gmm1d fills the documented default.
  GaussianMixture mixture;
  /// swissroll: scikit-learn make_swiss_roll noise (before scaling) and scale.
  double noise = 0.2;  // as the published CLD code draws its multimodal swiss roll
  double scale = 0.01;

  /// Checks every key and completes the section: the gmm1d default mixture,
  /// per-component scalar stds broadcast to the dimension. Throws ConfigError
  /// ending in "(data.<key>)"; findings that are not errors go to `warnings`,
  /// ending in "(data.<key>)" as well.
  void resolve(std::vector<std::string>& warnings);
};

class ToyDataset;
struct ImageArray;

enum class DataKind { kToy, kImage };

struct DataSet {
  std::string name;
  std::string help;
  DataKind kind;
  /// Toy sets: the distribution of a resolved section.
  std::function<std::unique_ptr<ToyDataset>(const DataConfig&)> make_toy;
  /// Image sets: the configured split as uint8 [N, C, H, W] (before padding).
  std::function<ImageArray(const DataConfig&)> read_images;
  /// Image sets: the number of classes their labels name (0: unlabelled).
  int64_t num_classes = 0;
};

/// data.name (lib/data/data_source.cpp).
const Registry<DataSet>& data_set_registry();
bool is_image_data(const std::string& name);

}  // namespace hold
