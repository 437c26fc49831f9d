// Inference HP search: TP x PP x batch x (input, output) grid with NeMo's node rules, a latency bound,
// top-N and the Pareto front of throughput per GPU vs latency. Reports: NeMo's final_output.csv + ours, SVG.
// Public header: standard-library types only.
#pragma once

#include <string>
#include <vector>

#include "hp/hardware.hpp"
#include "hp/inference.hpp"
#include "hp/model.hpp"
#include "hp/record.hpp"
#include "hp/search_config.hpp"

namespace hp {

/// A measured value for one candidate (from a benchmark log), next to the prediction.
struct InferenceMeasured {
  bool available = false;
  std::string status;        ///< ok | missing_log | no_result | out_of_memory | error (see inference_bench.hpp)
  double latency_s = 0;      ///< end-to-end latency of the batch
  double ttft_s = 0;         ///< 0 when the tool does not report it
  double tpot_s = 0;
  std::string log_path;
};

struct InferenceCandidate {
  InferenceLayout layout;
  InferenceEstimate estimate;
  bool within_bound = false;  ///< fits and (no bound or latency <= max_latency_ms)
  bool pareto = false;        ///< on the throughput-per-GPU vs latency front (among fitting layouts, benchmark not failed)
  int rank = 0;               ///< 1 = best throughput per GPU within the bound; 0 = not ranked
  InferenceMeasured measured;
  /// Latency NeMo's columns report: measured when available, else predicted.
  double reported_latency_s() const { return measured.available ? measured.latency_s : estimate.latency_s; }
};

struct InferenceSearchResult {
  ModelSpec model;
  GpuSpec gpu;
  InferenceSettings settings;           ///< with NeMo's defaults filled in
  std::vector<InferenceCandidate> candidates;  ///< ranked ones first (by rank), then the rest by throughput
  int best = -1;                        ///< index of rank 1; -1 when nothing fits the bound
  int num_top = 0;                      ///< candidates[0 .. num_top) are the top_n
};

/// NeMo launcher's predefined lists for a GPT size (HEAD inference_settings, nemo_autoconfigurator.md 1.4):
/// fills every empty list of `settings` (TP, PP, batch sizes, input 60 / output 20).
InferenceSettings with_nemo_inference_defaults(const InferenceSettings& settings, double size_b);

/// The model to serve: inference_settings.architecture (any decoder-only architecture by its fields), else
/// inference_settings.model ("gpt3/5b" or NeMo's run name "gpt3_5b"), else the
/// family and train_settings.model_size_in_b of the config (a pre-defined size). Throws ConfigError.
ModelSpec inference_model(const SearchConfig& config);

/// The GPU: inference_settings.gpu, else train_settings.gpu, else by train_settings.gpu_memory_gb (NeMo).
GpuSpec inference_gpu(const SearchConfig& config);

/// Nominal size in billions for NeMo's default lists (catalogue size, else exact parameters / 1e9).
double inference_size_b(const ModelSpec& model);

/// Evaluate the whole grid, rank by throughput per GPU under the latency bound, mark the Pareto front.
/// Never throws for an empty result (best = -1); throws ConfigError for bad settings (key and value named).
InferenceSearchResult inference_search(const ModelSpec& model, const GpuSpec& gpu, const InferenceSettings& settings,
                                       const InferenceCalibration& calibration);

/// Why nothing was ranked (best = -1), in words: nothing fits in memory, or the lowest latency a fitting layout
/// reaches (and that layout) against inference_settings.max_latency_ms. "" when there is a best.
std::string inference_no_feasible_message(const InferenceSearchResult& result);

/// Re-rank after measurements were attached (measured latency replaces the prediction where available).
void rerank(InferenceSearchResult& result);

/// One candidate with typed values under the names of hp-cli infer-search --json (rank null = not ranked;
/// latencies null when not predicted or not measured): what Python's rows and DataFrames show.
Record inference_candidate_record(const InferenceCandidate& candidate);

/// final_output.csv: NeMo's columns (TP, PP, BS, Latency [ms], Throughput per GPU [samples/sec/gpu]) first.
std::string inference_csv(const InferenceSearchResult& result);

/// Self-contained SVG: throughput per GPU vs latency (colour: within/over the bound; circle predicted, square
/// measured, red cross benchmark failed), Pareto front, bound and best layout marked; non-fitting layouts counted.
std::string inference_pareto_svg(const InferenceSearchResult& result);

/// The best layout under the bound as a small YAML document ("" when there is none).
std::string inference_best_yaml(const InferenceSearchResult& result);

/// Run-directory name of a candidate: <model>_tp<T>_pp<P>_bs<B>[_in<I>_out<O>] (NeMo's naming).
std::string inference_run_name(const std::string& model_name, const InferenceLayout& layout, bool with_lengths);

}  // namespace hp
