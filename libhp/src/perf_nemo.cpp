// Layout of a NeMo-Megatron training config (NeMo's model.* keys; see docs/model.md "Inputs").
#include "hp/nemo_config.hpp"
#include "hp/perf.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "hp/core.hpp"

namespace hp {

namespace {

// The values come from a user's file: name them with NeMo's keys and check before any arithmetic.
void check_sizes(const TrainingConfig& c) {
  const std::pair<const char*, int> sizes[] = {
      {"trainer.num_nodes", c.num_nodes},
      {"trainer.devices", c.gpus_per_node},
      {"model.tensor_model_parallel_size", c.tensor_model_parallel_size},
      {"model.pipeline_model_parallel_size", c.pipeline_model_parallel_size},
      {"model.context_parallel_size", c.context_parallel_size},
      {"model.expert_model_parallel_size", c.expert_model_parallel_size},
      {"model.micro_batch_size", c.micro_batch_size},
      {"model.global_batch_size", c.global_batch_size}};
  const std::string accepted = "expected an integer in 1.." + std::to_string(kMaxLayoutSize);
  for (const auto& [key, value] : sizes)
    if (value < 1 || value > kMaxLayoutSize) throw ConfigError(key, std::to_string(value), accepted);
  if (c.virtual_pipeline_model_parallel_size < 0 || c.virtual_pipeline_model_parallel_size > kMaxLayoutSize)
    throw ConfigError("model.virtual_pipeline_model_parallel_size", std::to_string(c.virtual_pipeline_model_parallel_size),
                      "expected null or an integer in 0.." + std::to_string(kMaxLayoutSize));
  for (const auto& [key, value] : {std::pair<const char*, int>{"model.activations_checkpoint_num_layers", c.activations_checkpoint_num_layers},
                                   {"model.num_micro_batches_with_partial_activation_checkpoints",
                                    c.num_micro_batches_with_partial_activation_checkpoints}})
    if (value < -1 || value > kMaxLayoutSize)
      throw ConfigError(key, std::to_string(value), "expected null or an integer in 0.." + std::to_string(kMaxLayoutSize));
  const long long ckpt = static_cast<long long>(c.activations_checkpoint_num_layers) *
                         std::max(1, c.virtual_pipeline_model_parallel_size);
  if (ckpt > kMaxLayoutSize)
    throw ConfigError("model.activations_checkpoint_num_layers", std::to_string(c.activations_checkpoint_num_layers),
                      "x virtual pipeline stages exceeds " + std::to_string(kMaxLayoutSize));
  const long long gpus = static_cast<long long>(c.num_nodes) * c.gpus_per_node;
  if (gpus > kMaxLayoutSize)
    throw ConfigError("trainer.num_nodes", std::to_string(c.num_nodes),
                      "num_nodes x devices = " + std::to_string(gpus) + " GPUs; the limit is " + std::to_string(kMaxLayoutSize));
}

}  // namespace

Precision precision_from_nemo(const TrainingConfig& c) {
  if (c.fp4) return Precision::nvfp4;
  if (!c.fp8 && c.precision.find("fp8") == std::string::npos) return Precision::bf16;
  return c.fp8_recipe == "tensorwise" ? Precision::fp8_current
         : c.fp8_recipe == "mxfp8"    ? Precision::mxfp8
                                      : Precision::fp8_delayed;
}

Layout layout_from_nemo(const TrainingConfig& c) {
  check_sizes(c);
  Layout l;
  l.num_gpus = c.num_nodes * c.gpus_per_node;
  l.tp = c.tensor_model_parallel_size;
  l.pp = c.pipeline_model_parallel_size;
  l.vp = c.virtual_pipeline_model_parallel_size > 0 ? c.virtual_pipeline_model_parallel_size : 1;
  l.cp = c.context_parallel_size;
  l.ep = c.expert_model_parallel_size;
  l.mbs = c.micro_batch_size;
  l.gbs = c.global_batch_size;
  l.sequence_parallel = c.sequence_parallel;
  l.distributed_optimizer = c.distributed_optimizer;
  l.optimizer_state_bytes = c.optimizer_state_bytes;
  l.precision = precision_from_nemo(c);
  l.etp = c.expert_tensor_parallel_size;
  l.fsdp = c.fsdp;
  l.account_for_embedding = c.account_for_embedding_in_pipeline_split;
  l.account_for_loss = c.account_for_loss_in_pipeline_split;
  if (!c.moe_token_dispatcher_type.empty())
    l.moe_dispatcher = parse_moe_dispatcher("model.moe_token_dispatcher_type", c.moe_token_dispatcher_type);
  l.activation_offload_layers = c.cpu_offloading_num_layers;
  l.optimizer_cpu_offload = c.optimizer_cpu_offload;
  l.optimizer_offload_fraction = c.optimizer_offload_fraction;
  l.overlap_cpu_optimizer_d2h_h2d = c.overlap_cpu_optimizer_d2h_h2d;
  // Explicit first/last-stage layer counts are Megatron-Core's uneven pipeline (modelled by the busiest stage).
  l.uneven_pipeline = c.num_layers_in_first_pipeline_stage > 0 || c.num_layers_in_last_pipeline_stage > 0;
  if (!c.recompute_modules.empty() && c.activations_checkpoint_granularity != "selective")
    throw ConfigError("model.recompute_modules", c.recompute_modules,
                      "valid only with model.activations_checkpoint_granularity: selective");
  if (c.activations_checkpoint_granularity == "selective") {
    l.recompute = Recompute::selective;
    l.recompute_modules = parse_recompute_modules("model.recompute_modules", c.recompute_modules);
  } else if (c.activations_checkpoint_granularity == "full") {
    l.recompute = Recompute::full;
    // Megatron "block": the first N layers of each model chunk are recomputed, so N x vp per pipeline stage, and
    // N = 0 recomputes nothing (NeMo's T5 configs ship full/block/0). "uniform": every layer, in groups of N.
    if (c.activations_checkpoint_method == "block" && c.activations_checkpoint_num_layers >= 0) {
      if (c.activations_checkpoint_num_layers == 0) {
        l.recompute = Recompute::none;
        validate(l);
        return l;
      }
      l.recompute_num_layers = c.activations_checkpoint_num_layers * l.vp;
    }
    if (c.num_micro_batches_with_partial_activation_checkpoints >= 0)
      l.recompute_micro_batches = c.num_micro_batches_with_partial_activation_checkpoints;
  }
  validate(l);
  return l;
}

}  // namespace hp
