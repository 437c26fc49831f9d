// Selective recompute of named modules (Megatron-Core TransformerConfig.recompute_modules with
// recompute_granularity "selective"; docs/model.md "Selective recompute of modules").
//
// Memory: a recomputed module keeps only its input for the backward and drops the tensors it saved, counted
// with the per-tensor terms of Korthikanti et al. 2022 (arXiv 2205.05198) Section 4 / Table 2 that
// perf_memory.cpp uses. Time: each recomputed module runs its forward once more in the backward (Korthikanti
// Section 5: recompute costs one extra forward of what is recomputed): its GEMM FLOPs, its element-wise passes
// and, for the whole MoE layer, its dispatch and combine collectives.
//
// Which tensors each word covers (Megatron-Core, megatron/core/transformer/):
//   core_attn       attention.py checkpoint_core_attention: the score tensors (Korthikanti's selective
//                   recompute); fused attention keeps no scores, so it changes nothing there (as before).
//   layernorm       transformer_layer.py, output-discarding checkpoint of input_layernorm / pre_mlp_layernorm when
//                   they are modules of their own: MLA's input norm and a MoE layer's pre-MLP norm (TE fuses the
//                   dense layers' norms into LayerNormLinear, an IdentityOp that is skipped). Drops the norm
//                   output the next GEMM saved.
//   mla_up_proj     multi_latent_attention.py qkv_up_proj_and_rope_apply, output-discarding: drops Q, K and V
//                   (the up projections' outputs after RoPE); the latents stay.
//   mlp             transformer_layer.py recompute_mlp (dense layers only): the MLP keeps its input, drops the
//                   fc1 output and the activation output.
//   moe_act         moe/experts.py activation_recompute: drops the routed experts' activation output (fc2 input).
//   moe             moe/moe_layer.py moe_layer_recompute: the whole MoE forward (router, permute, dispatch,
//                   experts, combine, shared experts) keeps only its input.
//   shared_experts  moe/moe_layer.py shared_experts_recompute: the shared experts keep only their input.
#include "perf_recompute.hpp"

namespace hp::detail {

ModuleActivations module_activations(const Shape& s, const Layout& l, std::uint32_t mods, double S,
                                     double moe_share) {
  namespace rm = recompute_module;
  ModuleActivations out;
  if (mods == 0) return out;
  const double b = s.mbs;
  // What perf_memory.cpp keeps of a normed hidden state (the next GEMM's input): 2 B, 1.5 B with FP8 (its FP8
  // term takes S*b*h off the two norm outputs' 4*S*b*h).
  const double norm_bytes = l.fp8() ? 1.5 : 2;
  if (mods & rm::layernorm) out.replicated += ((s.mla ? 1.0 : 0.0) + moe_share) * norm_bytes * S * b * s.h;
  if ((mods & rm::mla_up_proj) && s.mla) out.sharded += 2 * S * b * (s.core_qk + s.kv_exchange);
  if (mods & rm::mlp)  // fc1 output and activation output, 2*mats*sbF; FP8 keeps the fc2 input in one byte
    out.sharded += (1 - moe_share) * (2 * s.mlp_mats - (l.fp8() ? 1 : 0)) * S * b * s.ffn;
  if (moe_share > 0) {
    if (mods & (rm::moe | rm::shared_experts)) out.sharded += moe_share * 2 * s.mlp_mats * S * b * s.shared_ffn;
    const double tokens = S * b * s.topk / (s.sp ? s.tp : 1.0);
    if (mods & rm::moe)
      out.expert += moe_share * tokens * routed_copy_bytes(s);
    else if (mods & rm::moe_act)  // the activation output, F_e wide in bf16, per routed copy
      out.expert += moe_share * tokens * 2 * s.moe_ffn / s.etp;
  }
  return out;
}

ModuleRecompute module_recompute(const Shape& s, const Layout& l) {
  namespace rm = recompute_module;
  ModuleRecompute r;
  const std::uint32_t mods = l.selective_modules();
  if (mods == 0) return r;
  const double moe_share = s.num_layers > 0 ? s.num_moe_layers / s.num_layers : 0;
  const double tokens = (s.dec_seq > 0 ? (s.seq + s.dec_seq) / 2 : s.seq) / s.cp * s.mbs;
  const double t = s.tp;
  const double hidden_split = s.sp ? t : 1.0;
  // Unfused core attention runs its forward again (perf_time.cpp's "+1 with selective"); fused attention's
  // backward already recomputes its scores, so nothing is added (as before this field existed).
  if ((mods & rm::core_attn) && !l.flash_attention) r.attn_passes = 1;
  // Two norms' worth at most: each reads and writes its [tokens, h] tensor once (2 passes x 2 B).
  if (mods & rm::layernorm)
    r.elementwise_bytes += ((s.mla ? 1.0 : 0.0) + moe_share) * 2 * 2 * tokens * s.h / hidden_split;
  if ((mods & rm::mla_up_proj) && s.mla) {
    // The up projections (Q-up or Q, KV-up; not the output projection), then RoPE and the concatenation of the
    // per-head Q and K: one read and one write of Q, K and V.
    r.gemm_flops += 2 * tokens * (s.attn_proj - s.proj_in * s.h) / t;
    r.elementwise_bytes += 2 * 2 * tokens * (s.core_qk + s.kv_exchange) / t;
  }
  // Activation function forward: reads the fc1 output ((mats-1) F wide), writes F: 2 B x mats x F per token.
  if (mods & rm::mlp) {
    r.gemm_flops += (1 - moe_share) * 2 * tokens * s.mlp_mats * s.h * s.ffn / t;
    r.elementwise_bytes += (1 - moe_share) * 2 * tokens * s.mlp_mats * s.ffn / t;
    // fc1's input all-gather (SP) and fc2's reduce-scatter / all-reduce run again: one all-reduce volume.
    r.tp_collectives += 1 - moe_share;
  }
  if (moe_share > 0) {
    const double routed = tokens * s.topk / hidden_split;  // routed copies on this GPU
    if (mods & (rm::moe | rm::shared_experts)) {
      r.gemm_flops += moe_share * 2 * tokens * s.mlp_mats * s.h * s.shared_ffn / t;
      r.elementwise_bytes += moe_share * 2 * tokens * s.mlp_mats * s.shared_ffn / t;
    }
    if (mods & rm::moe) {
      r.gemm_flops += moe_share * 2 * tokens * s.h * s.experts / t;  // router
      r.expert_flops += moe_share * 2 * tokens * s.topk * s.mlp_mats * s.h * s.moe_ffn / t;
      // Experts' activation, and the forward permute / unpermute copies of the routed tokens, each read and
      // written in bf16: 4 copies with the alltoall dispatcher, 2 with flex or allgather (perf_time.cpp's count,
      // Megatron-LM docs/discussions/deepseek-v3-gb200-optimization.md Section 2.1.1).
      const double copies = l.moe_dispatcher == MoeDispatcher::alltoall ? 4 : 2;
      r.elementwise_bytes += moe_share * routed * (2 * s.mlp_mats * s.moe_ffn / s.etp + copies * 2 * 2 * s.h);
      r.tp_collectives += moe_share;
      r.ep_collectives = 2;
    } else if (mods & rm::moe_act) {
      r.elementwise_bytes += moe_share * routed * 2 * s.mlp_mats * s.moe_ffn / s.etp;
    }
  }
  return r;
}

}  // namespace hp::detail
