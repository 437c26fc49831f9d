// Serving search (in-flight batching): TP x PP x EP x concurrency, aggregated and disaggregated, ranked by output
// tokens/s per GPU under TTFT / TPOT / request-latency bounds, with the Pareto front of tokens/s/GPU vs
// tokens/s/user (aiconfigurator's presentation). Public header: standard-library types only.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "hp/hardware.hpp"
#include "hp/inference.hpp"
#include "hp/inference_serving.hpp"
#include "hp/model.hpp"
#include "hp/record.hpp"
#include "hp/search_config.hpp"

namespace hp {

struct ServingCandidate {
  bool disaggregated = false;
  ServingLayout layout;            ///< aggregated replica; disaggregated: the decode pool's replica
  ServingLayout prefill_layout;    ///< disaggregated: the prefill pool's replica
  int prefill_workers = 0;         ///< disaggregated: replicas per pool
  int decode_workers = 0;
  ServingEstimate estimate;        ///< aggregated
  DisaggregatedEstimate disagg;    ///< disaggregated
  // Common columns.
  bool fits = false;
  std::string reason;              ///< "none", an InferenceInfeasible name, or "saturated"
  int num_gpus = 0;
  double ttft_s = 0;
  double tpot_s = 0;
  double request_latency_s = 0;
  double tokens_per_s_per_gpu = 0;
  double tokens_per_s_per_user = 0;
  double concurrency = 0;          ///< decode sequences per replica
  bool within_bounds = false;
  bool pareto = false;
  int rank = 0;
};

struct ServingSearchResult {
  ModelSpec model;
  GpuSpec gpu;
  InferenceSettings settings;      ///< with defaults filled in
  std::vector<ServingCandidate> candidates;  ///< ranked first, then the rest by throughput
  int best = -1;                   ///< rank 1; -1 when nothing meets the bounds
  int num_top = 0;
  int best_aggregated = -1;        ///< best within bounds of each kind (-1: none)
  int best_disaggregated = -1;
  double lowest_ttft_s = 0;        ///< over fitting, unsaturated candidates (what a bound can ask for at least)
  double lowest_tpot_s = 0;
};

/// The keys architecture_model reads (ModelSpec's names): YAML map keys and optional CSV columns.
const std::vector<std::string>& architecture_keys();

/// A decoder-only model from architecture keys (num_layers, hidden_size, num_attention_heads, ffn_hidden_size,
/// vocab_size required; num_query_groups, max_position_embeddings, moe_num_experts, moe_topk,
/// moe_ffn_hidden_size, activation, the MoE pattern, MLA and sliding-window keys optional; Llama-like: RoPE,
/// RMSNorm, no biases, untied embeddings). Throws ConfigError naming `where`.key and the value.
ModelSpec architecture_model(const std::string& name, const std::map<std::string, std::string>& fields,
                             const std::string& where);

/// Search the serving layouts of `settings` (mode max_throughput or online). Throws ConfigError for bad settings,
/// among them an ISL + OSL beyond the model's context (key, value and the longest that fits).
ServingSearchResult serving_search(const ModelSpec& model, const GpuSpec& gpu, const InferenceSettings& settings,
                                   const InferenceCalibration& calibration);

/// One candidate with typed values under the names of hp-cli infer-search --json (rank null = not ranked).
Record serving_candidate_record(const ServingCandidate& candidate);

/// One line per candidate: kind, layout, concurrency, TTFT, TPOT, tokens/s/GPU, tokens/s/user, bounds, Pareto.
std::string serving_csv(const ServingSearchResult& result);

/// Why nothing met the bounds, with the nearest feasible change ("" when something did).
std::string serving_no_feasible_message(const ServingSearchResult& result);

}  // namespace hp
