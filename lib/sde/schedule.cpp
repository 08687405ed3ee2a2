#include "hold/sde/schedule.h"

#include <cmath>

namespace hold {

double BetaSchedule::beta(double t) const {
  switch (kind) {
    case ScheduleKind::kConstant: return beta0;
    case ScheduleKind::kLinear: return beta0 + t * (beta1 - beta0);
    case ScheduleKind::kVeGeometric: {
      const double log_ratio = std::log(sigma_max / sigma_min);
      const double sigma = sigma_min * std::exp(t * log_ratio);
      return 2.0 * log_ratio * sigma * sigma;
    }
  }
  return 0.0;
}

double BetaSchedule::big_b(double t) const {
  switch (kind) {
    case ScheduleKind::kConstant: return beta0 * t;
    case ScheduleKind::kLinear: return beta0 * t + 0.5 * t * t * (beta1 - beta0);
    case ScheduleKind::kVeGeometric: {
      // σ_min² (r^{2t} − 1) via expm1 keeps relative accuracy at small t.
      const double log_ratio = std::log(sigma_max / sigma_min);
      return sigma_min * sigma_min * std::expm1(2.0 * t * log_ratio);
    }
  }
  return 0.0;
}

double BetaSchedule::delta_b(double t_lo, double t_hi) const {
  switch (kind) {
    case ScheduleKind::kConstant: return beta0 * (t_hi - t_lo);
    case ScheduleKind::kLinear: return (t_hi - t_lo) * (beta0 + 0.5 * (t_hi + t_lo) * (beta1 - beta0));
    case ScheduleKind::kVeGeometric: {
      const double log_ratio = std::log(sigma_max / sigma_min);
      const double s_lo2 = sigma_min * sigma_min * std::exp(2.0 * t_lo * log_ratio);
      return s_lo2 * std::expm1(2.0 * (t_hi - t_lo) * log_ratio);
    }
  }
  return 0.0;
}

}  // namespace hold
