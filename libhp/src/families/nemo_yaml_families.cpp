// The NeMo training YAML of the Megatron-Core GPT families (llama, mixtral, qwen2, baichuan2, chatglm), in the
// layout of NeMo-Framework-Launcher 26e42fa launcher_scripts/conf/training/<family>/*.yaml: the same sections,
// nesting, key names and value types. Deliberate differences: docs/usage.md ("Base configs of every family").
// Rows are (dotted key, YAML scalar text) in file order; the emitter opens each parent mapping once.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "families/families.hpp"
#include "nemo_precision.hpp"
#include "nemo_arch_keys.hpp"
#include "hp/core.hpp"

namespace hp::detail {
namespace {

using Rows = std::vector<std::pair<std::string, std::string>>;

std::string boolean(bool v) { return v ? "true" : "false"; }
std::string integer(long long v) { return std::to_string(v); }
std::string opt_int(int v, int none_below) { return v < none_below ? "null" : std::to_string(v); }
std::string quoted(const std::string& v) { return "'" + v + "'"; }  // single quotes: no escapes needed here

// A float that a YAML 1.1 reader keeps a float: a dot, also before an exponent ("1.0e-05").
std::string real(double v) {
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".en") == std::string::npos) return s + ".0";
  const auto e = s.find('e');
  if (e != std::string::npos && s.find('.') == std::string::npos) s.insert(e, ".0");
  return s;
}

