// The inference model (inference_model.cpp) pinned term by term to hand computations (issue 17, mutation
// testing), with tp != pp, g != a and d != h / a. Sources, as cited in docs/model.md "Inference":
//  - KV cache 2 (K and V) x tokens x K/V heads per GPU (ceil(g / t), replicated when g < t) x d per layer (Pope et
//    al. 2022, Section 2.2);
//  - GEMMs 2 FLOPs per weight per token (Kaplan et al. 2020, Table 1), weights read once per forward; attention
//    4 q ctx a d FLOPs (Narayanan et al. 2021, Appendix); each op the longer of compute and memory (roofline,
//    Williams et al. 2009);
//  - two TP all-reduces of [tokens, h] per layer (Shoeybi et al. 2019, Figure 4), the cheaper of ring
//    2 (p - 1) alpha + 2 (p - 1) / p n / B and recursive doubling lg p (alpha + n / B) (Thakur et al. 2005);
//  - FasterTransformer nccl_utils.cc getLocalBatchSize for the pipeline micro-batch, GPipe's (m + p - 1) stage
//    times (Huang et al. 2019); NeMo's nodes_necessary (nemo_autoconfigurator.md section 5.1).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "hp/core.hpp"
#include "inference_hand.hpp"

namespace {

using hp_test::allreduce;
using hp_test::asym_gpu;
using hp_test::biased_gqa;
using hp_test::Hand;
using hp_test::layout;
using hp_test::plain_inference_calibration;

}  // namespace

TEST_CASE("inference memory: weight shards, KV cache, activations and the largest batch", "[inference][formula]") {
  const hp::ModelSpec m = biased_gqa();
  const hp::GpuSpec g = asym_gpu();
  const hp::InferenceCalibration c = plain_inference_calibration();
  const hp::ParameterCount pc = hp::count_parameters(m);
  const double edge = double(pc.embedding + pc.position_embedding), out = double(pc.output_layer);
  const double body = double(pc.total) - edge - out;
  for (int tp : {4, 8}) {  // 4 K/V groups: 1 per GPU at tp 4, replicated (ceil(4 / 8) = 1) at tp 8
    INFO("tp " << tp);
    hp::InferenceLayout l = layout(tp, 1, 6, 700, 300);
    hp::InferenceEstimate e = hp::estimate_inference(m, l, g, c);
    CHECK(e.memory.weights_bytes == Approx(body / tp * 2 + (edge + out) / tp * 2).epsilon(1e-14));
    const double kv_token_layer = 2 * 1 * 96 * 2.0;
    const double kv_request = 10 * (700 + 300) * kv_token_layer;
    CHECK(e.memory.kv_cache_bytes == Approx(6 * kv_request).epsilon(1e-14));
    // Widest intermediate: the SwiGLU fc1 output 2F, or the QKV output (a + 2g) d, split by TP.
    const double widest = std::max(2.0 * 2816, (16 + 2 * 4) * 96.0) / tp;
    const double act = 700 * (1024 + widest) * 2 + 32000.0 / tp * 4;
    CHECK(e.memory.activations_bytes == Approx(6 * act).epsilon(1e-14));
    CHECK(e.memory.overhead_bytes == 1.25e9);
    CHECK(e.memory.total_bytes == Approx(e.memory.weights_bytes + 6 * (kv_request + act) + 1.25e9).epsilon(1e-14));
    const double free = 100e9 * 0.95 - e.memory.weights_bytes - 1.25e9;
    CHECK(e.max_batch_size == int(std::floor(free / (kv_request + act))));
    // Engines' extra per-request buffers scale KV and activations; the extra counts as activations.
    hp::InferenceCalibration big = c;
    big.request_memory_factor = 1.5;
    e = hp::estimate_inference(m, l, g, big);
    CHECK(e.memory.kv_cache_bytes == Approx(6 * kv_request).epsilon(1e-14));
    CHECK(e.memory.activations_bytes == Approx(6 * (1.5 * (kv_request + act) - kv_request)).epsilon(1e-14));
    CHECK(e.max_batch_size == int(std::floor(free / (1.5 * (kv_request + act)))));
  }
  // FP8 weights (1 B; the embedding and output layer stay 16-bit), FP8 KV cache; pp 2 keeps the larger of the first
  // stage's embeddings and the last stage's output layer.
  hp::InferenceLayout l = layout(4, 2, 6, 700, 300);
  l.weight_dtype = "fp8";
  l.gpus_per_node = 4;
  const hp::InferenceEstimate e = hp::estimate_inference(m, l, g, c);
  CHECK(e.memory.weights_bytes == Approx(body / 8 * 1 + std::max(edge, out) / 4 * 2).epsilon(1e-14));
  CHECK(e.memory.kv_cache_bytes == Approx(6 * 5 * 1000 * 2 * 1 * 96 * 1.0).epsilon(1e-14));  // 5 layers per stage
  // The OOM verdict: total above the usable share.
  hp::GpuSpec small = g;
  small.memory_bytes = (e.memory.total_bytes + 1e6) / 0.95;
  CHECK(hp::estimate_inference(m, l, small, c).fits);
  small.memory_bytes = (e.memory.total_bytes - 1e6) / 0.95;
  CHECK(hp::estimate_inference(m, l, small, c).reason == hp::InferenceInfeasible::out_of_memory);
}

