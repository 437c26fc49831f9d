// Binding: model catalogue, parameter counts, size recommendation, base config generation.
#include <pybind11/stl.h>

#include <optional>

#include "binding.hpp"
#include "hp/catalog.hpp"
#include "hp/core.hpp"
#include "hp/model.hpp"
#include "hp/nemo_config.hpp"
#include "hp/perf.hpp"
#include "hp/sizing.hpp"
#include "record.hpp"

namespace {

namespace py = pybind11;

py::dict model_dict(const hp::ModelSpec& m) {
  py::dict d;
  d["family"] = m.family;
  d["name"] = m.name;
  d["num_layers"] = m.num_layers;
  d["num_decoder_layers"] = m.num_decoder_layers;
  d["hidden_size"] = m.hidden_size;
  d["ffn_hidden_size"] = m.ffn_hidden_size;
  d["num_attention_heads"] = m.num_attention_heads;
  d["num_query_groups"] = m.query_groups();
  d["kv_channels"] = m.head_dim();
  d["vocab_size"] = m.vocab_size;
  d["seq_length"] = m.seq_length;
  d["position_embedding"] = m.position_embedding;
  d["activation"] = m.activation;
  d["normalization"] = m.normalization;
  d["add_bias_linear"] = m.add_bias_linear;
  d["share_embeddings_and_output_weights"] = m.share_embeddings_and_output_weights;
  d["moe_num_experts"] = m.moe_num_experts;
  d["moe_topk"] = m.moe_topk;
  d["qkv_bias"] = m.qkv_bias;
  d["bert_binary_head"] = m.bert_binary_head;
  d["moe_ffn_hidden_size"] = m.moe_ffn_hidden_size;
  d["moe_shared_expert_ffn_size"] = m.moe_shared_expert_ffn_size;
  d["moe_layer_freq"] = m.moe_layer_freq;
  d["first_k_dense_replace"] = m.first_k_dense_replace;
  d["moe_router_enable_expert_bias"] = m.moe_router_enable_expert_bias;
  d["mtp_num_layers"] = m.mtp_num_layers;
  d["multi_latent_attention"] = m.multi_latent_attention;
  d["q_lora_rank"] = m.q_lora_rank;
  d["kv_lora_rank"] = m.kv_lora_rank;
  d["qk_head_dim"] = m.qk_head_dim;
  d["qk_pos_emb_head_dim"] = m.qk_pos_emb_head_dim;
  d["v_head_dim"] = m.v_head_dim;
  d["sliding_window"] = m.sliding_window;
  d["sliding_window_pattern"] = m.sliding_window_pattern;
  return d;
}

// A model given as "gpt3/5b", or a dict of ModelSpec fields on top of the GPT-3 defaults.
hp::ModelSpec model_from(const py::object& model) {
  if (py::isinstance<py::str>(model)) return hp::find_model(model.cast<std::string>());
  if (!py::isinstance<py::dict>(model)) {
    try {
      return model.cast<hp::ModelSpec>();  // a ModelSpec object bound elsewhere
    } catch (const py::cast_error&) {
      throw hppy::wrong_type("model", py::str(model).cast<std::string>(), "expected a 'family/size' string, a dict or a ModelSpec");
    }
  }
  hp::ModelSpec m;
  for (auto item : model.cast<py::dict>()) {
    const auto k = item.first.cast<std::string>();
    auto v = py::reinterpret_borrow<py::object>(item.second);
    auto as_int = [&](int& f) {
      try {
        f = v.cast<int>();
      } catch (const py::cast_error&) {
        throw hppy::wrong_type(k, py::str(v).cast<std::string>(), "expected an integer");
      }
    };
    auto as_str = [&](std::string& f) { f = py::str(v).cast<std::string>(); };
    auto as_bool = [&](bool& f) { f = v.cast<bool>(); };
    if (k == "family") as_str(m.family);
    else if (k == "num_layers") as_int(m.num_layers);
    else if (k == "num_decoder_layers") as_int(m.num_decoder_layers);
    else if (k == "hidden_size") as_int(m.hidden_size);
    else if (k == "ffn_hidden_size") as_int(m.ffn_hidden_size);
    else if (k == "num_attention_heads") as_int(m.num_attention_heads);
    else if (k == "num_query_groups") as_int(m.num_query_groups);
    else if (k == "kv_channels") as_int(m.kv_channels);
    else if (k == "vocab_size") as_int(m.vocab_size);
    else if (k == "seq_length") as_int(m.seq_length);
    else if (k == "decoder_seq_length") as_int(m.decoder_seq_length);
    else if (k == "max_position_embeddings") as_int(m.max_position_embeddings);
    else if (k == "position_embedding") as_str(m.position_embedding);
    else if (k == "activation") as_str(m.activation);
    else if (k == "normalization") as_str(m.normalization);
    else if (k == "add_bias_linear") as_bool(m.add_bias_linear);
    else if (k == "share_embeddings_and_output_weights") as_bool(m.share_embeddings_and_output_weights);
    else if (k == "moe_num_experts") as_int(m.moe_num_experts);
    else if (k == "moe_topk") as_int(m.moe_topk);
    else if (k == "qkv_bias") as_bool(m.qkv_bias);
    else if (k == "bert_binary_head") as_bool(m.bert_binary_head);
    else if (k == "moe_ffn_hidden_size") as_int(m.moe_ffn_hidden_size);
    else if (k == "moe_shared_expert_ffn_size") as_int(m.moe_shared_expert_ffn_size);
    else if (k == "moe_layer_freq") as_int(m.moe_layer_freq);
    else if (k == "first_k_dense_replace") as_int(m.first_k_dense_replace);
    else if (k == "moe_router_enable_expert_bias") as_bool(m.moe_router_enable_expert_bias);
    else if (k == "mtp_num_layers") as_int(m.mtp_num_layers);
    else if (k == "multi_latent_attention") as_bool(m.multi_latent_attention);
    else if (k == "q_lora_rank") as_int(m.q_lora_rank);
    else if (k == "kv_lora_rank") as_int(m.kv_lora_rank);
    else if (k == "qk_head_dim") as_int(m.qk_head_dim);
    else if (k == "qk_pos_emb_head_dim") as_int(m.qk_pos_emb_head_dim);
    else if (k == "v_head_dim") as_int(m.v_head_dim);
    else if (k == "sliding_window") as_int(m.sliding_window);
    else if (k == "sliding_window_pattern") as_int(m.sliding_window_pattern);
    else
      throw hppy::wrong_type(k, py::str(v).cast<std::string>(),
                             "unknown model field; accepted: activation, add_bias_linear, bert_binary_head, "
                             "decoder_seq_length, family, ffn_hidden_size, first_k_dense_replace, hidden_size, "
                             "kv_channels, kv_lora_rank, max_position_embeddings, moe_ffn_hidden_size, "
                             "moe_layer_freq, moe_num_experts, moe_router_enable_expert_bias, "
                             "moe_shared_expert_ffn_size, moe_topk, mtp_num_layers, multi_latent_attention, "
                             "normalization, num_attention_heads, num_decoder_layers, num_layers, "
                             "num_query_groups, position_embedding, q_lora_rank, qk_head_dim, qk_pos_emb_head_dim, "
                             "qkv_bias, seq_length, share_embeddings_and_output_weights, sliding_window, "
                             "sliding_window_pattern, v_head_dim, vocab_size");
  }
  if (m.max_position_embeddings < m.seq_length) m.max_position_embeddings = m.seq_length;
  return m;
}

void bind(py::module_& m) {
  m.def("list_models", [] {
    py::list out;
    for (const auto& e : hp::model_catalog()) {
      py::dict d = model_dict(e.model);
      d["config"] = e.key;
      d["published_size_b"] = e.published_size_b;  // 0 = none published (NeMo's own mixtral 8x3B)
      d["nemo_base_config"] = e.nemo_base_config;   // auto_configurator/base_configs/<name>.yaml, "" = size rule
      d["num_parameters"] = hp::count_parameters(e.model).total;
      out.append(d);
    }
    return out;
  }, "The pre-defined configs (NeMo-Megatron's shipped architectures) as a list of dicts.");

  m.def("count_parameters", [](const py::object& model) {
    const hp::ModelSpec spec = model_from(model);
    const auto c = hp::count_parameters(spec);
    py::dict d;
    d["embedding"] = c.embedding;
    d["position_embedding"] = c.position_embedding;
    d["attention"] = c.attention;
    d["cross_attention"] = c.cross_attention;
    d["mlp"] = c.mlp;
    d["norms"] = c.norms;
    d["output_layer"] = c.output_layer;
    d["total"] = c.total;
    d["active"] = c.active;
    d["moe_experts"] = c.moe_experts;
    d["mtp"] = c.mtp;  // multi-token prediction blocks (in total)
    d["nemo_approx"] = hp::nemo_approx_parameters(spec);
    return d;
  }, py::arg("model"),
  R"(Exact parameter count by module.

model: "gpt3/175b" (a pre-defined config), or a dict of architecture fields
(num_layers, hidden_size, ffn_hidden_size, num_attention_heads, num_query_groups, vocab_size, seq_length,
activation, normalization, position_embedding, moe_num_experts, ...).
Returns a dict with embedding, attention, mlp, norms, output_layer, total, active and nemo_approx.)");

  m.def("recommend_model_size",
        [](const std::string& model, int gpus, const std::optional<int>& nodes, int gpus_per_node, double days,
           double tflops_per_gpu, double tokens_b, const std::string& gpu, const py::object& tokens_per_parameter) {
          hp::SizingInput in{model, gpus, tflops_per_gpu, days, tokens_b};
          in.gpu = gpu;
          if (!tokens_per_parameter.is_none()) {
            in.tokens_per_parameter = tokens_per_parameter.cast<double>();
            if (!(in.tokens_per_parameter > 0))
              throw hp::ConfigError("tokens_per_parameter", py::str(tokens_per_parameter).cast<std::string>(),
                                    "must be a positive number (20 = compute-optimal)");
          }
          if (nodes) {  // nodes=0 is an error, not "not given"
            const std::string accepted = "expected an integer in 1.." + std::to_string(hp::kMaxLayoutSize);
            if (*nodes < 1 || *nodes > hp::kMaxLayoutSize) throw hp::ConfigError("nodes", std::to_string(*nodes), accepted);
            if (gpus_per_node < 1 || gpus_per_node > hp::kMaxLayoutSize)
              throw hp::ConfigError("gpus_per_node", std::to_string(gpus_per_node), accepted);
            const long long n = static_cast<long long>(*nodes) * gpus_per_node;
            if (n > hp::kMaxLayoutSize) throw hp::ConfigError("nodes x gpus_per_node", std::to_string(n), accepted);
            in.num_gpus = static_cast<int>(n);
          }
          const auto r = hp::recommend_model_size(in);
          py::dict d = hppy::record_dict(hp::size_recommendation_record(in, r));
          if (r.from_model) {
            d["layout"] = hppy::record_dict(hp::layout_record(r.layout));
            py::list tried;
            for (const auto& c : r.tried) tried.append(hppy::record_dict(hp::size_candidate_record(c)));
            d["tried"] = tried;
          }
          return d;
        },
        py::kw_only(), py::arg("model") = "gpt3", py::arg("gpus") = 8, py::arg("nodes") = py::none(), py::arg("gpus_per_node") = 8,
        py::arg("days") = hp::SizingInput{}.max_training_days, py::arg("tflops_per_gpu") = hp::SizingInput{}.tflops_per_gpu,
        py::arg("tokens_b") = hp::SizingInput{}.num_tokens_in_b, py::arg("gpu") = "",
        py::arg("tokens_per_parameter") = py::none(),
        R"(Model size for a GPU budget.

Without gpu: NeMo's rule (tflops_per_gpu achieved, 8 FLOPs per parameter per token; mT5 x0.87).
With gpu ("h100-sxm", see gpus()): the throughput of the performance model's best layout of each pre-defined
size on the cluster; the largest size that trains within `days` is recommended.
tokens_per_parameter (e.g. 20, compute-optimal) trains each size to that many tokens instead of tokens_b.

Returns a dict: estimated_size_b, recommended_config (e.g. "gpt3/5b"), recommended_size_b, training_days,
tflops_per_gpu (the throughput used), mfu_pct, num_tokens_in_b, message; with gpu also layout (tp, pp, vp, cp,
ep, dp, mbs, gbs, recompute, ...) and tried (every size: fits, tflops_per_gpu, training_days).
Raises NoFeasibleLayoutError when no size trains within the budget (the message lists what was tried).
Example: recommend_model_size(model="gpt3", nodes=20, days=5) -> 4.03B raw, "gpt3/5b".)");

  m.def("training_days",
        [](const std::string& model, double size_b, int gpus, double tflops_per_gpu, double tokens_b) {
          return hp::training_days(hp::SizingInput{model, gpus, tflops_per_gpu, 1.0, tokens_b}, size_b);
        },
        py::kw_only(), py::arg("model") = "gpt3", py::arg("size_b"), py::arg("gpus"),
        py::arg("tflops_per_gpu") = hp::SizingInput{}.tflops_per_gpu, py::arg("tokens_b") = hp::SizingInput{}.num_tokens_in_b,
        "Days to train a model of size_b billion parameters (NeMo's formula; mT5 x1.15).");

  m.def("base_config",
        [](const std::string& model, double size_b, int nodes, int gpus_per_node, int gpu_memory_gb, int seq_length,
           int vocab_size, double days, double tokens_b, const py::object& output) {
          hp::BaseConfigRequest r{model, size_b, nodes, gpus_per_node, gpu_memory_gb, seq_length, vocab_size, days, tokens_b};
          const auto c = hp::base_config(r);
          const std::string yaml = hp::to_nemo_yaml(c);
          py::dict d;
          if (!output.is_none()) {
            const std::string path = py::str(output).cast<std::string>();
            hp::write_file_atomic(path, yaml);
            d["config_path"] = path;
          } else {
            d["config_path"] = py::none();
          }
          d["model"] = model;
          d["size_b"] = c.size_b;
          d["run_name"] = c.run_name;
          d["num_layers"] = c.model.num_layers;
          d["num_decoder_layers"] = c.model.num_decoder_layers;
          d["hidden_size"] = c.model.hidden_size;
          d["ffn_hidden_size"] = c.model.ffn_hidden_size;
          d["num_attention_heads"] = c.model.num_attention_heads;
          d["kv_channels"] = c.model.head_dim();
          d["num_parameters"] = hp::count_parameters(c.model).total;
          d["global_batch_size"] = c.global_batch_size;
          d["tensor_model_parallel_size"] = c.tensor_model_parallel_size;
          d["pipeline_model_parallel_size"] = c.pipeline_model_parallel_size;
          d["max_steps"] = c.max_steps;
          d["lr"] = c.lr;
          d["time_limit"] = c.time_limit;
          d["yaml"] = yaml;
          return d;
        },
        py::kw_only(), py::arg("model") = "gpt3", py::arg("size_b") = 0.0, py::arg("nodes") = 1, py::arg("gpus_per_node") = 8,
        py::arg("gpu_memory_gb") = 80, py::arg("seq_length") = 0, py::arg("vocab_size") = 0,
        py::arg("days") = hp::BaseConfigRequest{}.max_training_days, py::arg("tokens_b") = hp::BaseConfigRequest{}.num_tokens_in_b,
        py::arg("output") = py::none(),
        R"(A complete NeMo-Megatron training config for a size, as NeMo's launcher would generate it.

A pre-defined size (gpt3 5, t5 0.22, ...) keeps its shipped architecture; any other size gets NeMo's
architecture tables and layer search (gpt3, t5, mt5, bert). llama, mixtral, qwen2, baichuan2 and chatglm have only
NeMo's shipped base configs: model="llama", size_b=70 or model="llama3_70b" (size_b optional); other sizes are a
ValueError saying NeMo has no rule. Returns a dict with the architecture, num_parameters, global_batch_size,
tensor/pipeline_model_parallel_size, max_steps, lr, the YAML text ("yaml") and config_path when output is given.)");

  m.def("load_training_config", [](const std::string& path) {
    const auto c = hp::load_nemo_yaml(path);
    py::dict d = model_dict(c.model);
    d["size_b"] = c.size_b;
    d["global_batch_size"] = c.global_batch_size;
    d["micro_batch_size"] = c.micro_batch_size;
    d["tensor_model_parallel_size"] = c.tensor_model_parallel_size;
    d["pipeline_model_parallel_size"] = c.pipeline_model_parallel_size;
    d["num_nodes"] = c.num_nodes;
    d["max_steps"] = c.max_steps;
    d["optimizer"] = c.optimizer;
    d["distributed_optimizer"] = c.distributed_optimizer;
    d["optimizer_state_bytes"] = c.optimizer_state_bytes;
    return d;
  }, py::arg("path"), "Read a NeMo-Megatron training YAML back (architecture, batch and layout keys) as a dict.");

  m.def("nemo_optimizers", [] {
    py::list out;
    for (const auto& o : hp::nemo_optimizers()) {
      py::dict d;
      d["name"] = o.name;
      d["distributed"] = o.distributed;
      d["state_bytes"] = o.state_bytes;
      d["what"] = o.what;
      out.append(d);
    }
    return out;
  }, "Every model.optim.name NeMo accepts: distributed (shards the optimizer state over data parallelism) and "
     "state_bytes (fp32 master + optimizer state per parameter).");
}

}  // namespace

HP_PY_BINDING(10, bind);
