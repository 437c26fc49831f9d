// The records of a search: a planned trial and a ranked layout, one schema for every front end (fields documented
// in docs/usage.md). Both use the same names for the same quantity.
#include "hp/core.hpp"
#include "hp/plan.hpp"
#include "hp/search_result.hpp"
#include "hp/trial_sizing.hpp"

namespace hp {

Record trial_record(const Trial& t) {
  const Layout& l = t.layout;
  Record r;
  r.integer("index", t.index)
      .integer("tp", l.tp)
      .integer("pp", l.pp)
      .integer("cp", l.cp)
      .integer("ep", l.ep)
      .integer("vp", l.vp)
      .integer("mbs", l.mbs)
      .integer("gbs", l.gbs)
      .text("recompute", to_string(l.recompute))
      .optional_integer("act_ckpt_layers", t.act_ckpt_layers)
      .optional_integer("num_micro_batches_with_partial_activation_checkpoints",
                        t.num_micro_batches_with_partial_activation_checkpoints)
      .optional_integer("activations_checkpoint_layers_per_pipeline", t.activations_checkpoint_layers_per_pipeline)
      .boolean("sequence_parallel", l.sequence_parallel)
      .boolean("distributed_optimizer", l.distributed_optimizer)
      .boolean("fp8", l.fp8())
      // Issue 15's layout dimensions.
      .text("precision", to_string(l.precision))
      .boolean("fsdp", l.fsdp)
      .integer("etp", l.etp)
      .text("pipeline_split", l.account_for_embedding && l.account_for_loss ? "embedding+loss"
                              : l.account_for_embedding                     ? "embedding"
                              : l.account_for_loss                          ? "loss"
                                                                            : "none")
      .text("moe_dispatcher", to_string(l.moe_dispatcher))
      .text("recompute_modules", recompute_modules_to_string(l.selective_modules()))
      .integer("activation_offload_layers", l.activation_offload_layers)
      .boolean("optimizer_cpu_offload", l.optimizer_cpu_offload)
      .number("optimizer_offload_fraction", l.optimizer_offload_share())
      .integer("nodes", t.num_nodes)
      .integer("gpus_per_node", t.gpus_per_node)
      .integer("full_nodes", t.full_num_nodes)
      .integer("full_gbs", t.full_gbs)
      .text("config_name", t.config_name)
      .text("config_path", t.config_path)
      .text("time_limit", t.time_limit)
      .integer("max_steps", t.max_steps)
      .number("predicted_step_time_s", t.predicted_step_time_s)
      .number("predicted_trial_step_time_s", t.predicted_trial_step_time_s)
      .number("gpu_hours", gpu_hours(t.num_nodes, t.gpus_per_node, 60.0 * t.max_minutes))
      .number("predicted_memory_per_gpu_gib", t.predicted_memory_bytes / kGiB)
      .number("predicted_trial_memory_per_gpu_gib", t.predicted_trial_memory_bytes / kGiB)
      .text("reason", t.reason);
  return r;
}

// At the time limit: what the scheduler reserves for each trial.
double Plan::gpu_hours() const {
  double sum = 0;
  for (const Trial& t : trials) sum += hp::gpu_hours(t.num_nodes, t.gpus_per_node, 60.0 * t.max_minutes);
  return sum;
}

double Plan::full_size_gpu_hours() const {
  double sum = 0;
  for (const Trial& t : trials) sum += hp::gpu_hours(t.full_num_nodes, t.gpus_per_node, 60.0 * t.max_minutes);
  return sum;
}

Record ranked_layout_record(const SearchResult& result, const RankedLayout& x, long long rank, bool planned) {
  const Layout& l = x.layout;
  Record r;
  r.integer("rank", rank)
      .text("config_name", result_row_name(result, x))
      .integer("tp", l.tp)
      .integer("pp", l.pp)
      .integer("vp", l.vp)
      .integer("cp", l.cp)
      .integer("ep", l.ep)
      .integer("etp", l.etp)
      .integer("mbs", l.mbs)
      .integer("gbs", l.gbs)
      .integer("dp", l.dp())
      .integer("num_micro_batches", l.dp() > 0 ? l.num_micro_batches() : 0)
      .text("recompute", to_string(l.recompute))
      .optional_integer("act_ckpt_layers", x.act_ckpt_layers)
      .optional_integer("num_micro_batches_with_partial_activation_checkpoints", x.num_mbs_act)
      .optional_integer("activations_checkpoint_layers_per_pipeline", x.act_per_pipe)
      .boolean("sequence_parallel", l.sequence_parallel)
      .boolean("distributed_optimizer", l.distributed_optimizer)
      .boolean("fp8", l.fp8())
      .text("precision", to_string(l.precision))
      .number("predicted_step_time_s", x.step_time_s)
      .number("tokens_per_s_per_gpu", x.tokens_per_s_per_gpu)
      .number("tflops_per_gpu", x.tflops_per_gpu)
      .number("mfu", x.mfu)
      .number("predicted_memory_per_gpu_gib", x.memory_bytes / kGiB)
      .boolean("fits", x.fits)
      .boolean("planned", planned);
  return r;
}

}  // namespace hp
