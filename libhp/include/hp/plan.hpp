// The launch plan of the model policy: which layouts become trials, their names and NeMo configs (plan.cpp).
// Public header: standard-library types only. Rules and sources: docs/model.md.
#pragma once

#include <string>
#include <utility>
#include <vector>
#include "hp/nemo_config.hpp"
#include "hp/search_result.hpp"

namespace hp {


/// Names for the model policy: NeMo's name extended with _cp_/_ep_/_vp_ when not 1, act_ckpt_selective for
/// selective recompute, and _nosp/_nodo/_fp8 when those differ from the defaults.
std::string model_run_name(const std::string& family, double size_b, int num_nodes, const RankedLayout& r);

/// The NeMo training config of one trial: base with the layout fields, nodes, steps and time limit. Under the
/// nemo policy the act-ckpt fields change only when NeMo's sweep set them.
TrainingConfig trial_config(const TrainingConfig& base, const Trial& trial, SearchPolicy policy);

/// The same trial as dotted overrides for override_yaml (a user's custom_config; val_check_interval).
std::vector<std::pair<std::string, std::string>> trial_overrides(const TrainingConfig& config, bool model_policy);

}  // namespace hp
