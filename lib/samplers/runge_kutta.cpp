#include "hold/samplers/runge_kutta.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "hold/core/error.h"

namespace hold {
namespace {

/// base + h Σ_l w_l k_l (base undefined: just the sum), skipping zero weights.
at::Tensor weighted_sum(const at::Tensor& base, double h, const std::vector<double>& w,
                        const std::vector<at::Tensor>& k) {
  at::Tensor out = base;
  bool owned = false;  // out is a fresh tensor we may update in place
  for (size_t l = 0; l < w.size(); ++l) {
    if (w[l] == 0.0) continue;
    if (owned) {
      out.add_(k[l], h * w[l]);
    } else {
      out = out.defined() ? at::add(out, k[l], h * w[l]) : k[l] * (h * w[l]);
      owned = true;
    }
  }
  return owned ? out : (out.defined() ? out.clone() : at::zeros_like(k[0]));
}

double rms(const at::Tensor& x) { return x.to(at::kDouble).pow(2).mean().sqrt().item<double>(); }

/// The solver's norm: the RMS, or the largest RMS over the column groups.
double norm(const at::Tensor& x, const AdaptiveOptions& o) {
  if (o.error_groups.empty()) return rms(x);
  double largest = 0.0;
  int64_t start = 0;
  for (const int64_t width : o.error_groups) {
    largest = std::max(largest, rms(x.narrow(1, start, width)));
    start += width;
  }
  return largest;
}

/// torchdiffeq's _select_initial_step for a method of order 5 (uses one extra evaluation).
double initial_step(const OdeFunction& f, const at::Tensor& y0, double t0, const at::Tensor& f0, double dir,
                    const AdaptiveOptions& o) {
  auto scale = y0.abs() * o.rtol + o.atol;
  const double d0 = norm(y0 / scale, o), d1 = norm(f0 / scale, o);
  const double h0 = (d0 < 1e-5 || d1 < 1e-5) ? 1e-6 : 0.01 * d0 / d1;
  auto f1 = f(y0 + f0 * (dir * h0), t0 + dir * h0);
  const double d2 = norm((f1 - f0) / scale, o) / h0;
  const double h1 =
      (d1 <= 1e-15 && d2 <= 1e-15) ? std::max(1e-6, h0 * 1e-3) : std::pow(0.01 / std::max(d1, d2), 1.0 / 5.0);
  return std::min(100.0 * h0, h1);
}

/// The norm of err / (atol + rtol max(|y|, |y_next|)).
double error_ratio(const at::Tensor& err, const at::Tensor& y, const at::Tensor& y_next, const AdaptiveOptions& o) {
  auto tol = at::max(y.abs(), y_next.abs()).mul_(o.rtol).add_(o.atol);
  return norm(err / tol, o);
}

/// torchdiffeq's _optimal_step_size with order 5.
double next_step(double h, double ratio, const AdaptiveOptions& o) {
  if (ratio == 0.0) return h * o.ifactor;
  if (!std::isfinite(ratio)) return h * o.dfactor;
  const double lower = ratio < 1.0 ? 1.0 : o.dfactor;
  return h * std::min(o.ifactor, std::max(o.safety / std::pow(ratio, 1.0 / 5.0), lower));
}

Tableau make_tableau(std::string name, int order, std::vector<double> c, std::vector<std::vector<double>> a,
                     std::vector<double> b, std::vector<double> b_err = {}) {
  return Tableau{std::move(name), order, std::move(c), std::move(a), std::move(b), std::move(b_err)};
}

}  // namespace

bool Tableau::fsal() const {
  const int s = stages();
  if (s < 2 || c.back() != 1.0 || b.back() != 0.0) return false;
  for (int l = 0; l + 1 < s; ++l)
    if (a.back()[l] != b[l]) return false;
  return true;
}

const Tableau& euler_tableau() {
  static const Tableau t = make_tableau("euler", 1, {0.0}, {{}}, {1.0});
  return t;
}

const Tableau& heun_tableau() {
  static const Tableau t = make_tableau("heun", 2, {0.0, 1.0}, {{}, {1.0}}, {0.5, 0.5});
  return t;
}

const Tableau& rk4_tableau() {
  static const Tableau t = make_tableau("rk4", 4, {0.0, 0.5, 0.5, 1.0}, {{}, {0.5}, {0.0, 0.5}, {0.0, 0.0, 1.0}},
                                        {1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6});
  return t;
}

const Tableau& dopri5_tableau() {
  static const Tableau t =
      make_tableau("dopri5", 5, {0.0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1.0, 1.0},
                   {{},
                    {1.0 / 5},
                    {3.0 / 40, 9.0 / 40},
                    {44.0 / 45, -56.0 / 15, 32.0 / 9},
                    {19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729},
                    {9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656},
                    {35.0 / 384, 0.0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84}},
                   {35.0 / 384, 0.0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84, 0.0},
                   {35.0 / 384 - 1951.0 / 21600, 0.0, 500.0 / 1113 - 22642.0 / 50085, 125.0 / 192 - 451.0 / 720,
                    -2187.0 / 6784 + 12231.0 / 42400, 11.0 / 84 - 649.0 / 6300, -1.0 / 60});
  return t;
}

const Tableau* find_fixed_step_tableau(const std::string& name) {
  for (const Tableau* t : {&euler_tableau(), &heun_tableau(), &rk4_tableau()})
    if (t->name == name) return t;
  return nullptr;
}

RkStep explicit_rk_step(const Tableau& tableau, const StageFunction& stage, const at::Tensor& y, double h,
                        const at::Tensor& first_derivative) {
  const int s = tableau.stages();
  std::vector<at::Tensor> k(s);
  k[0] = first_derivative.defined() ? first_derivative : stage(0, y);
  at::Tensor y_stage;
  for (int j = 1; j < s; ++j) {
    y_stage = weighted_sum(y, h, tableau.a[j], k);
    k[j] = stage(j, y_stage);
  }
  RkStep out;
  out.y = tableau.fsal() ? y_stage : weighted_sum(y, h, tableau.b, k);
  if (!tableau.b_err.empty()) out.error = weighted_sum(at::Tensor(), h, tableau.b_err, k);
  out.last_derivative = k.back();
  return out;
}

at::Tensor integrate_adaptive(const OdeFunction& f, const at::Tensor& y0, double t0, double t1,
                              const AdaptiveOptions& options, AdaptiveStats* stats, const AcceptedStepCallback& on_step,
                              const AcceptedStepTransform& transform) {
  AdaptiveStats local;
  AdaptiveStats& st = stats ? *stats : local;
  if (t0 == t1) return y0;
  const Tableau& tab = dopri5_tableau();
  const double dir = t1 > t0 ? 1.0 : -1.0, span = std::abs(t1 - t0);
  auto eval = [&](const at::Tensor& y, double t) {
    ++st.nfe;
    return f(y, t);
  };

  at::Tensor y = y0, k0 = eval(y0, t0);
  double t = t0;
  double h = dir * std::min(span, initial_step(eval, y0, t0, k0, dir, options));
  for (int64_t attempt = 0; dir * (t1 - t) > 0; ++attempt) {
    if (attempt >= options.max_steps || !(std::abs(h) > 1e-14 * std::max(span, std::abs(t)))) {
      std::ostringstream os;
      os << "adaptive ODE solver stopped at t=" << t << " after " << attempt << " steps (step size " << h << ", atol "
         << options.atol << ", rtol " << options.rtol << "): the state is stiff or not finite";
      throw NumericalError(os.str());
    }
    const bool last = std::abs(h) >= std::abs(t1 - t);
    if (last) h = t1 - t;
    const double t_now = t;
    RkStep step = explicit_rk_step(
        tab, [&](int j, const at::Tensor& yj) { return eval(yj, t_now + tab.c[j] * h); }, y, h, k0);
    const double ratio = error_ratio(step.error, y, step.y, options);
    if (ratio <= 1.0) {
      t = last ? t1 : t + h;
      y = step.y;
      k0 = step.last_derivative;
      if (transform) {
        y = transform(t, y);
        if (!last) k0 = eval(y, t);  // the state moved: FSAL's derivative is stale
      }
      ++st.accepted;
      if (on_step) on_step(t_now, t, y);
    } else {
      ++st.rejected;
    }
    h = next_step(h, ratio, options);
  }
  return y;
}

}  // namespace hold