TEST_CASE("inference memory: T5 decoder keeps its own K/V and the cross-attention K/V of the input", "[inference][formula]") {
  hp::ModelSpec m = hp_test::small_t5(6, 4, 2048, 0);
  m.num_query_groups = 2;  // self-attention K/V in 2 groups; the cross-attention keeps a K/V per head
  hp::InferenceLayout l = layout(2, 1, 3, 400, 50);
  const hp::InferenceEstimate e = hp::estimate_inference(m, l, asym_gpu(), plain_inference_calibration());
  const double d = 64;
  CHECK(e.memory.kv_cache_bytes == Approx(3 * 4 * (50 * 2 * 1 * d * 2 + 400 * 2 * (8 / 2) * d * 2)).epsilon(1e-14));
}

TEST_CASE("inference time: prefill and decode rooflines, all-reduces, overheads, latency", "[inference][formula]") {
  Hand x;
  x.c = plain_inference_calibration();
  const hp::ModelSpec m = biased_gqa();
  // Two GPUs: as made, and one whose HBM is so fast that every op is compute-bound (the other side of each max).
  for (double hbm : {3e12, 3e16}) {
    x.g = asym_gpu();
    x.g.memory_bandwidth_bytes_per_s = hbm;
    INFO("HBM " << hbm);
    const double b = 6, in = 700, out = 300;
    const hp::InferenceEstimate e = hp::estimate_inference(m, layout(4, 1, 6, 700, 300), x.g, x.c);
    REQUIRE(e.reason == hp::InferenceInfeasible::none);
    CHECK(e.num_gpus == 4);
    CHECK(e.num_nodes == 1);
    // Prefill: the batch's 6 x 700 tokens, causal attention over (700 + 1) / 2 keys on average.
    const double pre_compute = x.L * (x.gemm(b * in) + x.prefill_attn(b, in)) + x.lm_head(b);
    const double pre = pre_compute + x.L * (x.comm(b * in) + x.c.layer_overhead_s);
    CHECK(e.ttft_s == Approx(pre + x.c.prefill_overhead_s).epsilon(1e-12));
    CHECK(e.prefill_compute_s == Approx(pre_compute).epsilon(1e-12));
    CHECK(e.prefill_comm_s == Approx(e.ttft_s - pre_compute).epsilon(1e-12));
    // Decode: one token per request against the mean context 700 + 300 / 2.
    const double ctx = in + out / 2;
    CHECK(e.decode_weights_s == Approx(x.L * x.gemm(b) + x.lm_head(b)).epsilon(1e-12));
    CHECK(e.decode_kv_s == Approx(x.L * x.decode_attn(b, ctx)).epsilon(1e-12));
    CHECK(e.overhead_s == Approx(x.L * x.c.layer_overhead_s + x.c.step_overhead_s).epsilon(1e-12));
    CHECK(e.decode_comm_s == Approx(x.L * x.comm(b)).epsilon(1e-9));
    const double tpot = x.L * (x.gemm(b) + x.decode_attn(b, ctx) + x.comm(b) + x.c.layer_overhead_s) + x.lm_head(b) +
                        x.c.step_overhead_s;
    CHECK(e.tpot_s == Approx(tpot).epsilon(1e-12));
    CHECK(e.latency_s == Approx(e.ttft_s + (out - 1) * tpot).epsilon(1e-12));
    CHECK(e.throughput_per_gpu == Approx(b / e.latency_s / 4).epsilon(1e-12));
    CHECK(e.output_tokens_per_s == Approx(b * out / e.latency_s).epsilon(1e-12));
    CHECK(e.output_tokens_per_s_per_gpu == Approx(b * out / e.latency_s / 4).epsilon(1e-12));
  }
  // Unfused attention (FasterTransformer) writes and reads the score matrix; GQA kernels that re-read K/V per
  // query head; FP8 weights at the FP8 peak.
  x.g = asym_gpu();
  x.c.attention_score_passes = 4;
  x.c.gqa_kv_reuse = 0.25;
  x.wb = 1;
  x.kvb = 1;
  hp::InferenceLayout l = layout(4, 1, 6, 700, 300);
  l.weight_dtype = "fp8";
  const hp::InferenceEstimate e = hp::estimate_inference(m, l, x.g, x.c);
  CHECK(e.prefill_compute_s == Approx(x.L * (x.gemm(6 * 700) + x.prefill_attn(6, 700)) + x.lm_head(6)).epsilon(1e-12));
  CHECK(e.decode_kv_s == Approx(x.L * x.decode_attn(6, 850)).epsilon(1e-12));
  CHECK(e.decode_weights_s == Approx(x.L * x.gemm(6) + x.lm_head(6)).epsilon(1e-12));
}

