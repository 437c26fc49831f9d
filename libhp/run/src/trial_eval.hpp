// Internal to hp_frontend: what one trial directory measured, shared by the runner and collect.
#pragma once

#include <string>

#include "hp/logs.hpp"
#include "hp/nemo_config.hpp"
#include "hp/perf.hpp"

namespace hpfe {

struct TrialEvaluation {
  hp::StepTimeStats stats;
  hp::Failure failure;
  std::vector<hp::TrainingLog> logs;
  double max_allocated_bytes = 0;  ///< largest max-allocated memory any log reports
};

/// Parse every log of a trial directory (*.out, *.err, *.log, results/events*): step times from the TensorBoard
/// scalar when it has points (as NeMo does), else from the console log with the most steps; failure from all.
TrialEvaluation evaluate_trial_dir(const std::string& dir, const hp::JobOutcome& outcome);

/// The layout a NeMo candidate config describes.
hp::Layout layout_of(const hp::TrainingConfig& config);

/// The GPU of a run ("" = a100-80gb, NeMo's default 80 GB).
hp::GpuSpec gpu_of(const std::string& name);

}  // namespace hpfe
