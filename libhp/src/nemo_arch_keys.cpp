// MoE layer pattern, multi-token prediction and multi-latent attention in NeMo's YAML, with Megatron-Core's
// names (TransformerConfig / MLATransformerConfig): moe_ffn_hidden_size, moe_shared_expert_intermediate_size,
// moe_layer_freq (an int, or a 0/1 list per layer as NeMo's DeepSeek recipes write it), moe_router_enable_expert_bias,
// mtp_num_layers, multi_latent_attention, q_lora_rank (null = no query compression), kv_lora_rank, qk_head_dim,
// qk_pos_emb_head_dim, v_head_dim; sliding-window attention: window_size [W, 0] (left, right; Megatron-Bridge's gpt-oss
// writes (128, 0) for Hugging Face's sliding_window 128) and window_attn_skip_freq (an int: every n-th layer full).
#include "nemo_arch_keys.hpp"

#include "hp/core.hpp"
#include "yaml_util.hpp"

namespace hp::detail {

std::vector<std::pair<std::string, std::string>> architecture_keys(const ModelSpec& m) {
  std::vector<std::pair<std::string, std::string>> r;
  auto put = [&r](const char* key, long long v) { r.emplace_back(key, std::to_string(v)); };
  if (m.is_moe()) {
    if (m.moe_ffn_hidden_size > 0) put("moe_ffn_hidden_size", m.moe_ffn_hidden_size);
    if (m.moe_shared_expert_ffn_size > 0) put("moe_shared_expert_intermediate_size", m.moe_shared_expert_ffn_size);
    if (m.first_k_dense_replace > 0) {
      std::string list = "[";  // Megatron-Core takes the per-layer pattern as a list
      for (int l = 0; l < m.num_layers; ++l) list += std::string(l ? ", " : "") + (m.is_moe_layer(l) ? "1" : "0");
      r.emplace_back("moe_layer_freq", list + "]");
    } else if (m.moe_layer_freq > 1) {
      put("moe_layer_freq", m.moe_layer_freq);
    }
    if (m.moe_router_enable_expert_bias) r.emplace_back("moe_router_enable_expert_bias", "true");
  }
  if (m.mtp_num_layers > 0) put("mtp_num_layers", m.mtp_num_layers);
  if (m.is_mla()) {
    r.emplace_back("multi_latent_attention", "true");
    r.emplace_back("q_lora_rank", m.q_lora_rank > 0 ? std::to_string(m.q_lora_rank) : "null");
    put("kv_lora_rank", m.kv_lora_rank);
    put("qk_head_dim", m.qk_head_dim);
    put("qk_pos_emb_head_dim", m.qk_pos_emb_head_dim);
    put("v_head_dim", m.v_head_dim);
  }
  if (m.sliding_window > 0) {
    r.emplace_back("window_size", "[" + std::to_string(m.sliding_window) + ", 0]");
    if (m.sliding_window_pattern > 1) put("window_attn_skip_freq", m.sliding_window_pattern);
  }
  return r;
}

namespace {

// A 0/1 list as (first_k_dense_replace, moe_layer_freq): the first MoE layer and the gap to the next; the whole
// list must follow that rule (DeepSeek's layer >= k and layer % freq == 0).
void read_layer_pattern(const YAML::Node& n, const std::string& key, ModelSpec& m) {
  std::vector<int> pattern;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const int v = yaml::get_int(n[i], key + "[" + std::to_string(i) + "]");
    if (v != 0 && v != 1) throw ConfigError(key + "[" + std::to_string(i) + "]", std::to_string(v), "expected 0 (dense) or 1 (MoE)");
    pattern.push_back(v);
  }
  if (static_cast<int>(pattern.size()) != m.num_layers)
    throw ConfigError(key, yaml::text(n), "has " + std::to_string(pattern.size()) + " entries; expected num_layers=" +
                                              std::to_string(m.num_layers));
  int first = -1, freq = 1;
  for (int l = 0; l < m.num_layers; ++l)
    if (pattern[static_cast<std::size_t>(l)] == 1) {
      if (first < 0) first = l;
      else {
        freq = l - first;
        break;
      }
    }
  if (first < 0) throw ConfigError(key, yaml::text(n), "has no MoE layer (1)");
  ModelSpec probe = m;
  probe.first_k_dense_replace = first;
  probe.moe_layer_freq = freq;
  for (int l = 0; l < m.num_layers; ++l)
    if (probe.is_moe_layer(l) != (pattern[static_cast<std::size_t>(l)] == 1))
      throw ConfigError(key, yaml::text(n), "is not 'the first k layers dense, then every n-th layer MoE' (layer " +
                                                std::to_string(l) + ")");
  m.first_k_dense_replace = first;
  m.moe_layer_freq = freq;
}

int opt_int(const YAML::Node& n, const std::string& key, int fallback) {
  return yaml::is_null(n) ? fallback : yaml::get_int(n, key);
}

// Megatron-Core window_size: null (full attention) or (left, right) with right 0 (causal); -1 left is an infinite
// window. window_attn_skip_freq: null (every layer windowed) or n; a per-layer list is not taken.
void read_window(const YAML::Node& s, const std::string& prefix, ModelSpec& m) {
  const YAML::Node w = s["window_size"];
  if (!yaml::is_null(w)) {
    const std::vector<int> lr = yaml::get_int_list(w, prefix + "window_size");
    if (lr.size() != 2 || lr[1] != 0 || lr[0] < -1 || lr[0] == 0)
      throw ConfigError(prefix + "window_size", yaml::text(w), "expected [W, 0] (W >= 1 tokens; -1 = no window) or null");
    m.sliding_window = lr[0] < 0 ? 0 : lr[0];
  }
  const YAML::Node f = s["window_attn_skip_freq"];
  if (yaml::is_null(f) || m.sliding_window == 0) return;  // Megatron ignores the frequency without a window
  if (f.IsSequence())
    throw ConfigError(prefix + "window_attn_skip_freq", yaml::text(f), "a per-layer list is not modelled: give an int n");
  const int n = yaml::get_int(f, prefix + "window_attn_skip_freq");
  if (n < 1) throw ConfigError(prefix + "window_attn_skip_freq", yaml::text(f), "expected an integer >= 1 or null");
  // Megatron-Core is_layer_window_attention: 1 makes every layer full, n > num_layers none.
  if (n == 1) m.sliding_window = 0;
  m.sliding_window_pattern = n == 1 || n > m.num_layers ? 0 : n;
}

}  // namespace