// The emitter: rows sharing a prefix must be adjacent (they are, by construction below).
std::string emit(const Rows& rows) {
  std::ostringstream out;
  std::vector<std::string> open;  // the mapping path currently open
  for (const auto& [key, value] : rows) {
    std::vector<std::string> parts;
    for (std::size_t start = 0;;) {
      const std::size_t dot = key.find('.', start);
      parts.push_back(key.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    std::size_t common = 0;
    while (common < open.size() && common + 1 < parts.size() && open[common] == parts[common]) ++common;
    open.resize(common);
    for (std::size_t i = common; i + 1 < parts.size(); ++i) {
      out << std::string(2 * i, ' ') << parts[i] << ":\n";
      open.push_back(parts[i]);
    }
    out << std::string(2 * (parts.size() - 1), ' ') << parts.back() << ": " << value << "\n";
  }
  return out.str();
}

struct Family {
  const char* exp_name;     // exp_manager.name = megatron_<x>
  const char* project;      // wandb project
  const char* tokenizer;    // Hugging Face tokenizer id NeMo's config names
  double layernorm_epsilon;
  double rotary_base;       // 0 = not written (NeMo's default 10000)
};

Family family_of(const ModelSpec& m) {
  if (m.family == "mixtral") return {"megatron_mixtral", "nemo_mixtral_pretrain", "mistralai/Mixtral-8x7B-v0.1", 1e-5, 1e6};
  if (m.family == "qwen2") return {"megatron_qwen2", "nemo_qwen2_pretrain", "Qwen/Qwen1.5-7B", 1e-5, 1e6};
  if (m.family == "baichuan2") return {"megatron_baichuan2", "nemo_baichuan2_pretrain", "baichuan-inc/Baichuan2-7B-Base", 1e-6, 0};
  if (m.family == "chatglm") return {"megatron_chatglm3", "nemo_chatglm3_pretrain", "THUDM/chatglm3-6b", 1e-5, 0};
  if (m.family == "deepseek")  // config.json: rms_norm_eps 1e-6, rope_theta 10000 (NeMo's default, not written)
    return {"megatron_deepseek", "nemo_deepseek_pretrain",
            m.vocab_size == 102400 ? "deepseek-ai/DeepSeek-V2-Lite" : "deepseek-ai/DeepSeek-V3", 1e-6, 0};
  return {"megatron_llama", "nemo_llama_pretrain", m.vocab_size > 100000 ? "meta-llama/Meta-Llama-3-70B" : "meta-llama/Llama-2-7b-hf",
          1e-5, 0};
}

// BERT in the layout of launcher_scripts/conf/training/bert/*.yaml (Megatron BERT, masked-LM pretraining).
std::string bert_nemo_yaml(const TrainingConfig& c) {
  const ModelSpec& m = c.model;
  const std::string results_dir = c.results_dir.empty() ? "results/" + c.run_name : c.results_dir;
  const Rows r = {
      {"run.name", c.run_name}, {"run.results_dir", results_dir}, {"run.time_limit", "\"" + c.time_limit + "\""},
      {"run.dependency", "singleton"}, {"name", "megatron_bert"}, {"restore_from_path", "null"},
      {"trainer.devices", integer(c.gpus_per_node)}, {"trainer.num_nodes", integer(c.num_nodes)},
      {"trainer.accelerator", "gpu"}, {"trainer.precision", c.precision}, {"trainer.logger", "false"},
      {"trainer.enable_checkpointing", "false"}, {"trainer.use_distributed_sampler", "false"},
      {"trainer.max_epochs", "-1"}, {"trainer.max_steps", integer(c.max_steps)},
      {"trainer.max_time", "\"" + c.max_time + "\""}, {"trainer.log_every_n_steps", "10"},
      {"trainer.val_check_interval", integer(std::min<long long>(2000, std::max<long long>(c.max_steps, 1)))},
      {"trainer.limit_val_batches", "50"}, {"trainer.limit_test_batches", "50"},
      {"trainer.accumulate_grad_batches", "1"}, {"trainer.gradient_clip_val", "1.0"},
      {"exp_manager.explicit_log_dir", results_dir + "/results"}, {"exp_manager.exp_dir", "null"},
      {"exp_manager.name", "megatron_bert"}, {"exp_manager.create_wandb_logger", "false"},
      {"exp_manager.wandb_logger_kwargs.project", "nemo_bert"}, {"exp_manager.wandb_logger_kwargs.name", c.run_name},
      {"exp_manager.resume_if_exists", "true"}, {"exp_manager.resume_ignore_no_checkpoint", "true"},
      {"exp_manager.create_checkpoint_callback", "true"},
      {"exp_manager.checkpoint_callback_params.monitor", "val_loss"},
      {"exp_manager.checkpoint_callback_params.save_top_k", "10"},
      {"exp_manager.checkpoint_callback_params.mode", "min"},
      {"exp_manager.checkpoint_callback_params.always_save_nemo", "false"},
      {"exp_manager.checkpoint_callback_params.filename", "'megatron_bert--{val_loss:.2f}-{step}-{consumed_samples}'"},
      {"exp_manager.checkpoint_callback_params.model_parallel_size",
       integer(c.tensor_model_parallel_size * c.pipeline_model_parallel_size)},
      {"exp_manager.log_step_timing", "true"}, {"exp_manager.step_timing_kwargs.sync_cuda", "true"},
      {"exp_manager.step_timing_kwargs.buffer_size", "5"},
      {"model.global_batch_size", integer(c.global_batch_size)}, {"model.micro_batch_size", integer(c.micro_batch_size)},
      {"model.tensor_model_parallel_size", integer(c.tensor_model_parallel_size)},
      {"model.pipeline_model_parallel_size", integer(c.pipeline_model_parallel_size)},
      {"model.virtual_pipeline_model_parallel_size", opt_int(c.virtual_pipeline_model_parallel_size, 2)},
      {"model.encoder_seq_length", integer(m.seq_length)},
      {"model.max_position_embeddings", integer(m.max_position_embeddings)},
      {"model.num_layers", integer(m.num_layers)}, {"model.hidden_size", integer(m.hidden_size)},
      {"model.ffn_hidden_size", integer(m.ffn_hidden_size)}, {"model.num_attention_heads", integer(m.num_attention_heads)},
      {"model.init_method_std", real(c.init_method_std)}, {"model.hidden_dropout", "0.1"},
      {"model.kv_channels", m.kv_channels > 0 ? integer(m.kv_channels) : "null"},
      {"model.apply_query_key_layer_scaling", "true"}, {"model.layernorm_epsilon", "1.0e-05"},
      {"model.make_vocab_size_divisible_by", "128"}, {"model.pre_process", "true"}, {"model.post_process", "true"},
      {"model.bert_binary_head", boolean(m.bert_binary_head)},
      {"model.tokenizer.library", "megatron"}, {"model.tokenizer.type", "BertWordPieceLowerCase"},
      {"model.tokenizer.model", "null"}, {"model.tokenizer.vocab_file", c.data_dir + "/vocab.txt"},
      {"model.tokenizer.merge_file", "null"},
      {"model.native_amp_init_scale", "4294967296"}, {"model.native_amp_growth_interval", "1000"},
      {"model.fp32_residual_connection", "false"}, {"model.fp16_lm_cross_entropy", "false"},
      {"model.megatron_amp_O2", "true"}, {"model.grad_allreduce_chunk_size_mb", "125"},
      {"model.grad_div_ar_fusion", "false"}, {"model.seed", "1234"}, {"model.use_cpu_initialization", "false"},
      {"model.onnx_safe", "false"}, {"model.gradient_as_bucket_view", "true"},
      {"model.activations_checkpoint_granularity",
       c.activations_checkpoint_granularity.empty() ? "null" : c.activations_checkpoint_granularity},
      {"model.activations_checkpoint_method", c.activations_checkpoint_method.empty() ? "null" : c.activations_checkpoint_method},
      {"model.activations_checkpoint_layers_per_pipeline", opt_int(c.activations_checkpoint_layers_per_pipeline, 0)},
      {"model.num_micro_batches_with_partial_activation_checkpoints",
       opt_int(c.num_micro_batches_with_partial_activation_checkpoints, 0)},
      {"model.activations_checkpoint_num_layers", opt_int(c.activations_checkpoint_num_layers, 0)},
      {"model.sequence_parallel", boolean(c.sequence_parallel)},
      {"model.data.data_prefix", "[1.0, " + c.data_dir + "/my-bert_00_text_sentence]"},
      {"model.data.index_mapping_dir", "null"}, {"model.data.data_impl", "mmap"},
      {"model.data.splits_string", "900,50,50"}, {"model.data.seq_length", integer(m.seq_length)},
      {"model.data.skip_warmup", "true"}, {"model.data.num_workers", "2"}, {"model.data.dataloader_type", "single"},
      {"model.data.reset_position_ids", "false"}, {"model.data.reset_attention_mask", "false"},
      {"model.data.eod_mask_loss", "false"}, {"model.data.masked_lm_prob", "0.15"}, {"model.data.short_seq_prob", "0.1"},
      {"model.optim.name", c.optimizer.empty() && c.distributed_optimizer ? "distributed_fused_adam"
                                                                           : nemo_optimizer_name(c)},  // BERT's file
      {"model.optim.lr", real(c.lr)}, {"model.optim.weight_decay", "0.01"}, {"model.optim.overlap_grad_sync", "false"},
      {"model.optim.bucket_cap_mb", "125"}, {"model.optim.betas", "[0.9, 0.98]"},
      {"model.optim.sched.name", "CosineAnnealing"}, {"model.optim.sched.warmup_steps", integer(c.warmup_steps)},
      {"model.optim.sched.constant_steps", integer(c.constant_steps)}, {"model.optim.sched.min_lr", real(c.min_lr)},
  };
  return std::string("# NeMo training config (bert) generated by bignlp-hp ") + version() + "\n" + emit(r);
}

}  // namespace

bool has_family_yaml_layout(const std::string& family) {
  return family == "llama" || family == "mixtral" || family == "qwen2" || family == "baichuan2" ||
         family == "chatglm" || family == "bert" || family == "deepseek";
}

std::string family_nemo_yaml(const TrainingConfig& c) {
  if (c.model.is_bert()) return bert_nemo_yaml(c);
  const ModelSpec& m = c.model;
  const Family f = family_of(m);
  const std::string results_dir = c.results_dir.empty() ? "results/" + c.run_name : c.results_dir;
  const bool vp = c.virtual_pipeline_model_parallel_size > 1;
  Rows r = {
      {"run.name", c.run_name}, {"run.results_dir", results_dir}, {"run.time_limit", "\"" + c.time_limit + "\""},
      {"run.dependency", "singleton"},
      {"trainer.num_nodes", integer(c.num_nodes)}, {"trainer.devices", integer(c.gpus_per_node)},
      {"trainer.accelerator", "gpu"}, {"trainer.precision", c.precision}, {"trainer.logger", "false"},
      {"trainer.enable_checkpointing", "false"}, {"trainer.use_distributed_sampler", "false"},
      {"trainer.max_epochs", "null"}, {"trainer.max_steps", integer(c.max_steps)},
      {"trainer.max_time", "\"" + c.max_time + "\""}, {"trainer.log_every_n_steps", "10"},
      {"trainer.val_check_interval", integer(std::min<long long>(2000, std::max<long long>(c.max_steps, 1)))},
      {"trainer.limit_val_batches", "32"}, {"trainer.limit_test_batches", "50"},
      {"trainer.accumulate_grad_batches", "1"}, {"trainer.gradient_clip_val", "1.0"},
      {"exp_manager.explicit_log_dir", results_dir + "/results"}, {"exp_manager.exp_dir", "null"},
      {"exp_manager.name", f.exp_name}, {"exp_manager.create_wandb_logger", "false"},
      {"exp_manager.wandb_logger_kwargs.project", f.project}, {"exp_manager.wandb_logger_kwargs.name", c.run_name},
      {"exp_manager.resume_if_exists", "false"}, {"exp_manager.resume_ignore_no_checkpoint", "true"},
      {"exp_manager.create_checkpoint_callback", "true"},
      {"exp_manager.checkpoint_callback_params.monitor", "val_loss"},
      {"exp_manager.checkpoint_callback_params.save_top_k", "10"},
      {"exp_manager.checkpoint_callback_params.mode", "min"},
      {"exp_manager.checkpoint_callback_params.always_save_nemo", "false"},
      {"exp_manager.checkpoint_callback_params.save_nemo_on_train_end", "false"},
      {"exp_manager.checkpoint_callback_params.filename", quoted(std::string(f.exp_name) + "--{val_loss:.2f}-{step}-{consumed_samples}")},
      {"exp_manager.checkpoint_callback_params.model_parallel_size",
       integer(c.tensor_model_parallel_size * c.pipeline_model_parallel_size)},
      {"exp_manager.log_step_timing", "true"}, {"exp_manager.step_timing_kwargs.sync_cuda", "true"},
      {"exp_manager.step_timing_kwargs.buffer_size", "5"}, {"exp_manager.seconds_to_sleep", "60"},
      {"model.mcore_gpt", "true"}, {"model.micro_batch_size", integer(c.micro_batch_size)},
      {"model.global_batch_size", integer(c.global_batch_size)}, {"model.rampup_batch_size", "null"},
      {"model.tensor_model_parallel_size", integer(c.tensor_model_parallel_size)},
      {"model.pipeline_model_parallel_size", integer(c.pipeline_model_parallel_size)},
      {"model.virtual_pipeline_model_parallel_size", opt_int(c.virtual_pipeline_model_parallel_size, 2)},
      {"model.context_parallel_size", integer(c.context_parallel_size)},
      {"model.encoder_seq_length", integer(m.seq_length)},
      {"model.max_position_embeddings", integer(m.max_position_embeddings)},
      {"model.num_layers", integer(m.num_layers)}, {"model.hidden_size", integer(m.hidden_size)},
      {"model.ffn_hidden_size", integer(m.ffn_hidden_size)}, {"model.num_attention_heads", integer(m.num_attention_heads)},
      {"model.num_query_groups", integer(m.query_groups())}, {"model.init_method_std", real(c.init_method_std)},
      {"model.use_scaled_init_method", "true"}, {"model.hidden_dropout", "0.0"}, {"model.attention_dropout", "0.0"},
      {"model.ffn_dropout", "0.0"}, {"model.kv_channels", m.kv_channels > 0 ? integer(m.kv_channels) : "null"},
      {"model.apply_query_key_layer_scaling", "true"}, {"model.normalization", m.normalization},
      {"model.layernorm_epsilon", real(f.layernorm_epsilon)}, {"model.do_layer_norm_weight_decay", "false"},
      {"model.make_vocab_size_divisible_by", "128"}, {"model.pre_process", "true"}, {"model.post_process", "true"},
      {"model.persist_layer_norm", "true"}, {"model.bias", boolean(m.add_bias_linear)},
      {"model.activation", m.activation == "swiglu" ? "fast-swiglu" : m.activation}, {"model.headscale", "false"},
      {"model.transformer_block_type", "pre_ln"}, {"model.openai_gelu", "false"},
      {"model.normalize_attention_scores", "true"},
      {"model.position_embedding_type", m.position_embedding == "alibi" ? "ALiBi" : m.position_embedding},
      {"model.rotary_percentage", m.family == "chatglm" ? "0.5" : "1.0"}, {"model.apply_rope_fusion", "true"},
      {"model.attention_type", "multihead"},
      {"model.share_embeddings_and_output_weights", boolean(m.share_embeddings_and_output_weights)},
      // The vocabulary comes from the tokenizer in NeMo; written so the file says it (NeMo's qwen2/chatglm do).
      {"model.override_vocab_size", integer(m.vocab_size)},
  };
  if (f.rotary_base > 0) r.push_back({"model.rotary_base", real(f.rotary_base)});
  if (m.qkv_bias) r.push_back({"model.qkv_bias", "true"});
  if (m.family == "chatglm") r.push_back({"model.rotary_interleaved", "true"});
  if (m.is_moe()) {
    r.insert(r.end(), {{"model.expert_model_parallel_size", integer(c.expert_model_parallel_size)},
                       {"model.num_moe_experts", integer(m.moe_num_experts)},
                       {"model.moe_router_topk", integer(m.moe_topk)},
                       {"model.moe_grouped_gemm", "true"}, {"model.moe_token_dispatcher_type", "alltoall"},
                       {"model.moe_aux_loss_coeff", "0.01"}});
  }
  for (const auto& [key, value] : architecture_keys(m)) r.emplace_back("model." + key, value);
  if (c.num_layers_in_first_pipeline_stage > 0)  // Megatron-Core's uneven pipeline (DeepSeek-V3's recipe)
    r.insert(r.end(), {{"model.num_layers_in_first_pipeline_stage", integer(c.num_layers_in_first_pipeline_stage)},
                       {"model.num_layers_in_last_pipeline_stage", integer(c.num_layers_in_last_pipeline_stage)}});
  const Rows rest = {
      {"model.tokenizer.library", "huggingface"}, {"model.tokenizer.type", f.tokenizer},
      {"model.tokenizer.use_fast", "true"},
      {"model.native_amp_init_scale", "4294967296"}, {"model.native_amp_growth_interval", "1000"},
      {"model.hysteresis", "2"}, {"model.fp32_residual_connection", "false"}, {"model.fp16_lm_cross_entropy", "false"},
      {"model.megatron_amp_O2", "true"}, {"model.grad_allreduce_chunk_size_mb", "125"},
      {"model.grad_div_ar_fusion", "true"}, {"model.gradient_accumulation_fusion", "true"},
      {"model.cross_entropy_loss_fusion", "true"}, {"model.bias_activation_fusion", "true"},
      {"model.bias_dropout_add_fusion", "true"}, {"model.masked_softmax_fusion", "true"}, {"model.seed", "1234"},
      {"model.resume_from_checkpoint", "null"}, {"model.use_cpu_initialization", "false"}, {"model.onnx_safe", "false"},
      {"model.apex_transformer_log_level", "30"}, {"model.gradient_as_bucket_view", "true"},
      {"model.sync_batch_comm", "false"},
      {"model.activations_checkpoint_granularity",
       c.activations_checkpoint_granularity.empty() ? "null" : c.activations_checkpoint_granularity},
      {"model.activations_checkpoint_method", c.activations_checkpoint_method.empty() ? "null" : c.activations_checkpoint_method},
      {"model.activations_checkpoint_num_layers", opt_int(c.activations_checkpoint_num_layers, 0)},
      {"model.num_micro_batches_with_partial_activation_checkpoints",
       opt_int(c.num_micro_batches_with_partial_activation_checkpoints, 0)},
      {"model.activations_checkpoint_layers_per_pipeline", opt_int(c.activations_checkpoint_layers_per_pipeline, 0)},
      {"model.sequence_parallel", boolean(c.sequence_parallel)}, {"model.defer_embedding_wgrad_compute", "false"},
      {"model.wgrad_deferral_limit", "22"}, {"model.deterministic_mode", "false"},
      {"model.transformer_engine", "true"}, {"model.fp8", boolean(c.fp8)}, {"model.fp8_e4m3", boolean(c.fp8_e4m3)},
      {"model.fp8_hybrid", boolean(c.fp8 && !c.fp8_e4m3)}, {"model.fp8_margin", "0"}, {"model.fp8_interval", "1"},
      {"model.fp8_amax_history_len", "1024"}, {"model.fp8_amax_compute_algo", "max"},
      {"model.ub_tp_comm_overlap", "false"}, {"model.use_flash_attention", "true"},
      {"model.overlap_p2p_comm", boolean(vp)}, {"model.batch_p2p_comm", boolean(!vp)}, {"model.gc_interval", "100"},
      {"model.nsys_profile.enabled", "false"}, {"model.nsys_profile.trace", "[nvtx, cuda]"},
      {"model.nsys_profile.start_step", "10"}, {"model.nsys_profile.end_step", "10"},
      {"model.nsys_profile.ranks", "[0]"}, {"model.nsys_profile.gen_shape", "false"},
      {"model.optim.name", nemo_optimizer_name(c)},
      {"model.optim.lr", real(c.lr)}, {"model.optim.weight_decay", "0.1"}, {"model.optim.betas", "[0.9, 0.95]"},
      {"model.optim.bucket_cap_mb", "125"}, {"model.optim.overlap_grad_sync", "true"},
      {"model.optim.overlap_param_sync", "true"}, {"model.optim.contiguous_grad_buffer", "true"},
      {"model.optim.contiguous_param_buffer", "true"}, {"model.optim.sched.name", "CosineAnnealing"},
      {"model.optim.sched.warmup_steps", integer(c.warmup_steps)},
      {"model.optim.sched.constant_steps", integer(c.constant_steps)}, {"model.optim.sched.min_lr", real(c.min_lr)},
      {"model.data.data_impl", "mmap"}, {"model.data.splits_string", "99990,8,2"},
      {"model.data.seq_length", integer(m.seq_length)}, {"model.data.skip_warmup", "true"},
      {"model.data.num_workers", "2"}, {"model.data.dataloader_type", "single"},
      {"model.data.reset_position_ids", "false"}, {"model.data.reset_attention_mask", "false"},
      {"model.data.eod_mask_loss", "false"}, {"model.data.index_mapping_dir", "null"},
      {"model.data.data_prefix", "[1.0, " + c.data_dir + "/my-" + m.family + "_00_text_document]"},
  };
  r.insert(r.end(), rest.begin(), rest.end());
  // The recipe keys of a non-default precision (fp8_recipe, fp4, BF16 first/last layers), next to model.fp8.
  Rows recipe;
  for (const auto& row : precision_rows(c, TrainingConfig{}))
    if (row.first != "model.fp8_e4m3" && row.first != "model.fp8_hybrid") recipe.push_back(row);
  const auto at = std::find_if(r.begin(), r.end(), [](const auto& row) { return row.first == "model.ub_tp_comm_overlap"; });
  r.insert(at, recipe.begin(), recipe.end());
  return std::string("# NeMo training config (") + m.family + ") generated by bignlp-hp " + version() + "\n" + emit(r);
}

}  // namespace hp::detail
