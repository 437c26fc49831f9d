// Inference performance model: per-layer roofline of prefill and decode, TP all-reduces, pipeline
// micro-batching and KV-cache memory. Every formula is listed with its source in docs/model.md.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

#include "checks.hpp"
#include "collectives.hpp"
#include "hp/perf.hpp"
#include "hp/core.hpp"
#include "hp/inference.hpp"

namespace hp {

namespace {

/// GEMM weights of one transformer layer, in parameters (Megatron-Core layer structure).
struct LayerShape {
  double qkv = 0;           ///< h * (a + 2g) * d (+ bias)
  double proj = 0;          ///< a * d * h (+ bias)
  double mlp_total = 0;     ///< all experts (memory)
  double mlp_active = 0;    ///< experts used per token (FLOPs)
  double expert_total = 0;  ///< routed experts only, all of them (inside mlp_total; sharded over ep x moe_tp = tp)
  double expert_active = 0; ///< routed experts only, top-k of them (inside mlp_active)
  double moe_frac = 0;      ///< share of layers that are MoE
  double cross_q = 0;       ///< T5 decoder cross-attention: Q and output projection
  double cross_kv = 0;      ///< T5 decoder cross-attention: K and V projection (of the encoder output)
  double kv_heads = 0;      ///< K/V heads
  double heads = 0;
  double head_dim = 0;
  double hidden = 0;
  double ffn = 0;
  // Multi-latent attention (DeepSeek-V2, arXiv 2405.04434 section 2.1): vLLM/SGLang keep the down projections and
  // latent norms whole on every TP rank (attn_rep); cached per token and layer: kv_rank + RoPE key = kv_latent.
  bool mla = false;
  double attn_rep = 0, kv_latent = 0, kv_rank = 0, qk_dim = 0 /* qk_head_dim + RoPE */, v_dim = 0;
};

LayerShape layer_shape(const ModelSpec& m) {
  LayerShape s;
  const double h = m.hidden_size, a = m.num_attention_heads, g = m.query_groups(), d = m.head_dim();
  const double bias = m.add_bias_linear ? 1.0 : 0.0;
  s.heads = a;
  s.kv_heads = g;
  s.head_dim = d;
  s.hidden = h;
  s.ffn = m.ffn_hidden_size;
  s.qkv = h * (a + 2 * g) * d + bias * (a + 2 * g) * d;
  s.proj = a * d * h + bias * h;
  const double mats = m.gated_mlp() ? 3.0 : 2.0;
  const double dense = mats * h * m.ffn_hidden_size + bias * (m.ffn_hidden_size * (mats - 1) + h);
  if (m.is_moe()) {
    const double fe = m.moe_ffn_hidden_size > 0 ? m.moe_ffn_hidden_size : m.ffn_hidden_size;
    const double expert = mats * h * fe;
    const double shared = m.moe_shared_expert_ffn_size > 0 ? mats * h * m.moe_shared_expert_ffn_size : 0;
    const double moe_total = m.moe_num_experts * expert + shared + h * m.moe_num_experts;
    const double moe_active = std::max(1, m.moe_topk) * expert + shared + h * m.moe_num_experts;
    const double frac = static_cast<double>(m.num_moe_layers()) / m.num_layers;  // share of layers that are MoE
    s.mlp_total = frac * moe_total + (1 - frac) * dense;
    s.mlp_active = frac * moe_active + (1 - frac) * dense;
    s.expert_total = frac * m.moe_num_experts * expert;
    s.expert_active = frac * std::max(1, m.moe_topk) * expert;
    s.moe_frac = frac;
  } else {
    s.mlp_total = s.mlp_active = dense;
  }
  if (m.is_encoder_decoder()) {
    s.cross_q = h * a * d + a * d * h;
    s.cross_kv = 2 * h * a * d;
  }
  if (m.is_mla()) {  // weights as count_parameters (model.cpp); qkv: all attention weights but the output
    const double qr = m.q_lora_rank, kvr = m.kv_lora_rank, r = m.qk_pos_emb_head_dim;
    const double norm = m.normalization == "rmsnorm" ? 1 : 2;
    s.mla = true;
    s.qk_dim = m.qk_head_dim + r, s.v_dim = m.v_head_dim, s.kv_rank = kvr, s.kv_latent = kvr + r;
    s.attn_rep = (qr > 0 ? h * qr : 0) + h * (kvr + r) + norm * (qr + kvr);
    s.qkv = s.attn_rep + (qr > 0 ? qr : h) * a * s.qk_dim + kvr * a * (m.qk_head_dim + s.v_dim);
    s.proj = a * s.v_dim * h + bias * h;
  }
  return s;
}

struct Ctx {
  const ModelSpec& model;
  const InferenceLayout& layout;
  const GpuSpec& gpu;
  const InferenceCalibration& cal;
  LayerShape shape;
  double weight_b = 2, kv_b = 2;
  double gemm_peak = 0, attn_peak = 0, mem_bw = 0;
  double tp = 1;
  double attn_tp = 1;  ///< ways the attention (and every non-expert weight) is split: tp, or 1 with attention DP
  double adp = 1;      ///< attention data-parallel ranks: 1, or tp (each holds 1/adp of the sequences)
  double kv_heads_per_gpu = 1;
  double kv_heads_read_per_gpu = 1;  ///< K/V heads whose cache one decode step reads (GQA reuse)
  double swa_frac = 0;  ///< share of the layers with a sliding window (ModelSpec::num_sliding_window_layers)
};

bool is_mxfp4(const std::string& dtype) {
  std::string d;
  for (char ch : dtype) d += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return d == "mxfp4";
}

Ctx make_ctx(const ModelSpec& model, const InferenceLayout& layout, const GpuSpec& gpu, const InferenceCalibration& cal) {
  // The KV cache defaults to the weights' format; MXFP4 weights keep a BF16 cache (gpt-oss's default).
  const std::string kv_dtype = !layout.kv_cache_dtype.empty() ? layout.kv_cache_dtype
                               : is_mxfp4(layout.weight_dtype) ? std::string("bf16") : layout.weight_dtype;
  Ctx c{model, layout, gpu, cal, layer_shape(model)};
  c.weight_b = dtype_bytes("weight_dtype", layout.weight_dtype);
  c.kv_b = dtype_bytes("kv_cache_dtype", kv_dtype);
  c.tp = layout.tp;
  c.adp = layout.attention_dp ? layout.tp : 1;
  c.attn_tp = layout.tp / c.adp;
  // K/V heads are split over TP ranks and replicated when there are fewer groups than ranks.
  c.kv_heads_per_gpu = std::ceil(static_cast<double>(model.query_groups()) / c.attn_tp);
  // Kernels that do not share K/V loads across the query heads of a group read them once per query head.
  const double q_heads_per_gpu = static_cast<double>(model.num_attention_heads) / c.attn_tp;
  c.kv_heads_read_per_gpu = c.kv_heads_per_gpu + (1 - cal.gqa_kv_reuse) * std::max(0.0, q_heads_per_gpu - c.kv_heads_per_gpu);
  c.attn_peak = gpu.peak_bf16_flops_per_s;
  // GEMMs run at the weight format's tensor-core rate: FP8 (1 byte), NVFP4 (< 1 byte), else BF16.
  c.gemm_peak = c.weight_b < 1 ? gpu.peak_fp4_flops_per_s : c.weight_b == 1 ? gpu.peak_fp8_flops_per_s : gpu.peak_bf16_flops_per_s;
  if (c.gemm_peak <= 0) c.gemm_peak = c.weight_b < 1 && gpu.peak_fp8_flops_per_s > 0 ? gpu.peak_fp8_flops_per_s : gpu.peak_bf16_flops_per_s;
  // MXFP4 without FP4 tensor cores runs weight-only: 4-bit weights dequantized to BF16 in the GEMM's main loop
  // (W4A16 kernels: vLLM Marlin MXFP4, TensorRT-LLM and Triton MoE kernels for gpt-oss on Hopper and Ampere).
  if (is_mxfp4(layout.weight_dtype) && gpu.peak_fp4_flops_per_s <= 0) c.gemm_peak = gpu.peak_bf16_flops_per_s;
  c.mem_bw = gpu.memory_bandwidth_bytes_per_s * cal.memory_efficiency;
  c.swa_frac = static_cast<double>(model.num_sliding_window_layers()) / model.num_layers;
  return c;
}

/// Roofline (Williams, Waterman, Patterson 2009): an op takes the longer of its compute and memory time.
double roofline(double flops, double peak, double bytes, double bw) { return std::max(flops / peak, bytes / bw); }

/// All-reduce of `bytes` over `p` ranks: the cheaper of ring and recursive doubling
/// (Thakur, Rabenseifner, Gropp 2005, Section 4.5): ring 2(p-1)a + 2(p-1)/p n/B,
/// recursive doubling lg(p) a + lg(p) n/B.
double allreduce_s(double bytes, int p, double bw, double alpha) {
  if (p <= 1) return 0;
  const double ring = 2.0 * (p - 1) * alpha + 2.0 * (p - 1) / p * bytes / bw;
  const double lg = std::ceil(std::log2(static_cast<double>(p)));
  const double rd = lg * alpha + lg * bytes / bw;
  return std::min(ring, rd);
}

struct StepCost {
  double compute_s = 0;  ///< GEMMs (compute- or weight-read-bound)
  double kv_s = 0;       ///< attention (compute- or KV-read-bound)
  double comm_s = 0;     ///< TP all-reduces
  double overhead_s = 0; ///< per-layer fixed cost
  double total() const { return compute_s + kv_s + comm_s + overhead_s; }
};

/// TP all-reduce of `bytes` per GPU. Inside one NVLink domain: allreduce_s over NVLink. Across nodes:
/// hierarchical (NCCL's two-level scheme; Jeaugey 2019, "Massively scale your deep learning training with NCCL
/// 2.4"; Thakur et al. 2005 for the per-level costs): reduce-scatter inside the node over NVLink, all-reduce of
/// the 1/g shard across the N nodes (every GPU on its own NIC), all-gather inside the node.
double tp_allreduce_s(const Ctx& c, double bytes) {
  const int tp = c.layout.tp;
  const int g = std::min({tp, c.layout.gpus_per_node, c.gpu.nvlink_domain_size});
  const double nvl = c.gpu.nvlink_bandwidth_bytes_per_s * c.cal.comm_efficiency;
  if (tp <= g) return allreduce_s(bytes, tp, nvl, c.cal.allreduce_latency_s);
  const int nodes = (tp + g - 1) / g;
  const double ib = c.gpu.internode_bandwidth_bytes_per_s * c.cal.comm_efficiency;
  const double intra = 2.0 * ((g - 1) * c.cal.allreduce_latency_s + (g - 1.0) / g * bytes / nvl);
  const double hierarchical = intra + allreduce_s(bytes / g, nodes, ib, c.cal.internode_latency_s);
  // Small messages: latency-bound, the cheaper flat algorithm over all ranks at the inter-node cost wins.
  return std::min(hierarchical, allreduce_s(bytes, tp, ib, c.cal.internode_latency_s));
}

/// One MoE token dispatch (or combine) all-to-all over the EP group with attention DP: every GPU sends the routed
/// copies of its own tokens that belong to another rank's experts (collectives.hpp: moe_alltoall_bytes), at the
/// group's links: NVLink inside one NVLink domain, each GPU's own NIC for the peers outside it (alltoall_seconds,
/// the training model's), plus one launch latency of the tier (one kernel talks to every peer at once: DeepEP's
/// normal and low-latency kernels, deepseek-ai/DeepEP README). Activations move in 16 bits.
double alltoall_s(const Ctx& c, double local_tokens) {
  const double ep = c.layout.ep;
  if (ep <= 1 || local_tokens <= 0) return 0;
  const double bytes = detail::moe_alltoall_bytes(ep, local_tokens, std::max(1, c.model.moe_topk), c.shape.hidden, 2);
  const bool intra = ep <= std::min(c.layout.gpus_per_node, c.gpu.nvlink_domain_size);
  return (intra ? c.cal.allreduce_latency_s : c.cal.internode_latency_s) +
         detail::alltoall_seconds(c.gpu, 1, ep, bytes, c.cal.comm_efficiency);
}

/// One transformer layer on one GPU for `b` sequences, `q` new tokens each, attending to `ctx_avg`
/// keys on average (causal prefill: (s+1)/2; decode: the current length), and to `ctx_window` on the share
/// c.swa_frac of the layers that have a sliding window (inference_window.cpp). kind: 0 decoder-only or T5
/// decoder self-attention layer, 1 T5 encoder layer (no KV cache kept). `cross_len` > 0 adds T5
/// cross-attention over that many encoder positions (`cross_build`: K/V of the encoder output computed now).
StepCost layer_cost(const Ctx& c, double b, double q, double ctx_avg, double ctx_window, bool decode, double cross_len,
                    bool cross_build) {
  const LayerShape& s = c.shape;
  const double tokens = b * q;
  // With attention DP each GPU runs the attention of its own 1/adp of the sequences (balanced).
  const double b_local = b / c.adp, tokens_local = tokens / c.adp;
  StepCost cost;
  // GEMMs: 2 FLOPs per weight per token (Kaplan et al. 2020, Table 1); every weight read once per forward.
  // Non-expert weights (QKV, projection, dense MLP, shared experts, router) run on the GPU's own tokens, split
  // attn_tp ways; routed experts run on every token of the layout, split tp ways (ep x moe_tp = tp).
  double w_dense = s.qkv + s.proj + s.mlp_total - s.expert_total;
  double w_expert_read = s.expert_total;
  if (c.model.is_moe() && decode) {
    // A decode step reads only the experts its `tokens` top-k routings touch (collectives.hpp: moe_experts_hit).
    const double e = c.model.moe_num_experts, k = std::max(1, c.model.moe_topk);
    const double touched = detail::moe_experts_hit(e, k, tokens);
    w_expert_read = s.expert_active + (s.expert_total - s.expert_active) *
                                          (e > k ? std::min(1.0, std::max(0.0, (touched - k) / (e - k))) : 1.0);
  }
  if (cross_len > 0) w_dense += s.cross_q;
  // MLA's replicated down projections are read and applied whole on every attention rank (its own tokens).
  double flops = 2 * tokens_local * ((w_dense - s.attn_rep) / c.attn_tp + s.attn_rep) + 2 * tokens * s.expert_active / c.tp;
  if (cross_build) flops += 2 * b * cross_len * s.cross_kv / c.tp;
  const double wbytes = ((w_dense - s.attn_rep + (cross_build ? s.cross_kv : 0)) / c.attn_tp + s.attn_rep) * c.weight_b +
                        w_expert_read * c.weight_b / c.tp;
  cost.compute_s = roofline(flops, c.gemm_peak * c.cal.gemm_efficiency, wbytes, c.mem_bw);
  // Attention: QK^T and AV, 4 * q * ctx * a * d FLOPs per sequence (Narayanan et al. 2021, Appendix:
  // 4bs^2h per layer, causal masking halves it). Reads the cached K/V: 2 * ctx * g * d elements.
  b = b_local;
  const double heads_gpu = s.heads / c.attn_tp;
  // Every layer runs its own attention kernel: the roofline is per kind of layer (full, windowed), then weighted.
  const auto attention_s = [&](double keys) {
    double attn_flops = 4 * b * q * keys * heads_gpu * s.head_dim;
    double attn_bytes = decode ? b * keys * 2 * c.kv_heads_read_per_gpu * s.head_dim * c.kv_b
                               : b * q * (heads_gpu + 2 * c.kv_heads_per_gpu) * s.head_dim * 2;
    // Unfused attention writes and reads the [b, a, q, ctx] score matrix in HBM (Dao et al. 2022, FlashAttention,
    // Algorithm 0: standard attention reads/writes Theta(N^2) elements per head); fused kernels keep it on chip.
    if (!decode) attn_bytes += c.cal.attention_score_passes * b * heads_gpu * q * (2 * keys) * 2;
    if (cross_len > 0) {
      attn_flops += 4 * b * q * cross_len * heads_gpu * s.head_dim;
      attn_bytes += b * cross_len * 2 * heads_gpu * s.head_dim * c.kv_b;
    }
    if (s.mla) {
      // MLA. Decode in the absorbed form (DeepSeek-V2 section 2.1.3: W_UK folded into the query, W_UV into the
      // output; FlashMLA): every local head scores the cached latent and RoPE key (kv_rank + r channels) and sums the
      // latent (kv_rank), and the latent is read once for all heads, like one K/V head. Prefill expands K and V per
      // head: Q K^T over d + r channels, scores x V over v; Q, K and V pass HBM once.
      attn_flops = decode ? 2 * b * q * keys * heads_gpu * (s.kv_latent + s.kv_rank)
                          : 2 * b * q * keys * heads_gpu * (s.qk_dim + s.v_dim);
      attn_bytes = decode ? b * keys * s.kv_latent * c.kv_b : b * q * heads_gpu * (2 * s.qk_dim + s.v_dim) * 2;
      if (!decode) attn_bytes += c.cal.attention_score_passes * b * heads_gpu * q * (2 * keys) * 2;
    }
    return roofline(attn_flops, c.attn_peak * c.cal.attention_efficiency, attn_bytes,
                    decode ? c.mem_bw * c.cal.kv_read_efficiency : c.mem_bw);
  };
  const double full_s = attention_s(ctx_avg);
  cost.kv_s = c.swa_frac == 0 || ctx_window == ctx_avg ? full_s
                                                       : (1 - c.swa_frac) * full_s + c.swa_frac * attention_s(ctx_window);
  // Megatron TP: two all-reduces of the [tokens, h] activations per layer in the forward pass
  // (Shoeybi et al. 2019, Section 3, Figure 4); a third for T5 cross-attention. With EP inside TP every rank
  // already holds every token: dispatch is a local selection and the combine is the MLP's all-reduce. With
  // attention DP the ranks hold different tokens: a MoE layer dispatches and combines them with two all-to-alls
  // (Rajbhandari et al. 2022, DeepSpeed-MoE, Section 5.2) and no all-reduce.
  if (c.adp > 1) {
    cost.comm_s = s.moe_frac * 2 * alltoall_s(c, tokens_local);
  } else {
    const double n_ar = cross_len > 0 ? 3 : 2;
    cost.comm_s = n_ar * tp_allreduce_s(c, tokens * s.hidden * 2);
  }
  cost.overhead_s = c.cal.layer_overhead_s;
  return cost;
}

/// Output layer (logits) for `b` tokens on the last stage; weights stay 16-bit (FP8 recipes exclude lm_head).
/// With attention DP the LM head is replicated and each GPU computes its own sequences' logits.
double lm_head_s(const Ctx& c, double b) {
  const double v = c.model.vocab_size, h = c.shape.hidden;
  return roofline(2 * b / c.adp * h * v / c.attn_tp, c.attn_peak * c.cal.gemm_efficiency, h * v * 2 / c.attn_tp, c.mem_bw);
}

/// FasterTransformer's micro-batch size for pipeline parallelism (nccl_utils.cc getLocalBatchSize):
/// batch / pp when divisible, then halved while mbs * seq_len > 1024 and even.
int local_batch_size(int batch, int seq_len, int pp) {
  int local = batch;
  if (pp == 1) return local;
  if (local % pp == 0) local /= pp;
  while (static_cast<long long>(local) * seq_len > 1024 && local % 2 == 0) local /= 2;
  return local;
}

/// Pipeline time of a forward over `pp` stages with `m` micro-batches (GPipe schedule,
/// Huang et al. 2019: (m + p - 1) stage times) plus one activation send per stage boundary.
double pipelined_s(const Ctx& c, double stage_s, double mbs_tokens, int m) {
  const int pp = c.layout.pp;
  if (pp == 1) return stage_s * m;
  const bool intra = c.layout.tp * pp <= c.layout.gpus_per_node;
  const double bw = (intra ? c.gpu.nvlink_bandwidth_bytes_per_s : c.gpu.internode_bandwidth_bytes_per_s) *
                    c.cal.comm_efficiency;
  const double send = (intra ? c.cal.allreduce_latency_s : c.cal.internode_latency_s) +
                      mbs_tokens * c.shape.hidden * 2 / bw;
  return (m + pp - 1) * (stage_s + send);
}

}  // namespace

InferenceEstimate estimate_inference(const ModelSpec& model, const InferenceLayout& layout, const GpuSpec& gpu,
                                     const InferenceCalibration& cal) {
  // Upper bounds keep tp x pp, pp x tp and input + output lengths inside int (docs/usage.md "Limits").
  detail::require_int("tp", layout.tp, 1, kMaxLayoutSize);
  detail::require_int("pp", layout.pp, 1, kMaxLayoutSize);
  detail::require_int("tp x pp", static_cast<long long>(layout.tp) * layout.pp, 1, kMaxLayoutSize);
  detail::require_int("batch_size", layout.batch_size, 1, kMaxLayoutSize);
  detail::require_int("input_len", layout.input_len, 1, 1 << 24);
  detail::require_int("output_len", layout.output_len, 1, 1 << 24);
  detail::require_int("gpus_per_node", layout.gpus_per_node, 1, kMaxLayoutSize);
  detail::require_int("ep", layout.ep, 1, kMaxLayoutSize);
  if (!model.is_moe() && (layout.ep > 1 || layout.attention_dp))
    throw ConfigError(layout.ep > 1 ? "ep" : "attention_dp", layout.ep > 1 ? std::to_string(layout.ep) : "true",
                      "model " + (model.name.empty() ? std::string("(custom)") : model.name) +
                          " is dense (no experts); expert parallelism and attention data parallelism need a MoE "
                          "model (moe_num_experts > 0); use ep 1");
  if (model.is_moe() && model.moe_num_experts % layout.ep != 0)
    throw ConfigError("ep", std::to_string(layout.ep),
                      "must divide the model's " + std::to_string(model.moe_num_experts) + " experts");
  if (layout.attention_dp && layout.ep != layout.tp)
    throw ConfigError("attention_dp", "true",
                      "attention data parallelism spreads the experts over the whole TP group: needs ep == tp (ep " +
                          std::to_string(layout.ep) + ", tp " + std::to_string(layout.tp) + ")");
  Ctx c = make_ctx(model, layout, gpu, cal);

  InferenceEstimate e;
  const int tp = layout.tp, pp = layout.pp, gpn = layout.gpus_per_node;
  e.num_gpus = tp * pp;
  // NeMo's nodes_necessary (inference_sweep.py, nemo_autoconfigurator.md section 5.1).
  e.num_nodes = tp > gpn ? (tp % gpn != 0 ? 0 : std::max(pp, pp * tp / gpn)) : pp;
  const int enc_layers = model.num_layers;
  const int dec_layers = model.is_encoder_decoder() ? model.num_decoder_layers : model.num_layers;
  const int all_layers = model.is_encoder_decoder() ? enc_layers + dec_layers : dec_layers;
  if (model.num_attention_heads % tp != 0) e.reason = InferenceInfeasible::heads_not_divisible;
  else if (all_layers % pp != 0) e.reason = InferenceInfeasible::layers_not_divisible;
  else if (pp > 1 && tp < gpn) e.reason = InferenceInfeasible::partial_node_pipeline;
  else if (e.num_nodes == 0) e.reason = InferenceInfeasible::tp_not_node_multiple;
  else if (model.is_moe() && layout.tp % layout.ep != 0)
    e.reason = InferenceInfeasible::experts_not_divisible;
  else if (((c.weight_b < 1 && !is_mxfp4(layout.weight_dtype)) || c.kv_b < 1) && gpu.peak_fp4_flops_per_s <= 0)
    e.reason = InferenceInfeasible::fp4_unsupported;
  else if ((c.weight_b == 1 || c.kv_b == 1) && gpu.peak_fp8_flops_per_s <= 0)
    e.reason = InferenceInfeasible::fp8_unsupported;
  else if (model.position_embedding == "learned_absolute" && !model.is_encoder_decoder() &&
           layout.input_len + layout.output_len > model.max_position_embeddings)
    e.reason = InferenceInfeasible::sequence_too_long;
  if (e.reason != InferenceInfeasible::none && e.reason != InferenceInfeasible::fp8_unsupported &&
      e.reason != InferenceInfeasible::fp4_unsupported)
    return e;  // fp8/fp4 without support: timed at the next format the GPU has (make_ctx)

  const double b = layout.batch_size, s_in = layout.input_len, s_out = layout.output_len;
  const double dec_per_stage = static_cast<double>(dec_layers) / pp;
  const double all_per_stage = static_cast<double>(all_layers) / pp;

  // ---- Memory of the most loaded GPU ----
  const ParameterCount pc = count_parameters(model);
  const double edge = static_cast<double>(pc.embedding + pc.position_embedding);
  const double out_layer = pc.output_layer > 0 ? static_cast<double>(pc.output_layer) : static_cast<double>(pc.embedding);
  const double body = static_cast<double>(pc.total) - edge - static_cast<double>(pc.output_layer);
  // Routed experts are split over ep x moe_tp = tp GPUs; everything else over tp, or replicated with attention DP;
  // MLA's replicated attention weights are whole on every GPU of their stage.
  const double atp = c.attn_tp;
  const double experts = static_cast<double>(pc.moe_experts);
  const double replicated = c.shape.attn_rep * model.num_layers;
  const double edge_gpu = pp == 1 ? (edge + static_cast<double>(pc.output_layer)) / atp : std::max(edge, out_layer) / atp;
  e.memory.weights_bytes =
      ((body - experts - replicated) / (atp * pp) + replicated / pp + experts / (tp * pp)) * c.weight_b + edge_gpu * 2;
  // KV cache: 2 (K and V) x tokens x K/V heads x head dim per layer (Pope et al. 2022, Section 2.2);
  // T5 decoder layers also keep the cross-attention K/V of the input. MLA caches the kv latent and the RoPE key,
  // kv_lora_rank + qk_pos_emb_head_dim elements per token and layer, whole on every TP rank (DeepSeek-V2 section
  // 2.1.2 and Table 1: (d_c + d_h^R) l elements per token).
  const double kv_per_token_layer =
      c.shape.mla ? c.shape.kv_latent * c.kv_b : 2 * c.kv_heads_per_gpu * c.shape.head_dim * c.kv_b;
  // A sliding-window layer keeps at most the window's tokens (Mistral 7B, arXiv 2310.06825 Section 2, "Rolling
  // Buffer Cache": a fixed cache of W positions, token i stored at i mod W).
  const double kv_tokens = s_in + s_out - c.swa_frac * std::max(0.0, s_in + s_out - model.sliding_window);
  double kv_per_request = model.is_encoder_decoder()
                              ? dec_per_stage * (s_out * kv_per_token_layer + s_in * 2 * (c.shape.heads / tp) * c.shape.head_dim * c.kv_b)
                              : dec_per_stage * kv_tokens * kv_per_token_layer;
  // With attention DP a GPU keeps the whole K/V of 1/adp of the requests: per-GPU bytes per request of the layout.
  kv_per_request /= c.adp;
  e.memory.kv_cache_bytes = b * kv_per_request;
  // Transient buffers: one layer's live input plus its widest intermediate for the prefill tokens, and the
  // fp32 logits of one token per request.
  const double qkv_width = c.shape.mla ? c.shape.heads * (2 * c.shape.qk_dim + c.shape.v_dim)
                                       : (c.shape.heads + 2 * c.shape.kv_heads) * c.shape.head_dim;
  const double widest = std::max(c.shape.ffn * (model.gated_mlp() ? 2.0 : 1.0), qkv_width) / atp;
  const double act_per_request = (s_in * (c.shape.hidden + widest) * 2 + model.vocab_size / atp * 4) / c.adp;
  // Engines allocate more per request than the KV cache and one layer's activations (work buffers sized by the
  // batch and sequence): request_memory_factor scales both; the extra is counted with the activations.
  const double per_request = (kv_per_request + act_per_request) * cal.request_memory_factor;
  e.memory.activations_bytes = b * (per_request - kv_per_request);
  e.memory.overhead_bytes = cal.memory_overhead_bytes;
  e.memory.total_bytes =
      e.memory.weights_bytes + e.memory.kv_cache_bytes + e.memory.activations_bytes + e.memory.overhead_bytes;
  const double usable = gpu.memory_bytes * cal.memory_fraction;
  const double free_for_requests = usable - e.memory.weights_bytes - e.memory.overhead_bytes;
  e.max_batch_size = free_for_requests <= 0 ? 0 : static_cast<int>(std::floor(free_for_requests / per_request));
  if (e.reason == InferenceInfeasible::none && e.memory.total_bytes > usable) e.reason = InferenceInfeasible::out_of_memory;

  // ---- Prefill (context phase): compute-bound GEMMs over b * s_in tokens ----
  const int mbs_p = local_batch_size(layout.batch_size, layout.input_len, pp);
  const int m_p = layout.batch_size / mbs_p;
  StepCost pre;
  if (model.is_encoder_decoder()) {
    // Encoder over the input (bidirectional: every token sees s_in keys), then the decoder's first step.
    StepCost enc = layer_cost(c, mbs_p, s_in, s_in, s_in, false, 0, false);  // no windows (validate: decoder-only)
    StepCost dec = layer_cost(c, mbs_p, 1, 1, 1, false, s_in, true);
    const double fe = static_cast<double>(enc_layers) / all_layers, fd = static_cast<double>(dec_layers) / all_layers;
    pre.compute_s = all_per_stage * (fe * enc.compute_s + fd * dec.compute_s);
    pre.kv_s = all_per_stage * (fe * enc.kv_s + fd * dec.kv_s);
    pre.comm_s = all_per_stage * (fe * enc.comm_s + fd * dec.comm_s);
    pre.overhead_s = all_per_stage * cal.layer_overhead_s;
  } else {
    StepCost l = layer_cost(c, mbs_p, s_in, (s_in + 1) / 2, causal_window_keys(s_in, model.sliding_window), false, 0, false);
    pre.compute_s = dec_per_stage * l.compute_s;
    pre.kv_s = dec_per_stage * l.kv_s;
    pre.comm_s = dec_per_stage * l.comm_s;
    pre.overhead_s = dec_per_stage * l.overhead_s;
  }
  const double pre_head = lm_head_s(c, mbs_p) / pp;
  const double pre_stage = pre.total() + pre_head;
  e.ttft_s = pipelined_s(c, pre_stage, mbs_p * s_in, m_p) + cal.prefill_overhead_s;
  const double pre_scale = (e.ttft_s - cal.prefill_overhead_s) / std::max(pre_stage * m_p, 1e-30);
  e.prefill_compute_s = (pre.compute_s + pre.kv_s + pre_head) * m_p * pre_scale;
  e.prefill_comm_s = e.ttft_s - e.prefill_compute_s;

  // ---- Decode (generation phase): one token per request per step, weight- and KV-read-bound ----
  // Mean context over the output_len - 1 steps after the first token: s_in + s_out / 2.
  const int mbs_d = local_batch_size(layout.batch_size, 1, pp);
  const int m_d = layout.batch_size / mbs_d;
  const double ctx = model.is_encoder_decoder() ? s_out / 2 + 1 : s_in + s_out / 2;
  // Windowed layers: the mean of min(context, window) over the same decode phase (context s_in .. s_in + s_out).
  const double ctx_w = model.is_encoder_decoder() ? ctx : window_mean_keys(s_in, s_in + s_out, model.sliding_window);
  StepCost dl = layer_cost(c, mbs_d, 1, ctx, ctx_w, true, model.is_encoder_decoder() ? s_in : 0, false);
  const double dec_head = lm_head_s(c, mbs_d) / pp;
  const double dec_stage = dec_per_stage * dl.total() + dec_head;
  e.tpot_s = pipelined_s(c, dec_stage, mbs_d, m_d) + cal.step_overhead_s;
  const double dec_scale = (e.tpot_s - cal.step_overhead_s) / std::max(dec_stage, 1e-30);
  e.decode_weights_s = (dec_per_stage * dl.compute_s + dec_head) * dec_scale;
  e.decode_kv_s = dec_per_stage * dl.kv_s * dec_scale;
  e.overhead_s = dec_per_stage * dl.overhead_s * dec_scale + cal.step_overhead_s;
  e.decode_comm_s = std::max(0.0, e.tpot_s - e.decode_weights_s - e.decode_kv_s - e.overhead_s);

  e.latency_s = e.ttft_s + (s_out - 1) * e.tpot_s;
  e.throughput_per_gpu = b / e.latency_s / e.num_gpus;
  e.output_tokens_per_s = b * s_out / e.latency_s;
  e.output_tokens_per_s_per_gpu = e.output_tokens_per_s / e.num_gpus;
  e.fits = e.reason == InferenceInfeasible::none;
  return e;
}

}  // namespace hp

