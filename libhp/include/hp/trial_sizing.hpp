// Trials on the fewest nodes (issue 13): how many nodes a trial of a layout runs on, its global batch, the
// full-scale step time predicted from a measurement at that size, and what a plan costs in GPU-hours.
// Public header: standard-library types only. Rules and sources: docs/model.md, "Trials on the fewest nodes".
#pragma once

#include <string>

#include "hp/hardware.hpp"
#include "hp/model.hpp"
#include "hp/perf.hpp"

namespace hp {

/// min: each trial on the fewest nodes its layout needs (NeMo's original promise, "Data Parallelism of 1 in most
/// cases"); full: every trial on the whole cluster (what NeMo's launcher does today).
enum class TrialNodes { min, full };
const char* to_string(TrialNodes policy) noexcept;
/// "min" or "full"; anything else throws ConfigError(key, value, "expected min or full").
TrialNodes parse_trial_nodes(const std::string& value, const std::string& key = "train_settings.trial_nodes");

/// The size of one trial.
struct TrialSize {
  int num_nodes = 1;   ///< nodes the trial runs on
  int gbs = 0;         ///< its global batch: the same micro-batches per data-parallel replica as at full scale
  Layout layout;       ///< the layout the trial runs (num_gpus and gbs of the trial)
};

/// The trial of `full` (a layout of full_nodes x gpus_per_node GPUs). min: the fewest nodes n in 1..full_nodes
/// on which the layout divides (n x gpus_per_node a multiple of TP x PP x CP, so at least one replica; the expert
/// grid EP x ETP dividing TP x CP x DP) and fits in memory at that data-parallel size (the distributed optimizer
/// shards less), with gbs = mbs x micro-batches x trial DP; full_nodes when none smaller does. full: the layout.
TrialSize trial_size(const ModelSpec& model, const Layout& full, int full_nodes, int gpus_per_node, TrialNodes policy,
                     const GpuSpec& gpu, const Calibration& calibration, const EstimateOptions& options = {});

/// The model's terms that change with the node count when the micro-batches per replica stay the same: the
/// data-parallel communication (exposed gradient reduce-scatter / all-reduce and distributed-optimizer all-gather,
/// time.dp_comm_s; FSDP's gathers, time.fsdp_comm_s), the optimizer step over the local shard (time.optimizer_s;
/// with optimizer CPU offload also time.optimizer_offload_s)
/// and the pipeline hop (time.pp_comm_s), which leaves NVLink once the replicas span nodes. Compute, TP / CP / EP
/// communication and the bubble are those of one replica and do not change.
double scale_terms_s(const TimeBreakdown& time) noexcept;

/// A full-scale step time from a trial's measurement: measured - model(trial) + model(full) of the scale terms.
/// What is measured and what is predicted stay apart for the reports.
struct FullScaleStep {
  double measured_s = 0;           ///< the trial's measured step time
  double trial_scale_terms_s = 0;  ///< scale_terms_s of the trial's layout (predicted)
  double full_scale_terms_s = 0;   ///< the same at full scale (predicted)
  double step_time_s = 0;          ///< measured_s - trial_scale_terms_s + full_scale_terms_s (>= 0)
  bool predicted = false;          ///< the trial ran smaller than full scale (else step_time_s == measured_s)
};
FullScaleStep full_scale_step(const ModelSpec& model, const Layout& trial, const Layout& full, double measured_s,
                              const GpuSpec& gpu, const Calibration& calibration);

/// nodes x gpus_per_node x seconds / 3600.
double gpu_hours(int num_nodes, int gpus_per_node, double seconds) noexcept;

}  // namespace hp
