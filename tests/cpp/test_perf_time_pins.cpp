// The time model's terms pinned to their formulas, and the physics held across a search space (issue 17:
// deleting the pipeline bubble improved the held-out error, so accuracy alone cannot reject wrong physics).
// Formulas: Narayanan et al. 2021 (arXiv 2104.04473) Section 2.2 (1F1B bubble (p-1)/(v m) of the ideal time),
// Section 4.1 (pipeline messages [s, b, h] split over TP); ring collectives 2(n-1)/n (all-reduce) and (n-1)/n
// (reduce-scatter, all-gather) of the message per GPU (NCCL performance notes); Korthikanti et al. 2022 Section 5
// (recompute costs one more forward).
#include <catch2/catch.hpp>

#include <cmath>

#include "hp/catalog.hpp"
#include "hp/core.hpp"
#include "hp/perf.hpp"

namespace {

hp::ModelSpec gpt(int layers, int hidden, int heads, int seq) {
  hp::ModelSpec m;
  m.num_layers = layers;
  m.hidden_size = hidden;
  m.ffn_hidden_size = 4 * hidden;
  m.num_attention_heads = heads;
  m.seq_length = m.max_position_embeddings = seq;
  m.vocab_size = 51200;
  return m;
}

double sum_of_terms(const hp::TimeBreakdown& t) {
  return t.compute_s + t.tp_comm_s + t.cp_comm_s + t.ep_comm_s + t.bubble_s + t.pp_comm_s + t.dp_comm_s +
         t.optimizer_s + t.overhead_s;
}

}  // namespace

TEST_CASE("pipeline bubble is (p-1)/v micro-batch times of the busiest stage", "[perf][time][pin]") {
  const hp::GpuSpec gpu = hp::find_gpu("h100-sxm");
  const hp::Calibration cal = hp::default_calibration(gpu);
  const hp::ModelSpec m = gpt(48, 6144, 48, 2048);
  int checked = 0;
  for (int pp : {1, 2, 4, 8})
    for (int vp : {1, 2, 3})
      for (int gbs : {128, 512, 2048}) {
        hp::Layout l;
        l.num_gpus = 128;
        l.tp = 4;
        l.pp = pp;
        l.vp = vp;
        l.gbs = gbs;
        l.sequence_parallel = true;
        l.recompute = hp::Recompute::selective;
        const hp::Estimate e = hp::estimate(m, l, gpu, cal);
        if (e.reason != hp::Infeasible::none && e.reason != hp::Infeasible::out_of_memory) continue;
        INFO("pp " << pp << " vp " << vp << " gbs " << gbs);
        const double micro_batches = l.num_micro_batches();
        const auto& t = e.time;
        // Narayanan 2021 Section 2.2: bubble = (p-1)/v x (time of one micro-batch on a stage), where the
        // micro-batch time is everything the stage does per micro-batch (compute and its exposed TP/CP/EP).
        const double per_micro_batch = (t.compute_s + t.tp_comm_s + t.cp_comm_s + t.ep_comm_s) / micro_batches;
        CHECK(t.bubble_s == Approx(double(pp - 1) / vp * per_micro_batch).epsilon(1e-12));
        // Bubble share of the ideal time = (p-1)/(v m).
        if (pp > 1) CHECK(t.bubble_s / (t.compute_s + t.tp_comm_s) == Approx((pp - 1.0) / (vp * micro_batches)));
        CHECK(t.step_time_s == Approx(sum_of_terms(t)).epsilon(1e-12));
        ++checked;
      }
  CHECK(checked >= 20);
}

