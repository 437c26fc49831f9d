// hp-cli recommend: model size from GPUs x TFLOP/s x days / tokens (seed capability 1.1), or with --gpu from the
// performance model's best layout of each pre-defined size on that cluster.
#include <fmt/core.h>

#include <memory>

#include "command.hpp"
#include "hp/perf.hpp"
#include "hp/run/json.hpp"
#include "hp/search.hpp"
#include "hp/search_config.hpp"
#include "hp/sizing.hpp"

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
  app.description("Recommend a model size for a GPU budget (NeMo's 8 FLOPs/parameter/token rule, or with --gpu the "
                  "performance model's throughput)");
  app.add_option("--model", o->in.family, "Model family: gpt3, t5, mt5")->capture_default_str();
  app.add_option("--gpus", o->in.num_gpus, "Total GPUs (or use --nodes x --gpus-per-node)")->capture_default_str();
  auto* nodes = app.add_option("--nodes", o->nodes, "Nodes (with --gpus-per-node; overrides --gpus)");
  app.add_option("--gpus-per-node", o->gpus_per_node, "GPUs per node")->capture_default_str();
  app.add_option("--days", o->in.max_training_days, "Maximum training days")->capture_default_str();
  app.add_option("--tflops-per-gpu", o->in.tflops_per_gpu, "Achieved TFLOP/s per GPU (NeMo's rule, without --gpu)")
      ->capture_default_str();
  app.add_option("--tokens-b", o->in.num_tokens_in_b, "Tokens to train, in billions")->capture_default_str();
  auto* tpp = app.add_option("--tokens-per-parameter", o->in.tokens_per_parameter,
                             "Train each size to this many tokens per parameter (20 = compute-optimal) instead of "
                             "--tokens-b");
  app.add_option("--gpu", o->in.gpu, "GPU (hp-cli gpus): take the throughput from the performance model's best "
                                     "layout of each size on the cluster");
  app.add_option("--search-config", o->search_config, "Read the inputs from a NeMo search config (train_settings)");
  app.add_flag("--json", o->json, "Print one JSON object");
  return [o, tpp, nodes] {
    if (!o->search_config.empty()) {
      const auto c = hp::load_search_config(o->search_config);
      o->in.family = c.train.model;
      o->in.num_gpus = c.train.num_nodes * c.train.gpus_per_node;
      o->in.max_training_days = c.train.max_training_days;
      o->in.tflops_per_gpu = c.train.tflops_per_gpu;
      o->in.num_tokens_in_b = c.train.num_tokens_in_b;
      if (o->in.gpu.empty()) o->in.gpu = c.train.gpu;
    }
    // Given, it must be positive (0 is the library's "not set").
    if (tpp->count() > 0 && !(o->in.tokens_per_parameter > 0))
      throw hp::ConfigError("--tokens-per-parameter", fmt::format("{}", o->in.tokens_per_parameter),
                            "must be a positive number (20 = compute-optimal)");
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
      // The flat record, with the layout and the sizes tried nested (model-based rule only).
      std::string out = hp::run::json_record(hp::size_recommendation_record(o->in, r));
      out.pop_back();
      if (r.from_model) {
        out += ", \"layout\": " + hp::run::json_record(hp::layout_record(r.layout));
        out += ", \"tried\": " + hp::run::json_array(r.tried, [](const hp::SizeCandidate& c) {
          return hp::run::json_record(hp::size_candidate_record(c));
        });
      }
      fmt::print("{}}}\n", out);
    } else {
      fmt::print("{}", hpcli::wrap(r.message));  // NeMo's sentence, wrapped to 120 columns
      fmt::print("Recommended pre-defined config: {} ({}B), {} days to train {}B tokens on {} GPUs.\n",
                 r.recommended_config, r.recommended_size_b, r.training_days, r.num_tokens_in_b, o->in.num_gpus);
      for (const auto& c : r.tried)
        fmt::print("  {:<10} {}\n", c.config,
                   c.fits ? fmt::format("{:7.1f} days, {:5.0f} TFLOP/s/GPU, {:4.1f}% MFU, {}", c.training_days,
                                        c.tflops_per_gpu, 100 * c.mfu, hp::describe_layout(c.layout))
                          : std::string("fits no layout"));
    }
    return hpcli::kOk;
  };
}

}  // namespace

HP_CLI_COMMAND("recommend", 10, setup);
