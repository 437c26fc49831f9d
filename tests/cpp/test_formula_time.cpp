// Step time (perf_time.cpp) pinned term by term to hand computations (issue 17, mutation testing) on an
// asymmetric layout: tp 2, pp 3, cp 2, dp 4, 8 micro-batches of 2 sequences, a made-up GPU whose rates all differ.
// Sources, as cited in docs/model.md "Step time":
//  - GEMM FLOPs 2 per multiply-add, backward 2x forward (3 passes; 2 with frozen LoRA weights), one more forward
//    per recomputed layer (Korthikanti et al. 2022, Section 5); attention core 4 s s' a d per layer, halved by the
//    causal mask; fused attention 3.5 passes (its backward recomputes QK^T and softmax).
//  - Narayanan et al. 2021 (arXiv 2104.04473): bubble (p - 1) / v micro-batch times (Section 2.2), pipeline
//    messages [s, b, h] split over TP (Section 4.1); Megatron TP: 4 all-reduces of [s, b, h] per layer (2 forward,
//    2 backward; Shoeybi et al. 2019 Figure 4).
//  - Ring collectives (NCCL performance notes): all-reduce 2 (n - 1) / n, reduce-scatter / all-gather (n - 1) / n of
//    the message per GPU; a group spread over NVLink domains runs at q x the scale-out bandwidth, q members per
//    domain, capped by NVLink.
//  - Roofline memory term (Williams et al. 2009) for element-wise work and the Adam step (30 B per parameter).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "formula_models.hpp"
#include "perf_shape.hpp"

namespace {

using hp_test::asym_gpu;
using hp_test::asym_layout;
using hp_test::biased_gqa;
namespace d = hp::detail;

// Efficiencies all different and no size dependence (gemm_half_size_flops 0), so each term is a plain ratio.
hp::Calibration plain_calibration() {
  hp::Calibration c;
  c.gemm_efficiency = 0.6;
  c.fp8_gemm_efficiency = 0.55;
  c.gemm_half_size_flops = 0;
  c.attention_efficiency = 0.4;
  c.comm_efficiency = 0.9;
  c.elementwise_passes = 0;
  c.tp_overlap_exposed_fraction = 0.35;
  c.step_overhead_s = 0.02;
  return c;
}

// The hand model of one micro-batch on one GPU of biased_gqa() under asym_layout().
struct Hand {
  double tokens = 4096 / 2 * 2;  // s / cp x mbs
  double h = 1024, q = 1536, kv = 384, F = 2816, V = 32000, t = 2, layers = 4, m = 8;
  double gemm_flops() const { return 2 * tokens * (h * (2 * q + 2 * kv) + 3 * h * F) / t; }  // QKV, proj, SwiGLU MLP
  double attn_flops() const { return 4 * tokens * 4096 * q * 0.5 / t; }  // against all 4096 keys, causal
  double logits_flops() const { return 2 * tokens * h * V / t; }
};

// biased_gqa() with 12 layers, every other one MoE (16 bias-free experts of width 512, top-3), on tp 2, pp 3, dp 8,
// ep 4 (8 micro-batches of 2).
hp::ModelSpec moe_model() {
  hp::ModelSpec m = biased_gqa();
  m.num_layers = 12;
  m.add_bias_linear = false;
  m.moe_num_experts = 16;
  m.moe_topk = 3;
  m.moe_ffn_hidden_size = 512;
  m.moe_layer_freq = 2;  // 6 of 12 layers
  return m;
}
hp::Layout moe_layout() {
  hp::Layout l = asym_layout();
  l.cp = 1;
  l.num_gpus = 48;
  l.gbs = 128;
  l.ep = 4;
  l.etp = 1;
  return l;
}

hp::TimeBreakdown time_of(const hp::ModelSpec& m, const hp::Layout& l, const hp::GpuSpec& g, const hp::Calibration& c,
                          double* hw = nullptr) {
  return d::step_time(d::make_shape(m, l), l, g, c, hw);
}

}  // namespace