TEST_CASE("inference time: pipeline micro-batches (FasterTransformer rule) and stage sends", "[inference][formula]") {
  Hand x;
  x.g = asym_gpu();
  x.c = plain_inference_calibration();
  x.tp = 2;
  const hp::ModelSpec m = biased_gqa();
  {  // tp x pp = 4 GPUs on nodes of 2: the stage sends cross nodes
    hp::InferenceLayout l = layout(2, 2, 8, 300, 40);
    l.gpus_per_node = 2;
    const hp::InferenceEstimate e = hp::estimate_inference(m, l, x.g, x.c);
    REQUIRE(e.reason == hp::InferenceInfeasible::none);
    CHECK(e.num_nodes == 2);
    const double bw = 50e9 * 0.75, alpha = 23e-6;
    // getLocalBatchSize: 8 / 2 = 4, then halved while local x 300 > 1024: 2 sequences, 4 micro-batches.
    const double mb = 2, n = 4;
    const double stage = 5 * (x.gemm(mb * 300) + x.prefill_attn(mb, 300) + x.comm(mb * 300) + x.c.layer_overhead_s) +
                         x.lm_head(mb) / 2;
    CHECK(e.ttft_s == Approx((n + 2 - 1) * (stage + alpha + mb * 300 * 1024 * 2 / bw) + 1.7e-3).epsilon(1e-12));
    // Decode: 8 / 2 = 4 sequences per micro-batch (4 x 1 <= 1024), 2 micro-batches.
    const double dstage = 5 * (x.gemm(4) + x.decode_attn(4, 320) + x.comm(4) + x.c.layer_overhead_s) + x.lm_head(4) / 2;
    CHECK(e.tpot_s == Approx((2 + 2 - 1) * (dstage + alpha + 4 * 1024 * 2 / bw) + 130e-6).epsilon(1e-12));
  }
  // An odd batch that pp does not divide stays whole: one micro-batch of 7.
  hp::InferenceLayout l = layout(2, 2, 7, 100, 40);
  l.gpus_per_node = 2;
  const hp::InferenceEstimate e = hp::estimate_inference(m, l, x.g, x.c);
  const double stage = 5 * (x.gemm(700) + x.prefill_attn(7, 100) + x.comm(700) + x.c.layer_overhead_s) + x.lm_head(7) / 2;
  CHECK(e.ttft_s == Approx((1 + 2 - 1) * (stage + 23e-6 + 700 * 1024 * 2 / (50e9 * 0.75)) + 1.7e-3).epsilon(1e-12));
}

