// Internal: the NeMo/Megatron-Core config keys of MoE layer patterns, multi-token prediction and multi-latent
// attention, written and read the same way by every NeMo YAML layout (nemo_arch_keys.cpp).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "hp/model.hpp"

namespace YAML {
class Node;
}

namespace hp::detail {

/// (key under model., YAML scalar text) for the non-default MoE-pattern, MTP and MLA fields, in file order.
std::vector<std::pair<std::string, std::string>> architecture_keys(const ModelSpec& m);

/// Reads those keys of the model section `model` (prefix "model.") into m; absent keys keep m's values, MLA
/// dimensions absent under multi_latent_attention take Megatron-Core MLATransformerConfig's defaults.
void read_architecture_keys(const YAML::Node& model, const std::string& prefix, ModelSpec& m);

}  // namespace hp::detail