TEST_CASE("TP, PP and DP communication follow message size and link", "[perf][time][pin]") {
  const hp::GpuSpec gpu = hp::find_gpu("h100-sxm");  // NVLink 450 GB/s, 50 GB/s per GPU between nodes
  hp::Calibration cal = hp::default_calibration(gpu);
  const double bw_nvlink = gpu.nvlink_bandwidth_bytes_per_s * cal.comm_efficiency;
  const double bw_ib = gpu.internode_bandwidth_bytes_per_s * cal.comm_efficiency;
  const double s = 4096, h = 6144;
  const hp::ModelSpec m = gpt(48, 6144, 48, 4096);
  hp::Layout l;
  l.num_gpus = 64;
  l.tp = 8;
  l.pp = 4;  // 12 layers per stage
  l.gbs = 64;  // dp 2, 32 micro-batches
  l.sequence_parallel = true;
  l.overlap_grad_reduce = false;
  l.overlap_param_gather = false;
  const hp::Estimate e = hp::estimate(m, l, gpu, cal);
  REQUIRE(e.reason == hp::Infeasible::none);
  // TP: 4 collectives per layer (2 forward, 2 backward), each 2(t-1)/t of the [s, b, h] bf16 tensor, NVLink.
  CHECK(e.time.tp_comm_s == Approx(32 * 12 * 4 * (2 * 7.0 / 8) * (2 * s * h) / bw_nvlink).epsilon(1e-9));
  // PP: one activation forward and one gradient backward per micro-batch, [s, b, h] bf16 / t, across nodes.
  CHECK(e.time.pp_comm_s == Approx(32 * 2 * (2 * s * h / 8) / bw_ib).epsilon(1e-9));
  // DP (distributed optimizer, no overlap): bf16 gradients reduce-scattered, bf16 parameters all-gathered,
  // (n-1)/n of the stage's parameters each, n = 2 across nodes (stride tp = 8 leaves each node once).
  const double stage_params = e.memory.pipeline_rank == 0 ? e.memory.weights_bytes / 2 : -1;
  REQUIRE(stage_params > 0);
  CHECK(e.time.dp_comm_s == Approx(2 * (0.5 * stage_params * 2) / bw_ib).epsilon(1e-9));

  // Twice the sequence: twice the TP and PP bytes per micro-batch.
  const hp::Estimate e2 = hp::estimate(gpt(48, 6144, 48, 8192), l, gpu, cal);
  CHECK(e2.time.tp_comm_s == Approx(2 * e.time.tp_comm_s).epsilon(1e-9));
  CHECK(e2.time.pp_comm_s == Approx(2 * e.time.pp_comm_s).epsilon(1e-9));
  // The whole job inside one NVLink domain: PP messages over NVLink.
  l.num_gpus = 32;
  l.tp = 4;
  l.pp = 8;  // dp 1
  l.gbs = 32;
  hp::GpuSpec nvl = gpu;
  nvl.nvlink_domain_size = 32;
  const hp::Estimate inside = hp::estimate(m, l, nvl, cal);
  CHECK(inside.time.pp_comm_s == Approx(32 * 2 * (2 * s * h / 4) / bw_nvlink).epsilon(1e-9));
  CHECK(inside.time.dp_comm_s == 0);  // dp = 1
  // TP across nodes (t = 16 on 8-GPU nodes): each node's 8 GPUs drive 8 NICs, min(NVLink, 8 x 50 GB/s).
  hp::ModelSpec wide = gpt(48, 6144, 64, 4096);
  l.num_gpus = 16;
  l.tp = 16;
  l.pp = 1;
  l.gbs = 16;
  const hp::Estimate t16 = hp::estimate(wide, l, gpu, cal);
  const double bw16 = std::min(gpu.nvlink_bandwidth_bytes_per_s, 8 * gpu.internode_bandwidth_bytes_per_s) *
                      cal.comm_efficiency;
  CHECK(t16.time.tp_comm_s == Approx(16 * 48 * 4 * (2 * 15.0 / 16) * (2 * s * h) / bw16).epsilon(1e-9));
}

