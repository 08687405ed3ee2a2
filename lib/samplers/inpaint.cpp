// Inpainting's constraint (inpaint.h; math.md §10): the known coordinates'
// K-blocks follow the forward process, by a consistent path or by fresh
// replacement draws, imposed by the drivers through StateConstraint.
#include "hold/samplers/inpaint.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <sstream>
#include <utility>
#include <vector>

#include "hold/core/error.h"
#include "hold/samplers/driver.h"
#include "hold/sde/block_map.h"
#include "hold/sde/blocks.h"
#include "hold/sde/linear_sde.h"
#include "hold/sde/psd_factor.h"

namespace hold {
namespace {

[[noreturn]] void reject(const std::string& what) { throw UsageError(what + " (inpaint)"); }

std::string shape_of(const at::Tensor& t) {
  std::ostringstream os;
  os << t.sizes();
  return os.str();
}

/// Φ(t)'s first column: the mean of u_t given x (aux blocks start at mean 0), K×1.
Mat mean_column(const LinearSde& sde, double t) {
  const Mat phi = sde.kernel(t).phi;
  Mat c(phi.rows(), 1);
  for (int r = 0; r < phi.rows(); ++r) c(r, 0) = phi(r, 0);
  return c;
}

/// u [N, K·C, ...] with an orthogonal C×C m applied to the channels of every block.
at::Tensor apply_channels_blockwise(const at::Tensor& m, const at::Tensor& u, int64_t k) {
  const int64_t c = m.size(0);
  const auto blocks = u.reshape({u.size(0) * k, c, -1});
  return at::matmul(m, blocks).reshape(u.sizes());
}

class KnownCoordinates final : public detail::StateConstraint {
 public:
  KnownCoordinates(const LinearSde& sde, const KnownData& known, InpaintMethod method, int64_t resample, double refresh,
                   double t_end)
      : sde_(sde),
        known_(known),
        method_(method),
        resample_(resample),
        refresh_(refresh),
        t_end_(t_end),
        sigma0_(sde.default_initial_cov()) {}

  int64_t repeats() const override { return resample_; }

  void prepare(const detail::SamplerContext& ctx, double t_start, const std::vector<double>& state_times) override {
    const int64_t k = ctx.num_blocks;
    const auto& opts = ctx.state_options;
    // One row for all samples, or one per sample when x or the mask has n.
    std::vector<int64_t> shape = known_.x.sizes().vec();
    shape[0] = std::max(known_.x.size(0), known_.mask.size(0));
    x0_ = known_.x.to(opts.device(), opts.dtype().toScalarType()).expand(shape).contiguous();
    mask_x_ = known_.mask.to(opts.device()).ne(0).expand(shape).contiguous();
    mask_state_ = at::cat(std::vector<at::Tensor>(static_cast<size_t>(k), mask_x_), 1);
    if (known_.channels.rows() > 0) {
      m_ = to_tensor(known_.channels, opts.dtype().toScalarType(), opts.device());
      mt_ = to_tensor(known_.channels.transpose(), opts.dtype().toScalarType(), opts.device());
    }
    z_ = at::empty(ctx.state_shape, opts);
    // Every factor of a fixed grid, once: the states' times are known.
    steps_.clear();
    cursor_ = 0;
    renoise_.clear();
    t_start_ = t_start;
    start_ = make_step(ctx, /*t_hi=*/-1.0, t_start, 1.0);
    // The path's refresh: each state keeps correlation ρ = exp(−λ/N) with the
    // path, so over the N states of the grid it decorrelates by e^−λ.
    const double rho = state_times.empty() ? 1.0 : std::exp(-refresh_ / static_cast<double>(state_times.size()));
    double t_prev = t_start;
    for (const double t : state_times) {
      steps_.push_back(make_step(ctx, t_prev, t, rho));
      if (resample_ > 1) renoise_.push_back(make_renoise(ctx, t, t_prev));
      t_prev = t;
    }
    repeating_ = false;
    last_ = nullptr;
  }

  at::Tensor start(const detail::SamplerContext& ctx, at::Tensor u) override {
    time_ = start_.t;
    last_ = &start_;
    return impose(ctx, std::move(u), draw(ctx, start_, /*previous=*/at::Tensor()));
  }

