#pragma once
// The presets of math.md §2, built from a plain options struct that the YAML
// layer fills key by key (`sde:` section of a config).
#include <functional>
#include <string>
#include <vector>

#include "hold/core/registry.h"
#include "hold/sde/linear_sde.h"

namespace hold {

struct SdeConfig {
  /// ve | vp | subvp | cld | hold | hold-critical
  std::string name = "hold";
  /// T, the end of forward time.
  double t_max = 1.0;
  /// ε: aux blocks start as N(0, ε Σ∞_kk) (cld, hold).
  double eps = 0.04;
  /// Constant β for cld/hold; ≤ 0 means the preset's default (cld 4, hold 8, hold-critical 7).
  double beta = 0.0;
  /// vp / subvp: β(t) = beta_min + t (beta_max − beta_min).
  double beta_min = 0.1;
  double beta_max = 20.0;
  /// ve: σ(t) = sigma_min (sigma_max/sigma_min)^t.
  double sigma_min = 0.01;
  double sigma_max = 50.0;
  /// cld: M⁻¹ and Γ (critical damping Γ² = 4M).
  double m_inv = 4.0;
  double gamma = 1.0;
  /// hold: number of blocks K ≥ 2 (position, velocity, acceleration, …).
  int order = 3;
  /// hold: the x–v coupling L (F₂₁ = −L).
  double coupling_l = 1.0;
  /// hold: ξ and γ_2..γ_{K−1} given directly (both or neither) ...
  double xi = 0.0;
  std::vector<double> gammas;
  /// ... or the spectrum of F (K negative reals); default −c·(1, …, K), c fixed by L.
  std::vector<double> roots;

  /// Throws ConfigError naming the key (as "sde.<key>") and the value.
  void validate() const;
};

/// One preset: its checks of the section (ConfigError naming "sde.<key>") and
/// how it builds the SDE. Registered in presets.cpp.
struct SdePreset {
  std::string name;
  std::string help;
  std::function<void(const SdeConfig&)> validate;
  std::function<LinearSde(const SdeConfig&)> make;
};
/// sde.name: ve | vp | subvp | cld | hold | hold-critical.
const Registry<SdePreset>& sde_preset_registry();
/// Their names, for error messages and --help.
const std::vector<std::string>& sde_preset_names();

/// Builds the SDE of a validated config.
LinearSde make_sde(const SdeConfig& config);

/// HOLD couplings (K−1 squared couplings c₁ = L, c_k = γ_k², and ξ) whose F has
/// the given characteristic polynomial (monic, highest degree first): the
/// Schwarz/Routh continued fraction of math.md §2, b_k = r_k / r_{k−2} over the
/// first column r of the Routh array.
struct HoldCouplings {
  double coupling_l = 1.0;
  std::vector<double> gammas;  ///< γ_2 … γ_{K−1}
  double xi = 0.0;
};
HoldCouplings hold_couplings_from_roots(const std::vector<double>& roots, double coupling_l);

/// F of HOLD of order K: F₁₂ = 1, F₂₁ = −L, F_{k,k+1} = γ_k = −F_{k+1,k}, F_KK = −ξ.
Mat hold_drift(const HoldCouplings& c);

}  // namespace hold
