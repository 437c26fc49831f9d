// Multi-latent attention, dense-first MoE stacks and multi-token prediction, pinned to hand computations on an
// asymmetric model (every width differs: h 640, a*(d+r) 720, a*v 400, c' 192, c 96, r 24) and to the published
// DeepSeek checkpoints. Sources:
//  - DeepSeek-V2, arXiv 2405.04434 section 2.1 (MLA: latents, decoupled RoPE key, absorbed decode, KV cache
//    (d_c + d_h^R) elements per token and layer); DeepSeek-V3, arXiv 2412.19437 sections 2.1-2.2 (architecture).
//  - Megatron-Core multi_latent_attention.py (projection shapes; down projections duplicated over TP) and
//    Megatron-LM training.py num_floating_point_operations, multi_latent_attention and MTP terms (transcribed below).
#include <catch2/catch.hpp>

#include <limits>
#include <random>
#include <utility>

#include "hp/catalog.hpp"
#include "hp/core.hpp"
#include "hp/hardware.hpp"
#include "hp/inference.hpp"
#include "hp/model.hpp"
#include "hp/nemo_config.hpp"
#include "hp/perf.hpp"
#include "hp/runs.hpp"
#include "hp/calibration.hpp"
#include "perf_shape.hpp"

namespace {

using i64 = long long;

// 5 layers: 2 dense (F 1664), then 3 MoE (6 experts of 352, top-2, one shared expert of 352, routing bias).
hp::ModelSpec asym_mla(bool moe = true) {
  hp::ModelSpec m;
  m.family = "deepseek";
  m.num_layers = 5;
  m.hidden_size = 640;
  m.ffn_hidden_size = 1664;
  m.num_attention_heads = 10;
  m.vocab_size = 1000;
  m.seq_length = 256;
  m.max_position_embeddings = 256;
  m.position_embedding = "rope";
  m.activation = "swiglu";
  m.normalization = "rmsnorm";
  m.add_bias_linear = false;
  m.share_embeddings_and_output_weights = false;
  m.multi_latent_attention = true;
  m.q_lora_rank = 192;
  m.kv_lora_rank = 96;
  m.qk_head_dim = 48;
  m.qk_pos_emb_head_dim = 24;
  m.v_head_dim = 40;
  if (moe) {
    m.moe_num_experts = 6;
    m.moe_topk = 2;
    m.moe_ffn_hidden_size = 352;
    m.moe_shared_expert_ffn_size = 352;
    m.first_k_dense_replace = 2;
    m.moe_router_enable_expert_bias = true;
  }
  return m;
}

// Module by module (Megatron-Core MLASelfAttention): q_down h x c', q_up c' x a(d+r), kv_down h x (c+r),
// kv_up c x a(d+v), linear_proj a v x h.
i64 mla_attention(i64 h, i64 a, i64 qr, i64 kvr, i64 d, i64 r, i64 v) {
  const i64 q = qr > 0 ? h * qr + qr * a * (d + r) : h * a * (d + r);
  return q + h * (kvr + r) + kvr * a * (d + v) + a * v * h;
}

// Megatron-LM num_floating_point_operations, multi_latent_attention branch with MTP, batch 1, as written there.
double megatron_mla_flops(const hp::ModelSpec& m, int num_dense_layers, int num_moe_layers, bool last_is_moe) {
  const double h = m.hidden_size, a = m.num_attention_heads, s = m.seq_length;
  const double qk = m.qk_head_dim, r = m.qk_pos_emb_head_dim, v = m.v_head_dim;
  const double mtp = m.mtp_num_layers;
  num_moe_layers += last_is_moe ? m.mtp_num_layers : 0;
  num_dense_layers += last_is_moe ? 0 : m.mtp_num_layers;
  const double num_layers = m.num_layers + mtp;
  const double q_term = m.q_lora_rank == 0 ? h * a * (qk + r) : m.q_lora_rank * (h + a * (qk + r) + 1);
  const double self_attn = 3 * 2 * num_layers *
                           (q_term + m.kv_lora_rank * (h + a * (qk + v) + 1) + h * r + a * v * h +
                            s * (a * (qk + r)) / 2 + s * a * v / 2);
  const double mlp = 3 * 2 * h *
                     (m.ffn_hidden_size * 3.0 * num_dense_layers +
                      (double(m.moe_ffn_hidden_size) * m.moe_topk * 3) * num_moe_layers +
                      m.moe_shared_expert_ffn_size * 3.0 * num_moe_layers);
  return s * (mlp + self_attn + 3 * 2 * mtp * (3 * h + 2 * h * h) + 3 * 2 * h * double(m.vocab_size) * (mtp + 1));
}

}  // namespace