  at::Tensor after_step(const detail::SamplerContext& ctx, at::Tensor u, double t) override {
    // The prepared factors when the time is the grid's (it always is on a
    // fixed grid); otherwise (adaptive ode) the factors of this step.
    if (repeating_) {  // a resampled step ends where the first take did
      repeating_ = false;
      return impose(ctx, std::move(u), method_ == InpaintMethod::kPath ? path_ : draw(ctx, *last_, at::Tensor()));
    }
    std::unique_ptr<Step> fresh;
    const Step* s = nullptr;
    if (cursor_ < steps_.size() && steps_[cursor_].t == t) {
      s = &steps_[cursor_++];
    } else {
      // Adaptive steps: the refresh in proportion to the step's share of [t_s, T].
      const double share = (time_ - t) / std::max(t_start_ - t_end_, 1e-300);
      fresh = std::make_unique<Step>(make_step(ctx, time_, t, std::exp(-refresh_ * share)));
      s = fresh.get();
    }
    time_ = t;
    previous_ = last_;
    last_ = fresh ? nullptr : s;  // retakes (fixed grids only) read the prepared factors
    path_prev_ = path_;
    return impose(ctx, std::move(u), draw(ctx, *s, path_));
  }

  at::Tensor renoise(const detail::SamplerContext& ctx, at::Tensor u, int64_t i) override {
    // The unknown coordinates by the forward kernel from the step's end back
    // to its start; the known ones to their state there (the path's, or a
    // fresh replacement draw).
    const Renoise& r = renoise_.at(static_cast<size_t>(i));
    ctx.noise(z_);
    at::Tensor up = r.flow.apply(u);
    r.noise.add_to(up, z_);
    repeating_ = true;
    if (method_ == InpaintMethod::kPath) return impose(ctx, std::move(up), path_prev_);
    const Step& back = *previous_;
    return impose(ctx, std::move(up), draw(ctx, back, at::Tensor()));
  }

  at::Tensor finish(const detail::SamplerContext& ctx, at::Tensor u) override {
    at::Tensor x = block(u, ctx.num_blocks, 0);
    if (m_.defined()) {
      const at::Tensor w = at::where(mask_x_, x0_, apply_channels_blockwise(m_, x.contiguous(), 1));
      x.copy_(apply_channels_blockwise(mt_, w, 1));
    } else {
      x.copy_(at::where(mask_x_, x0_, x));
    }
    return u;
  }

 private:
  /// The law of the known coordinates' state at t: mean (K×1 on x) plus
  /// factor · z, and, for the path, the gain on the state at the later time.
  struct Step {
    double t = 0.0;
    BlockMap mean;    ///< K×1: x → the mean's part in x
    BlockMap factor;  ///< K×K: z → the noise
    BlockMap gain;    ///< path after the first: K×K on the later state (unset: none)
    bool has_gain = false;
  };

  /// replace, or the path's first state (t_hi < 0): u_t ~ N(Φ(t) e₀ x, Σ_t).
  /// path: u_t | u_{t_hi}, x ~ N(Φ(t) e₀ x + ρG (u_{t_hi} − Φ(t_hi) e₀ x), P) with
  /// A = Φ over [t, t_hi], G = Σ_t Aᵀ Σ_{t_hi}⁻¹, P = Σ_t − ρ² G A Σ_t: for
  /// ρ = 1 the forward chain, for ρ < 1 a partly fresh draw; the law of u_t
  /// is N(Φ(t) e₀ x, Σ_t) for every ρ, since G Σ_{t_hi} Gᵀ = G A Σ_t.
  Step make_step(const detail::SamplerContext& ctx, double t_hi, double t, double rho) const {
    Step s;
    s.t = t;
    const Mat mean_t = mean_column(sde_, t);
    if (method_ == InpaintMethod::kReplace || t_hi < 0) {
      s.mean = ctx.block_map(mean_t);
      s.factor = ctx.block_map(sde_.marginal_factor(t, sigma0_));
      return s;
    }
    const Mat a = sde_.kernel_at_b(sde_.delta_b(t, t_hi)).phi;
    const Mat cov_t = sde_.marginal_cov(t, sigma0_);
    const Mat cov_hi = sde_.marginal_cov(t_hi, sigma0_);
    Mat cov_hi_inv;
    if (!try_inverse(cov_hi.symmetrized(), &cov_hi_inv)) {
      sde_.fail("inpainting: the known coordinates' marginal covariance is singular", t_hi, cov_hi);
    }
    const Mat gain = cov_t * a.transpose() * cov_hi_inv * rho;
    const Mat cond = (cov_t - gain * a * cov_t * rho).symmetrized();
    s.mean = ctx.block_map(mean_t - gain * mean_column(sde_, t_hi));
    s.factor = ctx.block_map(psd_factor(cond));
    s.gain = ctx.block_map(gain);
    s.has_gain = true;
    return s;
  }

