// The record of a trial of a run: one schema that hp-cli (JSON) and bignlp_hp (dicts) render.
#include "hp/run/runner.hpp"

namespace hpfe {

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
      .text("note", t.note);
  return r;
}

}  // namespace hpfe
