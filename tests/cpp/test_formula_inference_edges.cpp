// Inference model edges (inference_model.cpp, issue 17 mutation testing): the GEMM peak of each weight format,
// MoE layer mixes with shared experts, the pipeline breakdowns, memory limits, T5's phases. Hand model and
// sources: tests/support/inference_hand.hpp, tests/cpp/test_formula_inference.cpp.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "hp/core.hpp"
#include "inference_hand.hpp"

namespace {
using hp_test::asym_gpu;
using hp_test::biased_gqa;
using hp_test::Hand;
using hp_test::layout;
using hp_test::plain_inference_calibration;
}  // namespace

TEST_CASE("inference GEMM peak by weight format: NVFP4, then FP8, then BF16 when the GPU lacks one", "[inference][formula]") {
  Hand x;
  x.c = plain_inference_calibration();
  x.c.memory_efficiency = 1e6;  // HBM out of the way: compute-bound GEMMs
  const hp::ModelSpec m = biased_gqa();
  hp::InferenceLayout l = layout(4, 1, 8, 500, 10);
  l.weight_dtype = "nvfp4";
  l.kv_cache_dtype = "bf16";
  for (int gpu = 0; gpu < 3; ++gpu) {
    x.g = asym_gpu();
    if (gpu >= 1) x.g.peak_fp4_flops_per_s = 0;
    if (gpu >= 2) x.g.peak_fp8_flops_per_s = 0;
    x.peak = gpu == 0 ? 4e15 : gpu == 1 ? 2e15 : 1e15;
    x.wb = 0.5 + 1.0 / 16;
    INFO("gpu " << gpu);
    const hp::InferenceEstimate e = hp::estimate_inference(m, l, x.g, x.c);
    CHECK(e.prefill_compute_s == Approx(x.L * (x.gemm(8 * 500) + x.prefill_attn(8, 500)) + x.lm_head(8)).epsilon(1e-12));
    CHECK(e.reason == (gpu == 0 ? hp::InferenceInfeasible::none : hp::InferenceInfeasible::fp4_unsupported));
  }
}

TEST_CASE("inference MoE: every other layer MoE with shared experts, in weights read and FLOPs", "[inference][formula]") {
  hp::ModelSpec m = biased_gqa();
  m.add_bias_linear = false;
  m.moe_num_experts = 8;
  m.moe_topk = 2;
  m.moe_ffn_hidden_size = 1024;
  m.moe_shared_expert_ffn_size = 512;
  m.moe_layer_freq = 2;
  Hand x;
  x.g = asym_gpu();
  x.c = plain_inference_calibration();
  const double h = 1024, attn = h * (16 + 8) * 96 + 16 * 96 * h;
  const double expert = 3 * h * 1024, shared = 3 * h * 512, router = h * 8, dense = 3 * h * 2816;
  // Half of the layers MoE (1 / freq): MLP weights all experts + shared + router there, the dense MLP elsewhere.
  const double total = 0.5 * (8 * expert + shared + router) + 0.5 * dense;
  const double active = 0.5 * (2 * expert + shared + router) + 0.5 * dense;
  // Decode of 1 sequence reads the active experts only (weight-read-bound at this GPU).
  x.g.peak_bf16_flops_per_s = 1e18;
  hp::InferenceEstimate e = hp::estimate_inference(m, layout(4, 1, 1, 50, 10), x.g, x.c);
  CHECK(e.decode_weights_s == Approx(10 * (attn + active) * 2 / 4 / x.bw() + x.lm_head(1)).epsilon(1e-12));
  // 400 sequences touch every expert: all of them are read.
  e = hp::estimate_inference(m, layout(4, 1, 400, 50, 10), x.g, x.c);
  CHECK(e.decode_weights_s == Approx(10 * (attn + total) * 2 / 4 / x.bw() + x.lm_head(400)).epsilon(1e-12));
  // Prefill GEMM FLOPs use the active weights (compute-bound with HBM out of the way).
  x.g = asym_gpu();
  x.c.memory_efficiency = 1e6;
  e = hp::estimate_inference(m, layout(4, 1, 4, 800, 10), x.g, x.c);
  const double gemm = 2 * 3200 * (attn + active) / 4 / (1e15 * x.c.gemm_efficiency);
  CHECK(e.prefill_compute_s == Approx(10 * (gemm + x.prefill_attn(4, 800)) + x.lm_head(4)).epsilon(1e-12));
}

