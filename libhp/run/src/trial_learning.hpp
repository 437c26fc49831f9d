// Internal to hp::run: what the runner learns after each trial (refit, full-scale step times, the queue verdict
// and the replacements for trials dropped by the memory refit). Decisions are libhp's (hp/learn.hpp,
// hp/trial_sizing.hpp); this file applies them to the run's states and journals them.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "hp/nemo_config.hpp"
#include "hp/run/runner.hpp"

namespace hp::run {

/// Candidate configs read once per run, by path.
using ConfigCache = std::map<std::string, hp::TrainingConfig>;
const hp::TrainingConfig& config_of(ConfigCache& configs, const TrialPlan& plan);

/// The layout a trial stands for: its config's layout at the full node count and global batch.
hp::Layout full_layout(const TrialPlan& plan, const hp::TrainingConfig& config);

/// Append one event of a trial to the journal.
void journal_trial(const std::string& results_dir, const std::string& event, const TrialState& trial);

/// Refit the efficiency factors on the measured trials (libhp's one refit), re-predict the queued trials and the
/// reserves at full scale, reorder the queued ones, and set every measured trial's full-scale step time. Returns
/// the calibration used (the prior when nothing was measured).
hp::Calibration learn_from_trials(const RunSpec& spec, std::vector<TrialState>& states,
                                  std::vector<TrialState>& reserves, ConfigCache& configs);

/// One measured trial's full-scale step time under a calibration (nothing when it measured nothing).
void set_full_scale(const RunSpec& spec, TrialState& trial, ConfigCache& configs, const hp::Calibration& calibration);

/// Ask libhp which queued trials still run (hp::judge_queue) and drop the others, journaled, with the reason in
/// the note; then, for each trial dropped by the memory refit, promote the best-ranked reserve the refit still
/// fits (reason "replaces an OOM (<dropped trial>)") while the trials launched or queued stay within the plan's
/// count.
void judge_trials(const RunSpec& spec, std::vector<TrialState>& states, std::vector<TrialState>& reserves,
                  ConfigCache& configs);

}  // namespace hp::run
