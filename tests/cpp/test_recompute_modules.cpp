// Selective recompute of named modules (Megatron-Core recompute_modules; issue 15): the names table, each module's
// memory saving and time cost against hand formulas (Korthikanti et al. 2022 Section 4 / Table 2 terms; one more
// forward of the module, Section 5), core_attn = the classic selective recompute, modules the model lacks, and the
// field in every place a layout is read or written (NeMo YAML, CSV, trial names, records, overrides).
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "hp/catalog.hpp"
#include "hp/core.hpp"
#include "hp/nemo_config.hpp"
#include "hp/perf.hpp"
#include "hp/plan.hpp"
#include "hp/record.hpp"
#include "hp/runs.hpp"
#include "hp/search.hpp"

namespace {

namespace rm = hp::recompute_module;

// 6 layers: 2 dense (F 1024) then 4 MoE (8 experts of 256, top-2, one shared expert of 384); MLA with
// q latent 128, kv latent 64, d 32, r 16, v 24 over 8 heads; h 512, seq 512.
constexpr double kH = 512, kA = 8, kD = 32, kR = 16, kV = 24, kQr = 128, kKvr = 64, kF = 1024, kFe = 256, kFs = 384;
constexpr double kE = 8, kTopk = 2, kSeq = 512, kLayers = 6, kDense = 2, kMoe = 4;

hp::ModelSpec mla_moe() {
  // DeepSeek-V2-Lite's kind (MLA, DeepSeekMoE, SwiGLU, RMSNorm, RoPE, no biases) with small asymmetric sizes.
  hp::ModelSpec m = hp::find_model("deepseek/deepseek_v2_lite");
  m.num_layers = 6;
  m.first_k_dense_replace = 2;
  m.hidden_size = 512;
  m.ffn_hidden_size = 1024;
  m.num_attention_heads = 8;
  m.vocab_size = 1024;
  m.seq_length = m.max_position_embeddings = 512;
  m.q_lora_rank = 128;
  m.kv_lora_rank = 64;
  m.qk_head_dim = 32;
  m.qk_pos_emb_head_dim = 16;
  m.v_head_dim = 24;
  m.moe_num_experts = 8;
  m.moe_topk = 2;
  m.moe_ffn_hidden_size = 256;
  m.moe_shared_expert_ffn_size = 384;
  return m;
}

// 8 GPUs: tp 2 (SP), ep 4, etp 1, pp 1; gbs 8, mbs 1 -> dp 4, 2 micro-batches.
hp::Layout selective(std::uint32_t modules) {
  hp::Layout l;
  l.num_gpus = 8;
  l.tp = 2;
  l.ep = 4;
  l.etp = 1;
  l.mbs = 1;
  l.gbs = 8;
  l.sequence_parallel = true;
  l.recompute = hp::Recompute::selective;
  l.recompute_modules = modules;
  return l;
}

hp::Estimate run(const hp::ModelSpec& m, const hp::Layout& l) {
  const hp::GpuSpec gpu = hp::find_gpu("h100-sxm");
  return hp::estimate(m, l, gpu, hp::default_calibration(gpu));
}

// Activation bytes one layer drops per micro-batch (averaged over the 2 dense and 4 MoE layers), by hand from
// the per-tensor terms: S = 512 tokens, b = 1, t = 2 with SP, bf16 (2 B).
double dropped_per_layer(std::uint32_t module) {
  const double S = kSeq, t = 2, moe = kMoe / kLayers, dense = kDense / kLayers;
  const double routed = S * kTopk / t;  // routed copies per TP rank with SP
  switch (module) {
    case rm::layernorm: return (1 + moe) * 2 * S * kH / t;                          // MLA input norm, MoE pre-MLP norm
    case rm::mla_up_proj: return 2 * S * (kA * (kD + kR) * 2 + kA * kV) / t;        // Q, K, V
    case rm::mlp: return dense * 2 * 3 * S * kF / t;                                // fc1 output 2F, activation F
    case rm::moe_act: return moe * routed * 2 * kFe;                                // expert activation output
    case rm::shared_experts: return moe * 2 * 3 * S * kFs / t;
    case rm::moe: return moe * (2 * 3 * S * kFs / t + routed * (4 * kH + 2 * 3 * kFe));
  }
  return 0;
}

// Forward GEMM FLOPs the module adds to one step on all GPUs (gbs 8 sequences).
double extra_flops(std::uint32_t module) {
  const double tokens = 8 * kSeq;
  switch (module) {
    case rm::mla_up_proj: return 2 * tokens * kLayers * (kQr * kA * (kD + kR) + kKvr * kA * (kD + kV));
    case rm::mlp: return 2 * tokens * kDense * 3 * kH * kF;
    case rm::shared_experts: return 2 * tokens * kMoe * 3 * kH * kFs;
    case rm::moe: return 2 * tokens * kMoe * (kH * kE + 3 * kH * kFs + kTopk * 3 * kH * kFe);
  }
  return 0;  // layernorm, moe_act: element-wise only
}

}  // namespace