  /// The forward transition over [t_lo, t_hi]: u_hi = A u_lo + N(0, Q).
  struct Renoise {
    BlockMap flow, noise;
  };
  Renoise make_renoise(const detail::SamplerContext& ctx, double t_lo, double t_hi) const {
    Kernel kern = sde_.kernel_at_b(sde_.delta_b(t_lo, t_hi));
    if (sde_.is_subvp()) {  // its diffusion depends on t: Q = Q(t_hi) − A Q(t_lo) Aᵀ
      kern.q = (sde_.kernel(t_hi).q - congruence(kern.phi, sde_.kernel(t_lo).q)).symmetrized();
    }
    return {ctx.block_map(kern.phi), ctx.block_map(psd_factor(kern.q))};
  }

  /// The known coordinates' state (all coordinates drawn; only the known ones are used).
  at::Tensor draw(const detail::SamplerContext& ctx, const Step& s, const at::Tensor& previous) {
    ctx.noise(z_);
    at::Tensor state = s.factor.apply(z_);
    if (s.has_gain) s.gain.add_to(state, previous);
    state.add_(s.mean.apply(x0_));  // broadcast over the samples when x is one row
    if (method_ == InpaintMethod::kPath && !repeating_) path_ = state;
    return state;
  }

  at::Tensor impose(const detail::SamplerContext& ctx, at::Tensor u, const at::Tensor& known_state) const {
    if (!m_.defined()) return at::where(mask_state_, known_state, u);
    const at::Tensor w = at::where(mask_state_, known_state, apply_channels_blockwise(m_, u, ctx.num_blocks));
    return apply_channels_blockwise(mt_, w, ctx.num_blocks);
  }

