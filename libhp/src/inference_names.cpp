// Names and sizes of the inference model's inputs and outputs: infeasibility reasons and data-type bytes.
#include <cctype>
#include <string>

#include "hp/core.hpp"
#include "hp/inference.hpp"

namespace hp {

const char* to_string(InferenceInfeasible reason) noexcept {
  switch (reason) {
    case InferenceInfeasible::none: return "none";
    case InferenceInfeasible::heads_not_divisible: return "heads_not_divisible";
    case InferenceInfeasible::layers_not_divisible: return "layers_not_divisible";
    case InferenceInfeasible::partial_node_pipeline: return "partial_node_pipeline";
    case InferenceInfeasible::tp_not_node_multiple: return "tp_not_node_multiple";
    case InferenceInfeasible::too_many_nodes: return "too_many_nodes";
    case InferenceInfeasible::fp8_unsupported: return "fp8_unsupported";
    case InferenceInfeasible::sequence_too_long: return "sequence_too_long";
    case InferenceInfeasible::out_of_memory: return "out_of_memory";
    case InferenceInfeasible::fp4_unsupported: return "fp4_unsupported";
    case InferenceInfeasible::experts_not_divisible: return "experts_not_divisible";
  }
  return "unknown";
}

double dtype_bytes(const std::string& key, const std::string& dtype) {
  std::string d;
  for (char c : dtype) d += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (d == "fp32" || d == "float32") return 4;
  if (d == "fp16" || d == "float16" || d == "bf16" || d == "bfloat16") return 2;
  if (d == "fp8" || d == "int8") return 1;
  // NVFP4: 4-bit E2M1 values with one FP8 (E4M3) scale per 16-element block (NVIDIA, "Introducing NVFP4 for
  // efficient and accurate low-precision inference", 2025): 0.5 + 1/16 bytes per element.
  if (d == "nvfp4" || d == "fp4") return 0.5 + 1.0 / 16;
  // MXFP4: 4-bit E2M1 values with one 8-bit (E8M0) scale per 32-element block (Open Compute Project,
  // "OCP Microscaling Formats (MX) Specification" v1.0, 2023, Section 5): 0.5 + 1/32 bytes per element. A weight
  // format (gpt-oss's experts): never a KV-cache format.
  if (d == "mxfp4") {
    if (key.find("kv_cache_dtype") != std::string::npos)
      throw ConfigError(key, dtype, "MXFP4 is a weight format; the KV cache takes fp16, bf16, fp8 or nvfp4");
    return 0.5 + 1.0 / 32;
  }
  throw ConfigError(key, dtype, "unknown data type (expected fp16, bf16, fp8, nvfp4, mxfp4, int8 or fp32)");
}

}  // namespace hp