TEST_CASE("in-flight batching step: decode and chunked prefill share one pass over the weights", "[inference][formula]") {
  Hand x;
  x.g = asym_gpu();
  x.c = plain_inference_calibration();
  x.tp = 2;
  const hp::ModelSpec m = biased_gqa();
  hp::InferenceStepLoad load;
  load.decode_seqs = 12;
  load.decode_ctx = 900;
  load.prefill_tokens = 500;
  load.prefill_ctx = 250.5;
  load.prefill_seqs = 2;
  for (int gpn : {2, 8}) {  // tp 2 x pp 2: the stage send crosses nodes of 2, stays inside a node of 8
    INFO("gpus per node " << gpn);
    hp::InferenceLayout l = layout(2, 2, 1, 100, 10);
    l.gpus_per_node = gpn;
    const double bw = (gpn == 8 ? 450e9 : 50e9) * 0.75, alpha = gpn == 8 ? 7e-6 : 23e-6;
    // Each of the 2 stages holds half of the sequences and runs its 5 layers over all their tokens.
    const double dec = 6, pre = 250, tokens = dec + pre;
    const double stage = 5 * (x.gemm(tokens) + x.comm(tokens) + x.c.layer_overhead_s + x.decode_attn(dec, 900) +
                              x.context_attn(1, pre, 250.5)) +
                         x.lm_head(dec + 1) / 2;
    CHECK(hp::inference_step_s(m, l, x.g, x.c, load) == Approx(2 * (stage + alpha + tokens * 1024 * 2 / bw) + 130e-6).epsilon(1e-12));
  }
  // One stage: no sends, the whole load.
  const double stage = 10 * (x.gemm(512) + x.comm(512) + x.c.layer_overhead_s + x.decode_attn(12, 900) +
                             x.context_attn(1, 500, 250.5)) + x.lm_head(14);
  CHECK(hp::inference_step_s(m, layout(2, 1, 1, 100, 10), x.g, x.c, load) == Approx(stage + 130e-6).epsilon(1e-12));
  CHECK(hp::inference_step_s(m, layout(2, 1, 1, 100, 10), x.g, x.c, hp::InferenceStepLoad{}) == 0);
}

TEST_CASE("inference all-reduce: ring vs recursive doubling, hierarchical across nodes", "[inference][formula]") {
  Hand x;
  x.g = asym_gpu();
  x.c = plain_inference_calibration();
  x.tp = 16;
  const hp::ModelSpec m = biased_gqa();
  hp::InferenceLayout l = layout(16, 1, 3, 50, 10);
  l.gpus_per_node = 8;
  for (double b : {3.0, 900.0}) {  // small messages: latency-bound; large: bandwidth-bound
    l.batch_size = int(b);
    const hp::InferenceEstimate e = hp::estimate_inference(m, l, x.g, x.c);
    REQUIRE(e.reason == hp::InferenceInfeasible::none);
    CHECK(e.num_nodes == 2);
    // Reduce-scatter and all-gather over NVLink inside the node, all-reduce of the 1/8 shard across 2 nodes, or
    // the flat algorithm over all 16 ranks at the inter-node cost, whichever is cheaper.
    const double bytes = b * 1024 * 2, nvl = 450e9 * 0.75, ib = 50e9 * 0.75;
    const double hier = 2 * (7 * 7e-6 + 7.0 / 8 * bytes / nvl) + allreduce(bytes / 8, 2, ib, 23e-6);
    const double one = std::min(hier, allreduce(bytes, 16, ib, 23e-6));
    CHECK(e.decode_comm_s == Approx(x.L * 2 * one).epsilon(1e-9));
  }
  // Inside one node, tp 4 and tp 8: the all-reduce formula itself.
  for (int tp : {4, 8}) {
    x.tp = tp;
    for (double b : {1.0, 4000.0}) {
      const hp::InferenceEstimate e = hp::estimate_inference(m, layout(tp, 1, int(b), 50, 10), x.g, x.c);
      CHECK(e.decode_comm_s == Approx(x.L * x.comm(b)).epsilon(1e-9));
    }
  }
}

