// The launch plan of the model policy: which layouts become trials, their names and NeMo configs (plan.cpp).
// Public header: standard-library types only. Rules and sources: docs/model.md.
#pragma once

#include <string>
#include <utility>
#include <vector>
#include "hp/nemo_config.hpp"
#include "hp/search_result.hpp"

namespace hp {


/// Names for the model policy: NeMo HEAD's name (with _cp_/_ep_) extended with _vp_ when not 1,
/// act_ckpt_selective for selective recompute, _nosp/_nodo when those differ from the defaults, and the
/// precision when not BF16: _fp8 (delayed scaling), _fp8-cs, _mxfp8, _nvfp4.
/// legacy = NeMo's older name, _cp_/_ep_ appended only when not 1.
std::string model_run_name(const std::string& family, double size_b, int num_nodes, const RankedLayout& r,
                           bool legacy = false);
/// The name of a result row: its planned name, else model_run_name with the result's naming style.
std::string result_row_name(const SearchResult& result, const RankedLayout& row);

/// The NeMo training config of one trial: base with the layout fields, nodes, steps and time limit. Under the
/// nemo policy the act-ckpt fields change only when NeMo's sweep set them. A precision other than the base's
/// gets that precision's recipe keys (Megatron-Bridge's recipes; docs/model.md); the base's precision keeps its.
TrainingConfig trial_config(const TrainingConfig& base, const Trial& trial, SearchPolicy policy);

/// The same trial as dotted overrides for override_yaml (a user's custom_config; val_check_interval).
std::vector<std::pair<std::string, std::string>> trial_overrides(const TrainingConfig& config, bool model_policy);
/// The same, plus the precision recipe's keys (model.fp8_recipe, model.fp4, ...) that the trial sets or that the
/// base config set and the trial resets (model policy).
std::vector<std::pair<std::string, std::string>> trial_overrides(const TrainingConfig& config,
                                                                 const TrainingConfig& base, bool model_policy);

}  // namespace hp
