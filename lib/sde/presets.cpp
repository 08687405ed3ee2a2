#include "hold/sde/presets.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "hold/core/error.h"
#include "hold/core/format.h"

namespace hold {
namespace {

void require(bool ok, const std::string& key, const std::string& what) {
  if (!ok) throw ConfigError(what + " (sde." + key + ")");
}

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

}  // namespace

const std::vector<std::string>& sde_preset_names() {
  static const std::vector<std::string> names{"ve", "vp", "subvp", "cld", "hold", "hold-critical"};
  return names;
}

void SdeConfig::validate() const {
  const auto& names = sde_preset_names();
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    throw ConfigError("unknown SDE '" + name + "', expected one of: " + list + " (sde.name)");
  }
  require(t_max > 0 && std::isfinite(t_max), "T", "T must be positive, got " + fmt(t_max));
  require(eps >= 0 && std::isfinite(eps), "eps", "eps must be >= 0, got " + fmt(eps));
  require(beta >= 0 && std::isfinite(beta), "beta", "beta must be positive, got " + fmt(beta));
  if (name == "vp" || name == "subvp") {
    require(beta_min > 0, "beta_min", "beta_min must be positive, got " + fmt(beta_min));
    require(beta_max >= beta_min, "beta_max", "beta_max must be >= beta_min, got " + fmt(beta_max));
  }
  if (name == "ve") {
    require(sigma_min > 0, "sigma_min", "sigma_min must be positive, got " + fmt(sigma_min));
    require(sigma_max > sigma_min, "sigma_max", "sigma_max must exceed sigma_min, got " + fmt(sigma_max));
  }
  if (name == "cld") {
    require(m_inv > 0, "m_inv", "m_inv must be positive, got " + fmt(m_inv));
    require(gamma > 0, "gamma", "gamma must be positive, got " + fmt(gamma));
    require(eps > 0, "eps", "eps must be positive for cld, got " + fmt(eps));
  }
  if (name == "hold" || name == "hold-critical") {
    require(eps > 0, "eps", "eps must be positive for hold, got " + fmt(eps));
    require(order >= 2 && order <= kMaxBlocks, "order",
            "order must be in [2, " + std::to_string(kMaxBlocks) + "], got " + std::to_string(order));
    require(coupling_l > 0, "L", "L must be positive, got " + fmt(coupling_l));
    const bool direct = !gammas.empty() || xi > 0;
    if (direct) {
      require(xi > 0, "xi", "xi must be positive when gammas are given, got " + fmt(xi));
      require(static_cast<int>(gammas.size()) == order - 2, "gammas",
              "order " + std::to_string(order) + " needs " + std::to_string(order - 2) + " gammas, got " +
                  std::to_string(gammas.size()));
      for (double g : gammas) require(g > 0, "gammas", "every gamma must be positive, got " + fmt(g));
      require(roots.empty(), "roots", "give either roots or xi/gammas, not both");
    } else if (!roots.empty()) {
      require(static_cast<int>(roots.size()) == order, "roots",
              "order " + std::to_string(order) + " needs " + std::to_string(order) + " roots, got " +
                  std::to_string(roots.size()));
      for (double r : roots) require(r < 0, "roots", "every root must be negative (stable F), got " + fmt(r));
    }
  }
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
  if (c.name == "ve") {
    BetaSchedule s{ScheduleKind::kVeGeometric, 0, 0, c.sigma_min, c.sigma_max};
    SdeSpec spec{c.name, Mat::zeros(1), Mat::identity(1), s, c.t_max, 0.0};
    spec.ve_prior_var = c.sigma_max * c.sigma_max;
    return LinearSde(spec);
  }
  if (c.name == "vp" || c.name == "subvp") {
    BetaSchedule s{ScheduleKind::kLinear, c.beta_min, c.beta_max};
    SdeSpec spec{c.name, Mat::identity(1) * -0.5, Mat::identity(1), s, c.t_max, 0.0};
    spec.subvp = (c.name == "subvp");
    return LinearSde(spec);
  }
  if (c.name == "cld") {
    const Mat f = Mat::from_rows({{0.0, c.m_inv}, {-1.0, -c.gamma * c.m_inv}});
    const Mat d = Mat::diag({0.0, 2.0 * c.gamma});
    BetaSchedule s{ScheduleKind::kConstant, beta_or(c.beta, 4.0)};
    return LinearSde(SdeSpec{c.name, f, d, s, c.t_max, c.eps});
  }
  if (c.name == "hold-critical") {
    SdeConfig critical = c;
    if (critical.roots.empty() && critical.gammas.empty() && critical.xi <= 0) {
      critical.order = 3;
      const double root = -std::sqrt(3.0);
      critical.roots = {root, root, root};  // L = 1 gives γ = 2√2, ξ = 3√3
    }
    return make_hold(critical, 7.0);
  }
  return make_hold(c, 8.0);
}

}  // namespace hold
