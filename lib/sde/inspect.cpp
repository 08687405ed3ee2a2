#include "hold/sde/inspect.h"

namespace hold {

SdeReport inspect_sde(const LinearSde& sde, double t) {
  SdeReport r;
  r.name = sde.name();
  r.num_blocks = sde.num_blocks();
  r.t_max = sde.t_max();
  r.big_b_t_max = sde.big_b(sde.t_max());
  r.drift = sde.drift();
  r.diffusion = sde.diffusion();
  r.prior_cov = sde.prior_cov();
  r.eigenvalues = eigenvalues(sde.drift());
  r.mismatch = sde.prior_mismatch();
  r.t = t;
  r.kernel = sde.kernel(t);
  const Mat sigma0 = sde.default_initial_cov();
  r.marginal_cov = sde.marginal_cov(t, sigma0);
  r.ell = sde.ell(t, sigma0);
  return r;
}

}  // namespace hold
