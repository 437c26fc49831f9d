// hp-cli glue for running a search's plan (used by search.cpp): live status table on stderr, reports, exit code.
#pragma once

#include <fmt/core.h>

#include <string>

#include "command.hpp"
#include "hpfe/json.hpp"
#include "hpfe/runner.hpp"

namespace hpcli {

/// Run (or resume) the trials; prints the reports' message (text) or one JSON object {"search": ..., "run": ...}.
/// Exit code: kOk when at least one trial was measured, kTrialsFailed when every trial failed.
inline int run_plan(const hpfe::RunSpec& spec, bool resume, bool json, const std::string& search_json) {
  hpfe::LaunchOutcome out = hpfe::launch(spec, resume, json ? nullptr : stderr);
  if (out.executor == "none") {
    std::string msg = fmt::format("nothing run: {} trials planned with --executor none (launch scripts in "
                                  "{}/training_logs/); run them with  hp-cli search --resume {} --executor local|slurm",
                                  out.states.size(), spec.results_dir, spec.results_dir);
    if (json) fmt::print(R"({{"search":null,"run":{{"results_dir":{},"message":{}}}}})" "\n", hpfe::json_string(spec.results_dir), hpfe::json_string(msg));
    else fmt::print("{}\n", msg);
    return kOk;
  }
  if (json) {
    std::string trials = hpfe::json_array(out.states, [](const hpfe::TrialState& t) {
      return fmt::format(R"({{"config_name":{},"job_id":{},"state":{},"scheduler_state":{},"exit_code":{},"signal":{},)"
                         R"("step_time_s":{},"predicted_step_time_s":{},"repredicted_step_time_s":{},"failure":{},"evidence":{}}})",
                         hpfe::json_string(t.plan.config_name), hpfe::json_string(t.job_id),
                         hpfe::json_string(t.phase == hpfe::TrialPhase::pending ? "queued" : hpfe::to_string(t.job.state)),
                         hpfe::json_string(t.job.scheduler_state), t.job.exit_code, t.job.signal,
                         t.stats.valid ? hpfe::json_number(t.stats.mean_s) : "null",
                         hpfe::json_number(t.plan.predicted_step_time_s),
                         t.repredicted_step_time_s > 0 ? hpfe::json_number(t.repredicted_step_time_s) : "null",
                         hpfe::json_string(hp::to_string(t.failure.kind)), hpfe::json_string(t.failure.evidence));
    });
    fmt::print(R"({{"search":{},"run":{{"results_dir":{},"interrupted":{},"num_measured":{},"num_failed":{},"trials":{},"files":{},"message":{}}}}})" "\n",
               search_json.empty() ? "null" : search_json, hpfe::json_string(spec.results_dir),
               out.interrupted ? "true" : "false", out.reports.num_measured, out.reports.num_failed, trials,
               hpfe::json_array(out.reports.files, [](const std::string& f) { return hpfe::json_string(f); }),
               hpfe::json_string(out.reports.message));
  } else {
    fmt::print("{}", out.reports.message);
    for (const std::string& f : out.reports.files) fmt::print("wrote {}\n", f);
  }
  if (out.interrupted) {
    int open = 0;
    for (const auto& t : out.states) open += t.phase != hpfe::TrialPhase::finished;
    fmt::print(json ? stderr : stdout, "interrupted: {} trials still to run; continue with  hp-cli search --resume {}\n",
               open, spec.results_dir);
    return 130;  // the shell's code for SIGINT
  }
  return out.reports.num_measured > 0 ? kOk : kTrialsFailed;
}

}  // namespace hpcli
