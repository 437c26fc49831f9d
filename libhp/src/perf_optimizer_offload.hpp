// Internal: the optimizer step's time with Megatron-Core optimizer CPU offload (HybridDeviceOptimizer).
// Sources: docs/model.md "Optimizer CPU offload".
#pragma once

#include "hp/hardware.hpp"
#include "hp/perf.hpp"

namespace hp::detail {

/// Bytes per parameter of the GPU optimizer step: memory-bound Adam reading and writing the fp32 master and both
/// moments, reading the gradient and writing the bf16 parameter (~30).
constexpr double kGpuAdamBytesPerParam = 30;
/// CPU Adam (torch.optim.Adam, fused, on the host): reads the fp32 parameter, gradient and both moments (16 B) and
/// writes the parameter and both moments (12 B).
constexpr double kCpuAdamBytesPerParam = 28;
/// Gradient device-to-host: the copy into the fp32 pinned host gradient is non-blocking, so PyTorch converts on
/// the GPU first (ATen Copy.cu, copy_kernel_cuda) and 4 B cross the link whatever the gradient buffer's dtype.
constexpr double kOffloadD2hBytesPerParam = 4;
/// Parameter host-to-device: the fp32 CPU master goes into the bf16 GPU parameter, non-blocking from the host, so
/// it crosses in the source dtype and is converted on the GPU: 4 B.
constexpr double kOffloadH2dBytesPerParam = 4;

struct OptimizerStepTime {
  double gpu_s = 0;      ///< GPU Adam over the part of the local shard kept on the GPU
  double offload_s = 0;  ///< what the offloaded part adds to the step beyond gpu_s (0 without offload)
};

/// The optimizer step over `local_params` parameters (the optimizer's local shard on this GPU) with the layout's
/// optimizer CPU offload (Layout::optimizer_offload_share(), overlap_cpu_optimizer_d2h_h2d).
OptimizerStepTime optimizer_step_time(double local_params, const Layout& layout, const GpuSpec& gpu) noexcept;

}  // namespace hp::detail