TEST_CASE("compute: GEMM, attention and logit passes over their peaks, hardware FLOPs", "[perf][time][formula]") {
  const hp::GpuSpec g = asym_gpu();
  const hp::Calibration c = plain_calibration();
  const Hand x;
  hp::Layout l = asym_layout();
  double hw = 0;
  hp::TimeBreakdown t = time_of(biased_gqa(), l, g, c, &hw);
  const double gemm = x.gemm_flops() / (1e15 * 0.6), attn = x.attn_flops() / (1e15 * 0.4);
  const double logits = 3 * x.logits_flops() / (1e15 * 0.6);
  // The last stage (4 layers + logits) is the busiest of the three.
  CHECK(t.compute_s == Approx(x.m * (x.layers * (3 * gemm + 3.5 * attn) + logits)).epsilon(1e-12));
  // All GPUs, one step: m micro-batches x pp stages x layers, logits once per micro-batch; x tp cp dp GPUs.
  CHECK(hw == Approx((x.m * x.layers * (3 * x.gemm_flops() + 3.5 * x.attn_flops()) * 3 + x.m * 3 * x.logits_flops()) *
                     2 * 2 * 4).epsilon(1e-12));
  CHECK(t.overhead_s == 0.02);

  // Full recompute of 3 of the 4 layers on 2 of the 8 micro-batches: one more forward for 3/4 x 2/8 of them.
  l.recompute = hp::Recompute::full;
  l.recompute_num_layers = 3;
  l.recompute_micro_batches = 2;
  const double r = 0.75 * 0.25;
  t = time_of(biased_gqa(), l, g, c, &hw);
  CHECK(t.compute_s == Approx(x.m * (x.layers * ((3 + r) * gemm + (3.5 + r) * attn) + logits)).epsilon(1e-12));
  CHECK(hw == Approx((x.m * x.layers * ((3 + r) * x.gemm_flops() + (3.5 + r) * x.attn_flops()) * 3 +
                      x.m * 3 * x.logits_flops()) * 16).epsilon(1e-12));

  // Unfused attention: 3 passes, one more under selective recompute (it recomputes the scores).
  l.recompute = hp::Recompute::selective;
  l.flash_attention = false;
  t = time_of(biased_gqa(), l, g, c);
  CHECK(t.compute_s == Approx(x.m * (x.layers * (3 * gemm + 4 * attn) + logits)).epsilon(1e-12));
  l.recompute = hp::Recompute::none;
  t = time_of(biased_gqa(), l, g, c);
  CHECK(t.compute_s == Approx(x.m * (x.layers * (3 * gemm + 3 * attn) + logits)).epsilon(1e-12));

  // LoRA: no weight-gradient GEMM (2 passes).
  l.flash_attention = true;
  l.lora = true;
  t = time_of(biased_gqa(), l, g, c);
  CHECK(t.compute_s == Approx(x.m * (x.layers * (2 * gemm + 3.5 * attn) + logits)).epsilon(1e-12));

  // FP8: GEMMs at the FP8 peak and efficiency; attention stays BF16.
  l.lora = false;
  l.precision = hp::Precision::fp8_delayed;
  t = time_of(biased_gqa(), l, g, c);
  const double gemm8 = x.gemm_flops() / (2e15 * 0.55), logits8 = 3 * x.logits_flops() / (2e15 * 0.55);
  CHECK(t.compute_s == Approx(x.m * (x.layers * (3 * gemm8 + 3.5 * attn) + logits8)).epsilon(1e-12));
}

TEST_CASE("GEMM efficiency curve e x / (x + x_half) over one layer's GEMMs", "[perf][time][formula]") {
  const hp::GpuSpec g = asym_gpu();
  hp::Calibration c = plain_calibration();
  c.gemm_half_size_flops = 3e11;
  c.attention_efficiency = 1e9;  // attention time ~ 0, so only the GEMMs are left
  const Hand x;
  hp::Layout l = asym_layout();
  l.pp = 1;
  l.num_gpus = 16;  // tp 2, cp 2, dp 4
  const hp::TimeBreakdown t = time_of(biased_gqa(), l, g, c);
  // 10 layers, each micro-batch's GEMMs sized by one layer's forward FLOPs; the logits by their own forward.
  const double gemm = 10 * 3 * x.gemm_flops() / (1e15 * 0.6) * (1 + 3e11 / x.gemm_flops());
  const double logits = 3 * x.logits_flops() / (1e15 * 0.6) * (1 + 3e11 / x.logits_flops());
  const double attn = 10 * 3.5 * x.attn_flops() / (1e15 * 1e9);
  CHECK(t.compute_s == Approx(x.m * (gemm + attn + logits)).epsilon(1e-12));
}