namespace hp {

double inference_step_s(const ModelSpec& model, const InferenceLayout& layout, const GpuSpec& gpu,
                        const InferenceCalibration& cal, const InferenceStepLoad& load) {
  const Ctx c = make_ctx(model, layout, gpu, cal);
  const int pp = layout.pp;
  // One micro-batch per stage in flight (TensorRT-LLM's pipeline-parallel in-flight batching): every stage holds
  // 1/pp of the sequences and a token of each sequence passes all pp stages per step.
  const double dec = load.decode_seqs / pp, pre = load.prefill_tokens / pp;
  const double layers = static_cast<double>(model.num_layers) / pp;
  // GEMMs, all-reduces and fixed costs over all tokens of the iteration (weights read once), attention per phase.
  const double tokens = dec + pre;
  if (tokens <= 0) return 0;
  const StepCost g = layer_cost(c, 1, tokens, 0, 0, true, 0, false);
  // Windowed layers: the load's own means, else at most the window (a mean of min(x, W) is at most both).
  const double w = model.sliding_window > 0 ? model.sliding_window : 1e300;
  const double dec_w = load.decode_ctx_window >= 0 ? load.decode_ctx_window : std::min(load.decode_ctx, w);
  const double pre_w = load.prefill_ctx_window >= 0 ? load.prefill_ctx_window : std::min(load.prefill_ctx, w);
  double attn = 0;
  if (dec > 0) attn += layer_cost(c, dec, 1, load.decode_ctx, dec_w, true, 0, false).kv_s;
  if (pre > 0) attn += layer_cost(c, 1, pre, load.prefill_ctx, pre_w, false, 0, false).kv_s;
  const double stage = layers * (g.compute_s + g.comm_s + g.overhead_s + attn) + lm_head_s(c, dec + load.prefill_seqs / pp) / pp;
  return pipelined_s(c, stage, tokens, 1) + cal.step_overhead_s;  // pp x (stage + send)
}

}  // namespace hp