TEST_CASE("inference MoE decode reads the experts the batch touches", "[inference][formula]") {
  hp::ModelSpec m = biased_gqa();
  m.add_bias_linear = false;
  m.moe_num_experts = 8;
  m.moe_topk = 2;
  m.moe_ffn_hidden_size = 1024;
  Hand x;
  x.g = asym_gpu();
  x.g.peak_bf16_flops_per_s = 1e18;  // decode GEMMs purely weight-read-bound
  x.c = plain_inference_calibration();
  const double h = 1024, attn = h * (16 + 8) * 96 + 16 * 96 * h, expert = 3 * h * 1024, router = h * 8;
  for (int b : {1, 3, 64}) {
    INFO("batch " << b);
    const hp::InferenceEstimate e = hp::estimate_inference(m, layout(4, 1, b, 50, 10), x.g, x.c);
    // Distinct experts hit by b x top-2 uniform routings: E (1 - (1 - k / E)^b); beyond the k active ones, the
    // share (touched - k) / (E - k) of the others is read too.
    const double touched = 8 * (1 - std::pow(1 - 2.0 / 8, b));
    const double read = attn + 2 * expert + router + 6 * expert * std::clamp((touched - 2) / 6, 0.0, 1.0);
    CHECK(e.decode_weights_s == Approx(10 * read * 2 / 4 / x.bw() + x.lm_head(b)).epsilon(1e-12));
  }
}

TEST_CASE("inference feasibility rules and NeMo's node count", "[inference][formula]") {
  const hp::ModelSpec m = biased_gqa();  // 16 heads, 10 layers, learned positions up to 4096
  const hp::GpuSpec g = asym_gpu();
  const hp::InferenceCalibration c = plain_inference_calibration();
  using R = hp::InferenceInfeasible;
  auto reason = [&](hp::InferenceLayout l) { return hp::estimate_inference(m, l, g, c).reason; };
  hp::InferenceLayout l = layout(3, 1, 1, 100, 10);
  CHECK(reason(l) == R::heads_not_divisible);
  l = layout(2, 3, 1, 100, 10);
  l.gpus_per_node = 2;
  CHECK(reason(l) == R::layers_not_divisible);
  l = layout(2, 2, 1, 100, 10);  // pp 2 with tp 2 < 8 GPUs per node: NeMo never pipelines partial nodes
  CHECK(reason(l) == R::partial_node_pipeline);
  l.gpus_per_node = 2;
  CHECK(reason(l) == R::none);
  l = layout(16, 1, 1, 100, 10);
  l.gpus_per_node = 6;  // 16 GPUs of TP are not whole nodes of 6
  CHECK(reason(l) == R::tp_not_node_multiple);
  l = layout(4, 1, 1, 4000, 96);  // 4096 positions: exactly fits
  CHECK(reason(l) == R::none);
  l.output_len = 97;
  CHECK(reason(l) == R::sequence_too_long);
  // NeMo's nodes_necessary: pp nodes inside one node's TP, else pp x tp / gpus_per_node.
  l = layout(4, 2, 1, 100, 10);
  l.gpus_per_node = 2;
  CHECK(hp::estimate_inference(m, l, g, c).num_nodes == 4);
  CHECK(hp::estimate_inference(m, l, g, c).num_gpus == 8);
  l.gpus_per_node = 4;
  CHECK(hp::estimate_inference(m, l, g, c).num_nodes == 2);
  // FP8 or NVFP4 on a GPU without them: the reason, still timed at the next format the GPU has.
  hp::GpuSpec old = g;
  old.peak_fp8_flops_per_s = 0;
  old.peak_fp4_flops_per_s = 0;
  l = layout(4, 1, 1, 100, 10);
  l.kv_cache_dtype = "fp8";
  hp::InferenceEstimate e = hp::estimate_inference(m, l, old, c);
  CHECK(e.reason == R::fp8_unsupported);
  CHECK(e.tpot_s > 0);
  l.kv_cache_dtype = "nvfp4";
  CHECK(hp::estimate_inference(m, l, old, c).reason == R::fp4_unsupported);
  CHECK(hp::estimate_inference(m, l, g, c).reason == R::none);
  // MoE: ep must divide the experts (bad input) and the TP size (an infeasible layout).
  hp::ModelSpec moe = m;
  moe.moe_num_experts = 6;
  moe.moe_topk = 2;
  l = layout(4, 1, 1, 100, 10);
  l.ep = 4;
  CHECK_THROWS_WITH(hp::estimate_inference(moe, l, g, c), Catch::StartsWith("ep=4"));
  l.ep = 2;
  CHECK(hp::estimate_inference(moe, l, g, c).reason == R::none);
  moe.moe_num_experts = 8;
  l.ep = 8;  // divides the experts, not tp 4
  CHECK(hp::estimate_inference(moe, l, g, c).reason == R::experts_not_divisible);
}

