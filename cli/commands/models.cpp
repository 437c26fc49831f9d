// hp-cli models: the pre-defined configs with their exact parameter counts.
#include <fmt/core.h>

#include <memory>

#include "command.hpp"
#include "hp/catalog.hpp"
#include "hp/model.hpp"
#include "json.hpp"

namespace {

std::function<int()> setup(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  app.description("List the pre-defined configs (NeMo-Megatron's shipped architectures) and their parameter counts");
  app.add_flag("--json", *json, "Print a JSON array");
  return [json] {
    std::vector<std::string> rows;
    if (!*json) fmt::print("{:<25} {:>7} {:>7} {:>7} {:>6} {:>7} {:>16} {:>10}\n", "config", "layers", "hidden", "ffn",
                           "heads", "vocab", "parameters", "published");
    for (const auto& e : hp::model_catalog()) {
      const auto& m = e.model;
      const auto n = hp::count_parameters(m);
      if (*json) {
        hpcli::JsonObject j;
        j.str("config", e.key).integer("num_layers", m.num_layers).integer("num_decoder_layers", m.num_decoder_layers)
            .integer("hidden_size", m.hidden_size).integer("ffn_hidden_size", m.ffn_hidden_size)
            .integer("num_attention_heads", m.num_attention_heads).integer("vocab_size", m.vocab_size)
            .integer("num_parameters", n.total).num("published_size_b", e.published_size_b);
        rows.push_back(j.dump());
      } else {
        fmt::print("{:<25} {:>7} {:>7} {:>7} {:>6} {:>7} {:>16} {:>10}\n", e.key,
                   m.is_encoder_decoder() ? fmt::format("{}+{}", m.num_layers, m.num_decoder_layers) : std::to_string(m.num_layers),
                   m.hidden_size, m.ffn_hidden_size, m.num_attention_heads, m.vocab_size, n.total,
                   e.published_size_b > 0 ? fmt::format("{}B", e.published_size_b) : std::string("-"));
      }
    }
    if (*json) fmt::print("{}\n", hpcli::json_array(rows));
    return hpcli::kOk;
  };
}

}  // namespace

HP_CLI_COMMAND("models", 5, setup);
