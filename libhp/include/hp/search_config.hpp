// The search config: NeMo launcher's search_config (train_settings, inference_settings) plus our keys.
// Public header: standard-library types only.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace hp {

/// NeMo's `train_settings`, key for key; lists are empty for "auto". Our own keys follow.
struct TrainSettings {
  std::string model = "gpt3";          ///< family (our key; NeMo derives it from the folder name)
  double model_size_in_b = 0;          ///< 0 (null) = recommend a size from the hardware and days
  int num_nodes = 1;
  int gpus_per_node = 8;
  int gpu_memory_gb = 80;
  double max_training_days = 5;
  int limit_search_runs = 100;
  int output_top_n = 10;
  int max_steps_per_run = 50;
  int max_minutes_per_run = 20;
  double tflops_per_gpu = 140;
  double num_tokens_in_b = 300;
  int vocab_size = 0;                  ///< 0 = family default
  int seq_length = 0;                  ///< 0 = family default
  std::string custom_config;           ///< path of a user's base YAML, "" = generated
  std::string logs;                    ///< results directory ("" = ./results)
  std::vector<int> tensor_parallel_sizes;
  std::vector<int> pipeline_parallel_sizes;
  int min_model_parallel_size = 0;     ///< 0 = auto
  int max_model_parallel_size = 0;     ///< 0 = auto
  std::vector<int> micro_batch_sizes;
  std::vector<int> act_ckpt_layers;

  // Our keys.
  std::string gpu;                     ///< catalogue name; "" = from gpu_memory_gb (A100 40/80 GB)
  std::string policy = "model";        ///< model | nemo
  std::vector<int> virtual_pipeline_sizes;
  std::vector<int> context_parallel_sizes;
  std::vector<int> expert_parallel_sizes;
  std::vector<int> expert_tensor_parallel_sizes;  ///< ETP values to try; empty = auto (MoE: tp and 1)
  std::vector<std::string> recompute_modes;   ///< none, selective, full
  std::vector<int> sequence_parallel;         ///< 0/1 values to try; empty = auto
  std::vector<int> distributed_optimizer;     ///< 0/1 values to try; empty = auto
  /// 0/1 values of optimizer CPU offload (whole shard, overlapped) to try, with the distributed optimizer only;
  /// empty = {0}: opt-in, since it only adds time and helps only a layout that does not fit otherwise.
  std::vector<int> optimizer_cpu_offload;
  /// GEMM precisions to search (bf16, fp8, fp8-cs, mxfp8, nvfp4); empty = the base config's precision only
  /// (changing numerics is the user's decision). fp8: true is the older spelling of [bf16, fp8].
  std::vector<std::string> precisions;
  bool fp8 = false;
  bool fsdp = false;                   ///< true: also try FSDP (pp = 1 layouts) [train_settings.fsdp]
  bool nemo_fix_bugs = false;          ///< nemo policy: fix NeMo's known grid bugs (docs/model.md)
  bool legacy_names = false;           ///< candidate names without NeMo HEAD's _cp_<cp>_ep_<ep>_
  double memory_margin = 0.05;         ///< fraction of GPU memory kept free
  int global_batch_size = 0;           ///< 0 = NeMo's default for the size
  std::string trial_nodes = "min";     ///< min: each trial on the fewest nodes it needs; full: the whole cluster
};

