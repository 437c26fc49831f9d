// hp-cli recommend: model size from GPUs x TFLOP/s x days / tokens (seed capability 1.1).
#include <fmt/core.h>

#include <memory>

#include "command.hpp"
#include "hp/perf.hpp"
#include "hp/search_config.hpp"
#include "hp/sizing.hpp"
#include "json.hpp"

namespace {

struct Opts {
  hp::SizingInput in;
  int nodes = 0;
  int gpus_per_node = 8;
  std::string search_config;
  bool json = false;
};

std::function<int()> setup(CLI::App& app) {
  auto o = std::make_shared<Opts>();
  app.description("Recommend a model size for a GPU budget (NeMo's 8 FLOPs/parameter/token rule)");
  app.add_option("--model", o->in.family, "Model family: gpt3, t5, mt5")->capture_default_str();
  app.add_option("--gpus", o->in.num_gpus, "Total GPUs (or use --nodes x --gpus-per-node)")->capture_default_str();
  auto* nodes = app.add_option("--nodes", o->nodes, "Nodes (with --gpus-per-node; overrides --gpus)");
  app.add_option("--gpus-per-node", o->gpus_per_node, "GPUs per node")->capture_default_str();
  app.add_option("--days", o->in.max_training_days, "Maximum training days")->capture_default_str();
  app.add_option("--tflops-per-gpu", o->in.tflops_per_gpu, "Achieved TFLOP/s per GPU")->capture_default_str();
  app.add_option("--tokens-b", o->in.num_tokens_in_b, "Tokens to train, in billions")->capture_default_str();
  app.add_option("--search-config", o->search_config, "Read the inputs from a NeMo search config (train_settings)");
  app.add_flag("--json", o->json, "Print one JSON object");
  return [o, nodes] {
    if (!o->search_config.empty()) {
      const auto c = hp::load_search_config(o->search_config);
      o->in.family = c.train.model;
      o->in.num_gpus = c.train.num_nodes * c.train.gpus_per_node;
      o->in.max_training_days = c.train.max_training_days;
      o->in.tflops_per_gpu = c.train.tflops_per_gpu;
      o->in.num_tokens_in_b = c.train.num_tokens_in_b;
    }
    if (nodes->count() > 0) {
      // Checked before the product: --nodes 0 must not fall back to --gpus, and nodes x GPUs must not overflow.
      const std::string accepted = "expected an integer in 1.." + std::to_string(hp::kMaxLayoutSize);
      if (o->nodes < 1 || o->nodes > hp::kMaxLayoutSize) throw hp::ConfigError("--nodes", std::to_string(o->nodes), accepted);
      if (o->gpus_per_node < 1 || o->gpus_per_node > hp::kMaxLayoutSize)
        throw hp::ConfigError("--gpus-per-node", std::to_string(o->gpus_per_node), accepted);
      const long long gpus = static_cast<long long>(o->nodes) * o->gpus_per_node;
      if (gpus > hp::kMaxLayoutSize) throw hp::ConfigError("--nodes x --gpus-per-node", std::to_string(gpus), accepted);
      o->in.num_gpus = static_cast<int>(gpus);
    }
    const auto r = hp::recommend_model_size(o->in);
    if (o->json) {
      hpcli::JsonObject j;
      j.str("model", o->in.family)
          .integer("num_gpus", o->in.num_gpus)
          .num("tflops_per_gpu", o->in.tflops_per_gpu)
          .num("max_training_days", o->in.max_training_days)
          .num("num_tokens_in_b", o->in.num_tokens_in_b)
          .num("estimated_size_b", r.estimated_size_b)
          .str("recommended_config", r.recommended_config)
          .num("recommended_size_b", r.recommended_size_b)
          .num("training_days", r.training_days)
          .str("message", r.message);
      fmt::print("{}\n", j.dump());
    } else {
      fmt::print("{}\n", r.message);
      fmt::print("Recommended pre-defined config: {} ({}B), {} days to train {}B tokens on {} GPUs.\n",
                 r.recommended_config, r.recommended_size_b, r.training_days, o->in.num_tokens_in_b, o->in.num_gpus);
    }
    return hpcli::kOk;
  };
}

}  // namespace

HP_CLI_COMMAND("recommend", 10, setup);
