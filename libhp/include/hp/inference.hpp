// Inference (serving) performance model: prefill, decode, TP all-reduces, pipeline stages, KV-cache memory.
// Public header: standard-library types only. Formulas and sources: docs/model.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hp/hardware.hpp"
#include "hp/model.hpp"

namespace hp {

/// One serving layout: a static batch of requests with fixed input and output lengths (NeMo's
/// FasterTransformer benchmark and TensorRT-LLM's gptSessionBenchmark semantics).
struct InferenceLayout {
  int tp = 1;              ///< tensor parallel size
  int pp = 1;              ///< pipeline parallel size
  int ep = 1;              ///< expert parallel size inside the TP group (MoE; divides tp and the experts)
  bool attention_dp = false;  ///< MoE: attention data-parallel over the TP group (each GPU its own requests,
                              ///< attention weights replicated, experts over ep == tp GPUs with all-to-all
                              ///< dispatch and combine: TensorRT-LLM enable_attention_dp, SGLang dp-attention)
  int batch_size = 1;      ///< requests served together
  int input_len = 60;      ///< prompt tokens per request (NeMo's default input_len)
  int output_len = 20;     ///< generated tokens per request (NeMo's default output_len)
  std::string weight_dtype = "fp16";  ///< fp16 | bf16 | fp8 | nvfp4 (weights and GEMMs)
  std::string kv_cache_dtype;         ///< fp16 | bf16 | fp8 | nvfp4; "" = same as weight_dtype
  int gpus_per_node = 8;   ///< NeMo's node rule and the NVLink vs inter-node all-reduce choice

  int num_gpus() const noexcept { return tp * pp; }
};

/// Why a serving layout cannot run; none = it runs and fits.
enum class InferenceInfeasible : std::uint8_t {
  none,
  heads_not_divisible,    ///< tp does not divide the attention heads
  layers_not_divisible,   ///< pp does not divide the layers
  partial_node_pipeline,  ///< pp > 1 with tp < gpus_per_node (NeMo's rule: never pipeline partial nodes)
  tp_not_node_multiple,   ///< tp > gpus_per_node and not a multiple of it (NeMo's nodes_necessary = 0)
  too_many_nodes,         ///< more nodes than the cluster has
  fp8_unsupported,        ///< FP8 weights or KV cache on a GPU without FP8
  sequence_too_long,      ///< input_len + output_len exceeds max_position_embeddings (learned positions)
  out_of_memory,          ///< weights + KV cache + workspace exceed GPU memory
  fp4_unsupported,        ///< NVFP4 weights or KV cache on a GPU without FP4 tensor cores (before Blackwell)
  experts_not_divisible,  ///< ep does not divide the TP size (ep not dividing the experts is a ConfigError)
};
const char* to_string(InferenceInfeasible reason) noexcept;

/// Memory of the most loaded GPU.
struct InferenceMemory {
  double weights_bytes = 0;     ///< this GPU's shard of the weights (embeddings on first/last stage)
  double kv_cache_bytes = 0;    ///< K and V of every request at full length (input + output)
  double activations_bytes = 0; ///< transient buffers (prefill activations, logits) and engine work buffers
  double overhead_bytes = 0;    ///< CUDA context, NCCL and GEMM workspaces (calibration)
  double total_bytes = 0;
};

struct InferenceEstimate {
  InferenceInfeasible reason = InferenceInfeasible::none;
  bool fits = false;
  int num_gpus = 1;
  int num_nodes = 1;                ///< NeMo's nodes_necessary
  InferenceMemory memory;
  int max_batch_size = 0;           ///< largest batch whose KV cache fits next to the weights (0: none)

  // Time of the whole batch (static batching).
  double ttft_s = 0;                ///< prefill of the batch until the first token
  double tpot_s = 0;                ///< mean time per output token after the first (one decode step)
  double latency_s = 0;             ///< end to end: ttft + (output_len - 1) * tpot
  double prefill_compute_s = 0;     ///< GEMM + attention share of ttft
  double prefill_comm_s = 0;        ///< rest of ttft: TP all-reduces, PP sends, fixed overheads
  double decode_weights_s = 0;      ///< weight-read (GEMM) share of one decode step
  double decode_kv_s = 0;           ///< KV-cache read (attention) share of one decode step
  double decode_comm_s = 0;         ///< TP all-reduce + PP send share of one decode step
  double overhead_s = 0;            ///< fixed per-layer and per-step overheads in one decode step

