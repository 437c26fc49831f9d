// Optimizer step time with optimizer CPU offload (Megatron-Core OptimizerConfig optimizer_cpu_offload,
// optimizer_offload_fraction, overlap_cpu_optimizer_d2h_h2d; megatron/core/optimizer/cpu_offloading/
// hybrid_optimizer.py HybridDeviceOptimizer). The offloaded share of the local shard is updated by CPU Adam, O(M)
// work per step (ZeRO-Offload, Ren et al. 2021, arXiv 2101.06840, Section 3) at ~12 FLOP per 28 B moved, far below
// a server CPU's FLOP per DRAM byte, so memory-bound; its gradients cross the host link to the CPU and the updated
// parameters come back.
#include "perf_optimizer_offload.hpp"

#include <algorithm>

namespace hp::detail {

OptimizerStepTime optimizer_step_time(double local_params, const Layout& l, const GpuSpec& gpu) noexcept {
  OptimizerStepTime t;
  const double share = l.optimizer_offload_share();
  const double on_gpu = local_params * (1 - share);
  t.gpu_s = kGpuAdamBytesPerParam * on_gpu / gpu.memory_bandwidth_bytes_per_s;
  if (share <= 0) return t;
  const double offloaded = local_params * share;
  const double d2h_s = kOffloadD2hBytesPerParam * offloaded / gpu.host_bandwidth_bytes_per_s;
  const double h2d_s = kOffloadH2dBytesPerParam * offloaded / gpu.host_bandwidth_bytes_per_s;
  const double cpu_s = kCpuAdamBytesPerParam * offloaded / gpu.host_memory_bandwidth_bytes_per_s;
  // HybridDeviceOptimizer.step: the gradient copies are queued first, the GPU optimizer's step is launched on the
  // compute stream, then the CPU steps each offloaded parameter once its copy has landed and copies it back.
  // Overlapped (one CPU optimizer per parameter, copies on their own D2H and H2D streams): the three stages
  // pipeline over the parameters and run beside the GPU step, so the slowest of the four sets the phase.
  // Not overlapped (one CPU optimizer, copies on the compute stream): all gradients down, then the CPU step beside
  // the GPU step, then all parameters up.
  const double phase = l.overlap_cpu_optimizer_d2h_h2d ? std::max({t.gpu_s, d2h_s, cpu_s, h2d_s})
                                                       : d2h_s + std::max(cpu_s, t.gpu_s) + h2d_s;
  t.offload_s = phase - t.gpu_s;
  return t;
}

}  // namespace hp::detail