TEST_CASE("MLA parameters: every projection, the latent norms, dense-first MoE and the routing bias", "[mla][formula]") {
  const hp::ModelSpec m = asym_mla();
  const i64 h = 640, a = 10, V = 1000;
  const i64 attn = mla_attention(h, a, 192, 96, 48, 24, 40);
  CHECK(attn == 122880 + 138240 + 76800 + 84480 + 256000);  // 192x640, 192x720, 640x120, 96x880, 400x640
  const i64 norms_per_layer = 2 * h + 192 + 96;                  // RMSNorm: input, pre-MLP, q and kv latents
  const i64 dense_mlp = 3 * h * 1664;
  const i64 expert = 3 * h * 352;
  const i64 moe_mlp = 6 * expert + expert + h * 6 + 6;  // routed, shared, router, routing bias
  const hp::ParameterCount c = hp::count_parameters(m);
  CHECK(m.num_moe_layers() == 3);
  CHECK(!m.is_moe_layer(1));
  CHECK(m.is_moe_layer(2));
  CHECK(c.attention == 5 * attn);
  CHECK(c.norms == 5 * norms_per_layer + h);
  CHECK(c.mlp == 2 * dense_mlp + 3 * moe_mlp);
  CHECK(c.moe_experts == 3 * 6 * expert);
  CHECK(c.total == V * h + 5 * attn + 5 * norms_per_layer + h + 2 * dense_mlp + 3 * moe_mlp + V * h);
  CHECK(c.active == c.total - 3 * (6 - 2) * expert);
  CHECK(c.mtp == 0);

  // Without query compression: h x a(d+r) queries, no q latent norm.
  hp::ModelSpec q = m;
  q.q_lora_rank = 0;
  const hp::ParameterCount cq = hp::count_parameters(q);
  CHECK(cq.attention == 5 * mla_attention(h, a, 0, 96, 48, 24, 40));
  CHECK(cq.attention == 5 * (h * 720 + 76800 + 84480 + 256000));
  CHECK(cq.norms == c.norms - 5 * 192);

  // LayerNorm latents have a bias too; linear_proj is the only MLA linear with a bias.
  hp::ModelSpec ln = m;
  ln.normalization = "layernorm";
  ln.add_bias_linear = true;
  const hp::ParameterCount cl = hp::count_parameters(ln);
  CHECK(cl.attention == 5 * (attn + h));
  CHECK(cl.norms == 2 * (5 * norms_per_layer + h));

  // One MTP depth: a layer of the last layer's kind (MoE), enorm + hnorm + final norm, eh_proj 2h x h.
  hp::ModelSpec mtp = m;
  mtp.mtp_num_layers = 1;
  const hp::ParameterCount cm = hp::count_parameters(mtp);
  CHECK(cm.mtp == attn + norms_per_layer + moe_mlp + 3 * h + 2 * h * h);
  CHECK(cm.total == c.total + cm.mtp);
  CHECK(cm.attention == c.attention);
}

