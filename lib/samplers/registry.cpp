// The public entry points of sampler.h: option validation, the name → method
// registry, and sample / sample_from on top of the driver.
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "hold/core/error.h"
#include "hold/core/format.h"
#include "hold/samplers/driver.h"
#include "hold/samplers/inpaint.h"
#include "hold/samplers/runge_kutta.h"
#include "hold/samplers/sampler_registry.h"
#include "hold/sde/blocks.h"
#include "hold/sde/linear_sde.h"

namespace hold {
namespace {

[[noreturn]] void reject(const std::string& what, const std::string& key) {
  throw ConfigError(what + " (sample." + key + ")");
}

}  // namespace

const Registry<SamplerEntry>& sampler_registry() {
  static const Registry<SamplerEntry> registry("sampler", "sample.method",
                                               {
#define HOLD_SAMPLER(id) detail::id##_sampler(),
#include "hold/samplers/sampler_list.h"
#undef HOLD_SAMPLER
                                               });
  return registry;
}

std::vector<std::string> sampler_names() { return sampler_registry().names(); }
std::vector<std::string> ode_solver_names() { return ode_solver_registry().names(); }

void SamplerOptions::validate(const LinearSde& sde) const {
  const SamplerEntry& entry = sampler_registry().at(method);
  ode_solver_registry().at(ode_solver);
  if (!(t_s > 0 && t_s < sde.t_max())) {
    reject("t_s must lie in (0, T = " + fmt(sde.t_max()) + "), got " + fmt(t_s), "t_s");
  }
  if (dtype != at::kFloat && dtype != at::kDouble) reject("the state dtype must be float32 or float64", "dtype");
  if (!std::isfinite(snr)) reject("snr must be finite, got " + fmt(snr), "snr");
  if (order < -1 || order > 3)
    reject("order must be 0…3 (or −1: the preset's default), got " + std::to_string(order), "order");
  if (!(frame_var >= 0) || !std::isfinite(frame_var)) {
    reject("frame_var must be a finite variance >= 0, got " + fmt(frame_var), "frame_var");
  }
  ei_frame_registry().at(frame);
  if (!(eta >= 0.0 && eta <= 1.0)) reject("eta must be in [0, 1], got " + fmt(eta), "eta");
  if (eta > 0.0 && ei_frame_registry().at(frame).value != EiFrame::kData) {
    reject("eta (the stochastic variant) is built for frame x only, not frame " + frame, "eta");
  }
  inpaint_method_registry().at(inpaint_method);
  if (inpaint_resample < 1 || inpaint_resample > 100) {
    reject("inpaint_resample must be 1…100, got " + std::to_string(inpaint_resample), "inpaint_resample");
  }
  if (!(inpaint_refresh >= 0) || !std::isfinite(inpaint_refresh)) {
    reject("inpaint_refresh must be finite and >= 0, got " + fmt(inpaint_refresh), "inpaint_refresh");
  }
  if (inpaint_resample > 1 && (entry.multistep || entry.adaptive(*this))) {
    reject(
        "resampling retakes a step and needs a one-step sampler (em, lt, pc, edm, ode with a fixed-step "
        "solver), not " +
            method + (method == "ode" ? " with rk45" : ""),
        "inpaint_resample");
  }
  if (entry.check) entry.check(*this, sde);
  if (entry.adaptive(*this)) {
    if (!(atol > 0)) reject("atol must be positive, got " + fmt(atol), "atol");
    if (!(rtol > 0)) reject("rtol must be positive, got " + fmt(rtol), "rtol");
    return;  // the tolerances, not nfe, set the work of rk45
  }
  const detail::FixedGridMethod grid_method = entry.fixed_grid(*this);
  const std::string& name = grid_method.name;
  const int per_step = grid_method.nfe_per_step;
  const int64_t minimum = per_step + (denoise ? 1 : 0);
  if (nfe < minimum) {
    reject("nfe must be at least " + std::to_string(minimum) + " for " + name + " (" + std::to_string(per_step) +
               " per step" + (denoise ? " + 1 for the denoising step" : "") + "), got " + std::to_string(nfe),
           "nfe");
  }
}

GridKind SamplerOptions::own_grid() const {
  const SamplerEntry& entry = sampler_registry().at(method);
  return entry.adaptive(*this) ? GridKind::kAuto : entry.fixed_grid(*this).grid;
}

namespace detail {

SampleResult run_sampler(const LinearSde& sde, ScoreModel& model, const SamplerOptions& options, const at::Tensor& u0,
                         double t_start, const NoiseSource& noise, const StepCallback& callback,
                         StateConstraint* constraint) {
  options.validate(sde);
  const int64_t k = sde.num_blocks();
  if (u0.dim() < 2 || u0.size(0) < 1 || u0.size(1) % k != 0) {
    std::ostringstream os;
    os << "the initial state must be [N, " << k << "·C, ...], got " << u0.sizes() << " (sample_from)";
    throw UsageError(os.str());
  }
  if (!(t_start > options.t_s && t_start <= sde.t_max())) {
    throw UsageError("the start time must lie in (t_s, T] = (" + fmt(options.t_s) + ", " + fmt(sde.t_max()) +
                     "], got " + fmt(t_start) + " (sample_from)");
  }
  at::NoGradGuard no_grad;
  CountingScoreModel counted(model);
  at::Tensor u = u0.to(options.device, options.dtype, /*non_blocking=*/false, /*copy=*/true).contiguous();
  const SamplerContext ctx{sde,         counted,   options, noise, u.sizes().vec(), k, u.numel() / (u.size(0) * k),
                           u.options(), constraint};
  const SamplerEntry& entry = sampler_registry().at(options.method);  // resolved once per run
  if (entry.adaptive(options)) return run_adaptive_ode(ctx, std::move(u), t_start, callback);
  return run_fixed_grid(ctx, entry.fixed_grid(options), std::move(u), t_start, callback);
}

}  // namespace detail

SampleResult sample(const LinearSde& sde, ScoreModel& model, const SamplerOptions& options, at::IntArrayRef data_shape,
                    int64_t n, at::Generator gen, const StepCallback& callback) {
  options.validate(sde);
  if (data_shape.empty() || n < 1) throw UsageError("sample: need n >= 1 and a data shape ({d} or {C, H, W})");
  std::vector<int64_t> shape{n};
  shape.insert(shape.end(), data_shape.begin(), data_shape.end());
  const at::Tensor u0 = sde.prior_sample(state_shape(shape, sde.num_blocks()), gen, options.dtype);
  return detail::run_sampler(sde, model, options, u0, sde.t_max(), detail::generator_noise(gen), callback);
}

SampleResult sample_from(const LinearSde& sde, ScoreModel& model, const SamplerOptions& options, const at::Tensor& u0,
                         double t_start, at::Generator gen, const StepCallback& callback) {
  return detail::run_sampler(sde, model, options, u0, t_start, detail::generator_noise(gen), callback);
}

}  // namespace hold
