// What a training search's answer is, in words: the best layout, the layouts the model cannot tell from it (exact
// ties and near-ties within its validated error), a roomier alternative, and the plan. The CLI prints this; the
// library decides it. Public header: standard-library types only. Rules: docs/model.md "Search summary".
#pragma once

#include <string>
#include <vector>

#include "hp/search_result.hpp"

namespace hp {

/// The band within which two predicted step times cannot be told apart: the model's validated error.
struct ErrorBand {
  double fraction = 0;   ///< 0.0733 = 7.33 %
  int num_runs = 0;      ///< measured runs behind it
  std::string source;    ///< where it comes from, in words
};

/// validated_step_time_error() (hp/calibration.hpp) as a band: held-out mean |error| of the step time.
ErrorBand validated_error_band();

/// A row is "much roomier" than the best when it leaves at least this share of the GPU's memory more free. A
/// presentation threshold, not a model number: it decides only which alternative the summary points out.
constexpr double kRoomierFractionOfGpu = 0.2;

/// Two predictions are the same number when they differ by less than this relative amount (rounding).
constexpr double kExactTieRelative = 1e-9;

/// How one planned trial relates to the best layout.
struct TrialSummary {
  int trial = 0;                 ///< launch order, from 1
  int rank = 0;                  ///< rank among the feasible layouts, from 1 (0: not in the ranking)
  double vs_best = 0;            ///< predicted step time / best's - 1
  bool fits = true;              ///< predicted to fit (the nemo grid launches layouts predicted not to)
  bool exact_tie = false;        ///< fits and predicted the same step time as the best
  bool within_band = false;      ///< fits and within the error band of the best (exact ties included)
  double memory_bytes = 0;       ///< predicted memory per GPU at full scale (the ranked row; a trial on fewer nodes
                                 ///< needs more per GPU: Trial::predicted_memory_bytes)
  double headroom_bytes = 0;     ///< GPU memory minus memory_bytes
};

struct SearchSummary {
  bool empty = true;             ///< nothing feasible: no best
  ErrorBand band;
  std::size_t best = 0;          ///< index into SearchResult::ranked (rank 1)
  double best_headroom_bytes = 0;
  /// Other rows predicted the same step time as the best, and per row the fields in which it differs from it.
  std::vector<std::size_t> exact_ties;
  std::vector<std::vector<std::string>> exact_tie_differences;
  std::size_t num_within_band = 0;  ///< feasible rows within the band of the best, the best included
  /// The fastest row within the band that leaves >= kRoomierFractionOfGpu of the GPU more free than the best;
  /// -1 when there is none.
  long long roomier = -1;
  std::vector<TrialSummary> plan;   ///< one per planned trial, in launch order
  int planned_within_band = 0;      ///< trials within the band of the best
};

/// Summarise a search (model policy: ranked by predicted time; nemo policy: the grid, best = fastest feasible).
SearchSummary summarize_search(const SearchResult& result, const ErrorBand& band);

/// A layout in words: "TP 1, PP 1, VP 1, CP 1, MBS 4, no recompute, SP off, distributed optimizer on" (plus EP, FP8
/// and FSDP when used).
std::string layout_in_words(const RankedLayout& row);
/// Short form for tables: "tp1 pp1 vp1 cp1 mbs4 rc=none sp=0 do=1" (plus ep, fp8, fsdp, optoff when used).
std::string layout_short(const RankedLayout& row);

/// The fields in which b differs from a, as "mbs 4 -> 2", "recompute none -> full (2 layers)".
std::vector<std::string> layout_differences(const RankedLayout& a, const RankedLayout& b);

/// What a planner reason means ("top", "best of tp x pp", "explore", "nemo order"); "" for an unknown one.
std::string plan_reason_meaning(const std::string& reason);

}  // namespace hp
