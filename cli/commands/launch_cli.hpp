// hp-cli's printing of a run of a search's plan (used by search.cpp): reports, JSON, exit code.
#pragma once

#include <fmt/core.h>

#include <string>

#include "command.hpp"
#include "hp/run/json.hpp"
#include "hp/run/runner.hpp"

namespace hpcli {

/// Print a run's outcome: the reports' message (text) or one JSON object {"search": ..., "run": ...}.
/// Exit code: kOk when at least one trial was measured, kTrialsFailed when every trial failed, 130 interrupted.
inline int print_run(const hp::run::LaunchOutcome& out, const std::string& results_dir, bool json,
                     const std::string& search_json) {
  if (out.executor == "none") {
    std::string msg = fmt::format("nothing run: {} trials planned with --executor none (launch scripts in "
                                  "{}/training_logs/); run them with  hp-cli search --resume {} --executor local|slurm",
                                  out.states.size(), results_dir, results_dir);
    if (json) fmt::print(R"({{"search":null,"run":{{"results_dir":{},"message":{}}}}})" "\n", hp::run::json_string(results_dir), hp::run::json_string(msg));
    else fmt::print("{}\n", msg);
    return kOk;
  }
  if (json) {
    std::string trials = hp::run::json_array(out.states, [](const hp::run::TrialState& t) { return hp::run::json_record(hp::run::trial_state_record(t)); });
    fmt::print(R"({{"search":{},"run":{{"results_dir":{},"interrupted":{},"num_measured":{},"num_failed":{},"gpu_hours":{},"full_size_gpu_hours":{},"trials":{},"files":{},"message":{}}}}})" "\n",
               search_json.empty() ? "null" : search_json, hp::run::json_string(results_dir),
               out.interrupted ? "true" : "false", out.reports.num_measured, out.reports.num_failed,
               hp::run::json_number(out.reports.gpu_hours), hp::run::json_number(out.reports.full_size_gpu_hours), trials,
               hp::run::json_array(out.reports.files, [](const std::string& f) { return hp::run::json_string(f); }),
               hp::run::json_string(out.reports.message));
  } else {
    fmt::print("{}", out.reports.message);
    for (const std::string& f : out.reports.files) fmt::print("wrote {}\n", f);
  }
  if (out.interrupted) {
    int open = 0;
    for (const auto& t : out.states) open += t.phase != hp::run::TrialPhase::finished && t.phase != hp::run::TrialPhase::dropped;
    fmt::print(json ? stderr : stdout, "interrupted: {} trials still to run; continue with  hp-cli search --resume {}\n",
               open, results_dir);
    return 130;  // the shell's code for SIGINT
  }
  return out.reports.num_measured > 0 ? kOk : kTrialsFailed;
}

}  // namespace hpcli
