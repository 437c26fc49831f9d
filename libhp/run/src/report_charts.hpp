// Internal to hp::run: the two inline SVG charts of report.html and the order they (and the table) show trials in.
#pragma once

#include <string>
#include <vector>

#include "hp/hardware.hpp"
#include "hp/trial_results.hpp"

namespace hp::run {

/// Report order: measured trials fastest first, then the others by predicted step time (no prediction last),
/// ties by name. Never alphabetical first: the reader looks for the fastest at the top.
std::vector<const hp::TrialResult*> report_order(const std::vector<hp::TrialResult>& results);

/// Why a trial has no measurement, in words and with its class: "out of memory (cuda_oom)"; "" when measured.
std::string failure_reason(const hp::TrialResult& r);

/// Predicted vs measured step time per trial (horizontal bars on a labelled seconds axis); the winner (`best`,
/// may be null) is highlighted, a failed trial has a red cross and its reason where its measured bar would be.
std::string step_time_chart(const std::vector<const hp::TrialResult*>& rows, const hp::TrialResult* best);

/// Predicted memory per GPU (performance model, stacked by part) of the fastest measured trials and the trials
/// that ran out of memory, the trainer's max allocated as a black tick, the GPU's capacity as a dashed line,
/// on a labelled GiB axis.
std::string memory_chart(const std::vector<const hp::TrialResult*>& rows, const hp::TrialResult* best,
                         const hp::GpuSpec& gpu);

}  // namespace hp::run
