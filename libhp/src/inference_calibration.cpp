// Inference calibration: the shipped fits of the serving model's efficiency parameters per GPU family and
// engine version, and how an engine word picks one (docs/model.md, "Calibration").
#include <string>

#include "checks.hpp"
#include "hp/core.hpp"
#include "hp/inference.hpp"

namespace hp {

namespace {

/// Shipped fits (`hp-cli infer-validate --fit` on libhp/src/data/inference_published.cpp; docs/model.md,
/// "Calibration"), per GPU family and engine. A100 has no GQA decode row and takes Hopper's gqa_kv_reuse (same
/// TensorRT-LLM releases, same attention kernels). For FasterTransformer, attention_efficiency (1.1 % of peak)
/// stands for its masked multi-head attention decode kernel, far slower per key than the KV-read roofline (the
/// fit prefers it to a lower kv_read_efficiency).
using IC = InferenceCalibration;
constexpr double IC::*kFitted[] = {&IC::gemm_efficiency,     &IC::attention_efficiency, &IC::memory_efficiency,
                                   &IC::layer_overhead_s,    &IC::step_overhead_s,      &IC::prefill_overhead_s,
                                   &IC::allreduce_latency_s, &IC::gqa_kv_reuse,         &IC::comm_efficiency,
                                   &IC::internode_latency_s, &IC::kv_read_efficiency,   &IC::memory_overhead_bytes,
                                   &IC::request_memory_factor};
constexpr size_t kNumFitted = sizeof(kFitted) / sizeof(kFitted[0]);
struct Fit {
  const char* family;
  const char* engine;
  double values[kNumFitted];  ///< in kFitted order
};
const Fit kFits[] = {
    {"hopper", "trtllm", {0.526, 0.444, 0.950, 8.14e-5, 1.23e-4, 2.69e-3, 1.78e-5, 0.326, 0.864, 2e-5, 0.923, 1.5e9, 1.0}},
    {"ampere", "trtllm", {0.754, 0.237, 0.950, 1.76e-4, 0, 1.78e-3, 3.08e-5, 0.326, 1.0, 2e-5, 1.0, 1.5e9, 1.0}},
    {"ampere", "fastertransformer", {0.602, 0.011, 0.798, 7.87e-5, 0, 1.01e-2, 2.01e-5, 1.0, 1.0, 1.27e-5, 1.0, 3.04e9, 1.475}},
    // In-flight batching (libhp/data/serving_published.csv, fit split only; `hp-cli infer-validate --published
    // serving --fit`): TensorRT-LLM 0.10 maximum throughput, 0.14 online serving (Triton backend), then 0.17
    // maximum throughput. 0.10 shares K/V loads across a GQA group only partly (gqa_kv_reuse 0.5-0.9), 0.17 fully.
    {"hopper", "trtllm-0.10", {0.515, 0.900, 0.950, 8.98e-5, 5.0e-3, 1e-3, 1e-6, 0.534, 0.800, 2e-5, 0.998, 5.21e8, 1.014}},
    {"ampere", "trtllm-0.10", {0.642, 0.900, 0.950, 7.42e-5, 4.24e-3, 1e-3, 3.48e-5, 0.605, 1.0, 2e-5, 1.0, 2.07e9, 1.0}},
    {"ada", "trtllm-0.10", {0.453, 0.900, 0.950, 2.38e-4, 0, 1e-3, 5e-5, 0.882, 0.518, 2e-5, 1.0, 3.81e9, 1.0}},
    {"hopper", "trtllm-0.14", {0.418, 0.900, 0.820, 7.51e-5, 1.79e-4, 1e-3, 5.94e-6, 0.668, 1.0, 2e-5, 1.0, 9.9e8, 1.983}},
    {"hopper", "trtllm-0.17", {0.510, 0.900, 0.950, 9.23e-6, 4.08e-3, 1e-3, 2.22e-5, 1.0, 0.838, 2e-5, 0.843, 5.31e8, 1.0}},
    {"ada", "trtllm-0.17", {0.483, 0.900, 0.944, 1.13e-6, 2.28e-3, 1e-3, 1.78e-5, 1.0, 0.503, 2e-5, 0.736, 7.17e8, 1.030}},
    {"ampere", "trtllm-0.17", {0.653, 0.614, 0.857, 1.19e-5, 5.0e-3, 1e-3, 5e-5, 1.0, 0.514, 2e-5, 0.907, 5e8, 1.0}},
    // No vLLM or SGLang fit is shipped: their published rows (sglang-0.3, vllm-0.6 in the same file) give two to
    // four fit rows per GPU family, and fits on them predict held-out rows worse than the TensorRT-LLM fallback
    // (5-fold cross-validation, docs/model.md "Data and calibration"). A fit added here for them is picked up by
    // the version fallback below.
};

}  // namespace

InferenceCalibration default_inference_calibration(const GpuSpec& gpu, const std::string& engine) {
  check_serving_engine("engine", engine);
  // The GPU's own family (GpuSpec::family, the training model's vocabulary: ampere, hopper, ada, blackwell). A
  // family without a fit of its own is generic (""), and Hopper's TensorRT-LLM fit (newest architecture with
  // data) serves.
  std::string family;
  for (const Fit& f : kFits)
    if (gpu.family == f.family) family = gpu.family;
  // An engine without a fit of its own version ("trtllm-0.15", or "vllm" without one) falls back to the latest
  // fitted version of the same engine; plain "trtllm" has its own (static-batch) fit.
  const std::string base = engine.substr(0, engine.find('-'));
  bool own_fit = false;  // the word itself has a fit (plain "trtllm": the static-batch one) in some family
  for (const Fit& f : kFits) own_fit = own_fit || f.engine == engine;
  auto pick = [&](const std::string& fam) -> const Fit* {
    const Fit* best = nullptr;
    for (const Fit& f : kFits)  // kFits lists versions oldest first: the last match is the latest
      if (f.family == fam && std::string(f.engine).rfind(base + "-", 0) == 0 && (base != engine || !own_fit)) best = &f;
    for (const Fit& f : kFits)
      if (f.family == fam && f.engine == engine) best = &f;
    return best;
  };
  // This GPU family and engine, else Hopper's for the engine, else the family's TensorRT-LLM fit, else Hopper's.
  const Fit* fit = &kFits[0];
  for (const Fit& f : kFits)
    if (f.family == family && f.engine == std::string("trtllm")) fit = &f;
  if (const Fit* h = pick("hopper")) fit = h;
  if (const Fit* f = pick(family)) fit = f;
  InferenceCalibration c;
  c.gpu_family = family;
  c.engine = fit->engine;
  for (size_t i = 0; i < kNumFitted; ++i) c.*kFitted[i] = fit->values[i];
  set_engine_properties(c, engine);
  return c;
}

void set_engine_properties(InferenceCalibration& c, const std::string& engine) {
  if (engine == "fastertransformer") {
    c.attention_score_passes = 4;  // FT's GPT context attention is unfused
    // The fitted memory_overhead_bytes and request_memory_factor reproduce FT's measured usage, so the whole
    // memory is usable: FT's GPT-20B OOM entries fall between 79.7 GiB (ran) and 94.7 GiB (OOM) predicted.
    c.memory_fraction = 1.0;
  }
}

}  // namespace hp
