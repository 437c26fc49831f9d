// Training performance model: memory per GPU, FLOPs, step time, throughput and MFU for one layout.
// Public header: standard-library types only. Formulas and sources: docs/model.md.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "hp/hardware.hpp"
#include "hp/model.hpp"

namespace hp {

enum class Recompute { none, selective, full };
/// "none", "selective", "full" (NeMo's activations_checkpoint_granularity, none = null).
const char* to_string(Recompute recompute) noexcept;
/// Inverse of to_string; throws ConfigError(key, value) for another name.
Recompute recompute_from_string(const std::string& key, const std::string& value);

/// Megatron-Core selective recompute of named modules (TransformerConfig.recompute_modules with
/// recompute_granularity "selective"): one bit per module word, Layout::recompute_modules holds their OR.
namespace recompute_module {
constexpr std::uint32_t core_attn = 1u << 0;       ///< core attention (Korthikanti's selective recompute)
constexpr std::uint32_t layernorm = 1u << 1;       ///< the un-fused norms: MLA input norm, MoE pre-MLP norm
constexpr std::uint32_t mla_up_proj = 1u << 2;     ///< MLA up projections and RoPE (needs MLA)
constexpr std::uint32_t mlp = 1u << 3;             ///< the dense MLP of non-MoE layers
constexpr std::uint32_t moe_act = 1u << 4;         ///< the routed experts' activation function (needs MoE)
constexpr std::uint32_t moe = 1u << 5;             ///< the whole MoE layer: router, dispatch, experts, shared experts
constexpr std::uint32_t shared_experts = 1u << 6;  ///< the shared experts of a MoE layer (needs shared experts)
constexpr std::uint32_t all = (1u << 7) - 1;        ///< every bit above
}  // namespace recompute_module

/// One row of the module names table: Megatron-Core's word and its bit.
struct RecomputeModuleName {
  const char* name;
  std::uint32_t bit;
};
/// Every module word, in the order names are written (core_attn, layernorm, mla_up_proj, mlp, moe_act, moe,
/// shared_experts).
const std::vector<RecomputeModuleName>& recompute_module_names();
/// The words of a module set joined by '+' in table order ("mla_up_proj+mlp"); "" for 0.
std::string recompute_modules_to_string(std::uint32_t modules);
/// Words separated by '+', ',', '/' or spaces (brackets and quotes of a YAML/Python list are ignored), each one of
/// recompute_module_names(); "" gives 0. Throws ConfigError(key, value, the accepted words) for another word.
std::uint32_t parse_recompute_modules(const std::string& key, const std::string& value);

/// GEMM precision recipe (Transformer Engine / Megatron-Core --fp8-recipe and --fp4-recipe): BF16, FP8 with
/// per-tensor delayed scaling (amax history), FP8 with per-tensor current scaling ("tensorwise"), MXFP8 (E4M3
/// with one E8M0 scale per 32 values, Blackwell) and NVFP4 (E2M1 with FP8 scales per 16 values, Blackwell).
enum class Precision : std::uint8_t { bf16, fp8_delayed, fp8_current, mxfp8, nvfp4 };
/// "bf16", "fp8", "fp8-cs", "mxfp8", "nvfp4".
const char* to_string(Precision precision) noexcept;

/// Megatron-Core MoE token dispatcher (--moe-token-dispatcher-type): all-to-all of the routed copies, all-gather
/// of every token over the EP group (reduce-scatter back), or flex (DeepEP / HybridEP: one copy per destination
/// NVLink domain, forwarded inside it).
enum class MoeDispatcher : std::uint8_t { alltoall, allgather, flex };
const char* to_string(MoeDispatcher dispatcher) noexcept;
/// alltoall, allgather or flex (deepep, hybridep also mean flex); else ConfigError(key, value, accepted words).
MoeDispatcher parse_moe_dispatcher(const std::string& key, const std::string& value);
/// Accepted words (case-insensitive): bf16 (also fp16, mixed, fp32), fp8 / fp8-delayed / fp8-ds, fp8-cs /
/// fp8-current / fp8-tensorwise, mxfp8 / fp8-mx, nvfp4 / fp4. Text after the first space or '(' is a note and
/// ignored. Throws ConfigError(key, value, the accepted words) for anything else.
Precision parse_precision(const std::string& key, const std::string& value);
/// Whether the GPU has tensor cores for the precision (datasheet peaks in the catalogue, docs/model.md 1): BF16
/// everywhere; FP8 (delayed, current scaling) needs an FP8 peak (Hopper, Ada and later); MXFP8 and NVFP4 need
/// Blackwell's block-scaled tensor cores, i.e. an FP4 peak (B200, GB200, RTX PRO 6000).
bool supports_precision(const GpuSpec& gpu, Precision precision) noexcept;

/// One parallel layout of a training job (Megatron-Core semantics).
struct Layout {
  int num_gpus = 8;
  int tp = 1;          ///< tensor parallel
  int pp = 1;          ///< pipeline parallel
  int vp = 1;          ///< virtual pipeline stages per rank (1 = no interleaving)
  int cp = 1;          ///< context parallel
  int ep = 1;          ///< expert parallel
  int etp = 0;         ///< expert tensor parallel; 0 = unspecified (see expert_tp())
  int mbs = 1;         ///< micro batch size (sequences)
  int gbs = 256;       ///< global batch size (sequences)
  bool sequence_parallel = false;
  Recompute recompute = Recompute::none;
  int recompute_num_layers = 0;            ///< full: layers per pipeline stage recomputed (0 = all)
  int recompute_micro_batches = -1;        ///< full, partial: micro-batches with recompute (-1 = all)
  /// selective: the recompute_module bits recomputed; 0 = Megatron-Core's default, core_attn alone. Only with
  /// recompute = selective (validate() rejects it otherwise).
  std::uint32_t recompute_modules = 0;
  bool distributed_optimizer = true;
  /// fp32 master weights + optimizer state per parameter: Adam 4 + 2 x 4 = 12 B (hp::nemo_optimizers() for others).
  int optimizer_state_bytes = 12;
  /// fp32 gradient buffer and reduction (Megatron-LM's default with bf16); off = bf16 gradients, as the NeMo /
  /// Megatron-Bridge performance recipes set (grad_reduce_in_fp32 = False) and Megatron-Core DDP's default.
  bool grad_reduce_in_fp32 = false;
  Precision precision = Precision::bf16;   ///< GEMM precision recipe
  /// Fully sharded data parallel (Megatron-FSDP optim_grads_params, torch FSDP2, ZeRO-3): parameters,
  /// gradients and optimizer state sharded over DP x CP; each layer's parameters all-gathered before its
  /// forward and backward, its gradients reduce-scattered after its backward.
  bool fsdp = false;
  bool overlap_grad_reduce = true;
  bool overlap_param_gather = true;
  bool tp_comm_overlap = false;
  bool lora = false;                       ///< LoRA fine-tuning: frozen base weights (no weight grads/optimizer)
  bool flash_attention = true;             ///< fused attention (TE/FlashAttention): no s^2 score tensors kept
  /// Allow layers not divisible by pp*vp (Megatron-Core num_layers_in_first/last_pipeline_stage); off = the
  /// default Megatron rule, layers % (pp*vp) == 0.
  bool uneven_pipeline = false;
  /// Megatron-Core account_for_embedding_in_pipeline_split / account_for_loss_in_pipeline_split: the embedding
  /// (loss) counts as one layer of the first (last) pipeline stage, so layers + 1 (+ 1) must divide by pp*vp
  /// and the first (last) stage holds one transformer layer fewer (126 layers, PP16 VP8 with both).
  bool account_for_embedding = false;
  bool account_for_loss = false;
  MoeDispatcher moe_dispatcher = MoeDispatcher::alltoall;
  /// Megatron-Core cpu_offloading_num_layers with activations: layers per stage whose activations go to host
  /// memory after their forward and come back for their backward.
  int activation_offload_layers = 0;
  /// Megatron-Core optimizer CPU offload (OptimizerConfig optimizer_cpu_offload, HybridDeviceOptimizer): a share
  /// of the distributed optimizer's local shard keeps its fp32 master weights and Adam moments in host memory and
  /// is updated by CPU Adam; its gradients go device-to-host and its parameters come back host-to-device each
  /// step. Needs the distributed optimizer (Megatron: offload needs use_precision_aware_optimizer, which needs
  /// use_distributed_optimizer); validate() rejects it otherwise.
  bool optimizer_cpu_offload = false;
  /// OptimizerConfig optimizer_offload_fraction: the share of the local shard offloaded, 0..1 (1 = all, the
  /// Megatron-LM --optimizer-offload-fraction default). Only with optimizer_cpu_offload.
  double optimizer_offload_fraction = 1.0;
  /// OptimizerConfig overlap_cpu_optimizer_d2h_h2d: one CPU optimizer per parameter on separate copy streams, so
  /// the gradient copies, the CPU step and the parameter copies pipeline over the parameters (on: what
  /// Megatron's cpu_offloading README recommends); off: copy all, step all, copy all back.
  bool overlap_cpu_optimizer_d2h_h2d = true;

