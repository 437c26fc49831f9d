// Model architecture as data, and exact parameter counts built from the modules.
// Public header: standard-library types only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hp {

/// One transformer architecture. Decoder-only (GPT-3, Llama-like, MoE) or encoder-decoder (T5, mT5).
/// Field names follow Megatron-Core / NeMo config keys so YAML and CSV columns map 1:1.
struct ModelSpec {
  std::string family = "gpt3";  ///< gpt3, t5, mt5, bert, llama, mixtral, qwen2, baichuan2, chatglm
  std::string name;             ///< catalogue key, e.g. "gpt3/5b"; empty for a custom model

  int num_layers = 24;          ///< decoder layers (GPT) or encoder layers (T5/mT5)
  int num_decoder_layers = 0;   ///< T5/mT5 decoder layers; 0 for decoder-only models
  int hidden_size = 2048;
  int ffn_hidden_size = 8192;   ///< dense MLP width
  int num_attention_heads = 16;
  int num_query_groups = 0;     ///< GQA groups; 0 means plain multi-head attention (= heads)
  int kv_channels = 0;          ///< per-head dimension; 0 means hidden_size / num_attention_heads
  int vocab_size = 51200;       ///< padded vocabulary (NeMo pads to a multiple of 128 x TP)
  int seq_length = 2048;        ///< encoder sequence length for T5/mT5
  int decoder_seq_length = 0;   ///< T5/mT5 decoder sequence length; 0 for decoder-only models
  int max_position_embeddings = 2048;

  std::string position_embedding = "learned_absolute";  ///< learned_absolute, rope, relative, alibi (no weights)
  std::string activation = "gelu";                      ///< gelu, geglu (mT5), swiglu (Llama)
  std::string normalization = "layernorm";              ///< layernorm, rmsnorm
  bool add_bias_linear = true;                          ///< biases in QKV/proj/MLP linears
  bool qkv_bias = false;                                ///< biases on the fused QKV only (Qwen2, ChatGLM)
  bool share_embeddings_and_output_weights = true;      ///< tied input/output embeddings
  int relative_attention_num_buckets = 32;              ///< T5 relative position buckets
  bool bert_binary_head = false;                        ///< BERT: pooler + next-sentence head and 2 token types

  // Mixture of experts (0 experts = dense).
  int moe_num_experts = 0;
  int moe_topk = 0;
  int moe_ffn_hidden_size = 0;        ///< per-expert FFN width; 0 means ffn_hidden_size
  int moe_shared_expert_ffn_size = 0; ///< total width of always-on shared experts; 0 = none
  int moe_layer_freq = 1;             ///< layer l (0-based) is MoE when l % moe_layer_freq == 0 (1 = all layers)
  int first_k_dense_replace = 0;      ///< DeepSeek: the first k layers are dense (ffn_hidden_size), the rest MoE
  bool moe_router_enable_expert_bias = false;  ///< per-expert routing bias (DeepSeek-V3): E parameters per MoE layer
  int mtp_num_layers = 0;             ///< multi-token prediction layers (Megatron-Core; DeepSeek-V3 trains with 1)

  // Multi-latent attention (DeepSeek-V2, arXiv 2405.04434 section 2.1; Megatron-Core MLATransformerConfig).
  // When on, the attention shapes come from these fields; num_query_groups and kv_channels are not used.
  bool multi_latent_attention = false;
  int q_lora_rank = 0;          ///< query latent rank; 0 = queries projected from the hidden state (Megatron None)
  int kv_lora_rank = 0;         ///< key/value latent rank (compressed KV per token)
  int qk_head_dim = 0;          ///< per-head query/key dimension without the RoPE part
  int qk_pos_emb_head_dim = 0;  ///< per-head decoupled RoPE dimension (one RoPE key per token, shared by heads)
  int v_head_dim = 0;           ///< per-head value dimension