TEST_CASE("element-wise work: passes x bytes of the hidden and MLP tensors over HBM, quantization passes", "[perf][time][formula]") {
  hp::GpuSpec g = asym_gpu();
  g.peak_fp4_flops_per_s = g.peak_fp8_flops_per_s;  // every low-precision recipe at the same GEMM rate
  hp::Calibration c = plain_calibration();
  const Hand x;
  hp::Layout l = asym_layout();
  // One layer's element-wise bytes: 2 B x tokens x (h / t with SP + (3 - 1) F / t of the gated MLP).
  const double bytes = 2 * x.tokens * (x.h / 2 + 2 * x.F / 2);
  const double per_pass = x.m * x.layers * bytes / 3e12;
  const double base = time_of(biased_gqa(), l, g, c).compute_s;
  c.elementwise_passes = 7;
  CHECK(time_of(biased_gqa(), l, g, c).compute_s - base == Approx(7 * per_pass).epsilon(1e-9));
  // Recompute repeats a third of them (the forward's share) for the recomputed layers.
  l.recompute = hp::Recompute::full;
  const double full_base = [&] { hp::Calibration z = c; z.elementwise_passes = 0; return time_of(biased_gqa(), l, g, z).compute_s; }();
  CHECK(time_of(biased_gqa(), l, g, c).compute_s - full_base == Approx(7 * per_pass * (1 + 1.0 / 3)).epsilon(1e-9));
  l.recompute = hp::Recompute::none;
  // Quantization passes on top (Transformer Engine recipes): delayed 0, current 2, MXFP8 2, NVFP4 4.
  l.precision = hp::Precision::fp8_delayed;
  const double delayed = time_of(biased_gqa(), l, g, c).compute_s;
  l.precision = hp::Precision::fp8_current;
  CHECK(time_of(biased_gqa(), l, g, c).compute_s - delayed == Approx(2 * per_pass).epsilon(1e-9));
  l.precision = hp::Precision::mxfp8;
  CHECK(time_of(biased_gqa(), l, g, c).compute_s - delayed == Approx(2 * per_pass).epsilon(1e-9));
  l.precision = hp::Precision::nvfp4;
  CHECK(time_of(biased_gqa(), l, g, c).compute_s - delayed == Approx(4 * per_pass).epsilon(1e-9));
  // Without SP the hidden-size tensors are whole on every TP rank.
  l.precision = hp::Precision::bf16;
  l.sequence_parallel = false;
  const double no_sp = time_of(biased_gqa(), l, g, c).compute_s;
  c.elementwise_passes = 0;
  CHECK(no_sp - time_of(biased_gqa(), l, g, c).compute_s ==
        Approx(7 * x.m * x.layers * 2 * x.tokens * (x.h + 2 * x.F / 2) / 3e12).epsilon(1e-9));
}

TEST_CASE("TP, CP, PP communication and the bubble by hand", "[perf][time][formula]") {
  const hp::GpuSpec g = asym_gpu();
  const hp::Calibration c = plain_calibration();
  const Hand x;
  hp::Layout l = asym_layout();
  hp::TimeBreakdown t = time_of(biased_gqa(), l, g, c);
  // TP: 4 all-reduces per layer of 2 B x tokens x h, ring 2 (t - 1) / t, over NVLink (2 ranks in a domain).
  const double collective = 2 * (2 - 1) / 2.0 * 2 * x.tokens * x.h / (450e9 * 0.9);
  CHECK(t.tp_comm_s == Approx(x.m * x.layers * 4 * collective).epsilon(1e-12));
  // CP: K and V (2 B x tokens x g d / t each) pass cp - 1 ring steps, 3 passes; overlapped with attention except
  // the last hop and the per-step launch latency (10 us).
  const double kv = 2 * 2 * x.tokens * x.kv / 2, bw = 450e9 * 0.9;  // t x cp = 4 GPUs: one NVLink domain
  const double attn = x.layers * 3.5 * x.attn_flops() / (1e15 * 0.4);
  const double cp = std::max(0.0, x.layers * 3 * (2 - 1) * kv / bw - attn) + x.layers * (kv / bw + 3 * 2 * 10e-6);
  CHECK(t.cp_comm_s == Approx(x.m * cp).epsilon(1e-12));
  // PP: activation forward and gradient backward, 2 B x tokens x h / t, over the scale-out link (48 GPUs).
  CHECK(t.pp_comm_s == Approx(2 * 1 * x.m * (2 * x.tokens * x.h / 2) / (50e9 * 0.9)).epsilon(1e-12));
  // Bubble: (p - 1) / v micro-batch times.
  CHECK(t.bubble_s == Approx(2.0 * (t.compute_s + t.tp_comm_s + t.cp_comm_s) / x.m).epsilon(1e-12));
  CHECK(t.ep_comm_s == 0);

  // Full recompute: 2 more all-reduces per layer; TP overlap leaves the exposed fraction.
  l.recompute = hp::Recompute::full;
  l.tp_comm_overlap = true;
  t = time_of(biased_gqa(), l, g, c);
  CHECK(t.tp_comm_s == Approx(0.35 * x.m * x.layers * 6 * collective).epsilon(1e-12));

  // Interleaved (vp 2, 20 layers): the bubble halves; pipeline messages per model chunk; one node: NVLink.
  hp::ModelSpec m = biased_gqa();
  m.num_layers = 12;
  l = asym_layout();
  l.vp = 2;
  l.cp = 1;
  l.num_gpus = 6;  // tp 2, pp 3, dp 1: one NVLink domain
  l.gbs = 10;      // 5 micro-batches of 2
  t = time_of(m, l, g, c);
  CHECK(t.bubble_s == Approx((3 - 1) / 2.0 * (t.compute_s + t.tp_comm_s) / 5).epsilon(1e-12));
  CHECK(t.pp_comm_s == Approx(2 * 2 * 5 * (2 * 4096 * 2 * x.h / 2) / (450e9 * 0.9)).epsilon(1e-12));
  CHECK(t.dp_comm_s == 0);  // dp 1: nothing to reduce
}

