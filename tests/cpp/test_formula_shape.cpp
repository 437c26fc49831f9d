// Layer shapes, per-stage parameters, layer counts per pipeline rank, GEMM peaks and model FLOPs (perf_shape.cpp)
// pinned term by term to numbers computed here from the module structure (issue 17, mutation testing). Sizes are
// asymmetric everywhere a swap is possible (tp != pp != cp, q width != hidden, g != a, odd layer counts).
// Sources:
//  - Megatron-Core layer structure: QKV linear h x (a + 2g) d, output projection a d x h, fc1 h x F (h x 2F
//    gated), fc2 F x h, biases of each linear's output; two norms per layer and a final norm; word embedding
//    V x h, learned position table P x h, untied output layer V x h (a copy of the word embedding on the last
//    stage when tied and pp > 1).
//  - Megatron-Core transformer_block.py get_num_layers_to_build: ceil over pp x vp chunks;
//    account_for_embedding / account_for_loss_in_pipeline_split count the embedding / loss as one layer.
//  - Megatron-LM training.py num_floating_point_operations (transcribed below in its own form).
#include <catch2/catch.hpp>

#include <cmath>

#include "hp/model.hpp"
#include "hp/perf.hpp"
#include "formula_models.hpp"
#include "perf_shape.hpp"

namespace {

using hp_test::asym_layout;
using hp_test::biased_gqa;

// Megatron-LM training.py num_floating_point_operations for one sequence (batch 1), with the causal halving of
// the attention core (seq / h / 2) and its MoE terms: routed experts x topk, shared experts, MoE layer share.
double megatron_flops_per_sequence(const hp::ModelSpec& m, bool causal) {
  const double s = m.seq_length, L = m.num_layers, h = m.hidden_size, a = m.num_attention_heads;
  const double g = m.query_groups();
  const double q_ratio = double(m.head_dim()) * a / h;  // query_projection_to_hidden_size_ratio
  const double gated = m.gated_mlp() ? 3.0 / 2 : 1;      // gated_linear_multiplier
  const double moe_layers = m.is_moe() ? std::ceil(L / m.moe_layer_freq) : 0;
  const double fe = m.moe_ffn_hidden_size > 0 ? m.moe_ffn_hidden_size : m.ffn_hidden_size;
  const double mlp = ((L - moe_layers) * m.ffn_hidden_size / h +
                      moe_layers * (fe * m.moe_topk + m.moe_shared_expert_ffn_size) / h) / L * gated;
  return 12 * s * L * h * h *
         ((1 + g / a + s / h / (causal ? 2 : 1)) * q_ratio + mlp + double(m.vocab_size) / (2 * L * h));
}

}  // namespace

TEST_CASE("make_shape: dimensions, layout sizes and parameter blocks from the module structure", "[perf][formula]") {
  const hp::ModelSpec m = biased_gqa();
  const hp::Layout l = asym_layout();
  const hp::detail::Shape s = hp::detail::make_shape(m, l);
  CHECK(s.h == 1024);
  CHECK(s.a == 16);
  CHECK(s.g == 4);
  CHECK(s.d == 96);
  CHECK(s.q_dim == 16 * 96);
  CHECK(s.kv_dim == 4 * 96);
  CHECK(s.ffn == 2816);
  CHECK(s.moe_ffn == 2816);  // no MoE width: the dense width
  CHECK(s.mlp_mats == 3);
  CHECK(s.vocab == 32000);
  CHECK(s.num_layers == 10);
  CHECK(s.num_decoder_layers == 0);
  CHECK(s.seq == 4096);
  CHECK(s.dec_seq == 0);
  CHECK(s.causal);
  CHECK(s.bias);
  CHECK(s.norm_params == 2);
  CHECK_FALSE(s.tied);
  CHECK(s.position_params == 4096.0 * 1024);
  CHECK(s.tp == 2);
  CHECK(s.pp == 3);
  CHECK(s.vp == 1);
  CHECK(s.cp == 2);
  CHECK(s.ep == 1);
  CHECK(s.dp == 48 / (2 * 3 * 2));
  CHECK(s.mbs == 2);
  CHECK(s.micro_batches == 64 / (2 * 4));
  CHECK(s.sp);
  const double h = 1024, q = 1536, kv = 384, F = 2816;
  // QKV weights h x (q + 2 kv) and biases q + 2 kv; projection q x h and bias h.
  CHECK(s.attn_params == h * (q + 2 * kv) + (q + 2 * kv) + q * h + h);
  CHECK(s.cross_attn_params == s.attn_params);
  // fc1 h x 2F (+ 2F bias), fc2 F x h (+ h bias).
  CHECK(s.mlp_params == h * 2 * F + 2 * F + F * h + h);
  CHECK(s.norm_params_layer == 2 * (h + h));  // two LayerNorms, weight and bias
  CHECK(s.embedding_params == 32000 * h + 4096 * h);
  CHECK(s.output_params == 32000 * h);
  // 10 layers over 3 stages: ceil(10 / 3) on the busiest.
  CHECK(s.layers_per_stage == 4);
  CHECK(s.first_stage_layers == 4);
  CHECK(s.last_stage_layers == 4);
}

