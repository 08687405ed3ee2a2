// hold-inspect: the facts of the configured SDE (F, D, Σ∞, eigenvalues of F,
// prior mismatch at T, kernel at --t), as text or --json; or, with
// --plot-metrics RUN/metrics.jsonl --out loss.png, a training run's curves.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <iostream>
#include <string>
#include <vector>

#include "hold/core/error.h"
#include "hold/io/cli.h"
#include "hold/io/jsonl.h"
#include "hold/io/output_path.h"
#include "hold/io/plot.h"
#include "hold/sde/inspect.h"
#include "hold/sde/presets.h"

namespace {

nlohmann::json to_json(const hold::Mat& m) { return m.to_rows(); }

nlohmann::json to_json(const hold::SdeReport& r) {
  nlohmann::json eig = nlohmann::json::array();
  for (const auto& [re, im] : r.eigenvalues) eig.push_back({{"re", re}, {"im", im}});
  return {{"sde", r.name},
          {"blocks", r.num_blocks},
          {"T", r.t_max},
          {"B_T", r.big_b_t_max},
          {"F", to_json(r.drift)},
          {"D", to_json(r.diffusion)},
          {"sigma_inf", to_json(r.prior_cov)},
          {"eigenvalues", eig},
          {"prior_mismatch",
           {{"applicable", r.mismatch.applicable},
            {"phi_max", r.mismatch.phi_max},
            {"cov_err", r.mismatch.cov_err},
            {"ok", r.mismatch.ok()}}},
          {"kernel",
           {{"t", r.t},
            {"phi", to_json(r.kernel.phi)},
            {"q", to_json(r.kernel.q)},
            {"sigma_t", to_json(r.marginal_cov)},
            {"ell", r.ell}}}};
}

void print_text(const hold::SdeReport& r) {
  std::cout << "SDE " << r.name << " (K = " << r.num_blocks << ", T = " << r.t_max << ", B(T) = " << r.big_b_t_max
            << ")\n"
            << "F          = " << r.drift.to_string(10) << "\n"
            << "D          = " << r.diffusion.to_string(10) << "\n"
            << "Sigma_inf  = " << r.prior_cov.to_string(10) << "\n"
            << "eig(F)     =";
  for (const auto& [re, im] : r.eigenvalues)
    std::cout << " " << re << (im ? (im > 0 ? "+" : "") + std::to_string(im) + "i" : "");
  std::cout << "\nprior at T = ";
  if (r.mismatch.applicable) {
    std::cout << "max|Phi| " << r.mismatch.phi_max << ", max|Sigma(T) - Sigma_inf| " << r.mismatch.cov_err
              << (r.mismatch.ok() ? " (matched)" : " (MISMATCHED)") << "\n";
  } else {
    std::cout << "no stationary law (ve): prior N(0, sigma_max^2 I)\n";
  }
  std::cout << "kernel at t = " << r.t << ":\n"
            << "  Phi      = " << r.kernel.phi.to_string(10) << "\n"
            << "  Q        = " << r.kernel.q.to_string(10) << "\n"
            << "  Sigma_t  = " << r.marginal_cov.to_string(10) << "  (x given, aux ~ N(0, eps Sigma_inf))\n"
            << "  ell_t    = " << r.ell << "\n";
}

/// `key` against "step" over the records where both are numbers (a record may
/// lack keys; NaN is written as null and skipped).
hold::Series series_of(const std::vector<nlohmann::json>& records, const std::string& key) {
  hold::Series s{key, {}, {}};
  for (const auto& r : records) {
    if (!r.is_object()) continue;
    const auto step = r.find("step"), value = r.find(key);
    if (step == r.end() || value == r.end() || !step->is_number() || !value->is_number()) continue;
    s.xs.push_back(step->get<double>());
    s.ys.push_back(value->get<double>());
  }
  return s;
}

/// Stacked panels: loss (and eval_loss) on a log scale, grad_norm on a log
/// scale, lr; a panel without data is left out.
void plot_metrics(const std::string& path, const std::string& out) {
  const std::vector<nlohmann::json> records = hold::read_jsonl(path);
  std::vector<std::vector<hold::Series>> panels;
  std::vector<hold::PlotOptions> options;
  const auto add_panel = [&](const std::vector<std::string>& keys, const std::string& title, bool log_y) {
    std::vector<hold::Series> series;
    for (const std::string& key : keys) {
      hold::Series s = series_of(records, key);
      if (!s.xs.empty()) series.push_back(std::move(s));
    }
    if (series.empty()) return;
    hold::PlotOptions o;
    o.width = 900;
    o.height = 340;
    o.title = title;
    o.log_y = log_y;
    panels.push_back(std::move(series));
    options.push_back(o);
  };
  add_panel({"loss", "eval_loss"}, "loss vs step (log scale)", true);
  add_panel({"grad_norm"}, "gradient norm vs step (log scale)", true);
  add_panel({"lr"}, "learning rate vs step", false);
  if (panels.empty()) {
    throw hold::UsageError("no records with \"step\" and one of \"loss\", \"grad_norm\", \"lr\" (" + path + ")");
  }
  hold::write_line_plots_png(out, panels, options);
  std::cout << "wrote " << out << " (" << records.size() << " records, " << panels.size() << " panels)\n";
}

}  // namespace

int main(int argc, char** argv) {
  double t = std::nan("");  // --t; T when not given (so a negative --t is an error, not the default)
  bool json = false;
  std::string metrics_path, out;
  return hold::run_app(
      argc, argv, "hold-inspect",
      "Print the facts of the configured SDE: F, D, Sigma_inf, spectrum, prior mismatch, kernel at t; "
      "or plot a training run's metrics.jsonl (--plot-metrics).",
      [&](CLI::App& app, hold::CommonFlags&) {
        app.add_option("--t", t, "time at which to report the kernel (default: T)");
        app.add_flag("--json", json, "print JSON instead of text");
        app.add_option("--plot-metrics", metrics_path,
                       "instead: plot the curves of a training run's metrics.jsonl into --out (no --config needed)");
        app.add_option("--out", out, "PNG written by --plot-metrics");
      },
      [&](const hold::CommonFlags& flags) {
        if (!metrics_path.empty()) {
          if (out.empty()) throw hold::UsageError("--plot-metrics needs --out FILE.png (--out)");
          hold::check_output_file(out, "--out");
          plot_metrics(metrics_path, out);
          return 0;
        }
        if (!out.empty()) throw hold::UsageError("--out is only used with --plot-metrics (--out)");
        const hold::RunConfig config = flags.load_config();
        const hold::LinearSde sde = hold::make_sde(config.sde);
        const double at = std::isnan(t) ? sde.t_max() : t;
        if (!(at > 0) || at > sde.t_max())
          throw hold::UsageError("--t must be in (0, T], got " + std::to_string(at) + " (--t)");
        const hold::SdeReport report = hold::inspect_sde(sde, at);
        if (json) {
          std::cout << to_json(report).dump(2) << "\n";
        } else {
          print_text(report);
        }
        return 0;
      });
}
