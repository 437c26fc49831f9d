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
  // a full copy on each rank. Bytes per parameter: the fp32 master copy NeMo keeps with megatron_amp_O2 (4 B)
  // plus 4 B per per-element fp32 state tensor of the optimizer's state dict (torch.optim: Adam exp_avg and
  // exp_avg_sq; Adamax exp_avg, exp_inf; Adadelta square_avg, acc_delta; Rprop prev, step_size; Adagrad sum;
  // RMSprop square_avg; SGD momentum_buffer only with momentum; NeMo Novograd exp_avg (its second moment is
  // one number per tensor); Adafactor factored second moments (negligible) and exp_avg only with beta1; Adan
  // exp_avg, exp_avg_sq, exp_avg_diff, pre_grad). Optional extras (RMSprop momentum/centered) are not counted.
  static const std::vector<NemoOptimizer> table = {
      {"mcore_distributed_optim", true, 12, "Megatron-Core DistributedOptimizer (Adam), NeMo's current default"},
      {"distributed_fused_adam", true, 12, "Apex DistributedFusedAdam (older NeMo default)"},
      {"fused_adam", false, 12, "Apex FusedAdam"},
      {"megatron_fused_adam", false, 12, "NeMo MegatronFusedAdam"},
      {"adam", false, 12, "torch.optim.Adam"},
      {"adamw", false, 12, "torch.optim.AdamW"},
      {"sgd", false, 4, "torch.optim.SGD (+4 B with model.optim.momentum > 0)"},
      {"adadelta", false, 12, "torch.optim.Adadelta"},
      {"adamax", false, 12, "torch.optim.Adamax"},
      {"adagrad", false, 8, "torch.optim.Adagrad"},
      {"rmsprop", false, 8, "torch.optim.RMSprop"},
      {"rprop", false, 12, "torch.optim.Rprop"},
      {"novograd", false, 8, "NeMo Novograd"},
      {"adafactor", false, 4, "NeMo Adafactor (+4 B with model.optim.beta1)"},
      {"adan", false, 20, "NeMo Adan"},
      {"lamb", false, 12, "Apex FusedLAMB"},
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
