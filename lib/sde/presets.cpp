#include "hold/sde/presets.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "hold/core/error.h"
#include "hold/core/format.h"

namespace hold {
namespace {

void require(bool ok, const char* key, const std::string& what) { require_key(ok, "sde", key, what); }

double beta_or(double beta, double fallback) { return beta > 0 ? beta : fallback; }

LinearSde make_hold(const SdeConfig& c, double default_beta) {
  HoldCouplings couplings;
  if (!c.gammas.empty() || c.xi > 0) {
    couplings.coupling_l = c.coupling_l;
    couplings.gammas = c.gammas;
    couplings.xi = c.xi;
  } else {
    std::vector<double> roots = c.roots;
    if (roots.empty()) {
      for (int k = 1; k <= c.order; ++k) roots.push_back(-static_cast<double>(k));
    }
    couplings = hold_couplings_from_roots(roots, c.coupling_l);
  }
  const Mat f = hold_drift(couplings);
  const int k = f.rows();
  Mat d(k, k);
  d(k - 1, k - 1) = 2.0 * couplings.xi;
  BetaSchedule schedule{ScheduleKind::kConstant, beta_or(c.beta, default_beta)};
  return LinearSde(SdeSpec{c.name, f, d, schedule, c.t_max, c.eps});
}

void validate_vp(const SdeConfig& c) {
  require(c.beta_min > 0, "beta_min", "beta_min must be positive, got " + fmt(c.beta_min));
  require(c.beta_max >= c.beta_min, "beta_max", "beta_max must be >= beta_min, got " + fmt(c.beta_max));
}

void validate_ve(const SdeConfig& c) {
  require(c.sigma_min > 0, "sigma_min", "sigma_min must be positive, got " + fmt(c.sigma_min));
  require(c.sigma_max > c.sigma_min, "sigma_max", "sigma_max must exceed sigma_min, got " + fmt(c.sigma_max));
}

void validate_cld(const SdeConfig& c) {
  require(c.m_inv > 0, "m_inv", "m_inv must be positive, got " + fmt(c.m_inv));
  require(c.gamma > 0, "gamma", "gamma must be positive, got " + fmt(c.gamma));
  require(c.eps > 0, "eps", "eps must be positive for cld, got " + fmt(c.eps));
}

void validate_hold(const SdeConfig& c) {
  require(c.eps > 0, "eps", "eps must be positive for hold, got " + fmt(c.eps));
  require(c.order >= 2 && c.order <= kMaxBlocks, "order",
          "order must be in [2, " + std::to_string(kMaxBlocks) + "], got " + std::to_string(c.order));
  require(c.coupling_l > 0, "L", "L must be positive, got " + fmt(c.coupling_l));
  const bool direct = !c.gammas.empty() || c.xi > 0;
  if (direct) {
    require(c.xi > 0, "xi", "xi must be positive when gammas are given, got " + fmt(c.xi));
    require(static_cast<int>(c.gammas.size()) == c.order - 2, "gammas",
            "order " + std::to_string(c.order) + " needs " + std::to_string(c.order - 2) + " gammas, got " +
                std::to_string(c.gammas.size()));
    for (double g : c.gammas) require(g > 0, "gammas", "every gamma must be positive, got " + fmt(g));
    require(c.roots.empty(), "roots", "give either roots or xi/gammas, not both");
  } else if (!c.roots.empty()) {
    require(static_cast<int>(c.roots.size()) == c.order, "roots",
            "order " + std::to_string(c.order) + " needs " + std::to_string(c.order) + " roots, got " +
                std::to_string(c.roots.size()));
    for (double r : c.roots) require(r < 0, "roots", "every root must be negative (stable F), got " + fmt(r));
  }
}

LinearSde make_ve(const SdeConfig& c) {
  BetaSchedule s{ScheduleKind::kVeGeometric, 0, 0, c.sigma_min, c.sigma_max};
  SdeSpec spec{c.name, Mat::zeros(1), Mat::identity(1), s, c.t_max, 0.0};
  spec.ve_prior_var = c.sigma_max * c.sigma_max;
  return LinearSde(spec);
}

LinearSde make_vp(const SdeConfig& c, bool subvp) {
  BetaSchedule s{ScheduleKind::kLinear, c.beta_min, c.beta_max};
  SdeSpec spec{c.name, Mat::identity(1) * -0.5, Mat::identity(1), s, c.t_max, 0.0};
  spec.subvp = subvp;
  return LinearSde(spec);
}

LinearSde make_cld(const SdeConfig& c) {
  const Mat f = Mat::from_rows({{0.0, c.m_inv}, {-1.0, -c.gamma * c.m_inv}});
  const Mat d = Mat::diag({0.0, 2.0 * c.gamma});
  BetaSchedule s{ScheduleKind::kConstant, beta_or(c.beta, 4.0)};
  return LinearSde(SdeSpec{c.name, f, d, s, c.t_max, c.eps});
}

LinearSde make_hold_critical(const SdeConfig& c) {
  SdeConfig critical = c;
  if (critical.roots.empty() && critical.gammas.empty() && critical.xi <= 0) {
    critical.order = 3;
    const double root = -std::sqrt(3.0);
    critical.roots = {root, root, root};  // L = 1 gives γ = 2√2, ξ = 3√3
  }
  return make_hold(critical, 7.0);
}

}  // namespace

const Registry<SdePreset>& sde_preset_registry() {
  static const Registry<SdePreset> registry(
      "SDE", "sde.name",
      {
          {"ve", "variance exploding: σ(t) = sigma_min (sigma_max/sigma_min)^t (K = 1)", validate_ve, make_ve},
          {"vp", "variance preserving, linear β(t) (K = 1)", validate_vp,
           [](const SdeConfig& c) { return make_vp(c, false); }},
          {"subvp", "sub-VP: VP's drift, diffusion β(t)(1 − e^{−2∫β}) (K = 1)", validate_vp,
           [](const SdeConfig& c) { return make_vp(c, true); }},
          {"cld", "critically-damped Langevin (x, v; K = 2)", validate_cld, make_cld},
          {"hold", "high-order Langevin of order sde.order (x, v, a, …)", validate_hold,
           [](const SdeConfig& c) { return make_hold(c, 8.0); }},
          {"hold-critical", "HOLD of order 3 with a triple root −√3 (critically damped)", validate_hold,
           make_hold_critical},
      });
  return registry;
}

const std::vector<std::string>& sde_preset_names() {
  static const std::vector<std::string> names = sde_preset_registry().names();
  return names;
}

void SdeConfig::validate() const {
  const SdePreset& preset = sde_preset_registry().at(name);
  require(t_max > 0 && std::isfinite(t_max), "T", "T must be positive, got " + fmt(t_max));
  require(eps >= 0 && std::isfinite(eps), "eps", "eps must be >= 0, got " + fmt(eps));
  require(beta >= 0 && std::isfinite(beta), "beta", "beta must be positive, got " + fmt(beta));
  preset.validate(*this);
}

HoldCouplings hold_couplings_from_roots(const std::vector<double>& roots, double coupling_l) {
  const int k = static_cast<int>(roots.size());
  const std::vector<double> a = poly_from_roots(roots);  // a[0] = 1, degree k
  // Routh array first column r_0..r_k.
  std::vector<double> row0, row1;
  for (int i = 0; i <= k; i += 2) row0.push_back(a[i]);
  for (int i = 1; i <= k; i += 2) row1.push_back(a[i]);
  std::vector<double> r{row0[0], row1[0]};
  while (static_cast<int>(r.size()) <= k) {
    std::vector<double> next;
    for (size_t j = 0; j + 1 < row0.size(); ++j) {
      const double below = j + 1 < row1.size() ? row1[j + 1] : 0.0;
      next.push_back((row1[0] * row0[j + 1] - row0[0] * below) / row1[0]);
    }
    if (next.empty() || !(next[0] > 0)) {
      throw ConfigError("roots do not give a stable HOLD drift (Routh array breaks down) (sde.roots)");
    }
    row0 = row1;
    row1 = next;
    r.push_back(next[0]);
  }
  // b_k = r_k / r_{k−2} (r_{−1} = 1): b_1 = ξ̃, b_j = c̃_{K−j+1} (squared couplings).
  auto b = [&](int j) { return r[j] / (j >= 2 ? r[j - 2] : 1.0); };
  std::vector<double> c_tilde(k);  // c̃_1 … c̃_{K−1} at indices 1..K−1
  for (int j = 2; j <= k; ++j) c_tilde[k - j + 1] = b(j);
  // Scale F → cF so that c̃_1 c² = L: products of couplings scale by c², ξ by c.
  const double scale = std::sqrt(coupling_l / c_tilde[1]);
  HoldCouplings out;
  out.coupling_l = coupling_l;
  for (int j = 2; j <= k - 1; ++j) out.gammas.push_back(scale * std::sqrt(c_tilde[j]));
  out.xi = scale * b(1);
  return out;
}

Mat hold_drift(const HoldCouplings& c) {
  const int k = static_cast<int>(c.gammas.size()) + 2;
  Mat f(k, k);
  f(0, 1) = 1.0;
  f(1, 0) = -c.coupling_l;
  for (int j = 1; j < k - 1; ++j) {
    f(j, j + 1) = c.gammas[j - 1];
    f(j + 1, j) = -c.gammas[j - 1];
  }
  f(k - 1, k - 1) = -c.xi;
  return f;
}

LinearSde make_sde(const SdeConfig& c) {
  c.validate();
  return sde_preset_registry().at(c.name).make(c);
}

}  // namespace hold