TEST_CASE("recompute modules: names table, parsing and bad words", "[recompute_modules]") {
  std::uint32_t all = 0;
  for (const hp::RecomputeModuleName& n : hp::recompute_module_names()) {
    INFO(n.name);
    CHECK((all & n.bit) == 0);  // one bit each
    all |= n.bit;
    CHECK(hp::parse_recompute_modules("k", n.name) == n.bit);
    CHECK(hp::recompute_modules_to_string(n.bit) == n.name);
  }
  CHECK(all == rm::all);
  CHECK(hp::recompute_modules_to_string(0).empty());
  CHECK(hp::parse_recompute_modules("k", "") == 0);
  // '+' (CSV), ',' and spaces (lists), '/' (NeMo's recommended configs), brackets and quotes ignored.
  const std::uint32_t v3 = rm::mla_up_proj | rm::layernorm | rm::moe | rm::mlp;
  for (const char* text : {"mla_up_proj+layernorm+moe+mlp", "[\"mla_up_proj\", \"layernorm\", \"moe\", \"mlp\"]",
                           "mla_up_proj/layernorm/moe/mlp", "MLA_UP_PROJ layernorm,moe mlp"})
    CHECK(hp::parse_recompute_modules("k", text) == v3);
  CHECK(hp::recompute_modules_to_string(v3) == "layernorm+mla_up_proj+mlp+moe");  // table order
  CHECK_THROWS_WITH(hp::parse_recompute_modules("recompute_modules", "mlp+up_proj"),
                    Catch::Contains("recompute_modules=mlp+up_proj") && Catch::Contains("core_attn, layernorm") &&
                        Catch::Contains("shared_experts"));
  // Only with selective granularity (Megatron-Core reads recompute_modules there only).
  hp::Layout l;
  l.recompute_modules = rm::mlp;
  CHECK_THROWS_WITH(hp::validate(l), Catch::Contains("recompute_modules=mlp") && Catch::Contains("selective"));
  CHECK(run(mla_moe(), l).reason == hp::Infeasible::invalid_layout);
  l.recompute = hp::Recompute::selective;
  CHECK_NOTHROW(hp::validate(l));
  l.recompute_modules = 1u << 20;
  CHECK_THROWS_WITH(hp::validate(l), Catch::Contains("recompute_modules"));
}

TEST_CASE("recompute modules: core_attn alone is the classic selective recompute, field by field",
          "[recompute_modules]") {
  for (bool flash : {true, false}) {
    for (const hp::ModelSpec& m : {mla_moe(), hp::find_model("gpt3/5b")}) {
      hp::Layout classic = selective(0), named = selective(rm::core_attn);
      if (!m.is_moe()) classic.ep = named.ep = 1;
      classic.flash_attention = named.flash_attention = flash;
      INFO(m.family << " flash " << flash);
      const auto a = hp::to_fields(run(m, classic)), b = hp::to_fields(run(m, named));
      REQUIRE(a.size() == b.size());
      for (std::size_t i = 0; i < a.size(); ++i) CHECK(a[i].second == b[i].second);
    }
  }
  // ... and the unfused selective recompute still drops the 5as^2b score tensors (Korthikanti Table 2) and runs
  // the attention forward once more.
  hp::Layout none = selective(0), sel = selective(rm::core_attn);
  none.recompute = hp::Recompute::none;
  none.ep = sel.ep = 1;
  none.flash_attention = sel.flash_attention = false;
  const hp::ModelSpec gpt = hp::find_model("gpt3/5b");
  const double a = gpt.num_attention_heads, s = gpt.seq_length;
  const double scores = 5 * a * s * s / 2;  // per layer per micro-batch, split by tp 2
  const hp::Estimate e_none = run(gpt, none), e_sel = run(gpt, sel);
  CHECK(e_none.memory.activations_bytes - e_sel.memory.activations_bytes ==
        Approx(gpt.num_layers * scores).epsilon(1e-12));
  CHECK(e_sel.hardware_flops_per_step > e_none.hardware_flops_per_step);
}