TEST_CASE("DP gradient reduce and parameter gather, overlap windows, optimizer step", "[perf][time][formula]") {
  const hp::GpuSpec g = asym_gpu();
  const hp::Calibration c = plain_calibration();
  const Hand x;
  hp::Layout l = asym_layout();
  l.overlap_grad_reduce = false;
  l.overlap_param_gather = false;
  const d::StageParams p = d::stage_params(d::make_shape(biased_gqa(), l), 0);
  // DP group: 4 ranks, tp x cp = 4 apart: 2 per NVLink domain, so 2 NICs' worth of scale-out (< NVLink).
  const double bw = std::min(450e9, 2 * 50e9) * 0.9;
  auto ring = [](double params, double n, double bytes) { return (n - 1) / n * params * bytes; };
  // Distributed optimizer: reduce-scatter of bf16 gradients, all-gather of bf16 parameters, over DP x CP = 8.
  hp::TimeBreakdown t = time_of(biased_gqa(), l, g, c);
  CHECK(t.dp_comm_s == Approx((ring(p.dense, 8, 2) + ring(p.dense, 8, 2)) / bw).epsilon(1e-12));
  CHECK(t.optimizer_s == Approx(30 * p.dense / 8 / 3e12).epsilon(1e-12));
  CHECK(t.step_time_s == Approx(t.compute_s + t.tp_comm_s + t.cp_comm_s + t.ep_comm_s + t.bubble_s + t.pp_comm_s +
                                t.dp_comm_s + t.fsdp_comm_s + t.offload_s + t.optimizer_s + t.overhead_s).epsilon(1e-12));
  // fp32 gradients: 4 B reduced.
  l.grad_reduce_in_fp32 = true;
  t = time_of(biased_gqa(), l, g, c);
  CHECK(t.dp_comm_s == Approx((ring(p.dense, 8, 4) + ring(p.dense, 8, 2)) / bw).epsilon(1e-12));
  // Plain optimizer: an all-reduce (twice the reduce-scatter), no gather; the step over the whole stage.
  l.distributed_optimizer = false;
  t = time_of(biased_gqa(), l, g, c);
  CHECK(t.dp_comm_s == Approx(2 * ring(p.dense, 8, 4) / bw).epsilon(1e-12));
  CHECK(t.optimizer_s == Approx(30 * p.dense / 3e12).epsilon(1e-12));
  // Overlap hides the reduce behind one micro-batch's backward (2 forward windows) and the gather behind a forward.
  l.distributed_optimizer = true;
  l.grad_reduce_in_fp32 = false;
  l.overlap_grad_reduce = true;
  l.overlap_param_gather = true;
  hp::Calibration slow = c;
  slow.comm_efficiency = 0.002;  // so that the collectives outlast the windows
  const double slow_bw = std::min(450e9, 2 * 50e9) * 0.002;
  const double fwd = x.layers * (x.gemm_flops() / (1e15 * 0.6) + x.attn_flops() / (1e15 * 0.4));
  t = time_of(biased_gqa(), l, g, slow);
  CHECK(t.dp_comm_s == Approx(ring(p.dense, 8, 2) / slow_bw - 2 * fwd + ring(p.dense, 8, 2) / slow_bw - fwd).epsilon(1e-9));
  // FSDP: every micro-batch gathers parameters twice and reduce-scatters gradients; what exceeds the compute
  // shows, plus the first layer's gather.
  l.fsdp = true;
  t = time_of(biased_gqa(), l, g, c);
  const double gather = ring(p.dense, 8, 2) / bw, scatter = ring(p.dense, 8, 2) / bw;
  const double compute_mb = t.compute_s / x.m;
  CHECK(t.fsdp_comm_s == Approx(x.m * (std::max(0.0, 2 * gather + scatter - compute_mb) + gather / x.layers)).epsilon(1e-12));
  CHECK(t.step_time_s == Approx(t.compute_s + t.tp_comm_s + t.cp_comm_s + t.bubble_s + t.pp_comm_s + t.fsdp_comm_s +
                                t.optimizer_s + t.overhead_s).epsilon(1e-12));
  CHECK(t.dp_comm_s == 0);
  CHECK(t.optimizer_s == Approx(30 * p.dense / 8 / 3e12).epsilon(1e-12));
}