TEST_CASE("MLA shape: TP-split and duplicated projections, core widths, latents, per-stage parameters", "[mla][formula]") {
  const hp::ModelSpec m = asym_mla();
  hp::Layout l;
  l.num_gpus = 6;
  l.tp = 2;
  l.pp = 1;
  l.mbs = 1;
  l.gbs = 3;
  l.sequence_parallel = true;
  const hp::detail::Shape s = hp::detail::make_shape(m, l);
  CHECK(s.mla);
  CHECK(s.attn_proj == 192.0 * 720 + 96.0 * 880 + 400.0 * 640);   // q_up, kv_up, linear_proj
  CHECK(s.attn_proj_rep == 640.0 * 192 + 640.0 * 120);           // q_down, kv_down
  CHECK(s.core_qk == 720);
  CHECK(s.core_v == 400);
  CHECK(s.proj_in == 400);
  CHECK(s.kv_exchange == 720 + 400);
  CHECK(s.latents == 192 + 96);
  CHECK(s.attn_gather == 192 + 96 + 24);
  CHECK(s.attn_params == s.attn_proj);
  CHECK(s.attn_params_rep == s.attn_proj_rep + 192 + 96);
  CHECK(s.num_moe_layers == 3);
  // Total as the exact count (the down projections and latent norms are replicated, not dropped).
  CHECK(hp::detail::total_params(s) == Approx(double(hp::count_parameters(m).total)).epsilon(1e-15));
  // One GPU of the only stage: TP splits attn_params, replicates attn_params_rep and the norms.
  const hp::detail::StageParams p = hp::detail::stage_params(s, 0);
  const double dense_layer = 1664.0 * 640 * 3, moe_dense = 640.0 * 6 + 6 + 3.0 * 640 * 352;
  const double tp_part = 5 * s.attn_params + 2 * dense_layer + 3 * moe_dense;
  const double rep = 5 * (s.attn_params_rep + 2 * 640);
  CHECK(p.dense == Approx(tp_part / 2 + rep + 640 + 2 * 1000 * 640 / 2.0).epsilon(1e-13));
  CHECK(p.expert == Approx(3 * 6 * 3.0 * 640 * 352 / 2).epsilon(1e-13));  // etp = tp = 2 by default
}

TEST_CASE("MLA model FLOPs equal Megatron's num_floating_point_operations, with MTP", "[mla][formula]") {
  hp::ModelSpec m = asym_mla();
  CHECK(hp::model_flops_per_step(m, 3) == Approx(3 * megatron_mla_flops(m, 2, 3, true)).epsilon(1e-13));
  m.mtp_num_layers = 2;
  CHECK(hp::model_flops_per_step(m, 1) == Approx(megatron_mla_flops(m, 2, 3, true)).epsilon(1e-13));
  m.q_lora_rank = 0;
  CHECK(hp::model_flops_per_step(m, 1) == Approx(megatron_mla_flops(m, 2, 3, true)).epsilon(1e-13));
  // Every second layer MoE after 2 dense ones: layers 2 and 4 (3 dense, last layer MoE).
  m.moe_layer_freq = 2;
  CHECK(m.num_moe_layers() == 2);
  CHECK(hp::model_flops_per_step(m, 1) == Approx(megatron_mla_flops(m, 3, 2, true)).epsilon(1e-13));
}

TEST_CASE("MLA activations per layer: Q, K, V and output input per head, latents whole on each TP rank", "[mla][formula]") {
  const hp::ModelSpec m = asym_mla(false);  // dense: the MLP term is Korthikanti's
  for (bool sp : {true, false}) {
    hp::Layout l;
    l.num_gpus = 2;
    l.tp = 2;
    l.gbs = 2;
    l.mbs = 2;
    l.num_gpus = 2;
    l.sequence_parallel = sp;
    l.flash_attention = true;
    const hp::detail::Shape s = hp::detail::make_shape(m, l);
    const double S = 256, b = 2, h = 640, t = 2;
    const double replicated = 10 * S * b * h + 4 * S * b * (192 + 96);
    const double sharded = 2 * S * b * (720 + 400 + 720 + 400) + 4 * 10 * S * b + 2 * 3 * S * b * 1664;
    INFO("sp " << sp);
    CHECK(hp::detail::layer_activation_bytes(s, l) == Approx((sp ? replicated / t : replicated) + sharded / t).epsilon(1e-14));
  }
}