TEST_CASE("make_shape: RMSNorm, relative positions, QKV-only bias, tied, SP off at TP 1, vp 0", "[perf][formula]") {
  hp::ModelSpec m = biased_gqa();
  m.normalization = "rmsnorm";
  m.position_embedding = "relative";
  m.relative_attention_num_buckets = 40;
  m.add_bias_linear = false;
  m.qkv_bias = true;  // Qwen2: bias on the fused QKV only
  m.share_embeddings_and_output_weights = true;
  m.activation = "gelu";
  hp::Layout l = asym_layout();
  l.tp = 1;
  l.vp = 0;
  l.num_gpus = 12;
  const hp::detail::Shape s = hp::detail::make_shape(m, l);
  const double h = 1024, q = 1536, kv = 384, F = 2816;
  CHECK(s.norm_params == 1);
  CHECK(s.position_params == 40.0 * 16);  // buckets x heads
  CHECK(s.attn_params == h * (q + 2 * kv) + q * h + (q + 2 * kv));
  CHECK(s.mlp_mats == 2);
  CHECK(s.mlp_params == h * F + F * h);
  CHECK(s.norm_params_layer == 2 * h);
  CHECK(s.output_params == 0);
  CHECK(s.tied);
  CHECK_FALSE(s.sp);  // SP needs TP > 1
  CHECK(s.vp == 1);
  CHECK(s.dp == 12 / (3 * 2));
}

TEST_CASE("make_shape: T5 stacks, decoder sequence and attention direction", "[perf][formula]") {
  hp::ModelSpec t5 = hp_test::small_t5(6, 4, 512, 0);  // decoder length unset: the encoder's
  hp::detail::Shape s = hp::detail::make_shape(t5, hp::Layout{});
  CHECK(s.num_layers == 10);
  CHECK(s.num_decoder_layers == 4);
  CHECK(s.dec_seq == 512);
  CHECK_FALSE(s.causal);
  t5.decoder_seq_length = 128;
  CHECK(hp::detail::make_shape(t5, hp::Layout{}).dec_seq == 128);
  t5.decoder_seq_length = 1;  // a one-token decoder is a length, not "unset"
  CHECK(hp::detail::make_shape(t5, hp::Layout{}).dec_seq == 1);
  hp::ModelSpec bert = biased_gqa();
  bert.family = "bert";
  CHECK_FALSE(hp::detail::make_shape(bert, hp::Layout{}).causal);
  CHECK(hp::detail::make_shape(biased_gqa(), hp::Layout{}).dec_seq == 0);
}

