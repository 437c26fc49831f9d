// Serving with in-flight (continuous) batching: maximum throughput for an ISL/OSL pair, online serving at a
// request rate or a concurrency (TTFT, TPOT, queueing), and disaggregated prefill/decode pools.
// Public header: standard-library types only. Formulas and sources: docs/model.md, "Serving modes".
#pragma once

#include <string>

#include "hp/hardware.hpp"
#include "hp/inference.hpp"
#include "hp/model.hpp"

namespace hp {

/// One aggregated serving engine instance (one replica) and its workload.
struct ServingLayout {
  int tp = 1;
  int pp = 1;
  int ep = 1;                       ///< expert parallel size inside TP (MoE)
  bool attention_dp = false;        ///< MoE: attention data-parallel over TP (InferenceLayout::attention_dp)
  int input_len = 1024;             ///< ISL: prompt tokens per request
  int output_len = 1024;            ///< OSL: generated tokens per request
  std::string weight_dtype = "fp8"; ///< fp16 | bf16 | fp8 | nvfp4
  std::string kv_cache_dtype;       ///< "" = weight_dtype
  int gpus_per_node = 8;
  std::string mode = "max_throughput";  ///< max_throughput | online
  int max_num_tokens = 8192;        ///< token budget of one iteration (TensorRT-LLM max_num_tokens,
                                    ///< vLLM max_num_batched_tokens)
  int max_batch_size = 2048;        ///< the engine's cap on requests in flight
  double kv_cache_fraction = 0.9;   ///< share of the memory left after weights given to the KV cache
                                    ///< (TensorRT-LLM kv_cache_free_gpu_mem_fraction, default 0.9)
  double request_rate = 0;          ///< online: requests/s arriving (Poisson); 0 = use concurrency
  int concurrency = 0;              ///< online: users in a closed loop; max_throughput: cap (0 = none)
  /// Iterations per scheduling round (vLLM multi-step scheduling, `--num-scheduler-steps`; 1 = every
  /// iteration, as TensorRT-LLM and SGLang schedule): new requests join only between rounds.
  int scheduler_steps = 1;
};

/// Mode names: "static_batch", "max_throughput", "online". Throws ConfigError(key, value) for others.
void check_serving_mode(const std::string& key, const std::string& mode);

struct ServingEstimate {
  InferenceInfeasible reason = InferenceInfeasible::none;
  bool fits = false;
  bool saturated = false;          ///< online: arrivals exceed what the engine serves (queue grows)
  int num_gpus = 1;
  double weights_bytes = 0;        ///< per GPU (most loaded)
  double kv_bytes_per_token = 0;   ///< per GPU, all its layers
  double kv_capacity_tokens = 0;   ///< tokens the KV cache holds
  int max_concurrency = 0;         ///< requests whose full ISL + OSL fit in the KV cache at once
  double concurrency = 0;          ///< decode sequences in flight (steady state)
  double prefill_tokens_per_step = 0;
  double step_s = 0;               ///< one iteration: every decoding sequence advances one token
  double ttft_s = 0;               ///< mean time to first token (online: with queueing; max_throughput: service)
  double tpot_s = 0;               ///< mean time per output token after the first
  double queue_s = 0;              ///< mean wait before the prefill starts (M/D/1)
  double utilization = 0;          ///< share of the token budget the prefill needs (online)
  double request_latency_s = 0;    ///< ttft + (osl - 1) tpot
  double requests_per_s = 0;
  double output_tokens_per_s = 0;  ///< whole replica
  double output_tokens_per_s_per_gpu = 0;
  double tokens_per_s_per_user = 0;  ///< 1 / tpot
};

/// Steady state of one replica. Never throws for an infeasible layout (reason set); throws ConfigError for values
/// that are not a layout (tp < 1, unknown dtype or mode, max_num_tokens < 1, ...).
ServingEstimate estimate_serving(const ModelSpec& model, const ServingLayout& layout, const GpuSpec& gpu,
                                 const InferenceCalibration& calibration);

/// Disaggregated serving: prefill on its own replicas, decode on others; the KV cache of each request crosses
/// the network once (Zhong et al. 2024, DistServe; Patel et al. 2024, Splitwise).
struct DisaggregatedEstimate {
  InferenceInfeasible reason = InferenceInfeasible::none;
  bool fits = false;
  ServingEstimate prefill;         ///< prefill replica (osl = 1: no decode)
  ServingEstimate decode;          ///< decode replica (prompt arrives as KV cache)
  int prefill_workers = 1;
  int decode_workers = 1;
  int num_gpus = 0;
  double kv_transfer_s = 0;        ///< one request's KV cache from a prefill GPU to a decode GPU
  double ttft_s = 0;               ///< prefill + transfer (+ queueing at the offered rate)
  double tpot_s = 0;
  double requests_per_s = 0;       ///< the slower pool's rate
  double output_tokens_per_s_per_gpu = 0;
  double tokens_per_s_per_user = 0;
};

/// `prefill` and `decode` give each pool's layout (lengths and dtypes from `decode`); the decode pool runs at
/// decode.concurrency sequences per replica (0: as many as memory and max_batch_size allow).
DisaggregatedEstimate estimate_disaggregated(const ModelSpec& model, const ServingLayout& prefill,
                                             const ServingLayout& decode, int prefill_workers, int decode_workers,
                                             const GpuSpec& gpu, const InferenceCalibration& calibration);

}  // namespace hp