  const LinearSde& sde_;
  KnownData known_;
  InpaintMethod method_;
  int64_t resample_ = 1;
  double refresh_ = 0.0;  ///< path: λ, the decorrelation over the whole grid
  double t_end_ = 0.0;    ///< where the sampler stops (t_s): the adaptive steps' scale
  double t_start_ = 0.0;
  Mat sigma0_;
  at::Tensor x0_, mask_x_, mask_state_, m_, mt_, z_, path_, path_prev_;
  Step start_;
  std::vector<Step> steps_;
  std::vector<Renoise> renoise_;
  const Step* last_ = nullptr;      ///< the factors of the last imposed state
  const Step* previous_ = nullptr;  ///< those of the state before it
  bool repeating_ = false;          ///< renoise ran: the next step is a retake
  size_t cursor_ = 0;
  double time_ = 0.0;  ///< the time of the last imposed state
};

}  // namespace

const Registry<Choice<InpaintMethod>>& inpaint_method_registry() {
  static const Registry<Choice<InpaintMethod>> registry(
      "inpaint method", "sample.inpaint_method",
      {
          {"path", InpaintMethod::kPath,
           "the known coordinates follow one forward trajectory of the SDE from the known x, partly refreshed "
           "(sample.inpaint_refresh; the default)"},
          {"replace", InpaintMethod::kReplace,
           "score SDE's replacement: a fresh forward-kernel draw of the known coordinates after every step"},
      });
  return registry;
}

void check_known_data(const KnownData& known, at::IntArrayRef data_shape, int64_t n) {
  const at::Tensor& x = known.x;
  if (!x.defined() || !known.mask.defined()) reject("the known data need both x and a mask");
  const int64_t dims = static_cast<int64_t>(data_shape.size());
  if (x.dim() != dims + 1 || x.sizes().slice(1) != data_shape || (x.size(0) != 1 && x.size(0) != n)) {
    std::ostringstream os;
    os << "the known data must have shape [1 or " << n << ", " << data_shape << "] without the brackets, got "
       << shape_of(x);
    reject(os.str());
  }
  const at::Tensor& m = known.mask;
  bool fits = m.dim() == x.dim() && (m.size(0) == 1 || m.size(0) == n);
  for (int64_t d = 1; fits && d < m.dim(); ++d) fits = m.size(d) == 1 || m.size(d) == x.size(d);
  if (!fits) reject("the mask " + shape_of(m) + " does not broadcast to the known data " + shape_of(x));
  if (!at::isfinite(m).all().item<bool>() || !(m.eq(0) | m.eq(1)).all().item<bool>()) {
    reject("the mask must hold 0 (unknown) and 1 (known) only");
  }
  const at::Tensor known_values = at::where(m.ne(0), x, at::zeros_like(x));
  if (!at::isfinite(known_values).all().item<bool>()) reject("the known values must be finite");
  const Mat& c = known.channels;
  if (c.rows() > 0) {
    if (c.rows() != c.cols() || x.dim() < 2 || c.rows() != x.size(1)) {
      reject("the channel transform must be C×C with C = " + std::to_string(x.dim() < 2 ? 0 : x.size(1)) +
             " channels, got " + std::to_string(c.rows()) + "×" + std::to_string(c.cols()));
    }
    if ((c * c.transpose() - Mat::identity(c.rows())).max_abs() > 1e-9)
      reject("the channel transform must be orthogonal");
  }
}

SampleResult sample_inpaint_from(const LinearSde& sde, ScoreModel& model, const SamplerOptions& options,
                                 const KnownData& known, const at::Tensor& u0, double t_start, at::Generator gen,
                                 const StepCallback& callback) {
  options.validate(sde);
  const int64_t k = sde.num_blocks();
  if (u0.dim() < 2 || u0.size(1) % k != 0) reject("the initial state must be [N, K·C, ...], got " + shape_of(u0));
  std::vector<int64_t> data_shape = u0.sizes().slice(1).vec();
  data_shape[0] /= k;
  check_known_data(known, data_shape, u0.size(0));
  KnownCoordinates constraint(sde, known, inpaint_method_registry().at(options.inpaint_method).value,
                              options.inpaint_resample, options.inpaint_refresh, options.t_s);
  return detail::run_sampler(sde, model, options, u0, t_start, detail::generator_noise(gen), callback, &constraint);
}

SampleResult sample_inpaint(const LinearSde& sde, ScoreModel& model, const SamplerOptions& options,
                            const KnownData& known, at::IntArrayRef data_shape, int64_t n, at::Generator gen,
                            const StepCallback& callback) {
  options.validate(sde);
  if (data_shape.empty() || n < 1) reject("need n >= 1 and a data shape ({d} or {C, H, W})");
  check_known_data(known, data_shape, n);
  std::vector<int64_t> shape{n};
  shape.insert(shape.end(), data_shape.begin(), data_shape.end());
  const at::Tensor u0 = sde.prior_sample(state_shape(shape, sde.num_blocks()), gen, options.dtype);
  return sample_inpaint_from(sde, model, options, known, u0, sde.t_max(), gen, callback);
}

Mat colour_decoupling() {
  const double r3 = 1.0 / std::sqrt(3.0), r6 = 1.0 / std::sqrt(6.0), r2 = 1.0 / std::sqrt(2.0);
  return Mat::from_rows({{r3, r3, r3}, {-2.0 * r6, r6, r6}, {0.0, r2, -r2}});
}

at::Tensor apply_channels(const Mat& m, const at::Tensor& x) {
  if (x.dim() < 2 || x.size(1) != m.cols()) {
    reject("a " + std::to_string(m.rows()) + "×" + std::to_string(m.cols()) + " channel transform needs [N, " +
           std::to_string(m.cols()) + ", ...], got " + shape_of(x));
  }
  const auto mt = to_tensor(m, x.scalar_type(), x.device());
  std::vector<int64_t> out_shape = x.sizes().vec();
  out_shape[1] = m.rows();
  return at::matmul(mt, x.reshape({x.size(0), x.size(1), -1})).reshape(out_shape);
}

KnownData colorization_target(const at::Tensor& rgb) {
  if (rgb.dim() < 3 || rgb.size(1) != 3) reject("colorization needs RGB images [N, 3, H, W], got " + shape_of(rgb));
  KnownData known;
  known.channels = colour_decoupling();
  known.x = apply_channels(known.channels, rgb.to(rgb.is_floating_point() ? rgb.scalar_type() : at::kFloat));
  std::vector<int64_t> mask_shape(static_cast<size_t>(rgb.dim()), 1);
  mask_shape[1] = 3;
  known.mask = at::zeros(mask_shape, at::kFloat);
  known.mask.select(1, 0).fill_(1.0);
  return known;
}

}  // namespace hold