TEST_CASE("inference pipeline breakdowns scale with the pipelined time", "[inference][formula]") {
  Hand x;
  x.g = asym_gpu();
  x.c = plain_inference_calibration();
  x.tp = 2;
  hp::InferenceLayout l = layout(2, 2, 8, 300, 40);
  l.gpus_per_node = 2;
  const hp::InferenceEstimate e = hp::estimate_inference(biased_gqa(), l, x.g, x.c);
  // Prefill: 4 micro-batches of 2; the compute share of one stage pass, times the pipelined time over 4 stage passes.
  const double pre_compute = 5 * (x.gemm(600) + x.prefill_attn(2, 300)) + x.lm_head(2) / 2;
  const double pre_stage = pre_compute + 5 * (x.comm(600) + x.c.layer_overhead_s);
  const double pre_scale = (e.ttft_s - x.c.prefill_overhead_s) / (pre_stage * 4);
  CHECK(e.prefill_compute_s == Approx(pre_compute * 4 * pre_scale).epsilon(1e-12));
  CHECK(pre_scale > 1);  // the pipeline fill and the sends
  // Decode: 2 micro-batches of 4 at context 300 + 40 / 2.
  const double w = 5 * x.gemm(4) + x.lm_head(4) / 2, kv = 5 * x.decode_attn(4, 320), oh = 5 * x.c.layer_overhead_s;
  const double stage = w + kv + oh + 5 * x.comm(4);
  const double scale = (e.tpot_s - x.c.step_overhead_s) / stage;
  CHECK(e.decode_weights_s == Approx(w * scale).epsilon(1e-12));
  CHECK(e.decode_kv_s == Approx(kv * scale).epsilon(1e-12));
  CHECK(e.overhead_s == Approx(oh * scale + x.c.step_overhead_s).epsilon(1e-12));
  CHECK(e.decode_comm_s == Approx(e.tpot_s - e.decode_weights_s - e.decode_kv_s - e.overhead_s).epsilon(1e-12));
  CHECK(e.num_gpus == 4);
  CHECK(e.throughput_per_gpu == Approx(8 / e.latency_s / 4).epsilon(1e-12));
}

TEST_CASE("inference memory limits: no room for one request, rotary positions have no length limit", "[inference][formula]") {
  hp::GpuSpec tiny = asym_gpu();
  tiny.memory_bytes = 1e9;  // below the 1.25 GB overhead
  const hp::InferenceEstimate e = hp::estimate_inference(biased_gqa(), layout(4, 1, 1, 100, 10), tiny, plain_inference_calibration());
  CHECK(e.max_batch_size == 0);
  CHECK(e.reason == hp::InferenceInfeasible::out_of_memory);
  CHECK_FALSE(e.fits);
  hp::ModelSpec rope = biased_gqa();
  rope.position_embedding = "rope";
  CHECK(hp::estimate_inference(rope, layout(4, 1, 1, 4000, 500), asym_gpu(), plain_inference_calibration()).reason ==
        hp::InferenceInfeasible::none);
}

TEST_CASE("inference T5: encoder prefill, decoder first step with cross-attention, decode over the input", "[inference][formula]") {
  const hp::ModelSpec m = hp_test::small_t5(6, 4, 512, 0);
  hp::GpuSpec g = asym_gpu();
  g.memory_bandwidth_bytes_per_s = 1e18;  // compute-bound everywhere: FLOPs decide
  const hp::InferenceCalibration c = plain_inference_calibration();
  const double h = 512, d = 64, heads = 8 / 2.0, F = 1536, V = 1000, in = 400, out = 50, b = 3;
  const double gemm_peak = 1e15 * c.gemm_efficiency, attn_peak = 1e15 * c.attention_efficiency;
  const double self = h * 3 * h + 3 * h + h * h + h + 2 * h * F + F + h;  // QKV, proj, GeLU MLP, with biases
  const double cross_q = 2 * h * h, cross_kv = 2 * h * h;
  const double nvl = 450e9 * c.comm_efficiency;
  auto ar = [&](double tokens) { return hp_test::allreduce(tokens * h * 2, 2, nvl, c.allreduce_latency_s); };
  const hp::InferenceEstimate e = hp::estimate_inference(m, layout(2, 1, 3, 400, 50), g, c);
  REQUIRE(e.reason == hp::InferenceInfeasible::none);
  // Prefill: 6 encoder layers over 3 x 400 tokens (bidirectional, 400 keys), then the decoder's first step: 1 token,
  // its cross-attention K/V built from the 400 encoder outputs. 10 layers weighted 6/10 and 4/10 per stage.
  const double enc = 2 * b * in * self / 2 / gemm_peak + 4 * b * in * in * heads * d / attn_peak;
  const double dec = (2 * b * (self + cross_q) / 2 + 2 * b * in * cross_kv / 2) / gemm_peak +
                     (4 * b * 1 * 1 * heads * d + 4 * b * 1 * in * heads * d) / attn_peak;
  const double head = 2 * b * h * V / 2 / gemm_peak;  // logits of one token per request
  CHECK(e.prefill_compute_s == Approx(10 * (0.6 * enc + 0.4 * dec) + head).epsilon(1e-9));
  const double comm = 10 * (0.6 * 2 * ar(b * in) + 0.4 * 3 * ar(b));
  CHECK(e.ttft_s == Approx(10 * (0.6 * enc + 0.4 * dec) + head + comm + 10 * c.layer_overhead_s + c.prefill_overhead_s)
                        .epsilon(1e-9));
  // Decode: 4 decoder layers, self-attention over out / 2 + 1 generated tokens, cross-attention over the input.
  const double ctx = out / 2 + 1;
  const double dstep = 2 * b * (self + cross_q) / 2 / gemm_peak + (4 * b * ctx * heads * d + 4 * b * in * heads * d) / attn_peak;
  CHECK(e.decode_weights_s + e.decode_kv_s == Approx(4 * dstep + head).epsilon(1e-9));
  CHECK(e.decode_comm_s == Approx(4 * 3 * ar(b)).epsilon(1e-9));
  // A one-token input still has its cross-attention all-reduce (three per decoder layer).
  CHECK(hp::estimate_inference(m, layout(2, 1, 3, 1, 50), g, c).decode_comm_s == Approx(4 * 3 * ar(b)).epsilon(1e-9));
}

