// Per-GPU training memory (perf_memory.cpp) pinned term by term to hand computations (issue 17, mutation
// testing), on asymmetric layouts (tp 2, pp 3, cp 2, dp 4). Sources, as cited in docs/model.md "Memory":
//  - Megatron-LM theoretical_memory_usage.py: bf16 weights 2 B, gradients (fp32 4 B or bf16 2 B), 12 B of fp32
//    master + Adam state, the latter sharded over DP (x CP) by the distributed optimizer; experts over
//    expert-DP = DP CP t / (e ETP).
//  - ZeRO-3 (Rajbhandari et al. 2020, Section 5.3) for FSDP: everything sharded plus two layers of unsharded
//    bf16 parameters and one layer of unsharded gradients.
//  - Korthikanti et al. 2022 (arXiv 2205.05198) Table 2: sbh (34 + 5 a s / h) / t per layer with TP + SP, 34 sbh / t
//    with selective recompute, 2 sbh kept per layer with full recompute; Section 4.3: embedding output on the
//    first stage, final norm / output-projection inputs (4 sbh) and fp32 logits (4 s b V / t) on the last.
#include <catch2/catch.hpp>

#include <algorithm>

#include "formula_models.hpp"
#include "perf_shape.hpp"

namespace {

using hp_test::asym_layout;
using hp_test::biased_gqa;
namespace d = hp::detail;

// GPT with multi-head attention (q = kv = h) and a 4h GeLU MLP: Korthikanti's own setting.
hp::ModelSpec gpt() {
  hp::ModelSpec m = biased_gqa();
  m.family = "gpt3";
  m.num_query_groups = 0;
  m.kv_channels = 0;
  m.ffn_hidden_size = 4 * 1024;
  m.activation = "gelu";
  return m;
}

hp::Calibration overhead_only(double bytes) {
  hp::Calibration c;
  c.memory_overhead_bytes = bytes;
  return c;
}

}  // namespace

TEST_CASE("Korthikanti Table 2 per layer: TP + SP, selective recompute, flash attention, FP8", "[perf][memory][formula]") {
  const hp::ModelSpec m = gpt();
  hp::Layout l = asym_layout();  // tp 2, cp 2: each GPU holds s = 4096 / 2 tokens of each sequence
  l.flash_attention = false;
  const double s = 2048, b = 2, h = 1024, a = 16, t = 2;
  const double sbh = s * b * h;
  // Scores 5 a s s' b: this GPU's s queries against all s' = 4096 keys (CP passes the K/V chunks around the ring).
  CHECK(d::layer_activation_bytes(d::make_shape(m, l), l) == Approx(sbh * (34 + 5 * a * 4096 / h) / t).epsilon(1e-14));
  l.recompute = hp::Recompute::selective;
  CHECK(d::layer_activation_bytes(d::make_shape(m, l), l) == Approx(34 * sbh / t).epsilon(1e-14));
  l.recompute = hp::Recompute::none;
  l.flash_attention = true;  // only the fp32 log-sum-exp per row and head: 4 a s b
  CHECK(d::layer_activation_bytes(d::make_shape(m, l), l) == Approx((34 * sbh + 4 * a * s * b) / t).epsilon(1e-14));
  l.sequence_parallel = false;  // the 10 sbh of norms, inputs and masks are then replicated on every TP rank
  CHECK(d::layer_activation_bytes(d::make_shape(m, l), l) == Approx(10 * sbh + (24 * sbh + 4 * a * s * b) / t).epsilon(1e-14));
  // FP8 (docs/model.md, Transformer Engine): S b h less replicated, S b (a d + F) = 5 sbh less split by TP.
  l.precision = hp::Precision::fp8_delayed;
  CHECK(d::layer_activation_bytes(d::make_shape(m, l), l) ==
        Approx(9 * sbh + (19 * sbh + 4 * a * s * b) / t).epsilon(1e-14));
}

