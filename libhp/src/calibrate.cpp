// Fit the efficiency parameters of the time model per GPU family on measured runs.
// Levenberg-Marquardt (Eigen normal equations, numeric Jacobian) on r_i = log(predicted_i / measured_i), with
// a ridge term pulling the (transformed) parameters towards the priors so that a family without, say, FP8
// rows keeps its FP8 prior. docs/model.md "Calibration".
#include <Eigen/Dense>

#include <algorithm>
#include <cmath>

#include "hp/calibration.hpp"
#include "hp/core.hpp"

namespace hp {
namespace {

constexpr int kNumParams = 7;
constexpr int kAttentionParam = 2;  // index of attention_efficiency in to_params
using Vec = Eigen::Matrix<double, kNumParams, 1>;

double logistic(double u) { return 1.0 / (1.0 + std::exp(-u)); }
double logit(double p) {
  p = std::min(0.999, std::max(1e-3, p));
  return std::log(p / (1 - p));
}

// Efficiencies live in (0, 1) through a logistic; sizes, passes and overheads are positive through exp.
Vec to_params(const Calibration& c) {
  Vec u;
  u << logit(c.gemm_efficiency), logit(c.fp8_gemm_efficiency), logit(c.attention_efficiency),
      logit(c.comm_efficiency), std::log(std::max(c.gemm_half_size_flops, 1e9)),
      std::log(std::max(c.step_overhead_s, 1e-3)), std::log(std::max(c.elementwise_passes, 1e-2));
  return u;
}

Calibration from_params(Calibration c, const Vec& u) {
  c.gemm_efficiency = logistic(u(0));
  c.fp8_gemm_efficiency = logistic(u(1));
  c.attention_efficiency = logistic(u(2));
  c.comm_efficiency = logistic(u(3));
  c.gemm_half_size_flops = std::exp(u(4));
  c.step_overhead_s = std::exp(u(5));
  c.elementwise_passes = std::exp(u(6));
  return c;
}

bool evaluable(const Estimate& e) {
  return (e.reason == Infeasible::none || e.reason == Infeasible::out_of_memory) && e.time.step_time_s > 0;
}

struct Problem {
  std::vector<const RunRecord*> rows;
  Calibration base;
  Vec prior;
  Vec prior_weight;  // ridge weight per parameter

  // Residuals: one per row (log error), then kNumParams prior terms.
  Eigen::VectorXd residuals(const Vec& u) const {
    Eigen::VectorXd r(static_cast<Eigen::Index>(rows.size()) + kNumParams);
    const Calibration c = from_params(base, u);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const Estimate e = estimate(rows[i]->model, rows[i]->layout, rows[i]->gpu, c);
      r(static_cast<Eigen::Index>(i)) = evaluable(e) ? std::log(e.time.step_time_s / rows[i]->measured_step_time_s) : 0.0;
    }
    for (int k = 0; k < kNumParams; ++k)
      r(static_cast<Eigen::Index>(rows.size()) + k) = prior_weight(k) * (u(k) - prior(k));
    return r;
  }
};

Vec levenberg_marquardt(const Problem& p, Vec u) {
  double lambda = 1e-2;
  Eigen::VectorXd r = p.residuals(u);
  double cost = r.squaredNorm();
  for (int iter = 0; iter < 200; ++iter) {
    Eigen::MatrixXd J(r.size(), kNumParams);
    for (int k = 0; k < kNumParams; ++k) {
      Vec up = u, dn = u;
      up(k) += 1e-4;
      dn(k) -= 1e-4;
      J.col(k) = (p.residuals(up) - p.residuals(dn)) / 2e-4;
    }
    const Eigen::MatrixXd JtJ = J.transpose() * J;
    const Eigen::VectorXd g = J.transpose() * r;
    bool improved = false;
    for (int tries = 0; tries < 20 && !improved; ++tries) {
      Eigen::MatrixXd A = JtJ;
      A.diagonal() += lambda * (JtJ.diagonal().array() + 1e-9).matrix();
      const Vec step = A.ldlt().solve(-g);
      const Vec candidate = u + step;
      const Eigen::VectorXd rc = p.residuals(candidate);
      const double c = rc.squaredNorm();
      if (c < cost) {
        const double gain = cost - c;
        u = candidate;
        r = rc;
        cost = c;
        lambda = std::max(1e-9, lambda / 3);
        improved = true;
        if (gain < 1e-12) return u;
      } else {
        lambda *= 4;
      }
    }
    if (!improved) break;
  }
  return u;
}

double mean_abs_pct(const std::vector<const RunRecord*>& rows, const Calibration& c) {
  double sum = 0;
  int n = 0;
  for (const auto* r : rows) {
    const Estimate e = estimate(r->model, r->layout, r->gpu, c);
    if (!evaluable(e)) continue;
    sum += std::abs(e.time.step_time_s / r->measured_step_time_s - 1) * 100;
    ++n;
  }
  return n ? sum / n : 0;
}

}  // namespace

