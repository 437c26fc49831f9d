// Model families and pre-defined sizes (NeMo-Megatron's shipped training configs).
// Public header: standard-library types only.
#pragma once

#include <string>
#include <vector>

#include "hp/model.hpp"

namespace hp {

/// One pre-defined, well-tested configuration.
struct CatalogEntry {
  std::string key;          ///< "gpt3/5b"
  double nominal_size_b;    ///< NeMo's label in billions (5 for "5b", 0.126 for "126m")
  double published_size_b;  ///< published parameter count in billions (GPT-3 paper, NeMo docs)
  ModelSpec model;
  std::string nemo_base_config;  ///< NeMo auto_configurator/base_configs/<name>.yaml it equals ("" = none)
};

/// Families NeMo's auto-configurator takes: gpt3, t5, mt5, bert, llama, mixtral, qwen2, baichuan2, chatglm.
std::vector<std::string> model_families();

/// All pre-defined configs, in family then size order.
const std::vector<CatalogEntry>& model_catalog();

/// Look up "family/size" (e.g. "gpt3/5b", "t5/220m", "llama/llama3_70b") or a NeMo base-config name
/// ("llama3_70b", "mixtral_7b"). Throws ConfigError naming the key.
ModelSpec find_model(const std::string& key);

/// The entry whose label equals size_b in family, or nullptr (the newest generation when several match:
/// llama 70 is llama3_70b).
const CatalogEntry* find_catalog_entry(const std::string& family, double size_b);

/// Throws ConfigError unless family is known.
void check_family(const std::string& family);

/// Whether NeMo derives an architecture from any size for the family (gpt3, t5, mt5, bert: its size tables and
/// layer search); the others have only their shipped base configs.
bool family_has_size_rule(const std::string& family);

}  // namespace hp
