// Internal: what Megatron-Core's selective recompute of named modules (Layout::recompute_modules) saves in
// memory and costs in time, per transformer layer and micro-batch on one GPU. perf_memory.cpp and perf_time.cpp
// use these shares; the formulas and their sources are in perf_recompute.cpp and docs/model.md.
#pragma once

#include <cstdint>

#include "perf_shape.hpp"

namespace hp::detail {

/// Activation bytes the recomputed modules no longer keep for the backward (each keeps only its input), in the
/// three groups of perf_memory.cpp's layer accounting: replicated over TP (split by t only with SP), split by
/// TP, and routed-expert tokens (already per GPU). S: this layer's sequence per CP rank.
struct ModuleActivations {
  double replicated = 0;
  double sharded = 0;
  double expert = 0;
};
ModuleActivations module_activations(const Shape& s, const Layout& l, std::uint32_t modules, double S,
                                     double moe_share);

/// The forward work the recomputed modules run once more in the backward, per layer (averaged over the layer
/// kinds) and micro-batch on one GPU.
struct ModuleRecompute {
  double gemm_flops = 0;         ///< dense GEMM FLOPs (MLA up projections, dense MLP, router, shared experts)
  double expert_flops = 0;       ///< routed-expert grouped-GEMM FLOPs (moe)
  double attn_passes = 0;        ///< extra core-attention forward passes (core_attn without fused attention)
  double elementwise_bytes = 0;  ///< HBM bytes of the re-run element-wise work (norms, activations, RoPE, permute)
  double tp_collectives = 0;     ///< extra TP collectives per layer, in all-reduce volumes (mlp, moe)
  double ep_collectives = 0;     ///< extra dispatcher collectives per MoE layer (moe: dispatch and combine)
};
ModuleRecompute module_recompute(const Shape& s, const Layout& l);

}  // namespace hp::detail