TEST_CASE("recompute modules: each module drops its saved tensors and adds its forward", "[recompute_modules]") {
  const hp::ModelSpec m = mla_moe();
  const hp::Estimate base = run(m, selective(rm::core_attn));
  REQUIRE(base.reason == hp::Infeasible::none);
  for (std::uint32_t module : {rm::layernorm, rm::mla_up_proj, rm::mlp, rm::moe_act, rm::shared_experts, rm::moe}) {
    INFO(hp::recompute_modules_to_string(module));
    const hp::Estimate e = run(m, selective(rm::core_attn | module));
    REQUIRE(e.reason == hp::Infeasible::none);
    // pp 1: one micro-batch of all 6 layers in flight; one layer's recomputed tensors exist again while its
    // backward runs, so 5 layers' worth is saved.
    CHECK(base.memory.activations_bytes - e.memory.activations_bytes ==
          Approx((kLayers - 1) * dropped_per_layer(module)).epsilon(1e-12));
    CHECK(e.hardware_flops_per_step - base.hardware_flops_per_step ==
          Approx(extra_flops(module)).epsilon(1e-9).margin(1e-3));
    CHECK(e.time.step_time_s > base.time.step_time_s);   // every module costs time, element-wise ones too
    CHECK(e.model_flops_per_step == base.model_flops_per_step);  // model FLOPs never count recompute
    // Collectives re-run: the dense MLP's and the MoE layer's TP all-gather / reduce-scatter (one all-reduce
    // volume, 4 per layer before), and the MoE layer's dispatch and combine (4 per MoE layer before).
    const double tp_extra = module == rm::mlp ? kDense / kLayers / 4 : module == rm::moe ? kMoe / kLayers / 4 : 0;
    CHECK(e.time.tp_comm_s == Approx(base.time.tp_comm_s * (1 + tp_extra)).epsilon(1e-12));
    CHECK(e.time.ep_comm_s == Approx(base.time.ep_comm_s * (module == rm::moe ? 1.5 : 1.0)).epsilon(1e-12));
  }
  // FP8 (current scaling) keeps the normed hidden state at 1.5 B and the dense fc2 input at 1 B: the recomputed
  // modules drop what is kept.
  hp::Layout fp8_base = selective(rm::core_attn), fp8_mods = selective(rm::core_attn | rm::layernorm | rm::mlp);
  fp8_base.precision = fp8_mods.precision = hp::Precision::fp8_current;
  const double fp8_drop = (1 + kMoe / kLayers) * 1.5 * kSeq * kH / 2 + kDense / kLayers * (2 * 3 - 1) * kSeq * kF / 2;
  CHECK(run(m, fp8_base).memory.activations_bytes - run(m, fp8_mods).memory.activations_bytes ==
        Approx((kLayers - 1) * fp8_drop).epsilon(1e-12));
  // DeepSeek-V3's NeMo pretrain recipe set (mla_up_proj, layernorm, moe, mlp): the savings add up.
  const std::uint32_t v3 = rm::mla_up_proj | rm::layernorm | rm::moe | rm::mlp;
  const hp::Estimate e = run(m, selective(v3));
  double drop = 0;
  for (std::uint32_t module : {rm::mla_up_proj, rm::layernorm, rm::moe, rm::mlp}) drop += dropped_per_layer(module);
  CHECK(base.memory.activations_bytes - e.memory.activations_bytes == Approx((kLayers - 1) * drop).epsilon(1e-12));
}

TEST_CASE("recompute modules: a module the model lacks is infeasible with its reason", "[recompute_modules]") {
  const hp::ModelSpec gpt = hp::find_model("gpt3/5b");
  hp::ModelSpec mixtral = mla_moe();  // MoE in every layer, no shared expert, no MLA
  mixtral.first_k_dense_replace = 0;
  mixtral.moe_shared_expert_ffn_size = 0;
  mixtral.multi_latent_attention = false;
  mixtral.q_lora_rank = mixtral.kv_lora_rank = mixtral.qk_head_dim = mixtral.qk_pos_emb_head_dim = 0;
  mixtral.v_head_dim = 0;
  auto reason = [](const hp::ModelSpec& m, std::uint32_t modules, hp::Precision p = hp::Precision::bf16) {
    hp::Layout l = selective(modules);
    if (!m.is_moe()) l.ep = 1;
    l.precision = p;
    return run(m, l).reason;
  };
  const auto absent = hp::Infeasible::recompute_module_absent;
  CHECK(reason(gpt, rm::mla_up_proj) == absent);
  CHECK(reason(gpt, rm::moe) == absent);
  CHECK(reason(gpt, rm::moe_act) == absent);
  CHECK(reason(gpt, rm::shared_experts) == absent);
  CHECK(reason(gpt, rm::layernorm) == absent);  // TE fuses a dense GQA layer's norms into its GEMMs
  CHECK(reason(gpt, rm::mlp | rm::core_attn) == hp::Infeasible::none);
  CHECK(reason(mixtral, rm::mlp) == absent);    // no dense layer
  CHECK(reason(mixtral, rm::shared_experts) == absent);
  CHECK(reason(mixtral, rm::moe | rm::moe_act | rm::layernorm) == hp::Infeasible::none);
  // Megatron-Core rejects moe_act and layernorm recompute with FP8 delayed scaling, not with current scaling.
  CHECK(reason(mixtral, rm::moe_act, hp::Precision::fp8_delayed) == absent);
  CHECK(reason(mixtral, rm::layernorm, hp::Precision::fp8_delayed) == absent);
  CHECK(reason(mixtral, rm::moe_act, hp::Precision::fp8_current) == hp::Infeasible::none);
  CHECK(std::string(hp::to_string(absent)).find("mla_up_proj needs MLA") != std::string::npos);
}