TEST_CASE("EP all-to-all, all-gather and flex dispatchers, activation offload", "[perf][time][formula]") {
  hp::GpuSpec g = asym_gpu();
  const hp::Calibration c = plain_calibration();
  const hp::ModelSpec m = moe_model();
  hp::Layout l = moe_layout();
  const double tokens = 4096 * 2 / 2.0;  // per TP rank with SP
  const double moe_layers = 4 * 6 / 12.0, h = 1024;
  // EP group of 4, tp = 2 apart: 8 GPUs, one NVLink domain.
  const double a2a = (4 - 1) / 4.0 * tokens * 3 * h * 2 / (450e9 * 0.9);
  hp::TimeBreakdown t = time_of(m, l, g, c);
  CHECK(t.ep_comm_s == Approx(8 * moe_layers * 4 * a2a).epsilon(1e-12));
  l.moe_dispatcher = hp::MoeDispatcher::allgather;  // every token of the other ranks, no top-k copies
  t = time_of(m, l, g, c);
  CHECK(t.ep_comm_s == Approx(8 * moe_layers * 4 * (3 * tokens * h * 2 / (450e9 * 0.9))).epsilon(1e-12));
  // Flex across NVLink domains of 2: 4 domains; a token goes once to each of min(topk, 4) = 3 domains, 3/4 of
  // them remote, over the scale-out link; the NVLink all-to-all is faster here.
  g.nvlink_domain_size = 2;
  l.moe_dispatcher = hp::MoeDispatcher::flex;
  t = time_of(m, l, g, c);
  const double inter = tokens * h * 2 * 3 * (4 - 1) / 4.0 / (50e9 * 0.9);
  CHECK(t.ep_comm_s == Approx(8 * moe_layers * 4 * std::max(inter, a2a)).epsilon(1e-12));
  // With CP 2 (96 GPUs, dp 8): each CP rank routes its 2048 tokens (1024 per TP rank); the EP group is 4 ranks
  // tp x cp = 4 apart, 2 per NVLink domain of 8: of what a rank sends, 1 of its 3 peers is in its domain
  // (NVLink) and 2/3 of the bytes leave through its own NIC (an all-to-all cannot pool NICs as a ring does);
  // flex sees tp cp ep / 8 = 2 domains: a token goes to min(topk, 2) = 2 of them, half remote.
  {
    hp::Layout lc = moe_layout();
    lc.cp = 2;
    lc.num_gpus = 96;
    const double local = 4096 * 2 / 2.0 / 2;
    CHECK(time_of(m, lc, asym_gpu(), c).ep_comm_s ==
          Approx(8 * moe_layers * 4 * (2.0 / 3 * 0.75 * local * 3 * h * 2 / (50e9 * 0.9))).epsilon(1e-12));
    lc.moe_dispatcher = hp::MoeDispatcher::flex;
    CHECK(time_of(m, lc, asym_gpu(), c).ep_comm_s ==
          Approx(8 * moe_layers * 4 * (local * h * 2 * 2 * 0.5 / (50e9 * 0.9))).epsilon(1e-12));
  }
  // Full recompute repeats the forward's two all-to-alls.
  l.recompute = hp::Recompute::full;
  t = time_of(m, l, g, c);
  CHECK(t.ep_comm_s == Approx(8 * moe_layers * 6 * std::max(inter, a2a)).epsilon(1e-12));
  CHECK(t.moe_dispatch_s == t.ep_comm_s);

  // Offload 3 layers of a stage: 2 x 3 layers' activations over the host link beyond the micro-batch's compute.
  g = asym_gpu();
  g.host_bandwidth_bytes_per_s = 1e8;  // slow, so the transfer shows
  hp::Layout o = asym_layout();
  o.activation_offload_layers = 3;
  const d::Shape s = d::make_shape(biased_gqa(), o);
  t = time_of(biased_gqa(), o, g, c);
  CHECK(t.offload_s == Approx(8 * (2 * 3 * d::layer_activation_bytes(s, o) / 1e8 - t.compute_s / 8)).epsilon(1e-12));
  CHECK(t.step_time_s == Approx(t.compute_s + t.tp_comm_s + t.cp_comm_s + t.ep_comm_s + t.bubble_s + t.pp_comm_s +
                                t.dp_comm_s + t.fsdp_comm_s + t.offload_s + t.optimizer_s + t.overhead_s).epsilon(1e-12));
  o.activation_offload_layers = 9;  // capped at the stage's 4 layers
  t = time_of(biased_gqa(), o, g, c);
  CHECK(t.offload_s == Approx(8 * (2 * 4 * d::layer_activation_bytes(s, o) / 1e8 - t.compute_s / 8)).epsilon(1e-12));
}

