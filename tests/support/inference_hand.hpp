// Hand model of the inference roofline for tests/cpp/test_formula_inference*.cpp: biased_gqa() (tests/support/
// formula_models.hpp) under a given TP, each term written from its cited formula (sources in those files).
#pragma once

#include <algorithm>
#include <cmath>

#include "formula_models.hpp"
#include "hp/inference.hpp"

namespace hp_test {

inline hp::InferenceCalibration plain_inference_calibration() {
  hp::InferenceCalibration c;
  c.gemm_efficiency = 0.7;
  c.attention_efficiency = 0.3;
  c.memory_efficiency = 0.8;
  c.comm_efficiency = 0.75;
  c.allreduce_latency_s = 7e-6;
  c.internode_latency_s = 23e-6;
  c.layer_overhead_s = 11e-6;
  c.step_overhead_s = 130e-6;
  c.prefill_overhead_s = 1.7e-3;
  c.attention_score_passes = 0;
  c.kv_read_efficiency = 0.9;
  c.gqa_kv_reuse = 1.0;
  c.memory_overhead_bytes = 1.25e9;
  c.request_memory_factor = 1.0;
  c.memory_fraction = 0.95;
  return c;
}

// Thakur et al. 2005: the cheaper of ring and recursive doubling.
inline double allreduce(double bytes, int p, double bw, double alpha) {
  if (p <= 1) return 0;
  const double ring = 2.0 * (p - 1) * alpha + 2.0 * (p - 1) / p * bytes / bw;
  const double lg = std::ceil(std::log2(p));
  return std::min(ring, lg * alpha + lg * bytes / bw);
}

// Hand model of biased_gqa() (h 1024, 16 heads of 96, 4 K/V groups, SwiGLU 2816, biases, vocab 32000, 10 layers).
struct Hand {
  hp::GpuSpec g;
  hp::InferenceCalibration c;
  int tp = 4;
  double h = 1024, a = 16, kvg = 4, d = 96, F = 2816, V = 32000, L = 10;
  double wb = 2, kvb = 2;
  double qkv() const { return h * (a + 2 * kvg) * d + (a + 2 * kvg) * d; }
  double proj() const { return a * d * h + h; }
  double mlp() const { return 3 * h * F + 2 * F + h; }
  double layer_weights() const { return qkv() + proj() + mlp(); }
  double bw() const { return g.memory_bandwidth_bytes_per_s * c.memory_efficiency; }
  double nvl() const { return g.nvlink_bandwidth_bytes_per_s * c.comm_efficiency; }
  double peak = 0;  // GEMM peak; 0 = by weight bytes (FP8 for 1 B, else BF16)
  double gemm_peak() const {
    return (peak > 0 ? peak : wb == 1 ? g.peak_fp8_flops_per_s : g.peak_bf16_flops_per_s) * c.gemm_efficiency;
  }
  double kv_heads() const { return std::ceil(kvg / tp); }
  // One layer's GEMMs over `tokens` tokens.
  double gemm(double tokens) const {
    return std::max(2 * tokens * layer_weights() / tp / gemm_peak(), layer_weights() * wb / tp / bw());
  }
  // `s` new tokens per sequence attending to `ctx` keys on average.
  double context_attn(double b, double s, double ctx) const {
    const double heads = a / tp;
    const double bytes = b * s * (heads + 2 * kv_heads()) * d * 2 + c.attention_score_passes * b * heads * s * 2 * ctx * 2;
    return std::max(4 * b * s * ctx * heads * d / (g.peak_bf16_flops_per_s * c.attention_efficiency), bytes / bw());
  }
  double prefill_attn(double b, double s) const { return context_attn(b, s, (s + 1) / 2); }
  double decode_attn(double b, double ctx) const {
    const double heads = a / tp;
    const double read = kv_heads() + (1 - c.gqa_kv_reuse) * std::max(0.0, heads - kv_heads());
    return std::max(4 * b * ctx * heads * d / (g.peak_bf16_flops_per_s * c.attention_efficiency),
                    b * ctx * 2 * read * d * kvb / (bw() * c.kv_read_efficiency));
  }
  double comm(double tokens) const { return 2 * allreduce(tokens * h * 2, tp, nvl(), c.allreduce_latency_s); }
  double lm_head(double b) const {
    return std::max(2 * b * h * V / tp / (g.peak_bf16_flops_per_s * c.gemm_efficiency), h * V * 2 / tp / bw());
  }
};

inline hp::InferenceLayout layout(int tp, int pp, int batch, int in, int out) {
  hp::InferenceLayout l;
  l.tp = tp;
  l.pp = pp;
  l.batch_size = batch;
  l.input_len = in;
  l.output_len = out;
  l.weight_dtype = "bf16";
  return l;
}

}  // namespace hp_test
