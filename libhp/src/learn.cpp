// Learning from every trial: the memory refit after out-of-memory failures, the queue verdict and the stop rule
// (docs/model.md, "Learning from trials").
#include "hp/learn.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "hp/core.hpp"

namespace hp {
namespace {

// Split of the predicted memory: the part that grows with the micro-batch (activations, embedding and logits
// activations) and the rest (weights, gradients, optimizer, overhead).
struct Split {
  double act = 0;
  double rest = 0;
};

Split split(const ModelSpec& model, const Layout& layout, const GpuSpec& gpu, const Calibration& calibration) {
  const Estimate e = estimate(model, layout, gpu, calibration);
  const double act = e.memory.activations_bytes + e.memory.embedding_logits_bytes;
  return {act, e.memory.total_bytes - act};
}

double usable_bytes(const GpuSpec& gpu, const EstimateOptions& options) {
  return gpu.memory_bytes * (1.0 - options.memory_margin);
}

}  // namespace

MemoryRefit refit_memory(const ModelSpec& model, const GpuSpec& gpu, const Calibration& calibration,
                         const std::vector<MemoryEvidence>& evidence, const EstimateOptions& options) {
  MemoryRefit fit;
  // 1. Least squares of measured = a x act + rest + c over the measured max-allocated values: both a and the
  //    offset c with two or more layouts of different activation memory; with one, a stays 1 and c fits it
  //    (one point cannot tell a scale from an offset; the offset is the smaller claim).
  std::vector<std::pair<double, double>> points;  // (act, measured - rest)
  for (const MemoryEvidence& ev : evidence) {
    if (ev.out_of_memory || !(ev.measured_max_bytes > 0)) continue;
    const Split s = split(model, ev.layout, gpu, calibration);
    points.emplace_back(s.act, ev.measured_max_bytes - s.rest);
  }
  fit.num_measured = static_cast<int>(points.size());
  const double max_offset = kMaxOffsetFraction * gpu.memory_bytes;
  double mean_act = 0, mean_y = 0;
  for (const auto& [act, y] : points) mean_act += act / points.size(), mean_y += y / points.size();
  double var = 0, cov = 0, den = 0;
  for (const auto& [act, y] : points) {
    var += (act - mean_act) * (act - mean_act);
    cov += (act - mean_act) * (y - mean_y);
    den += act * act;
  }
  const bool centred = !points.empty();  // the offset keeps the measured points' mean: c = mean_y - a mean_act
  if (points.size() >= 2 && var > 1e-6 * den) fit.activation_scale = std::clamp(cov / var, kMinActivationScale, kMaxActivationScale);
  auto centre = [&] {
    if (centred) fit.offset_bytes = std::clamp(mean_y - fit.activation_scale * mean_act, -max_offset, max_offset);
  };
  centre();
  // 2. Every failed layout must be predicted over the usable memory: raise the scale (bounded) as little as
  //    needed, the offset following it so the measured points stay fitted; what the bound cannot explain goes to
  //    the offset.
  const double limit = usable_bytes(gpu, options);
  std::vector<Split> failed;
  for (const MemoryEvidence& ev : evidence)
    if (ev.out_of_memory) failed.push_back(split(model, ev.layout, gpu, calibration));
  fit.num_out_of_memory = static_cast<int>(failed.size());
  constexpr double kAbove = 1.0 + 1e-6;  // strictly over the limit
  for (const Split& f : failed) {
    // a act_f + rest_f + c(a) > limit, c(a) = mean_y - a mean_act (centred) or the current offset.
    const double slope = centred ? f.act - mean_act : f.act;
    const double need = centred ? limit - f.rest - mean_y : limit - f.rest - fit.offset_bytes;
    if (slope > 0 && need > 0)
      fit.activation_scale = std::max(fit.activation_scale, std::min(kMaxActivationScale, kAbove * need / slope));
  }
  centre();
  for (const Split& f : failed) {
    const double gap = limit - (fit.activation_scale * f.act + f.rest + fit.offset_bytes);
    if (gap >= 0) fit.offset_bytes += gap * kAbove + 1.0;
  }
  fit.offset_bytes = std::min(fit.offset_bytes, max_offset);
  return fit;
}

double refitted_memory_bytes(const ModelSpec& model, const Layout& layout, const GpuSpec& gpu,
                             const Calibration& calibration, const MemoryRefit& fit) {
  const Split s = split(model, layout, gpu, calibration);
  return fit.activation_scale * s.act + s.rest + fit.offset_bytes;
}

QueueVerdict judge_queue(const ModelSpec& model, const GpuSpec& gpu, const Calibration& calibration,
                         const std::vector<FinishedTrial>& finished, const std::vector<QueuedTrial>& queued,
                         double model_error, const EstimateOptions& options) {
  QueueVerdict v;
  std::vector<MemoryEvidence> evidence;
  for (const FinishedTrial& f : finished)
    if (f.failure == "cuda_oom" || f.measured_max_bytes > 0)
      evidence.push_back({f.name, f.layout, f.failure == "cuda_oom", f.measured_max_bytes});
  v.memory = refit_memory(model, gpu, calibration, evidence, options);
  const double limit = usable_bytes(gpu, options);
  // The smallest failed layout under the correction: nothing at least as large runs.
  double failed_min = std::numeric_limits<double>::infinity();
  std::string failed_name;
  for (const MemoryEvidence& ev : evidence) {
    if (!ev.out_of_memory) continue;
    const double m = refitted_memory_bytes(model, ev.layout, gpu, calibration, v.memory);
    if (m < failed_min) failed_min = m, failed_name = ev.name;
  }
  std::vector<const QueuedTrial*> remaining;
  for (const QueuedTrial& q : queued) {
    std::string why;
    bool memory = true;
    const double m = refitted_memory_bytes(model, q.layout, gpu, calibration, v.memory);
    if (m >= failed_min) {
      why = fmt::format("needs {:.1f} GiB, at least {} which ran out of memory ({:.1f} GiB after the refit)",
                        m / kGiB, failed_name, failed_min / kGiB);
    } else if (!evidence.empty() && m > limit) {
      why = fmt::format("predicted {:.1f} GiB > {:.1f} GiB usable after the memory refit (activations x{:.2f}, "
                        "+{:.1f} GiB)", m / kGiB, limit / kGiB, v.memory.activation_scale, v.memory.offset_bytes / kGiB);
    } else {
      for (const FinishedTrial& f : finished) {
        if ((f.failure != "time_limit" && f.failure != "no_steps") || !(f.predicted_step_time_s > 0)) continue;
        if (q.predicted_step_time_s >= f.predicted_step_time_s) {
          memory = false;
          why = fmt::format("predicted {:.3f} s/step, no faster than {} ({:.3f} s) which ended {}",
                            q.predicted_step_time_s, f.name, f.predicted_step_time_s, f.failure);
          break;
        }
      }
    }
    if (why.empty()) {
      remaining.push_back(&q);
    } else {
      v.drop.push_back(q.name);
      v.drop_reasons.push_back(why);
      v.drop_for_memory.push_back(memory);
    }
  }
  // Stop: the measured best against every remaining layout's optimistic prediction. The error is the larger of
  // the model's documented one and the largest seen on this search's measured trials, and it is not trusted
  // before kMinMeasuredToStop measurements have tested it.
  const FinishedTrial* best = nullptr;
  int num_measured = 0;
  double error = model_error;
  for (const FinishedTrial& f : finished) {
    if (!(f.measured_step_time_s > 0)) continue;
    ++num_measured;
    if (f.predicted_step_time_s > 0)
      error = std::max(error, std::abs(f.predicted_step_time_s - f.measured_step_time_s) / f.predicted_step_time_s);
    if (!best || f.measured_step_time_s < best->measured_step_time_s) best = &f;
  }
  if (!best || remaining.empty() || num_measured < kMinMeasuredToStop) return v;
  error = std::min(error, 0.99);
  const QueuedTrial* closest = *std::min_element(remaining.begin(), remaining.end(), [](auto* a, auto* b) {
    return a->predicted_step_time_s < b->predicted_step_time_s;
  });
  const double optimistic = closest->predicted_step_time_s * (1.0 - error);
  if (best->measured_step_time_s < optimistic) {
    v.stop = true;
    v.trials_saved = static_cast<int>(remaining.size());
    v.stop_reason = fmt::format(
        "stopped early: measured best {} {:.4f} s/step beats every queued layout's optimistic prediction (closest "
        "{} {:.4f} s predicted - {:.0f}% error = {:.4f} s); {} trial(s) saved",
        best->name, best->measured_step_time_s, closest->name, closest->predicted_step_time_s, 100 * error,
        optimistic, v.trials_saved);
  }
  return v;
}

}  // namespace hp
