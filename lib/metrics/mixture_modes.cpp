#include "hold/metrics/mixture_modes.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

namespace hold {

MixtureModeReport mixture_modes(const at::Tensor& x, const GaussianMixture& mixture) {
  const at::Tensor x64 = x.to(at::kCPU, at::kDouble).reshape({x.size(0), -1});
  const int64_t n = x64.size(0);
  const int d = mixture.dim();
  // Component log-likelihoods [n, J]; argmax gives the mode of each sample.
  std::vector<at::Tensor> logits;
  double total = 0.0;
  for (double w : mixture.weights) total += w;
  for (int j = 0; j < mixture.num_components(); ++j) {
    const at::Tensor m = at::tensor(mixture.means[j], at::kDouble), s = at::tensor(mixture.stds[j], at::kDouble);
    const at::Tensor z = (x64 - m) / s;
    logits.push_back(std::log(mixture.weights[j] / total) - s.log().sum() - 0.5 * z.square().sum(1));
  }
  // Non-finite samples (a diverged sampler) belong to no mode.
  const at::Tensor mode = at::stack(logits, 1).argmax(1).masked_fill(at::isfinite(x64).all(1).logical_not(), -1);

  MixtureModeReport report;
  for (int j = 0; j < mixture.num_components(); ++j) {
    const at::Tensor xj = x64.index({mode == j});
    ModeStats st;
    st.count = xj.size(0);
    st.weight = static_cast<double>(st.count) / static_cast<double>(n);
    report.worst_weight_error = std::max(report.worst_weight_error, std::abs(st.weight - mixture.weights[j] / total));
    if (st.count >= 2) {
      const at::Tensor m = at::tensor(mixture.means[j], at::kDouble), s = at::tensor(mixture.stds[j], at::kDouble);
      st.mean_error = (xj.mean(0) - m).abs().max().item<double>();
      st.std_error = std::sqrt((xj.var(0) / s.square()).sum().item<double>() / d) - 1.0;
      report.worst_mean_error = std::max(report.worst_mean_error, st.mean_error);
      if (std::abs(st.std_error) > std::abs(report.worst_std_error)) report.worst_std_error = st.std_error;
    }
    report.modes.push_back(st);
  }
  return report;
}

}  // namespace hold
