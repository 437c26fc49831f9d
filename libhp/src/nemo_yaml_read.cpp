// Reading a NeMo-Megatron training YAML back into a TrainingConfig, and overriding keys of any YAML.
#include <cmath>

#include "families/families.hpp"
#include "nemo_arch_keys.hpp"
#include "hp/nemo_config.hpp"
#include "hp/perf.hpp"
#include "hp/sizing.hpp"
#include "yaml_util.hpp"

namespace hp {
namespace {

// NeMo's own files write ffn_hidden_size as "${multiply:4, ${.hidden_size}}": resolve that one interpolation.
int ffn_from(const YAML::Node& n, const std::string& key, int hidden) {
  if (n.IsDefined() && n.IsScalar() && n.Scalar().rfind("${multiply:4", 0) == 0) return 4 * hidden;
  return yaml::get_int(n, key);
}

void read_act_ckpt(const YAML::Node& m, const std::string& prefix, TrainingConfig& c) {
  if (!yaml::is_null(m["activations_checkpoint_granularity"]))
    c.activations_checkpoint_granularity = yaml::get_string(m["activations_checkpoint_granularity"], prefix + "activations_checkpoint_granularity");
  if (!yaml::is_null(m["activations_checkpoint_method"]))
    c.activations_checkpoint_method = yaml::get_string(m["activations_checkpoint_method"], prefix + "activations_checkpoint_method");
  if (!yaml::is_null(m["activations_checkpoint_num_layers"]))
    c.activations_checkpoint_num_layers = yaml::get_int(m["activations_checkpoint_num_layers"], prefix + "activations_checkpoint_num_layers");
  // Megatron-Core recompute_modules: a list of words (or one string of them); unknown words exit 2 here.
  if (!yaml::is_null(m["recompute_modules"])) {
    const YAML::Node rm = m["recompute_modules"];
    std::string words;
    if (rm.IsSequence()) {
      for (const auto& w : rm) words += (words.empty() ? "" : "+") + yaml::text(w);
    } else {
      words = yaml::text(rm);
    }
    c.recompute_modules = recompute_modules_to_string(parse_recompute_modules(prefix + "recompute_modules", words));
  }
}

int opt_int(const YAML::Node& n, const std::string& key, int fallback) {
  return yaml::is_null(n) ? fallback : yaml::get_int(n, key);
}

// Megatron-Core OptimizerConfig's optimizer CPU offload keys under model.optim. Absent keys take OptimizerConfig's
// defaults (fraction 0.0, overlap false); Megatron-LM asserts use_precision_aware_optimizer with offload
// (arguments.py), so an explicit false is refused here; layout_from_nemo's validate() refuses offload without
// the distributed optimizer and a fraction outside 0..1.
void read_optimizer_offload(const YAML::Node& optim, TrainingConfig& c) {
  const YAML::Node on = yaml::child(optim, "optimizer_cpu_offload");
  if (yaml::is_null(on) || !yaml::get_bool(on, "model.optim.optimizer_cpu_offload")) return;
  c.optimizer_cpu_offload = true;
  const YAML::Node fraction = yaml::child(optim, "optimizer_offload_fraction");
  c.optimizer_offload_fraction =
      yaml::is_null(fraction) ? 0.0 : yaml::get_double(fraction, "model.optim.optimizer_offload_fraction");
  if (!(c.optimizer_offload_fraction >= 0.0 && c.optimizer_offload_fraction <= 1.0))
    throw ConfigError("model.optim.optimizer_offload_fraction", yaml::text(fraction), "expected a number in 0..1");
  const YAML::Node overlap = yaml::child(optim, "overlap_cpu_optimizer_d2h_h2d");
  c.overlap_cpu_optimizer_d2h_h2d =
      !yaml::is_null(overlap) && yaml::get_bool(overlap, "model.optim.overlap_cpu_optimizer_d2h_h2d");
  const YAML::Node aware = yaml::child(optim, "use_precision_aware_optimizer");
  if (!yaml::is_null(aware) && !yaml::get_bool(aware, "model.optim.use_precision_aware_optimizer"))
    throw ConfigError("model.optim.use_precision_aware_optimizer", "false",
                      "optimizer_cpu_offload needs the precision-aware optimizer (Megatron-LM arguments.py)");
}

void read_stack(const YAML::Node& s, const std::string& prefix, ModelSpec& m, bool decoder) {
  const int layers = yaml::get_int(s["num_layers"], prefix + "num_layers");
  if (decoder) {
    m.num_decoder_layers = layers;
    return;
  }
  m.num_layers = layers;
  m.hidden_size = yaml::get_int(s["hidden_size"], prefix + "hidden_size");
  m.ffn_hidden_size = ffn_from(s["ffn_hidden_size"], prefix + "ffn_hidden_size", m.hidden_size);
  m.num_attention_heads = yaml::get_int(s["num_attention_heads"], prefix + "num_attention_heads");
  m.kv_channels = opt_int(s["kv_channels"], prefix + "kv_channels", 0);
  if (!yaml::is_null(s["activation"])) m.activation = yaml::get_string(s["activation"], prefix + "activation");
  if (!yaml::is_null(s["position_embedding_type"]))
    m.position_embedding = yaml::get_string(s["position_embedding_type"], prefix + "position_embedding_type");
  if (!yaml::is_null(s["normalization"])) m.normalization = yaml::get_string(s["normalization"], prefix + "normalization");
  if (!yaml::is_null(s["bias"])) m.add_bias_linear = yaml::get_bool(s["bias"], prefix + "bias");
}

}  // namespace

static TrainingConfig read_config(const std::string& text, const std::string& origin) {
  const YAML::Node root = yaml::parse(text, origin);
  if (!yaml::is_map(root))
    throw ConfigError(origin, yaml::text(root), "expected a YAML mapping (a NeMo-Megatron training config)");
  if (!yaml::is_map(root["model"]))
    throw ConfigError(origin + ":model", yaml::text(root["model"]), "not a NeMo-Megatron training config (no model section)");
  const YAML::Node m = root["model"];
  TrainingConfig c;
  const bool t5 = yaml::is_map(m["encoder"]);
  if (t5) {
    read_stack(m["encoder"], "model.encoder.", c.model, false);
    read_stack(m["decoder"], "model.decoder.", c.model, true);
    c.model.seq_length = yaml::get_int(m["seq_length"], "model.seq_length");
    c.model.max_position_embeddings = c.model.seq_length;
    const auto tok = m["tokenizer"];
    c.model.family = (!yaml::is_null(yaml::child(tok, "library")) && yaml::child(tok, "library").Scalar() == "sentencepiece") ? "mt5" : "t5";
    c.model.vocab_size = default_vocab_size(c.model.family);
    c.model.decoder_seq_length = opt_int(yaml::child(m["data"], "seq_length_dec"), "model.data.seq_length_dec", 128);
    read_act_ckpt(m["encoder"], "model.encoder.", c);
    const YAML::Node warmup = yaml::child(yaml::child(m["optim"], "sched"), "warmup_ratio");
    if (!yaml::is_null(warmup)) c.warmup_ratio = yaml::get_double(warmup, "model.optim.sched.warmup_ratio");
    c.init_method_std = yaml::get_double(m["encoder"]["init_method_std"], "model.encoder.init_method_std");
  } else {
    c.model.family = "gpt3";
    c.model.vocab_size = default_vocab_size("gpt3");
    read_stack(m, "model.", c.model, false);
    c.model.seq_length = yaml::get_int(m["encoder_seq_length"], "model.encoder_seq_length");
    c.model.max_position_embeddings = opt_int(m["max_position_embeddings"], "model.max_position_embeddings", c.model.seq_length);
    c.model.num_query_groups = opt_int(m["num_query_groups"], "model.num_query_groups", 0);
    if (c.model.activation == "fast-swiglu") c.model.activation = "swiglu";
    if (!yaml::is_null(m["share_embeddings_and_output_weights"]))
      c.model.share_embeddings_and_output_weights = yaml::get_bool(m["share_embeddings_and_output_weights"], "model.share_embeddings_and_output_weights");
    c.model.moe_num_experts = opt_int(m["num_moe_experts"], "model.num_moe_experts", 0);
    c.model.moe_topk = opt_int(m["moe_router_topk"], "model.moe_router_topk", 0);
    detail::read_architecture_keys(m, "model.", c.model);  // MoE pattern, MTP, MLA (nemo_arch_keys.cpp)
    read_act_ckpt(m, "model.", c);
    c.num_micro_batches_with_partial_activation_checkpoints =
        opt_int(m["num_micro_batches_with_partial_activation_checkpoints"], "model.num_micro_batches_with_partial_activation_checkpoints", -1);
    c.activations_checkpoint_layers_per_pipeline =
        opt_int(m["activations_checkpoint_layers_per_pipeline"], "model.activations_checkpoint_layers_per_pipeline", -1);
    c.context_parallel_size = opt_int(m["context_parallel_size"], "model.context_parallel_size", 1);
    c.expert_model_parallel_size = opt_int(m["expert_model_parallel_size"], "model.expert_model_parallel_size", 1);
    c.virtual_pipeline_model_parallel_size =
        opt_int(m["virtual_pipeline_model_parallel_size"], "model.virtual_pipeline_model_parallel_size", 0);
    if (!yaml::is_null(m["sequence_parallel"])) c.sequence_parallel = yaml::get_bool(m["sequence_parallel"], "model.sequence_parallel");
    if (!yaml::is_null(m["fp8"])) c.fp8 = yaml::get_bool(m["fp8"], "model.fp8");
    if (!yaml::is_null(m["fp8_recipe"])) {
      c.fp8_recipe = m["fp8_recipe"].as<std::string>();
      if (c.fp8_recipe != "delayed" && c.fp8_recipe != "tensorwise" && c.fp8_recipe != "mxfp8")
        throw ConfigError("model.fp8_recipe", c.fp8_recipe, "expected delayed, tensorwise or mxfp8");
    }
    if (!yaml::is_null(m["fp8_e4m3"])) c.fp8_e4m3 = yaml::get_bool(m["fp8_e4m3"], "model.fp8_e4m3");
    if (!yaml::is_null(m["first_last_layers_bf16"]) &&
        yaml::get_bool(m["first_last_layers_bf16"], "model.first_last_layers_bf16")) {
      // Megatron-Core's defaults when first_last_layers_bf16 is on: one layer at each end.
      c.num_layers_at_start_in_bf16 = opt_int(m["num_layers_at_start_in_bf16"], "model.num_layers_at_start_in_bf16", 1);
      c.num_layers_at_end_in_bf16 = opt_int(m["num_layers_at_end_in_bf16"], "model.num_layers_at_end_in_bf16", 1);
      for (auto [k, v] : {std::pair<const char*, int>{"model.num_layers_at_start_in_bf16", c.num_layers_at_start_in_bf16},
                          {"model.num_layers_at_end_in_bf16", c.num_layers_at_end_in_bf16}})
        if (v < 0) throw ConfigError(k, std::to_string(v), "must be >= 0");
    }
    // Megatron-Core fp4: the FP4 format ("e2m1", the only one); its recipe defaults to nvfp4.
    if (!yaml::is_null(m["fp4"]) && !(m["fp4"].IsScalar() && m["fp4"].Scalar() == "false")) {
      const std::string f = yaml::text(m["fp4"]);
      if (f != "e2m1") throw ConfigError("model.fp4", f, "expected e2m1 (or null)");
      c.fp4 = true;
    }
    if (!yaml::is_null(m["fp4_recipe"])) {
      const std::string r = m["fp4_recipe"].as<std::string>();
      if (r != "nvfp4") throw ConfigError("model.fp4_recipe", r, "expected nvfp4");
      c.fp4 = true;
    }
    c.expert_tensor_parallel_size =
        opt_int(m["expert_tensor_parallel_size"], "model.expert_tensor_parallel_size", 0);
    if (!yaml::is_null(m["fsdp"])) c.fsdp = yaml::get_bool(m["fsdp"], "model.fsdp");
    if (!yaml::is_null(m["moe_token_dispatcher_type"])) {
      c.moe_token_dispatcher_type = m["moe_token_dispatcher_type"].as<std::string>();
      parse_moe_dispatcher("model.moe_token_dispatcher_type", c.moe_token_dispatcher_type);  // known word?
    }
    if (!yaml::is_null(m["cpu_offloading"]) && yaml::get_bool(m["cpu_offloading"], "model.cpu_offloading"))
      c.cpu_offloading_num_layers = opt_int(m["cpu_offloading_num_layers"], "model.cpu_offloading_num_layers", 0);
    if (!yaml::is_null(m["account_for_embedding_in_pipeline_split"]))
      c.account_for_embedding_in_pipeline_split = yaml::get_bool(
          m["account_for_embedding_in_pipeline_split"], "model.account_for_embedding_in_pipeline_split");
    if (!yaml::is_null(m["account_for_loss_in_pipeline_split"]))
      c.account_for_loss_in_pipeline_split =
          yaml::get_bool(m["account_for_loss_in_pipeline_split"], "model.account_for_loss_in_pipeline_split");
    c.num_layers_in_first_pipeline_stage =
        opt_int(m["num_layers_in_first_pipeline_stage"], "model.num_layers_in_first_pipeline_stage", 0);
    c.num_layers_in_last_pipeline_stage =
        opt_int(m["num_layers_in_last_pipeline_stage"], "model.num_layers_in_last_pipeline_stage", 0);
    if (!yaml::is_null(m["init_method_std"])) c.init_method_std = yaml::get_double(m["init_method_std"], "model.init_method_std");
    const YAML::Node sched = yaml::child(m["optim"], "sched");
    auto steps = [&sched](const char* key) {
      const YAML::Node n = yaml::child(sched, key);
      return yaml::is_null(n) ? 0LL : yaml::get_int64(n, std::string("model.optim.sched.") + key);
    };
    c.warmup_steps = steps("warmup_steps");
    c.constant_steps = steps("constant_steps");
  }
  detail::read_family_keys(root, c);  // llama, mixtral, qwen2, baichuan2, chatglm, bert (families/)
  c.model.name.clear();
  validate(c.model);
  c.global_batch_size = yaml::get_int(m["global_batch_size"], "model.global_batch_size");
  c.micro_batch_size = yaml::get_int(m["micro_batch_size"], "model.micro_batch_size");
  c.tensor_model_parallel_size = yaml::get_int(m["tensor_model_parallel_size"], "model.tensor_model_parallel_size");
  c.pipeline_model_parallel_size = yaml::get_int(m["pipeline_model_parallel_size"], "model.pipeline_model_parallel_size");
  const auto optim = m["optim"];
  // Absent is allowed (defaults); present but not a mapping is a broken config.
  if (!yaml::is_null(optim) && !yaml::is_map(optim)) throw ConfigError("model.optim", yaml::text(optim), "expected a mapping");
  if (!yaml::is_null(yaml::child(optim, "name"))) {
    c.optimizer = find_nemo_optimizer(yaml::get_string(yaml::child(optim, "name"), "model.optim.name")).name;
    const NemoOptimizer& o = find_nemo_optimizer(c.optimizer);
    c.distributed_optimizer = o.distributed;
    c.optimizer_state_bytes = o.state_bytes;
    // The optional first moment of SGD (momentum) and Adafactor (beta1): one more fp32 tensor when set.
    const char* first_moment = o.name == "sgd" ? "momentum" : o.name == "adafactor" ? "beta1" : nullptr;
    const YAML::Node extra = first_moment ? yaml::child(optim, first_moment) : YAML::Node();
    if (!yaml::is_null(extra) && yaml::get_double(extra, std::string("model.optim.") + first_moment) > 0)
      c.optimizer_state_bytes += 4;
    // Apex DistributedFusedAdam: "dtype: datatype for optimizer state" (its parameter copy and both moments);
    // at 16 bits that is 3 x 2 B (NVIDIA's Nemotron-4 340B and Llama SFT recipes of 2024 set dtype: bf16).
    const YAML::Node dtype = yaml::child(optim, "dtype");
    if (o.name == "distributed_fused_adam" && !yaml::is_null(dtype)) {
      const std::string d = yaml::get_string(dtype, "model.optim.dtype");
      if (d == "bf16" || d == "fp16" || d == "16" || d == "bfloat16" || d == "float16") c.optimizer_state_bytes = 6;
      else if (d != "fp32" && d != "32" && d != "float32")
        throw ConfigError("model.optim.dtype", d, "expected fp32, bf16 or fp16 (32 or 16)");
    }
  }
  read_optimizer_offload(optim, c);
  if (!yaml::is_null(yaml::child(optim, "lr"))) c.lr = yaml::get_double(yaml::child(optim, "lr"), "model.optim.lr");
  const YAML::Node min_lr = yaml::child(yaml::child(optim, "sched"), "min_lr");
  if (!yaml::is_null(min_lr)) c.min_lr = yaml::get_double(min_lr, "model.optim.sched.min_lr");

  const auto run = root["run"];
  if (yaml::is_map(run)) {
    if (!yaml::is_null(run["name"])) c.run_name = yaml::get_string(run["name"], "run.name");
    if (!yaml::is_null(run["results_dir"])) c.results_dir = yaml::get_string(run["results_dir"], "run.results_dir");
    if (!yaml::is_null(run["time_limit"])) c.time_limit = yaml::get_string(run["time_limit"], "run.time_limit");
  }
  const auto tr = root["trainer"];
  if (yaml::is_map(tr)) {
    c.num_nodes = yaml::get_int(tr["num_nodes"], "trainer.num_nodes");
    c.gpus_per_node = yaml::get_int(tr["devices"], "trainer.devices");
    if (!yaml::is_null(tr["precision"])) c.precision = yaml::text(tr["precision"]);
    c.max_steps = yaml::get_int64(tr["max_steps"], "trainer.max_steps");
    if (!yaml::is_null(tr["max_time"])) c.max_time = yaml::get_string(tr["max_time"], "trainer.max_time");
  }
  (void)layout_from_nemo(c);  // checks every parallel size and batch where it enters (ConfigError naming the key)
  // Size from the exact count, to two decimals (a custom file has no nominal size).
  c.size_b = std::round(double(count_parameters(c.model).total) / 1e9 * 100) / 100;
  return c;
}

TrainingConfig parse_nemo_yaml(const std::string& text, const std::string& origin) {
  try {
    return read_config(text, origin);
  } catch (const YAML::Exception& e) {
    // Backstop: read_config reads through yaml::child / get_*; a structure they missed is still bad input.
    throw ConfigError(origin, "line " + std::to_string(e.mark.line + 1), "unexpected YAML structure: " + e.msg);
  }
}

TrainingConfig load_nemo_yaml(const std::string& path) { return parse_nemo_yaml(yaml::read_file(path), path); }

std::string override_yaml(const std::string& yaml_text, const std::vector<std::pair<std::string, std::string>>& values) {
  YAML::Node root = yaml::parse(yaml_text, "<config>");
  if (!yaml::is_map(root)) throw ConfigError("<config>", yaml::text(root), "expected a YAML mapping at the top level");
  for (const auto& [key, value] : values) {
    std::vector<std::string> parts;
    for (size_t start = 0;;) {
      const size_t dot = key.find('.', start);
      parts.push_back(key.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    // yaml-cpp nodes are handles: walk down with reset() so each level refers into the tree.
    YAML::Node cur = root;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      YAML::Node next = cur[parts[i]];
      if (next.IsDefined() && !next.IsNull() && !yaml::is_map(next))
        throw ConfigError(key, value, "'" + parts[i] + "' is not a mapping in the config");
      if (!next.IsDefined() || next.IsNull()) cur[parts[i]] = YAML::Node(YAML::NodeType::Map);
      YAML::Node child = cur[parts[i]];
      cur.reset(child);
    }
    cur[parts.back()] = yaml::parse(value, key);
  }
  return yaml::emit(root);
}

}  // namespace hp