TEST_CASE("MoE layer activations: routed tokens per TP rank with SP, expert width over ETP", "[perf][memory][formula]") {
  hp::ModelSpec m = gpt();
  m.num_layers = 12;
  m.moe_num_experts = 8;
  m.moe_topk = 3;
  m.moe_ffn_hidden_size = 640;
  m.moe_shared_expert_ffn_size = 768;
  m.moe_layer_freq = 4;  // 3 of 12 layers
  hp::Layout l = asym_layout();
  l.num_gpus = 96;
  l.ep = 4;
  l.etp = 2;  // dp 8
  const double s = 2048, b = 2, h = 1024, a = 16, t = 2, F = 4096, share = 3.0 / 12;
  const double sbh = s * b * h;
  // Dense part: 10 sbh (SP) + 8 sbh (Q, K, V, projection input) + log-sum-exp, the dense MLP on 3/4 of the layers
  // and the shared experts (a GeLU MLP of width 768) on 1/4.
  const double dense = (10 * sbh + 8 * sbh + 4 * a * s * b + (1 - share) * 4 * s * b * F + share * 4 * s * b * 768) / t;
  // Routed: s b topk / t tokens per TP rank, each keeping 4 h (fc1 input, the expert output the combine weights)
  // + 2 * 2 * F_e / ETP bytes.
  const double routed = share * (s * b * 3 / t) * (4 * h + 4 * 640 / 2.0);
  CHECK(d::layer_activation_bytes(d::make_shape(m, l), l) == Approx(dense + routed).epsilon(1e-14));
  // FP8: the projection input and the dense layers' fc2 input in 1 byte (S b q + (1 - share) S b F less), one
  // replicated GEMM input too (S b h).
  l.precision = hp::Precision::fp8_delayed;
  CHECK(d::layer_activation_bytes(d::make_shape(m, l), l) ==
        Approx(dense + routed - (sbh + s * b * h + (1 - share) * s * b * F) / t).epsilon(1e-14));
  // A single MoE layer: no dense MLP at all.
  m.num_layers = 1;
  m.moe_layer_freq = 1;
  l.precision = hp::Precision::bf16;
  CHECK(d::layer_activation_bytes(d::make_shape(m, l), l) ==
        Approx((18 * sbh + 4 * a * s * b + 4 * s * b * 768) / t + (s * b * 3 / t) * (4 * h + 4 * 640 / 2.0)).epsilon(1e-14));
}

TEST_CASE("T5 layers: encoder and decoder (cross-attention) activations averaged over the stack", "[perf][memory][formula]") {
  const hp::ModelSpec m = hp_test::small_t5(6, 3, 1024, 256);
  hp::Layout l;
  l.num_gpus = 3;
  l.tp = 3;
  l.mbs = 2;
  l.gbs = 6;
  l.flash_attention = false;  // no SP: the replicated part stays whole
  const double b = 2, h = 512, a = 8, t = 3, F = 1536;
  auto self = [&](double s) { return 10 * s * b * h + (8 * s * b * h + 5 * a * s * s * b + 4 * s * b * F) / t; };
  // Decoder: cross-attention adds 5 s b h replicated, Q and projection input (4 s b h) and K, V over the
  // encoder's 1024 positions (4 s_enc b h), split by TP.
  const double dec = self(256) + 5 * 256 * b * h + (4 * 256 * b * h + 4 * 1024 * b * h) / t;
  CHECK(d::layer_activation_bytes(d::make_shape(m, l), l) == Approx((6 * self(1024) + 3 * dec) / 9).epsilon(1e-14));
  // Full recompute: the encoder layers keep 2 s b h of their 1024 positions, the decoder layers of their 256; plus
  // one layer's full activations while it is recomputed.
  l.recompute = hp::Recompute::full;
  const d::Shape s = d::make_shape(m, l);
  CHECK(d::stage_memory(s, l, hp::Calibration{}, 0).activations_bytes ==
        Approx(6 * 2 * 1024 * b * h + 3 * 2 * 256 * b * h + d::layer_activation_bytes(s, l)).epsilon(1e-14));
}

