// hp-cli infer-search in a serving mode (max_throughput, online): the serving search's table and JSON.
#pragma once

#include <string>

#include "hp/search_config.hpp"

namespace hpcli {

/// Run the serving search of `config` and print it (JSON when `json`); writes serving_output.csv into
/// `results_dir` when it is not empty; `profile`: the search time to stderr. Returns the exit code (0, or 4 when
/// nothing meets the bounds).
int run_serving_search(const hp::SearchConfig& config, const std::string& results_dir, bool json, bool profile);

}  // namespace hpcli
