// Layer shapes, parameters per pipeline stage and Megatron-Core model FLOPs.
// Sources: Megatron-Core layer structure (parameter shapes); Megatron-LM training.py
// num_floating_point_operations (FLOPs). docs/model.md "Parameters" and "FLOPs".
#include <algorithm>
#include <cmath>

#include "perf_shape.hpp"

namespace hp::detail {

namespace {

// Multi-latent attention (DeepSeek-V2, arXiv 2405.04434 section 2.1; Megatron-Core multi_latent_attention.py),
// a heads, d = qk_head_dim, r = qk_pos_emb_head_dim, v = v_head_dim, c' = q_lora_rank, c = kv_lora_rank:
// - TP-split GEMMs (column-parallel Q / Q-up and KV-up, row-parallel output): c'*a*(d+r) (or h*a*(d+r)) +
//   c*a*(d+v) + a*v*h MACs per token;
// - the down projections h*c' and h*(c+r) are "duplicated" TELinear layers: every TP rank holds them and runs
//   them on its tokens (all tokens without SP, its sequence shard with SP);
// - core attention: Q K^T over d+r channels per head and scores x V over v (Megatron num_floating_point_operations);
// - under SP the attention block gathers the latents (c' or h, c, and the RoPE key r) instead of the hidden state.
void set_mla(const ModelSpec& m, Shape& s) {
  const double a = s.a, d = m.qk_head_dim, r = m.qk_pos_emb_head_dim, v = m.v_head_dim;
  const double qr = m.q_lora_rank, kvr = m.kv_lora_rank;
  s.mla = true;
  s.attn_proj = (qr > 0 ? qr : s.h) * a * (d + r) + kvr * a * (d + v) + a * v * s.h;
  s.attn_proj_rep = (qr > 0 ? s.h * qr : 0) + s.h * (kvr + r);
  s.attn_norm_macs = qr + kvr;
  s.core_qk = a * (d + r);
  s.core_v = a * v;
  s.proj_in = a * v;
  s.kv_exchange = a * (d + r) + a * v;
  s.latents = qr + kvr;
  s.attn_gather = (qr > 0 ? qr : s.h) + kvr + r;
  s.attn_params = s.attn_proj + (s.bias ? s.h : 0);  // only linear_proj has a bias in Megatron's MLA
  s.attn_params_rep = s.attn_proj_rep + s.norm_params * (qr + kvr);
  s.cross_attn_params = 0;
}

}  // namespace

Shape make_shape(const ModelSpec& m, const Layout& l) {
  Shape s;
  s.h = m.hidden_size;
  s.a = m.num_attention_heads;
  s.g = m.query_groups();
  s.d = m.head_dim();
  s.q_dim = s.a * s.d;
  s.kv_dim = s.g * s.d;
  s.attn_proj = s.h * (2 * s.q_dim + 2 * s.kv_dim);
  s.core_qk = s.core_v = s.proj_in = s.q_dim;
  s.kv_exchange = 2 * s.kv_dim;
  s.attn_gather = s.h;
  s.ffn = m.ffn_hidden_size;
  s.moe_ffn = m.moe_ffn_hidden_size > 0 ? m.moe_ffn_hidden_size : m.ffn_hidden_size;
  s.shared_ffn = m.moe_shared_expert_ffn_size;
  s.mlp_mats = m.gated_mlp() ? 3 : 2;
  s.vocab = m.vocab_size;
  s.experts = m.moe_num_experts;
  s.topk = m.is_moe() ? std::max(1, m.moe_topk) : 0;
  s.num_decoder_layers = m.is_encoder_decoder() ? m.num_decoder_layers : 0;
  s.num_layers = m.num_layers + s.num_decoder_layers;
  s.num_moe_layers = m.num_moe_layers();  // every moe_layer_freq-th layer after the first_k_dense_replace dense ones
  s.mtp_layers = m.is_encoder_decoder() ? 0 : m.mtp_num_layers;
  s.mtp_moe = m.is_moe_layer(m.num_layers - 1);
  s.seq = m.seq_length;
  s.dec_seq = m.is_encoder_decoder() ? (m.decoder_seq_length > 0 ? m.decoder_seq_length : m.seq_length) : 0;
  s.causal = !m.is_encoder_decoder() && !m.is_bert();  // BERT attends both ways
  s.swa_frac = static_cast<double>(m.num_sliding_window_layers()) / m.num_layers;
  s.window = m.sliding_window;
  s.bias = m.add_bias_linear;
  s.norm_params = m.normalization == "rmsnorm" ? 1 : 2;
  s.tied = m.share_embeddings_and_output_weights;
  if (m.position_embedding == "learned_absolute") s.position_params = double(m.max_position_embeddings) * s.h;
  else if (m.position_embedding == "relative") s.position_params = double(m.relative_attention_num_buckets) * s.a;

  s.tp = l.tp;
  s.pp = l.pp;
  s.vp = std::max(1, l.vp);
  s.cp = l.cp;
  s.ep = l.ep;
  s.etp = l.expert_tp(m.is_moe());
  s.dp = l.dp();
  s.mbs = l.mbs;
  s.micro_batches = l.num_micro_batches();
  s.sp = l.sequence_parallel && l.tp > 1;
  // Uneven splits are allowed (Megatron-Core first/last-stage layer counts): the busiest rank holds
  // ceil(L / (p v)) layers per model chunk.
  // With account_for_embedding / account_for_loss (Megatron-Core) the embedding and the loss fill one layer slot
  // each of the first / last stage: (L + 1 + 1) / (p v) layers per chunk, one fewer on those stages.
  const double emb = l.pp > 1 && l.account_for_embedding ? 1 : 0;
  const double loss = l.pp > 1 && l.account_for_loss ? 1 : 0;
  s.layers_per_stage = std::ceil((s.num_layers + emb + loss) / (s.pp * s.vp)) * s.vp;
  s.first_stage_layers = s.layers_per_stage - emb;
  s.last_stage_layers = s.layers_per_stage - loss;
  // Without interleaving or embedding/loss slots an uneven layout is the split the NeMo configs write
  // (uneven_pipeline_split: first and last stages lighter).
  UnevenPipelineSplit split;
  if (uneven_pipeline_split(m, l, &split)) {
    s.layers_per_stage = split.middle > 0 ? split.middle : split.first;
    s.first_stage_layers = split.first;
    s.last_stage_layers = split.last;
  }
  // Multi-token prediction runs its layers after the main stack, on the last pipeline stage (Megatron-Core
  // MultiTokenPredictionBlock); counted there as transformer layers of the average kind.
  s.last_stage_layers += s.mtp_layers;
  if (l.pp == 1) s.first_stage_layers += s.mtp_layers;
  s.fsdp = l.fsdp;

  // Self-attention: Q (h x a*d), K and V (h x g*d each), output projection (a*d x h), biases.
  s.attn_params = s.h * (2 * s.q_dim + 2 * s.kv_dim) + (s.bias ? s.q_dim + 2 * s.kv_dim + s.h : 0) +
                  (!s.bias && m.qkv_bias ? s.q_dim + 2 * s.kv_dim : 0);  // Qwen2/ChatGLM: QKV bias only
  s.cross_attn_params = s.attn_params;
  if (m.is_mla()) set_mla(m, s);
  // MLP: fc1 (h x F, or h x 2F gated) and fc2 (F x h), biases.
  s.mlp_params = s.mlp_mats * s.h * s.ffn + (s.bias ? (s.mlp_mats - 1) * s.ffn + s.h : 0);
  if (m.is_moe()) {
    s.moe_expert_params = s.experts * s.mlp_mats * s.h * s.moe_ffn;
    s.moe_dense_params = s.h * s.experts + s.mlp_mats * s.h * s.shared_ffn +
                         (m.moe_router_enable_expert_bias ? s.experts : 0);  // DeepSeek-V3's expert bias
  }
  s.norm_params_layer = 2 * s.norm_params * s.h;
  s.embedding_params = s.vocab * s.h + s.position_params;
  s.output_params = s.tied ? 0 : s.vocab * s.h;
  // BERT's masked-LM head (dense + norm + vocab bias) sits with the output layer (model.cpp has the full count).
  if (m.is_bert()) s.output_params += s.h * s.h + s.h + s.norm_params * s.h + s.vocab;
  return s;
}

namespace {

// Average per-layer parameters, split into TP-sharded dense, replicated (norms) and expert parts.
struct LayerParams {
  double tp_sharded = 0, replicated = 0, expert = 0;
};

LayerParams average_layer(const Shape& s) {
  LayerParams p;
  const double moe_share = s.num_layers > 0 ? s.num_moe_layers / s.num_layers : 0;
  const double dec_share = s.num_layers > 0 ? s.num_decoder_layers / s.num_layers : 0;
  p.tp_sharded = s.attn_params + dec_share * s.cross_attn_params + (1 - moe_share) * s.mlp_params +
                 moe_share * s.moe_dense_params;
  p.replicated = s.norm_params_layer + s.attn_params_rep + dec_share * s.norm_params * s.h;
  p.expert = moe_share * s.moe_expert_params;
  return p;
}

}  // namespace

double layers_on(const Shape& s, int rank) {
  if (rank == 0) return s.first_stage_layers;
  if (rank == static_cast<int>(s.pp) - 1) return s.last_stage_layers;
  return s.layers_per_stage;
}

double gemm_peak(const GpuSpec& gpu, Precision precision) {
  if (precision == Precision::bf16) return gpu.peak_bf16_flops_per_s;
  if (precision == Precision::nvfp4 && gpu.peak_fp4_flops_per_s > 0) return gpu.peak_fp4_flops_per_s;
  return gpu.peak_fp8_flops_per_s > 0 ? gpu.peak_fp8_flops_per_s : gpu.peak_bf16_flops_per_s;
}

StageParams stage_params(const Shape& s, int rank) {
  const LayerParams lp = average_layer(s);
  StageParams out;
  const double layers = layers_on(s, rank);
  out.dense = layers * (lp.tp_sharded / s.tp + lp.replicated);
  out.expert = layers * lp.expert / (s.ep * s.etp);
  // Embedding on the first stage; output layer (or, when tied and pp > 1, a copy of the word embedding)
  // and the final norm on the last stage (Megatron-Core).
  double emb = 0;
  if (rank == 0) emb += s.embedding_params / s.tp;
  if (rank == static_cast<int>(s.pp) - 1) {
    emb += s.output_params / s.tp;  // untied output layer (and BERT's LM head)
    if (s.tied && s.pp > 1) emb += s.vocab * s.h / s.tp;
    out.dense += s.norm_params * s.h + s.mtp_layers * (3 * s.norm_params * s.h + 2 * s.h * s.h / s.tp);
  }
  out.dense += emb;
  out.embedding = emb;
  return out;
}

// One multi-token prediction depth besides its transformer layer (Megatron-Core MultiTokenPredictionLayer):
// enorm, hnorm and the final norm, and the bias-free 2h -> h eh_proj (column-parallel, split by TP).
static double mtp_extra_params(const Shape& s) { return 3 * s.norm_params * s.h + 2 * s.h * s.h; }

double total_params(const Shape& s) {
  const LayerParams lp = average_layer(s);
  const double mtp_layer = s.attn_params + s.attn_params_rep + s.norm_params_layer +
                           (s.mtp_moe ? s.moe_dense_params + s.moe_expert_params : s.mlp_params);
  return s.num_layers * (lp.tp_sharded + lp.replicated + lp.expert) + s.embedding_params + s.output_params +
         s.norm_params * s.h * (s.num_decoder_layers > 0 ? 2 : 1) + s.mtp_layers * (mtp_layer + mtp_extra_params(s));
}

// A causal query at position p sees p keys (mean T / 2 in Megatron's count, the mask's half), on a windowed layer
// min(p, W): sum_p min(p, W) / T = W - W (W - 1) / (2 T) for W < T, Megatron-Bridge's exact mean
// (src/megatron/bridge/training/utils/flop_utils.py, transformer_flops: "Exact average causal SWA context").
// No window, or one at or beyond the sequence: exactly 1/2.
}  // namespace hp::detail

