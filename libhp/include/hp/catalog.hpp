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
};

/// Families with pre-defined configs: gpt3, t5, mt5 (llama-like models are custom ModelSpecs).
std::vector<std::string> model_families();

/// All pre-defined configs, in family then size order.
const std::vector<CatalogEntry>& model_catalog();

/// Look up "family/size" (e.g. "gpt3/5b", "t5/220m"). Throws ConfigError naming the key.
ModelSpec find_model(const std::string& key);

/// The entry whose label equals size_b in family, or nullptr.
const CatalogEntry* find_catalog_entry(const std::string& family, double size_b);

/// Throws ConfigError unless family is known.
void check_family(const std::string& family);

}  // namespace hp
