// Every image config under configs/ builds its network, and one forward and
// backward pass at batch 2 gives ε of the data's shape with finite gradients.
// CelebA-HQ-256 (103M parameters at 256×256, ~30 s here) is tagged [.slow]:
//   build/tests/hold_tests "[slow]"
#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <catch2/catch.hpp>

#include <string>

#include "hold/data/data_source.h"
#include "hold/io/config.h"
#include "hold/models/eps_network.h"
#include "hold/sde/presets.h"
#include "hold/train/run_components.h"

using namespace hold;

namespace {

/// Loads configs/<name>.yaml, runs one forward/backward at `batch`, returns
/// the trainable parameter count.
int64_t check_forward_backward(const std::string& name, int64_t batch) {
  const RunConfig config = load_config(std::string(HOLD_SOURCE_DIR) + "/configs/" + name + ".yaml");
  const auto shape = data_shape(config.data);
  const int64_t k = make_sde(config.sde).num_blocks();
  auto net = make_network(config, shape);
  net->train();
  const auto u = at::randn({batch, k * shape[0], shape[1], shape[2]});
  const auto t = at::rand({batch}) * 0.99 + 0.01;
  const auto eps = net->forward(u, t);
  INFO(name);
  REQUIRE(eps.sizes() == at::IntArrayRef({batch, shape[0], shape[1], shape[2]}));
  eps.square().mean().backward();
  for (const auto& p : net->parameters()) {
    REQUIRE(p.grad().defined());
    REQUIRE(at::isfinite(p.grad()).all().item<bool>());
  }
  return count_parameters(*net);
}

}  // namespace

TEST_CASE("The CIFAR-10 configs build NCSN++ deep with the reference's parameter counts", "[models][configs]") {
  CHECK(check_forward_backward("cifar10_hold", 2) == 107600771);   // 9 input channels
  CHECK(check_forward_backward("cifar10_cld", 2) == 107593859);    // 6
  CHECK(check_forward_backward("cifar10_vpsde", 2) == 107586947);  // 3
  CHECK(check_forward_backward("cifar10_vesde", 2) == 107586947);
}

TEST_CASE("The Fashion-MNIST configs run forward and backward", "[models][configs]") {
  for (const char* name : {"fmnist_hold", "fmnist_cld", "fmnist_vp"}) check_forward_backward(name, 2);
}

TEST_CASE("The CelebA-HQ-256 config runs forward and backward", "[.slow][models][configs]") {
  CHECK(check_forward_backward("celebahq256_hold", 1) == 103196437);
}