TEST_CASE("weights, gradients and optimizer state per stage: plain, distributed, FP8, LoRA", "[perf][memory][formula]") {
  hp::ModelSpec m = biased_gqa();
  hp::Layout l = asym_layout();
  const hp::Calibration cal = overhead_only(1.5e9);
  for (int rank : {0, 1, 2}) {
    INFO("rank " << rank);
    l.distributed_optimizer = false;
    l.grad_reduce_in_fp32 = true;
    const d::Shape s = d::make_shape(m, l);
    const d::StageParams p = d::stage_params(s, rank);
    hp::MemoryBreakdown mem = d::stage_memory(s, l, cal, rank);
    CHECK(mem.pipeline_rank == rank);
    CHECK(mem.weights_bytes == Approx(2 * p.dense).epsilon(1e-15));
    CHECK(mem.gradients_bytes == Approx(4 * p.dense).epsilon(1e-15));
    CHECK(mem.optimizer_bytes == Approx(12 * p.dense).epsilon(1e-15));  // 18 B per parameter in all
    CHECK(mem.embedding_state_bytes == Approx(18 * p.embedding).epsilon(1e-15));
    CHECK(mem.overhead_bytes == 1.5e9);
    CHECK(mem.total_bytes == Approx(mem.weights_bytes + mem.gradients_bytes + mem.optimizer_bytes +
                                    mem.activations_bytes + mem.embedding_logits_bytes + 1.5e9).epsilon(1e-15));

    // Distributed optimizer, bf16 gradients, an 8-byte optimizer: state over DP x CP = 8 ranks.
    l.distributed_optimizer = true;
    l.grad_reduce_in_fp32 = false;
    l.optimizer_state_bytes = 8;
    mem = d::stage_memory(s, l, cal, rank);
    CHECK(mem.gradients_bytes == Approx(2 * p.dense).epsilon(1e-15));
    CHECK(mem.optimizer_bytes == Approx(8 * p.dense / 8).epsilon(1e-15));
    CHECK(mem.embedding_state_bytes == Approx(p.embedding * (2 + 2 + 8.0 / 8)).epsilon(1e-15));

    // FP8 keeps a 1-byte copy of every linear weight (not of the embedding / output layer).
    l.precision = hp::Precision::fp8_current;
    CHECK(d::stage_memory(s, l, cal, rank).weights_bytes == Approx(2 * p.dense + (p.dense - p.embedding)).epsilon(1e-15));
    l.precision = hp::Precision::bf16;

    // LoRA: frozen base weights, no gradients or optimizer state.
    l.lora = true;
    mem = d::stage_memory(s, l, cal, rank);
    CHECK(mem.weights_bytes == Approx(2 * p.dense).epsilon(1e-15));
    CHECK(mem.gradients_bytes == 0);
    CHECK(mem.optimizer_bytes == 0);
    CHECK(mem.embedding_state_bytes == Approx(2 * p.embedding).epsilon(1e-15));
    l.fsdp = true;  // LoRA over FSDP: still frozen, nothing sharded
    CHECK(d::stage_memory(s, l, cal, rank).weights_bytes == Approx(2 * p.dense).epsilon(1e-15));
    CHECK(d::stage_memory(s, l, cal, rank).optimizer_bytes == 0);
    l.fsdp = false;
    l.lora = false;
    l.optimizer_state_bytes = 12;
  }
}

TEST_CASE("expert state over expert-DP = DP CP t / (e ETP), FSDP shards everything (ZeRO-3)", "[perf][memory][formula]") {
  hp::ModelSpec m = biased_gqa();
  m.num_layers = 12;
  m.add_bias_linear = false;
  m.moe_num_experts = 16;
  m.moe_topk = 2;
  m.moe_ffn_hidden_size = 512;
  hp::Layout l = asym_layout();
  l.num_gpus = 96;  // tp 2, pp 3, cp 2 -> dp 8
  l.ep = 4;
  l.etp = 1;
  const hp::Calibration cal = overhead_only(0);
  const d::Shape s = d::make_shape(m, l);
  const double dp_group = 8 * 2, expert_dp = 8 * 2 * 2 / 4.0;
  for (int rank : {0, 1, 2}) {
    INFO("rank " << rank);
    const d::StageParams p = d::stage_params(s, rank);
    REQUIRE(p.expert > 0);
    l.fsdp = false;
    hp::MemoryBreakdown mem = d::stage_memory(s, l, cal, rank);
    CHECK(mem.weights_bytes == Approx(2 * (p.dense + p.expert)).epsilon(1e-15));
    CHECK(mem.gradients_bytes == Approx(2 * (p.dense + p.expert)).epsilon(1e-15));
    CHECK(mem.optimizer_bytes == Approx(12 * p.dense / dp_group + 12 * p.expert / expert_dp).epsilon(1e-15));

    l.fsdp = true;
    l.grad_reduce_in_fp32 = true;
    mem = d::stage_memory(s, l, cal, rank);
    const double shard = p.dense / dp_group + p.expert / expert_dp;
    const double layer = (p.dense - p.embedding + p.expert) / 4;  // 4 layers on every stage
    CHECK(mem.weights_bytes == Approx(2 * shard + 2 * 2 * layer).epsilon(1e-14));
    CHECK(mem.gradients_bytes == Approx(4 * shard + 4 * layer).epsilon(1e-14));
    CHECK(mem.optimizer_bytes == Approx(12 * shard).epsilon(1e-14));
    CHECK(mem.embedding_state_bytes == Approx(p.embedding / dp_group * (2 + 4 + 12)).epsilon(1e-14));
    l.precision = hp::Precision::fp8_delayed;
    CHECK(d::stage_memory(s, l, cal, rank).weights_bytes == Approx(3 * shard + 2 * 2 * layer).epsilon(1e-14));
    l.precision = hp::Precision::bf16;
    l.grad_reduce_in_fp32 = false;
  }
}