// Physics that must hold for every model and layout of a grid (catalogue models x GPUs x layouts).
TEST_CASE("properties across the search space: recompute, TP, micro-batches, interleaving", "[perf][time][property]") {
  int compared = 0;
  auto ok = [](const hp::Estimate& e) { return e.reason == hp::Infeasible::none || e.reason == hp::Infeasible::out_of_memory; };
  for (const auto& entry : hp::model_catalog())
    for (const char* gpu_name : {"a100-80gb", "h100-sxm", "gb200"}) {
      const hp::GpuSpec gpu = hp::find_gpu(gpu_name);
      const hp::Calibration cal = hp::default_calibration(gpu);
      for (int tp : {1, 2, 4})
        for (int pp : {1, 2, 4})
          for (bool sp : {false, true}) {
            hp::Layout l;
            l.num_gpus = 64;
            l.gbs = 256;
            l.tp = tp;
            l.pp = pp;
            l.sequence_parallel = sp && tp > 1;
            l.flash_attention = !sp;  // both attention kernels
            const hp::Estimate base = hp::estimate(entry.model, l, gpu, cal);
            if (!ok(base)) continue;
            INFO(entry.key << " " << gpu_name << " tp" << tp << " pp" << pp << " sp" << sp);
            // More recompute: less (or equal) memory, more (or equal) time; full strictly both against none. (Full
            // need not beat selective: the layer being recomputed holds all its activations, s^2 scores included.)
            hp::Layout sel = l, full = l;
            sel.recompute = hp::Recompute::selective;
            full.recompute = hp::Recompute::full;
            const hp::Estimate es = hp::estimate(entry.model, sel, gpu, cal), ef = hp::estimate(entry.model, full, gpu, cal);
            CHECK(es.memory.activations_bytes <= base.memory.activations_bytes);
            CHECK(ef.memory.activations_bytes < base.memory.activations_bytes);
            CHECK(es.time.compute_s >= base.time.compute_s);
            CHECK(ef.time.compute_s > es.time.compute_s);
            CHECK(ef.hardware_flops_per_step > base.hardware_flops_per_step);
            CHECK(ef.model_flops_per_step == base.model_flops_per_step);  // model FLOPs ignore recompute
            // More TP on the same GPUs (while micro-batches >= pp, so in-flight micro-batches stay p): less memory
            // per GPU for weights + gradients + optimizer and in all (the busiest stage may change: first or last).
            hp::Layout more_tp = l;
            more_tp.tp = 2 * tp;
            const hp::Estimate et = hp::estimate(entry.model, more_tp, gpu, cal);
            if (ok(et) && l.num_micro_batches() >= pp) {
              CHECK(et.memory.weights_bytes + et.memory.gradients_bytes + et.memory.optimizer_bytes <
                    base.memory.weights_bytes + base.memory.gradients_bytes + base.memory.optimizer_bytes);
              CHECK(et.memory.total_bytes < base.memory.total_bytes);
            }
            // More micro-batches (a larger global batch): a smaller bubble share, the same memory per GPU.
            hp::Layout more_mb = l;
            more_mb.gbs = 4 * l.gbs;
            const hp::Estimate em = hp::estimate(entry.model, more_mb, gpu, cal);
            if (pp > 1) CHECK(em.time.bubble_s / em.time.step_time_s < base.time.bubble_s / base.time.step_time_s);
            else CHECK(em.time.bubble_s == 0);
            if (l.num_micro_batches() >= pp) CHECK(em.memory.total_bytes == Approx(base.memory.total_bytes));
            // Larger micro-batches: more activation memory.
            hp::Layout big_mb = l;
            big_mb.mbs = 2;
            const hp::Estimate eb = hp::estimate(entry.model, big_mb, gpu, cal);
            if (ok(eb) && big_mb.num_micro_batches() >= pp) CHECK(eb.memory.activations_bytes > base.memory.activations_bytes);
            // Interleaving: a smaller bubble, more first-stage activations (with enough micro-batches).
            hp::Layout inter = l;
            inter.vp = 2;
            const hp::Estimate ei = hp::estimate(entry.model, inter, gpu, cal);
            if (ok(ei)) {
              CHECK(ei.time.bubble_s < base.time.bubble_s);
              CHECK(ei.memory.activations_bytes >= base.memory.activations_bytes);
            }
            ++compared;
          }
    }
  CHECK(compared >= 100);
}