TEST_CASE("MLA step FLOPs: duplicated down projections split by TP only with SP, core over d+r and v", "[mla][formula]") {
  const hp::ModelSpec m = asym_mla(false);
  const hp::GpuSpec gpu = hp::find_gpu("h100-sxm");
  for (bool sp : {true, false}) {
    hp::Layout l;
    l.num_gpus = 4;
    l.tp = 2;
    l.mbs = 1;
    l.gbs = 4;  // dp 2, 2 micro-batches
    l.sequence_parallel = sp;
    const hp::Estimate e = hp::estimate(m, l, gpu, hp::default_calibration(gpu));
    REQUIRE(e.reason == hp::Infeasible::none);
    const double tokens = 256, t = 2;
    const double gemm = 2 * tokens * ((192.0 * 720 + 96.0 * 880 + 400.0 * 640) + 3.0 * 640 * 1664) / t +
                        2 * tokens * (640.0 * 192 + 640.0 * 120) / (sp ? t : 1);
    const double attn = 2 * tokens * 256 * (720 + 400) * 0.5 / t;
    const double logits = 2 * tokens * 640 * 1000 / t;
    const double per_mb = 5 * (gemm * 3 + attn * 3.5);  // 3 GEMM passes, fused attention 1 + 2.5
    INFO("sp " << sp);
    CHECK(e.hardware_flops_per_step == Approx((2 * per_mb + 2 * 3 * logits) * t * 2).epsilon(1e-13));
  }
}

TEST_CASE("MLA serving: latent KV cache per token and layer, replicated down projections", "[mla][formula][inference]") {
  const hp::ModelSpec m = asym_mla(false);
  const hp::GpuSpec gpu = hp::find_gpu("h100-sxm");
  hp::InferenceLayout l;
  l.tp = 2;
  l.batch_size = 3;
  l.input_len = 100;
  l.output_len = 28;
  l.weight_dtype = "bf16";
  l.kv_cache_dtype = "fp8";
  const hp::InferenceEstimate e = hp::estimate_inference(m, l, gpu, hp::default_inference_calibration(gpu, "trtllm"));
  // (kv_lora_rank + qk_pos_emb_head_dim) elements per token and layer, whole on each TP rank, 1 byte (fp8).
  CHECK(e.memory.kv_cache_bytes == Approx(3.0 * 5 * (100 + 28) * (96 + 24) * 1).epsilon(1e-14));
  const hp::ParameterCount c = hp::count_parameters(m);
  const double edge = double(c.embedding) + double(c.output_layer);
  const double rep = 5 * (640.0 * 192 + 640.0 * 120 + 192 + 96);
  const double body = double(c.total) - edge;
  CHECK(e.memory.weights_bytes == Approx(((body - rep) / 2 + rep) * 2 + edge / 2 * 2).epsilon(1e-14));
  // GQA of the same heads would cache 2 x 5 heads x 72 channels per GPU: MLA's latent is the smaller cache here.
  CHECK(e.fits);
}