TEST_CASE("make_shape: uneven pipeline splits with the embedding / loss in a layer slot", "[perf][formula]") {
  const hp::ModelSpec m = biased_gqa();  // 10 layers
  struct Case {
    int pp, vp;
    bool emb, loss;
    double per_stage, first, last;
  };
  // Megatron-Core: (L + emb + loss) / (pp vp) layers per chunk (ceil), one fewer on the stage with the slot.
  const Case cases[] = {
      {3, 1, true, true, 4, 3, 3},    // (10 + 2) / 3 = 4
      {3, 1, true, false, 4, 3, 4},   // ceil(11 / 3) = 4
      {3, 1, false, true, 4, 4, 3},
      {4, 1, true, false, 3, 2, 3},   // ceil(11 / 4) = 3
      {4, 1, false, true, 3, 3, 2},
      {3, 2, false, false, 4, 4, 4},  // ceil(10 / 6) = 2 per chunk, 2 chunks
      {4, 2, true, true, 4, 3, 3},    // ceil(12 / 8) = 2 per chunk, 2 chunks
      {1, 1, true, true, 10, 10, 10}, // one stage: no slot taken
  };
  for (const Case& c : cases) {
    hp::Layout l;
    l.num_gpus = c.pp;
    l.pp = c.pp;
    l.vp = c.vp;
    l.account_for_embedding = c.emb;
    l.account_for_loss = c.loss;
    INFO("pp " << c.pp << " vp " << c.vp << " emb " << c.emb << " loss " << c.loss);
    const hp::detail::Shape s = hp::detail::make_shape(m, l);
    CHECK(s.layers_per_stage == c.per_stage);
    CHECK(s.first_stage_layers == c.first);
    CHECK(s.last_stage_layers == c.last);
    CHECK(hp::detail::layers_on(s, 0) == c.first);
    CHECK(hp::detail::layers_on(s, c.pp - 1) == (c.pp == 1 ? c.first : c.last));
    if (c.pp > 2) CHECK(hp::detail::layers_on(s, 1) == c.per_stage);
  }
}

TEST_CASE("make_shape: MoE widths, experts, top-k and MoE layer frequency", "[perf][formula]") {
  hp::ModelSpec m = biased_gqa();
  m.num_layers = 9;
  m.moe_num_experts = 12;
  m.moe_topk = 3;
  m.moe_ffn_hidden_size = 704;
  m.moe_shared_expert_ffn_size = 1408;
  m.moe_layer_freq = 2;  // layers 0, 2, 4, 6, 8: ceil(9 / 2) = 5
  hp::Layout l = asym_layout();
  l.ep = 4;
  l.etp = 1;
  const hp::detail::Shape s = hp::detail::make_shape(m, l);
  const double h = 1024;
  CHECK(s.num_moe_layers == 5);
  CHECK(s.experts == 12);
  CHECK(s.topk == 3);
  CHECK(s.moe_ffn == 704);
  CHECK(s.shared_ffn == 1408);
  CHECK(s.ep == 4);
  CHECK(s.etp == 1);
  CHECK(s.moe_expert_params == 12 * 3 * h * 704);            // 12 SwiGLU experts: fc1 h x 2Fe, fc2 Fe x h
  CHECK(s.moe_dense_params == h * 12 + 3 * h * 1408);        // router h x E, shared experts
  m.moe_topk = 0;  // Megatron's minimum routing is one expert
  CHECK(hp::detail::make_shape(m, l).topk == 1);
}

TEST_CASE("gemm_peak: the precision's tensor-core rate, falling back when the GPU lacks it", "[perf][formula]") {
  hp::GpuSpec g;
  g.peak_bf16_flops_per_s = 100;
  g.peak_fp8_flops_per_s = 200;
  g.peak_fp4_flops_per_s = 400;
  using P = hp::Precision;
  CHECK(hp::detail::gemm_peak(g, P::bf16) == 100);
  CHECK(hp::detail::gemm_peak(g, P::fp8_delayed) == 200);
  CHECK(hp::detail::gemm_peak(g, P::fp8_current) == 200);
  CHECK(hp::detail::gemm_peak(g, P::mxfp8) == 200);
  CHECK(hp::detail::gemm_peak(g, P::nvfp4) == 400);
  g.peak_fp4_flops_per_s = 0;
  CHECK(hp::detail::gemm_peak(g, P::nvfp4) == 200);
  g.peak_fp8_flops_per_s = 0;
  CHECK(hp::detail::gemm_peak(g, P::fp8_delayed) == 100);
  CHECK(hp::detail::gemm_peak(g, P::nvfp4) == 100);
}