TEST_CASE("a half-MoE model lies between its dense and all-MoE versions", "[perf][time][property]") {
  // Every second layer MoE (moe_layer_freq 2): each per-layer cost is the layer-weighted mean of a dense and an
  // MoE layer, so compute time, activations and parameters sit strictly between the two pure models, and exactly
  // halfway when GEMM efficiency does not depend on size (every term is then linear in the MoE share).
  const hp::GpuSpec gpu = hp::find_gpu("h100-sxm");
  hp::Calibration cal = hp::default_calibration(gpu);
  cal.gemm_half_size_flops = 0;
  hp::ModelSpec dense = gpt(32, 4096, 32, 4096);
  dense.ffn_hidden_size = 14336;
  dense.activation = "swiglu";
  hp::ModelSpec all_moe = dense, half_moe = dense;
  all_moe.moe_num_experts = half_moe.moe_num_experts = 8;
  all_moe.moe_topk = half_moe.moe_topk = 2;
  half_moe.moe_layer_freq = 2;
  hp::Layout l;
  l.num_gpus = 64;
  l.tp = 2;
  l.ep = 8;
  l.gbs = 256;
  l.sequence_parallel = true;
  hp::Layout ld = l;
  ld.ep = 1;
  const hp::Estimate d = hp::estimate(dense, ld, gpu, cal), h = hp::estimate(half_moe, l, gpu, cal),
                     a = hp::estimate(all_moe, l, gpu, cal);
  for (const auto* e : {&d, &h, &a}) REQUIRE(e->memory.total_bytes > 0);
  CHECK(d.time.compute_s < h.time.compute_s);
  CHECK(h.time.compute_s < a.time.compute_s);
  CHECK(d.memory.activations_bytes < h.memory.activations_bytes);
  CHECK(h.memory.activations_bytes < a.memory.activations_bytes);
  CHECK(d.num_parameters < h.num_parameters);
  CHECK(h.num_parameters < a.num_parameters);
  CHECK(d.model_flops_per_step < h.model_flops_per_step);
  CHECK(h.model_flops_per_step < a.model_flops_per_step);
  CHECK(h.time.ep_comm_s < a.time.ep_comm_s);
  CHECK(h.time.compute_s == Approx((d.time.compute_s + a.time.compute_s) / 2).epsilon(1e-9));
  CHECK(h.memory.activations_bytes == Approx((d.memory.activations_bytes + a.memory.activations_bytes) / 2).epsilon(1e-9));
  CHECK(h.time.ep_comm_s == Approx(a.time.ep_comm_s / 2).epsilon(1e-9));

  // The element-wise (memory-bound) term against its formula: passes x 2 bytes x tokens x (h / t with SP, the
  // gated MLP's extra (mats - 1) x width / t) per layer and micro-batch, over HBM bandwidth (docs/model.md "Step
  // time"; Calculon's vector-op roofline). MoE's permute copies have their own fixed count (not these passes).
  hp::Calibration no_elementwise = cal;
  no_elementwise.elementwise_passes = 0;
  const double tokens = 4096, h_dim = 4096, t = 2, micro_batches = 256 / (64 / 2), layers = 32;
  struct Case {
    const hp::ModelSpec* model;
    const hp::Layout* layout;
    double moe_share;
  };
  for (const Case& c : {Case{&dense, &ld, 0.0}, Case{&half_moe, &l, 0.5}, Case{&all_moe, &l, 1.0}}) {
    INFO("MoE share " << c.moe_share);
    const double width = (1 - c.moe_share) * 14336 + c.moe_share * 2 * 14336;  // top-2 experts of 14336
    const double bytes = 2 * tokens * (h_dim / t + (3 - 1) * width / t);
    const double expected = micro_batches * layers * cal.elementwise_passes * bytes / gpu.memory_bandwidth_bytes_per_s;
    const double with = hp::estimate(*c.model, *c.layout, gpu, cal).time.compute_s;
    const double without = hp::estimate(*c.model, *c.layout, gpu, no_elementwise).time.compute_s;
    CHECK(with - without == Approx(expected).epsilon(1e-6));
  }
}

