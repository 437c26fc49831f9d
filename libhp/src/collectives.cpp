// Shared collective and MoE-routing formulas (collectives.hpp; sources there and in docs/model.md).
#include "collectives.hpp"

#include <algorithm>
#include <cmath>

namespace hp::detail {

double group_bandwidth(const GpuSpec& gpu, double stride, double size) {
  if (stride * size <= gpu.nvlink_domain_size) return gpu.nvlink_bandwidth_bytes_per_s;
  const double q = std::min(size, std::max(1.0, std::floor(gpu.nvlink_domain_size / stride)));
  return std::min(gpu.nvlink_bandwidth_bytes_per_s, q * gpu.internode_bandwidth_bytes_per_s);
}

double moe_alltoall_bytes(double ep, double tokens, double topk, double hidden, double bytes_per_element) {
  if (ep <= 1) return 0;
  return (ep - 1) / ep * tokens * topk * hidden * bytes_per_element;
}

double alltoall_seconds(const GpuSpec& gpu, double stride, double size, double bytes, double efficiency) {
  if (size <= 1 || bytes <= 0) return 0;
  const double nvlink = gpu.nvlink_bandwidth_bytes_per_s * efficiency;
  if (stride * size <= gpu.nvlink_domain_size) return bytes / nvlink;
  const double q = std::min(size, std::max(1.0, std::floor(gpu.nvlink_domain_size / stride)));
  const double inside = bytes * (q - 1) / (size - 1);
  const double outside = bytes - inside;
  return std::max(inside / nvlink, outside / (gpu.internode_bandwidth_bytes_per_s * efficiency));
}

double moe_experts_hit(double experts, double topk, double tokens) {
  if (experts <= 0 || tokens <= 0) return 0;
  const double k = std::min(std::max(topk, 1.0), experts);
  return experts * (1 - std::pow(1 - k / experts, tokens));
}

}  // namespace hp::detail
