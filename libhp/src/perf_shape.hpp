// Internal: per-layer shapes of one model under one layout, shared by the memory and time models.
// Everything here is plain arithmetic on doubles (no allocation). Sources: docs/model.md.
#pragma once

#include "hp/perf.hpp"

namespace hp::detail {

/// Layer dimensions and per-GPU token counts for one (model, layout).
struct Shape {
  // Model.
  double h = 0, a = 0, g = 0, d = 0;  // hidden, heads, query groups, head dim
  double q_dim = 0, kv_dim = 0;       // a*d, g*d
  // Attention widths that multi-latent attention changes (docs/model.md "Multi-latent attention"); for MHA/GQA
  // they follow from q_dim and kv_dim.
  bool mla = false;
  double attn_proj = 0;       // GEMM MACs per token that TP splits: QKV (MLA: Q or Q-up, KV-up) and output
  double attn_proj_rep = 0;   // MLA down projections: MACs per token on every TP rank (split only with SP)
  double attn_norm_macs = 0;  // Megatron's per-latent-channel norm term (+1 per q/kv latent channel)
  double core_qk = 0, core_v = 0;  // core-attention MACs per token per key: Q K^T and scores x V
  double proj_in = 0;         // output projection input width (a*d; MLA a*v)
  double kv_exchange = 0;     // K and V elements per token that CP's ring exchange moves (2*g*d; MLA a*(d+r+v))
  double latents = 0;         // MLA q and kv latent channels kept per token (norm input and output)
  double attn_gather = 0;     // channels all-gathered into the attention block under SP (h; MLA latents + RoPE key)
  double ffn = 0, moe_ffn = 0, shared_ffn = 0;
  double mlp_mats = 2;                // 3 GEMM matrices for gated MLPs (SwiGLU, GeGLU), else 2
  double vocab = 0;
  double experts = 0, topk = 0;
  double num_layers = 0;              // all transformer layers (encoder + decoder)
  double num_moe_layers = 0;
  double mtp_layers = 0;              // multi-token prediction depths (Megatron-Core: on the last pipeline stage)
  bool mtp_moe = false;               // their transformer layer is of the last layer's kind
  double num_decoder_layers = 0;      // T5 decoder layers (cross-attention); 0 for GPT
  double seq = 0, dec_seq = 0;        // T5: encoder / decoder sequence lengths
  bool causal = true;
  double swa_frac = 0, window = 0;    // share of the layers with a sliding window, and the window (tokens)
  bool bias = true;
  double norm_params = 2;             // per norm per hidden unit: LayerNorm 2 (weight+bias), RMSNorm 1
  bool tied = true;
  double position_params = 0;

  // Layout.
  double tp = 1, pp = 1, vp = 1, cp = 1, ep = 1, etp = 1, dp = 1;
  double mbs = 1, micro_batches = 1;
  bool sp = false;
  double layers_per_stage = 0;        // transformer layers on one pipeline rank (all its virtual chunks)
  double first_stage_layers = 0;      // on rank 0: one fewer with account_for_embedding (pp > 1)
  double last_stage_layers = 0;       // on rank pp-1: one fewer with account_for_loss (pp > 1), + the MTP layers
  bool fsdp = false;

  // Parameters of one layer (unsharded) and of the embedding / output.
  double attn_params = 0;             // self-attention (QKV, proj, biases), split by TP
  double attn_params_rep = 0;         // MLA down projections and latent norms, replicated over TP
  double cross_attn_params = 0;       // T5 decoder only
  double mlp_params = 0;              // dense MLP
  double moe_expert_params = 0;       // all routed experts of one MoE layer
  double moe_dense_params = 0;        // router + shared experts of one MoE layer
  double norm_params_layer = 0;       // norms of one layer (replicated across TP)
  double embedding_params = 0;        // word (+ position) embeddings
  double output_params = 0;           // untied output layer (0 when tied)
};

Shape make_shape(const ModelSpec& m, const Layout& l);

/// Transformer layers held by pipeline rank `rank`.
double layers_on(const Shape& s, int rank);

/// Dense tensor-core peak for a precision: BF16, FP8 (delayed, current and MXFP8 run at the FP8 rate) or FP4
/// (NVFP4); datasheet values in hardware.cpp.
double gemm_peak(const GpuSpec& gpu, Precision precision);

/// Parameters held by one GPU of pipeline rank `rank` (0 .. pp-1): dense (sharded by TP), expert (sharded
/// by EP*ETP) and the embedding/output part of the dense ones.
struct StageParams {
  double dense = 0;
  double expert = 0;
  double embedding = 0;  // included in dense
};
StageParams stage_params(const Shape& s, int rank);

/// Total parameters of the model (all stages, unsharded).
double total_params(const Shape& s);

/// Megatron-Core model FLOPs per sequence (see hp::model_flops_per_step).
double model_flops_per_sequence(const Shape& s);

/// Mean share of `kv_seq` keys a causal query attends to: 1/2 (the causal mask), and on the windowed layers
/// (swa_frac of them) (W - W (W - 1) / (2 T)) / T for a window W < T (docs/model.md "Sliding-window attention").
double causal_key_share(const Shape& s, double kv_seq);

/// Layers' worth of activations held by pipeline rank `rank` at the peak of the 1F1B schedule.
double in_flight_layers(const Shape& s, int rank);

/// Activation bytes one transformer layer keeps for one micro-batch (averaged over layer kinds).
double layer_activation_bytes(const Shape& s, const Layout& l);

/// Bytes one routed token copy keeps for the backward pass of its MoE layer (bf16): the fc1 input, which is the
/// dispatched and expert-sorted token (Transformer Engine GroupedLinear saves it for the weight gradient), and
/// the expert output that the combine weights by its routing probability (Megatron-Core moe_utils.unpermute keeps
/// it for the probabilities' gradient): 2h each; plus fc1's output and the activation's output, 2 * mats * F_e
/// split by expert TP. The tokens before dispatch and after combine are the layer's own input and output.
inline double routed_copy_bytes(const Shape& s) { return 4 * s.h + 2 * s.mlp_mats * s.moe_ffn / s.etp; }

MemoryBreakdown stage_memory(const Shape& s, const Layout& l, const Calibration& c, int rank);

/// Step time of the slowest pipeline stage; hardware_flops receives the FLOPs of one step on all GPUs
/// including recomputation.
TimeBreakdown step_time(const Shape& s, const Layout& l, const GpuSpec& gpu, const Calibration& c,
                        double* hardware_flops);

}  // namespace hp::detail