  double throughput_per_gpu = 0;        ///< NeMo's: batch / latency / GPUs, samples/s/GPU
  double output_tokens_per_s_per_gpu = 0;
  double output_tokens_per_s = 0;       ///< whole layout (all GPUs)
};

/// Efficiency parameters of the inference model (achieved / peak), fitted on published measurements.
struct InferenceCalibration {
  std::string gpu_family;               ///< GpuSpec::family: "ampere", "hopper", ...; empty = generic
  std::string engine = "trtllm";        ///< serving engine it was fitted on: trtllm | fastertransformer
  double gemm_efficiency = 0.6;         ///< large GEMMs, of dense peak (BF16/FP16 or FP8)
  double attention_efficiency = 0.4;    ///< prefill attention (FlashAttention-like), of BF16 peak
  double memory_efficiency = 0.75;      ///< achieved / nominal HBM bandwidth for weight and KV reads
  double comm_efficiency = 0.7;         ///< achieved / nominal link bandwidth
  double allreduce_latency_s = 8e-6;    ///< per hop of an NVLink all-reduce (alpha term)
  double internode_latency_s = 20e-6;   ///< per hop across nodes
  double layer_overhead_s = 20e-6;      ///< fixed kernel launch / sync cost per layer per forward
  double step_overhead_s = 100e-6;      ///< fixed cost per decode step (sampling, host sync, scheduling)
  double prefill_overhead_s = 1e-3;     ///< fixed cost of the context phase (input setup, first sampling)
  double attention_score_passes = 0;    ///< HBM passes over the s x s score matrix in the prefill: 0 for fused
                                        ///< (FlashAttention / FMHA), 4 for unfused (FasterTransformer's GPT)
  double kv_read_efficiency = 1.0;      ///< decode attention's KV-cache reads, relative to memory_efficiency
  double gqa_kv_reuse = 1.0;            ///< share of K/V reads shared by the query heads of a GQA group
                                        ///< (1: read once per group; 0: once per query head)
  double memory_overhead_bytes = 1.5e9;   ///< CUDA context, NCCL buffers, workspaces per GPU
  double request_memory_factor = 1.0;   ///< allocated / modelled per-request memory (KV cache + activations):
                                        ///< engine buffers beyond them (FasterTransformer: fitted)
  double memory_fraction = 0.95;        ///< share of GPU memory usable by weights + KV + activations
};

/// Engine words: trtllm, vllm, sglang or fastertransformer, optionally "-<version>" (digits and dots:
/// "trtllm-0.17", "vllm-0.6"). Throws ConfigError(key, engine) naming the accepted values for anything else.
void check_serving_engine(const std::string& key, const std::string& engine);

/// Shipped calibration for a GPU and a serving engine ("trtllm", "fastertransformer", "trtllm-0.17", ...): a
/// version without a fit of its own takes the latest fitted version of the same engine; the GPU family without a
/// fit for the engine takes Hopper's, else the family's TensorRT-LLM fit (so do vllm and sglang, which have no
/// shipped fit). Throws ConfigError for an unknown engine word (check_serving_engine).
InferenceCalibration default_inference_calibration(const GpuSpec& gpu, const std::string& engine = "trtllm");

/// The engine's properties that are not fitted: unfused attention and the usable memory share (FasterTransformer).
void set_engine_properties(InferenceCalibration& calibration, const std::string& engine);

/// Evaluate one serving layout. Never throws for an infeasible layout (the reason is data);
/// throws ConfigError for values that are not layouts at all (tp < 1, unknown dtype, ...).
/// Encoder-decoder models (T5/mT5): the encoder runs over the input in the prefill and every decode
/// step also reads the cross-attention K/V of the input (analytical model only, not validated).
InferenceEstimate estimate_inference(const ModelSpec& model, const InferenceLayout& layout, const GpuSpec& gpu,
                                     const InferenceCalibration& calibration);

/// Work of one in-flight-batching iteration: decode sequences (one token each) and prefill (context) tokens.
struct InferenceStepLoad {
  double decode_seqs = 0;     ///< sequences generating one token
  double decode_ctx = 0;      ///< mean cached length they attend to
  double prefill_tokens = 0;  ///< prompt tokens processed in this iteration (chunked context)
  double prefill_ctx = 0;     ///< mean keys a prefill token attends to ((isl + 1) / 2 for a whole causal prompt)
  double prefill_seqs = 0;    ///< prompts finishing in this iteration (their first token's logits)
  // Sliding-window layers (ModelSpec::sliding_window): the mean keys there; < 0 = min(ctx, window).
  double decode_ctx_window = -1;   ///< window_mean_keys of the decode phase
  double prefill_ctx_window = -1;  ///< causal_window_keys of the prompt
};

/// Mean keys per query of a causal prompt of `seq` tokens on a layer with a sliding window of `window` tokens
/// (0 = none): sum over positions p = 1..seq of min(p, window), over seq; (seq + 1) / 2 when seq <= window.
double causal_window_keys(double seq, double window);

/// Mean of min(context, window) for a context growing evenly from `first` to `last` tokens (a decode phase);
/// (first + last) / 2 when last <= window or window is 0.
double window_mean_keys(double first, double last, double window);

/// Time of one iteration in which every sequence of `load` advances by one token, over all pipeline stages
/// (decoder-only models). Layout checks are estimate_inference's; this only times.
double inference_step_s(const ModelSpec& model, const InferenceLayout& layout, const GpuSpec& gpu,
                        const InferenceCalibration& calibration, const InferenceStepLoad& load);

/// Bytes per element of a dtype name (fp32 4, fp16/bf16 2, fp8/int8 1, nvfp4 0.5625 with its block scales). Throws ConfigError(key, value).
double dtype_bytes(const std::string& key, const std::string& dtype);

}  // namespace hp