namespace hp {

bool uneven_pipeline_split(int layers, int pp, UnevenPipelineSplit* split) noexcept {
  if (pp < 2 || layers < pp || layers % pp == 0) return false;
  UnevenPipelineSplit out;
  if (pp == 2) {
    out.first = (layers + 1) / 2;
    out.last = layers - out.first;
  } else {
    out.middle = (layers + pp - 1) / pp;
    const int rest = layers - (pp - 2) * out.middle;
    if (rest < 2 || rest > 2 * out.middle) return false;
    out.first = (rest + 1) / 2;
    out.last = rest - out.first;
  }
  if (split) *split = out;
  return true;
}

bool uneven_pipeline_split(const ModelSpec& model, const Layout& layout, UnevenPipelineSplit* split) noexcept {
  return layout.uneven_pipeline && layout.vp == 1 && !layout.account_for_embedding && !layout.account_for_loss &&
         !model.is_encoder_decoder() && uneven_pipeline_split(model.num_layers, layout.pp, split);
}

}  // namespace hp

namespace hp::detail {

double causal_key_share(const Shape& s, double kv_seq) {
  if (s.swa_frac <= 0 || s.window >= kv_seq) return 0.5;
  const double w = s.window;
  return (1 - s.swa_frac) * 0.5 + s.swa_frac * (w - w * (w - 1) / (2 * kv_seq)) / kv_seq;
}

// Megatron-LM training.py num_floating_point_operations: per token, every GEMM 3 passes x 2 FLOPs/MAC;
// attention projections h*(2*a*d + 2*g*d); core attention 2 GEMMs of s*a*d, halved for the causal mask;
// MLP mats*h*F (x topk for routed experts, + shared experts); logits h*V. Windowed layers: Megatron-LM's formula has
// no window term (it counts full causal attention); Megatron-Bridge's flop_utils.py counts min(p, W) keys, and so
// does this (causal_key_share): MFU is of the FLOPs the model does. MLA (its multi_latent_attention
// branch): the up/down projections and output (set_mla), c' + c for the latent norms, core s*a*(d+r)/2 +
// s*a*v/2.
// Multi-token prediction (its mtp_num_layers terms): each depth adds a layer of the last layer's kind,
// 3h + 2h^2 for its norms and eh_proj, and one more logits GEMM.
double model_flops_per_sequence(const Shape& s) {
  const double main_moe_share = s.num_layers > 0 ? s.num_moe_layers / s.num_layers : 0;
  auto layer_per_token = [&](double kv_seq, bool causal, bool cross, double moe_share = -1) {
    if (moe_share < 0) moe_share = main_moe_share;
    const double proj = s.attn_proj * (cross ? 2 : 1) + s.attn_proj_rep + s.attn_norm_macs;
    const double core = kv_seq * (s.core_qk + s.core_v) * (causal ? causal_key_share(s, kv_seq) : 1.0);
    const double mlp = (1 - moe_share) * s.mlp_mats * s.h * s.ffn +
                       moe_share * s.mlp_mats * s.h * (s.moe_ffn * s.topk + s.shared_ffn);
    return 6.0 * (proj + core + mlp);
  };
  const double enc_layers = s.num_layers - s.num_decoder_layers;
  if (s.num_decoder_layers == 0) {
    const double mtp = s.mtp_layers * (layer_per_token(s.seq, s.causal, false, s.mtp_moe ? 1 : 0) +
                                       6.0 * (3 * s.h + 2 * s.h * s.h));
    return s.seq * (enc_layers * layer_per_token(s.seq, s.causal, false) + mtp + 6.0 * s.h * s.vocab * (1 + s.mtp_layers));
  }
  // T5: encoder over seq, decoder over dec_seq with causal self-attention and cross-attention to seq.
  const double enc = s.seq * enc_layers * layer_per_token(s.seq, false, false);
  const double dec_core_cross = 6.0 * 2 * s.seq * s.q_dim;
  const double dec = s.dec_seq * s.num_decoder_layers * (layer_per_token(s.dec_seq, true, true) + dec_core_cross);
  return enc + dec + s.dec_seq * 6.0 * s.h * s.vocab;
}

}  // namespace hp::detail