TEST_CASE("inference limits and rules at their boundaries", "[inference][formula]") {
  Hand x;
  x.g = asym_gpu();
  x.c = plain_inference_calibration();
  x.tp = 2;
  const hp::ModelSpec m = biased_gqa();
  // getLocalBatchSize halves only while mbs x seq_len > 1024: 4 x 256 = 1024 stays 4 (2 micro-batches).
  hp::InferenceLayout l = layout(2, 2, 8, 256, 40);
  l.gpus_per_node = 2;
  const hp::InferenceEstimate e = hp::estimate_inference(m, l, x.g, x.c);
  const double stage = 5 * (x.gemm(1024) + x.prefill_attn(4, 256) + x.comm(1024) + x.c.layer_overhead_s) + x.lm_head(4) / 2;
  CHECK(e.ttft_s == Approx((2 + 2 - 1) * (stage + 23e-6 + 1024 * 1024 * 2 / (50e9 * 0.75)) + 1.7e-3).epsilon(1e-12));
  // Prompt and output lengths up to 2^24 tokens (docs/usage.md "Limits").
  hp::ModelSpec rope = m;
  rope.position_embedding = "rope";
  CHECK_NOTHROW(hp::estimate_inference(rope, layout(2, 1, 1, 1 << 24, 1 << 24), x.g, x.c));
  CHECK_THROWS_AS(hp::estimate_inference(rope, layout(2, 1, 1, (1 << 24) + 1, 1), x.g, x.c), hp::ConfigError);
  CHECK_THROWS_AS(hp::estimate_inference(rope, layout(2, 1, 1, 1, (1 << 24) + 1), x.g, x.c), hp::ConfigError);
  // The widest transient intermediate is the QKV output when the MLP is narrower: (16 + 2 x 4) x 96 / tp.
  hp::ModelSpec narrow = m;
  narrow.activation = "gelu";
  narrow.ffn_hidden_size = 1024;
  const hp::InferenceEstimate n = hp::estimate_inference(narrow, layout(2, 1, 3, 100, 10), x.g, x.c);
  CHECK(n.memory.activations_bytes == Approx(3 * (100 * (1024 + 24 * 96 / 2.0) * 2 + 32000 / 2.0 * 4)).epsilon(1e-14));
  // An engine without a fit anywhere (vLLM, SGLang: none shipped), with or without a version, takes the GPU
  // family's TensorRT-LLM fit; a version of an engine with fits takes its latest (tests/cpp/test_serving.cpp).
  hp::GpuSpec ampere = asym_gpu();
  ampere.family = "ampere";
  const auto t = hp::default_inference_calibration(ampere, "trtllm");
  for (const char* engine : {"vllm", "vllm-0.6", "sglang-0.3.2"}) {
    const auto v = hp::default_inference_calibration(ampere, engine);
    CHECK(v.engine == "trtllm");
    CHECK(v.gemm_efficiency == t.gemm_efficiency);
    CHECK(v.layer_overhead_s == t.layer_overhead_s);
  }
  CHECK(t.gpu_family == "ampere");
  // Unknown engine words are bad input naming the key, the value and the accepted engines.
  for (const char* bad : {"tgi", "vllm-", "vllm-v0.6", "trtllm-0.17x", "", "-0.6"})
    CHECK_THROWS_WITH(hp::default_inference_calibration(ampere, bad),
                      Catch::Contains(std::string("engine=") + bad) && Catch::Contains("trtllm, vllm, sglang or fastertransformer"));
  CHECK_NOTHROW(hp::check_serving_engine("k", "trtllm-0.6.1"));
}
