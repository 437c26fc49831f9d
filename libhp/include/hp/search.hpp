// Training HP search: the whole search (search.cpp) and, through the headers it includes, each step's own
// header: search_space.hpp (space), nemo_grid.hpp (NeMo's grid), rank.hpp, plan.hpp, search_result.hpp,
// search_output.hpp. Public header: standard-library types only. Rules and sources: docs/model.md.
#pragma once

#include <string>
#include <vector>

#include "hp/hardware.hpp"
#include "hp/model.hpp"
#include "hp/nemo_config.hpp"
#include "hp/nemo_grid.hpp"
#include "hp/perf.hpp"
#include "hp/plan.hpp"
#include "hp/rank.hpp"
#include "hp/search_config.hpp"
#include "hp/search_output.hpp"
#include "hp/search_result.hpp"
#include "hp/search_space.hpp"
#include "hp/trial_sizing.hpp"

namespace hp {

struct SearchOptions {
  std::string policy;        ///< "" = train_settings.policy
  std::string results_dir;   ///< "" = train_settings.logs (NeMo interpolations resolved), else "results"
  bool write_files = true;   ///< candidate_configs/, predicted_summary.csv, infeasible_summary.csv, plan.yaml
  bool nemo_fix_bugs = false;  ///< or train_settings.nemo_fix_bugs
  bool legacy_names = false;   ///< or train_settings.legacy_names: NeMo's names before _cp_/_ep_
  std::string trial_nodes;     ///< "" = train_settings.trial_nodes (min | full; the nemo policy always runs full)
  /// A results directory that holds another search's results (holds_search_results) is refused unless force;
  /// with force, those results (and only they: remove_search_results) are removed first.
  bool force = false;
  ProgressFn progress;
};

/// True when dir holds a search's results: run_state.yaml, journal.jsonl, plan.yaml, candidate_configs/,
/// training_logs/ or final_result/.
bool holds_search_results(const std::string& dir);
/// Remove exactly the entries holds_search_results looks for, plus the summaries a search writes; nothing else in
/// dir (which may be a user's own directory) is touched.
void remove_search_results(const std::string& dir);

/// The base config a search starts from, as NeMo's generate_base_config: train_settings.custom_config read back,
/// else generated from train_settings (model_size_in_b, seq_length, vocab_size, ...; any size).
TrainingConfig search_base_config(const SearchConfig& config);

/// Check train_settings values (ConfigError naming "train_settings.<key>" and the value).
void validate_train_settings(const TrainSettings& train);

/// Run the search: resolve the model and base config, build the candidates by the policy, rank, plan and write
/// the results directory. No feasible layout is not an exception: result.feasible == 0 (plan empty) with
/// result.message and suggestions; infeasible_summary.csv is still written.
SearchResult search(const SearchConfig& config, const SearchOptions& options = {});

/// The nearest feasible change when nothing fits: tries more nodes, mbs 1, full recompute, larger cp.
std::vector<std::string> suggest_changes(const ModelSpec& model, const SearchSpace& space, const GpuSpec& gpu,
                                         const Calibration& calibration, const EstimateOptions& options);

}  // namespace hp
