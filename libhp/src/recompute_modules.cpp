// The names of Megatron-Core's selectively recomputed modules (hp/perf.hpp recompute_module): the words of
// TransformerConfig.recompute_modules (megatron/core/transformer/transformer_config.py, "choices: core_attn,
// moe_act, layernorm, mla_up_proj, mlp, moe, shared_experts"), their bits, and the '+'-joined form the CSV
// column, the CLI flag and the trial records use.
#include <cctype>
#include <string>
#include <vector>

#include "hp/core.hpp"
#include "hp/perf.hpp"

namespace hp {

const std::vector<RecomputeModuleName>& recompute_module_names() {
  namespace rm = recompute_module;
  static const std::vector<RecomputeModuleName> names = {
      {"core_attn", rm::core_attn}, {"layernorm", rm::layernorm}, {"mla_up_proj", rm::mla_up_proj},
      {"mlp", rm::mlp},             {"moe_act", rm::moe_act},     {"moe", rm::moe},
      {"shared_experts", rm::shared_experts},
  };
  return names;
}

std::string recompute_modules_to_string(std::uint32_t modules) {
  std::string out;
  for (const RecomputeModuleName& n : recompute_module_names()) {
    if ((modules & n.bit) == 0) continue;
    if (!out.empty()) out += '+';
    out += n.name;
  }
  return out;
}

namespace {

std::string accepted_words() {
  std::string out = "unknown recompute module (accepted: ";
  bool first = true;
  for (const RecomputeModuleName& n : recompute_module_names()) {
    out += first ? "" : ", ";
    out += n.name;
    first = false;
  }
  return out + "; joined by '+', ',' or spaces)";
}

// Separators between words: '+' (the CSV form), ',' and spaces (a YAML / Python list written out), '/' (NeMo's
// recommended_model_configs CSVs); brackets and quotes of a list are dropped.
bool separator(char c) { return c == '+' || c == ',' || c == '/' || std::isspace(static_cast<unsigned char>(c)); }
bool ignored(char c) { return c == '[' || c == ']' || c == '"' || c == '\''; }

}  // namespace

std::uint32_t parse_recompute_modules(const std::string& key, const std::string& value) {
  std::uint32_t bits = 0;
  std::string word;
  auto take = [&] {
    if (word.empty()) return;
    std::uint32_t bit = 0;
    for (const RecomputeModuleName& n : recompute_module_names())
      if (word == n.name) bit = n.bit;
    if (bit == 0) throw ConfigError(key, value, accepted_words());
    bits |= bit;
    word.clear();
  };
  for (char c : value) {
    if (ignored(c)) continue;
    if (separator(c)) {
      take();
      continue;
    }
    word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  take();
  return bits;
}

}  // namespace hp
