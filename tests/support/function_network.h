#pragma once
// An EpsNetwork computing ε from a function of (u, t) in float64, for tests
// that hand EpsScoreModel an exact or a chosen ε (a dummy float64 parameter
// makes EpsScoreModel pass it float64 inputs).
#include <ATen/ATen.h>

#include <functional>
#include <utility>

#include "hold/models/eps_network.h"

namespace hold::test {

class FunctionNetwork : public EpsNetwork {
 public:
  explicit FunctionNetwork(std::function<at::Tensor(const at::Tensor&, const at::Tensor&)> f) : f_(std::move(f)) {
    register_parameter("dtype_anchor", at::zeros({1}, at::kDouble));
  }
  at::Tensor forward(const at::Tensor& u, const at::Tensor& t) override { return f_(u, t); }

 private:
  std::function<at::Tensor(const at::Tensor&, const at::Tensor&)> f_;
};

}  // namespace hold::test
