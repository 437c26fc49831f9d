// Learning from every trial of a search: the memory refit after out-of-memory failures, which queued trials
// still run, and when to stop. Decisions only: hp::run runs the processes and asks these functions.
// Public header: standard-library types only. Rules and sources: docs/model.md, "Learning from trials".
#pragma once

#include <string>
#include <vector>

#include "hp/hardware.hpp"
#include "hp/model.hpp"
#include "hp/perf.hpp"

namespace hp {

/// What one finished trial says about memory.
struct MemoryEvidence {
  std::string name;                 ///< trial name (named in the reasons)
  Layout layout;
  bool out_of_memory = false;       ///< ended cuda_oom
  double measured_max_bytes = 0;    ///< max-allocated memory the logs print (0 = not printed)
};

/// The memory model corrected by the evidence: total = (activations + embedding/logits) x activation_scale +
/// the rest + offset_bytes. Bounded: the scale in [kMinActivationScale, kMaxActivationScale], the offset within
/// +-kMaxOffsetFraction x GPU memory.
struct MemoryRefit {
  double activation_scale = 1;
  double offset_bytes = 0;
  int num_out_of_memory = 0;
  int num_measured = 0;             ///< trials with a measured max-allocated value
};
constexpr double kMinActivationScale = 0.5;
constexpr double kMaxActivationScale = 4.0;
constexpr double kMaxOffsetFraction = 0.25;

/// Fit the correction: least squares of the activation scale (and the offset, with two or more layouts of
/// different activation memory) on the measured max-allocated values, then the scale raised until every
/// out-of-memory layout is predicted over the usable memory ((1 - memory_margin) x capacity); what the scale's
/// bound cannot explain goes to the offset. No evidence returns the identity.
MemoryRefit refit_memory(const ModelSpec& model, const GpuSpec& gpu, const Calibration& calibration,
                         const std::vector<MemoryEvidence>& evidence, const EstimateOptions& options = {});

/// A layout's predicted memory per GPU under the correction.
double refitted_memory_bytes(const ModelSpec& model, const Layout& layout, const GpuSpec& gpu,
                             const Calibration& calibration, const MemoryRefit& fit);

/// What a finished trial says about the queue.
struct FinishedTrial {
  std::string name;
  Layout layout;
  std::string failure;              ///< FailureKind name: "none", "cuda_oom", "time_limit", "no_steps", ...
  double measured_step_time_s = 0;  ///< > 0 when measured
  double predicted_step_time_s = 0; ///< the (refitted) prediction
  double measured_max_bytes = 0;
};

/// A queued trial and its (refitted) prediction.
struct QueuedTrial {
  std::string name;
  Layout layout;
  double predicted_step_time_s = 0;
};

/// The verdict on the queue after a trial finished: which trials to drop and why, and whether to stop.
struct QueueVerdict {
  std::vector<std::string> drop;          ///< names of queued trials not to launch
  std::vector<std::string> drop_reasons;  ///< one per drop
  std::vector<bool> drop_for_memory;      ///< one per drop: true when memory (not a time-limit failure) dropped it
  bool stop = false;                      ///< the rest of the queue cannot beat the measured best
  std::string stop_reason;
  int trials_saved = 0;                   ///< queued trials not launched because of the stop
  MemoryRefit memory;
};

/// Measured trials before the stop rule trusts the error it uses.
constexpr int kMinMeasuredToStop = 3;

/// Rules (docs/model.md, "Learning from trials"):
/// - cuda_oom refits memory (refit_memory); a queued layout is dropped when its refitted memory is over the usable
///   memory or at least that of a failed layout.
/// - time_limit / no_steps: a queued layout predicted no faster than the failed one (same refit) is dropped.
/// - Stop: with at least kMinMeasuredToStop measured trials, when the measured best is faster than every
///   remaining layout's optimistic prediction, predicted x (1 - e), e = the larger of model_error and the largest
///   relative error of the measured trials' predictions (FinishedTrial::predicted_step_time_s).
QueueVerdict judge_queue(const ModelSpec& model, const GpuSpec& gpu, const Calibration& calibration,
                         const std::vector<FinishedTrial>& finished, const std::vector<QueuedTrial>& queued,
                         double model_error, const EstimateOptions& options = {});

}  // namespace hp
