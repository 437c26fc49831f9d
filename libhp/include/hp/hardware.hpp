// GPU and system catalogue. Specs cite their datasheets in libhp/src/hardware.cpp and docs/model.md.
// Public header: standard-library types only.
#pragma once

#include <string>
#include <vector>

namespace hp {

/// One accelerator in its system (a DGX-like node or an NVL72 rack).
struct GpuSpec {
  std::string name;                       ///< catalogue key, e.g. "h100-sxm"
  double memory_bytes = 80e9;             ///< HBM capacity
  double memory_bandwidth_bytes_per_s = 2.0e12;
  double peak_bf16_flops_per_s = 312e12;  ///< dense (no sparsity)
  double peak_fp8_flops_per_s = 0;        ///< dense; 0 = no FP8 support (MXFP8 runs at this peak too)
  double peak_fp4_flops_per_s = 0;        ///< dense NVFP4; 0 = no FP4 and no block-scaled (MXFP8) tensor cores
  double nvlink_bandwidth_bytes_per_s = 300e9;  ///< per GPU, one direction
  int nvlink_domain_size = 8;             ///< GPUs in one NVLink domain (8 for DGX, 72 for NVL72)
  double internode_bandwidth_bytes_per_s = 25e9;  ///< per GPU, one direction (e.g. one 200 Gb/s NIC per GPU)
  double host_bandwidth_bytes_per_s = 32e9;  ///< GPU <-> CPU memory, one direction (PCIe or NVLink-C2C)
  /// Host DRAM bandwidth per GPU: the node's CPU memory bandwidth (channels x transfer rate) over its GPUs; what
  /// CPU Adam of optimizer CPU offload streams through. Default: a DGX A100-class host (51.2 GB/s per GPU).
  double host_memory_bandwidth_bytes_per_s = 51.2e9;
  int gpus_per_node = 8;
  std::string family = "hopper";          ///< calibration family: ampere, hopper, blackwell
  std::string source;                     ///< citation for the numbers
};

/// Built-in catalogue: a100-40gb, a100-80gb, h100-sxm, h200, h20, l40s, b200, gb200, rtx-pro-6000.
const std::vector<GpuSpec>& gpu_catalog();

/// Look up by name (case-insensitive; accepts aliases like "A100-SXM4-80GB", "H100"). Throws ConfigError.
GpuSpec find_gpu(const std::string& name);
/// Same, looking first in `extra` (a user's GPU file) by name: a command that reads a GPU file passes them here
/// instead of changing the process-wide catalogue.
GpuSpec find_gpu(const std::string& name, const std::vector<GpuSpec>& extra);

/// Default GPU for a NeMo search config that only gives gpu_memory_gb (40 -> a100-40gb, 80 -> a100-80gb).
GpuSpec gpu_for_memory_gb(int gpu_memory_gb);

/// Read user GPUs from a YAML file: a list (or a `gpus:` list) of maps with keys name, base (a catalogue GPU
/// to start from), memory_gb, memory_bandwidth_gb_per_s, peak_bf16_tflops, peak_fp8_tflops,
/// peak_fp4_tflops, host_bandwidth_gb_per_s, host_memory_bandwidth_gb_per_s,
/// nvlink_bandwidth_gb_per_s, nvlink_domain_size, internode_bandwidth_gb_per_s, gpus_per_node, family, source.
/// Throws IoError (unreadable) or ConfigError (bad key or value, named with its list index).
std::vector<GpuSpec> load_gpus_yaml(const std::string& path);

/// Add (or replace, by name) user GPUs so find_gpu sees them.
void register_gpus(const std::vector<GpuSpec>& gpus);

}  // namespace hp
