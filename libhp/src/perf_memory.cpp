// Memory of one GPU of one pipeline rank: weights, gradients, optimizer state, activations of the
// in-flight micro-batches, embedding/logits activations and a calibrated overhead.
// Sources (docs/model.md "Memory"): Korthikanti et al. 2022 (arXiv 2205.05198) Section 4 and Table 2 for
// per-layer activations; Megatron-LM theoretical_memory_usage.py (18 bytes/param, 6 + 12/DP with the
// distributed optimizer; interleaving factor); Megatron-Core pipeline schedules for in-flight micro-batches.
#include <algorithm>
#include <cmath>

#include "perf_recompute.hpp"
#include "perf_shape.hpp"

namespace hp::detail {
namespace {

struct LayerActivations {
  double stored = 0;      // bytes kept per layer per micro-batch without recompute
  double checkpoint = 0;  // bytes kept per layer per micro-batch with full recompute (its input)
  double modules = 0;     // bytes the selectively recomputed modules drop (already left out of stored)
};

// One transformer layer, one micro-batch, one GPU (Korthikanti Table 2 generalised to GQA, gated MLPs,
// MoE, CP and FP8). seq: this layer's sequence; kv_seq: keys it attends to.
LayerActivations layer_activations(const Shape& s, const Layout& l, double seq, double kv_seq, double moe_share,
                                   bool cross) {
  const double S = seq / s.cp;  // CP splits the sequence
  const double b = s.mbs;
  const double t = s.tp;
  const double sbh = S * b * s.h;
  // Not split by TP (Korthikanti: "10sbh"): two norm inputs 4sbh, QKV and fc1 inputs 2sbh each, two
  // dropout masks sbh each.
  double replicated = 10 * sbh;
  // Split by TP: Q 2sb*q, K and V 2sb*kv each, projection input 2sb*q (Korthikanti: 4sbh + 2sbh + 2sbh). MLA
  // (set_mla): Q and K 2sb*a(d+r) each, V and projection input 2sb*a*v each.
  double sharded = 2 * S * b * (s.core_qk + s.proj_in + s.kv_exchange);
  // MLA latents: each latent norm keeps its input and its output (the up projection's input), 2 bytes each,
  // on every TP rank (the down projections are duplicated), split with SP like the other replicated tensors.
  replicated += 4 * S * b * s.latents;
  // Attention scores: softmax output 2, dropout mask 1, dropout output 2 bytes per score (5as^2b). Fused
  // (flash) attention keeps only the fp32 log-sum-exp per row. Selective recompute drops them too.
  double scores = l.flash_attention ? 4 * s.a * S * b : 5 * s.a * S * kv_seq * b;
  // Selective recompute of core attention (Korthikanti Section 5; Megatron-Core recompute_modules core_attn).
  const std::uint32_t mods = l.selective_modules();
  if ((mods & recompute_module::core_attn) && !l.flash_attention) scores = 0;
  sharded += scores;
  // Dense MLP: activation input and fc2 input, 2 bytes each: 2*mats*sbF (GeLU 4h: 16sbh, Korthikanti).
  sharded += (1 - moe_share) * 2 * s.mlp_mats * S * b * s.ffn;
  // MoE: shared experts like a dense MLP; routed tokens (topk per token) keep routed_copy_bytes each; with SP
  // each TP rank routes its own sequence shard.
  double expert = 0;
  if (moe_share > 0) {
    sharded += moe_share * 2 * s.mlp_mats * S * b * s.shared_ffn;
    const double tokens = S * b * s.topk / (s.sp ? t : 1.0);
    expert = moe_share * tokens * routed_copy_bytes(s);
  }
  if (cross) {  // T5 decoder cross-attention: norm input, Q input, mask (5sbh) and Q, K/V over the encoder
    replicated += 5 * sbh;
    sharded += 4 * S * b * s.q_dim + 4 * (s.seq / s.cp) * b * s.kv_dim;
  }
  if (l.fp8()) {  // Transformer Engine keeps GEMM inputs for the backward pass in FP8 (1 byte, not 2)
    replicated -= 2 * sbh / 2 + S * b * s.latents;
    sharded -= (S * b * s.proj_in + (1 - moe_share) * S * b * s.ffn);
  }
  // Modules recomputed selectively drop their saved tensors and keep only their input (module_activations).
  const ModuleActivations drop = module_activations(s, l, mods, S, moe_share);
  replicated -= drop.replicated;
  sharded -= drop.sharded;
  expert -= drop.expert;
  LayerActivations out;
  out.modules = (s.sp ? drop.replicated / t : drop.replicated) + drop.sharded / t + drop.expert;
  out.stored = (s.sp ? replicated / t : replicated) + sharded / t + expert;
  // Full recompute keeps the layer input (2sbh), split by TP only when SP already splits it.
  out.checkpoint = 2 * sbh / (s.sp ? t : 1.0);
  return out;
}

LayerActivations average_layer_activations(const Shape& s, const Layout& l) {
  const double enc_layers = s.num_layers - s.num_decoder_layers;
  const double moe_share = s.num_layers > 0 ? s.num_moe_layers / s.num_layers : 0;
  if (s.num_decoder_layers == 0) return layer_activations(s, l, s.seq, s.seq, moe_share, false);
  const LayerActivations e = layer_activations(s, l, s.seq, s.seq, 0, false);
  const LayerActivations d = layer_activations(s, l, s.dec_seq, s.dec_seq, 0, true);
  LayerActivations avg;
  avg.modules = (enc_layers * e.modules + s.num_decoder_layers * d.modules) / s.num_layers;
  avg.stored = (enc_layers * e.stored + s.num_decoder_layers * d.stored) / s.num_layers;
  avg.checkpoint = (enc_layers * e.checkpoint + s.num_decoder_layers * d.checkpoint) / s.num_layers;
  return avg;
}

}  // namespace

double layer_activation_bytes(const Shape& s, const Layout& l) { return average_layer_activations(s, l).stored; }

/// Layers' worth of activations held by pipeline rank `rank` at its peak (Megatron-Core 1F1B schedules):
/// non-interleaved min(m, p - r) micro-batches of L/p layers; interleaved (p - r - 1)*2 + (v - 1)*p + 1
/// model chunks of L/(p v) layers (for r = 0 this is Korthikanti's L * (1 + (p-1)/(p v))).
double in_flight_layers(const Shape& s, int rank) {
  const double p = s.pp, v = s.vp, r = rank;
  // A stage with the embedding or loss in a layer slot holds one layer fewer (spread over its chunks here).
  const double layers = layers_on(s, rank);
  if (v <= 1) return std::min(s.micro_batches, p - r) * layers;
  const double chunks = std::min(s.micro_batches * v, (p - r - 1) * 2 + (v - 1) * p + 1);
  return chunks * layers / v;
}

MemoryBreakdown stage_memory(const Shape& s, const Layout& l, const Calibration& c, int rank) {
  MemoryBreakdown m;
  m.pipeline_rank = rank;
  // Weights bf16 (2 B), gradient buffer (4 B fp32 or 2 B bf16), Adam fp32 master + two moments (12 B), the latter sharded
  // over the data-parallel (x context-parallel) group by the distributed optimizer; experts over expert-DP.
  const StageParams p = stage_params(s, rank);
  const double dp_group = s.dp * s.cp;
  const double expert_dp = std::max(1.0, s.dp * s.cp * s.tp / (s.ep * s.etp));
  m.weights_bytes = 2 * (p.dense + p.expert);
  if (l.fp8()) m.weights_bytes += (p.dense - p.embedding) + p.expert;  // FP8 weight copies (TE)
  const double grad_bytes = l.grad_reduce_in_fp32 ? 4 : 2;
  // Optimizer CPU offload (Megatron-Core HybridDeviceOptimizer, cpu_offloading/hybrid_optimizer.py): the offloaded
  // share of the local shard keeps its fp32 master weights and Adam moments in pinned host memory, and the fp32
  // gradient CPU Adam reads is a pinned host buffer too (_set_sub_optimizer_grads); the bf16 weights and the
  // gradient buffer the reduce-scatter writes stay on the GPU.
  const double kept = 1 - l.optimizer_offload_share();
  if (l.fsdp && !l.lora) {
    // FSDP (ZeRO-3, Rajbhandari et al. 2020 Section 5.3; Megatron-FSDP optim_grads_params; torch FSDP2): every
    // state sharded over DP x CP (experts over expert-DP), plus the unsharded bf16 parameters of two layers
    // (the one computing and the one prefetched) and the unsharded gradient of the layer being reduce-scattered.
    const double layers = std::max(1.0, layers_on(s, rank));
    const double layer_local = (p.dense - p.embedding + p.expert) / layers;
    const double shard = p.dense / dp_group + p.expert / expert_dp;
    const double fp8_copy = l.fp8() ? 1.0 : 0.0;
    m.weights_bytes = (2 + fp8_copy) * shard + 2 * 2 * layer_local;
    m.gradients_bytes = grad_bytes * shard + grad_bytes * layer_local;
    m.optimizer_bytes = 12 * kept * shard;
    m.embedding_state_bytes = p.embedding / dp_group * (2 + grad_bytes + 12 * kept);
  } else if (l.lora) {  // frozen base weights: no gradients or optimizer state (adapters are negligible)
    m.embedding_state_bytes = 2 * p.embedding;
  } else {
    m.gradients_bytes = (l.grad_reduce_in_fp32 ? 4 : 2) * (p.dense + p.expert);
    const double state = l.optimizer_state_bytes * kept;  // 12 for Adam
    m.optimizer_bytes = l.distributed_optimizer ? state * p.dense / dp_group + state * p.expert / expert_dp
                                                : state * (p.dense + p.expert);
    m.embedding_state_bytes = p.embedding * ((l.grad_reduce_in_fp32 ? 6 : 4) + (l.distributed_optimizer ? state / dp_group : state));
  }

  // Activations of the transformer layers held at the peak of the schedule.
  const LayerActivations act = average_layer_activations(s, l);
  const double layers = in_flight_layers(s, rank);
  const double stage_layers = std::max(1.0, layers_on(s, rank));
  double recomputed = 0;  // share of the held layer-activations that are only checkpoints
  if (l.recompute == Recompute::full) {
    const double layer_share =
        l.recompute_num_layers > 0 ? std::min(1.0, l.recompute_num_layers / stage_layers) : 1.0;
    const double in_flight_mb = std::max(1.0, layers / stage_layers);
    const double mb_share =
        l.recompute_micro_batches >= 0 ? std::min(1.0, l.recompute_micro_batches / in_flight_mb) : 1.0;
    recomputed = layer_share * mb_share;
  }
  m.activations_bytes = layers * (recomputed * act.checkpoint + (1 - recomputed) * act.stored);
  // While a recomputed layer runs its backward, its full activations exist once; likewise one layer's
  // selectively recomputed modules.
  if (recomputed > 0) m.activations_bytes += act.stored;
  m.activations_bytes += act.modules;
  // Activation offload (Megatron-Core cpu_offloading): k of the stage's layers keep their activations in host
  // memory, except the layer in transit (one double buffer).
  if (l.activation_offload_layers > 0) {
    const double share = std::min(1.0, l.activation_offload_layers / stage_layers);
    m.activations_bytes = m.activations_bytes * (1 - share) + act.stored;
  }

  // Outside the layers (Korthikanti Section 4.3): embedding dropout output on the first stage for each
  // in-flight micro-batch; final norm, output-projection input and fp32 logits on the last stage.
  const double S = s.seq > 0 && s.dec_seq > 0 ? s.dec_seq / s.cp : s.seq / s.cp;
  const double split = s.sp ? s.tp : 1.0;
  if (rank == 0) m.embedding_logits_bytes += (s.seq / s.cp) * s.mbs * s.h / split * (layers / stage_layers);
  if (rank == static_cast<int>(s.pp) - 1)
    m.embedding_logits_bytes += 4 * S * s.mbs * s.h / split + 4 * S * s.mbs * s.vocab / s.tp * (1 + s.mtp_layers);

  m.overhead_bytes = c.memory_overhead_bytes;
  m.total_bytes = m.weights_bytes + m.gradients_bytes + m.optimizer_bytes + m.activations_bytes +
                  m.embedding_logits_bytes + m.overhead_bytes;
  return m;
}

}  // namespace hp::detail
