// hp-cli base-config: a complete NeMo-Megatron training YAML for a size (seed capability 1.2).
#include <fmt/core.h>

#include <algorithm>
#include <memory>

#include "command.hpp"
#include "hp/catalog.hpp"
#include "hp/core.hpp"
#include "hp/families.hpp"
#include "hp/model.hpp"
#include "hp/nemo_config.hpp"
#include "hp/search_config.hpp"
#include "hp/sizing.hpp"
#include "json.hpp"

namespace {

struct Opts {
  hp::BaseConfigRequest req;
  double tflops_per_gpu = 140;
  std::string output;
  std::string search_config;
  bool json = false;
  bool print = false;
};

std::function<int()> setup(CLI::App& app) {
  auto o = std::make_shared<Opts>();
  o->req.size_b = 0;
  o->req.num_nodes = 1;
  app.description("Generate a NeMo-Megatron training config for a model size");
  app.add_option("--model", o->req.family, "Model family (gpt3, t5, mt5, bert, llama, mixtral, qwen2, baichuan2, chatglm) or a NeMo base-config name (llama3_70b)")->capture_default_str();
  app.add_option("--size-b", o->req.size_b, "Model size in billions (0 = recommend from GPUs and days)");
  app.add_option("--nodes", o->req.num_nodes, "Nodes")->capture_default_str();
  app.add_option("--gpus-per-node", o->req.gpus_per_node, "GPUs per node")->capture_default_str();
  app.add_option("--gpu-memory-gb", o->req.gpu_memory_gb, "GPU memory (40 or 80)")->capture_default_str();
  app.add_option("--seq-length", o->req.seq_length, "Sequence length (0 = family default: GPT 2048, T5 512)");
  app.add_option("--vocab-size", o->req.vocab_size, "Vocabulary size (0 = family default)");
  app.add_option("--days", o->req.max_training_days, "Maximum training days")->capture_default_str();
  app.add_option("--tokens-b", o->req.num_tokens_in_b, "Tokens to train, in billions")->capture_default_str();
  app.add_option("--tflops-per-gpu", o->tflops_per_gpu, "Achieved TFLOP/s per GPU (for --size-b 0)")->capture_default_str();
  app.add_option("--search-config", o->search_config, "Read the inputs from a NeMo search config (train_settings)");
  app.add_option("-o,--output", o->output, "Where to write the YAML (default base_cfg_<size>.yaml)");
  app.add_flag("--print", o->print, "Also print the YAML to stdout");
  app.add_flag("--json", o->json, "Print one JSON object");
  return [o] {
    auto& r = o->req;
    if (!o->search_config.empty()) {
      const auto c = hp::load_search_config(o->search_config);
      r.family = c.train.model;
      r.size_b = c.train.model_size_in_b;
      r.num_nodes = c.train.num_nodes;
      r.gpus_per_node = c.train.gpus_per_node;
      r.gpu_memory_gb = c.train.gpu_memory_gb;
      r.seq_length = c.train.seq_length;
      r.vocab_size = c.train.vocab_size;
      r.max_training_days = c.train.max_training_days;
      r.num_tokens_in_b = c.train.num_tokens_in_b;
      o->tflops_per_gpu = c.train.tflops_per_gpu;
    }
    if (r.size_b < 0) throw hp::ConfigError("--size-b", fmt::format("{}", r.size_b), "must be a positive number");
    const auto names = hp::builtin_base_config_names();
    const bool named = std::find(names.begin(), names.end(), r.family) != names.end();  // --model llama3_70b
    if (r.size_b == 0 && !named) {
      if (!hp::family_has_size_rule(r.family)) {
        hp::check_family(r.family);
        throw hp::ConfigError("--size-b", "0", "NeMo estimates a size only for gpt3, t5, mt5 and bert; give --size-b "
                                               "or a base-config name (hp-cli models)");
      }
      // NeMo: a null model_size_in_b is estimated from the hardware and the days.
      hp::SizingInput in{r.family, r.num_nodes * r.gpus_per_node, o->tflops_per_gpu, r.max_training_days, r.num_tokens_in_b};
      r.size_b = hp::estimate_model_size_b(in);
    }
    const hp::TrainingConfig c = hp::base_config(r);
    const std::string path = o->output.empty() ? "base_cfg_" + hp::nemo_size_label(c.size_b) + ".yaml" : o->output;
    const std::string yaml = hp::to_nemo_yaml(c);
    hp::write_file_atomic(path, yaml);
    const auto n = hp::count_parameters(c.model);
    if (o->json) {
      hpcli::JsonObject j;
      j.str("model", c.model.family)
          .num("size_b", c.size_b)
          .str("run_name", c.run_name)
          .integer("num_layers", c.model.num_layers)
          .integer("num_decoder_layers", c.model.num_decoder_layers)
          .integer("hidden_size", c.model.hidden_size)
          .integer("ffn_hidden_size", c.model.ffn_hidden_size)
          .integer("num_attention_heads", c.model.num_attention_heads)
          .integer("kv_channels", c.model.head_dim())
          .integer("seq_length", c.model.seq_length)
          .integer("vocab_size", c.model.vocab_size)
          .integer("num_parameters", n.total)
          .num("nemo_approx_parameters", hp::nemo_approx_parameters(c.model))
          .integer("global_batch_size", c.global_batch_size)
          .integer("tensor_model_parallel_size", c.tensor_model_parallel_size)
          .integer("pipeline_model_parallel_size", c.pipeline_model_parallel_size)
          .integer("num_nodes", c.num_nodes)
          .integer("max_steps", c.max_steps)
          .num("lr", c.lr)
          .str("time_limit", c.time_limit)
          .str("config_path", path);
      fmt::print("{}\n", j.dump());
    } else {
      if (o->print) fmt::print("{}", yaml);
      fmt::print("{} ({} parameters): {} layers, hidden {}, FFN {}, {} heads, GBS {}, TP {}, PP {}, {} steps\n",
                 c.run_name, n.total, c.model.num_layers, c.model.hidden_size, c.model.ffn_hidden_size,
                 c.model.num_attention_heads, c.global_batch_size, c.tensor_model_parallel_size,
                 c.pipeline_model_parallel_size, c.max_steps);
      fmt::print("Wrote {}\n", path);
    }
    return hpcli::kOk;
  };
}

}  // namespace

HP_CLI_COMMAND("base-config", 20, setup);
