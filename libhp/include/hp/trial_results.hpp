// Measured results of search trials: NeMo's final_summary / failed_jobs CSVs, and learning from measurements
// (refit the performance model's efficiency factors, re-rank what has not run).
// Public header: standard-library types only. Formulas and sources: docs/model.md.
#pragma once

#include <string>
#include <vector>

#include "hp/hardware.hpp"
#include "hp/logs.hpp"
#include "hp/nemo_config.hpp"
#include "hp/perf.hpp"
#include "hp/record.hpp"
#include "hp/trial_sizing.hpp"

namespace hp {

/// One trial as the reports see it.
struct TrialResult {
  std::string config_name;              ///< run.name (candidate file name without .yaml)
  TrainingConfig config;                ///< the candidate YAML
  double predicted_step_time_s = 0;     ///< 0 = no prediction
  StepTimeStats stats;                  ///< measured (NeMo's rule)
  Failure failure;                      ///< kind none and stats.valid = measured
  std::string job_state;                ///< executor's final state ("completed", "timeout", ...)
  double measured_max_memory_bytes = 0; ///< largest max-allocated memory the logs report (0 = none printed)
  int full_num_nodes = 0;               ///< the cluster the layout is for (0 = config.num_nodes: ran full size)
  int full_global_batch_size = 0;       ///< its global batch at full scale (0 = config.global_batch_size)
  FullScaleStep full_scale;             ///< measured trials: measured + predicted scale terms (0 = not set)
  double duration_s = 0;                ///< submission to end, from the journal (0 = unknown)
  double time_limit_s = 0;              ///< the trial's time limit (0 = unknown)
  bool measured() const noexcept { return stats.valid && failure.kind == FailureKind::none; }
  int full_nodes() const noexcept { return full_num_nodes > 0 ? full_num_nodes : config.num_nodes; }
  /// The full-scale step time: the measurement itself when the trial ran full size.
  double full_scale_step_time_s() const noexcept { return full_scale.step_time_s > 0 ? full_scale.step_time_s : stats.mean_s; }
  /// GPU-hours on the trial's nodes (duration, else the time limit) and had it used the full node count.
  double gpu_hours() const noexcept;
  double full_size_gpu_hours() const noexcept;
};

/// Model FLOPs per global step as NeMo's compare_throughput.py computes them (GPT-like:
/// (24 B s h^2 + 4 B s^2 h) 3 L + 6 B s h V; T5/mT5: encoder/decoder layer terms, nemo_autoconfigurator 4.6).
double nemo_model_flops_per_step(const ModelSpec& model, int global_batch_size);

/// NeMo HEAD's Config Name column: tp<tp>_pp<pp>_cp<cp>_ep<ep>_mbs<mbs>_act_<a>_num_mbs_act_<n>_act_per_pipe_<k>
/// (cp/ep None for T5/mT5).
std::string nemo_config_name(const TrainingConfig& config);

/// final_summary_<N>nodes.csv: NeMo HEAD's 22 columns in NeMo's order, then VP, Predicted Time per Step,
/// Prediction Error %, Time per Step Stddev, Max Allocated Memory GiB (from the logs; empty when not printed),
/// then the trial's size: Trial Nodes, Trial GBS, Measured Time per Step (on the trial's nodes), Predicted DP Terms
/// Trial s, Predicted DP Terms Full s, Time per Step Source, GPU Hours. NeMo's columns describe the full-scale
/// layout (Nodes, GBS, Time per Step = the full-scale step time), so NeMo's compare_throughput.py rebuilds the
/// candidate's name from them. Measured trials only, fastest first (NeMo sorts by time per step).
std::string final_summary_csv(const std::vector<TrialResult>& results);
/// failed_jobs_<N>nodes.csv: NeMo HEAD's first 17 columns (full scale), Error Message, then Failure Class, Evidence
/// Source, Config Name, Trial Nodes, Trial GBS, GPU Hours.
std::string failed_jobs_csv(const std::vector<TrialResult>& results);
/// The fastest measured trial at full scale (full_scale_step_time_s), or nullptr when none was measured.
const TrialResult* best_trial(const std::vector<TrialResult>& results);

/// One measured layout for learning.
struct MeasuredLayout {
  Layout layout;
  double measured_step_time_s = 0;
};

struct Refit {
  Calibration calibration;   ///< prior with gemm_efficiency / comm_efficiency rescaled
  double compute_scale = 1;  ///< measured / predicted factor on compute + bubble + optimizer time
  double comm_scale = 1;     ///< factor on exposed communication time
  int num_trials = 0;
};

/// Fit measured ~ a (compute + bubble + optimizer) + b (exposed communication) + overhead by least squares over
/// the measured layouts (a = b when fewer than 2 trials or the 2-factor fit is not positive), then divide the
/// prior's efficiencies by a and b. Fewer than 1 trial returns the prior.
Refit refit_calibration(const ModelSpec& model, const GpuSpec& gpu, const Calibration& prior,
                        const std::vector<MeasuredLayout>& measured);

/// The refit of a search's trials (the runner's re-ranking and the reports' calibration.yaml): the measured
/// trials of the first measured trial's model, each layout read from its NeMo config by layout_from_nemo, fitted
/// from default_calibration(gpu). num_trials 0 (and the prior) when nothing was measured.
Refit refit_on_trials(const std::vector<TrialResult>& trials, const GpuSpec& gpu);

/// The one output schema of a collected trial (hp-cli collect --json and bignlp_hp.collect render it).
Record trial_result_record(const TrialResult& result);

/// A NeMo config's step time under a (refitted) calibration: how pending trials are re-ranked.
double predict_step_time_s(const TrainingConfig& config, const GpuSpec& gpu, const Calibration& calibration);

/// The GPU of a run by catalogue name; "" = a100-80gb (NeMo's default gpu_memory_gb 80).
GpuSpec run_gpu(const std::string& name);

}  // namespace hp