  // Sliding-window attention (Mistral 7B, arXiv 2310.06825 Section 2; Gemma 2/3; gpt-oss): a window layer's query
  // at position i attends to the keys i - sliding_window + 1 .. i, so its KV cache keeps at most sliding_window tokens.
  // Names: Hugging Face `sliding_window` (Megatron-Core window_size[0]) and Gemma 3's `sliding_window_pattern`
  // (Megatron-Core window_attn_skip_freq): every n-th layer, 1-based, is full attention; 0 = every layer uses the
  // window (Mistral). gpt-oss and Gemma 2 alternate (layer_types sliding/full from layer 0): pattern 2.
  int sliding_window = 0;          ///< tokens; 0 = no window (full attention everywhere)
  int sliding_window_pattern = 0;  ///< 0 = every layer windowed; n >= 2: layer l (0-based) is full when (l+1) % n == 0

  bool is_encoder_decoder() const noexcept { return num_decoder_layers > 0; }
  /// Megatron-Core is_layer_window_attention (transformer/utils.py) with 0-based layers.
  bool is_sliding_window_layer(int layer) const noexcept {
    return sliding_window > 0 && (sliding_window_pattern <= 1 || (layer + 1) % sliding_window_pattern != 0);
  }
  /// Layers with the window among num_layers (pattern n: all but the floor(L / n) full layers).
  int num_sliding_window_layers() const noexcept {
    if (sliding_window <= 0) return 0;
    return sliding_window_pattern <= 1 ? num_layers : num_layers - num_layers / sliding_window_pattern;
  }
  bool is_mla() const noexcept { return multi_latent_attention; }
  /// DeepSeek's rule (modeling_deepseek.py; Megatron-Core moe_layer_freq with a list of 0/1 per layer):
  /// layer l is MoE when l >= first_k_dense_replace and l % moe_layer_freq == 0.
  bool is_moe_layer(int layer) const noexcept {
    return is_moe() && layer >= first_k_dense_replace && (moe_layer_freq <= 1 || layer % moe_layer_freq == 0);
  }
  /// MoE layers among num_layers: multiples of the frequency in [first_k_dense_replace, num_layers).
  int num_moe_layers() const noexcept {
    if (!is_moe()) return 0;
    const long long f = moe_layer_freq <= 1 ? 1 : moe_layer_freq, k = first_k_dense_replace < 0 ? 0 : first_k_dense_replace;
    const long long L = num_layers, below_L = (L + f - 1) / f, below_k = (k + f - 1) / f;
    return L > k ? static_cast<int>(below_L - below_k) : 0;
  }
  bool is_moe() const noexcept { return moe_num_experts > 0; }
  /// Encoder-only BERT: a GPT-shaped stack plus the masked-LM head (and optionally pooler/binary head).
  bool is_bert() const noexcept { return family == "bert"; }
  int query_groups() const noexcept { return num_query_groups > 0 ? num_query_groups : num_attention_heads; }
  int head_dim() const noexcept { return kv_channels > 0 ? kv_channels : hidden_size / num_attention_heads; }
  bool gated_mlp() const noexcept { return activation == "swiglu" || activation == "geglu"; }
};

/// Parameter count by module, exact for the architecture (Megatron-Core layer structure).
struct ParameterCount {
  std::int64_t embedding = 0;          ///< word embeddings (input)
  std::int64_t position_embedding = 0; ///< learned absolute or T5 relative-bias tables
  std::int64_t attention = 0;          ///< all self-attention blocks (QKV, output projection, biases)
  std::int64_t cross_attention = 0;    ///< T5 decoder cross-attention blocks
  std::int64_t mlp = 0;                ///< dense MLPs (and MoE experts, routers)
  std::int64_t norms = 0;              ///< all LayerNorm / RMSNorm weights (and biases)
  std::int64_t output_layer = 0;       ///< untied output projection (0 when tied) + T5 LM-head bias
  std::int64_t total = 0;
  std::int64_t active = 0;             ///< parameters used per token (MoE: top-k experts only)
  std::int64_t moe_experts = 0;        ///< parameters inside routed experts (sharded by EP)
  std::int64_t mtp = 0;                ///< multi-token prediction blocks (in total; embedding and head shared)
};

/// Check a ModelSpec: every error names the field and the value (throws ConfigError).
void validate(const ModelSpec& model);

/// Exact count built from the modules.
ParameterCount count_parameters(const ModelSpec& model);

/// NeMo launcher's closed-form approximation in parameters (nemo_autoconfigurator.md section 3.3).
double nemo_approx_parameters(const ModelSpec& model);

}  // namespace hp