TEST_CASE("recompute modules: NeMo YAML, overrides, CSV column, trial names and records", "[recompute_modules]") {
  hp::BaseConfigRequest req;
  req.size_b = 5;
  req.num_nodes = 2;
  const hp::TrainingConfig base = hp::base_config(req);
  hp::TrainingConfig c = base;
  c.activations_checkpoint_granularity = "selective";
  c.recompute_modules = "mlp";
  const std::string yaml = hp::to_nemo_yaml(c);
  CHECK(yaml.find("recompute_modules: [mlp]") != std::string::npos);
  CHECK(hp::to_nemo_yaml(base).find("recompute_modules") == std::string::npos);  // unset: not written
  const hp::TrainingConfig back = hp::parse_nemo_yaml(yaml);
  CHECK(back.recompute_modules == "mlp");
  CHECK(hp::layout_from_nemo(back).recompute_modules == rm::mlp);
  // A user's config with the dotted override the plan writes (a Hydra list).
  hp::TrainingConfig sel = base;
  sel.activations_checkpoint_granularity = "selective";
  const hp::TrainingConfig over = hp::parse_nemo_yaml(
      hp::override_yaml(hp::to_nemo_yaml(sel), {{"model.recompute_modules", "[mlp,core_attn]"}}));
  CHECK(hp::layout_from_nemo(over).recompute_modules == (rm::mlp | rm::core_attn));
  // Bad input names the key: an unknown word, and modules without selective granularity.
  CHECK_THROWS_WITH(hp::parse_nemo_yaml(hp::override_yaml(yaml, {{"model.recompute_modules", "[mlp, attn]"}})),
                    Catch::Contains("model.recompute_modules") && Catch::Contains("accepted: core_attn"));
  hp::TrainingConfig full = back;
  full.activations_checkpoint_granularity = "full";
  CHECK_THROWS_WITH(hp::layout_from_nemo(full),
                    Catch::Contains("model.recompute_modules=mlp") && Catch::Contains("selective"));

  // Trial config, overrides, name and record of a layout with modules.
  hp::Trial t;
  t.layout = selective(rm::mla_up_proj | rm::mlp);
  const hp::TrainingConfig tc = hp::trial_config(base, t, hp::SearchPolicy::model);
  CHECK(tc.recompute_modules == "mla_up_proj+mlp");
  bool listed = false;
  for (const auto& [k, v] : hp::trial_overrides(tc, true))
    listed |= k == "model.recompute_modules" && v == "[mla_up_proj,mlp]";
  CHECK(listed);
  hp::RankedLayout r;
  r.layout = t.layout;
  CHECK(hp::model_run_name("deepseek", 671, 2, r).find("_act_ckpt_selective-mla_up_proj-mlp_") != std::string::npos);
  r.layout.recompute_modules = 0;
  CHECK(hp::model_run_name("deepseek", 671, 2, r).find("_act_ckpt_selective_") != std::string::npos);
  bool recorded = false;
  const hp::Record record = hp::trial_record(t);  // kept alive over the loop
  for (const auto& f : record.fields())
    recorded |= f.first == "recompute_modules" && f.second.text == "mla_up_proj+mlp";
  CHECK(recorded);

  // CSV column recompute_modules: words joined by '+'; an unknown word or modules without selective stop the read.
  const std::string head = "row_id,num_layers,hidden_size,num_attention_heads,seq_length,gpu_type,num_gpus,tp,gbs,"
                           "recompute,recompute_modules\n";
  const auto runs = hp::runs_from_table(hp::parse_csv(head + "1,24,2048,16,2048,H100-SXM-80GB,8,2,64,selective,"
                                                             "mlp+core_attn\n", "t.csv"));
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].layout.recompute_modules == (rm::mlp | rm::core_attn));
  CHECK_THROWS_WITH(hp::runs_from_table(hp::parse_csv(head + "1,24,2048,16,2048,H100-SXM-80GB,8,2,64,selective,mpl\n",
                                                      "t.csv")),
                    Catch::Contains("recompute_modules (row 1)=mpl") && Catch::Contains("accepted"));
  CHECK_THROWS_WITH(hp::runs_from_table(hp::parse_csv(head + "1,24,2048,16,2048,H100-SXM-80GB,8,2,64,full,mlp\n",
                                                      "t.csv")),
                    Catch::Contains("recompute_modules (row 1)=mlp") && Catch::Contains("selective"));
}
