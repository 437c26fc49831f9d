// Reading the family keys of a NeMo training YAML (launcher_scripts/conf/training/<family>/*.yaml layout): which
// family (exp_manager.name megatron_<family>), the vocabulary (model.override_vocab_size, else the family's
// tokenizer), QKV bias, ALiBi positions and BERT's binary head.
#include <algorithm>
#include <cctype>

#include "families/families.hpp"
#include "yaml_util.hpp"

namespace hp::detail {
namespace {

std::string family_from_exp_name(const std::string& name) {
  static const char* families[] = {"llama", "mixtral", "qwen2", "baichuan2", "chatglm", "bert", "deepseek"};
  for (const char* f : families)
    if (name.rfind(std::string("megatron_") + f, 0) == 0) return f;
  return "";
}

// Tokenizer vocabularies of the models NeMo ships configs for (model cards; docs/model.md).
int family_vocab(const std::string& family, const std::string& tokenizer_type) {
  if (family == "llama") return tokenizer_type.find("Llama-3") != std::string::npos ? 128256 : 32000;
  if (family == "mixtral") return 32000;
  if (family == "qwen2") return 151936;
  if (family == "baichuan2") return 125696;
  if (family == "chatglm") return 65024;
  if (family == "deepseek") return tokenizer_type.find("V2") != std::string::npos ? 102400 : 129280;
  return 30522;  // bert
}

}  // namespace

void read_family_keys(const YAML::Node& root, TrainingConfig& c) {
  const YAML::Node m = root["model"];
  std::string family;
  if (yaml::is_map(root["exp_manager"]) && !yaml::is_null(root["exp_manager"]["name"]))
    family = family_from_exp_name(yaml::text(root["exp_manager"]["name"]));
  if (family.empty() && !yaml::is_null(m["mcore_bert"])) family = "bert";
  // ALiBi is spelled "ALiBi" in NeMo's files.
  std::string pos = c.model.position_embedding;
  std::transform(pos.begin(), pos.end(), pos.begin(), [](unsigned char ch) { return char(std::tolower(ch)); });
  if (pos == "alibi") c.model.position_embedding = "alibi";
  if (!yaml::is_null(m["qkv_bias"])) c.model.qkv_bias = yaml::get_bool(m["qkv_bias"], "model.qkv_bias");
  if (family.empty()) return;
  c.model.family = family;
  const std::string tokenizer = yaml::is_null(m["tokenizer"]["type"]) ? "" : yaml::text(m["tokenizer"]["type"]);
  c.model.vocab_size = yaml::is_null(m["override_vocab_size"])
                           ? family_vocab(family, tokenizer)
                           : yaml::get_int(m["override_vocab_size"], "model.override_vocab_size");
  if (family == "bert") {
    if (!yaml::is_null(m["bert_binary_head"])) c.model.bert_binary_head = yaml::get_bool(m["bert_binary_head"], "model.bert_binary_head");
  }
}

}  // namespace hp::detail
