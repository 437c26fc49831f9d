// The record of a trial of a run: one schema that hp-cli (JSON) and bignlp_hp (dicts) render.
#include "hp/run/runner.hpp"

namespace hp::run {

hp::Record trial_state_record(const TrialState& t) {
  hp::Record r;
  r.text("config_name", t.plan.config_name)
      .text("config_path", t.plan.config_path)
      .text("job_id", t.job_id)
      .text("state", t.phase == TrialPhase::pending ? "queued" : t.phase == TrialPhase::dropped ? "dropped" : to_string(t.job.state))
      .text("scheduler_state", t.job.scheduler_state)
      .integer("exit_code", t.job.exit_code)
      .integer("signal", t.job.signal)
      .optional_number("step_time_s", t.stats.mean_s, t.stats.valid)
      .number("predicted_step_time_s", t.plan.predicted_step_time_s)
      .optional_number("repredicted_step_time_s", t.repredicted_step_time_s, t.repredicted_step_time_s > 0)
      .text("failure", hp::to_string(t.failure.kind))
      .text("evidence", t.failure.evidence)
      .text("reason", t.plan.reason)
      .text("note", t.note)
      // Trial sizing: step_time_s is measured on `nodes`; the full-scale time adds the model's scale terms.
      .integer("nodes", t.plan.num_nodes)
      .integer("full_nodes", t.plan.full_num_nodes > 0 ? t.plan.full_num_nodes : t.plan.num_nodes)
      .optional_number("full_scale_step_time_s", t.full_scale.step_time_s, t.full_scale.step_time_s > 0)
      .optional_number("predicted_scale_terms_trial_s", t.full_scale.trial_scale_terms_s, t.full_scale.predicted)
      .optional_number("predicted_scale_terms_full_s", t.full_scale.full_scale_terms_s, t.full_scale.predicted);
  return r;
}

}  // namespace hp::run