TEST_CASE("DeepSeek catalogue: exact counts of the published checkpoints", "[mla][model][families]") {
  // DeepSeek-V3 config.json, module by module: 3 dense layers (F 18432), 58 MoE layers (256 x 2048 routed,
  // 1 x 2048 shared, router 256 x 7168 + 256 bias), MLA 1536/512/128/64/128 with 128 heads, vocab 129280 untied.
  const i64 h = 7168, V = 129280;
  const i64 attn = mla_attention(h, 128, 1536, 512, 128, 64, 128) + 1536 + 512 + 2 * h;
  const i64 dense = attn + 3 * h * 18432, moe = attn + 257 * 3 * h * 2048 + 256 * h + 256;
  const i64 v3 = 3 * dense + 58 * moe + 2 * V * h + h;
  CHECK(v3 == 671026419200LL);  // "671B total" (arXiv 2412.19437): the main model without the MTP module
  const hp::ParameterCount c3 = hp::count_parameters(hp::find_model("deepseek/deepseek_v3"));
  CHECK(c3.total == v3);
  CHECK(c3.active == v3 - 58LL * 248 * 3 * h * 2048);
  CHECK(double(c3.active) / 1e9 == Approx(37.55).epsilon(1e-3));  // "37B activated"
  CHECK(hp::count_parameters(hp::find_model("deepseek/deepseek_r1")).total == v3);
  // With its one MTP depth as Megatron-Core builds it (embedding and head shared): + 11.61B.
  hp::ModelSpec with_mtp = hp::find_model("deepseek/deepseek_v3");
  with_mtp.mtp_num_layers = 1;
  CHECK(hp::count_parameters(with_mtp).mtp == moe + 3 * h + 2 * h * h);
  CHECK(hp::count_parameters(with_mtp).mtp == 11610068224LL);
  // DeepSeek-V2-Lite: 27 layers (1 dense, F 10944), 64 x 1408 routed + 2 shared, top-6, no Q compression, 16 heads.
  const i64 hl = 2048, Vl = 102400;
  const i64 attn_l = mla_attention(hl, 16, 0, 512, 128, 64, 128) + 512 + 2 * hl;
  const i64 lite = (attn_l + 3 * hl * 10944) + 26 * (attn_l + 66 * 3 * hl * 1408 + 64 * hl) + 2 * Vl * hl + hl;
  CHECK(lite == 15706484224LL);  // "15.7B total" (arXiv 2405.04434 appendix B)
  CHECK(hp::count_parameters(hp::find_model("deepseek/deepseek_v2_lite")).total == lite);
}

TEST_CASE("MLA and layer-pattern bad input names the key and the value", "[mla][errors]") {
  auto error_of = [](const hp::ModelSpec& m) {
    try {
      hp::validate(m);
    } catch (const hp::ConfigError& e) {
      return e.key() + "=" + e.value();
    }
    return std::string("accepted");
  };
  CHECK(error_of(asym_mla()) == "accepted");
  // One bad field at a time on the valid model; the error names that field and its value.
  using Mutate = void (*)(hp::ModelSpec&);
  const std::pair<Mutate, const char*> cases[] = {
      {[](hp::ModelSpec& m) { m.kv_lora_rank = 0; }, "kv_lora_rank=0"},
      {[](hp::ModelSpec& m) { m.qk_head_dim = -3; }, "qk_head_dim=-3"},
      {[](hp::ModelSpec& m) { m.qk_pos_emb_head_dim = 25; }, "qk_pos_emb_head_dim=25"},
      {[](hp::ModelSpec& m) { m.v_head_dim = 0; }, "v_head_dim=0"},
      {[](hp::ModelSpec& m) { m.q_lora_rank = -1; }, "q_lora_rank=-1"},
      {[](hp::ModelSpec& m) { m.num_query_groups = 5; }, "num_query_groups=5"},
      {[](hp::ModelSpec& m) { m.position_embedding = "learned_absolute"; }, "position_embedding=learned_absolute"},
      {[](hp::ModelSpec& m) { m.multi_latent_attention = false; }, "q_lora_rank=192"},
      {[](hp::ModelSpec& m) { m.first_k_dense_replace = 5; }, "first_k_dense_replace=5"},
      {[](hp::ModelSpec& m) { m.mtp_num_layers = -1; }, "mtp_num_layers=-1"},
  };
  for (const auto& [mutate, expected] : cases) {
    hp::ModelSpec m = asym_mla();
    mutate(m);
    CHECK(error_of(m) == expected);
  }
}

