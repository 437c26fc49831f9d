// hp::estimate: divisibility rules, then memory of the most loaded pipeline rank and the step time.
// Infeasible layouts are data (Estimate::reason), never exceptions; nothing here allocates.
#include "hp/perf.hpp"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "hp/core.hpp"
#include "hp/layout_fields.hpp"

#include "perf_shape.hpp"

namespace hp {

const char* to_string(Recompute recompute) noexcept {
  switch (recompute) {
    case Recompute::selective: return "selective";
    case Recompute::full: return "full";
    case Recompute::none: break;
  }
  return "none";
}

Recompute recompute_from_string(const std::string& key, const std::string& value) {
  for (Recompute r : {Recompute::none, Recompute::selective, Recompute::full})
    if (value == to_string(r)) return r;
  throw ConfigError(key, value, "expected none, selective or full");
}

const char* to_string(Infeasible reason) noexcept {
  switch (reason) {
    case Infeasible::none: return "ok";
    case Infeasible::gpus_not_divisible: return "tp*pp*cp does not divide the GPU count";
    case Infeasible::heads_not_divisible: return "tp does not divide the attention heads or query groups";
    case Infeasible::layers_not_divisible: return "pp*vp does not divide the layers";
    case Infeasible::gbs_not_divisible: return "mbs*dp does not divide the global batch";
    case Infeasible::experts_not_divisible: return "ep does not divide the experts, or ep*etp does not divide tp*cp*dp";
    case Infeasible::seq_not_divisible: return "2*cp (times tp with SP) does not divide the sequence length";
    case Infeasible::vp_needs_pp: return "interleaving needs pp > 1 and micro-batches divisible by pp";
    case Infeasible::fp8_unsupported:
      return "the GPU has no tensor cores for this precision (FP8 needs Hopper or later, MXFP8 and NVFP4 Blackwell)";
    case Infeasible::recompute_module_absent:
      return "recompute_modules names a module this model lacks (mla_up_proj needs MLA; moe, moe_act MoE; "
             "shared_experts shared experts; mlp dense layers; layernorm an MLA or MoE layer) or moe_act/layernorm "
             "with FP8 delayed scaling";
    case Infeasible::out_of_memory: return "out of memory";
    case Infeasible::invalid_layout: return "a layout size is not positive";
    case Infeasible::invalid_model: return "a model size is not positive";
    case Infeasible::optimizer_offload_invalid:
      return "optimizer CPU offload needs the distributed optimizer and a fraction in 0..1";
  }
  return "unknown";
}

const char* to_string(Precision p) noexcept {
  switch (p) {
    case Precision::bf16: return "bf16";
    case Precision::fp8_delayed: return "fp8";
    case Precision::fp8_current: return "fp8-cs";
    case Precision::mxfp8: return "mxfp8";
    case Precision::nvfp4: return "nvfp4";
  }
  return "bf16";
}

Precision parse_precision(const std::string& key, const std::string& value) {
  std::string w;
  for (char c : value) {
    if (c == ' ' || c == '(' || c == ',') break;
    w += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (w == "bf16" || w == "fp16" || w == "fp16/bf16" || w == "mixed" || w == "fp32" || w == "16-mixed" ||
      w == "bf16-mixed")
    return Precision::bf16;
  if (w == "fp8" || w == "fp8-delayed" || w == "fp8-ds" || w == "delayed") return Precision::fp8_delayed;
  if (w == "fp8-cs" || w == "fp8-current" || w == "fp8-tensorwise" || w == "tensorwise") return Precision::fp8_current;
  if (w == "mxfp8" || w == "fp8-mx") return Precision::mxfp8;
  if (w == "nvfp4" || w == "fp4") return Precision::nvfp4;
  throw ConfigError(key, value,
                    "unknown precision (accepted: bf16, fp8 (delayed scaling), fp8-cs (current scaling), mxfp8, nvfp4)");
}

bool supports_precision(const GpuSpec& gpu, Precision p) noexcept {
  switch (p) {
    case Precision::bf16: return true;
    case Precision::fp8_delayed:
    case Precision::fp8_current: return gpu.peak_fp8_flops_per_s > 0;
    case Precision::mxfp8:
    case Precision::nvfp4: return gpu.peak_fp8_flops_per_s > 0 && gpu.peak_fp4_flops_per_s > 0;
  }
  return false;
}

const char* to_string(MoeDispatcher d) noexcept {
  switch (d) {
    case MoeDispatcher::alltoall: return "alltoall";
    case MoeDispatcher::allgather: return "allgather";
    case MoeDispatcher::flex: return "flex";
  }
  return "alltoall";
}

MoeDispatcher parse_moe_dispatcher(const std::string& key, const std::string& value) {
  std::string w;
  for (char c : value) w += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (w == "alltoall" || w == "all-to-all" || w == "a2a") return MoeDispatcher::alltoall;
  if (w == "allgather" || w == "all-gather") return MoeDispatcher::allgather;
  if (w == "flex" || w == "deepep" || w == "hybridep") return MoeDispatcher::flex;
  throw ConfigError(key, value, "unknown MoE token dispatcher (accepted: alltoall, allgather, flex)");
}

namespace {

// The sizes of a Layout with their lower bounds: the layout field table (hp/layout_fields.hpp) plus the two
// recompute counts, which are not parallel dimensions.
struct SizeField {
  const char* key;
  int Layout::*member;
  int min;
};
const std::vector<SizeField>& size_fields() {
  static const std::vector<SizeField> fields = [] {
    std::vector<SizeField> f;
    for (const LayoutField& lf : layout_fields()) f.push_back({lf.name, lf.member, lf.min_value});
    f.push_back({"recompute_num_layers", &Layout::recompute_num_layers, 0});
    f.push_back({"recompute_micro_batches", &Layout::recompute_micro_batches, -1});
    f.push_back({"activation_offload_layers", &Layout::activation_offload_layers, 0});
    return f;
  }();
  return fields;
}

// recompute_modules: known bits only, and only with selective recompute (Megatron-Core reads them only there).
bool modules_ok(const Layout& l) {
  return (l.recompute_modules & ~recompute_module::all) == 0 &&
         (l.recompute_modules == 0 || l.recompute == Recompute::selective);
}

// Optimizer CPU offload: a fraction in 0..1 (NaN fails both tests), and only with the distributed optimizer
// (Megatron-LM arguments.py: optimizer_cpu_offload asserts use_precision_aware_optimizer; OptimizerConfig
// __post_init__: the precision-aware optimizer asserts use_distributed_optimizer).
bool offload_fraction_ok(const Layout& l) {
  return l.optimizer_offload_fraction >= 0.0 && l.optimizer_offload_fraction <= 1.0;
}
bool offload_ok(const Layout& l) { return !l.optimizer_cpu_offload || l.distributed_optimizer; }

bool layout_ok(const Layout& l) {
  for (const auto& f : size_fields())
    if (l.*(f.member) < f.min || l.*(f.member) > kMaxLayoutSize) return false;
  return modules_ok(l);
}

// Megatron-Core transformer_config.py __post_init__ and transformer_layer.py: mla_up_proj needs MLA; moe_act
// and layernorm are rejected with FP8 delayed scaling. The others must name a module the model has: moe and
// moe_act a MoE layer, shared_experts a shared expert, mlp a dense (non-MoE) layer (transformer_layer.py sets
// recompute_mlp only there), layernorm an un-fused norm: Transformer Engine fuses the norms of dense GQA layers
// into their LayerNormLinear (an IdentityOp, which transformer_layer.py skips), so only MLA's input norm and
// a MoE layer's pre-MLP norm are separate modules.
bool modules_exist(const ModelSpec& m, const Layout& l) {
  namespace rm = recompute_module;
  const std::uint32_t mods = l.selective_modules();
  const int moe_layers = m.num_moe_layers();
  const bool dense = m.num_layers + (m.is_encoder_decoder() ? m.num_decoder_layers : 0) > moe_layers;
  if ((mods & rm::mla_up_proj) && !m.is_mla()) return false;
  if ((mods & (rm::moe | rm::moe_act)) && moe_layers == 0) return false;
  if ((mods & rm::shared_experts) && (moe_layers == 0 || m.moe_shared_expert_ffn_size <= 0)) return false;
  if ((mods & rm::mlp) && !dense) return false;
  if ((mods & rm::layernorm) && !m.is_mla() && moe_layers == 0) return false;
  if ((mods & (rm::moe_act | rm::layernorm)) && l.precision == Precision::fp8_delayed) return false;
  return true;
}

// Megatron-Core's divisibility rules (megatron/core/parallel_state.py, transformer_config.py, schedules.py).
Infeasible check(const ModelSpec& m, const Layout& l, const GpuSpec& gpu) {
  if (m.num_layers <= 0 || m.hidden_size <= 0 || m.num_attention_heads <= 0 || m.seq_length <= 0 ||
      m.vocab_size <= 0 || m.ffn_hidden_size < 0 || (m.is_moe() && m.moe_topk > m.moe_num_experts))
    return Infeasible::invalid_model;
  // The full check (upper limits too, so no count overflows); it allocates only when it throws.
  try {
    validate(m);
  } catch (const ConfigError&) {
    return Infeasible::invalid_model;
  }
  if (!layout_ok(l)) return Infeasible::invalid_layout;
  if (!offload_fraction_ok(l) || !offload_ok(l)) return Infeasible::optimizer_offload_invalid;
  // 64-bit products: each size is at most kMaxLayoutSize (2^20), so two of them never overflow.
  using i64 = long long;
  const i64 model_parallel = i64(l.tp) * l.pp * l.cp;
  if (model_parallel > l.num_gpus || l.num_gpus % model_parallel != 0) return Infeasible::gpus_not_divisible;
  if (m.num_attention_heads % l.tp != 0 || m.query_groups() % l.tp != 0) return Infeasible::heads_not_divisible;
  // Embedding / loss counted as layers (Megatron-Core transformer_config.py: num_layers + 1 per flag must
  // divide by pp*vp); only with pipelining.
  const i64 layers = i64(m.num_layers) + (m.is_encoder_decoder() ? m.num_decoder_layers : 0) +
                     (l.pp > 1 ? int(l.account_for_embedding) + int(l.account_for_loss) : 0);
  const i64 stages = i64(l.pp) * l.vp;
  if (layers < stages || (!l.uneven_pipeline && layers % stages != 0)) return Infeasible::layers_not_divisible;
  if (l.gbs % (i64(l.mbs) * l.dp()) != 0) return Infeasible::gbs_not_divisible;
  const i64 etp = l.expert_tp(m.is_moe());
  if (l.ep > 1 && (!m.is_moe() || m.moe_num_experts % l.ep != 0)) return Infeasible::experts_not_divisible;
  if (m.is_moe() && (i64(l.tp) * l.cp * l.dp()) % (i64(l.ep) * etp) != 0) return Infeasible::experts_not_divisible;
  if (l.cp > 1 && m.seq_length % (2 * i64(l.cp)) != 0) return Infeasible::seq_not_divisible;
  if (l.sequence_parallel && l.tp > 1 && (m.seq_length / l.cp) % l.tp != 0) return Infeasible::seq_not_divisible;
  if (l.vp > 1 && (l.pp < 2 || l.num_micro_batches() % l.pp != 0)) return Infeasible::vp_needs_pp;
  if (!supports_precision(gpu, l.precision)) return Infeasible::fp8_unsupported;
  if (!modules_exist(m, l)) return Infeasible::recompute_module_absent;
  return Infeasible::none;
}

}  // namespace

void validate(const Layout& l) {
  for (const auto& f : size_fields())
    if (l.*(f.member) < f.min || l.*(f.member) > kMaxLayoutSize)
      throw ConfigError(f.key, std::to_string(l.*(f.member)),
                        "expected an integer in " + std::to_string(f.min) + ".." + std::to_string(kMaxLayoutSize));
  if (!modules_ok(l)) {
    const bool unknown = (l.recompute_modules & ~recompute_module::all) != 0;
    if (unknown) throw ConfigError("recompute_modules", std::to_string(l.recompute_modules), "unknown module bits");
    throw ConfigError("recompute_modules", recompute_modules_to_string(l.recompute_modules),
                      std::string("valid only with recompute = selective (recompute is ") + to_string(l.recompute) + ")");
  }
  if (!offload_fraction_ok(l))
    throw ConfigError("optimizer_offload_fraction", fmt::format("{}", l.optimizer_offload_fraction),
                      "expected a number in 0..1");
  if (!offload_ok(l))
    throw ConfigError("optimizer_cpu_offload", "true",
                      "needs the distributed optimizer (Megatron-Core: optimizer_cpu_offload requires "
                      "use_precision_aware_optimizer, which requires use_distributed_optimizer)");
}

double model_flops_per_step(const ModelSpec& model, int global_batch_size) {
  Layout l;
  l.num_gpus = 1;
  l.gbs = 1;
  return detail::model_flops_per_sequence(detail::make_shape(model, l)) * global_batch_size;
}

Estimate estimate(const ModelSpec& model, const Layout& layout, const GpuSpec& gpu, const Calibration& calibration,
                  const EstimateOptions& options) {
  Estimate e;
  e.reason = check(model, layout, gpu);
  if (e.reason != Infeasible::none) return e;
  const detail::Shape s = detail::make_shape(model, layout);
  e.num_parameters = detail::total_params(s);

  // The most loaded GPU: the first stage holds the most in-flight micro-batches, the last one the logits.
  e.memory = detail::stage_memory(s, layout, calibration, 0);
  if (layout.pp > 1) {
    const MemoryBreakdown last = detail::stage_memory(s, layout, calibration, layout.pp - 1);
    if (last.total_bytes > e.memory.total_bytes) e.memory = last;
  }
  // With the embedding counted as a layer, rank 1 holds a full set of layers and nearly rank 0's micro-batches.
  if (layout.pp > 2 && layout.account_for_embedding) {
    const MemoryBreakdown second = detail::stage_memory(s, layout, calibration, 1);
    if (second.total_bytes > e.memory.total_bytes) e.memory = second;
  }

  e.time = detail::step_time(s, layout, gpu, calibration, &e.hardware_flops_per_step);
  e.model_flops_per_step = detail::model_flops_per_sequence(s) * layout.gbs;
  const double tokens = static_cast<double>(layout.gbs) * s.seq;  // T5: encoder tokens, as NeMo reports them
  const double t = e.time.step_time_s;
  if (t > 0) {
    e.tokens_per_s_per_gpu = tokens / t / layout.num_gpus;
    e.tflops_per_gpu = e.model_flops_per_step / t / layout.num_gpus / 1e12;
    const double peak = detail::gemm_peak(gpu, layout.precision);
    e.mfu = e.model_flops_per_step / t / layout.num_gpus / peak;
    e.hfu = e.hardware_flops_per_step / t / layout.num_gpus / peak;
  }
  e.fits = e.memory.total_bytes <= gpu.memory_bytes * (1.0 - options.memory_margin);
  if (!e.fits) e.reason = Infeasible::out_of_memory;
  return e;
}

}  // namespace hp
