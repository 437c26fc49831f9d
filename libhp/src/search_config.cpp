// Search config reading: NeMo launcher's search_config (nemo_autoconfigurator.md sections 1.3, 1.4) + our keys.
#include "hp/search_config.hpp"
#include "hp/trial_sizing.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include "checks.hpp"
#include "hp/catalog.hpp"
#include "hp/hardware.hpp"
#include "hp/inference.hpp"
#include "hp/perf.hpp"
#include "hp/search_space.hpp"
#include "hp/sizing.hpp"
#include "yaml_util.hpp"

namespace hp {
namespace {

using yaml::get_bool;
using yaml::get_double;
using yaml::get_int;
using yaml::get_int_list;
using yaml::get_string;
using yaml::is_null;

using detail::require_int;
using detail::require_number;

void positive_list(const std::string& key, const std::vector<int>& v) {
  for (int x : v) require_int(key, x, 1, kMaxLayoutSize);
}

// At most kMaxExtraKeys leaves: YAML aliases can nest a small file into an exponentially large tree.
constexpr std::size_t kMaxExtraKeys = 100000;

void flatten(const YAML::Node& n, const std::string& prefix, std::map<std::string, std::string>& out, std::size_t& visited) {
  if (++visited > kMaxExtraKeys)
    throw ConfigError(prefix, "...", "more than " + std::to_string(kMaxExtraKeys) + " keys and list items (aliases?)");
  if (yaml::is_map(n)) {
    for (const auto& kv : n)
      flatten(kv.second, prefix.empty() ? kv.first.Scalar() : prefix + "." + kv.first.Scalar(), out, visited);
  } else if (n.IsSequence()) {
    size_t i = 0;
    for (const auto& item : n) flatten(item, prefix + "[" + std::to_string(i++) + "]", out, visited);
  } else {
    out[prefix] = is_null(n) ? "" : n.Scalar();
  }
}

TrainSettings parse_train(const YAML::Node& t, const std::string& p) {
  static const std::set<std::string> known = {
      "model", "model_size_in_b", "num_nodes", "gpus_per_node", "gpu_memory_gb", "max_training_days",
      "limit_search_runs", "output_top_n", "max_steps_per_run", "max_minutes_per_run", "tflops_per_gpu",
      "num_tokens_in_b", "vocab_size", "seq_length", "custom_config", "logs", "tensor_parallel_sizes",
      "pipeline_parallel_sizes", "min_model_parallel_size", "max_model_parallel_size", "micro_batch_sizes",
      "act_ckpt_layers", "override_search_num_nodes", "gpu", "policy", "virtual_pipeline_sizes",
      "context_parallel_sizes", "expert_parallel_sizes", "expert_tensor_parallel_sizes", "recompute_modes", "sequence_parallel",
      "distributed_optimizer", "precisions", "fp8", "fsdp", "memory_margin", "global_batch_size", "nemo_fix_bugs",
      "legacy_names", "trial_nodes", "optimizer_cpu_offload"};
  if (!yaml::is_map(t)) throw ConfigError(p, yaml::text(t), "expected a mapping");
  for (const auto& kv : t) {
    const std::string k = kv.first.Scalar();
    if (!known.count(k)) throw ConfigError(p + "." + k, yaml::text(kv.second), "unknown key in train_settings");
  }
  TrainSettings s;
  auto key = [&](const char* k) { return p + "." + k; };
  auto num_or = [&](const char* k, double& field) {
    if (!is_null(t[k])) field = get_double(t[k], key(k));
  };
  auto int_or = [&](const char* k, int& field) {
    if (!is_null(t[k]) && !(t[k].IsScalar() && t[k].Scalar() == "auto")) field = get_int(t[k], key(k));
  };
  auto str_or = [&](const char* k, std::string& field) {
    if (!is_null(t[k])) field = get_string(t[k], key(k));
  };
  str_or("model", s.model);
  num_or("model_size_in_b", s.model_size_in_b);
  if (!is_null(t["model_size_in_b"])) require_number(key("model_size_in_b"), s.model_size_in_b, 0, kMaxModelSizeB);
  int_or("num_nodes", s.num_nodes);
  int_or("gpus_per_node", s.gpus_per_node);
  int_or("gpu_memory_gb", s.gpu_memory_gb);
  num_or("max_training_days", s.max_training_days);
  int_or("limit_search_runs", s.limit_search_runs);
  int_or("output_top_n", s.output_top_n);
  int_or("max_steps_per_run", s.max_steps_per_run);
  int_or("max_minutes_per_run", s.max_minutes_per_run);
  num_or("tflops_per_gpu", s.tflops_per_gpu);
  num_or("num_tokens_in_b", s.num_tokens_in_b);
  int_or("vocab_size", s.vocab_size);
  int_or("seq_length", s.seq_length);
  str_or("custom_config", s.custom_config);
  str_or("logs", s.logs);
  s.tensor_parallel_sizes = get_int_list(t["tensor_parallel_sizes"], key("tensor_parallel_sizes"));
  s.pipeline_parallel_sizes = get_int_list(t["pipeline_parallel_sizes"], key("pipeline_parallel_sizes"));
  int_or("min_model_parallel_size", s.min_model_parallel_size);
  int_or("max_model_parallel_size", s.max_model_parallel_size);
  s.micro_batch_sizes = get_int_list(t["micro_batch_sizes"], key("micro_batch_sizes"));
  s.act_ckpt_layers = get_int_list(t["act_ckpt_layers"], key("act_ckpt_layers"));
  str_or("gpu", s.gpu);
  str_or("policy", s.policy);
  s.virtual_pipeline_sizes = get_int_list(t["virtual_pipeline_sizes"], key("virtual_pipeline_sizes"));
  s.context_parallel_sizes = get_int_list(t["context_parallel_sizes"], key("context_parallel_sizes"));
  s.expert_parallel_sizes = get_int_list(t["expert_parallel_sizes"], key("expert_parallel_sizes"));
  s.expert_tensor_parallel_sizes =
      get_int_list(t["expert_tensor_parallel_sizes"], key("expert_tensor_parallel_sizes"));
  s.recompute_modes = yaml::get_string_list(t["recompute_modes"], key("recompute_modes"));
  for (const auto& r : s.recompute_modes) recompute_from_string(key("recompute_modes"), r);
  for (const char* k : {"sequence_parallel", "distributed_optimizer", "optimizer_cpu_offload"}) {
    std::vector<int> v;
    const YAML::Node n = t[k];
    if (!is_null(n) && !(n.IsScalar() && n.Scalar() == "auto")) {
      if (n.IsSequence()) {
        for (const auto& item : n) v.push_back(yaml::get_bool(item, key(k)) ? 1 : 0);
      } else {
        v.push_back(yaml::get_bool(n, key(k)) ? 1 : 0);
      }
    }
    (std::string(k) == "sequence_parallel"       ? s.sequence_parallel
     : std::string(k) == "distributed_optimizer" ? s.distributed_optimizer
                                                 : s.optimizer_cpu_offload) = v;
  }
  if (!is_null(t["fp8"])) s.fp8 = yaml::get_bool(t["fp8"], key("fp8"));
  // A list, or one scalar with comma-separated words (what hp-cli --precisions bf16,mxfp8 passes).
  s.precisions = yaml::get_string_list(t["precisions"], key("precisions"));
  parse_precisions(s.precisions, key("precisions"));  // every word known (ConfigError names the accepted ones)
  if (s.fp8 && !s.precisions.empty())
    throw ConfigError(key("fp8"), "true", "conflicts with train_settings.precisions; list fp8 there instead (fp8: "
                                          "true means precisions: [bf16, fp8])");
  if (!is_null(t["fsdp"])) s.fsdp = yaml::get_bool(t["fsdp"], key("fsdp"));
  if (!is_null(t["nemo_fix_bugs"])) s.nemo_fix_bugs = yaml::get_bool(t["nemo_fix_bugs"], key("nemo_fix_bugs"));
  if (!is_null(t["legacy_names"])) s.legacy_names = yaml::get_bool(t["legacy_names"], key("legacy_names"));
  num_or("memory_margin", s.memory_margin);
  int_or("global_batch_size", s.global_batch_size);
  str_or("trial_nodes", s.trial_nodes);
  parse_trial_nodes(s.trial_nodes, key("trial_nodes"));

  // Range checks: every message names the key and the value.
  // Upper limits (docs/usage.md "Limits") keep products such as num_nodes x gpus_per_node and minutes x 60
  // inside their integer types.
  for (auto [k, v] : {std::pair<const char*, int>{"num_nodes", s.num_nodes}, {"gpus_per_node", s.gpus_per_node},
                      {"limit_search_runs", s.limit_search_runs}, {"output_top_n", s.output_top_n}})
    require_int(key(k), v, 1, kMaxLayoutSize);
  require_int(key("num_nodes") + " x gpus_per_node", static_cast<long long>(s.num_nodes) * s.gpus_per_node, 1, kMaxLayoutSize);
  require_int(key("max_steps_per_run"), s.max_steps_per_run, 1, 1'000'000'000);
  require_int(key("max_minutes_per_run"), s.max_minutes_per_run, 1, 60 * 24 * 3650);
  require_int(key("gpu_memory_gb"), s.gpu_memory_gb, 1, 1 << 20);
  require_number(key("max_training_days"), s.max_training_days, 0, kMaxTrainingDays);
  require_number(key("tflops_per_gpu"), s.tflops_per_gpu, 0, kMaxTflopsPerGpu);
  require_number(key("num_tokens_in_b"), s.num_tokens_in_b, 0, kMaxTokensB);
  require_int(key("vocab_size"), s.vocab_size, 0, 1 << 24);
  require_int(key("seq_length"), s.seq_length, 0, 1 << 24);
  require_int(key("global_batch_size"), s.global_batch_size, 0, kMaxLayoutSize);
  for (const char* k : {"min_model_parallel_size", "max_model_parallel_size"})
    require_int(key(k), k[1] == 'i' ? s.min_model_parallel_size : s.max_model_parallel_size, 0, kMaxLayoutSize);
  if (s.gpu.empty() && s.gpu_memory_gb != 40 && s.gpu_memory_gb != 80)
    throw ConfigError(key("gpu_memory_gb"), std::to_string(s.gpu_memory_gb), "must be 40 or 80 (or name a GPU with 'gpu')");
  if (s.policy != "model" && s.policy != "nemo") throw ConfigError(key("policy"), s.policy, "expected model or nemo");
  if (!(s.memory_margin >= 0 && s.memory_margin < 1))
    throw ConfigError(key("memory_margin"), std::to_string(s.memory_margin), "must be in [0, 1)");
  for (auto [k, v] : {std::pair<const char*, const std::vector<int>*>{"tensor_parallel_sizes", &s.tensor_parallel_sizes},
                      {"pipeline_parallel_sizes", &s.pipeline_parallel_sizes}, {"micro_batch_sizes", &s.micro_batch_sizes},
                      {"virtual_pipeline_sizes", &s.virtual_pipeline_sizes}, {"context_parallel_sizes", &s.context_parallel_sizes},
                      {"expert_parallel_sizes", &s.expert_parallel_sizes}})
    positive_list(key(k), *v);
  for (int x : s.act_ckpt_layers) require_int(key("act_ckpt_layers"), x, 0, kMaxLayoutSize);
  return s;
}

/// Serving keys (issue 14): mode, TTFT/TPOT bounds, concurrency, request rate, token budget, EP, engine,
/// disaggregation and an architecture map. `find` returns the node and sets the dotted key for errors.
template <class Find>
void parse_serving(InferenceSettings& s, Find& find) {
  std::string w;
  if (auto v = find("mode", w); v.IsDefined() && !is_null(v)) {
    s.mode = get_string(v, w);
    if (s.mode != "static_batch" && s.mode != "max_throughput" && s.mode != "online")
      throw ConfigError(w, s.mode, "unknown serving mode (expected static_batch, max_throughput or online)");
  }
  for (auto [key, field] : {std::pair<const char*, double*>{"max_ttft_ms", &s.max_ttft_ms},
                            {"max_tpot_ms", &s.max_tpot_ms}, {"request_rate", &s.request_rate}})
    if (auto v = find(key, w); v.IsDefined() && !is_null(v)) {
      *field = get_double(v, w);
      if (!(*field >= 0)) throw ConfigError(w, yaml::text(v), "must be >= 0 (0 = none)");
    }
  if (auto v = find("concurrency", w); v.IsDefined() && !is_null(v)) {
    s.concurrency = v.IsSequence() ? get_int_list(v, w) : std::vector<int>{get_int(v, w)};
    positive_list(w, s.concurrency);
  }
  if (auto v = find("expert_parallel_sizes", w); v.IsDefined() && !is_null(v)) {
    s.expert_parallel_sizes = get_int_list(v, w);
    positive_list(w, s.expert_parallel_sizes);
  }
  if (auto v = find("attention_dp", w); v.IsDefined() && !is_null(v)) {
    s.attention_dp = yaml::text(v);
    if (s.attention_dp != "auto" && s.attention_dp != "true" && s.attention_dp != "false")
      throw ConfigError(w, s.attention_dp, "expected auto, true or false");
  }
  if (auto v = find("max_num_tokens", w); v.IsDefined() && !is_null(v)) {
    s.max_num_tokens = get_int(v, w);
    if (s.max_num_tokens < 1) throw ConfigError(w, yaml::text(v), "must be >= 1");
  }
  if (auto v = find("scheduler_steps", w); v.IsDefined() && !is_null(v)) {
    s.scheduler_steps = get_int(v, w);
    if (s.scheduler_steps < 1) throw ConfigError(w, yaml::text(v), "must be >= 1 (1 = schedule every iteration)");
  }
  if (auto v = find("max_gpus", w); v.IsDefined() && !is_null(v)) {
    s.max_gpus = get_int(v, w);
    if (s.max_gpus < 1) throw ConfigError(w, yaml::text(v), "must be >= 1");
  }
  if (auto v = find("engine", w); v.IsDefined() && !is_null(v)) {
    s.engine = get_string(v, w);
    check_serving_engine(w, s.engine);
  }
  if (auto v = find("disaggregated", w); v.IsDefined() && !is_null(v)) s.disaggregated = get_bool(v, w);
  if (auto v = find("architecture", w); v.IsDefined() && !is_null(v)) {
    if (!v.IsMap()) throw ConfigError(w, yaml::text(v), "expected a map of architecture keys (num_layers, ...)");
    for (const auto& kv : v) s.architecture[kv.first.Scalar()] = yaml::text(kv.second);
  }
}

InferenceSettings parse_inference(const YAML::Node& n, const std::string& p) {
  if (!yaml::is_map(n)) throw ConfigError(p, yaml::text(n), "expected a mapping");
  InferenceSettings s;
  // Both NeMo forms: flat (22.04) and nested run/benchmark (HEAD): gather every key with where it was found.
  std::map<std::string, std::pair<std::string, YAML::Node>> keys;
  for (const auto& kv : n) {
    const std::string k = kv.first.Scalar();
    if ((k == "run" || k == "benchmark") && kv.second.IsMap()) {
      for (const auto& inner : kv.second) keys[inner.first.Scalar()] = {p + "." + k + "." + inner.first.Scalar(), inner.second};
    } else {
      keys[k] = {p + "." + k, kv.second};
    }
  }
  // Every key NeMo's forms use (HEAD run/benchmark, 22.04 flat, 22.08 transitional) plus ours: a typo must
  // not fall back to a default silently.
  static const std::set<std::string> known = {
      "model_type", "model_train_name", "gpus_per_node", "data_type", "time_limit", "results_dir",
      "tensor_parallel_sizes", "pipeline_parallel_sizes", "top_n", "max_latency_ms", "input_len", "output_len",
      "batch_sizes", "beam_width", "topk", "topp", "triton_wait_time_s", "vocab_size", "start_id", "end_id",
      "input_seq_len", "output_seq_len", "logs", "max_batch_sizes", "input_seq_lengths", "output_seq_lengths",
      "num_nodes", "gpu", "model", "weight_dtype", "kv_cache_dtype", "benchmark_tool", "memory_fraction",
      "mode", "max_ttft_ms", "max_tpot_ms", "concurrency", "request_rate", "max_num_tokens", "expert_parallel_sizes",
      "attention_dp", "engine", "disaggregated", "max_gpus", "architecture", "scheduler_steps"};
  for (const auto& [k, where_value] : keys)
    if (!known.count(k)) throw ConfigError(where_value.first, yaml::text(where_value.second), "unknown key in inference_settings");
  auto find = [&](const char* k, std::string& where) -> YAML::Node {
    auto it = keys.find(k);
    if (it == keys.end()) return YAML::Node(YAML::NodeType::Undefined);  // Node() would be a defined null
    where = it->second.first;
    return it->second.second;
  };
  std::string w;
  auto list = [&](std::vector<int>& field, std::initializer_list<const char*> keys) {
    for (const char* k : keys) {
      YAML::Node v = find(k, w);
      if (v.IsDefined()) {
        field = get_int_list(v, w);
        positive_list(w, field);
        return;
      }
    }
  };
  list(s.tensor_parallel_sizes, {"tensor_parallel_sizes"});
  list(s.pipeline_parallel_sizes, {"pipeline_parallel_sizes"});
  list(s.max_batch_sizes, {"max_batch_sizes", "batch_sizes"});
  list(s.input_seq_lengths, {"input_seq_lengths", "input_seq_len", "input_len"});
  list(s.output_seq_lengths, {"output_seq_lengths", "output_seq_len", "output_len"});
  if (auto v = find("top_n", w); v.IsDefined()) s.top_n = get_int(v, w);
  if (auto v = find("max_latency_ms", w); v.IsDefined() && !is_null(v)) {
    s.max_latency_ms = get_double(v, w);
    if (s.max_latency_ms < 0) throw ConfigError(w, yaml::text(v), "must be >= 0");
  }
  if (auto v = find("gpus_per_node", w); v.IsDefined()) s.gpus_per_node = get_int(v, w);
  if (auto v = find("num_nodes", w); v.IsDefined()) s.num_nodes = get_int(v, w);
  if (auto v = find("gpu", w); v.IsDefined()) s.gpu = get_string(v, w);
  // Issue 6 (inference search) keys; NeMo HEAD's run.model_train_name and run.data_type are aliases.
  for (const char* k : {"model", "model_train_name"})
    if (auto v = find(k, w); v.IsDefined() && !is_null(v) && s.model.empty()) s.model = get_string(v, w);
  for (const char* k : {"data_type", "weight_dtype"})
    if (auto v = find(k, w); v.IsDefined() && !is_null(v)) s.data_type = get_string(v, w);
  if (auto v = find("kv_cache_dtype", w); v.IsDefined() && !is_null(v)) s.kv_cache_dtype = get_string(v, w);
  if (auto v = find("benchmark_tool", w); v.IsDefined() && !is_null(v)) s.benchmark = get_string(v, w);
  if (auto v = find("memory_fraction", w); v.IsDefined() && !is_null(v)) s.memory_fraction = get_double(v, w);
  if (auto v = find("beam_width", w); v.IsDefined() && !is_null(v)) s.beam_width = get_int(v, w);
  parse_serving(s, find);
  require_int(p + ".top_n", s.top_n, 1, kMaxLayoutSize);
  require_int(p + ".gpus_per_node", s.gpus_per_node, 1, kMaxLayoutSize);
  require_int(p + ".num_nodes", s.num_nodes, 0, kMaxLayoutSize);  // 0 = no cap
  require_int(p + ".num_nodes x gpus_per_node", static_cast<long long>(s.num_nodes) * s.gpus_per_node, 0, kMaxLayoutSize);
  require_int(p + ".beam_width", s.beam_width, 1, 1 << 16);
  require_number(p + ".memory_fraction", s.memory_fraction, 0, 1, /*lo_open=*/false);  // 0 = the engine's default
  return s;
}

}  // namespace

namespace {

// The override whose key an error of the file's parser names (train_settings.<key>, or a product starting with it).
const TrainOverride* override_named(const std::vector<TrainOverride>& overrides, const std::string& error_key) {
  for (const TrainOverride& o : overrides) {
    const std::string k = "train_settings." + o.key;
    if (error_key == k || error_key.rfind(k + " ", 0) == 0) return &o;
  }
  return nullptr;
}

// The reason of a ConfigError without its "key=value: " prefix.
std::string reason_of(const ConfigError& e) {
  const std::string what = e.what();
  const std::size_t colon = what.find(": ");
  return colon == std::string::npos ? what : what.substr(colon + 2);
}

void put_overrides(YAML::Node body, const std::vector<TrainOverride>& overrides) {
  if (overrides.empty()) return;
  if (!yaml::is_map(body["train_settings"]))
    throw ConfigError(overrides.front().origin, overrides.front().value, "the config has no train_settings to override");
  YAML::Node train = body["train_settings"];
  // A plain scalar: the value is read as the file's text would be, never as YAML structure.
  for (const TrainOverride& o : overrides) train[o.key] = YAML::Node(o.value);
}

SearchConfig parse_body(const YAML::Node& root, const std::string& origin, const std::vector<TrainOverride>& overrides);

}  // namespace

SearchConfig parse_search_config(const std::string& text, const std::string& origin,
                                 const std::vector<TrainOverride>& overrides) {
  YAML::Node root = yaml::parse(text, origin);
  if (!yaml::is_map(root)) throw ConfigError(origin, yaml::text(root), "expected a YAML mapping with train_settings");
  try {
    SearchConfig c = parse_body(root, origin, overrides);
    for (const TrainOverride& o : overrides)
      if (o.key == "gpu") find_gpu(o.value);  // unknown GPU: named now, by its flag
    return c;
  } catch (const ConfigError& e) {
    // find_gpu names its error "gpu"; the file's parser names "train_settings.<key>".
    const TrainOverride* o = override_named(overrides, e.key() == "gpu" ? "train_settings.gpu" : e.key());
    if (!o) throw;
    throw ConfigError(o->origin, o->value, reason_of(e) + " (overrides train_settings." + o->key + ")");
  }
}

SearchConfig parse_search_config(const std::string& text, const std::string& origin) {
  return parse_search_config(text, origin, {});
}

SearchConfig load_search_config(const std::string& path, const std::vector<TrainOverride>& overrides) {
  return parse_search_config(yaml::read_file(path), path, overrides);
}

namespace {

SearchConfig parse_body(const YAML::Node& root, const std::string& origin, const std::vector<TrainOverride>& overrides) {
  SearchConfig c;
  c.path = origin;
  // NeMo's launcher nests the file under search_config when it is part of conf/config.yaml.
  const YAML::Node body = yaml::is_map(root["search_config"]) ? root["search_config"] : root;
  put_overrides(body, overrides);
  std::string family;
  if (!is_null(body["model"])) family = get_string(body["model"], "model");
  if (body["train_settings"].IsDefined()) {
    c.train = parse_train(body["train_settings"], "train_settings");
    c.has_train_settings = true;
    if (!is_null(body["train_settings"]["model"])) family = c.train.model;
  }
  if (body["inference_settings"].IsDefined()) {
    c.inference = parse_inference(body["inference_settings"], "inference_settings");
    c.has_inference_settings = true;
  }
  // A serving config that names its model (or gives its architecture) needs no training family.
  const bool self_contained = !c.has_train_settings && (!c.inference.model.empty() || !c.inference.architecture.empty());
  if (family.empty() && origin != "<string>" && !self_contained) {
    // NeMo derives the family from the folder: search_config/gpt3/5b.yaml is GPT-3.
    family = std::filesystem::path(origin).parent_path().filename().string();
    const auto fams = model_families();
    if (std::find(fams.begin(), fams.end(), family) == fams.end()) {
      std::string known;
      for (const auto& f : fams) known += (known.empty() ? "" : ", ") + f;
      throw ConfigError("model", "<missing>", "no 'model' key and the folder name '" + family +
                                                  "' is not a model family (" + known + "); add model: gpt3");
    }
  }
  if (family.empty()) family = "gpt3";
  check_family(family);
  c.train.model = family;
  if (!c.has_train_settings && !c.has_inference_settings)
    throw ConfigError(origin, "<missing>", "expected train_settings and/or inference_settings");
  std::size_t visited = 0;
  for (const auto& kv : body) {
    const std::string k = kv.first.Scalar();
    if (k != "train_settings" && k != "inference_settings" && k != "model") flatten(kv.second, k, c.extra, visited);
  }
  return c;
}

}  // namespace

SearchConfig load_search_config(const std::string& path) { return parse_search_config(yaml::read_file(path), path); }

}  // namespace hp
