// NeMo-Megatron training YAML: writing (same sections, nesting and types as NeMo launcher's
// conf/training/{gpt3,t5,mt5}/*.yaml) and reading back. yaml-cpp stays inside this file.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "families/families.hpp"
#include "hp/core.hpp"
#include "hp/nemo_config.hpp"
#include "nemo_arch_keys.hpp"
#include "yaml_util.hpp"

namespace hp {
namespace {

YAML::Node null_node() { return YAML::Node(YAML::NodeType::Null); }

// A float that stays a float in YAML: yaml-cpp writes 1.0 as "1", which OmegaConf would read as an int.
YAML::Node flt(double v) {
  std::ostringstream os;
  os.precision(10);
  os << v;
  std::string s = os.str();
  // PyYAML's YAML 1.1 float pattern needs a dot, also before an exponent ("1.0e-05", not "1e-05").
  const auto e = s.find_first_of("eE");
  if (s.find_first_of(".n") == std::string::npos) s.insert(e == std::string::npos ? s.size() : e, ".0");
  return YAML::Node(s);
}

template <class T>
YAML::Node or_null(bool present, const T& v) {
  return present ? YAML::Node(v) : null_node();
}

YAML::Node data_prefix(const TrainingConfig& c, const std::string& family) {
  YAML::Node p(YAML::NodeType::Sequence);
  p.SetStyle(YAML::EmitterStyle::Block);
  p.push_back(flt(1.0));
  p.push_back(c.data_dir + "/my-" + family + "_00_text_document");
  return p;
}

YAML::Node trainer(const TrainingConfig& c) {
  YAML::Node t;
  t["num_nodes"] = c.num_nodes;
  t["devices"] = c.gpus_per_node;
  t["accelerator"] = "gpu";
  t["precision"] = c.precision;
  t["logger"] = false;  // the logger comes from exp_manager
  t["enable_checkpointing"] = false;
  t["use_distributed_sampler"] = false;
  t["max_epochs"] = null_node();
  t["max_steps"] = c.max_steps;
  t["max_time"] = c.max_time;
  t["log_every_n_steps"] = 1;
  t["val_check_interval"] = std::min<long long>(50, std::max<long long>(c.max_steps, 1));  // NeMo's base configs: 50
  t["limit_val_batches"] = 1;
  t["limit_test_batches"] = 1;
  t["accumulate_grad_batches"] = 1;
  t["gradient_clip_val"] = flt(1.0);
  return t;
}

YAML::Node exp_manager(const TrainingConfig& c, const std::string& results_dir, const std::string& model_name) {
  YAML::Node e;
  e["explicit_log_dir"] = results_dir + "/results";
  e["exp_dir"] = null_node();
  e["name"] = model_name;
  e["create_wandb_logger"] = false;
  e["wandb_logger_kwargs"]["project"] = "nemo_" + c.model.family;
  e["wandb_logger_kwargs"]["name"] = c.run_name;
  e["resume_if_exists"] = true;
  e["resume_ignore_no_checkpoint"] = true;
  e["create_checkpoint_callback"] = true;
  auto cb = e["checkpoint_callback_params"];
  cb["monitor"] = "val_loss";
  cb["save_top_k"] = 10;
  cb["mode"] = "min";
  cb["always_save_nemo"] = false;
  cb["save_nemo_on_train_end"] = false;
  cb["filename"] = model_name + "--{val_loss:.2f}-{step}-{consumed_samples}";
  cb["model_parallel_size"] = c.tensor_model_parallel_size * c.pipeline_model_parallel_size;
  e["log_step_timing"] = true;
  e["step_timing_kwargs"]["sync_cuda"] = true;
  e["step_timing_kwargs"]["buffer_size"] = 5;
  return e;
}

void activation_checkpointing(YAML::Node n, const TrainingConfig& c) {
  n["activations_checkpoint_granularity"] = or_null(!c.activations_checkpoint_granularity.empty(), c.activations_checkpoint_granularity);
  n["activations_checkpoint_method"] = or_null(!c.activations_checkpoint_method.empty(), c.activations_checkpoint_method);
  n["activations_checkpoint_num_layers"] = or_null(c.activations_checkpoint_num_layers >= 0, c.activations_checkpoint_num_layers);
  // Megatron-Core recompute_modules (selective only), a list of words; only when set.
  if (!c.recompute_modules.empty()) {
    YAML::Node list(YAML::NodeType::Sequence);
    std::string word;
    for (char ch : c.recompute_modules + "+") {
      if (ch != '+') {
        word += ch;
      } else if (!word.empty()) {
        list.push_back(word);
        word.clear();
      }
    }
    list.SetStyle(YAML::EmitterStyle::Flow);
    n["recompute_modules"] = list;
  }
}

YAML::Node nsys_profile() {
  YAML::Node n;
  n["enabled"] = false;
  YAML::Node trace(YAML::NodeType::Sequence);
  trace.push_back("nvtx");
  trace.push_back("cuda");
  trace.SetStyle(YAML::EmitterStyle::Flow);
  n["trace"] = trace;
  n["start_step"] = 10;
  n["end_step"] = 10;
  YAML::Node ranks(YAML::NodeType::Sequence);
  ranks.push_back(0);
  ranks.SetStyle(YAML::EmitterStyle::Flow);
  n["ranks"] = ranks;
  n["gen_shape"] = false;
  return n;
}

YAML::Node betas(double a, double b) {
  YAML::Node n(YAML::NodeType::Sequence);
  n.push_back(flt(a));
  n.push_back(flt(b));
  return n;
}

// Megatron-Core optimizer CPU offload (OptimizerConfig keys, which NeMo 2 / Megatron-Bridge pass through from their
// optimizer config); Megatron-LM requires the precision-aware optimizer with it (arguments.py).
void optimizer_offload(YAML::Node o, const TrainingConfig& c) {
  if (!c.optimizer_cpu_offload) return;
  o["optimizer_cpu_offload"] = true;
  o["optimizer_offload_fraction"] = flt(c.optimizer_offload_fraction);
  o["overlap_cpu_optimizer_d2h_h2d"] = c.overlap_cpu_optimizer_d2h_h2d;
  o["use_precision_aware_optimizer"] = true;
}

void precision_and_fp8(YAML::Node m, const TrainingConfig& c) {
  m["native_amp_init_scale"] = 4294967296LL;  // 2**32
  m["native_amp_growth_interval"] = 1000;
  m["hysteresis"] = 2;
  m["fp32_residual_connection"] = false;
  m["fp16_lm_cross_entropy"] = false;
  m["megatron_amp_O2"] = true;
  m["grad_allreduce_chunk_size_mb"] = 125;
  m["sharp"] = false;
  m["mcore_gpt"] = true;
  m["transformer_engine"] = true;  // NeMo's shipped configs (and fp8 needs it)
  m["fp8"] = c.fp8;
  // NeMo maps fp8_e4m3 / fp8_hybrid to Megatron-Core's fp8 format (megatron_base_model.py); MXFP8 recipes use
  // e4m3 for every tensor (Megatron-Bridge bf16_with_mxfp8_mixed).
  m["fp8_e4m3"] = c.fp8_e4m3;
  m["fp8_hybrid"] = !c.fp8_e4m3;
  m["fp8_margin"] = 0;
  m["fp8_interval"] = 1;
  m["fp8_amax_history_len"] = 1024;
  m["fp8_amax_compute_algo"] = "max";
  m["fp8_wgrad"] = true;
  if (!c.fp8_recipe.empty() && !c.fp4) m["fp8_recipe"] = c.fp8_recipe;
  if (c.fp4) {
    m["fp4"] = "e2m1";
    m["fp4_recipe"] = "nvfp4";
  }
  if (c.num_layers_at_start_in_bf16 > 0 || c.num_layers_at_end_in_bf16 > 0) {
    m["first_last_layers_bf16"] = true;
    m["num_layers_at_start_in_bf16"] = c.num_layers_at_start_in_bf16;
    m["num_layers_at_end_in_bf16"] = c.num_layers_at_end_in_bf16;
  }
  m["ub_tp_comm_overlap"] = false;
}

YAML::Node gpt_model(const TrainingConfig& c) {
  const ModelSpec& s = c.model;
  YAML::Node m;
  m["micro_batch_size"] = c.micro_batch_size;
  m["global_batch_size"] = c.global_batch_size;
  m["rampup_batch_size"] = null_node();
  m["context_parallel_size"] = c.context_parallel_size;
  m["tensor_model_parallel_size"] = c.tensor_model_parallel_size;
  m["pipeline_model_parallel_size"] = c.pipeline_model_parallel_size;
  m["virtual_pipeline_model_parallel_size"] =
      or_null(c.virtual_pipeline_model_parallel_size > 1, c.virtual_pipeline_model_parallel_size);
  m["expert_model_parallel_size"] = c.expert_model_parallel_size;
  // Layout keys of newer Megatron-Core (TransformerConfig fields NeMo forwards), only when set.
  if (c.expert_tensor_parallel_size > 0) m["expert_tensor_parallel_size"] = c.expert_tensor_parallel_size;
  if (c.account_for_embedding_in_pipeline_split) m["account_for_embedding_in_pipeline_split"] = true;
  if (c.account_for_loss_in_pipeline_split) m["account_for_loss_in_pipeline_split"] = true;
  if (c.num_layers_in_first_pipeline_stage > 0) m["num_layers_in_first_pipeline_stage"] = c.num_layers_in_first_pipeline_stage;
  if (c.num_layers_in_last_pipeline_stage > 0) m["num_layers_in_last_pipeline_stage"] = c.num_layers_in_last_pipeline_stage;
  if (!c.moe_token_dispatcher_type.empty()) m["moe_token_dispatcher_type"] = c.moe_token_dispatcher_type;
  if (c.cpu_offloading_num_layers > 0) {
    m["cpu_offloading"] = true;
    m["cpu_offloading_num_layers"] = c.cpu_offloading_num_layers;
    m["cpu_offloading_activations"] = true;
    m["cpu_offloading_weights"] = false;
  }
  m["resume_from_checkpoint"] = null_node();
  m["encoder_seq_length"] = s.seq_length;
  m["max_position_embeddings"] = s.max_position_embeddings;
  m["num_layers"] = s.num_layers;
  m["hidden_size"] = s.hidden_size;
  m["ffn_hidden_size"] = s.ffn_hidden_size;
  m["num_attention_heads"] = s.num_attention_heads;
  m["init_method_std"] = flt(c.init_method_std);
  m["hidden_dropout"] = flt(0.1);
  m["attention_dropout"] = flt(0.1);
  m["kv_channels"] = or_null(s.kv_channels > 0, s.kv_channels);
  m["apply_query_key_layer_scaling"] = true;
  m["layernorm_epsilon"] = flt(1e-5);
  m["make_vocab_size_divisible_by"] = 128;
  m["pre_process"] = true;
  m["post_process"] = true;
  m["persist_layer_norm"] = true;
  m["gradient_as_bucket_view"] = true;
  m["grad_div_ar_fusion"] = true;
  m["gradient_accumulation_fusion"] = true;
  m["bias_activation_fusion"] = true;
  m["bias_dropout_add_fusion"] = true;
  m["masked_softmax_fusion"] = true;
  activation_checkpointing(m, c);
  m["num_micro_batches_with_partial_activation_checkpoints"] =
      or_null(c.num_micro_batches_with_partial_activation_checkpoints >= 0, c.num_micro_batches_with_partial_activation_checkpoints);
  m["activations_checkpoint_layers_per_pipeline"] =
      or_null(c.activations_checkpoint_layers_per_pipeline >= 0, c.activations_checkpoint_layers_per_pipeline);
  m["fsdp"] = c.fsdp;  // NeMo's own key (torch FSDP); false unless the layout shards fully
  m["sequence_parallel"] = c.sequence_parallel;
  m["overlap_p2p_comm"] = c.virtual_pipeline_model_parallel_size > 1;
  m["batch_p2p_comm"] = c.virtual_pipeline_model_parallel_size <= 1;
  m["num_query_groups"] = or_null(s.num_query_groups > 0, s.num_query_groups);
  m["position_embedding_type"] = s.position_embedding;
  m["activation"] = s.activation == "swiglu" ? "fast-swiglu" : s.activation;
  m["normalization"] = s.normalization;
  m["bias"] = s.add_bias_linear;
  m["share_embeddings_and_output_weights"] = s.share_embeddings_and_output_weights;
  if (s.is_moe()) {
    m["num_moe_experts"] = s.moe_num_experts;
    m["moe_router_topk"] = s.moe_topk;
  }
  for (const auto& [key, value] : detail::architecture_keys(s)) m[key] = YAML::Load(value);
  auto tok = m["tokenizer"];
  tok["library"] = "megatron";
  tok["type"] = "GPT2BPETokenizer";
  tok["model"] = null_node();
  tok["delimiter"] = null_node();
  tok["vocab_file"] = c.data_dir + "/bpe/vocab.json";
  tok["merge_file"] = c.data_dir + "/bpe/merges.txt";
  precision_and_fp8(m, c);
  m["seed"] = 1234;
  m["sync_batch_comm"] = false;
  m["use_cpu_initialization"] = false;
  m["onnx_safe"] = false;
  m["apex_transformer_log_level"] = 30;
  m["nsys_profile"] = nsys_profile();
  auto o = m["optim"];
  o["name"] = nemo_optimizer_name(c);
  if (c.distributed_optimizer) {
    // bucket_cap_mb as NeMo's auto-configurator base config (= grad_allreduce_chunk_size_mb, 125); overlap on as
    // in NeMo's launcher training configs, which the time model assumes (docs/usage.md "base-config").
    o["bucket_cap_mb"] = 125;
    o["overlap_grad_sync"] = true;
    o["overlap_param_sync"] = true;
    o["contiguous_grad_buffer"] = true;
  }
  optimizer_offload(o, c);
  o["lr"] = flt(c.lr);
  o["weight_decay"] = flt(0.1);
  o["betas"] = betas(0.9, 0.95);
  o["sched"]["name"] = "CosineAnnealing";
  o["sched"]["warmup_steps"] = c.warmup_steps;
  o["sched"]["constant_steps"] = c.constant_steps;
  o["sched"]["min_lr"] = flt(c.min_lr);
  auto d = m["data"];
  d["data_impl"] = "mmap";
  d["splits_string"] = "99990,8,2";
  d["seq_length"] = s.seq_length;
  d["skip_warmup"] = true;
  d["num_workers"] = 2;
  d["dataloader_type"] = "single";
  d["reset_position_ids"] = false;
  d["reset_attention_mask"] = false;
  d["eod_mask_loss"] = false;
  d["index_mapping_dir"] = null_node();
  d["data_prefix"] = data_prefix(c, "gpt3");
  return m;
}

YAML::Node t5_stack(const TrainingConfig& c, int layers) {
  const ModelSpec& s = c.model;
  YAML::Node n;
  n["num_layers"] = layers;
  n["hidden_size"] = s.hidden_size;
  n["ffn_hidden_size"] = s.ffn_hidden_size;
  n["num_attention_heads"] = s.num_attention_heads;
  n["kv_channels"] = or_null(s.kv_channels > 0, s.kv_channels);
  n["init_method_std"] = flt(c.init_method_std);
  n["hidden_dropout"] = flt(0.1);
  n["attention_dropout"] = flt(0.1);
  n["position_embedding_type"] = s.position_embedding;
  n["relative_attention_num_buckets"] = s.relative_attention_num_buckets;
  n["relative_attention_max_distance"] = 128;
  n["relative_position_bias_self_attention_only"] = true;
  n["apply_query_key_layer_scaling"] = true;
  n["layernorm_epsilon"] = flt(1e-5);
  n["persist_layer_norm"] = true;
  n["bias_activation_fusion"] = true;
  n["grad_div_ar_fusion"] = true;
  n["masked_softmax_fusion"] = true;
  n["bias_dropout_add_fusion"] = true;
  n["bias"] = s.add_bias_linear;
  n["normalization"] = s.normalization;
  n["arch"] = "transformer";
  n["activation"] = s.activation;
  n["headscale"] = false;
  n["transformer_block_type"] = "pre_ln";
  n["openai_gelu"] = false;
  n["onnx_safe"] = false;
  n["fp32_residual_connection"] = false;
  activation_checkpointing(n, c);
  return n;
}

YAML::Node t5_model(const TrainingConfig& c) {
  const ModelSpec& s = c.model;
  const bool mt5 = s.family == "mt5";
  YAML::Node m;
  m["mcore_t5"] = true;  // NeMo launcher conf/training/{t5,mt5}/*.yaml
  m["transformer_engine"] = true;
  m["micro_batch_size"] = c.micro_batch_size;
  m["global_batch_size"] = c.global_batch_size;
  m["tensor_model_parallel_size"] = c.tensor_model_parallel_size;
  m["pipeline_model_parallel_size"] = c.pipeline_model_parallel_size;
  m["resume_from_checkpoint"] = null_node();
  m["pipeline_model_parallel_split_rank"] = c.pipeline_model_parallel_size / 2;
  m["make_vocab_size_divisible_by"] = 128;
  m["pre_process"] = true;
  m["post_process"] = true;
  m["megatron_amp_O2"] = true;
  m["grad_allreduce_chunk_size_mb"] = 125;
  m["gradient_as_bucket_view"] = true;
  m["seq_length"] = s.seq_length;
  m["max_position_embeddings"] = s.max_position_embeddings;
  m["encoder"] = t5_stack(c, s.num_layers);
  m["decoder"] = t5_stack(c, s.num_decoder_layers);
  auto tok = m["tokenizer"];
  if (mt5) {
    tok["library"] = "sentencepiece";
    tok["type"] = null_node();
    tok["model"] = c.data_dir + "/mc4/bpe/mt5_tokenizer.model";
    tok["vocab_file"] = null_node();
    tok["merge_file"] = null_node();
    tok["num_sentinel_tokens"] = 100;
  } else {
    tok["library"] = "megatron";
    tok["type"] = "BertWordPieceCase";
    tok["model"] = null_node();
    tok["vocab_file"] = c.data_dir + "/bpe/vocab.txt";
    tok["merge_file"] = null_node();
    tok["num_sentinel_tokens"] = 100;
  }
  m["native_amp_init_scale"] = 4294967296LL;
  m["native_amp_growth_interval"] = 1000;
  m["fp16_lm_cross_entropy"] = false;
  m["seed"] = 1234;
  m["sync_batch_comm"] = false;
  m["use_cpu_initialization"] = false;
  m["apex_transformer_log_level"] = 30;
  m["share_token_embeddings"] = true;
  m["share_decoder_tokens_head_embeddings"] = s.share_embeddings_and_output_weights;
  m["nsys_profile"] = nsys_profile();
  auto o = m["optim"];
  o["name"] = nemo_optimizer_name(c);
  if (c.distributed_optimizer) {
    o["bucket_cap_mb"] = 125;  // NeMo's auto-configurator t5/mt5 base configs (= grad_allreduce_chunk_size_mb)
    o["overlap_grad_sync"] = false;
    o["contiguous_grad_buffer"] = true;
  }
  optimizer_offload(o, c);
  o["lr"] = flt(c.lr);
  o["betas"] = betas(0.9, 0.999);
  o["eps"] = flt(1e-8);
  o["weight_decay"] = flt(0.01);
  o["sched"]["name"] = "WarmupAnnealing";
  o["sched"]["min_lr"] = flt(c.min_lr);
  o["sched"]["last_epoch"] = -1;
  o["sched"]["warmup_ratio"] = flt(c.warmup_ratio);
  auto d = m["data"];
  d["data_impl"] = "mmap";
  d["splits_string"] = mt5 ? "999892,99,9" : "999982,9,9";  // NeMo launcher mt5/*.yaml, t5/*.yaml
  d["seq_length"] = s.seq_length;
  d["seq_length_dec"] = s.decoder_seq_length;
  d["skip_warmup"] = true;
  d["num_workers"] = mt5 ? 8 : 4;
  d["dataloader_type"] = "single";
  d["masked_lm_prob"] = flt(0.15);
  d["dataset_type"] = "t5";
  d["short_seq_prob"] = flt(0.0);
  d["max_ngram_size"] = 10;
  d["mean_ngram_size"] = null_node();
  d["geometric_dist"] = true;
  d["permutation"] = false;
  d["whole_word_masking"] = !mt5;
  d["favor_longer_ngrams"] = false;
  d["respect_document_boundaries"] = true;
  d["index_mapping_dir"] = null_node();
  d["data_prefix"] = data_prefix(c, s.family);
  return m;
}

}  // namespace

std::string to_nemo_yaml(const TrainingConfig& c) {
  validate(c.model);
  if (detail::has_family_yaml_layout(c.model.family)) return detail::family_nemo_yaml(c);  // families/
  const bool t5 = c.model.is_encoder_decoder();
  const std::string model_name = t5 ? "megatron_" + c.model.family : "megatron_gpt";  // megatron_t5 / megatron_mt5
  const std::string results_dir = c.results_dir.empty() ? "results/" + c.run_name : c.results_dir;
  YAML::Node root;
  root["run"]["name"] = c.run_name;
  root["run"]["results_dir"] = results_dir;
  root["run"]["time_limit"] = c.time_limit;
  root["run"]["dependency"] = "singleton";
  if (t5) {
    root["name"] = model_name;
    root["restore_from_path"] = null_node();
  }
  root["trainer"] = trainer(c);
  root["exp_manager"] = exp_manager(c, results_dir, model_name);
  root["model"] = t5 ? t5_model(c) : gpt_model(c);
  return std::string("# NeMo-Megatron training config generated by bignlp-hp ") + version() + "\n" + yaml::emit(root);
}

}  // namespace hp
