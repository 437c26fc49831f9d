// Pre-defined configs: the architectures of NeMo-Megatron launcher's shipped training configs
// (conf/training/gpt3/*.yaml, t5/*.yaml, mt5/*.yaml), which match NeMo's own size tables
// (nemo_autoconfigurator.md section 3.2). Published sizes: GPT-3 paper (Brown et al. 2020, Table 2.1)
// where NeMo's size is a GPT-3 paper model, else NeMo's label.
#include "hp/catalog.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "families/families.hpp"
#include "hp/core.hpp"

namespace hp {
namespace {

ModelSpec gpt3(int layers, int hidden, int heads) {
  ModelSpec m;
  m.family = "gpt3";
  m.num_layers = layers;
  m.hidden_size = hidden;
  m.ffn_hidden_size = 4 * hidden;  // the YAML's ${multiply:4, ${.hidden_size}}
  m.num_attention_heads = heads;
  m.vocab_size = 51200;            // NeMo search_config default (GPT-2 BPE, padded)
  m.seq_length = 2048;
  m.max_position_embeddings = 2048;
  m.position_embedding = "learned_absolute";
  m.activation = "gelu";
  m.normalization = "layernorm";
  m.add_bias_linear = true;
  m.share_embeddings_and_output_weights = true;
  return m;
}

// T5/mT5 in NeMo launcher: same layers per stack, GeGLU, kv_channels 64, learned absolute positions,
// tied embeddings with an LM-head bias; encoder sequence 512, decoder 128.
ModelSpec t5(const char* family, int layers, int hidden, int heads, int ffn) {
  ModelSpec m;
  m.family = family;
  m.num_layers = layers;
  m.num_decoder_layers = layers;
  m.hidden_size = hidden;
  m.ffn_hidden_size = ffn;
  m.num_attention_heads = heads;
  m.kv_channels = 64;
  m.vocab_size = std::string(family) == "mt5" ? 250000 : 29000;  // NeMo search_config defaults
  m.seq_length = 512;
  m.decoder_seq_length = 128;
  m.max_position_embeddings = 512;
  m.position_embedding = "learned_absolute";
  m.activation = "geglu";
  m.normalization = "layernorm";
  m.add_bias_linear = true;
  m.share_embeddings_and_output_weights = true;
  return m;
}

CatalogEntry entry(const char* key, double nominal_b, double published_b, ModelSpec m) {
  m.name = key;
  return CatalogEntry{key, nominal_b, published_b, std::move(m), ""};
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

}  // namespace

std::vector<std::string> model_families() {
  return {"gpt3", "t5", "mt5", "bert", "llama", "mixtral", "qwen2", "baichuan2", "chatglm", "deepseek"};
}

void check_family(const std::string& family) {
  const auto f = model_families();
  if (std::find(f.begin(), f.end(), family) != f.end()) return;
  std::string known;
  for (const auto& k : f) known += (known.empty() ? "" : ", ") + k;
  throw ConfigError("model", family, "unknown model family; expected one of " + known);
}

bool family_has_size_rule(const std::string& family) {
  return family == "gpt3" || family == "t5" || family == "mt5" || family == "bert";
}

const std::vector<CatalogEntry>& model_catalog() {
  static const std::vector<CatalogEntry> catalog = [] {
    std::vector<CatalogEntry> c = {
      // GPT-3: published sizes 125M / 350M / 1.3B are the GPT-3 paper's Small, Medium and XL models.
      entry("gpt3/126m", 0.126, 0.125, gpt3(12, 768, 12)),
      entry("gpt3/400m", 0.4, 0.35, gpt3(24, 1024, 16)),
      entry("gpt3/1b", 1, 1.3, gpt3(24, 2048, 16)),
      entry("gpt3/5b", 5, 5, gpt3(24, 4096, 32)),
      entry("gpt3/20b", 20, 20, gpt3(44, 6144, 48)),
      entry("gpt3/40b", 40, 40, gpt3(48, 8192, 64)),
      entry("gpt3/175b", 175, 175, gpt3(96, 12288, 96)),
      entry("t5/220m", 0.22, 0.22, t5("t5", 12, 768, 12, 2048)),
      entry("t5/3b", 3, 2.8, t5("t5", 24, 2048, 32, 5120)),
      entry("t5/11b", 11, 11, t5("t5", 24, 4096, 64, 10240)),
      entry("t5/23b", 23, 23.5, t5("t5", 36, 5120, 80, 10880)),
      entry("t5/41b", 41, 41.2, t5("t5", 48, 6144, 96, 10880)),
      entry("mt5/170m", 0.17, 0.17, t5("mt5", 8, 512, 6, 1024)),
      entry("mt5/390m", 0.39, 0.39, t5("mt5", 12, 768, 12, 2048)),
      entry("mt5/3b", 3, 3.2, t5("mt5", 24, 2048, 32, 5120)),
      entry("mt5/11b", 11, 11.9, t5("mt5", 24, 4096, 64, 10240)),
      entry("mt5/23b", 23, 24.65, t5("mt5", 36, 5120, 80, 10880)),
    };
    for (auto& e : detail::family_catalog_entries()) c.push_back(std::move(e));
    return c;
  }();
  return catalog;
}

const CatalogEntry* find_catalog_entry(const std::string& family, double size_b) {
  const CatalogEntry* found = nullptr;
  for (const auto& e : model_catalog())
    if (e.model.family == family && std::abs(e.nominal_size_b - size_b) < 1e-9) found = &e;  // last = newest
  return found;
}

ModelSpec find_model(const std::string& key) {
  const std::string k = lower(key);
  for (const auto& e : model_catalog())
    if (e.key == k || (!e.nemo_base_config.empty() && e.nemo_base_config == k)) return e.model;
  std::string known;
  for (const auto& e : model_catalog()) known += (known.empty() ? "" : ", ") + e.key;
  throw ConfigError("model", key, "no pre-defined config; known: " + known);
}

}  // namespace hp
