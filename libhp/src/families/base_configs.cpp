// NeMo's shipped auto_configurator/base_configs/<name>.yaml (NeMo-Framework-Launcher 26e42fa), as values: each
// row is what the file says for the keys the search and the writer use. Architectures: catalog_families.cpp.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "hp/catalog.hpp"
#include "hp/core.hpp"
#include "families/families.hpp"
#include "hp/families.hpp"

namespace hp {
namespace {

struct Row {
  const char* name;        // base_configs/<name>.yaml
  const char* run_name;    // run.name in the file
  int gbs, mbs, tp, pp, vp, cp, ep;  // vp 0 = null
  bool sequence_parallel;
  const char* act_method;  // "" = null; "block" enables NeMo's act-ckpt sweep
  int nodes;               // trainer.num_nodes
  double lr, min_lr;
  int warmup_steps, constant_steps;
  double init_method_std;
  int first_stage_layers = 0, last_stage_layers = 0;  // Megatron-Core uneven pipeline; 0 = even
};

// model.* and trainer.num_nodes of each file. act num_layers is 0 where the method is block, else null.
const Row kRows[] = {
    {"llama2_7b", "llama2_7b", 128, 2, 1, 1, 0, 1, 1, false, "block", 1, 1e-4, 1e-5, 500, 0, 0.01},
    {"llama2_13b", "llama2_13b", 128, 2, 2, 1, 0, 1, 1, true, "block", 2, 1e-4, 1e-5, 107, 11873, 0.01},
    {"llama2_70b", "llama2_70b", 128, 1, 4, 4, 0, 1, 1, true, "block", 8, 1.5e-4, 1e-5, 2000, 11873, 0.008944},
    {"llama3_8b", "llama3_8b", 2048, 1, 1, 1, 0, 2, 1, false, "", 16, 1e-4, 1e-5, 500, 0, 0.01},
    {"llama3_70b", "llama3_70b", 2048, 1, 4, 4, 10, 2, 1, true, "", 128, 1.5e-4, 1e-5, 2000, 11873, 0.008944},
    {"mixtral_3b", "mixtral_8x3b", 128, 1, 1, 4, 8, 1, 1, false, "", 2, 1e-4, 1e-5, 107, 11873, 0.02},
    {"mixtral_7b", "mixtral_8x7b", 256, 1, 8, 4, 0, 1, 1, true, "", 8, 1e-4, 1e-5, 636, 11873, 0.02},
    {"qwen2_4b", "qwen2_4b", 128, 2, 2, 1, 0, 1, 1, false, "", 1, 1e-4, 1e-5, 500, 0, 0.02},
    {"qwen2_7b", "qwen2_7b", 128, 1, 4, 1, 0, 1, 1, true, "", 1, 1e-4, 1e-5, 500, 0, 0.02},
    {"qwen2_14b", "qwen2_14b", 128, 1, 2, 1, 0, 1, 1, true, "", 1, 1e-4, 1e-5, 500, 0, 0.02},
    {"qwen2_72b", "qwen2_72b", 128, 1, 4, 8, 0, 1, 1, true, "", 1, 1e-4, 1e-5, 500, 0, 0.02},
    {"baichuan2_7b", "baichuan2_7b", 128, 1, 2, 1, 0, 1, 1, false, "block", 1, 1e-4, 1e-5, 500, 0, 0.02},
    {"baichuan2_13b", "baichuan2_13b", 64, 1, 2, 1, 0, 1, 1, false, "block", 1, 1e-4, 1e-5, 500, 0, 0.02},
    {"chatglm_6b", "chatglm3_6b", 16, 1, 1, 1, 0, 1, 1, false, "block", 1, 1e-4, 1e-5, 500, 0, 0.02},
    // DeepSeek: NeMo 2 has no launcher base config; these are its pretrain recipes (NVIDIA/NeMo
    // nemo/collections/llm/recipes/deepseek_v2_lite.py and deepseek_v3.py: GBS, MBS, TP, PP, EP, nodes, max_lr 3e-4
    // with distributed_fused_adam_with_cosine_annealing's 0.1 x max_lr floor and 2000 warmup steps;
    // DeepSeekConfig init_method_std 0.006; V3: 3 and 2 layers on the first and last stage). Not carried: V3's ETP 1
// and its MTP depth.
    {"deepseek_v2_lite", "deepseek_v2_lite", 512, 1, 1, 1, 0, 1, 8, false, "", 1, 3e-4, 3e-5, 2000, 0, 0.006},
    {"deepseek_v3", "deepseek_v3", 4096, 1, 2, 16, 0, 1, 64, true, "", 128, 3e-4, 3e-5, 2000, 0, 0.006, 3, 2},
};

std::string known_names() {
  std::string s;
  for (const Row& r : kRows) s += (s.empty() ? "" : ", ") + std::string(r.name);
  return s + " (and gpt3, t5, mt5, bert: the family's size rule)";
}

std::string two(int v) { return fmt::format("{:02}", v); }

double nominal_size_b(const std::string& name) {
  for (const auto& e : model_catalog())
    if (e.nemo_base_config == name) return e.nominal_size_b;
  return 0;
}

}  // namespace

std::vector<std::string> builtin_base_config_names() {
  std::vector<std::string> out;
  for (const Row& r : kRows) out.emplace_back(r.name);
  return out;
}

TrainingConfig builtin_base_config(const std::string& name, const std::string& key) {
  for (const Row& r : kRows) {
    if (name != r.name) continue;
    TrainingConfig c;
    c.model = find_model(r.name);
    c.size_b = std::round(double(count_parameters(c.model).total) / 1e9 * 100) / 100;
    c.run_name = r.run_name;
    c.num_nodes = r.nodes;
    c.gpus_per_node = 8;  // trainer.devices of every shipped file
    c.global_batch_size = r.gbs;
    c.micro_batch_size = r.mbs;
    c.tensor_model_parallel_size = r.tp;
    c.pipeline_model_parallel_size = r.pp;
    c.virtual_pipeline_model_parallel_size = r.vp;
    c.context_parallel_size = r.cp;
    c.expert_model_parallel_size = r.ep;
    c.sequence_parallel = r.sequence_parallel;
    c.activations_checkpoint_method = r.act_method;
    c.activations_checkpoint_num_layers = std::string(r.act_method).empty() ? -1 : 0;
    c.lr = r.lr;
    c.min_lr = r.min_lr;
    c.warmup_steps = r.warmup_steps;
    c.constant_steps = r.constant_steps;
    c.init_method_std = r.init_method_std;
    c.num_layers_in_first_pipeline_stage = r.first_stage_layers;
    c.num_layers_in_last_pipeline_stage = r.last_stage_layers;
    c.max_steps = 300000;  // trainer.max_steps of every shipped file
    return c;
  }
  throw ConfigError(key, name, "no such NeMo base config built in; known: " + known_names());
}

std::string builtin_base_config_reference(const std::string& custom_config) {
  static const std::string marker = "${auto_configurator_path}/base_configs/";
  if (custom_config.rfind(marker, 0) != 0) return "";
  std::string name = custom_config.substr(marker.size());
  const std::string ext = ".yaml";
  if (name.size() > ext.size() && name.compare(name.size() - ext.size(), ext.size(), ext) == 0)
    name.resize(name.size() - ext.size());
  return name;
}

TrainingConfig base_config_from_builtin(const std::string& name, const BaseConfigRequest& r) {
  TrainingConfig c = builtin_base_config(name, "--model");
  if (r.num_nodes <= 0) throw ConfigError("num_nodes", std::to_string(r.num_nodes), "must be a positive integer");
  if (!(r.max_training_days > 0)) throw ConfigError("max_training_days", fmt::format("{}", r.max_training_days), "must be a positive number");
  if (!(r.num_tokens_in_b > 0)) throw ConfigError("num_tokens_in_b", fmt::format("{}", r.num_tokens_in_b), "must be a positive number");
  // generate_base_config with a custom config: run.name "<family>_<size>b", D-HH:00:00 limit, 30 minutes less
  // for trainer.max_time, max_steps = int(tokens / (seq * GBS)); the model section stays as shipped.
  const double size_b = r.size_b > 0 ? r.size_b : nominal_size_b(name);
  c.size_b = size_b;
  c.run_name = c.model.family + "_" + nemo_size_label(size_b);
  c.num_nodes = r.num_nodes;
  c.precision = "bf16";
  c.max_steps = static_cast<long long>(r.num_tokens_in_b * 1e9 / (double(c.model.seq_length) * c.global_batch_size));
  const int days = int(r.max_training_days);
  const int hours = int(24 * (r.max_training_days - days));
  c.time_limit = std::to_string(days) + "-" + two(hours) + ":00:00";
  c.max_time = two(std::max(hours == 0 ? days - 1 : days, 0)) + ":" + two(hours == 0 ? 23 : hours - 1) + ":30:00";
  return c;
}

}  // namespace hp

namespace hp::detail {

TrainingConfig named_family_base_config(const BaseConfigRequest& r) {
  const auto names = builtin_base_config_names();
  if (std::find(names.begin(), names.end(), r.family) != names.end()) return base_config_from_builtin(r.family, r);
  check_family(r.family);
  if (!(r.size_b > 0) || !std::isfinite(r.size_b))
    throw ConfigError("model_size_in_b", fmt::format("{}", r.size_b), "must be a positive number");
  const CatalogEntry* e = find_catalog_entry(r.family, r.size_b);
  if (e && !e->nemo_base_config.empty()) return base_config_from_builtin(e->nemo_base_config, r);
  std::string sizes;
  for (const auto& c : model_catalog())
    if (c.model.family == r.family && !c.nemo_base_config.empty() &&
        sizes.find(c.nemo_base_config + " (") == std::string::npos)  // DeepSeek-R1 shares V3's
      sizes += fmt::format("{}{} ({}B)", sizes.empty() ? "" : ", ", c.nemo_base_config, c.nominal_size_b);
  throw ConfigError("model_size_in_b", fmt::format("{}", r.size_b),
                    "NeMo has no architecture rule for " + r.family + " sizes; its base configs are " + sizes);
}

}  // namespace hp::detail
