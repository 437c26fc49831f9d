// Base config generation (NeMo launcher generate_base_config, nemo_autoconfigurator.md section 3.4).
#include "hp/nemo_config.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "families/families.hpp"
#include "hp/catalog.hpp"
#include "checks.hpp"
#include "format.hpp"
#include "hp/core.hpp"
#include "hp/hardware.hpp"
#include "hp/perf.hpp"
#include "hp/search.hpp"
#include "hp/sizing.hpp"

namespace hp {
namespace {

std::string two(int v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d", v);
  return buf;
}

// NeMo's generate_base_config writes micro_batch_size from its template (auto_configurator/base_configs: GPT 4,
// T5/mT5 64). The base config is meant to run as is, so the largest of that value and its halvings that the
// performance model says runs on the request's GPUs is kept (1 when none does).
int fitting_micro_batch_size(const TrainingConfig& c, int gpu_memory_gb) {
  const GpuSpec gpu = gpu_for_memory_gb(gpu_memory_gb);
  const Calibration calibration = default_calibration(gpu);
  for (int mbs = c.model.is_encoder_decoder() ? 64 : 4; mbs > 1; mbs /= 2) {
    TrainingConfig t = c;
    t.micro_batch_size = mbs;
    if (estimate(c.model, layout_from_nemo(t), gpu, calibration).fits) return mbs;
  }
  return 1;
}

}  // namespace

// NeMo names runs f"{model_name}_{model_size_in_b}b" with Python's str() of the size (gpt3_5b, gpt3_0.126b).
std::string nemo_size_label(double size_b) { return format_size_b(size_b) + "b"; }

TrainingConfig base_config(const BaseConfigRequest& r) {
  // Families without a size rule (and base-config names such as llama3_70b): NeMo's shipped config.
  if (!family_has_size_rule(r.family)) return detail::named_family_base_config(r);
  check_family(r.family);
  detail::require_number("model_size_in_b", r.size_b, 0, kMaxModelSizeB);
  detail::require_int("num_nodes", r.num_nodes, 1, kMaxLayoutSize);
  detail::require_int("gpus_per_node", r.gpus_per_node, 1, kMaxLayoutSize);
  detail::require_int("num_nodes x gpus_per_node", static_cast<long long>(r.num_nodes) * r.gpus_per_node, 1, kMaxLayoutSize);
  detail::require_int("gpu_memory_gb", r.gpu_memory_gb, 1, 1 << 20);
  detail::require_number("max_training_days", r.max_training_days, 0, kMaxTrainingDays);
  detail::require_number("num_tokens_in_b", r.num_tokens_in_b, 0, kMaxTokensB);
  detail::require_int("seq_length", r.seq_length, 0, 1 << 24);
  detail::require_int("vocab_size", r.vocab_size, 0, 1 << 24);

  TrainingConfig c;
  const int seq = r.seq_length > 0 ? r.seq_length : default_seq_length(r.family);
  const CatalogEntry* entry = find_catalog_entry(r.family, r.size_b);
  if (entry) {
    c.model = entry->model;
    c.model.seq_length = seq;
    c.model.max_position_embeddings = std::max(seq, c.model.max_position_embeddings);
    if (r.family == "gpt3") c.model.max_position_embeddings = seq;
    if (r.vocab_size > 0) c.model.vocab_size = r.vocab_size;
  } else {
    c.model = architecture_from_size(r.family, r.size_b, seq, r.vocab_size);
  }
  c.size_b = r.size_b;
  c.run_name = r.family + "_" + nemo_size_label(r.size_b);
  c.num_nodes = r.num_nodes;
  c.gpus_per_node = r.gpus_per_node;

  const GbsTpPp g = default_gbs_tp_pp(r.family, r.size_b, r.gpu_memory_gb, seq);
  c.global_batch_size = g.global_batch_size;
  // NeMo never writes its recommended TP/PP into the base config (it keeps 1/1); we do, because the base
  // config is meant to run as is, and TP=PP=1 does not fit a 175B model.
  c.tensor_model_parallel_size = g.tensor_model_parallel_size;
  c.pipeline_model_parallel_size = g.pipeline_model_parallel_size;

  // trainer.max_steps = int(T * 1e9 / (seq * GBS)); seq is the encoder length for T5.
  c.max_steps = static_cast<long long>(r.num_tokens_in_b * 1e9 / (double(seq) * c.global_batch_size));
  // run.time_limit "D-HH:00:00"; trainer.max_time is 30 minutes less, "DD:HH:30:00".
  const int days = int(r.max_training_days);
  const int hours = int(24 * (r.max_training_days - days));
  c.time_limit = std::to_string(days) + "-" + two(hours) + ":00:00";
  const int max_days = hours == 0 ? days - 1 : days;
  const int max_hours = hours == 0 ? 23 : hours - 1;
  c.max_time = two(std::max(max_days, 0)) + ":" + two(max_hours) + ":30:00";

  c.lr = nemo_learning_rate(r.family, r.size_b);
  c.min_lr = std::round(0.1 * c.lr * 1e8) / 1e8;
  if (r.family == "gpt3" || r.family == "bert") {  // NeMo's BERT branch sets the same GPT-style keys
    c.init_method_std = std::round(0.64 / std::sqrt(double(c.model.hidden_size)) * 1e6) / 1e6;
    c.warmup_steps = static_cast<long long>(0.0015 * c.max_steps);
    c.constant_steps = static_cast<long long>(0.166 * c.max_steps);
    c.sequence_parallel = r.size_b > 13;  // NeMo turns it off for <= 13B
  } else {
    c.init_method_std = 0.015;
    c.warmup_ratio = 0.01;
    // NeMo's T5/mT5 configs checkpoint every layer (full, block, 0 layers = "all" in Megatron's block method).
    c.activations_checkpoint_granularity = "full";
    c.activations_checkpoint_method = "block";
    c.activations_checkpoint_num_layers = 0;
  }
  c.micro_batch_size = fitting_micro_batch_size(c, r.gpu_memory_gb);
  return c;
}

}  // namespace hp