Calibration calibration_for(const std::vector<Calibration>& list, const GpuSpec& gpu) {
  for (const auto& c : list)
    if (c.gpu_family == gpu.family) return c;
  for (const auto& c : list)
    if (c.gpu_family.empty()) return c;
  return Calibration{};
}

std::vector<FamilyFit> fit_calibrations(const std::vector<RunRecord>& runs, const FitOptions& options) {
  // Priors: the Calibration struct defaults for the generic entry and each catalogue family (not the shipped
  // table, so that refitting is reproducible).
  std::vector<Calibration> defaults;
  for (const char* family : {"", "ampere", "hopper", "blackwell"}) {
    Calibration c;
    c.gpu_family = family;
    defaults.push_back(c);
  }
  const std::vector<Calibration>& priors = options.priors.empty() ? defaults : options.priors;
  // Families: every prior family plus every family that appears in the rows.
  std::vector<std::string> families;
  for (const auto& c : priors) families.push_back(c.gpu_family);
  for (const auto& r : runs)
    if (r.ok() && std::find(families.begin(), families.end(), r.gpu.family) == families.end())
      families.push_back(r.gpu.family);

  // Memory overhead: median of measured - modelled (without overhead) over rows that publish memory.
  std::vector<double> gaps;
  for (const auto& r : runs) {
    if (!r.fit_quality() || r.measured_memory_bytes <= 0) continue;
    Calibration c = calibration_for(priors, r.gpu);
    c.memory_overhead_bytes = 0;
    const Estimate e = estimate(r.model, r.layout, r.gpu, c);
    if (evaluable(e)) gaps.push_back(r.measured_memory_bytes - e.memory.total_bytes);
  }
  double overhead = -1;
  if (!gaps.empty()) {
    std::sort(gaps.begin(), gaps.end());
    overhead = std::max(0.0, gaps[gaps.size() / 2]);
  }

  std::vector<FamilyFit> out;
  for (const auto& family : families) {
    FamilyFit fit;
    GpuSpec probe;
    probe.family = family;
    Calibration prior = calibration_for(priors, probe);
    prior.gpu_family = family;
    if (overhead >= 0) prior.memory_overhead_bytes = overhead;
    Problem p{{}, prior, to_params(prior), Vec::Constant(options.prior_weight)};
    bool all_fused_attention = true;
    for (const auto& r : runs) {
      if (!r.fit_quality() || r.gpu.family != family) continue;
      if (!options.split.empty() && !r.split.empty() && r.split != options.split) continue;
      if (options.dense_only && !r.dense()) continue;
      p.rows.push_back(&r);
      all_fused_attention = all_fused_attention && r.layout.flash_attention;
    }
    // Fused attention's efficiency is a kernel property with published benchmarks (the prior, docs/model.md
    // "Calibration"); at the 2k-8k sequences of the runs attention is a small share of the step, so a weak
    // prior would let it absorb what other terms leave out and mispredict long sequences.
    if (all_fused_attention) p.prior_weight(kAttentionParam) = options.attention_prior_weight;
    fit.num_runs = static_cast<int>(p.rows.size());
    fit.mean_abs_pct_before = mean_abs_pct(p.rows, prior);
    fit.calibration = prior;
    if (!p.rows.empty() && !family.empty()) {
      fit.calibration = from_params(prior, levenberg_marquardt(p, p.prior));
      fit.calibration.num_fit_runs = fit.num_runs;
    }
    fit.mean_abs_pct_after = mean_abs_pct(p.rows, fit.calibration);
    out.push_back(fit);
  }
  // No usable row at all (a binary or unrelated CSV): a "fit" would only repeat the priors, silently.
  int used = 0;
  for (const auto& f : out) used += f.num_runs;
  if (used == 0) {
    std::string why = "no row has a usable measured step time (columns as in the published runs)";
    for (const auto& r : runs)
      if (!r.ok()) {
        why += "; row " + r.row_id + ": " + r.error;
        break;
      }
    throw ConfigError("runs", std::to_string(runs.size()) + " rows", why);
  }
  return out;
}

}  // namespace hp