TEST_CASE("held activations: in-flight layers, partial full recompute, offload, embedding and logits", "[perf][memory][formula]") {
  const hp::ModelSpec m = biased_gqa();
  hp::Layout l = asym_layout();  // 8 micro-batches, pp 3, 4 layers per stage
  const hp::Calibration cal = overhead_only(0);
  const double S = 2048, b = 2, h = 1024, t = 2, V = 32000;
  const d::Shape s = d::make_shape(m, l);
  const double stored = d::layer_activation_bytes(s, l);
  const double checkpoint = 2 * S * b * h / t;  // full recompute keeps the layer input (split by SP)
  for (int rank : {0, 1, 2}) {
    INFO("rank " << rank);
    const double in_flight = std::min(8, 3 - rank) * 4.0;  // min(m, p - r) micro-batches of 4 layers
    l.recompute = hp::Recompute::none;
    l.recompute_num_layers = 0;
    l.recompute_micro_batches = -1;
    l.activation_offload_layers = 0;
    const hp::MemoryBreakdown none = d::stage_memory(s, l, cal, rank);
    CHECK(none.activations_bytes == Approx(in_flight * stored).epsilon(1e-14));
    // Outside the layers: embedding output per in-flight micro-batch on rank 0; final-norm and output inputs
    // (4 S b h / t with SP) and fp32 logits (4 S b V / t) on the last rank.
    const double outside = (rank == 0 ? S * b * h / t * (in_flight / 4) : 0) +
                           (rank == 2 ? 4 * S * b * h / t + 4 * S * b * V / t : 0);
    CHECK(none.embedding_logits_bytes == Approx(outside).epsilon(1e-14));

    // Full recompute of every layer: checkpoints only, plus one layer's activations during its recompute.
    l.recompute = hp::Recompute::full;
    CHECK(d::stage_memory(s, l, cal, rank).activations_bytes == Approx(in_flight * checkpoint + stored).epsilon(1e-14));
    // 3 of the 4 layers: 3/4 of the held layers are checkpoints.
    l.recompute_num_layers = 3;
    CHECK(d::stage_memory(s, l, cal, rank).activations_bytes ==
          Approx(in_flight * (0.75 * checkpoint + 0.25 * stored) + stored).epsilon(1e-14));
    // And on 1 of the in-flight micro-batches: share 3/4 x 1 / (in-flight micro-batches).
    l.recompute_micro_batches = 1;
    const double share = 0.75 * std::min(1.0, 1 / (in_flight / 4));
    CHECK(d::stage_memory(s, l, cal, rank).activations_bytes ==
          Approx(in_flight * (share * checkpoint + (1 - share) * stored) + stored).epsilon(1e-14));
    // 0 micro-batches with recompute: nothing recomputed, nothing extra held.
    l.recompute_micro_batches = 0;
    CHECK(d::stage_memory(s, l, cal, rank).activations_bytes == Approx(in_flight * stored).epsilon(1e-14));

    // Offload 3 of the 4 layers to host memory; the layer in transit stays.
    l.recompute = hp::Recompute::none;
    l.recompute_micro_batches = -1;
    l.activation_offload_layers = 3;
    CHECK(d::stage_memory(s, l, cal, rank).activations_bytes == Approx(in_flight * stored * 0.25 + stored).epsilon(1e-14));
    l.activation_offload_layers = 9;  // more than the stage holds: all of them
    CHECK(d::stage_memory(s, l, cal, rank).activations_bytes == Approx(stored).epsilon(1e-14));
  }
}

TEST_CASE("T5 logits on the decoder sequence, SP off keeps the hidden-size terms whole", "[perf][memory][formula]") {
  hp::ModelSpec m = hp_test::small_t5(4, 2, 1024, 384);
  m.vocab_size = 3000;
  hp::Layout l;
  l.num_gpus = 6;
  l.tp = 3;
  l.pp = 2;
  l.mbs = 2;
  l.gbs = 10;  // 5 micro-batches
  const d::Shape s = d::make_shape(m, l);
  const double b = 2, h = 512, t = 3;
  // Rank 0: the encoder's embedding output for min(5, 2) micro-batches; rank 1: decoder tokens (384).
  CHECK(d::stage_memory(s, l, overhead_only(0), 0).embedding_logits_bytes == Approx(1024 * b * h * 2).epsilon(1e-14));
  CHECK(d::stage_memory(s, l, overhead_only(0), 1).embedding_logits_bytes ==
        Approx(4 * 384 * b * h + 4 * 384 * b * 3000 / t).epsilon(1e-14));
}