TEST_CASE("MoE compute: grouped expert GEMM with 128-row tile quantization, router and shared experts, DP of experts",
          "[perf][time][formula]") {
  hp::GpuSpec g = asym_gpu();
  hp::Calibration c = plain_calibration();
  c.attention_efficiency = 1e15;  // attention ~ 0: GEMMs only
  hp::ModelSpec m = moe_model();
  m.moe_shared_expert_ffn_size = 768;
  hp::Layout l = moe_layout();
  l.overlap_grad_reduce = false;
  l.overlap_param_gather = false;
  const double tokens = 4096 * 2, h = 1024, q = 1536, kv = 384, share = 0.5;
  // Dense GEMMs of an average layer: attention projections, the dense MLP on half of the layers, router and
  // shared experts on the other half.
  const double dense = 2 * tokens * (h * (2 * q + 2 * kv) + (1 - share) * 3 * h * 2816 + share * (3 * h * 768 + h * 16)) / 2;
  // Routed: tokens x topk through Fe-wide SwiGLU experts, over TP; rows per expert ep x tokens x topk / E = 6144:
  // 48 full 128-row tiles.
  const double expert = share * 2 * tokens * 3 * 3 * h * 512 / 2;
  hp::TimeBreakdown t = time_of(m, l, g, c);
  const double logits = 3 * 2 * tokens * h * 32000 / 2 / (1e15 * 0.6);
  // Permute / unpermute with the alltoall dispatcher: 4 copies of the topk routed token copies per direction,
  // each a read and a write of bf16 [tokens x topk / t, h], forward and backward, on the MoE share of the
  // stage's layers, over HBM (3 TB/s): independent of the calibrated element-wise passes.
  auto permute = [&](double toks, double layers, double moe_share, double copies) {
    return 8 * layers * moe_share * toks * 3 * h / 2 * 2 * 2 * copies * 2 / 3e12;
  };
  CHECK(t.moe_permute_s == Approx(permute(tokens, 4, share, 4)).epsilon(1e-9));
  CHECK(t.compute_s == Approx(8 * (4 * 3 * (dense + expert) / (1e15 * 0.6) + logits) + t.moe_permute_s).epsilon(1e-9));
  // Named MoE parts (inside compute_s): router and shared experts at the dense GEMM rate, the expert GEMM.
  const double per_flop = 4 * 3 / (1e15 * 0.6);  // seconds per forward dense GEMM FLOP of a stage, 3 passes
  CHECK(t.moe_router_s == Approx(8 * share * per_flop * (2 * tokens / 2) * h * 16).epsilon(1e-9));
  CHECK(t.moe_shared_expert_s == Approx(8 * share * per_flop * (2 * tokens / 2) * 3 * h * 768).epsilon(1e-9));
  CHECK(t.moe_expert_gemm_s == Approx(8 * 4 * 3 * expert / (1e15 * 0.6)).epsilon(1e-9));
  CHECK(t.moe_dispatch_s == t.ep_comm_s);
  // Tile quantization: 2 sequences of 40 tokens -> rows per expert 4 x 80 x 3 / 16 = 60 of a 128-row tile.
  m.seq_length = m.max_position_embeddings = 40;
  t = time_of(m, l, g, c);
  const double small_dense = dense * 80 / tokens, small_expert = expert * 80 / tokens;
  const double small_logits = logits * 80 / tokens;
  CHECK(t.moe_expert_gemm_s == Approx(8 * 4 * 3 * small_expert / (1e15 * 0.6 * (60.0 / 128))).epsilon(1e-9));
  CHECK(t.compute_s == Approx(8 * (4 * 3 * small_dense / (1e15 * 0.6) + 4 * 3 * small_expert / (1e15 * 0.6 * (60.0 / 128)) +
                                   small_logits) + permute(80, 4, share, 4)).epsilon(1e-6));
  // A single MoE layer (pp 1): the router and shared experts replace the dense MLP entirely.
  hp::ModelSpec one = m;
  one.num_layers = 1;
  one.moe_layer_freq = 1;
  hp::Layout lone = l;
  lone.pp = 1;
  lone.num_gpus = 16;  // dp 8
  t = time_of(one, lone, g, c);
  const double one_dense = 2 * 80 * (h * (2 * q + 2 * kv) + 3 * h * 768 + h * 16) / 2;
  const double one_expert = 2 * 80 * 3 * 3 * h * 512 / 2;
  CHECK(t.compute_s == Approx(8 * (3 * one_dense / (1e15 * 0.6) + 3 * one_expert / (1e15 * 0.6 * (60.0 / 128)) +
                                   small_logits) + permute(80, 1, 1, 4)).epsilon(1e-6));
  // The calibrated element-wise passes do not scale the permute copies; flex (DeepEP / HybridEP) fuses the
  // global permute into its communication kernel and allgather permutes locally only: 2 copies per direction.
  c.elementwise_passes = 5;
  t = time_of(m, l, g, c);
  CHECK(t.moe_permute_s == Approx(permute(80, 4, share, 4)).epsilon(1e-9));
  for (auto dispatcher : {hp::MoeDispatcher::flex, hp::MoeDispatcher::allgather}) {
    hp::Layout lf = l;
    lf.moe_dispatcher = dispatcher;
    CHECK(time_of(m, lf, g, c).moe_permute_s == Approx(permute(80, 4, share, 2)).epsilon(1e-9));
  }
  // Data parallel: dense state over dp 8, experts over expert-DP = 8 x 2 / 4 = 4 (no CP).
  m.seq_length = m.max_position_embeddings = 4096;
  const d::StageParams p = d::stage_params(d::make_shape(m, l), 0);
  // DP group: 8 ranks, 2 apart: 4 per NVLink domain, 4 NICs' worth of scale-out.
  const double bw = std::min(450e9, 4 * 50e9) * 0.9;
  t = time_of(m, l, g, plain_calibration());
  CHECK(t.dp_comm_s == Approx((7.0 / 8 * p.dense * 2 + 3.0 / 4 * p.expert * 2) * 2 / bw).epsilon(1e-12));
  CHECK(t.optimizer_s == Approx(30 * (p.dense / 8 + p.expert / 4) / 3e12).epsilon(1e-12));
  // Hardware FLOPs: every GEMM (dense and routed) 3 passes, attention 3.5, logits 3; m x pp stages x tp dp GPUs.
  double hw = 0;
  time_of(m, l, g, plain_calibration(), &hw);
  const double attn = 4 * tokens * 4096 * q * 0.5 / 2;
  CHECK(hw == Approx((8 * 4 * (3 * (dense + expert) + 3.5 * attn) * 3 + 8 * 3 * (2 * tokens * h * 32000 / 2)) * 2 * 8)
                  .epsilon(1e-12));
}