TEST_CASE("MLA NeMo YAML: written with Megatron's keys and read back", "[mla][nemo]") {
  hp::BaseConfigRequest req;
  req.size_b = 5;
  req.num_nodes = 2;
  hp::TrainingConfig c = hp::base_config(req);
  c.model = hp::find_model("deepseek/deepseek_v2_lite");
  c.model.mtp_num_layers = 1;
  const std::string yaml = hp::to_nemo_yaml(c);
  CHECK(yaml.find("multi_latent_attention: true") != std::string::npos);
  CHECK(yaml.find("q_lora_rank: null") != std::string::npos);
  CHECK(yaml.find("kv_lora_rank: 512") != std::string::npos);
  CHECK(yaml.find("moe_layer_freq: [0, 1, 1,") != std::string::npos);
  CHECK(yaml.find("moe_shared_expert_intermediate_size: 2816") != std::string::npos);
  const hp::TrainingConfig back = hp::parse_nemo_yaml(yaml);
  CHECK(back.model.family == "deepseek");
  CHECK(back.model.vocab_size == 102400);
  CHECK(back.model.is_mla());
  CHECK(back.model.q_lora_rank == 0);
  CHECK(back.model.first_k_dense_replace == 1);
  CHECK(back.model.mtp_num_layers == 1);
  CHECK(hp::count_parameters(back.model).total == hp::count_parameters(c.model).total);
  // A pattern that is not "first k dense, then every n-th" names the key.
  std::string pattern = "[0";  // 27 layers, MoE at 1, 4, 7, ...: not "k dense, then every n-th from layer 0"
  for (int l = 1; l < 27; ++l) pattern += l % 3 == 1 ? ", 1" : ", 0";
  const std::string odd = hp::override_yaml(yaml, {{"model.moe_layer_freq", pattern + "]"}});
  CHECK_THROWS_WITH(hp::parse_nemo_yaml(odd), Catch::Contains("model.moe_layer_freq"));
  const std::string zero = hp::override_yaml(yaml, {{"model.kv_lora_rank", "0"}});
  CHECK_THROWS_WITH(hp::parse_nemo_yaml(zero), Catch::Contains("kv_lora_rank=0"));
  // NeMo 2's DeepSeek-V3 recipe: 61 layers over PP 16 with 3 and 2 layers on the first and last stage.
  hp::BaseConfigRequest v3;
  v3.family = "deepseek_v3";
  v3.size_b = 671;
  v3.num_nodes = 128;
  const std::string v3_yaml = hp::to_nemo_yaml(hp::base_config(v3));
  CHECK(v3_yaml.find("num_layers_in_first_pipeline_stage: 3") != std::string::npos);
  const hp::TrainingConfig v3_back = hp::parse_nemo_yaml(v3_yaml);
  CHECK(v3_back.num_layers_in_last_pipeline_stage == 2);
  const hp::Layout l = hp::layout_from_nemo(v3_back);
  CHECK((l.tp == 2 && l.pp == 16 && l.ep == 64 && l.uneven_pipeline && l.num_gpus == 1024));
  const hp::GpuSpec gpu = hp::find_gpu("h100-sxm");
  CHECK(hp::estimate(v3_back.model, l, gpu, hp::default_calibration(gpu)).reason != hp::Infeasible::layers_not_divisible);
}