TEST_CASE("T5: the element-wise term runs over the mean of encoder and decoder tokens", "[perf][time][pin]") {
  const hp::GpuSpec gpu = hp::find_gpu("a100-80gb");
  const hp::Calibration cal = hp::default_calibration(gpu);
  hp::Calibration no_elementwise = cal;
  no_elementwise.elementwise_passes = 0;
  const hp::ModelSpec m = hp::find_model("t5/220m");
  REQUIRE(m.decoder_seq_length > 0);
  REQUIRE(m.decoder_seq_length != m.seq_length);
  hp::Layout l;
  l.num_gpus = 8;
  l.gbs = 64;  // tp 1, pp 1, dp 8: 8 micro-batches of all 24 layers
  const double tokens = (m.seq_length + m.decoder_seq_length) / 2.0;
  const double mats = m.gated_mlp() ? 3 : 2;
  const double bytes = 2 * tokens * (m.hidden_size + (mats - 1) * m.ffn_hidden_size);
  const double layers = m.num_layers + m.num_decoder_layers;
  const double expected = 8 * layers * cal.elementwise_passes * bytes / gpu.memory_bandwidth_bytes_per_s;
  CHECK(hp::estimate(m, l, gpu, cal).time.compute_s - hp::estimate(m, l, gpu, no_elementwise).time.compute_s ==
        Approx(expected).epsilon(1e-6));
}

TEST_CASE("T5 model FLOPs: encoder, decoder with cross-attention, logits", "[perf][flops][pin]") {
  // Megatron-Core's counting (3 passes x 2 FLOPs per multiply-add, causal self-attention halved) applied to T5:
  // the decoder's cross-attention has its own Q/K/V/output projections and a core over the s encoder tokens.
  const hp::ModelSpec m = hp::find_model("t5/220m");
  const double s = m.seq_length, S = m.decoder_seq_length, h = m.hidden_size, F = m.ffn_hidden_size;
  const double q = double(m.num_attention_heads) * m.head_dim(), kv = double(m.query_groups()) * m.head_dim();
  const double mats = m.gated_mlp() ? 3 : 2, proj = h * (2 * q + 2 * kv);
  const double enc = s * m.num_layers * 6 * (proj + 2 * s * q + mats * h * F);
  const double dec = S * m.num_decoder_layers * 6 * (2 * proj + 2 * S * q * 0.5 + mats * h * F + 2 * s * q);
  const double logits = S * 6 * h * m.vocab_size;
  CHECK(hp::model_flops_per_step(m, 128) == Approx(128 * (enc + dec + logits)).epsilon(1e-12));
}

TEST_CASE("CP ring exchange of K and V against its formula", "[perf][time][pin]") {
  // Megatron-Core's ring attention: each CP rank passes its K and V chunk (bf16, [s/cp, b, g*d] / t each) around
  // the ring, cp - 1 steps forward and twice that volume backward, overlapped with the attention core (made free
  // here with an enormous attention efficiency, so the whole exchange is exposed).
  const hp::GpuSpec gpu = hp::find_gpu("h100-sxm");
  hp::Calibration cal = hp::default_calibration(gpu);
  cal.attention_efficiency = 1e9;
  hp::ModelSpec m = gpt(32, 4096, 32, 16384);
  m.num_query_groups = 8;  // K/V width 1024
  hp::Layout l;
  l.num_gpus = 8;
  l.tp = 2;
  l.cp = 4;  // tp x cp = 8 GPUs: NVLink
  l.gbs = 8;  // dp 1: 8 micro-batches
  l.sequence_parallel = true;
  const hp::Estimate e = hp::estimate(m, l, gpu, cal);
  const double tokens = 16384.0 / 4, kv_bytes = 2 * 2 * tokens * 1024 / 2;
  const double bw = gpu.nvlink_bandwidth_bytes_per_s * cal.comm_efficiency;
  // Issue 15: what overlap cannot hide is added on top, per layer the backward's last dK/dV hop and the P2P
  // launch latency of 3 passes x cp ring steps (10 us each, kP2pLatencyS in perf_time.cpp).
  const double exposed = 8 * 32 * (kv_bytes / bw + 3 * 4 * 10e-6);
  const double expected = 8 * 32 * 3 * (4 - 1) * kv_bytes / bw + exposed;
  CHECK(e.time.cp_comm_s == Approx(expected).epsilon(1e-6));
}
