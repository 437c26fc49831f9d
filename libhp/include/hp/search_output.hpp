// The results directory of a search: CSVs, plan.yaml, candidate configs (search_output.cpp).
// Public header: standard-library types only. Rules and sources: docs/model.md.
#pragma once

#include <string>
#include "hp/nemo_config.hpp"
#include "hp/search_result.hpp"

namespace hp {


/// Writers (each file atomically). CSV columns: docs/usage.md.
std::string predicted_summary_csv(const SearchResult& result);
std::string infeasible_summary_csv(const SearchResult& result);
std::string plan_yaml(const Plan& plan);
/// Write the results directory (result.plan.results_dir): candidate configs from base (or the custom config's
/// text when not empty), predicted_summary.csv (if any row), infeasible_summary.csv, plan.yaml (if any trial).
void write_search_results(const SearchResult& result, const TrainingConfig& base, const std::string& custom_yaml);

}  // namespace hp