TEST_CASE("MLA rows of a runs CSV: catalogue dimensions by model name, or the optional columns", "[mla][runs]") {
  const std::string head =
      "row_id,model,arch_type,num_layers,hidden_size,ffn_hidden_size,moe_ffn_hidden_size,num_attention_heads,seq_length,"
      "vocab_size,moe_num_experts,moe_topk,moe_shared_expert_ffn_size,gpu_type,num_gpus,tp,pp,ep,mbs,gbs,"
      "kv_lora_rank,q_lora_rank,qk_head_dim,qk_pos_emb_head_dim,v_head_dim,first_k_dense_replace\n";
  const std::string v3 = "DeepSeek-V3 671B,moe (MLA attention),61,7168,18432,2048,128,4096,129280,256,8,2048,h100-sxm,1024,2,16,64,1,8192,";
  const hp::Table t = hp::parse_csv(head + "1," + v3 + ",,,,,\n" + "2," + v3 + "256,,64,32,64,5\n" +
                                        "3,Mystery 1T,moe (MLA attention),61,7168,18432,2048,128,4096,129280,256,8,2048,h100-sxm,1024,2,16,64,1,8192,,,,,,\n" +
                                        "4," + v3 + "0,,128,64,128,\n",
                                    "<test>");
  const auto runs = hp::runs_from_table(t);
  REQUIRE(runs.size() == 4);
  CHECK(runs[0].ok());
  CHECK(runs[0].model.is_mla());
  CHECK(runs[0].model.q_lora_rank == 1536);
  CHECK(runs[0].model.first_k_dense_replace == 3);
  CHECK(hp::count_parameters(runs[0].model).total == 671026419200LL);
  CHECK(runs[1].ok());
  CHECK(runs[1].model.kv_lora_rank == 256);
  CHECK(runs[1].model.q_lora_rank == 0);
  CHECK(runs[1].model.qk_head_dim == 64);
  CHECK(runs[1].model.first_k_dense_replace == 5);
  CHECK(runs[2].error.rfind("arch_type=moe (MLA attention): MLA: give the kv_lora_rank", 0) == 0);
  CHECK(runs[3].error.rfind("kv_lora_rank=0", 0) == 0);
}

TEST_CASE("MLA property: huge or negative dimensions are rejected before any count overflows", "[mla][hardening]") {
  const hp::GpuSpec gpu = hp::find_gpu("h100-sxm");
  int hp::ModelSpec::*fields[] = {&hp::ModelSpec::q_lora_rank, &hp::ModelSpec::kv_lora_rank, &hp::ModelSpec::qk_head_dim,
                                  &hp::ModelSpec::qk_pos_emb_head_dim, &hp::ModelSpec::v_head_dim,
                                  &hp::ModelSpec::first_k_dense_replace, &hp::ModelSpec::mtp_num_layers};
  for (auto f : fields)
    for (int v : {-1, std::numeric_limits<int>::min(), std::numeric_limits<int>::max(), 1 << 30}) {
      hp::ModelSpec m = hp::find_model("deepseek/deepseek_v3");
      m.*f = v;
      INFO("value " << v);
      CHECK_THROWS_AS(hp::validate(m), hp::ConfigError);
      CHECK_THROWS_AS(hp::count_parameters(m), hp::ConfigError);
      CHECK(hp::estimate(m, hp::Layout{}, gpu, hp::default_calibration(gpu)).reason == hp::Infeasible::invalid_model);
    }
  // The largest accepted dimensions still count without overflow (every product below 2^63).
  hp::ModelSpec m = hp::find_model("deepseek/deepseek_v3");
  m.q_lora_rank = m.kv_lora_rank = 1 << 17;
  m.qk_head_dim = m.v_head_dim = m.qk_pos_emb_head_dim = 1 << 16;
  m.mtp_num_layers = 1 << 12;
  CHECK(hp::count_parameters(m).total > 0);
}