TEST_CASE("busiest stage: a middle stage when the loss takes a slot of the last, group bandwidth tiers", "[perf][time][formula]") {
  const hp::GpuSpec g = asym_gpu();
  hp::Calibration c = plain_calibration();
  hp::ModelSpec m = biased_gqa();
  m.vocab_size = 128;  // logits cheaper than one layer
  hp::Layout l = asym_layout();
  l.account_for_loss = true;  // (10 + 1) / 3 -> 4 layers on ranks 0 and 1, 3 + the loss on rank 2
  const Hand x;
  const double layer = 3 * x.gemm_flops() / (1e15 * 0.6) + 3.5 * x.attn_flops() / (1e15 * 0.4);
  hp::TimeBreakdown t = time_of(m, l, g, c);
  CHECK(t.compute_s == Approx(x.m * 4 * layer).epsilon(1e-12));
  // With the embedding also in a slot: (10 + 2) / 3 = 4; rank 0 holds 3, rank 1 4, rank 2 3 + logits.
  l.account_for_embedding = true;
  t = time_of(m, l, g, c);
  CHECK(t.compute_s == Approx(x.m * 4 * layer).epsilon(1e-12));
  // Two stages, no middle one: the last (3 layers + logits) vs the first (4 layers... with the embedding slot 3).
  l.pp = 2;
  l.num_gpus = 64;
  l.gbs = 128;  // dp 8, 8 micro-batches
  t = time_of(m, l, g, c);
  const double logits = 3 * 2 * x.tokens * 1024 * 128 / 2 / (1e15 * 0.6);
  // (10 + 2) / 2 = 6 per stage: first 5, last 5 + logits.
  CHECK(t.compute_s == Approx(8 * (5 * layer + logits)).epsilon(1e-12));
  // DP over 8 ranks 4 apart: 2 per domain; over 2 ranks 8 apart (stride = a whole domain): 1 NIC each.
  l = asym_layout();
  l.overlap_grad_reduce = false;
  l.overlap_param_gather = false;
  l.tp = 8;
  l.cp = 1;
  l.pp = 1;
  l.num_gpus = 16;  // dp 2, stride 8
  const d::StageParams p = d::stage_params(d::make_shape(biased_gqa(), l), 0);
  t = time_of(biased_gqa(), l, g, c);
  CHECK(t.dp_comm_s == Approx(2 * (0.5 * p.dense * 2) / (50e9 * 0.9)).epsilon(1e-12));
  // TP 16 over two domains of 8: 8 rings over 8 NICs, capped by NVLink (8 x 50 < 450 GB/s).
  m = biased_gqa();
  m.num_attention_heads = 16;
  l.tp = 16;
  l.num_gpus = 16;
  l.sequence_parallel = true;
  t = time_of(m, l, g, c);
  const double tokens = 4096 * 2;
  // 32 micro-batches (gbs 64 / mbs 2, dp 1) x 10 layers x 4 all-reduces.
  CHECK(t.tp_comm_s == Approx(32 * 10 * 4 * (2 * 15.0 / 16 * 2 * tokens * 1024) / (400e9 * 0.9)).epsilon(1e-12));
}

