#include "hold/models/time_embedding.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

namespace hold {

TimeEmbeddingImpl::TimeEmbeddingImpl(const TimeEmbeddingOptions& options_) : options(options_) {
  TORCH_CHECK(options.dim() >= 2 && options.dim() % 2 == 0, "TimeEmbedding: dim must be even and >= 2, got ",
              options.dim());
  reset();
}

void TimeEmbeddingImpl::reset() {
  const int64_t half = options.dim() / 2;
  at::Tensor omega;
  if (options.kind() == TimeEmbeddingKind::kFourier) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(options.seed());
    omega = at::normal(0.0, options.fourier_scale(), {half}, gen) * (2.0 * M_PI);
  } else {
    const double step = half > 1 ? std::log(10000.0) / static_cast<double>(half - 1) : 0.0;
    omega = at::exp(at::arange(half, at::kFloat) * -step) * 1000.0;
  }
  frequencies = register_buffer("frequencies", omega);
}

at::Tensor TimeEmbeddingImpl::forward(const at::Tensor& t) {
  auto time = t.to(frequencies.scalar_type());
  if (options.log_time()) time = at::log(time);
  const auto arg = at::outer(time, frequencies);
  return at::cat({at::sin(arg), at::cos(arg)}, 1);
}

}  // namespace hold
