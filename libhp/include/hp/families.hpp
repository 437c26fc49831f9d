// NeMo auto-configurator's shipped base configs (auto_configurator/base_configs/<name>.yaml), built in, and the
// per-family facts the search needs. Public header: standard-library types only. Sources: docs/model.md.
#pragma once

#include <string>
#include <vector>

#include "hp/nemo_config.hpp"

namespace hp {

/// Names of NeMo's base configs that are built in: llama2_7b ... chatglm_6b (one per shipped file; the
/// generic gpt3/t5/mt5/bert files are the family's size rule, see builtin_base_config_reference).
std::vector<std::string> builtin_base_config_names();

/// NeMo's base_configs/<name>.yaml as a TrainingConfig: the architecture and NeMo's training values (GBS, MBS,
/// TP, PP, VP, CP, EP, sequence parallel, activation checkpointing, optimizer schedule, trainer nodes).
/// Unknown names throw ConfigError(key, name, "known: ...").
TrainingConfig builtin_base_config(const std::string& name, const std::string& key = "train_settings.custom_config");

/// The base-config name a custom_config refers to when it points into NeMo's tree:
/// "${auto_configurator_path}/base_configs/llama3_70b.yaml" -> "llama3_70b". Any other value (a real path) -> "".
std::string builtin_base_config_reference(const std::string& custom_config);

/// NeMo's custom_config handling of generate_base_config: the base keeps its model section; run name, time
/// limit, nodes, precision, max_steps and max_time come from the request (nemo_autoconfigurator.md 3.4).
TrainingConfig base_config_from_builtin(const std::string& name, const BaseConfigRequest& request);

}  // namespace hp
