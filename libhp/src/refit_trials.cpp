// Learning from a search's measured trials: one refit for the runner (re-rank what has not run) and the reports
// (calibration.yaml), and the record of a collected trial. Each layout comes from its NeMo config through layout_from_nemo, the one reading rule.
#include "hp/hardware.hpp"
#include "hp/perf.hpp"
#include "hp/trial_results.hpp"

namespace hp {

Refit refit_on_trials(const std::vector<TrialResult>& trials, const GpuSpec& gpu) {
  // A search measures one model; a trial of another model would not share its efficiency factors.
  const TrialResult* first = nullptr;
  std::vector<MeasuredLayout> measured;
  for (const TrialResult& r : trials) {
    if (!r.measured()) continue;
    if (!first) first = &r;
    if (r.config.model.name == first->config.model.name)
      measured.push_back({layout_from_nemo(r.config), r.stats.mean_s});
  }
  const Calibration prior = default_calibration(gpu);
  if (!first) return Refit{prior};
  return refit_calibration(first->config.model, gpu, prior, measured);
}

double predict_step_time_s(const TrainingConfig& config, const GpuSpec& gpu, const Calibration& calibration) {
  return estimate(config.model, layout_from_nemo(config), gpu, calibration).time.step_time_s;
}

Record trial_result_record(const TrialResult& r) {
  Record out;
  out.text("config_name", r.config_name)
      .integer("tp", r.config.tensor_model_parallel_size)
      .integer("pp", r.config.pipeline_model_parallel_size)
      .integer("mbs", r.config.micro_batch_size)
      .integer("nodes", r.config.num_nodes)
      .boolean("measured", r.measured())
      .optional_number("step_time_s", r.stats.mean_s, r.stats.valid)
      .number("stddev_s", r.stats.stddev_s)
      .optional_number("predicted_step_time_s", r.predicted_step_time_s, r.predicted_step_time_s > 0)
      .text("failure", to_string(r.failure.kind))
      .text("evidence", r.failure.evidence);
  return out;
}

GpuSpec run_gpu(const std::string& name) { return name.empty() ? gpu_for_memory_gb(80) : find_gpu(name); }

}  // namespace hp
