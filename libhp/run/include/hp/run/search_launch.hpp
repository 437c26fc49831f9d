// Glue between the search (libhp's plan) and the trial runner.
#pragma once

#include <string>

#include "hp/search.hpp"
#include "hpfe/runner.hpp"

namespace hpfe {

/// The run spec of a search's plan: trial.command (default: NeMo's pre-training script), executor.* and
/// cluster.* keys from the config, executor.time_limit_s (overrides max_minutes_per_run), executor.max_concurrent,
/// search.learn (default true).
RunSpec run_spec_from_search(const hp::SearchConfig& config, const hp::SearchResult& result, const std::string& executor);

}  // namespace hpfe
