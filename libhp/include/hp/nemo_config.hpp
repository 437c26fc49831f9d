// NeMo-Megatron training YAML: base config generation, candidate configs, and reading them back.
// Public header: standard-library types only.
#pragma once

#include <string>

#include "hp/files.hpp"  // write_file_atomic
#include <utility>
#include <vector>

#include "hp/model.hpp"

namespace hp {

/// Every value that varies between NeMo-Megatron training configs; the rest is NeMo's fixed defaults.
struct TrainingConfig {
  ModelSpec model;
  double size_b = 0;               ///< nominal size (names the run: gpt3_5b)
  std::string run_name;            ///< run.name
  std::string results_dir;         ///< run.results_dir ("" = results/<run_name>)
  std::string data_dir = "/data";  ///< where tokenizer files and the data_prefix documents live
  int num_nodes = 1;
  int gpus_per_node = 8;
  std::string precision = "bf16";
  long long max_steps = 0;
  std::string time_limit = "0-01:00:00";  ///< run.time_limit, Slurm D-HH:MM:SS
  std::string max_time = "00:00:30:00";   ///< trainer.max_time, DD:HH:MM:SS
  double lr = 1e-4;
  double min_lr = 1e-5;
  long long warmup_steps = 0;      ///< GPT: CosineAnnealing warmup_steps
  long long constant_steps = 0;    ///< GPT: CosineAnnealing constant_steps
  double warmup_ratio = 0.01;      ///< T5/mT5: WarmupAnnealing
  double init_method_std = 0.02;

  // Layout keys (model.*).
  int global_batch_size = 256;
  int micro_batch_size = 1;
  int tensor_model_parallel_size = 1;
  int pipeline_model_parallel_size = 1;
  int virtual_pipeline_model_parallel_size = 0;  ///< 0 = null (no interleaving)
  int context_parallel_size = 1;
  int expert_model_parallel_size = 1;
  bool sequence_parallel = false;
  std::string activations_checkpoint_granularity;  ///< "" (null), "selective", "full"
  std::string activations_checkpoint_method;       ///< "" (null), "block", "uniform"
  int activations_checkpoint_num_layers = -1;      ///< -1 = null
  int num_micro_batches_with_partial_activation_checkpoints = -1;  ///< -1 = null
  int activations_checkpoint_layers_per_pipeline = -1;              ///< -1 = null
  /// Megatron-Core recompute_modules with selective granularity, as the words joined by '+' ("" = null, i.e.
  /// core_attn); model.recompute_modules is a YAML list of them.
  std::string recompute_modules;
  bool distributed_optimizer = true;  ///< optim.name shards the optimizer state (see nemo_optimizers())
  std::string optimizer;              ///< model.optim.name as read; "" = written from distributed_optimizer
  int optimizer_state_bytes = 12;     ///< fp32 master + state per parameter of that optimizer (Adam 12)
  bool fp8 = false;
  /// Megatron-Core TransformerConfig keys NeMo passes through (written only when not the default):
  std::string fp8_recipe;          ///< "" = delayed; "tensorwise" (current scaling), "mxfp8"; with fp4 "nvfp4"
  bool fp4 = false;                ///< NVFP4 GEMMs (fp4_recipe nvfp4)
  /// FP8 format: e4m3 for every tensor (MXFP8 recipes) instead of hybrid (E4M3 forward, E5M2 gradients); NeMo's
  /// fp8_e4m3 / fp8_hybrid, Megatron-Core's fp8 = "e4m3" | "hybrid".
  bool fp8_e4m3 = false;
  /// Megatron-Core first_last_layers_bf16: transformer layers kept in BF16 at the start and the end (0 = off;
  /// Megatron-Bridge's FP8 current-scaling recipe keeps 1 and 1).
  int num_layers_at_start_in_bf16 = 0;
  int num_layers_at_end_in_bf16 = 0;
  int expert_tensor_parallel_size = 0;  ///< 0 = null (Megatron-Core: = tensor parallel)
  bool fsdp = false;               ///< model.fsdp (fully sharded data parallel)
  bool account_for_embedding_in_pipeline_split = false;
  bool account_for_loss_in_pipeline_split = false;
  std::string moe_token_dispatcher_type;  ///< "" = null (alltoall); alltoall, allgather, flex
  int cpu_offloading_num_layers = 0;      ///< > 0: cpu_offloading with activations only
  /// Megatron-Core OptimizerConfig keys under model.optim, written only with offload on (with
  /// use_precision_aware_optimizer: true, which Megatron requires for it). Reading, an absent fraction or overlap
  /// takes OptimizerConfig's default (0.0, false); these defaults are what the writer and hp-cli use.
  bool optimizer_cpu_offload = false;
  double optimizer_offload_fraction = 1.0;
  bool overlap_cpu_optimizer_d2h_h2d = true;
  /// Megatron-Core's uneven pipeline: layers of the first / last stage, the rest split evenly; 0 = even split.
  int num_layers_in_first_pipeline_stage = 0;
  int num_layers_in_last_pipeline_stage = 0;
};

/// An optimizer NeMo accepts in model.optim.name.
struct NemoOptimizer {
  std::string name;
  bool distributed = false;  ///< shards fp32 master weights and optimizer state over the data-parallel group
  int state_bytes = 12;      ///< fp32 master weights (4 B) + 4 B per fp32 state tensor, per parameter
  std::string what;          ///< the implementation behind the name
};

/// Every optimizer name NeMo knows (mcore_distributed_optim first: what NeMo writes today).
const std::vector<NemoOptimizer>& nemo_optimizers();
/// The entry for a name; an unknown name throws ConfigError(key, name, "... NeMo accepts <names>").
const NemoOptimizer& find_nemo_optimizer(const std::string& name, const std::string& key = "model.optim.name");
/// What the writer puts in model.optim.name: config.optimizer when it agrees with distributed_optimizer, else
/// mcore_distributed_optim (distributed) or fused_adam.
std::string nemo_optimizer_name(const TrainingConfig& config);

struct BaseConfigRequest {
  std::string family = "gpt3";
  double size_b = 5;             ///< matches a pre-defined size exactly -> its architecture; else NeMo's tables
  int num_nodes = 1;
  int gpus_per_node = 8;
  int gpu_memory_gb = 80;
  int seq_length = 0;            ///< 0 = family default (GPT 2048, T5/mT5 512)
  int vocab_size = 0;            ///< 0 = family default
  double max_training_days = 5;
  double num_tokens_in_b = 300;
};

/// NeMo's size label in run and file names: 5 -> "5b", 0.126 -> "0.126b" (Python's str() of the size).
std::string nemo_size_label(double size_b);

/// The base config NeMo's launcher would generate (nemo_autoconfigurator.md section 3).
TrainingConfig base_config(const BaseConfigRequest& request);

/// The complete NeMo-Megatron training YAML (run, trainer, exp_manager, model with tokenizer, data, optim).
std::string to_nemo_yaml(const TrainingConfig& config);

/// Read a NeMo-Megatron training YAML back (throws ConfigError / IoError naming the key and value).
TrainingConfig load_nemo_yaml(const std::string& path);
TrainingConfig parse_nemo_yaml(const std::string& text, const std::string& origin = "<string>");

/// Overwrite dotted keys ("model.micro_batch_size" -> "2") in any YAML text (for a user's custom_config).
/// Values are parsed as YAML scalars ("null", "true", "2", "1e-4", "abc").
std::string override_yaml(const std::string& yaml_text, const std::vector<std::pair<std::string, std::string>>& values);


}  // namespace hp
