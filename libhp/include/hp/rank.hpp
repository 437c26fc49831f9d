// Ranking the space by the performance model (rank.cpp).
// Public header: standard-library types only. Rules and sources: docs/model.md.
#pragma once

#include "hp/search_result.hpp"
#include "hp/search_space.hpp"

namespace hp {

/// Evaluate every dividing layout of the space, count the rest by reason, rank the feasible ones by predicted
/// step time (ties: memory, then tp, pp, vp, cp, ep, mbs, recompute, SP, DO, FP8 ascending).
SearchResult rank_space(const ModelSpec& model, const SearchSpace& space, const GpuSpec& gpu,
                        const Calibration& calibration, const EstimateOptions& options,
                        const ProgressFn& progress = {});

/// A row from one estimate (fits = the estimate's verdict).
RankedLayout to_ranked(const Layout& layout, const Estimate& estimate);

/// Rank comparator used by rank_space (exposed for tests).
bool rank_less(const RankedLayout& a, const RankedLayout& b) noexcept;

/// The training model's relative step-time error: held-out mean absolute error on published runs, 5.60 %
/// (docs/model.md, "Validation"). Predictions closer than this are ties.
constexpr double kModelRelativeError = 0.056;

/// The trials of the model policy, in launch order (= rank order). A shape is (tp, pp, mbs, recompute); cp, vp,
/// ep, SP and optimizer sharding are its variants. Rule (docs/model.md): the first ceil(limit/2) are the best of
/// the top shapes ("top"); then the best layout of each precision not yet chosen ("best of precision"); then
/// the best layout of each (tp, pp) not yet chosen ("best of tp x pp"); then shapes
/// not yet chosen ("explore"); then variants only when predicted more than model_error away from every chosen
/// variant of their shape. Near-ties are never spent on: the plan may have fewer than limit trials.
struct TrialPick {
  std::size_t index = 0;   ///< into ranked
  const char* reason = ""; ///< "top", "best of precision", "best of tp x pp", "explore"
};
std::vector<TrialPick> select_trials(const std::vector<RankedLayout>& ranked, int limit,
                                     double model_error = kModelRelativeError);

}  // namespace hp
