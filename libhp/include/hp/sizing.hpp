// Model size recommendation, time to train, and architecture from size (NeMo launcher's rules).
// Public header: standard-library types only. Sources: docs/model.md, "Sizing".
#pragma once

#include <string>

#include "hp/model.hpp"

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
};

struct SizeRecommendation {
  double estimated_size_b = 0;     ///< NeMo's formula, rounded to 2 decimals as NeMo prints it
  std::string recommended_config;  ///< pre-defined config nearest the estimate on a log scale ("gpt3/5b")
  double recommended_size_b = 0;   ///< nominal size of that config
  double training_days = 0;        ///< days to train the recommended config
  std::string message;             ///< NeMo's sentence
};

/// P[B] = k * D*86400 * N * F*1e12 / (8 * T*1e9) / 1e9, k = 0.87 for mT5 (NeMo launcher).
double estimate_model_size_b(const SizingInput& in);

/// days = k' * P*1e9 * 8 * T*1e9 / (86400 * N * F*1e12), k' = 1.15 for mT5 (NeMo launcher).
double training_days(const SizingInput& in, double size_b);

/// Raw estimate, nearest pre-defined config and its days. Throws ConfigError on bad input.
SizeRecommendation recommend_model_size(const SizingInput& in);

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