TEST_CASE("T5 compute: encoder and decoder layers (cross-attention) averaged, logits on the decoder tokens",
          "[perf][time][formula]") {
  const hp::GpuSpec g = asym_gpu();
  const hp::Calibration c = plain_calibration();
  const hp::ModelSpec m = hp_test::small_t5(6, 3, 1024, 256);
  hp::Layout l;
  l.num_gpus = 2;
  l.tp = 2;
  l.mbs = 2;
  l.gbs = 6;  // 3 micro-batches
  const double h = 512, F = 1536, t = 2, enc_tokens = 1024 * 2, dec_tokens = 256 * 2;
  // Encoder: bidirectional over 1024 keys. Decoder: causal self-attention over 256, Q/K/V/O twice (self and cross),
  // cross-attention over the encoder's 1024 positions.
  const double e_gemm = 2 * enc_tokens * (h * 4 * h + 2 * h * F) / t, e_attn = 4 * enc_tokens * 1024 * h / t;
  const double d_gemm = 2 * dec_tokens * (h * 4 * h * 2 + 2 * h * F) / t;
  const double d_attn = 4 * dec_tokens * 256 * h * 0.5 / t + 4 * dec_tokens * 1024 * h / t;
  const double layer = 3 * (6 * e_gemm + 3 * d_gemm) / 9 / (1e15 * 0.6) + 3.5 * (6 * e_attn + 3 * d_attn) / 9 / (1e15 * 0.4);
  const double logits = 3 * 2 * dec_tokens * h * 1000 / t / (1e15 * 0.6);
  CHECK(time_of(m, l, g, c).compute_s == Approx(3 * (9 * layer + logits)).epsilon(1e-12));
}
