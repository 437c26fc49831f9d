// Internal to hp::run: what one trial directory measured, shared by the runner and collect.
#pragma once

#include <optional>
#include <string>

#include "hp/logs.hpp"
#include "hp/nemo_config.hpp"
#include "hp/perf.hpp"
#include "hp/run/runner.hpp"

namespace hp::run {

struct TrialEvaluation {
  hp::StepTimeStats stats;
  hp::Failure failure;
  std::vector<hp::TrainingLog> logs;
  double max_allocated_bytes = 0;  ///< largest max-allocated memory any log reports
};

/// Parse every log of a trial directory (*.out, *.err, *.log, results/events*): step times from the TensorBoard
/// scalar when it has points (as NeMo does), else from the console log with the most steps; failure from all.
TrialEvaluation evaluate_trial_dir(const std::string& dir, const hp::JobOutcome& outcome);

/// collect() with the run spec already read (nullopt: a results directory without run_state.yaml).
Collected collect_run(const std::string& results_dir, const std::optional<RunSpec>& spec);

}  // namespace hp::run
