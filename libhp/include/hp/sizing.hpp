// Model size recommendation, time to train, and architecture from size (NeMo launcher's rules).
// Public header: standard-library types only. Sources: docs/model.md, "Sizing".
#pragma once

#include <string>
#include <vector>

#include "hp/model.hpp"
#include "hp/perf.hpp"

namespace hp {

/// Input limits, far above any real budget; they keep every derived number (days, steps, sizes) finite and
/// inside its integer type (docs/usage.md "Limits").
constexpr double kMaxTrainingDays = 3650;     ///< ten years
constexpr double kMaxTokensB = 1e9;           ///< 10^18 tokens
constexpr double kMaxTflopsPerGpu = 1e5;      ///< 100 PFLOP/s per GPU
constexpr double kMaxModelSizeB = 1e5;        ///< 100 trillion parameters

struct SizingInput {
  std::string family = "gpt3";
  int num_gpus = 8;
  double tflops_per_gpu = 140;   ///< achieved (not peak) TFLOP/s per GPU
  double max_training_days = 5;
  double num_tokens_in_b = 300;  ///< tokens to train, in billions
  /// GPU catalogue name: "" = NeMo's rule with tflops_per_gpu; else the throughput of the performance model's
  /// best layout of each pre-defined size on num_gpus of this GPU (tflops_per_gpu is then ignored).
  std::string gpu;
  /// > 0: train each size to this many tokens per parameter (20 = compute-optimal, Hoffmann et al. 2022,
  /// "Training Compute-Optimal Large Language Models") instead of num_tokens_in_b. 0 = num_tokens_in_b.
  double tokens_per_parameter = 0;
};

/// One pre-defined size as the model-based rule saw it (SizeRecommendation::tried).
struct SizeCandidate {
  std::string config;            ///< "gpt3/5b"
  double size_b = 0;             ///< nominal size
  bool fits = false;             ///< some layout divides and fits on the cluster
  double tflops_per_gpu = 0;     ///< best layout's model TFLOP/s per GPU (0 when nothing fits)
  double tokens_per_s_per_gpu = 0;
  double mfu = 0;                ///< fraction of peak
  double num_tokens_in_b = 0;    ///< tokens this size trains on
  double training_days = 0;      ///< days at that throughput (0 when nothing fits)
  int global_batch_size = 0;     ///< NeMo's default GBS for the size
  Layout layout;                 ///< the best layout (when fits)
};

struct SizeRecommendation {
  double estimated_size_b = 0;     ///< NeMo's formula, rounded to 2 decimals as NeMo prints it
  std::string recommended_config;  ///< pre-defined config nearest the estimate on a log scale ("gpt3/5b")
  double recommended_size_b = 0;   ///< nominal size of that config
  double training_days = 0;        ///< days to train the recommended config
  std::string message;             ///< NeMo's sentence (or the model-based one)
  double tflops_per_gpu = 0;       ///< throughput used: the input (NeMo's rule) or the best layout's (model)
  double num_tokens_in_b = 0;      ///< tokens the recommended config trains on
  bool from_model = false;         ///< true when SizingInput::gpu was given
  double mfu = 0;                  ///< model: best layout's MFU (fraction)
  Layout layout;                   ///< model: the recommended config's best layout
  std::vector<SizeCandidate> tried;  ///< model: every pre-defined size of the family, small to large
};

/// Tokens (billions) a size trains on: tokens_per_parameter x size when set, else num_tokens_in_b.
double tokens_for_size_b(const SizingInput& in, double size_b);

/// P[B] = k * D*86400 * N * F*1e12 / (8 * T*1e9) / 1e9, k = 0.87 for mT5 (NeMo launcher).
double estimate_model_size_b(const SizingInput& in);

/// days = k' * P*1e9 * 8 * T*1e9 / (86400 * N * F*1e12), k' = 1.15 for mT5 (NeMo launcher).
double training_days(const SizingInput& in, double size_b);

/// Raw estimate, nearest pre-defined config and its days. Throws ConfigError on bad input.
/// With in.gpu: recommend_model_size_from_model.
SizeRecommendation recommend_model_size(const SizingInput& in);

/// Model-based rule (docs/model.md, "Sizing from the model"): for each pre-defined size of the family, the
/// performance model ranks every layout on in.num_gpus x in.gpu with NeMo's default GBS; the size trains in
/// tokens / (GPUs x best tokens/s/GPU) days. The recommendation is the largest size that trains within
/// max_training_days. Throws ConfigError (unknown GPU, bad value) or NoFeasibleLayoutError naming every size
/// tried and what would fit (more days or GPUs) when none does.
SizeRecommendation recommend_model_size_from_model(const SizingInput& in);

/// Architecture NeMo gives a size: hidden/heads/FFN/kv from its bucket table, layers by its search.
ModelSpec architecture_from_size(const std::string& family, double size_b, int seq_length = 0, int vocab_size = 0);

/// NeMo's GBS / TP / PP defaults by family, size, GPU memory (40/80 GB) and sequence length.
struct GbsTpPp {
  int global_batch_size = 0;
  int tensor_model_parallel_size = 1;
  int pipeline_model_parallel_size = 1;
};
GbsTpPp default_gbs_tp_pp(const std::string& family, double size_b, int gpu_memory_gb, int seq_length);

}  // namespace hp

namespace hp {

/// NeMo's learning rate for a size (GPT bucket table; 1e-4 for T5/mT5).
double nemo_learning_rate(const std::string& family, double size_b);

/// Family defaults: GPT-3 seq 2048 / vocab 51200; T5 512 / 29000; mT5 512 / 250000 (NeMo search_config).
int default_seq_length(const std::string& family);
int default_vocab_size(const std::string& family);

}  // namespace hp

#include "hp/record.hpp"

namespace hp {

/// The layout fields of a recommendation (tp, pp, vp, cp, ep, mbs, gbs, recompute, ...), one schema for
/// hp-cli recommend --json and bignlp_hp.recommend_model_size.
Record layout_record(const Layout& layout);

/// The flat fields of a recommendation (the layout is layout_record, nested by the front ends as "layout").
Record size_recommendation_record(const SizingInput& in, const SizeRecommendation& r);

/// One size the model-based rule tried (SizeRecommendation::tried), nested as "tried" by the front ends.
Record size_candidate_record(const SizeCandidate& c);

}  // namespace hp
