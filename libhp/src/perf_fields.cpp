// Flat view of an Estimate for JSON and Python (one list of names, so both front ends agree).
#include "hp/perf.hpp"

namespace hp {

std::vector<std::pair<std::string, double>> to_fields(const Estimate& e) {
  const MemoryBreakdown& m = e.memory;
  const TimeBreakdown& t = e.time;
  return {
      {"fits", e.fits ? 1.0 : 0.0},
      {"num_parameters", e.num_parameters},
      {"step_time_s", t.step_time_s},
      {"tokens_per_s_per_gpu", e.tokens_per_s_per_gpu},
      {"tflops_per_gpu", e.tflops_per_gpu},
      {"mfu", e.mfu},
      {"hfu", e.hfu},
      {"model_flops_per_step", e.model_flops_per_step},
      {"hardware_flops_per_step", e.hardware_flops_per_step},
      {"memory.weights_bytes", m.weights_bytes},
      {"memory.gradients_bytes", m.gradients_bytes},
      {"memory.optimizer_bytes", m.optimizer_bytes},
      {"memory.activations_bytes", m.activations_bytes},
      {"memory.embedding_logits_bytes", m.embedding_logits_bytes},
      {"memory.overhead_bytes", m.overhead_bytes},
      {"memory.total_bytes", m.total_bytes},
      {"memory.embedding_state_bytes", m.embedding_state_bytes},
      {"memory.pipeline_rank", static_cast<double>(m.pipeline_rank)},
      {"time.compute_s", t.compute_s},
      {"time.tp_comm_s", t.tp_comm_s},
      {"time.cp_comm_s", t.cp_comm_s},
      {"time.ep_comm_s", t.ep_comm_s},
      {"time.pp_comm_s", t.pp_comm_s},
      {"time.bubble_s", t.bubble_s},
      {"time.dp_comm_s", t.dp_comm_s},
      {"time.fsdp_comm_s", t.fsdp_comm_s},
      {"time.offload_s", t.offload_s},
      {"time.moe_router_s", t.moe_router_s},
      {"time.moe_permute_s", t.moe_permute_s},
      {"time.moe_dispatch_s", t.moe_dispatch_s},
      {"time.moe_expert_gemm_s", t.moe_expert_gemm_s},
      {"time.moe_shared_expert_s", t.moe_shared_expert_s},
      {"time.optimizer_s", t.optimizer_s},
      {"time.optimizer_offload_s", t.optimizer_offload_s},
      {"time.overhead_s", t.overhead_s},
      {"time.step_time_s", t.step_time_s},
  };
}

}  // namespace hp
