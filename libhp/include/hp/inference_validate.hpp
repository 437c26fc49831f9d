// Validation of the inference model against published measurements, and calibration on them.
// Public header: standard-library types only. Data: libhp/data/inference_published.csv (sources per row).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "hp/inference.hpp"
#include "hp/model.hpp"

namespace hp {

/// What a measurement reports.
enum class InferenceMetric {
  output_tokens_per_s,          ///< generated tokens per second of the whole layout
  output_tokens_per_s_per_gpu,  ///< the same divided by the GPUs
  ttft_s,                       ///< time to first token
  latency_s,                    ///< end-to-end latency of the batch
  memory_bytes,                 ///< memory used on the most loaded GPU
  tpot_s,                       ///< mean time per output token after the first (inter-token latency)
};
const char* to_string(InferenceMetric metric) noexcept;
InferenceMetric inference_metric_from_string(const std::string& key, const std::string& value);

struct InferenceMeasurement {
  std::string id;           ///< short unique name, e.g. "trtllm-0.6.1/h100/gptj-6b/bs1024/128-128"
  std::string model_name;   ///< e.g. "gpt-j-6b" (validation models) or a catalogue key
  ModelSpec model;
  std::string gpu;          ///< catalogue name
  InferenceLayout layout;
  InferenceMetric metric = InferenceMetric::output_tokens_per_s;
  double value = 0;         ///< SI units (tokens/s or seconds)
  std::string source;       ///< URL (and version) of the published table
  std::string engine = "trtllm";  ///< serving engine (and version) that measured it: trtllm, trtllm-0.17,
                                  ///< fastertransformer, vllm, ...
  std::string mode = "static_batch";  ///< static_batch | max_throughput | online (in-flight batching)
  double request_rate = 0;        ///< online: offered requests/s
  int concurrency = 0;            ///< online: closed-loop users (when request_rate is 0)
  int max_num_tokens = 8192;      ///< in-flight batching: token budget per iteration
  double kv_cache_fraction = 0.9; ///< in-flight batching: share of free memory for the KV cache
  int scheduler_steps = 1;        ///< in-flight batching: iterations per scheduling round (vLLM multi-step)
  std::string split;              ///< fit | holdout | "" (a user file: both)
  std::string problem;            ///< why the row cannot be evaluated (unknown model or GPU); "" = evaluable
  bool architecture_columns = false;  ///< the model came from the row's architecture columns
};

/// Published measurements shipped with the project (libhp/data/inference_published.csv, embedded): TensorRT-LLM
/// and FasterTransformer static-batching runs, each row with its source URL.
const std::vector<InferenceMeasurement>& published_inference_measurements();
/// The embedded text of libhp/data/inference_published.csv.
const std::string& published_inference_csv();

/// Architectures of the published models (HF config.json, cited in the data file): gpt-j-6b, llama-7b,
/// llama-2-70b, falcon-180b. Catalogue keys ("gpt3/5b") are resolved with find_model.
ModelSpec validation_model(const std::string& name);

/// Published in-flight-batching measurements (libhp/data/serving_published.csv, embedded): TensorRT-LLM 0.17
/// maximum-throughput and 0.14 online-serving tables, each row with its source, architecture columns and split.
const std::vector<InferenceMeasurement>& published_serving_measurements();
const std::string& published_serving_csv();

/// Read measurements from a CSV: model,gpu,tp,pp,batch_size,input_len,output_len,weight_dtype,kv_cache_dtype,
/// metric,value,source (value in the metric's SI unit), then optional named columns: engine, table, mode,
/// concurrency, request_rate, max_num_tokens, kv_cache_fraction, split, ep, and the architecture (num_layers,
/// hidden_size, num_attention_heads, num_query_groups, ffn_hidden_size, vocab_size, max_position_embeddings,
/// moe_num_experts, moe_topk, moe_ffn_hidden_size, activation): with num_layers the model is built from the
/// columns, else `model` names a validation model or a catalogue key. An unknown model or GPU is the row's
/// `problem`, not an error. Throws IoError / ConfigError (row and column named) for malformed values.
std::vector<InferenceMeasurement> load_inference_measurements_csv(const std::string& path);
/// The same from text (`origin` names it in errors). Optional columns after `source`: engine, table (id prefix).
std::vector<InferenceMeasurement> parse_inference_measurements_csv(const std::string& text, const std::string& origin);
/// Measurements as that CSV (with the engine and table columns; with the serving columns, split and the
/// architecture columns too when any row has a serving mode, a split or an architecture from columns).
std::string inference_measurements_csv(const std::vector<InferenceMeasurement>& rows);

struct InferenceValidationRow {
  InferenceMeasurement measurement;
  double predicted = 0;
  double error = 0;          ///< (predicted - measured) / measured
  bool predicted_fits = false;
  std::string predicted_reason;
  bool evaluated = true;     ///< false: the row's problem (unknown model or GPU) kept it out of the statistics
};

struct InferenceValidationReport {
  std::vector<InferenceValidationRow> rows;
  double mean_abs_error = 0;    ///< mean |error| over all rows (MAPE as a fraction)
  double median_abs_error = 0;
  double max_abs_error = 0;
  double mean_abs_error_throughput = 0;  ///< rows of the two throughput metrics
  double mean_abs_error_ttft = 0;
  int num_not_fitting = 0;      ///< measured runs the model says do not fit
  int num_not_evaluated = 0;    ///< rows with a problem (unknown model or GPU)
  double mean_abs_error_tpot = 0;
};

/// Predict every measurement with `calibration_for(gpu)` = default_inference_calibration unless overridden.
InferenceValidationReport validate_inference(const std::vector<InferenceMeasurement>& measurements,
                                             const std::vector<InferenceCalibration>& calibrations = {});

/// Fit the efficiency parameters of one GPU family and engine on its measurements (coordinate descent on the
/// mean squared log error). Returns the fitted calibration.
InferenceCalibration fit_inference_calibration(const std::vector<InferenceMeasurement>& measurements,
                                               const std::string& gpu_family, const std::string& engine = "trtllm");

/// The (GPU family, engine) pairs present in measurements, in order of first appearance.
std::vector<std::pair<std::string, std::string>> calibration_groups(const std::vector<InferenceMeasurement>& measurements);

/// The report restricted to the rows of one split ("fit" or "holdout"; rows without a split count as both),
/// statistics recomputed.
InferenceValidationReport select_split(const InferenceValidationReport& report, const std::string& split);

/// k-fold cross-validation: the rows of each fold (row index mod k) are predicted by calibrations fitted on the
/// other folds, so every error is out of sample. A fold's (GPU family, engine) without other rows falls back to
/// the shipped calibration.
InferenceValidationReport cross_validate_inference(const std::vector<InferenceMeasurement>& measurements, int folds = 5);

}  // namespace hp
