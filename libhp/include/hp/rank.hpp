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

/// The trials of the model policy, in launch order (= rank order). Rule (docs/model.md): the first ceil(limit/2)
/// are the top predictions, one per shape (tp, pp, vp, cp, ep, mbs); the rest go to the best layout of each
/// (tp, pp) not yet chosen, in rank order; slots still free are filled by rank.
struct TrialPick {
  std::size_t index = 0;   ///< into ranked
  const char* reason = ""; ///< "top", "best of tp x pp", "next best"
};
std::vector<TrialPick> select_trials(const std::vector<RankedLayout>& ranked, int limit);

}  // namespace hp