TEST_CASE("stage_params: layers, embedding, output layer and final norm per pipeline rank", "[perf][formula]") {
  hp::ModelSpec m = biased_gqa();
  hp::Layout l = asym_layout();  // tp 2, pp 3, 4 layers on each stage
  const double h = 1024, V = 32000, P = 4096;
  const hp::detail::Shape s = hp::detail::make_shape(m, l);
  const double layer_sharded = s.attn_params + s.mlp_params, layer_norms = 4 * h;
  const double per_layer = layer_sharded / 2 + layer_norms;  // norms are replicated across TP
  const auto first = hp::detail::stage_params(s, 0), mid = hp::detail::stage_params(s, 1),
             last = hp::detail::stage_params(s, 2);
  CHECK(first.embedding == (V * h + P * h) / 2);
  CHECK(first.dense == Approx(4 * per_layer + (V * h + P * h) / 2).epsilon(1e-15));
  CHECK(mid.embedding == 0);
  CHECK(mid.dense == Approx(4 * per_layer).epsilon(1e-15));
  CHECK(last.embedding == V * h / 2);
  CHECK(last.dense == Approx(4 * per_layer + V * h / 2 + 2 * h).epsilon(1e-15));  // output layer, final norm
  CHECK(first.expert == 0);

  // Tied: the last stage holds a copy of the word embedding when pp > 1, nothing extra when pp = 1.
  m.share_embeddings_and_output_weights = true;
  const hp::detail::Shape tied = hp::detail::make_shape(m, l);
  CHECK(hp::detail::stage_params(tied, 2).embedding == V * h / 2);
  hp::Layout one = l;
  one.pp = 1;
  one.num_gpus = 4;
  const hp::detail::Shape single = hp::detail::make_shape(m, one);
  const auto only = hp::detail::stage_params(single, 0);
  CHECK(only.embedding == (V * h + P * h) / 2);
  CHECK(only.dense == Approx(10 * per_layer + (V * h + P * h) / 2 + 2 * h).epsilon(1e-15));
}

TEST_CASE("stage_params: routed experts sharded over EP x ETP, MoE share of the layers", "[perf][formula]") {
  hp::ModelSpec m = biased_gqa();
  m.num_layers = 12;
  m.moe_num_experts = 16;
  m.moe_topk = 2;
  m.moe_ffn_hidden_size = 512;
  m.moe_layer_freq = 3;  // 4 of 12 layers
  hp::Layout l = asym_layout();
  l.pp = 2;
  l.num_gpus = 64;  // tp 2, pp 2, cp 2 -> dp 8
  l.ep = 4;
  l.etp = 2;
  const hp::detail::Shape s = hp::detail::make_shape(m, l);
  const double h = 1024;
  const double experts_per_layer = 16 * 3 * h * 512;
  // 6 layers per stage, a third of them MoE; experts over ep x etp = 8 GPUs.
  CHECK(hp::detail::stage_params(s, 1).expert == Approx(6 * (4.0 / 12) * experts_per_layer / 8).epsilon(1e-15));
  // Dense part of a MoE layer: router h x E (+ no shared experts); the other layers carry the dense MLP.
  const double sharded = s.attn_params + (8.0 / 12) * s.mlp_params + (4.0 / 12) * (h * 16);
  CHECK(hp::detail::stage_params(s, 1).dense ==
        Approx(6 * (sharded / 2 + 4 * h) + 32000 * h / 2 + 2 * h).epsilon(1e-14));
}

TEST_CASE("total_params equals the exact module count for every architecture", "[perf][formula]") {
  hp::ModelSpec gqa = biased_gqa();
  hp::ModelSpec tied = biased_gqa();
  tied.share_embeddings_and_output_weights = true;
  tied.normalization = "rmsnorm";
  hp::ModelSpec moe = biased_gqa();
  moe.num_layers = 9;
  moe.moe_num_experts = 6;
  moe.moe_topk = 2;
  moe.moe_ffn_hidden_size = 640;
  moe.moe_shared_expert_ffn_size = 384;
  moe.moe_layer_freq = 2;
  moe.add_bias_linear = false;  // the memory model leaves out expert biases (no shipped MoE has them)
  const hp::ModelSpec t5 = hp_test::small_t5(6, 4, 512, 128);
  hp::ModelSpec bert = biased_gqa();
  bert.family = "bert";
  bert.num_query_groups = 0;
  bert.kv_channels = 0;
  bert.activation = "gelu";
  bert.share_embeddings_and_output_weights = true;
  hp::ModelSpec one = moe;  // a single (MoE) layer: the MoE share is 1
  one.num_layers = 1;
  for (const hp::ModelSpec& m : {gqa, tied, moe, t5, bert, one}) {
    INFO(m.family << " layers " << m.num_layers << " tied " << m.share_embeddings_and_output_weights);
    const hp::detail::Shape s = hp::detail::make_shape(m, hp::Layout{});
    // model.cpp counts module by module; the memory model leaves out T5's LM-head bias (one value per vocabulary
    // entry) and the decoder's relative-bias table (buckets x heads), < 0.01 % of the model.
    const double left_out = m.is_encoder_decoder() ? m.vocab_size + 32.0 * m.num_attention_heads : 0;
    CHECK(hp::detail::total_params(s) + left_out == Approx(double(hp::count_parameters(m).total)).epsilon(1e-15));
  }
}

