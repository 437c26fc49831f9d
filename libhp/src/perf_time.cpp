// Step time of one training layout: GEMM and attention compute with size-dependent efficiency, TP / CP / EP
// / PP / DP communication on the NVLink or inter-node tier, the 1F1B pipeline bubble with interleaving, the
// optimizer step and a fixed per-step overhead. Sources (docs/model.md "Step time"): Narayanan et al. 2021
// (arXiv 2104.04473) Sections 2.2 and 3 (bubble (p-1)/(v m), communication volumes); Korthikanti et al. 2022
// Section 5 (recompute cost); Isaev et al. 2023 (Calculon) for size-dependent efficiency and overlap;
// ring collective costs from the NCCL performance notes (all-reduce 2(n-1)/n, all-gather (n-1)/n).
#include <algorithm>
#include <cmath>

#include "collectives.hpp"
#include "perf_optimizer_offload.hpp"
#include "perf_recompute.hpp"
#include "perf_shape.hpp"

namespace hp::detail {
namespace {

struct LayerFlops {
  double gemm = 0;         // forward dense GEMM FLOPs of one layer, one micro-batch, one GPU
  double expert = 0;       // forward routed-expert GEMM FLOPs, same scope
  double expert_size = 1;  // FLOPs of the grouped GEMM over all local experts (one kernel)
  double expert_tile = 1;  // share of the 128-row tiles holding real tokens (tile quantization)
  double attn = 0;         // forward attention-core FLOPs (QK^T and AV), same scope
};

LayerFlops layer_flops(const Shape& s, double seq, double kv_seq, bool causal, bool cross, double moe_share) {
  const double tokens = seq / s.cp * s.mbs;
  LayerFlops f;
  const double proj = s.attn_proj * (cross ? 2 : 1);
  const double mlp = (1 - moe_share) * s.mlp_mats * s.h * s.ffn +
                     moe_share * (s.mlp_mats * s.h * s.shared_ffn + s.h * s.experts);
  // MLA's duplicated down projections run on every TP rank: on all tokens, or on the rank's shard with SP.
  f.gemm = 2 * tokens * (proj + mlp) / s.tp + 2 * tokens * s.attn_proj_rep / (s.sp ? s.tp : 1.0);
  if (moe_share > 0) {
    // Each expert sees ep * tokens * topk / E tokens of its EP group (balanced routing).
    f.expert = moe_share * 2 * tokens * s.topk * s.mlp_mats * s.h * s.moe_ffn / s.tp;
    // Grouped GEMM (Megatron-Core TEGroupedMLP, CUTLASS grouped GEMM): one launch over every local expert, so
    // the size that sets its efficiency is the layer's routed-expert work on this GPU; an expert whose token
    // rows do not fill its last 128-row tile wastes the rest (tile quantization, NVIDIA Deep Learning
    // Performance Guide, "Matrix Multiplication Background"). Rows per expert: ep * tokens * topk / E.
    f.expert_size = f.expert;
    const double rows = s.ep * tokens * s.topk / s.experts;
    f.expert_tile = rows / (std::ceil(rows / 128) * 128);
  }
  // Q K^T and scores x V: 2 FLOPs per MAC, core_qk + core_v MACs per token per key (2*a*d for MHA/GQA).
  f.attn = 2 * tokens * kv_seq * (s.core_qk + s.core_v) * (causal ? causal_key_share(s, kv_seq) : 1.0) / s.tp;
  if (cross) f.attn += 2 * tokens * s.seq * (s.core_qk + s.core_v) / s.tp;
  return f;
}

LayerFlops average_layer_flops(const Shape& s) {
  const double moe_share = s.num_layers > 0 ? s.num_moe_layers / s.num_layers : 0;
  if (s.num_decoder_layers == 0) return layer_flops(s, s.seq, s.seq, s.causal, false, moe_share);
  const double enc = s.num_layers - s.num_decoder_layers;
  const LayerFlops e = layer_flops(s, s.seq, s.seq, false, false, 0);
  const LayerFlops d = layer_flops(s, s.dec_seq, s.dec_seq, true, true, 0);
  LayerFlops avg;
  avg.gemm = (enc * e.gemm + s.num_decoder_layers * d.gemm) / s.num_layers;
  avg.attn = (enc * e.attn + s.num_decoder_layers * d.attn) / s.num_layers;
  return avg;
}

// GEMM time with size-dependent efficiency: eff(x) = e * x / (x + x_half) (Calculon-style efficiency curve
// made continuous), x = FLOPs of one GEMM group.
double gemm_seconds(double flops, double size, double peak, double efficiency, double half_size) {
  if (flops <= 0) return 0;
  return flops / (peak * efficiency) * (1 + half_size / std::max(size, 1.0));
}

// Extra HBM passes over a layer's tensors to quantize GEMM operands, on top of the calibrated element-wise
// passes (Transformer Engine recipes; NVIDIA "Pretraining LLMs with NVFP4", arXiv 2509.25149, Section 4):
// delayed scaling fuses the cast into the producer (the amax comes from history); current scaling reads each
// tensor once more for its amax; MXFP8 writes a column-wise copy for the transposed backward GEMMs as well;
// NVFP4 also applies the random Hadamard transform to the weight-gradient inputs. Priors, not fitted.
double quantize_passes(Precision p) {
  switch (p) {
    case Precision::bf16: return 0;
    case Precision::fp8_delayed: return 0;
    case Precision::fp8_current: return 2;
    case Precision::mxfp8: return 2;
    case Precision::nvfp4: return 4;
  }
  return 0;
}

// Launch latency of one NCCL send/receive pair inside a node (NCCL tests' small-message p2p latency, ~10 us).
constexpr double kP2pLatencyS = 10e-6;

}  // namespace

TimeBreakdown step_time(const Shape& s, const Layout& l, const GpuSpec& gpu, const Calibration& c,
                        double* hardware_flops) {
  TimeBreakdown t;
  const double m = s.micro_batches;
  const double layers = s.layers_per_stage;
  // Stages with the embedding / loss in a layer slot run one transformer layer fewer.
  const double first_layers = s.first_stage_layers, last_layers = s.last_stage_layers;
  const bool full = l.recompute == Recompute::full;
  const double eff_comm = std::max(1e-3, c.comm_efficiency);

  // Share of layer-forwards recomputed in the backward pass (full recompute of some layers / micro-batches).
  double recompute_share = 0;
  if (full) {
    const double layer_share = l.recompute_num_layers > 0 ? std::min(1.0, l.recompute_num_layers / layers) : 1.0;
    const double mb_share = l.recompute_micro_batches >= 0 ? std::min(1.0, l.recompute_micro_batches / m) : 1.0;
    recompute_share = layer_share * mb_share;
  }

  // Compute per micro-batch on one GPU of a stage. Backward = 2x forward for GEMMs; fused attention's backward
  // is 2.5x its forward (it recomputes QK^T and softmax), unfused 2x plus a forward under selective recompute.
  const LayerFlops f = average_layer_flops(s);
  const double peak = gemm_peak(gpu, l.precision);
  const double gemm_eff = l.fp8() ? c.fp8_gemm_efficiency : c.gemm_efficiency;
  // Modules recomputed selectively (recompute_modules): their forward once more (perf_recompute.cpp).
  const ModuleRecompute rc = module_recompute(s, l);
  const double attn_passes = (l.flash_attention ? 3.5 : 3.0) + rc.attn_passes + recompute_share;
  // LoRA: frozen base weights have no weight-gradient GEMM (forward + data gradient only).
  const double gemm_passes = (l.lora ? 2 : 3) + recompute_share;
  const double expert_mb = gemm_seconds(layers * (f.expert * gemm_passes + rc.expert_flops), f.expert_size, peak,
                                        gemm_eff * f.expert_tile, c.gemm_half_size_flops);
  const double gemm_mb = gemm_seconds(layers * (f.gemm * gemm_passes + rc.gemm_flops), f.gemm + f.expert, peak,
                                      gemm_eff, c.gemm_half_size_flops) +
                         expert_mb;
  const double attn_mb = layers * f.attn * attn_passes / (gpu.peak_bf16_flops_per_s * std::max(1e-3, c.attention_efficiency));
  // Element-wise work, memory-bound: passes x bf16 bytes of the layer's hidden tensor (split by TP with SP) and
  // of its activation-function tensor (split by TP), over HBM bandwidth (roofline memory term, as Calculon's
  // vector-op model).
  const double out_seq_tokens = (s.dec_seq > 0 ? (s.seq + s.dec_seq) / 2 : s.seq) / s.cp * s.mbs;
  const double moe_share = s.num_layers > 0 ? s.num_moe_layers / s.num_layers : 0;
  const double mlp_width = (1 - moe_share) * s.ffn + moe_share * (s.shared_ffn + s.topk * s.moe_ffn);
  const double elem_bytes = 2 * out_seq_tokens * (s.h / (s.sp ? s.tp : 1.0) + (s.mlp_mats - 1) * mlp_width / s.tp);
  // MoE permute / unpermute: copies of the topk routed token copies, each one HBM read and one write, forward
  // and backward. The alltoall dispatcher permutes twice on each side of the exchange (a global permute before
  // dispatch, a local one by expert after it, and the reverse around combine: 4 copies per direction); flex
  // (DeepEP / HybridEP) fuses the global permute into its communication kernel and allgather permutes locally
  // only (2 copies). NVIDIA, Megatron-LM docs/discussions/deepseek-v3-gb200-optimization.md, Section 2.1.1.
  const double permute_copies = l.moe_dispatcher == MoeDispatcher::alltoall ? 4 : 2;
  const double permute_bytes =
      moe_share * out_seq_tokens * s.topk * s.h / (s.sp ? s.tp : 1.0) * 2 /*bf16*/ * 2 /*read+write*/ *
      permute_copies * 2 /*fwd+bwd*/;
  const double permute_mb = layers * (1 + recompute_share / 2) * permute_bytes / gpu.memory_bandwidth_bytes_per_s;
  const double elem_mb = layers * (c.elementwise_passes + quantize_passes(l.precision)) * (1 + recompute_share / 3) *
                             elem_bytes / gpu.memory_bandwidth_bytes_per_s +
                         permute_mb + layers * rc.elementwise_bytes / gpu.memory_bandwidth_bytes_per_s;
  // Logits on the last stage: 2*tokens*h*V/t forward, 3 passes.
  const double out_tokens = (s.dec_seq > 0 ? s.dec_seq : s.seq) / s.cp * s.mbs;
  // Multi-token prediction adds one logits GEMM and the 2h -> h eh_proj per depth on the last stage.
  const double logits_flops = 2 * out_tokens * s.h * (s.vocab * (1 + s.mtp_layers) + 2 * s.h * s.mtp_layers) / s.tp;
  const double logits_mb = gemm_seconds(3 * logits_flops, logits_flops, peak, gemm_eff, c.gemm_half_size_flops);

  // TP: per layer 2 all-reduces forward and 2 backward (or the same volume as all-gather + reduce-scatter with
  // SP), 2 more with full recompute; each moves 2 bytes * tokens * h, ring cost 2(t-1)/t.
  const double tokens = s.seq / s.cp * s.mbs;
  double tp_mb = 0;
  if (s.tp > 1) {
    // With SP the attention block all-gathers what its column-parallel GEMMs read: the hidden state, or for
    // MLA the q/kv latents and the RoPE key (multi_latent_attention.py); 4 collectives of h otherwise.
    const double width = s.sp ? (3 * s.h + s.attn_gather) / 4 : s.h;
    const double per_collective = 2 * (s.tp - 1) / s.tp * 2 * tokens * width / (group_bandwidth(gpu, 1, s.tp) * eff_comm);
    tp_mb = layers * (4 + 2 * recompute_share + rc.tp_collectives) * per_collective;
    if (l.tp_comm_overlap) tp_mb *= c.tp_overlap_exposed_fraction;
  }
  // CP: ring exchange of K and V chunks, (cp-1) steps forward, twice the volume backward, overlapped with the
  // attention compute of the same layer.
  // What overlap cannot hide (Liu et al. 2023, Ring Attention, arXiv 2310.01889 Section 3: a step overlaps only
  // the next block's transfer): the backward's last dK/dV hop back to its owner, and per ring step the P2P
  // launch latency of the send/receive pair (3 passes x cp steps per layer). This is what keeps CP from being
  // free at short sequences, where it would otherwise tie with a larger micro-batch at cp = 1.
  double cp_mb = 0;
  if (s.cp > 1) {
    const double kv_bytes = 2 * tokens * s.kv_exchange / s.tp;  // bf16 K and V of the local heads
    const double bw = group_bandwidth(gpu, s.tp, s.cp) * eff_comm;
    const double comm = layers * 3 * (s.cp - 1) * kv_bytes / bw;
    const double exposed = layers * (kv_bytes / bw + 3 * s.cp * kP2pLatencyS);
    cp_mb = std::max(0.0, comm - attn_mb) + exposed;
  }
  // EP: token dispatch and combine all-to-alls, forward and backward (4; 6 with full recompute), each sending
  // (ep-1)/ep of tokens*topk*h*2 bytes.
  // Which dispatcher moves them (Megatron-Core token_dispatcher.py):
  //   alltoall:  (e-1)/e of the topk routed copies, over the EP group's tier;
  //   allgather: every token of the other e-1 ranks, no topk copies (reduce-scatter back on combine);
  //   flex (DeepEP / HybridEP, deepseek-ai/DeepEP README "normal kernels"): across NVLink domains a token goes
  //   once to each of the at most min(topk, D) domains holding its experts (deduplicated), then fans out over
  //   NVLink; inside one domain it is the all-to-all. The slower of the two tiers sets the time.
  double ep_mb = 0;
  if (s.ep > 1 && s.num_moe_layers > 0) {
    const double moe_layers = layers * s.num_moe_layers / s.num_layers;
    const double local_tokens = tokens / (s.sp ? s.tp : 1.0);
    const double a2a_bytes = moe_alltoall_bytes(s.ep, local_tokens, s.topk, s.h, 2);
    // All-to-all: NVLink for the peers in the domain, the GPU's own NIC for the rest (collectives.hpp).
    double per_op = alltoall_seconds(gpu, s.tp * s.cp, s.ep, a2a_bytes, eff_comm);
    if (l.moe_dispatcher == MoeDispatcher::allgather) {
      // A ring all-gather / reduce-scatter pools the domain's NICs (group_bandwidth).
      per_op = (s.ep - 1) * local_tokens * s.h * 2 / (group_bandwidth(gpu, s.tp * s.cp, s.ep) * eff_comm);
    } else if (l.moe_dispatcher == MoeDispatcher::flex) {
      const double domains = std::max(1.0, s.tp * s.cp * s.ep / std::max(1, gpu.nvlink_domain_size));
      if (domains > 1) {
        const double inter = local_tokens * s.h * 2 * std::min(s.topk, domains) * (domains - 1) / domains;
        per_op = std::max(inter / (gpu.internode_bandwidth_bytes_per_s * eff_comm),
                          a2a_bytes / (gpu.nvlink_bandwidth_bytes_per_s * eff_comm));
      }
    }
    ep_mb = moe_layers * (4 + 2 * recompute_share + rc.ep_collectives) * per_op;
  }

  const double layer_mb = (gemm_mb + attn_mb + elem_mb) / std::max(1.0, layers);
  const double compute_first = first_layers * layer_mb + (s.pp == 1 ? logits_mb : 0);
  const double compute_last = last_layers * layer_mb + logits_mb;
  const double compute_mid = s.pp > 2 ? layers * layer_mb : 0;
  const double compute_mb = std::max({compute_first, compute_last, compute_mid});
  const double t_mb = compute_mb + tp_mb + cp_mb + ep_mb;

  t.compute_s = m * compute_mb;
  // MoE parts of the busiest stage, named for reports (already inside compute_s and ep_comm_s).
  if (s.num_moe_layers > 0) {
    const double dense_part = f.gemm > 0 ? (gemm_mb - expert_mb) / f.gemm : 0;  // seconds per dense GEMM FLOP
    const double tokens_gemm = 2 * tokens / s.tp;
    t.moe_router_s = m * moe_share * dense_part * tokens_gemm * s.h * s.experts;
    t.moe_shared_expert_s = m * moe_share * dense_part * tokens_gemm * s.mlp_mats * s.h * s.shared_ffn;
    t.moe_expert_gemm_s = m * expert_mb;
    t.moe_permute_s = m * permute_mb;
    t.moe_dispatch_s = m * ep_mb;
  }
  t.tp_comm_s = m * tp_mb;
  // Activation offload (Megatron-Core cpu_offloading): each offloaded layer's activations go to host memory
  // after its forward and come back before its backward, overlapped with the micro-batch's compute on their own
  // copy engine; what is longer than the compute shows.
  if (l.activation_offload_layers > 0) {
    const double k = std::min<double>(l.activation_offload_layers, layers);
    const double bytes = 2 * k * layer_activation_bytes(s, l);
    t.offload_s = m * std::max(0.0, bytes / gpu.host_bandwidth_bytes_per_s - compute_mb);
  }
  t.cp_comm_s = m * cp_mb;
  t.ep_comm_s = m * ep_mb;
  // 1F1B bubble: (p-1)/v micro-batch times (Narayanan 2021 Section 2.2.2).
  t.bubble_s = (s.pp - 1) / s.vp * t_mb;
  // PP: activation forward and gradient backward per model chunk per micro-batch, [s/cp, b, h] bf16 split
  // across the TP ranks (SP, or Megatron's scatter-gather optimisation, Narayanan 2021 Section 4.1), over
  // NVLink only when the whole job is one NVLink domain.
  if (s.pp > 1) {
    const double bytes = 2 * tokens * s.h / s.tp;
    const double bw = l.num_gpus <= gpu.nvlink_domain_size ? gpu.nvlink_bandwidth_bytes_per_s
                                                          : gpu.internode_bandwidth_bytes_per_s;
    t.pp_comm_s = 2 * s.vp * m * bytes / (bw * eff_comm);
  }

  // DP: gradients (fp32 or bf16) reduce-scattered and bf16 parameters all-gathered with the distributed optimizer,
  // else an fp32 all-reduce; overlapped with one micro-batch's backward / forward when enabled.
  StageParams p = stage_params(s, 0);
  if (l.lora) p = StageParams{};  // adapters only: negligible gradients and optimizer state
  const double dense_n = s.dp * s.cp;
  const double expert_n = std::max(1.0, s.dp * s.cp * s.tp / (s.ep * s.etp));
  auto ring = [&](double params, double n, double bytes_per_param) {
    return n > 1 ? (n - 1) / n * params * bytes_per_param : 0.0;
  };
  const double bw_dp = group_bandwidth(gpu, s.tp * s.cp, s.dp) * eff_comm;
  double reduce_s = 0, gather_s = 0;
  const double grad_bytes = l.grad_reduce_in_fp32 ? 4 : 2;
  const double fwd_window = gemm_mb / gemm_passes + attn_mb / attn_passes;
  const double bwd_window = 2 * fwd_window;
  if (l.fsdp && !l.lora) {
    // FSDP (ZeRO-3, Rajbhandari et al. 2020 Section 7.2.2: 3x the parameter volume per pass instead of 2x):
    // per micro-batch each layer's bf16 parameters are all-gathered before its forward and again before its
    // backward, its gradients reduce-scattered after it; prefetch hides them behind the layer's compute
    // (torch FSDP2 / Megatron-FSDP), so what shows is the excess over the micro-batch's compute plus the
    // first layer's gather, which has nothing to hide behind.
    const double gather = (ring(p.dense, dense_n, 2) + ring(p.expert, expert_n, 2)) / bw_dp;
    const double scatter = (ring(p.dense, dense_n, grad_bytes) + ring(p.expert, expert_n, grad_bytes)) / bw_dp;
    const double per_mb = 2 * gather + scatter;
    const double exposed_mb = std::max(0.0, per_mb - compute_mb) + gather / std::max(1.0, layers);
    t.fsdp_comm_s = m * exposed_mb;
  } else if (l.distributed_optimizer) {
    reduce_s = (ring(p.dense, dense_n, grad_bytes) + ring(p.expert, expert_n, grad_bytes)) / bw_dp;
    gather_s = (ring(p.dense, dense_n, 2) + ring(p.expert, expert_n, 2)) / bw_dp;
  } else {
    reduce_s = 2 * (ring(p.dense, dense_n, grad_bytes) + ring(p.expert, expert_n, grad_bytes)) / bw_dp;
  }
  // With interleaving (v > 1) each model chunk's gradients are final after its last backward and Megatron-Core
  // launches that chunk's reduce-scatter then (and gathers a chunk's parameters before its first forward); in
  // the 1F1B-interleaved schedule (Narayanan 2021 Section 2.2) consecutive chunks finish p chunk-passes apart, so
  // the window is the chunk's own pass plus (v-1) gaps of p chunk-passes: (1 + (v-1) p) / v micro-batch passes.
  const double chunk_windows = s.vp > 1 ? (1 + (s.vp - 1) * s.pp) / s.vp : 1.0;
  t.dp_comm_s = (l.overlap_grad_reduce ? std::max(0.0, reduce_s - chunk_windows * bwd_window) : reduce_s) +
                (l.overlap_param_gather ? std::max(0.0, gather_s - chunk_windows * fwd_window) : gather_s);

  // Optimizer: memory-bound Adam over the local shard, ~30 bytes per parameter (fp32 master, m, v read and
  // written, gradient read, bf16 parameter written); with optimizer CPU offload the offloaded share runs on the
  // host instead (perf_optimizer_offload.cpp).
  const double local =
      l.distributed_optimizer || l.fsdp ? p.dense / dense_n + p.expert / expert_n : p.dense + p.expert;
  const OptimizerStepTime opt = optimizer_step_time(local, l, gpu);
  t.optimizer_s = opt.gpu_s;
  t.optimizer_offload_s = opt.offload_s;
  t.overhead_s = c.step_overhead_s;
  t.step_time_s = t.compute_s + t.tp_comm_s + t.cp_comm_s + t.ep_comm_s + t.bubble_s + t.pp_comm_s + t.dp_comm_s +
                  t.fsdp_comm_s + t.offload_s + t.optimizer_s + t.optimizer_offload_s + t.overhead_s;

  if (hardware_flops) {
    // All GPUs, one step: 3 GEMM passes + recompute, attention passes as computed, logits 3 passes.
    const double per_mb_stage =
        layers * ((f.gemm + f.expert) * gemm_passes + rc.gemm_flops + rc.expert_flops + f.attn * attn_passes);
    *hardware_flops = (m * per_mb_stage * s.pp + m * 3 * logits_flops) * s.tp * s.cp * s.dp;
  }
  return t;
}

}  // namespace hp::detail