TEST_CASE("dtype sizes and the calibration fallbacks", "[inference][formula]") {
  CHECK(hp::dtype_bytes("k", "fp32") == 4);
  CHECK(hp::dtype_bytes("k", "Float32") == 4);
  CHECK(hp::dtype_bytes("k", "fp16") == 2);
  CHECK(hp::dtype_bytes("k", "float16") == 2);
  CHECK(hp::dtype_bytes("k", "BF16") == 2);
  CHECK(hp::dtype_bytes("k", "bfloat16") == 2);
  CHECK(hp::dtype_bytes("k", "fp8") == 1);
  CHECK(hp::dtype_bytes("k", "int8") == 1);
  // NVFP4: 4-bit values plus one FP8 scale per 16 (NVIDIA, "Introducing NVFP4", 2025).
  CHECK(hp::dtype_bytes("k", "nvfp4") == 0.5 + 1.0 / 16);
  CHECK(hp::dtype_bytes("k", "fp4") == 0.5 + 1.0 / 16);
  CHECK_THROWS_AS(hp::dtype_bytes("k", "fp6"), hp::ConfigError);

  hp::GpuSpec hopper = asym_gpu(), ada = asym_gpu(), blackwell = asym_gpu(), ampere = asym_gpu();
  hopper.family = "hopper";
  ada.family = "ada";
  blackwell.family = "blackwell";
  ampere.family = "ampere";
  auto same_fit = [](const hp::InferenceCalibration& a, const hp::InferenceCalibration& b) {
    return a.engine == b.engine && a.gemm_efficiency == b.gemm_efficiency && a.layer_overhead_s == b.layer_overhead_s &&
           a.memory_overhead_bytes == b.memory_overhead_bytes && a.request_memory_factor == b.request_memory_factor;
  };
  const auto h = hp::default_inference_calibration(hopper, "trtllm");
  CHECK(h.gpu_family == "hopper");
  CHECK(h.engine == "trtllm");
  // A family without a fit of its own (Blackwell) is generic and takes Hopper's TensorRT-LLM fit; Ada has fits only
  // for versioned engines, so plain trtllm falls back to Hopper's too.
  const auto b = hp::default_inference_calibration(blackwell, "trtllm");
  CHECK(b.gpu_family == "");
  CHECK(same_fit(b, h));
  const auto a = hp::default_inference_calibration(ada, "trtllm");
  CHECK(a.gpu_family == "ada");
  CHECK(same_fit(a, h));
  // An unfitted version takes the latest fitted version of the engine, the family's own before Hopper's.
  CHECK(same_fit(hp::default_inference_calibration(hopper, "trtllm-0.12"), hp::default_inference_calibration(hopper, "trtllm-0.17")));
  CHECK(hp::default_inference_calibration(hopper, "trtllm-0.12").engine == "trtllm-0.17");
  CHECK(hp::default_inference_calibration(ampere, "trtllm-0.12").engine == "trtllm-0.17");
  CHECK_FALSE(same_fit(hp::default_inference_calibration(ampere, "trtllm-0.12"), hp::default_inference_calibration(hopper, "trtllm-0.17")));
  CHECK(hp::default_inference_calibration(blackwell, "trtllm-0.14").engine == "trtllm-0.14");  // Hopper's
  // FasterTransformer: its own fit, unfused context attention (4 score passes), the whole memory usable.
  const auto ft = hp::default_inference_calibration(ampere, "fastertransformer");
  CHECK(ft.engine == "fastertransformer");
  CHECK(ft.attention_score_passes == 4);
  CHECK(ft.memory_fraction == 1.0);
  CHECK(h.attention_score_passes == 0);
  CHECK(h.memory_fraction == hp::InferenceCalibration{}.memory_fraction);
}