TEST_CASE("model FLOPs per sequence equal Megatron-LM's num_floating_point_operations", "[perf][formula][flops]") {
  hp::ModelSpec gqa = biased_gqa();
  hp::ModelSpec moe = biased_gqa();
  moe.num_layers = 9;
  moe.moe_num_experts = 8;
  moe.moe_topk = 3;
  moe.moe_ffn_hidden_size = 768;
  moe.moe_shared_expert_ffn_size = 1280;
  moe.moe_layer_freq = 2;  // 5 of 9 layers
  hp::ModelSpec bert = biased_gqa();
  bert.family = "bert";  // attends both ways: no causal halving
  bert.activation = "gelu";
  hp::ModelSpec one = moe;  // a single MoE layer
  one.num_layers = 1;
  for (const hp::ModelSpec& m : {gqa, moe, bert, one}) {
    INFO(m.family << " moe " << m.moe_num_experts << " layers " << m.num_layers);
    const hp::detail::Shape s = hp::detail::make_shape(m, asym_layout());
    CHECK(hp::detail::model_flops_per_sequence(s) == Approx(megatron_flops_per_sequence(m, !m.is_bert())).epsilon(1e-12));
  }
}

TEST_CASE("in-flight layers per pipeline rank follow Megatron-Core's warm-up counts", "[perf][formula][memory]") {
  // schedules.py: non-interleaved, rank r runs min(m, p - r) forwards before its first backward (warm-up p - r - 1,
  // plus the steady-state one); interleaved, (p - r - 1) * 2 + (v - 1) * p warm-up model chunks plus one, at most
  // all m * v chunks.
  hp::ModelSpec m = biased_gqa();
  m.num_layers = 24;
  hp::Layout l;
  l.pp = 4;
  l.num_gpus = 4;
  l.mbs = 1;
  l.gbs = 3;  // 3 micro-batches: fewer than p
  hp::detail::Shape s = hp::detail::make_shape(m, l);
  CHECK(hp::detail::in_flight_layers(s, 0) == 3 * 6);  // min(3, 4) micro-batches of 6 layers
  CHECK(hp::detail::in_flight_layers(s, 2) == 2 * 6);  // min(3, 2)
  CHECK(hp::detail::in_flight_layers(s, 3) == 1 * 6);
  l.gbs = 16;
  s = hp::detail::make_shape(m, l);
  CHECK(hp::detail::in_flight_layers(s, 0) == 4 * 6);
  CHECK(hp::detail::in_flight_layers(s, 1) == 3 * 6);
  l.vp = 3;  // chunks of 24 / 12 = 2 layers
  s = hp::detail::make_shape(m, l);
  // Rank 0: 15 chunks of 2 layers = Korthikanti's first-stage L (1 + (p - 1) / (p v)) = 24 (1 + 3 / 12).
  CHECK(hp::detail::in_flight_layers(s, 0) == ((4 - 0 - 1) * 2 + (3 - 1) * 4 + 1) * 2.0);
  CHECK(hp::detail::in_flight_layers(s, 1) == ((4 - 1 - 1) * 2 + (3 - 1) * 4 + 1) * 2.0);  // 13 chunks
  CHECK(hp::detail::in_flight_layers(s, 3) == ((4 - 3 - 1) * 2 + (3 - 1) * 4 + 1) * 2.0);  // 9 chunks
  l.gbs = 2;  // m * v = 6 chunks caps the warm-up
  s = hp::detail::make_shape(m, l);
  CHECK(hp::detail::in_flight_layers(s, 0) == 6 * 2.0);
}
