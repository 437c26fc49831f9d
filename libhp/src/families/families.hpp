// Internal: the model families beyond GPT-3/T5/mT5 that NeMo's auto-configurator takes (launcher 26e42fa,
// auto_configurator/autoconfig/search_config.py SUPPORTED_MODELS).
#pragma once

#include <vector>

#include "hp/catalog.hpp"

namespace hp::detail {

/// Catalogue entries of llama, mixtral, qwen2, baichuan2, chatglm and bert (catalog_families.cpp).
std::vector<CatalogEntry> family_catalog_entries();

}  // namespace hp::detail

#include <string>

#include "hp/nemo_config.hpp"

namespace YAML {
class Node;
}
#include "hp/sizing.hpp"

namespace hp::detail {

/// BERT's size table (calculate_model_size_params): hidden and heads for a size, and the learning rate.
struct BertBucket {
  int hidden = 0, heads = 0;
  double lr = 1e-4;
};
BertBucket bert_bucket(double size_b);

/// BERT's GBS/TP/PP defaults (_gbs_tp_pp_bert_80gb / _40gb): seq 512 only, sizes up to 250.5B.
GbsTpPp bert_gbs_tp_pp(double size_b, int gpu_memory_gb, int seq_length);

/// base_config() for the families NeMo has no size rule for (llama, mixtral, qwen2, baichuan2, chatglm) or a
/// base-config name in `family` ("llama3_70b"): the shipped config of that size; otherwise a clear error.
TrainingConfig named_family_base_config(const BaseConfigRequest& request);

}  // namespace hp::detail

namespace hp::detail {

/// Whether to_nemo_yaml writes the family in NeMo's Megatron-Core GPT family layout (llama, mixtral, qwen2,
/// baichuan2, chatglm) rather than the GPT-3 one (nemo_yaml_families.cpp).
bool has_family_yaml_layout(const std::string& family);
std::string family_nemo_yaml(const TrainingConfig& config);

/// parse_nemo_yaml's family keys: exp_manager.name -> family, override_vocab_size, qkv_bias, ALiBi, BERT's head.
/// Called with the file's root after the GPT reader filled `config` (nemo_yaml_read_families.cpp).
void read_family_keys(const YAML::Node& root, TrainingConfig& config);

}  // namespace hp::detail
