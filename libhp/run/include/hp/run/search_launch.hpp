// Search, then launch its plan: the one entry point both front ends call (hp-cli search, bignlp_hp.run_search).
#pragma once

#include <cstdio>
#include <functional>
#include <string>

#include "hp/run/runner.hpp"
#include "hp/search.hpp"

namespace hp::run {

/// The run spec of a search's plan: trial.command (default: NeMo's pre-training script), executor.* and
/// cluster.* keys from the config, executor.time_limit_s (overrides max_minutes_per_run), executor.max_concurrent,
/// search.learn (default true).
RunSpec run_spec_from_search(const hp::SearchConfig& config, const hp::SearchResult& result, const std::string& executor);

/// How to launch the plan of a search.
struct LaunchChoice {
  std::string executor = "none";   ///< none (launch scripts only), local or slurm; ignored with `custom`
  Executor* custom = nullptr;      ///< a caller's executor (a Python subclass), recorded as "python"
  std::FILE* status = nullptr;     ///< live status table (nullptr = quiet)
  /// Called once the search has ranked and written its plan, before any trial runs (the CLI prints the ranking).
  std::function<void(const hp::SearchResult&)> on_searched;
};

struct SearchLaunchOutcome {
  hp::SearchResult search;
  RunSpec spec;
  bool launched = false;           ///< false: no feasible layout, or options.write_files off (nothing to launch)
  LaunchOutcome run;
};

/// hp::search, then (when it planned trials and wrote them) the run of the plan through the chosen executor.
SearchLaunchOutcome search_and_launch(const hp::SearchConfig& config, const hp::SearchOptions& options,
                                      const LaunchChoice& choice);

}  // namespace hp::run
