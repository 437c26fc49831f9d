// Trials: names, the NeMo training config of each trial, and the dotted overrides for a user's custom config.
#include <fmt/format.h>

#include "hp/nemo_grid.hpp"
#include "hp/plan.hpp"
#include "nemo_precision.hpp"

namespace hp {
namespace {

std::string recompute_tag(const RankedLayout& r) {
  switch (r.layout.recompute) {
    case Recompute::selective: {
      // Named modules (Megatron-Core recompute_modules) follow, '-'-joined: act_ckpt_selective-mla_up_proj-mlp.
      std::string tag = "selective";
      for (const RecomputeModuleName& n : recompute_module_names())
        if (r.layout.recompute_modules & n.bit) tag += std::string("-") + n.name;
      return tag;
    }
    case Recompute::full: return std::to_string(r.act_ckpt_layers);
    case Recompute::none: break;
  }
  return "0";
}

// Layers per model chunk recomputed with the block method (what NeMo's activations_checkpoint_num_layers means).
int layers_per_chunk(const TrainingConfig& base, const Layout& l) {
  const int layers = base.model.num_layers + base.model.num_decoder_layers;
  const int per_chunk = layers / std::max(1, l.pp * l.vp);
  return l.recompute_num_layers == 0 ? per_chunk : l.recompute_num_layers / std::max(1, l.vp);
}

}  // namespace

std::string model_run_name(const std::string& family, double size_b, int num_nodes, const RankedLayout& r,
                           bool legacy) {
  const Layout& l = r.layout;
  // NeMo HEAD writes cp/ep None for T5/mT5 (no context or expert parallelism there).
  const bool t5 = family == "t5" || family == "mt5";
  const std::string cp_ep = legacy ? std::string()
                                   : t5 ? std::string("_cp_None_ep_None") : fmt::format("_cp_{}_ep_{}", l.cp, l.ep);
  std::string name = fmt::format("{}_{}b_{}nodes_tp_{}_pp_{}{}_mbs_{}_act_ckpt_{}_num_mbs_act_None_act_per_pipe_None",
                                 family, format_size_b(size_b), num_nodes, l.tp, l.pp, cp_ep, l.mbs, recompute_tag(r));
  if (l.vp > 1) name += fmt::format("_vp_{}", l.vp);
  if (legacy && l.cp > 1) name += fmt::format("_cp_{}", l.cp);
  if (legacy && l.ep > 1) name += fmt::format("_ep_{}", l.ep);
  if (l.tp > 1 && !l.sequence_parallel) name += "_nosp";
  if (!l.distributed_optimizer) name += "_nodo";
  if (l.etp > 0) name += fmt::format("_etp_{}", l.etp);  // 0 = unspecified, as NeMo's null
  if (l.fsdp) name += "_fsdp";
  if (l.account_for_embedding || l.account_for_loss) name += "_embloss";
  // Optimizer CPU offload: _optoff, with the offloaded percentage when not all of it.
  if (l.optimizer_cpu_offload)
    name += l.optimizer_offload_fraction >= 1.0 ? std::string("_optoff")
                                                : fmt::format("_optoff{:.0f}", 100 * l.optimizer_offload_fraction);
  if (l.fp8()) name += l.precision == Precision::fp8_delayed ? std::string("_fp8") : "_" + std::string(to_string(l.precision));
  return name;
}

TrainingConfig trial_config(const TrainingConfig& base, const Trial& t, SearchPolicy policy) {
  TrainingConfig c = base;
  const Layout& l = t.layout;
  c.run_name = t.config_name;
  c.num_nodes = t.num_nodes;
  c.gpus_per_node = t.gpus_per_node;
  c.max_steps = t.max_steps;
  c.time_limit = t.time_limit;
  c.global_batch_size = l.gbs;
  c.micro_batch_size = l.mbs;
  c.tensor_model_parallel_size = l.tp;
  c.pipeline_model_parallel_size = l.pp;
  c.virtual_pipeline_model_parallel_size = l.vp > 1 ? l.vp : 0;
  c.context_parallel_size = l.cp;
  c.expert_model_parallel_size = l.ep;
  c.sequence_parallel = l.sequence_parallel;
  c.distributed_optimizer = l.distributed_optimizer;
  // The base's own precision keys stay when the trial runs its precision; another precision gets its recipe.
  if (l.precision != precision_from_nemo(base)) detail::set_precision_recipe(c, l.precision);
  c.expert_tensor_parallel_size = l.etp;
  c.fsdp = l.fsdp;
  c.account_for_embedding_in_pipeline_split = l.account_for_embedding;
  c.account_for_loss_in_pipeline_split = l.account_for_loss;
  // Uneven stages as Megatron-Core's explicit first/last counts (the split the model priced); none otherwise, also
  // where the base config had some.
  UnevenPipelineSplit uneven;
  const bool uneven_split = uneven_pipeline_split(c.model, l, &uneven);
  c.num_layers_in_first_pipeline_stage = uneven_split ? uneven.first : 0;
  c.num_layers_in_last_pipeline_stage = uneven_split ? uneven.last : 0;
  c.moe_token_dispatcher_type = l.moe_dispatcher == MoeDispatcher::alltoall ? "" : to_string(l.moe_dispatcher);
  c.cpu_offloading_num_layers = l.activation_offload_layers;
  c.recompute_modules = l.recompute == Recompute::selective ? recompute_modules_to_string(l.recompute_modules) : "";
  c.optimizer_cpu_offload = l.optimizer_cpu_offload;
  c.optimizer_offload_fraction = l.optimizer_offload_fraction;
  c.overlap_cpu_optimizer_d2h_h2d = l.overlap_cpu_optimizer_d2h_h2d;
  if (policy == SearchPolicy::nemo && t.act_ckpt_layers >= 0) {
    // NeMo's act-ckpt sweep (block method); T5/mT5 split the layers over encoder and decoder.
    c.activations_checkpoint_granularity = "full";
    c.activations_checkpoint_method = "block";
    c.activations_checkpoint_num_layers = base.model.is_encoder_decoder() ? t.act_ckpt_layers / 2 : t.act_ckpt_layers;
    c.num_micro_batches_with_partial_activation_checkpoints = t.num_micro_batches_with_partial_activation_checkpoints;
    c.activations_checkpoint_layers_per_pipeline = t.activations_checkpoint_layers_per_pipeline;
  } else if (policy == SearchPolicy::model) {
    c.num_micro_batches_with_partial_activation_checkpoints = -1;
    c.activations_checkpoint_layers_per_pipeline = -1;
    if (l.recompute == Recompute::selective) {
      c.activations_checkpoint_granularity = "selective";
      c.activations_checkpoint_method = "";
      c.activations_checkpoint_num_layers = -1;
    } else if (l.recompute == Recompute::full) {
      c.activations_checkpoint_granularity = "full";
      c.activations_checkpoint_method = "block";
      c.activations_checkpoint_num_layers = layers_per_chunk(base, l);
    } else {
      c.activations_checkpoint_granularity = "";
      c.activations_checkpoint_method = "";
      c.activations_checkpoint_num_layers = -1;
    }
  }
  return c;
}

std::vector<std::pair<std::string, std::string>> trial_overrides(const TrainingConfig& c, bool model_policy) {
  auto opt = [](int v) { return v < 0 ? std::string("null") : std::to_string(v); };
  auto str = [](const std::string& s) { return s.empty() ? std::string("null") : s; };
  std::vector<std::pair<std::string, std::string>> out = {
      {"run.name", c.run_name},
      {"run.time_limit", c.time_limit},
      {"trainer.num_nodes", std::to_string(c.num_nodes)},
      {"trainer.max_steps", std::to_string(c.max_steps)},
      {"trainer.val_check_interval", std::to_string(c.max_steps)},
      {"model.global_batch_size", std::to_string(c.global_batch_size)},
      {"model.micro_batch_size", std::to_string(c.micro_batch_size)},
      {"model.tensor_model_parallel_size", std::to_string(c.tensor_model_parallel_size)},
      {"model.pipeline_model_parallel_size", std::to_string(c.pipeline_model_parallel_size)},
      {"model.virtual_pipeline_model_parallel_size",
       c.virtual_pipeline_model_parallel_size > 0 ? std::to_string(c.virtual_pipeline_model_parallel_size) : "null"},
      {"model.activations_checkpoint_granularity", str(c.activations_checkpoint_granularity)},
      {"model.activations_checkpoint_method", str(c.activations_checkpoint_method)},
      {"model.activations_checkpoint_num_layers", opt(c.activations_checkpoint_num_layers)},
      {"model.num_micro_batches_with_partial_activation_checkpoints",
       opt(c.num_micro_batches_with_partial_activation_checkpoints)},
      {"model.activations_checkpoint_layers_per_pipeline", opt(c.activations_checkpoint_layers_per_pipeline)},
  };
  // NeMo's modify_cfg writes CP and EP when its grid sets them (GPT-like models; None for T5/mT5).
  if (model_policy || !c.model.is_encoder_decoder()) {
    out.push_back({"model.context_parallel_size", std::to_string(c.context_parallel_size)});
    out.push_back({"model.expert_model_parallel_size", std::to_string(c.expert_model_parallel_size)});
  }
  if (model_policy) {
    out.push_back({"model.sequence_parallel", c.sequence_parallel ? "true" : "false"});
    out.push_back({"model.optim.name", nemo_optimizer_name(c)});
    out.push_back({"model.fp8", c.fp8 ? "true" : "false"});
    if (c.expert_tensor_parallel_size > 0)
      out.push_back({"model.expert_tensor_parallel_size", std::to_string(c.expert_tensor_parallel_size)});
    if (c.fsdp) out.push_back({"model.fsdp", "true"});
    if (c.account_for_embedding_in_pipeline_split) out.push_back({"model.account_for_embedding_in_pipeline_split", "true"});
    if (c.account_for_loss_in_pipeline_split) out.push_back({"model.account_for_loss_in_pipeline_split", "true"});
    if (!c.recompute_modules.empty()) {  // a Hydra list: [mla_up_proj,mlp]
      std::string list = c.recompute_modules;
      for (char& ch : list) ch = ch == '+' ? ',' : ch;
      out.push_back({"model.recompute_modules", "[" + list + "]"});
    }
    if (c.optimizer_cpu_offload) {
      out.push_back({"model.optim.optimizer_cpu_offload", "true"});
      out.push_back({"model.optim.optimizer_offload_fraction", fmt::format("{}", c.optimizer_offload_fraction)});
      out.push_back({"model.optim.overlap_cpu_optimizer_d2h_h2d", c.overlap_cpu_optimizer_d2h_h2d ? "true" : "false"});
      out.push_back({"model.optim.use_precision_aware_optimizer", "true"});
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> trial_overrides(const TrainingConfig& c, const TrainingConfig& base,
                                                                 bool model_policy) {
  std::vector<std::pair<std::string, std::string>> out = trial_overrides(c, model_policy);
  if (model_policy) {
    const auto rows = detail::precision_rows(c, base);
    out.insert(out.end(), rows.begin(), rows.end());
  }
  return out;
}

}  // namespace hp
