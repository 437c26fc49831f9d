// Precision recipes as NeMo config keys (nemo_precision.hpp). Key names: NeMo's fp8 / fp8_e4m3 / fp8_hybrid
// (megatron_base_model.py maps them to Megatron-Core's fp8 format) and Megatron-Core TransformerConfig fields
// NeMo passes through (fp8_recipe, fp4, fp4_recipe, first_last_layers_bf16, num_layers_at_start/end_in_bf16).
// Recipes: Megatron-Bridge src/megatron/bridge/training/mixed_precision.py (bf16_with_fp8_delayed_scaling_mixed,
// bf16_with_fp8_current_scaling_mixed, bf16_with_mxfp8_mixed, bf16_with_nvfp4_mixed). docs/model.md 10.
#include "nemo_precision.hpp"

namespace hp::detail {

void set_precision_recipe(TrainingConfig& c, Precision p) {
  c.fp8 = p == Precision::fp8_delayed || p == Precision::fp8_current || p == Precision::mxfp8;
  c.fp4 = p == Precision::nvfp4;  // FP4 and FP8 are exclusive in Megatron-Bridge's MixedPrecisionConfig
  c.fp8_recipe = p == Precision::fp8_current ? "tensorwise" : p == Precision::mxfp8 ? "mxfp8" : "";
  c.fp8_e4m3 = p == Precision::mxfp8;
  // The current-scaling recipe keeps the first and the last transformer layer in BF16.
  const int edge = p == Precision::fp8_current ? 1 : 0;
  c.num_layers_at_start_in_bf16 = c.num_layers_at_end_in_bf16 = edge;
  if (c.precision.find("fp8") != std::string::npos) c.precision = "bf16";  // the GEMM recipe is in model.*
}

std::vector<std::pair<std::string, std::string>> precision_rows(const TrainingConfig& c, const TrainingConfig& was) {
  std::vector<std::pair<std::string, std::string>> out;
  auto boolean = [](bool v) { return std::string(v ? "true" : "false"); };
  if (c.fp8 || was.fp8_e4m3 || c.fp8_e4m3) {
    out.push_back({"model.fp8_e4m3", boolean(c.fp8_e4m3)});
    out.push_back({"model.fp8_hybrid", boolean(!c.fp8_e4m3)});
  }
  if (!c.fp8_recipe.empty() && !c.fp4) {
    out.push_back({"model.fp8_recipe", c.fp8_recipe});
  } else if (!was.fp8_recipe.empty()) {
    out.push_back({"model.fp8_recipe", "null"});
  }
  if (c.fp4 || was.fp4) {
    out.push_back({"model.fp4", c.fp4 ? "e2m1" : "null"});
    out.push_back({"model.fp4_recipe", c.fp4 ? "nvfp4" : "null"});
  }
  const bool edges = c.num_layers_at_start_in_bf16 > 0 || c.num_layers_at_end_in_bf16 > 0;
  if (edges || was.num_layers_at_start_in_bf16 > 0 || was.num_layers_at_end_in_bf16 > 0) {
    out.push_back({"model.first_last_layers_bf16", boolean(edges)});
    if (edges) {
      out.push_back({"model.num_layers_at_start_in_bf16", std::to_string(c.num_layers_at_start_in_bf16)});
      out.push_back({"model.num_layers_at_end_in_bf16", std::to_string(c.num_layers_at_end_in_bf16)});
    }
  }
  return out;
}

}  // namespace hp::detail
