// Served-model names and the catalogue of today's served models (served_models.hpp). Architectures are the models'
// Hugging Face config.json values; parameter counts are checked against the model cards in
// tests/cpp/test_served_models.cpp. Naming rule: docs/usage.md, "Served-model names".
#include "hp/served_models.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <vector>

#include "hp/core.hpp"
#include "hp/inference_validate.hpp"
#include "hp/serving_search.hpp"

namespace hp {
namespace {

using Fields = std::map<std::string, std::string>;

/// A Llama-like decoder (RoPE, SwiGLU, RMSNorm, no biases, untied embeddings) through the architecture-column path.
ModelSpec llama_like(const char* key, const char* family, Fields f) {
  ModelSpec m = architecture_model(key, f, std::string("served model ") + key);
  m.family = family;
  return m;
}

CatalogEntry served(const char* key, double published_b, ModelSpec m) {
  m.name = key;
  validate(m);
  return CatalogEntry{key, published_b, published_b, std::move(m), ""};
}

ModelSpec with_head_dim(ModelSpec m, int head_dim) {
  m.kv_channels = head_dim;
  return m;
}

/// gpt-oss (OpenAI 2025, gpt-oss model card; config.json): biases on QKV, the output projection, the experts and the
/// router, head_dim 64 (64 query and 8 K/V heads at hidden 2880), 128k context (YaRN). Every other layer attends to
/// a 128-token sliding window: config.json "sliding_window": 128 and "layer_types" alternating "sliding_attention",
/// "full_attention" from layer 0 (the model card: "alternating dense and locally banded sparse attention patterns,
/// similar to GPT-3"), i.e. sliding_window_pattern 2. Not modelled: the per-head attention sinks (64 parameters a
/// layer).
ModelSpec gpt_oss(const char* key, int layers, int experts) {
  ModelSpec m = llama_like(key, "mixtral",
                           {{"num_layers", std::to_string(layers)}, {"hidden_size", "2880"}, {"num_attention_heads", "64"},
                            {"num_query_groups", "8"}, {"ffn_hidden_size", "2880"}, {"vocab_size", "201088"},
                            {"max_position_embeddings", "131072"}, {"moe_num_experts", std::to_string(experts)},
                            {"moe_topk", "4"}});
  m.kv_channels = 64;
  m.add_bias_linear = true;
  m.sliding_window = 128;
  m.sliding_window_pattern = 2;
  validate(m);
  return m;
}

/// Llama 4 (Meta model card; config.json text_config): 48 layers, hidden 5120, 40 query / 8 K/V heads of 128, one
/// routed expert (top-1) of FFN 8192 plus an always-on shared expert of 8192, vocabulary 202,048. Scout: 16 experts
/// in every layer, 10M context; Maverick: 128 experts in every other layer (interleave_moe_layer_step 2; the rest
/// dense with FFN 16384), 1M context. Not modelled: the chunked (8,192-token) attention of three layers in four
/// (their KV cache and reads are counted at full length beyond 8,192 tokens), the vision encoder.
ModelSpec llama4(const char* key, int experts, int moe_layer_freq, const char* max_positions) {
  ModelSpec m = llama_like(key, "mixtral",
                           {{"num_layers", "48"}, {"hidden_size", "5120"}, {"num_attention_heads", "40"},
                            {"num_query_groups", "8"}, {"ffn_hidden_size", moe_layer_freq > 1 ? "16384" : "8192"},
                            {"vocab_size", "202048"}, {"max_position_embeddings", max_positions},
                            {"moe_num_experts", std::to_string(experts)}, {"moe_topk", "1"},
                            {"moe_ffn_hidden_size", "8192"}});
  m.moe_shared_expert_ffn_size = 8192;
  m.moe_layer_freq = moe_layer_freq;
  return m;
}

/// Canonical names that mean an entry of the training catalogue (or, for DeepSeek, the entry whose key names
/// DeepSeek-V3: R1 and V3 share the architecture).
struct Alias {
  const char* canonical;
  const char* target;  ///< served key, catalogue key, or "deepseek-v3" (searched in the catalogue)
};
const Alias kAliases[] = {
    {"llama-2-7b", "llama/llama2_7b"},        {"llama-2-13b", "llama/llama2_13b"},
    {"llama-3-8b", "llama/llama3_8b"},        {"llama-3-70b", "llama/llama3_70b"},
    {"mixtral-8x7b", "mixtral/mixtral_8x7b"}, {"deepseek-r1", "deepseek-v3"},
    {"deepseek-v3", "deepseek-v3"},           {"llama-4-scout", "llama-4-scout-17b-16e"},
    {"llama-4-maverick", "llama-4-maverick-17b-128e"},
};

bool is_dtype_word(const std::string& w, std::string* dtype) {
  static const std::pair<const char*, const char*> kWords[] = {
      {"fp8", "fp8"},   {"fp4", "nvfp4"}, {"nvfp4", "nvfp4"}, {"mxfp4", "mxfp4"},
      {"bf16", "bf16"}, {"fp16", "fp16"}, {"int8", "int8"}};
  for (const auto& [word, d] : kWords)
    if (w == word) {
      if (dtype && dtype->empty()) *dtype = d;
      return true;
    }
  return false;
}

bool is_variant_word(const std::string& w) {
  if (w == "instruct" || w == "chat" || w == "it" || w == "hf" || w == "base" || w == "dynamic") return true;
  // A release date (DeepSeek-R1-0528, Qwen3-...-2507) or a version (Mixtral-8x7B-v0.1).
  if (w.size() == 4 && std::all_of(w.begin(), w.end(), [](unsigned char c) { return std::isdigit(c); })) return true;
  return w.size() >= 2 && w[0] == 'v' && std::isdigit(static_cast<unsigned char>(w[1])) &&
         std::all_of(w.begin() + 1, w.end(), [](unsigned char c) { return std::isdigit(c) || c == '.'; });
}

}  // namespace

const std::vector<CatalogEntry>& served_model_catalog() {
  static const std::vector<CatalogEntry> catalog = [] {
    const Fields llama31_8b = {{"num_layers", "32"}, {"hidden_size", "4096"}, {"num_attention_heads", "32"},
                               {"num_query_groups", "8"}, {"ffn_hidden_size", "14336"}, {"vocab_size", "128256"},
                               {"max_position_embeddings", "131072"}};
    const Fields llama_70b = {{"num_layers", "80"}, {"hidden_size", "8192"}, {"num_attention_heads", "64"},
                              {"num_query_groups", "8"}, {"ffn_hidden_size", "28672"}, {"vocab_size", "128256"},
                              {"max_position_embeddings", "131072"}};
    const Fields mistral_7b = {{"num_layers", "32"}, {"hidden_size", "4096"}, {"num_attention_heads", "32"},
                               {"num_query_groups", "8"}, {"ffn_hidden_size", "14336"}, {"vocab_size", "32000"},
                               {"max_position_embeddings", "32768"}};
    Fields mistral_7b_v01 = mistral_7b;
    mistral_7b_v01["sliding_window"] = "4096";
    return std::vector<CatalogEntry>{
        // Mistral 7B (Jiang et al. 2023; 7.24B): v0.2/v0.3 attend to the whole context (config.json
        // "sliding_window": null; v0.3's 32768-token vocabulary adds 0.01 % of the parameters); v0.1 (its own key,
        // resolve_served_model) has a 4096-token window on every layer (arXiv 2310.06825 Section 2 and Table 1;
        // Mistral-7B-v0.1 config.json "sliding_window": 4096).
        served("mistral-7b", 7.24, llama_like("mistral-7b", "llama", mistral_7b)),
        served("mistral-7b-v0.1", 7.24, llama_like("mistral-7b-v0.1", "llama", mistral_7b_v01)),
        // Mixtral 8x22B (Mistral AI model card: 141B total, 39B active): 8 experts, top-2, 64k context.
        served("mixtral-8x22b", 141,
               llama_like("mixtral-8x22b", "mixtral",
                          {{"num_layers", "56"}, {"hidden_size", "6144"}, {"num_attention_heads", "48"},
                           {"num_query_groups", "8"}, {"ffn_hidden_size", "16384"}, {"vocab_size", "32768"},
                           {"max_position_embeddings", "65536"}, {"moe_num_experts", "8"}, {"moe_topk", "2"}})),
        // Llama 3.1 and 3.3 (Meta model cards; 8.03 / 70.55 / 405.85B): Llama 3's shapes with a 128k context.
        served("llama-3.1-8b", 8.03, llama_like("llama-3.1-8b", "llama", llama31_8b)),
        served("llama-3.1-70b", 70.55, llama_like("llama-3.1-70b", "llama", llama_70b)),
        served("llama-3.1-405b", 405.85,
               llama_like("llama-3.1-405b", "llama",
                          {{"num_layers", "126"}, {"hidden_size", "16384"}, {"num_attention_heads", "128"},
                           {"num_query_groups", "8"}, {"ffn_hidden_size", "53248"}, {"vocab_size", "128256"},
                           {"max_position_embeddings", "131072"}})),
        served("llama-3.3-70b", 70.55, llama_like("llama-3.3-70b", "llama", llama_70b)),
        // Qwen3 MoE (Qwen3 technical report, arXiv 2505.09388, Table 2; config.json): head_dim 128, 4 K/V heads,
        // 128 experts, top-8, no shared expert, every layer MoE, 40,960 positions; 30.5B / 3.3B active and
        // 235B / 22B active. The per-head Q/K RMSNorm weights (256 a layer) are not counted.
        served("qwen3-30b-a3b", 30.5,
               with_head_dim(llama_like("qwen3-30b-a3b", "mixtral",
                                        {{"num_layers", "48"}, {"hidden_size", "2048"}, {"num_attention_heads", "32"},
                                         {"num_query_groups", "4"}, {"ffn_hidden_size", "6144"}, {"vocab_size", "151936"},
                                         {"max_position_embeddings", "40960"}, {"moe_num_experts", "128"},
                                         {"moe_topk", "8"}, {"moe_ffn_hidden_size", "768"}}),
                             128)),
        served("qwen3-235b-a22b", 235,
               with_head_dim(llama_like("qwen3-235b-a22b", "mixtral",
                                        {{"num_layers", "94"}, {"hidden_size", "4096"}, {"num_attention_heads", "64"},
                                         {"num_query_groups", "4"}, {"ffn_hidden_size", "12288"}, {"vocab_size", "151936"},
                                         {"max_position_embeddings", "40960"}, {"moe_num_experts", "128"},
                                         {"moe_topk", "8"}, {"moe_ffn_hidden_size", "1536"}}),
                             128)),
        // gpt-oss (OpenAI model card: 20.91B / 3.61B active, 116.83B / 5.13B active, active counting the unembedding
        // but not the embedding); checkpoint weights MXFP4 in the experts.
        served("gpt-oss-20b", 20.91, gpt_oss("gpt-oss-20b", 24, 32)),
        served("gpt-oss-120b", 116.83, gpt_oss("gpt-oss-120b", 36, 128)),
        // Llama 4 (Meta model card: Scout 109B total, Maverick 400B, 17B active each; the card's totals include the
        // vision encoder, which a text-serving row does not run).
        served("llama-4-scout-17b-16e", 109, llama4("llama-4-scout-17b-16e", 16, 1, "10485760")),
        served("llama-4-maverick-17b-128e", 400, llama4("llama-4-maverick-17b-128e", 128, 2, "1048576")),
    };
  }();
  return catalog;
}

std::string canonical_served_name(const std::string& name, std::string* dtype) {
  std::string s;
  for (char ch : name.substr(name.rfind('/') == std::string::npos ? 0 : name.rfind('/') + 1))
    s += ch == '_' || ch == ' ' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (s.rfind("meta-", 0) == 0) s = s.substr(5);
  if (s.rfind("llama", 0) == 0 && s.size() > 5 && std::isdigit(static_cast<unsigned char>(s[5])))
    s.insert(5, "-");  // llama3-70b, llama2_7b
  // Strip trailing variant and quantization words; never the first word.
  for (size_t dash = s.rfind('-'); dash != std::string::npos && dash > 0; dash = s.rfind('-')) {
    const std::string w = s.substr(dash + 1);
    if (!is_dtype_word(w, dtype) && !is_variant_word(w)) break;
    s.erase(dash);
  }
  return s;
}

ServedModel resolve_served_model(const std::string& name) {
  ServedModel out;
  // Exact names first: catalogue keys and NeMo base configs, then the validation models.
  try {
    out.model = find_model(name);
    out.key = out.model.name;
    return out;
  } catch (const ConfigError&) {
  }
  const std::string canonical = canonical_served_name(name, &out.weight_dtype);
  std::string target = canonical;
  for (const Alias& a : kAliases)
    if (canonical == a.canonical) target = a.target;
  // The variant rule strips version words, but only Mistral 7B v0.1 has the sliding window: its own entry.
  std::string lower;
  for (char ch : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (target == "mistral-7b" && lower.find("v0.1") != std::string::npos) target = "mistral-7b-v0.1";
  for (const auto& e : served_model_catalog())
    if (e.key == target) {
      out.model = e.model;
      out.key = e.key;
      if (out.weight_dtype.empty() && target.rfind("gpt-oss", 0) == 0) out.weight_dtype = "mxfp4";
      return out;
    }
  if (target == "deepseek-v3") {
    for (const auto& e : model_catalog())
      if ((e.key + e.nemo_base_config).find("deepseek") != std::string::npos &&
          (e.key + e.nemo_base_config).find("v3") != std::string::npos) {
        out.model = e.model;
        out.key = e.key;
        if (out.weight_dtype.empty()) out.weight_dtype = "fp8";  // DeepSeek-V3/R1 checkpoints are FP8 (block scaled)
        return out;
      }
  }
  try {
    out.model = target.find('/') != std::string::npos ? find_model(target) : validation_model(target);
    out.key = target;
    return out;
  } catch (const ConfigError&) {
  }
  std::string known;
  for (const auto& e : served_model_catalog()) known += (known.empty() ? "" : ", ") + e.key;
  for (const Alias& a : kAliases) known += std::string(", ") + a.canonical;
  throw ConfigError("model", name,
                    "unknown model (read as '" + canonical + "'); served names known: " + known +
                        ", the validation models, or a catalogue key (hp-cli models); else give the architecture");
}

}  // namespace hp