void read_architecture_keys(const YAML::Node& s, const std::string& prefix, ModelSpec& m) {
  m.moe_ffn_hidden_size = opt_int(s["moe_ffn_hidden_size"], prefix + "moe_ffn_hidden_size", m.moe_ffn_hidden_size);
  m.moe_shared_expert_ffn_size =
      opt_int(s["moe_shared_expert_intermediate_size"], prefix + "moe_shared_expert_intermediate_size", m.moe_shared_expert_ffn_size);
  const YAML::Node freq = s["moe_layer_freq"];
  if (freq.IsDefined() && freq.IsSequence()) read_layer_pattern(freq, prefix + "moe_layer_freq", m);
  else m.moe_layer_freq = opt_int(freq, prefix + "moe_layer_freq", m.moe_layer_freq);
  if (!yaml::is_null(s["moe_router_enable_expert_bias"]))
    m.moe_router_enable_expert_bias = yaml::get_bool(s["moe_router_enable_expert_bias"], prefix + "moe_router_enable_expert_bias");
  m.mtp_num_layers = opt_int(s["mtp_num_layers"], prefix + "mtp_num_layers", m.mtp_num_layers);
  read_window(s, prefix, m);
  if (!yaml::is_null(s["multi_latent_attention"]))
    m.multi_latent_attention = yaml::get_bool(s["multi_latent_attention"], prefix + "multi_latent_attention");
  if (!m.multi_latent_attention) return;  // the MLA dimensions mean nothing without it (Megatron ignores them)
  // MLATransformerConfig defaults for absent keys; q_lora_rank: null means no query compression.
  const YAML::Node q = s["q_lora_rank"];
  m.q_lora_rank = !q.IsDefined() ? 512 : yaml::is_null(q) ? 0 : yaml::get_int(q, prefix + "q_lora_rank");
  m.kv_lora_rank = opt_int(s["kv_lora_rank"], prefix + "kv_lora_rank", 512);
  m.qk_head_dim = opt_int(s["qk_head_dim"], prefix + "qk_head_dim", 128);
  m.qk_pos_emb_head_dim = opt_int(s["qk_pos_emb_head_dim"], prefix + "qk_pos_emb_head_dim", 64);
  m.v_head_dim = opt_int(s["v_head_dim"], prefix + "v_head_dim", 128);
  m.num_query_groups = 0;  // MLA has no query groups
}

}  // namespace hp::detail