  /// The modules recomputed in effect: recompute_modules (core_attn when 0) with selective, else none.
  std::uint32_t selective_modules() const noexcept {
    if (recompute != Recompute::selective) return 0;
    return recompute_modules != 0 ? recompute_modules : recompute_module::core_attn;
  }
  /// Share of the optimizer's local shard kept in host memory: the fraction with optimizer_cpu_offload, else 0.
  double optimizer_offload_share() const noexcept { return optimizer_cpu_offload ? optimizer_offload_fraction : 0.0; }
  /// Low-precision (FP8 / MXFP8 / NVFP4) GEMMs.
  bool fp8() const noexcept { return precision != Precision::bf16; }
  /// Expert tensor parallel in effect: etp when given, else tp (Megatron-Core's default) when that divides the
  /// expert grid, else 1 (what Megatron-Bridge MoE recipes set), so an unspecified ETP never rejects a layout.
  int expert_tp(bool moe) const noexcept {
    if (etp > 0) return etp;
    if (!moe || tp <= 1 || ep <= 0) return tp;
    const int d = dp();
    return d > 0 && (static_cast<long long>(tp) * cp * d) % (static_cast<long long>(ep) * tp) == 0 ? tp : 1;
  }
  /// Data-parallel size; 0 for a layout validate() rejects (never divides by zero).
  int dp() const noexcept {
    const long long model_parallel = static_cast<long long>(tp) * pp * cp;
    return model_parallel > 0 && num_gpus > 0 ? static_cast<int>(num_gpus / model_parallel) : 0;
  }
  /// Micro-batches per step per data-parallel rank; 0 for a layout validate() rejects.
  int num_micro_batches() const noexcept {
    const long long per_step = static_cast<long long>(mbs) * dp();
    return per_step > 0 && gbs > 0 ? static_cast<int>(gbs / per_step) : 0;
  }
};

/// Largest GPU count, parallel size or batch a Layout accepts: far above any real job, and small enough that
/// every product of two sizes fits in 64 bits (docs/usage.md "Limits").
constexpr int kMaxLayoutSize = 1 << 20;

/// Check a Layout where it enters (CLI flags, NeMo configs, CSV rows, Python): every size in 1..kMaxLayoutSize
/// (etp 0..; recompute_num_layers 0..; recompute_micro_batches -1..; recompute_modules only known bits, and only
/// with recompute = selective; optimizer_offload_fraction 0..1; optimizer_cpu_offload only with
/// distributed_optimizer). Throws ConfigError naming the field ("tp", "mbs", ...) and the value.
/// estimate() also accepts an unchecked Layout: it reports invalid_layout.
void validate(const Layout& layout);

/// Why a layout cannot run; none = it runs and fits.
enum class Infeasible : std::uint8_t {
  none,
  gpus_not_divisible,       ///< tp*pp*cp does not divide num_gpus
  heads_not_divisible,      ///< tp does not divide heads / query groups
  layers_not_divisible,     ///< pp*vp does not divide the layers (with uneven_pipeline: fewer layers than pp*vp)
  gbs_not_divisible,        ///< mbs*dp does not divide gbs
  experts_not_divisible,    ///< ep does not divide experts, or ep*etp does not divide dp*cp*tp
  seq_not_divisible,        ///< cp*2 (or tp with SP) does not divide seq_length
  vp_needs_pp,              ///< interleaving needs pp > 1 and micro-batches divisible by pp
  fp8_unsupported,          ///< the GPU has no tensor cores for the precision (FP8: Hopper+, MXFP8/NVFP4: Blackwell)
  /// recompute_modules names a module the model lacks (mla_up_proj without MLA; moe, moe_act without MoE;
  /// shared_experts without shared experts; mlp without dense layers; layernorm without an MLA or MoE layer), or
  /// moe_act / layernorm with FP8 delayed scaling (Megatron-Core transformer_config.py rejects both)
  recompute_module_absent,
  out_of_memory,            ///< the most loaded GPU exceeds its memory (with margin)
  invalid_layout,           ///< a non-positive size or count in the layout
  invalid_model,            ///< a non-positive size or count in the model
  /// optimizer_cpu_offload without the distributed optimizer, or optimizer_offload_fraction outside 0..1
  optimizer_offload_invalid,
};
const char* to_string(Infeasible reason) noexcept;

struct MemoryBreakdown {
  double weights_bytes = 0;
  double gradients_bytes = 0;
  double optimizer_bytes = 0;     ///< fp32 master weights + Adam moments (sharded with the distributed optimizer)
  double activations_bytes = 0;   ///< in-flight micro-batches of the most loaded stage
  double embedding_logits_bytes = 0;  ///< embedding activations and logits on first/last stage
  double overhead_bytes = 0;      ///< allocator, workspace, CUDA context (calibrated)
  double total_bytes = 0;
  /// Informational: the part of weights+gradients+optimizer that belongs to the embedding / output layer.
  double embedding_state_bytes = 0;
  int pipeline_rank = 0;          ///< which stage is the most loaded (0 = first)
};

struct TimeBreakdown {
  double compute_s = 0;       ///< GEMMs + attention (+ recompute) per step on the busiest stage
  double tp_comm_s = 0;       ///< exposed TP all-reduce / reduce-scatter + all-gather
  double cp_comm_s = 0;
  double ep_comm_s = 0;
  double pp_comm_s = 0;
  double fsdp_comm_s = 0;     ///< exposed FSDP parameter all-gathers and gradient reduce-scatters (with --fsdp)
  double offload_s = 0;       ///< exposed activation offload / reload over the host link
  /// optimizer CPU offload: the offloaded shard's gradient and parameter copies over the host link and its CPU
  /// Adam step, beyond the GPU optimizer step they run beside (optimizer_s keeps the GPU part)
  double optimizer_offload_s = 0;
  /// MoE parts (already inside compute_s / ep_comm_s, named for reports): router GEMM and top-k, permute and
  /// unpermute copies, dispatcher communication, routed-expert grouped GEMMs, shared-expert GEMMs.
  double moe_router_s = 0;
  double moe_permute_s = 0;
  double moe_dispatch_s = 0;
  double moe_expert_gemm_s = 0;
  double moe_shared_expert_s = 0;
  double bubble_s = 0;        ///< pipeline bubble (p-1)/(v*m) of the compute
  double dp_comm_s = 0;       ///< exposed gradient reduce and parameter gather
  double optimizer_s = 0;
  double overhead_s = 0;      ///< calibrated fixed per-step cost
  double step_time_s = 0;
};

struct Estimate {
  Infeasible reason = Infeasible::none;
  bool fits = false;
  MemoryBreakdown memory;
  TimeBreakdown time;
  double model_flops_per_step = 0;     ///< Megatron-Core's definition (what logs report as TFLOP/s/GPU)
  double hardware_flops_per_step = 0;  ///< including recomputation
  double tokens_per_s_per_gpu = 0;
  double tflops_per_gpu = 0;           ///< model FLOPs / step time / GPUs, in TFLOP/s
  double mfu = 0;                      ///< fraction of the GPU's dense peak for the layout's precision
  double hfu = 0;                      ///< hardware FLOPs / step time / GPUs / peak
  double num_parameters = 0;           ///< total parameters (from the layer shapes)
};

/// Efficiency parameters per GPU family, fitted on measured runs (hp-cli calibrate).
/// Time model: GEMM time = FLOPs / (peak * gemm_efficiency * x / (x + gemm_half_size_flops)), x = FLOPs of one
/// layer's GEMMs per micro-batch per GPU; see docs/model.md.
struct Calibration {
  std::string gpu_family;           ///< "ampere", "hopper", "blackwell"; empty = generic
  double gemm_efficiency = 0.75;    ///< achieved / peak for large BF16 GEMMs
  double fp8_gemm_efficiency = 0.5; ///< achieved / FP8 peak for large FP8 GEMMs (also MXFP8; NVFP4 vs its FP4 peak)
  double gemm_half_size_flops = 1e10;  ///< size at which efficiency halves (size dependence); 0 = none
  double attention_efficiency = 0.5;
  double comm_efficiency = 0.8;     ///< achieved / nominal link bandwidth
  /// Memory-bound element-wise work (norms, residual adds, dropout, activation functions, casts): HBM passes
  /// over a layer's [tokens, h] and [tokens, F] tensors per micro-batch, forward and backward together.
  double elementwise_passes = 20;
  double tp_overlap_exposed_fraction = 0.3;  ///< share of TP comm left exposed with tp_comm_overlap
  double memory_overhead_bytes = 3.0e9;      ///< allocator + workspace + context (not fitted on time)
  double step_overhead_s = 0.01;    ///< fixed per-step cost (optimizer launch, data, logging)
  int num_fit_runs = 0;             ///< measured runs behind the fitted values (0 = prior only)
};

struct EstimateOptions {
  double memory_margin = 0.0;  ///< fraction of GPU memory kept free (0.05 = 5%; negative = tolerate that much over)
};

struct TrainingConfig;  // hp/nemo_config.hpp

/// The layout of a NeMo-Megatron training config (model.* parallelism keys, activations_checkpoint_*,
/// optimizer, precision; GPUs = num_nodes x gpus_per_node). The model is config.model.
Layout layout_from_nemo(const TrainingConfig& config);
/// The precision recipe of a NeMo config: fp4 (nvfp4) over fp8 (fp8_recipe: delayed, tensorwise, mxfp8) over BF16.
Precision precision_from_nemo(const TrainingConfig& config);

/// Flat (name, value) view of an estimate in SI units ("memory.weights_bytes", "time.step_time_s", "mfu", ...),
/// in a fixed order; used by hp-cli --json and the Python to_dict(). `fits` is 1 or 0.
std::vector<std::pair<std::string, double>> to_fields(const Estimate& estimate);

/// Shipped calibration for a GPU (by GpuSpec::family; falls back to the generic one).
Calibration default_calibration(const GpuSpec& gpu);

/// The shipped calibrations, one per GPU family (fitted by `hp-cli calibrate`, see docs/model.md).
const std::vector<Calibration>& shipped_calibrations();

/// Model FLOPs of one global batch with Megatron-Core's num_floating_point_operations (causal attention
/// halved): 3 passes x 2 FLOPs per MAC for every GEMM, attention core and logits. Recompute not counted.
double model_flops_per_step(const ModelSpec& model, int global_batch_size);

/// Evaluate one layout. Never throws for an infeasible layout: it is a reason in the result.
/// Does not allocate (bench_estimate checks it); take default_calibration() once per GPU outside a loop.
/// Megatron-Core's uneven pipeline split (num_layers_in_first/last_pipeline_stage) of `layers` over `pp` stages
/// when pp does not divide them: the middle stages hold ceil(layers / pp) each and the first and last stages
/// split the rest, the first the larger half (NeMo's DeepSeek-V3 recipe: 61 layers over 16 = 3 + 14 x 4 + 2).
struct UnevenPipelineSplit {
  int first = 0, middle = 0, last = 0;
};
/// False where there is no such split: pp < 2, pp dividing layers, or a rest below 2 or above 2 x middle.
bool uneven_pipeline_split(int layers, int pp, UnevenPipelineSplit* split) noexcept;
/// The split a layout is priced and written with: the rule above for a decoder-only model with uneven_pipeline on,
/// no interleaving and no embedding/loss slots; false otherwise (those keep ceil(L / (p v)) per chunk).
bool uneven_pipeline_split(const ModelSpec& model, const Layout& layout, UnevenPipelineSplit* split) noexcept;

Estimate estimate(const ModelSpec& model, const Layout& layout, const GpuSpec& gpu, const Calibration& calibration,
                  const EstimateOptions& options = {});

}  // namespace hp
