// The optimizer names NeMo accepts in model.optim.name and what each means for memory. Sources: NeMo
// nemo/core/optim/optimizers.py (AVAILABLE_OPTIMIZERS: torch, NeMo and Apex optimizers) and
// nemo/collections/nlp/models/language_modeling/megatron_base_model.py (mcore_distributed_optim selects
// Megatron-Core's DistributedOptimizer); NeMo 8cfedd7 / NeMo-Framework-Launcher 26e42fa.
#include <string>

#include "hp/core.hpp"
#include "hp/nemo_config.hpp"

namespace hp {

const std::vector<NemoOptimizer>& nemo_optimizers() {
  // Only the two distributed optimizers shard the fp32 master weights and optimizer state over the
  // data-parallel group (Megatron-Core DistributedOptimizer, Apex DistributedFusedAdam); every other name keeps
  // a full copy on each rank.
  static const std::vector<NemoOptimizer> table = {
      {"mcore_distributed_optim", true, "Megatron-Core DistributedOptimizer (Adam), NeMo's current default"},
      {"distributed_fused_adam", true, "Apex DistributedFusedAdam (older NeMo default)"},
      {"fused_adam", false, "Apex FusedAdam"},
      {"megatron_fused_adam", false, "NeMo MegatronFusedAdam"},
      {"adam", false, "torch.optim.Adam"},
      {"adamw", false, "torch.optim.AdamW"},
      {"sgd", false, "torch.optim.SGD"},
      {"adadelta", false, "torch.optim.Adadelta"},
      {"adamax", false, "torch.optim.Adamax"},
      {"adagrad", false, "torch.optim.Adagrad"},
      {"rmsprop", false, "torch.optim.RMSprop"},
      {"rprop", false, "torch.optim.Rprop"},
      {"novograd", false, "NeMo Novograd"},
      {"adafactor", false, "NeMo Adafactor"},
      {"adan", false, "NeMo Adan"},
      {"lamb", false, "Apex FusedLAMB"},
  };
  return table;
}

const NemoOptimizer& find_nemo_optimizer(const std::string& name, const std::string& key) {
  for (const NemoOptimizer& o : nemo_optimizers())
    if (o.name == name) return o;
  std::string names;
  for (const NemoOptimizer& o : nemo_optimizers()) names += (names.empty() ? "" : ", ") + o.name;
  throw ConfigError(key, name, "unknown optimizer; NeMo accepts " + names);
}

std::string nemo_optimizer_name(const TrainingConfig& c) {
  // Keep the name the config came with when it means the same sharding; else NeMo's current default pair.
  if (!c.optimizer.empty()) {
    for (const NemoOptimizer& o : nemo_optimizers())
      if (o.name == c.optimizer && o.distributed == c.distributed_optimizer) return o.name;
  }
  return c.distributed_optimizer ? "mcore_distributed_optim" : "fused_adam";
}

}  // namespace hp