TEST_CASE("MLA property: the per-stage shape totals equal the exact count for random valid dimensions", "[mla][formula]") {
  std::mt19937 rng(14);
  auto pick = [&rng](std::initializer_list<int> v) { return *(v.begin() + std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng)); };
  for (int i = 0; i < 200; ++i) {
    hp::ModelSpec m = asym_mla(pick({0, 1}) == 1);
    m.num_layers = pick({3, 5, 8});
    m.q_lora_rank = pick({0, 64, 192});
    m.kv_lora_rank = pick({32, 96, 160});
    m.qk_head_dim = pick({16, 48});
    m.qk_pos_emb_head_dim = pick({8, 24, 64});
    m.v_head_dim = pick({24, 40, 128});
    m.normalization = pick({0, 1}) ? "rmsnorm" : "layernorm";
    // The per-stage shape leaves expert-MLP biases out (tests/cpp/test_formula_shape.cpp pins that), so biases
    // only on dense models here.
    m.add_bias_linear = !m.is_moe() && pick({0, 1}) == 1;
    if (m.is_moe()) m.first_k_dense_replace = pick({0, 1, 2});
    INFO("case " << i);
    hp::Layout l;
    const hp::detail::Shape s = hp::detail::make_shape(m, l);
    CHECK(hp::detail::total_params(s) == Approx(double(hp::count_parameters(m).total)).epsilon(1e-15));
    // More latent channels never make the model cheaper: FLOPs grow with kv_lora_rank.
    hp::ModelSpec wider = m;
    wider.kv_lora_rank += 32;
    CHECK(hp::model_flops_per_step(wider, 1) > hp::model_flops_per_step(m, 1));
  }
}

TEST_CASE("MLA TP communication: with SP the attention block gathers the latents and the RoPE key", "[mla][formula]") {
  const hp::ModelSpec m = asym_mla(false);
  const hp::GpuSpec gpu = hp::find_gpu("h100-sxm");
  hp::Layout l;
  l.num_gpus = 4;
  l.tp = 2;
  l.gbs = 4;
  l.sequence_parallel = true;
  const double with_sp = hp::estimate(m, l, gpu, hp::default_calibration(gpu)).time.tp_comm_s;
  l.sequence_parallel = false;
  const double without = hp::estimate(m, l, gpu, hp::default_calibration(gpu)).time.tp_comm_s;
  // Per layer 4 collectives of h without SP; with SP one of them moves c' + c + r = 192 + 96 + 24 channels.
  CHECK(with_sp / without == Approx((3 * 640.0 + 312) / (4 * 640)).epsilon(1e-12));
}

TEST_CASE("MLA decode attention: absorbed latent scores, the latent read once per GPU", "[mla][formula][inference]") {
  const hp::ModelSpec m = asym_mla(false);
  hp::InferenceLayout l;
  l.tp = 2;
  l.batch_size = 3;
  l.input_len = 100;
  l.output_len = 28;
  l.weight_dtype = "bf16";
  const double ctx = 100 + 28 / 2.0;
  hp::GpuSpec gpu = hp::find_gpu("h100-sxm");
  const hp::InferenceCalibration cal = hp::default_inference_calibration(gpu, "trtllm");
  hp::GpuSpec memory_bound = gpu;  // attention compute free: the latent read sets the time
  memory_bound.peak_bf16_flops_per_s = 1e30;
  const double bytes = 3 * ctx * (96 + 24) * 2;
  CHECK(hp::estimate_inference(m, l, memory_bound, cal).decode_kv_s ==
        Approx(5 * bytes / (gpu.memory_bandwidth_bytes_per_s * cal.memory_efficiency * cal.kv_read_efficiency)).epsilon(1e-12));
  hp::GpuSpec compute_bound = gpu;  // HBM free: the scores over c + r and the latent sum over c set the time
  compute_bound.memory_bandwidth_bytes_per_s = 1e30;
  const double flops = 2 * 3 * ctx * (10 / 2.0) * ((96 + 24) + 96);
  CHECK(hp::estimate_inference(m, l, compute_bound, cal).decode_kv_s ==
        Approx(5 * flops / (gpu.peak_bf16_flops_per_s * cal.attention_efficiency)).epsilon(1e-12));
}
