// Exact parameter counts built from Megatron-Core's module structure, and NeMo's closed-form approximation.
#include "hp/model.hpp"

#include <string>
#include <utility>

#include "hp/core.hpp"

namespace hp {
namespace {

using i64 = std::int64_t;

// Upper bounds far above any real model keep every product in the parameter and FLOP counts inside 64 bits
// (layers x experts x 3 x ffn x hidden < 2^63); docs/usage.md "Limits".
constexpr int kMaxLayers = 1 << 12, kMaxHidden = 1 << 17, kMaxFfn = 1 << 20, kMaxHeads = 1 << 14,
              kMaxVocab = 1 << 24, kMaxSeq = 1 << 24, kMaxExperts = 1 << 12, kMaxHeadDim = 1 << 16;

void require_range(const char* key, int value, int min, int max) {
  if (value < min || value > max)
    throw ConfigError(key, std::to_string(value),
                      "expected an integer in " + std::to_string(min) + ".." + std::to_string(max));
}
void require_positive(const char* key, int value, int max) { require_range(key, value, 1, max); }

// One LayerNorm has a weight and a bias; RMSNorm only a weight.
i64 norm_params(const ModelSpec& m) { return m.normalization == "rmsnorm" ? i64(m.hidden_size) : 2 * i64(m.hidden_size); }

// Self-attention: fused QKV (queries for every head, keys and values for every query group) and the output
// projection, with biases when add_bias_linear (Megatron-Core SelfAttention / TransformerLayer).
i64 self_attention_params(const ModelSpec& m) {
  const i64 h = m.hidden_size, d = m.head_dim();
  const i64 q = i64(m.num_attention_heads) * d, kv = 2 * i64(m.query_groups()) * d;
  i64 n = h * (q + kv) + q * h;
  if (m.add_bias_linear) n += (q + kv) + h;
  else if (m.qkv_bias) n += q + kv;  // Qwen2 / ChatGLM: bias on the QKV projection only
  return n;
}

// Cross-attention (T5 decoder): queries from the decoder, keys and values from the encoder output.
i64 cross_attention_params(const ModelSpec& m) {
  const i64 h = m.hidden_size, p = i64(m.num_attention_heads) * m.head_dim();
  i64 n = h * p + 2 * h * p + p * h;
  if (m.add_bias_linear) n += 3 * p + h;
  return n;
}

// MLP of width ffn: gated activations (SwiGLU, GeGLU) have two input projections (Shazeer 2020).
i64 mlp_params(const ModelSpec& m, i64 ffn) {
  const i64 h = m.hidden_size, in = m.gated_mlp() ? 2 * ffn : ffn;
  i64 n = h * in + ffn * h;
  if (m.add_bias_linear) n += in + h;
  return n;
}

// Multi-latent attention (DeepSeek-V2, arXiv 2405.04434 section 2.1, eqs. 9-14 and 37-43; Megatron-Core
// MLASelfAttention in multi_latent_attention.py): with a = heads, d = qk_head_dim, r = qk_pos_emb_head_dim,
// v = v_head_dim, c' = q_lora_rank, c = kv_lora_rank:
//   queries  h*c' + c'*a*(d+r)  (linear_q_down_proj, linear_q_up_proj), or h*a*(d+r) without Q compression;
//   latent   h*(c+r)            (linear_kv_down_proj: the KV latent and the shared RoPE key);
//   K and V  c*a*(d+v)          (linear_kv_up_proj);
//   output   a*v*h              (linear_proj, the only one with a bias when add_bias_linear).
// The q/kv latent norms are counted with the norms (mla_norm_params).
i64 mla_attention_params(const ModelSpec& m) {
  const i64 h = m.hidden_size, a = m.num_attention_heads, qk = i64(m.qk_head_dim) + m.qk_pos_emb_head_dim;
  const i64 qr = m.q_lora_rank, kvr = m.kv_lora_rank, v = m.v_head_dim;
  i64 n = qr > 0 ? h * qr + qr * a * qk : h * a * qk;
  n += h * (kvr + m.qk_pos_emb_head_dim) + kvr * a * (m.qk_head_dim + v);
  n += a * v * h + (m.add_bias_linear ? h : 0);
  return n;
}

// q_layernorm (when Q is compressed) and kv_layernorm over the latents, RMSNorm or LayerNorm like the model's.
i64 mla_norm_params(const ModelSpec& m) {
  const i64 per = m.normalization == "rmsnorm" ? 1 : 2;
  return per * (i64(m.q_lora_rank) + m.kv_lora_rank);
}

// MLA fields: all set (and consistent) exactly when multi_latent_attention is on.
void validate_mla(const ModelSpec& m) {
  const std::pair<const char*, int> fields[] = {{"q_lora_rank", m.q_lora_rank},
                                                {"kv_lora_rank", m.kv_lora_rank},
                                                {"qk_head_dim", m.qk_head_dim},
                                                {"qk_pos_emb_head_dim", m.qk_pos_emb_head_dim},
                                                {"v_head_dim", m.v_head_dim}};
  if (!m.is_mla()) {
    for (const auto& [key, value] : fields)
      if (value != 0)
        throw ConfigError(key, std::to_string(value), "is a multi-latent attention dimension; set multi_latent_attention");
    return;
  }
  require_range("q_lora_rank", m.q_lora_rank, 0, kMaxHidden);  // 0 = no query compression (Megatron's None)
  require_positive("kv_lora_rank", m.kv_lora_rank, kMaxHidden);
  require_positive("qk_head_dim", m.qk_head_dim, kMaxHeadDim);
  require_positive("qk_pos_emb_head_dim", m.qk_pos_emb_head_dim, kMaxHeadDim);
  require_positive("v_head_dim", m.v_head_dim, kMaxHeadDim);
  // RoPE rotates pairs of channels (Su et al. 2021, RoFormer eq. 34), so the decoupled RoPE part is even.
  if (m.qk_pos_emb_head_dim % 2 != 0)
    throw ConfigError("qk_pos_emb_head_dim", std::to_string(m.qk_pos_emb_head_dim), "must be even (RoPE rotates channel pairs)");
  // Megatron's MLA has no query groups (num_floating_point_operations asserts not group_query_attention).
  if (m.num_query_groups != 0 && m.num_query_groups != m.num_attention_heads)
    throw ConfigError("num_query_groups", std::to_string(m.num_query_groups),
                      "multi-latent attention has no query groups (leave it 0 or equal to num_attention_heads)");
  if (m.position_embedding != "rope")
    throw ConfigError("position_embedding", m.position_embedding, "multi-latent attention uses its decoupled RoPE (expected rope)");
  if (m.is_encoder_decoder()) throw ConfigError("multi_latent_attention", "true", "is for decoder-only models");
}

// Sliding window: a window of 0..kMaxSeq tokens (one at or beyond the context simply has no effect) and a pattern
// that leaves at least one full-attention layer among num_layers (0 = every layer windowed).
void validate_sliding_window(const ModelSpec& m) {
  require_range("sliding_window", m.sliding_window, 0, kMaxSeq);
  const int n = m.sliding_window_pattern, layers = m.num_layers;
  if (n == 0) return;
  if (n < 0)
    throw ConfigError("sliding_window_pattern", std::to_string(n),
                      "expected 0 (every layer windowed) or n >= 2 (every n-th layer full attention)");
  if (m.sliding_window == 0)
    throw ConfigError("sliding_window_pattern", std::to_string(n), "needs a sliding_window (tokens) > 0");
  if (n == 1)
    throw ConfigError("sliding_window_pattern", "1", "makes every layer full attention: set sliding_window 0 instead");
  if (n > layers)
    throw ConfigError("sliding_window_pattern", std::to_string(n),
                      "leaves no full-attention layer among num_layers=" + std::to_string(layers) +
                          " (use 0 for a window on every layer)");
}

}  // namespace

void validate(const ModelSpec& m) {
  require_positive("num_layers", m.num_layers, kMaxLayers);
  require_positive("hidden_size", m.hidden_size, kMaxHidden);
  require_positive("ffn_hidden_size", m.ffn_hidden_size, kMaxFfn);
  require_positive("num_attention_heads", m.num_attention_heads, kMaxHeads);
  require_positive("vocab_size", m.vocab_size, kMaxVocab);
  require_positive("seq_length", m.seq_length, kMaxSeq);
  require_range("num_decoder_layers", m.num_decoder_layers, 0, kMaxLayers);
  require_range("decoder_seq_length", m.decoder_seq_length, 0, kMaxSeq);
  require_range("max_position_embeddings", m.max_position_embeddings, 0, kMaxSeq);
  require_range("kv_channels", m.kv_channels, 0, kMaxHeadDim);
  require_range("moe_ffn_hidden_size", m.moe_ffn_hidden_size, 0, kMaxFfn);
  require_range("moe_shared_expert_ffn_size", m.moe_shared_expert_ffn_size, 0, kMaxFfn);
  require_range("moe_layer_freq", m.moe_layer_freq, 0, kMaxLayers);
  require_range("first_k_dense_replace", m.first_k_dense_replace, 0, kMaxLayers);
  require_range("mtp_num_layers", m.mtp_num_layers, 0, kMaxLayers);
  validate_mla(m);
  validate_sliding_window(m);
  if (m.sliding_window > 0 && (m.is_encoder_decoder() || m.is_bert()))
    throw ConfigError("sliding_window", std::to_string(m.sliding_window), "is for causal decoder-only models");
  if (!m.is_mla() && m.kv_channels == 0 && m.hidden_size % m.num_attention_heads != 0)
    throw ConfigError("num_attention_heads", std::to_string(m.num_attention_heads),
                      "must divide hidden_size=" + std::to_string(m.hidden_size) + " (or set kv_channels)");
  if (m.num_query_groups < 0 || (m.num_query_groups > 0 && m.num_attention_heads % m.num_query_groups != 0))
    throw ConfigError("num_query_groups", std::to_string(m.num_query_groups),
                      "must divide num_attention_heads=" + std::to_string(m.num_attention_heads));
  if (m.position_embedding != "learned_absolute" && m.position_embedding != "rope" && m.position_embedding != "relative" &&
      m.position_embedding != "alibi")
    throw ConfigError("position_embedding", m.position_embedding, "expected learned_absolute, rope, relative or alibi");
  if (m.activation != "gelu" && m.activation != "geglu" && m.activation != "swiglu" && m.activation != "relu")
    throw ConfigError("activation", m.activation, "expected gelu, geglu, swiglu or relu");
  if (m.normalization != "layernorm" && m.normalization != "rmsnorm")
    throw ConfigError("normalization", m.normalization, "expected layernorm or rmsnorm");
  require_range("moe_num_experts", m.moe_num_experts, 0, kMaxExperts);
  if (m.is_moe() && (m.moe_topk <= 0 || m.moe_topk > m.moe_num_experts))
    throw ConfigError("moe_topk", std::to_string(m.moe_topk),
                      "must be in 1..moe_num_experts=" + std::to_string(m.moe_num_experts));
  if (m.is_moe() && m.first_k_dense_replace >= m.num_layers)
    throw ConfigError("first_k_dense_replace", std::to_string(m.first_k_dense_replace),
                      "leaves no MoE layer (num_layers=" + std::to_string(m.num_layers) + ")");
}

ParameterCount count_parameters(const ModelSpec& m) {
  validate(m);
  ParameterCount c;
  const i64 h = m.hidden_size, V = m.vocab_size;
  c.embedding = V * h;
  if (m.position_embedding == "learned_absolute") {
    c.position_embedding = i64(m.max_position_embeddings > 0 ? m.max_position_embeddings : m.seq_length) * h;
  } else if (m.position_embedding == "relative") {
    // T5 relative attention bias: one bucket table per head, in the encoder and in the decoder stack.
    c.position_embedding = i64(m.relative_attention_num_buckets) * m.num_attention_heads * (m.is_encoder_decoder() ? 2 : 1);
  }

  const i64 expert_ffn = m.moe_ffn_hidden_size > 0 ? m.moe_ffn_hidden_size : m.ffn_hidden_size;
  i64 inactive_expert_params = 0;
  auto add_layer = [&](int layer, bool decoder_of_t5) {
    c.attention += m.is_mla() ? mla_attention_params(m) : self_attention_params(m);
    c.norms += 2 * norm_params(m) + (m.is_mla() ? mla_norm_params(m) : 0);
    if (decoder_of_t5) {
      c.cross_attention += cross_attention_params(m);
      c.norms += norm_params(m);
    }
    if (m.is_moe_layer(layer)) {
      const i64 expert = mlp_params(m, expert_ffn);
      // Megatron-Core TopKRouter: a bias-free h x E linear, plus the E-entry expert bias (DeepSeek-V3's
      // e_score_correction_bias, Megatron-Core moe_router_enable_expert_bias) when enabled.
      const i64 router = h * m.moe_num_experts + (m.moe_router_enable_expert_bias ? m.moe_num_experts : 0);
      const i64 shared = m.moe_shared_expert_ffn_size > 0 ? mlp_params(m, m.moe_shared_expert_ffn_size) : 0;
      c.mlp += expert * m.moe_num_experts + router + shared;
      c.moe_experts += expert * m.moe_num_experts;
      inactive_expert_params += expert * (m.moe_num_experts - m.moe_topk);
    } else {
      c.mlp += mlp_params(m, m.ffn_hidden_size);
    }
  };
  for (int l = 0; l < m.num_layers; ++l) add_layer(l, false);
  for (int l = 0; l < m.num_decoder_layers; ++l) add_layer(l, true);
  if (m.mtp_num_layers > 0) {
    // Multi-token prediction (DeepSeek-V3, arXiv 2412.19437 section 2.2; Megatron-Core
    // MultiTokenPredictionLayer): per depth two RMSNorms of the embedding and of the previous hidden state, the
    // bias-free 2h -> h projection, one transformer layer of the last layer's kind and a final norm; the
    // embedding and the output head are shared with the main model.
    // Counted in c.mtp only (the module totals above stay the main model's); routed experts stay in moe_experts.
    const ParameterCount main = c;
    for (int d = 0; d < m.mtp_num_layers; ++d) add_layer(m.num_layers - 1, false);
    c.mtp = (c.attention - main.attention) + (c.norms - main.norms) + (c.mlp - main.mlp) +
            i64(m.mtp_num_layers) * (3 * norm_params(m) + 2 * h * h);
    c.attention = main.attention;
    c.norms = main.norms;
    c.mlp = main.mlp;
  }
  // Final norm after each stack.
  c.norms += norm_params(m) * (m.is_encoder_decoder() ? 2 : 1);

  if (!m.share_embeddings_and_output_weights) c.output_layer += V * h;
  if (m.is_encoder_decoder()) c.output_layer += V;  // Megatron T5 LM head keeps a vocab-sized bias
  if (m.is_bert()) {
    // Megatron BERT (BertLMHead): dense h x h with bias, a LayerNorm, and a vocab-sized bias on the tied output.
    c.mlp += h * h + h;
    c.norms += norm_params(m);
    c.output_layer += V;
    if (m.bert_binary_head) {
      c.embedding += 2 * h;            // two token-type embeddings
      c.mlp += (h * h + h) + (2 * h + 2);  // pooler (dense + tanh) and the 2-way next-sentence classifier
    }
  }

  c.total = c.embedding + c.position_embedding + c.attention + c.cross_attention + c.mlp + c.norms + c.output_layer + c.mtp;
  c.active = c.total - inactive_expert_params;
  return c;
}

double nemo_approx_parameters(const ModelSpec& m) {
  const double h = m.hidden_size, V = m.vocab_size, s = m.seq_length, L = m.num_layers;
  if (m.is_encoder_decoder()) {
    // NeMo launcher _calculate_model_size, T5/mT5 (an empirical fit with GeGLU's 1.5 factor; L per stack):
    // P = 2 L 1.5F + 3 L p + h (2 + 4 L 1.5F + L (21 + 12 p) + s + V), p = heads * kv_channels.
    const double F = m.ffn_hidden_size, p = double(m.num_attention_heads) * m.head_dim();
    return 2 * L * 1.5 * F + 3 * L * p + h * (2 + 4 * L * 1.5 * F + L * (21 + 12 * p) + s + V);
  }
  if (m.is_bert()) {
    // NeMo launcher _calculate_model_size, BERT: P = L (F + h (4h + 3 heads + 2F + 6)) + h (V + s + h + 5).
    const double F = m.ffn_hidden_size, a = m.num_attention_heads;
    return L * (F + h * (4 * h + 3 * a + 2 * F + 6)) + h * (V + s + h + 5);
  }
  // NeMo launcher _calculate_model_size, GPT: 12 L h^2 (1 + 13/(12h) + (V+s)/(12 L h)).
  return 12 * L * h * h * (1 + 13 / (12 * h) + (V + s) / (12 * L * h));
}

}  // namespace hp
