#pragma once
// Explicit Runge–Kutta methods as data (Butcher tableaux) over one generic step
// (Odeint's explicit_generic_rk, style.md §3), and an adaptive driver for the
// embedded Dormand–Prince pair (torchdiffeq's dopri5: FSAL, RMS error norm).
// Used by the probability-flow samplers (math.md §4) and reusable by the
// likelihood (math.md §5). The state is one tensor of any shape; time runs in
// either direction (a step h is signed).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace hold {

struct Tableau {
  std::string name;
  int order = 1;                       ///< order of the solution weights b
  std::vector<double> c;               ///< nodes, c[0] = 0
  std::vector<std::vector<double>> a;  ///< a[j]: the j coefficients of stage j (strictly lower)
  std::vector<double> b;               ///< solution weights
  std::vector<double> b_err;           ///< b − b̂ of an embedded pair; empty if none

  int stages() const { return static_cast<int>(c.size()); }
  /// First-same-as-last: the last stage is evaluated at the new solution, so
  /// its derivative is the next step's first.
  bool fsal() const;
};

const Tableau& euler_tableau();
const Tableau& heun_tableau();
const Tableau& rk4_tableau();
const Tableau& dopri5_tableau();
/// The fixed-step tableaux by name (euler | heun | rk4); nullptr if unknown.
const Tableau* find_fixed_step_tableau(const std::string& name);

/// The derivative at stage j: for dy/dt = f(y, t) from (y_n, t_n) with step h
/// it is f(y, t_n + c_j h).
using StageFunction = std::function<at::Tensor(int stage, const at::Tensor& y)>;

struct RkStep {
  at::Tensor y;                ///< y_n + h Σ b_j k_j
  at::Tensor error;            ///< h Σ b_err_j k_j (embedded pairs only)
  at::Tensor last_derivative;  ///< k of the last stage (= f(y_{n+1}) for FSAL tableaux)
};

/// One explicit RK step of signed size h. first_derivative, if defined, is
/// k_0 = f(y_n, t_n) from the previous FSAL step and is not re-evaluated.
RkStep explicit_rk_step(const Tableau& tableau, const StageFunction& stage, const at::Tensor& y, double h,
                        const at::Tensor& first_derivative = at::Tensor());

/// dy/dt = f(y, t).
using OdeFunction = std::function<at::Tensor(const at::Tensor& y, double t)>;

struct AdaptiveOptions {
  double atol = 1e-5;
  double rtol = 1e-5;
  /// Give up (NumericalError) after this many attempted steps.
  int64_t max_steps = 100000;
  /// Step-size control as torchdiffeq: h ← h · clamp(safety · ratio^(−1/5), dfactor, ifactor).
  double safety = 0.9;
  double ifactor = 10.0;
  double dfactor = 0.2;
  /// The error norm. Empty: the RMS over all elements. Otherwise the state is
  /// [N, W] and these are the widths of column groups along dim 1 (summing to
  /// W); the norm is the largest RMS over a group (torchdiffeq's norm for a
  /// tuple state, e.g. (u, log p): a lone column keeps its own tolerance).
  std::vector<int64_t> error_groups;
};

struct AdaptiveStats {
  int64_t nfe = 0;       ///< evaluations of f
  int64_t accepted = 0;  ///< accepted steps
  int64_t rejected = 0;  ///< rejected steps
};

/// Called after each accepted step with its interval and the new state.
using AcceptedStepCallback = std::function<void(double t, double t_next, const at::Tensor& y)>;
/// Replaces the state after each accepted step (a constraint, e.g.
/// inpainting's known coordinates): y_{n+1} ← transform(t_{n+1}, y_{n+1}).
using AcceptedStepTransform = std::function<at::Tensor(double t_next, const at::Tensor& y)>;

/// Integrates dy/dt = f(y, t) from t0 to t1 (either direction) with Dormand–Prince
/// 5(4): torchdiffeq's initial step selection (2 evaluations), FSAL, error ratio
/// = the norm (AdaptiveOptions::error_groups) of err / (atol + rtol max(|y_n|, |y_{n+1}|)); the
/// last step is shortened to land on t1. Throws NumericalError if the step size
/// underflows or max_steps is exceeded. With a transform, each accepted state
/// is replaced by transform(t, y) before on_step sees it, and the FSAL
/// derivative is evaluated afresh at the new state (one more evaluation per
/// accepted step).
at::Tensor integrate_adaptive(const OdeFunction& f, const at::Tensor& y0, double t0, double t1,
                              const AdaptiveOptions& options, AdaptiveStats* stats = nullptr,
                              const AcceptedStepCallback& on_step = {}, const AcceptedStepTransform& transform = {});

}  // namespace hold
