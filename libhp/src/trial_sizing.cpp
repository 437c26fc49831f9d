// Trials on the fewest nodes: the node count and global batch of a trial, and the full-scale step time predicted
// from its measurement (docs/model.md, "Trials on the fewest nodes").
#include "hp/trial_sizing.hpp"

#include <algorithm>

#include "hp/core.hpp"

namespace hp {

const char* to_string(TrialNodes policy) noexcept { return policy == TrialNodes::full ? "full" : "min"; }

TrialNodes parse_trial_nodes(const std::string& value, const std::string& key) {
  if (value == "min") return TrialNodes::min;
  if (value == "full") return TrialNodes::full;
  throw ConfigError(key, value, "expected min or full");
}

TrialSize trial_size(const ModelSpec& model, const Layout& full, int full_nodes, int gpus_per_node, TrialNodes policy,
                     const GpuSpec& gpu, const Calibration& calibration, const EstimateOptions& options) {
  TrialSize out{full_nodes, full.gbs, full};
  const long long model_parallel = static_cast<long long>(full.tp) * full.pp * full.cp;
  const int micro_batches = full.num_micro_batches();
  if (policy == TrialNodes::full || model_parallel <= 0 || gpus_per_node <= 0 || micro_batches <= 0) return out;
  for (int n = 1; n < full_nodes; ++n) {
    const long long gpus = static_cast<long long>(n) * gpus_per_node;
    if (gpus % model_parallel != 0) continue;  // a whole number of replicas (at least one)
    Layout l = full;
    l.num_gpus = static_cast<int>(gpus);
    // Each replica runs the micro-batches it runs at full scale: the per-replica work, and so the compute, TP,
    // CP, EP and pipeline terms, are those of the full-scale step (Narayanan et al. 2021 Section 3.3: the
    // per-replica time depends on b and m, not on d).
    l.gbs = full.mbs * micro_batches * l.dp();
    const Estimate e = estimate(model, l, gpu, calibration, options);
    if (e.reason != Infeasible::none || !e.fits) continue;  // the expert grid or memory needs more replicas
    return {n, l.gbs, l};
  }
  return out;
}

// The terms of perf_time.cpp that depend on the GPU count at fixed micro-batches per replica (docs/model.md,
// "Trials on the fewest nodes"): DP collectives over n = DP x CP ranks, the optimizer over the 1/n shard, the PP
// hop's link (NVLink only while the job is one NVLink domain).
double scale_terms_s(const TimeBreakdown& t) noexcept {
  return t.dp_comm_s + t.fsdp_comm_s + t.optimizer_s + t.optimizer_offload_s + t.pp_comm_s;
}

FullScaleStep full_scale_step(const ModelSpec& model, const Layout& trial, const Layout& full, double measured_s,
                              const GpuSpec& gpu, const Calibration& calibration) {
  FullScaleStep out;
  out.measured_s = measured_s;
  out.step_time_s = measured_s;
  if (trial.num_gpus == full.num_gpus && trial.gbs == full.gbs) return out;
  out.predicted = true;
  out.trial_scale_terms_s = scale_terms_s(estimate(model, trial, gpu, calibration).time);
  out.full_scale_terms_s = scale_terms_s(estimate(model, full, gpu, calibration).time);
  out.step_time_s = std::max(0.0, measured_s - out.trial_scale_terms_s + out.full_scale_terms_s);
  return out;
}

double gpu_hours(int num_nodes, int gpus_per_node, double seconds) noexcept {
  return static_cast<double>(num_nodes) * gpus_per_node * seconds / 3600.0;
}

}  // namespace hp