/// NeMo's `inference_settings` (GPT-3).
struct InferenceSettings {
  std::vector<int> tensor_parallel_sizes;
  std::vector<int> pipeline_parallel_sizes;
  std::vector<int> max_batch_sizes;
  std::vector<int> input_seq_lengths;
  std::vector<int> output_seq_lengths;
  int top_n = 10;
  double max_latency_ms = 0;           ///< 0 = no bound
  int gpus_per_node = 8;
  int num_nodes = 0;                   ///< nodes available; 0 = no cap (NeMo has none)
  std::string gpu;                     ///< catalogue name; "" = from train_settings.gpu_memory_gb
  // Our keys (issue 6). NeMo HEAD names in brackets are accepted as aliases by the parser.
  std::string model;                   ///< catalogue key "gpt3/5b" or NeMo run name "gpt3_5b" [run.model_train_name]
  std::string data_type = "fp16";      ///< weights and GEMMs: fp16 | bf16 | fp8 [run.data_type]
  std::string kv_cache_dtype;          ///< "" = data_type; fp8 for an FP8 KV cache
  std::string benchmark = "fastertransformer";  ///< measure with: fastertransformer | trtllm | vllm [benchmark_tool]
  double memory_fraction = 0;          ///< share of GPU memory usable; 0 = the engine calibration's (0.95, FT 1.0)
  int beam_width = 1;                  ///< [benchmark.beam_width] (the model assumes 1)
  // Serving with in-flight batching (issue 14).
  std::string mode = "static_batch";   ///< static_batch | max_throughput | online
  double max_ttft_ms = 0;              ///< bound on the time to first token; 0 = none
  double max_tpot_ms = 0;              ///< bound on the time per output token; 0 = none
  std::vector<int> concurrency;        ///< online: users per replica to try; max_throughput: caps ([] = none)
  double request_rate = 0;             ///< online: requests/s per replica (instead of concurrency)
  int max_num_tokens = 8192;           ///< the engine's token budget per iteration
  int scheduler_steps = 1;             ///< iterations per scheduling round (vLLM --num-scheduler-steps)
  std::vector<int> expert_parallel_sizes;  ///< MoE: EP inside TP ([] = powers of 2 dividing the experts and a TP size)
  std::string attention_dp = "auto";   ///< MoE: attention data parallel (ep == tp): auto (try both), true, false
  std::string engine = "trtllm-0.17";  ///< calibration of the serving modes (trtllm-0.17, trtllm-0.14, trtllm)
  bool disaggregated = false;          ///< also search separate prefill/decode pools
  int max_gpus = 8;                    ///< disaggregated: GPUs of both pools together at most
  /// Architecture keys (num_layers, hidden_size, num_attention_heads, num_query_groups, ffn_hidden_size,
  /// vocab_size, max_position_embeddings, moe_num_experts, moe_topk, moe_ffn_hidden_size, activation): a model
  /// without a catalogue entry. Empty = inference_settings.model.
  std::map<std::string, std::string> architecture;
  /// Sliding-window attention over the model's own (hp-cli infer-search --sliding-window[-pattern]): -1 = keep.
  int sliding_window = -1;
  int sliding_window_pattern = -1;
};

/// Extra sections users add (trial command template, executor options) as raw strings by dotted key.
struct SearchConfig {
  std::string path;                    ///< file it came from ("" for built in code)
  TrainSettings train;
  InferenceSettings inference;
  bool has_train_settings = false;
  bool has_inference_settings = false;
  std::map<std::string, std::string> extra;  ///< other scalar keys, flattened ("trial.command" -> "...")
};

/// One command-line override of a train_settings key (hp-cli search --nodes/--gpus-per-node/--gpu).
struct TrainOverride {
  std::string key;     ///< train_settings key: "num_nodes"
  std::string value;   ///< read as the file's value would be: "32"
  std::string origin;  ///< how the user gave it, named in errors: "--nodes"
};

/// Read a search config YAML. The family comes from `model` (top level or in train_settings), else from the
/// file's parent folder name as NeMo does (search_config/gpt3/5b.yaml -> gpt3). Unknown keys in
/// train_settings are errors (a typo must not silently fall back to a default). Throws ConfigError/IoError.
SearchConfig load_search_config(const std::string& path);
SearchConfig parse_search_config(const std::string& yaml_text, const std::string& origin = "<string>");
/// Same, with overrides replacing (or adding) train_settings keys before the file is parsed: each value is parsed
/// and range-checked exactly as the file's value (with the other keys: num_nodes x gpus_per_node), and a "gpu"
/// is looked up in the catalogue. A bad value throws ConfigError naming the override's origin and its value.
SearchConfig load_search_config(const std::string& path, const std::vector<TrainOverride>& overrides);
SearchConfig parse_search_config(const std::string& yaml_text, const std::string& origin,
                                 const std::vector<TrainOverride>& overrides);

}  // namespace hp
