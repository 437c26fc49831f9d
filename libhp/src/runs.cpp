// Rows with the published-runs column names -> (ModelSpec, Layout, GPU, measurements). A bad row keeps a
// reason in RunRecord::error instead of throwing. Defaults for empty cells: docs/usage.md.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <utility>

#include "hp/catalog.hpp"
#include "hp/core.hpp"
#include "hp/defaults.hpp"
#include "hp/perf.hpp"
#include "hp/runs.hpp"


namespace hp {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// Reads one row's cells by column name; parse failures become RunRecord::error ("key=value: why").
struct Cells {
  const Table& table;
  const std::vector<std::string>& row;
  std::string* error;
  std::size_t index = 0;  // 0-based data row, for messages

  std::string text(const char* key) const {
    const int i = table.column(key);
    return i < 0 ? std::string() : trim(row[static_cast<std::size_t>(i)]);
  }
  double number(const char* key, double fallback) const {
    const std::string v = text(key);
    if (v.empty()) return fallback;
    char* end = nullptr;
    const double x = std::strtod(v.c_str(), &end);
    if (end == v.c_str() || *end != '\0' || !std::isfinite(x)) {
      fail(key, v, "expected a finite number");
      return fallback;
    }
    return x;
  }
  int integer(const char* key, int fallback, bool required = false) const {
    const std::string v = text(key);
    if (v.empty()) {
      if (required) fail(key, "", "missing (required)");
      return fallback;
    }
    const double x = number(key, fallback);
    if (!(x == std::floor(x) && x >= 0 && x <= 1e9)) {  // also false for NaN: the cast below stays defined
      fail(key, v, "expected an integer in 0..1000000000");
      return fallback;
    }
    return static_cast<int>(x);
  }
  bool flag(const char* key, bool fallback) const {
    const std::string v = lower(text(key));
    if (v.empty()) return fallback;
    if (v.rfind("yes", 0) == 0 || v == "true" || v == "1" || v.rfind("zero-1", 0) == 0) return true;
    if (v.rfind("no", 0) == 0 || v == "false" || v == "0") return false;
    fail(key, v, "expected yes or no");
    return fallback;
  }
  void fail(const char* key, const std::string& value, const std::string& why) const {
    if (error->empty()) *error = std::string(key) + "=" + value + ": " + why;
  }
};

// Letters and digits only, lower case: "DeepSeek-V3 671B" -> "deepseekv3671b".
std::string squashed(const std::string& s) {
  std::string out;
  for (char ch : s)
    if (std::isalnum(static_cast<unsigned char>(ch))) out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

// Multi-latent attention: the optional columns q_lora_rank (empty or 0 = no query compression), kv_lora_rank,
// qk_head_dim, qk_pos_emb_head_dim, v_head_dim; without them, a row whose arch_type says MLA takes the dimensions
// (and the dense-first layer pattern and routing bias) of the catalogue model its name starts with
// ("DeepSeek-V3 671B" -> deepseek/deepseek_v3), which must have the row's hidden size and heads.
void fill_mla(const Cells& c, ModelSpec& m) {
  if (!c.text("kv_lora_rank").empty()) {
    m.multi_latent_attention = true;
    m.q_lora_rank = c.integer("q_lora_rank", 0);
    m.kv_lora_rank = c.integer("kv_lora_rank", 0);
    m.qk_head_dim = c.integer("qk_head_dim", 0, true);
    m.qk_pos_emb_head_dim = c.integer("qk_pos_emb_head_dim", 0, true);
    m.v_head_dim = c.integer("v_head_dim", 0, true);
  } else if (lower(c.text("arch_type")).find("mla") != std::string::npos) {
    const std::string name = squashed(c.text("model"));
    const CatalogEntry* best = nullptr;
    std::size_t best_len = 0;
    for (const auto& e : model_catalog()) {
      const std::string key = squashed(e.key.substr(e.key.find('/') + 1));
      if (e.model.is_mla() && !key.empty() && name.rfind(key, 0) == 0 && key.size() > best_len) {
        best = &e;
        best_len = key.size();
      }
    }
    if (!best) {
      c.fail("arch_type", c.text("arch_type"), "MLA: give the kv_lora_rank, qk_head_dim, qk_pos_emb_head_dim, v_head_dim "
                                               "columns or a model name of the catalogue (deepseek_v3, ...)");
      return;
    }
    const ModelSpec& k = best->model;
    if (k.hidden_size != m.hidden_size || k.num_attention_heads != m.num_attention_heads) {
      c.fail("model", c.text("model"), "is " + best->key + " by name, whose hidden_size/num_attention_heads are " +
                                           std::to_string(k.hidden_size) + "/" + std::to_string(k.num_attention_heads));
      return;
    }
    m.multi_latent_attention = true;
    m.q_lora_rank = k.q_lora_rank;
    m.kv_lora_rank = k.kv_lora_rank;
    m.qk_head_dim = k.qk_head_dim;
    m.qk_pos_emb_head_dim = k.qk_pos_emb_head_dim;
    m.v_head_dim = k.v_head_dim;
    if (c.text("first_k_dense_replace").empty()) m.first_k_dense_replace = k.first_k_dense_replace;
    m.moe_router_enable_expert_bias = k.moe_router_enable_expert_bias;
  }
}

void fill_model(const Cells& c, ModelSpec& m) {
  m.family = "custom";
  m.name = c.text("model");
  m.num_layers = c.integer("num_layers", 0, true);
  m.hidden_size = c.integer("hidden_size", 0, true);
  m.num_attention_heads = c.integer("num_attention_heads", 0, true);
  m.seq_length = c.integer("seq_length", 0, true);
  m.max_position_embeddings = m.seq_length;
  // 64-bit: hidden_size is not range-checked yet (validate() runs on the whole spec later).
  m.ffn_hidden_size = c.integer("ffn_hidden_size", static_cast<int>(std::min<long long>(4LL * m.hidden_size, 1'000'000'000)));
  m.num_query_groups = c.integer("num_query_groups", 0);
  m.kv_channels = c.integer("kv_channels", 0);
  m.vocab_size = c.integer("vocab_size", 51200);
  m.moe_num_experts = c.integer("moe_num_experts", 0);
  m.moe_topk = c.integer("moe_topk", m.moe_num_experts > 0 ? 2 : 0);
  m.moe_ffn_hidden_size = c.integer("moe_ffn_hidden_size", 0);
  m.moe_shared_expert_ffn_size = c.integer("moe_shared_expert_ffn_size", 0);
  m.moe_layer_freq = std::max(1, c.integer("moe_layer_freq", 1));
  m.first_k_dense_replace = c.integer("first_k_dense_replace", 0);
  m.mtp_num_layers = c.integer("mtp_num_layers", 0);
  m.sliding_window = c.integer("sliding_window", 0);  // sliding-window attention (docs/model.md)
  m.sliding_window_pattern = c.integer("sliding_window_pattern", 0);
  // Architecture style: the activation column when present, else gated (SwiGLU, Llama-like: RMSNorm, RoPE,
  // no biases, untied embeddings) exactly when the FFN is not 4h; GPT-3-like otherwise.
  const int ffn = m.moe_num_experts > 0 && m.moe_ffn_hidden_size > 0 ? m.moe_ffn_hidden_size : m.ffn_hidden_size;
  const std::string act = lower(c.text("activation"));
  m.activation = !act.empty() ? act : (ffn != 4LL * m.hidden_size ? "swiglu" : "gelu");
  const bool llama_like = m.gated_mlp();
  m.normalization = llama_like ? "rmsnorm" : "layernorm";
  m.position_embedding = llama_like ? "rope" : "learned_absolute";
  m.add_bias_linear = !llama_like;
  m.share_embeddings_and_output_weights = !llama_like;
  fill_mla(c, m);
  if (lower(c.text("arch_type")).find("encoder-decoder") != std::string::npos) {
    m.family = "t5";
    m.num_decoder_layers = c.integer("num_decoder_layers", m.num_layers);
    m.decoder_seq_length = c.integer("decoder_seq_length", 0, true);
    m.position_embedding = "relative";
  }
}

bool error_free(const Cells& c) { return c.error->empty(); }

void fill_layout(const Cells& c, const std::string& task, Layout& l) {
  l.num_gpus = c.integer("num_gpus", 0, true);
  l.tp = std::max(1, c.integer("tp", 1));
  l.pp = std::max(1, c.integer("pp", 1));
  l.vp = std::max(1, c.integer("vp", 1));
  l.cp = std::max(1, c.integer("cp", 1));
  l.ep = std::max(1, c.integer("ep", 1));
  l.etp = c.integer("etp", 0);
  l.mbs = std::max(1, c.integer("mbs", 1));
  l.gbs = c.integer("gbs", 0, true);
  // Vocabulary columns: an unknown word is a mistake in the file, not a bad measurement, so it stops the read
  // (ConfigError naming the column, the row and the accepted words) instead of skipping the row.
  const std::string row = " (row " + std::to_string(c.index + 1) + ")";
  const std::string precision = c.text("precision");
  if (!precision.empty()) l.precision = parse_precision("precision" + row, precision);
  const std::string fsdp = lower(c.text("fsdp"));
  if (fsdp.empty() || fsdp.rfind("no", 0) == 0 || fsdp == "0" || fsdp == "false") l.fsdp = false;
  else if (fsdp.rfind("yes", 0) == 0 || fsdp == "1" || fsdp == "true") l.fsdp = true;
  else throw ConfigError("fsdp" + row, c.text("fsdp"), "expected yes or no (1 or 0)");
  const std::string dispatcher = c.text("moe_dispatcher");
  if (!dispatcher.empty()) l.moe_dispatcher = parse_moe_dispatcher("moe_dispatcher" + row, dispatcher);
  l.activation_offload_layers = c.integer("activation_offload_layers", 0);
  const std::string split = lower(c.text("pipeline_split"));
  if (split == "embedding+loss" || split == "embedding") l.account_for_embedding = true;
  if (split == "embedding+loss" || split == "loss") l.account_for_loss = true;
  if (!split.empty() && split != "none" && split != "embedding" && split != "loss" && split != "embedding+loss")
    throw ConfigError("pipeline_split" + row, c.text("pipeline_split"), "expected none, embedding, loss or embedding+loss");
  l.sequence_parallel = c.flag("sequence_parallel", default_sequence_parallel(l.tp));
  const std::string rc = lower(c.text("recompute"));
  if (rc.empty() || rc.rfind("none", 0) == 0 || rc == "no") l.recompute = Recompute::none;
  else if (rc.rfind("full", 0) == 0) l.recompute = Recompute::full;
  else if (rc.rfind("selective", 0) == 0) l.recompute = Recompute::selective;
  else c.fail("recompute", rc, "expected none, selective or full");
  l.recompute_num_layers = c.integer("recompute_num_layers", 0);
  // Megatron-Core recompute_modules, words joined by '+' (a vocabulary column: an unknown word stops the read).
  const std::string modules = c.text("recompute_modules");
  if (!modules.empty()) {
    l.recompute_modules = parse_recompute_modules("recompute_modules" + row, modules);
    if (l.recompute_modules != 0 && l.recompute != Recompute::selective)
      throw ConfigError("recompute_modules" + row, modules, "valid only with recompute = selective");
  }
  l.recompute_micro_batches = c.text("recompute_micro_batches").empty() ? -1 : c.integer("recompute_micro_batches", 0);
  l.distributed_optimizer = c.flag("distributed_optimizer", true);
  // Optimizer CPU offload (Megatron-Core OptimizerConfig keys); validate() below names a fraction outside 0..1 or
  // offload without the distributed optimizer.
  l.optimizer_cpu_offload = c.flag("optimizer_cpu_offload", false);
  l.optimizer_offload_fraction = c.number("optimizer_offload_fraction", 1.0);
  l.overlap_cpu_optimizer_d2h_h2d = c.flag("overlap_cpu_optimizer_d2h_h2d", true);
  // Optimizer state per parameter (hp::Layout::optimizer_state_bytes): Adam's fp32 master + two moments 12 B;
  // a recipe with Apex DistributedFusedAdam at dtype bf16 keeps a bf16 parameter copy and bf16 moments, 6 B.
  l.optimizer_state_bytes = c.integer("optimizer_state_bytes", 12);
  if (l.optimizer_state_bytes < 1 || l.optimizer_state_bytes > 64)
    c.fail("optimizer_state_bytes", c.text("optimizer_state_bytes"), "expected an integer in 1..64");
  l.flash_attention = c.flag("flash_attention", true);
  l.grad_reduce_in_fp32 = c.flag("grad_reduce_in_fp32", false);
  l.tp_comm_overlap = c.flag("tp_comm_overlap", false);
  l.lora = task == "lora";
  l.uneven_pipeline = c.flag("uneven_pipeline", true);  // a measured run with uneven stages was set up for them
  if (!error_free(c)) return;
  try {
    validate(l);  // ranges first: the products below must not overflow
  } catch (const ConfigError& e) {
    c.fail(e.key().c_str(), e.value(), std::string(e.what()).substr(e.key().size() + e.value().size() + 3));
    return;
  }
  const long long mp = static_cast<long long>(l.tp) * l.pp * l.cp;
  if (l.num_gpus > 0 && l.num_gpus % mp != 0)
    c.fail("num_gpus", std::to_string(l.num_gpus), "not divisible by tp*pp*cp=" + std::to_string(mp));
  const std::string dp = c.text("dp");
  if (!dp.empty() && l.num_gpus > 0 && c.integer("dp", 0) != l.num_gpus / mp)
    c.fail("dp", dp, "inconsistent with num_gpus/(tp*pp*cp)=" + std::to_string(l.num_gpus / mp));
}

}  // namespace

bool RunRecord::unflagged() const { return quality_flags.empty(); }

bool RunRecord::dense() const {
  if (!arch_type.empty()) return arch_type.rfind("dense", 0) == 0;
  return !model.is_moe() && !model.is_encoder_decoder();
}

bool RunRecord::fit_quality() const {
  if (!ok() || measured_step_time_s <= 0) return false;
  // Data-consistency problems and non-Megatron frameworks (published_runs.md section 2 flags).
  for (const char* bad : {"mismatch", "differs", "deviates", "non_megatron", "config_incomplete", "config_not_matched"})
    if (quality_flags.find(bad) != std::string::npos) return false;
  return true;
}

std::vector<RunRecord> runs_from_table(const Table& table, const std::vector<GpuSpec>& extra_gpus) {
  std::vector<RunRecord> out;
  out.reserve(table.rows.size());
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    RunRecord r;
    r.index = i;
    const Cells c{table, table.rows[i], &r.error, i};
    r.row_id = c.text("row_id").empty() ? std::to_string(i + 1) : c.text("row_id");
    r.source_key = c.text("source_key");
    r.gpu_type = c.text("gpu_type");
    r.task = lower(c.text("task"));
    r.arch_type = lower(c.text("arch_type"));
    r.quality_flags = c.text("quality_flags");
    r.split = lower(c.text("split"));
    fill_model(c, r.model);
    if (r.ok()) {
      try {
        validate(r.model);  // ranges where values enter: a row's estimate never overflows
      } catch (const ConfigError& e) {
        c.fail(e.key().c_str(), e.value(), std::string(e.what()).substr(e.key().size() + e.value().size() + 3));
      }
    }
    fill_layout(c, r.task, r.layout);
    if (r.arch_type.find("hybrid") != std::string::npos) c.fail("arch_type", r.arch_type, "hybrid models are not modelled");
    if (r.gpu_type.empty()) {
      c.fail("gpu_type", "", "missing (required)");
    } else {
      try {
        r.gpu = find_gpu(r.gpu_type, extra_gpus);
      } catch (const ConfigError& e) {
        c.fail("gpu_type", r.gpu_type, "unknown GPU");
      }
    }
    // Measurements: finite (number() checks) and not negative; 0 / empty = not measured.
    const double tokens = c.number("tokens_per_sec_per_gpu", 0);
    r.measured_step_time_s = c.number("step_time_s", 0);
    for (const auto& [key, v] : {std::pair<const char*, double>{"tokens_per_sec_per_gpu", tokens},
                                 {"step_time_s", r.measured_step_time_s},
                                 {"memory_per_gpu_gb", c.number("memory_per_gpu_gb", 0)}})
      if (v < 0) c.fail(key, c.text(key), "expected a finite number >= 0");
    if (r.measured_step_time_s <= 0 && tokens > 0 && r.layout.num_gpus > 0)
      r.measured_step_time_s = double(r.layout.gbs) * r.model.seq_length / (tokens * r.layout.num_gpus);
    r.measured_memory_bytes = c.number("memory_per_gpu_gb", 0) * kGiB;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace hp
