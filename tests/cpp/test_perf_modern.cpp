// Issue 15: precision recipes, FSDP, the embedding/loss-aware pipeline split, unspecified ETP and the CP cost at
// short sequences. Each check pins a formula of docs/model.md, not a fitted number.
#include <catch2/catch.hpp>

#include "hp/core.hpp"
#include "hp/nemo_config.hpp"
#include "hp/perf.hpp"
#include "hp/runs.hpp"

namespace {

hp::ModelSpec llama(int layers, int hidden, int ffn, int heads, int seq) {
  hp::ModelSpec m;
  m.num_layers = layers;
  m.hidden_size = hidden;
  m.ffn_hidden_size = ffn;
  m.num_attention_heads = heads;
  m.num_query_groups = 8;
  m.seq_length = m.max_position_embeddings = seq;
  m.vocab_size = 128256;
  m.activation = "swiglu";
  m.normalization = "rmsnorm";
  m.position_embedding = "rope";
  m.add_bias_linear = false;
  m.share_embeddings_and_output_weights = false;
  return m;
}

hp::Layout layout(int gpus, int tp, int pp, int gbs) {
  hp::Layout l;
  l.num_gpus = gpus;
  l.tp = tp;
  l.pp = pp;
  l.gbs = gbs;
  l.sequence_parallel = tp > 1;
  return l;
}

hp::Estimate run(const hp::ModelSpec& m, const hp::Layout& l, const char* gpu) {
  const hp::GpuSpec g = hp::find_gpu(gpu);
  return hp::estimate(m, l, g, hp::default_calibration(g));
}

}  // namespace

TEST_CASE("precision words parse, and unknown words name the key and the accepted words", "[perf][precision]") {
  CHECK(hp::parse_precision("precision", "bf16") == hp::Precision::bf16);
  CHECK(hp::parse_precision("precision", "bf16 (launcher default config)") == hp::Precision::bf16);
  CHECK(hp::parse_precision("precision", "fp16 mixed") == hp::Precision::bf16);
  CHECK(hp::parse_precision("precision", "FP8") == hp::Precision::fp8_delayed);
  CHECK(hp::parse_precision("precision", "FP8-CS") == hp::Precision::fp8_current);
  CHECK(hp::parse_precision("precision", "FP8-MX") == hp::Precision::mxfp8);
  CHECK(hp::parse_precision("precision", "mxfp8") == hp::Precision::mxfp8);
  CHECK(hp::parse_precision("precision", "NVFP4") == hp::Precision::nvfp4);
  for (auto p : {hp::Precision::bf16, hp::Precision::fp8_delayed, hp::Precision::fp8_current, hp::Precision::mxfp8,
                 hp::Precision::nvfp4})
    CHECK(hp::parse_precision("precision", hp::to_string(p)) == p);
  try {
    hp::parse_precision("precision", "int4");
    FAIL("no error");
  } catch (const hp::ConfigError& e) {
    CHECK(e.key() == "precision");
    CHECK(e.value() == "int4");
    CHECK(std::string(e.what()).find("bf16, fp8 (delayed scaling), fp8-cs (current scaling), mxfp8, nvfp4") !=
          std::string::npos);
  }
}

TEST_CASE("precision: peaks per GPU, Blackwell-only formats, quantization passes", "[perf][precision]") {
  const hp::ModelSpec m = llama(32, 4096, 14336, 32, 8192);
  hp::Layout l = layout(8, 1, 1, 128);
  l.mbs = 1;
  l.precision = hp::Precision::nvfp4;
  CHECK(run(m, l, "h100-sxm").reason == hp::Infeasible::fp8_unsupported);
  l.precision = hp::Precision::mxfp8;
  CHECK(run(m, l, "h100-sxm").reason == hp::Infeasible::fp8_unsupported);
  CHECK(run(m, l, "gb200").fits);

  double t[5];
  int i = 0;
  for (auto p : {hp::Precision::bf16, hp::Precision::fp8_delayed, hp::Precision::fp8_current, hp::Precision::mxfp8,
                 hp::Precision::nvfp4}) {
    l.precision = p;
    const hp::Estimate e = run(m, l, "gb200");
    REQUIRE(e.fits);
    t[i++] = e.time.step_time_s;
  }
  CHECK(t[1] < t[0]);   // FP8 GEMMs at twice the BF16 peak
  CHECK(t[2] > t[1]);   // current scaling reads each tensor once more for its amax
  CHECK(t[3] == Approx(t[2]));  // MXFP8: same peak, same number of extra passes
  CHECK(t[4] < t[3]);   // NVFP4 at the FP4 peak
  // MFU is against the precision's own peak.
  l.precision = hp::Precision::nvfp4;
  const hp::Estimate e = run(m, l, "gb200");
  CHECK(e.mfu == Approx(e.model_flops_per_step / e.time.step_time_s / 8 / 10000e12));
}

TEST_CASE("FSDP shards weights, gradients and optimizer state over DP x CP", "[perf][fsdp]") {
  // Llama 3 70B on 64 GB200 at TP1 PP1: the NeMo 25.04 FSDP layout that ran.
  const hp::ModelSpec m = llama(80, 8192, 28672, 64, 8192);
  hp::Layout l = layout(64, 1, 1, 128);
  l.precision = hp::Precision::fp8_current;
  const hp::Estimate plain = run(m, l, "gb200");
  CHECK(plain.reason == hp::Infeasible::out_of_memory);
  l.fsdp = true;
  const hp::Estimate e = run(m, l, "gb200");
  CHECK(e.fits);
  const double n = e.num_parameters;
  const double per_layer = (n - 2.0 * 128256 * 8192 - 8192) / 80;  // transformer layers only
  // 2 B weights + 1 B FP8 copy, 2 B gradients, 12 B Adam, each over 64 ranks, plus two gathered layers and one
  // unsharded layer gradient.
  CHECK(e.memory.weights_bytes == Approx(3 * n / 64 + 4 * per_layer).epsilon(1e-3));
  CHECK(e.memory.gradients_bytes == Approx(2 * n / 64 + 2 * per_layer).epsilon(1e-3));
  CHECK(e.memory.optimizer_bytes == Approx(12 * n / 64).epsilon(1e-3));
  CHECK(e.time.dp_comm_s == 0);
  CHECK(e.time.fsdp_comm_s > 0);  // at least the first layer's gather

  // On a slow network the per-micro-batch gathers and reduce-scatters cannot hide behind the compute.
  hp::GpuSpec slow = hp::find_gpu("h100-sxm");
  slow.internode_bandwidth_bytes_per_s = 1e9;
  const hp::ModelSpec small = llama(32, 4096, 14336, 32, 4096);
  hp::Layout f = layout(64, 1, 1, 64);
  f.fsdp = true;
  const hp::Estimate fast = hp::estimate(small, f, hp::find_gpu("h100-sxm"), hp::default_calibration(slow));
  const hp::Estimate starved = hp::estimate(small, f, slow, hp::default_calibration(slow));
  CHECK(starved.time.fsdp_comm_s > 10 * fast.time.fsdp_comm_s);
}

TEST_CASE("embedding and loss as pipeline layers: 126 layers with PP16 VP8", "[perf][pipeline]") {
  const hp::ModelSpec m = llama(126, 16384, 53248, 128, 8192);
  hp::Layout l = layout(1024, 8, 16, 512);
  l.vp = 8;
  CHECK(run(m, l, "h100-sxm").reason == hp::Infeasible::layers_not_divisible);
  l.account_for_embedding = l.account_for_loss = true;
  const hp::Estimate e = run(m, l, "h100-sxm");
  CHECK((e.reason == hp::Infeasible::none || e.reason == hp::Infeasible::out_of_memory));
  CHECK(e.time.step_time_s > 0);
  // Only one of the two: 127 is not divisible by 128.
  l.account_for_loss = false;
  CHECK(run(m, l, "h100-sxm").reason == hp::Infeasible::layers_not_divisible);
  // Without pipelining the flags change nothing.
  hp::Layout flat = layout(8, 8, 1, 8);
  const hp::ModelSpec small = llama(32, 4096, 14336, 32, 4096);
  const hp::Estimate a = run(small, flat, "h100-sxm");
  flat.account_for_embedding = flat.account_for_loss = true;
  CHECK(run(small, flat, "h100-sxm").time.step_time_s == Approx(a.time.step_time_s));
}

TEST_CASE("the first stage holds one layer fewer when the embedding takes a slot", "[perf][pipeline]") {
  const hp::ModelSpec m = llama(30, 4096, 14336, 32, 4096);
  hp::Layout l = layout(32, 1, 4, 128);
  l.account_for_embedding = l.account_for_loss = true;  // (30 + 2) / 4 = 8 slots per stage
  const hp::Estimate e = run(m, l, "h100-sxm");
  REQUIRE(e.time.step_time_s > 0);
  hp::ModelSpec m32 = m;
  m32.num_layers = 32;
  hp::Layout plain = layout(32, 1, 4, 128);
  const hp::Estimate full = run(m32, plain, "h100-sxm");
  // The middle stages run 8 layers either way; the slowest stage (last, with the logits) runs 7 + logits.
  CHECK(e.time.compute_s < full.time.compute_s);
}

TEST_CASE("unspecified ETP takes the value that makes a MoE layout valid", "[perf][moe]") {
  hp::ModelSpec m = llama(32, 4096, 14336, 32, 4096);
  m.moe_num_experts = 8;
  m.moe_topk = 2;
  m.moe_ffn_hidden_size = 14336;
  hp::Layout l = layout(8, 2, 1, 64);  // tp 2, dp 4: ep 8 x etp 2 = 16 does not divide 8
  l.ep = 8;
  CHECK(l.expert_tp(true) == 1);
  CHECK(run(m, l, "h100-sxm").reason != hp::Infeasible::experts_not_divisible);
  l.etp = 2;
  CHECK(run(m, l, "h100-sxm").reason == hp::Infeasible::experts_not_divisible);
  l.etp = 0;
  l.ep = 4;  // 4 x 2 divides 8: Megatron-Core's default, ETP = TP
  CHECK(l.expert_tp(true) == 2);
  CHECK(l.expert_tp(false) == 2);
}

TEST_CASE("CP at a short sequence costs more than a larger micro-batch at cp=1", "[perf][cp]") {
  hp::ModelSpec m = llama(32, 4096, 14336, 32, 2048);
  hp::Layout a = layout(8, 1, 1, 64);
  a.mbs = 4;
  hp::Layout b = a;
  b.cp = 2;
  b.mbs = 8;  // same tokens per GPU per micro-batch
  const hp::Estimate ea = run(m, a, "h100-sxm");
  const hp::Estimate eb = run(m, b, "h100-sxm");
  REQUIRE(ea.time.step_time_s > 0);
  REQUIRE(eb.time.step_time_s > 0);
  CHECK(eb.time.cp_comm_s > 0);
  CHECK(eb.time.step_time_s > ea.time.step_time_s);
}

TEST_CASE("runs CSV: precision, fsdp and pipeline_split columns, and unknown words stop the read", "[runs]") {
  const char* head = "row_id,num_layers,hidden_size,num_attention_heads,seq_length,gpu_type,num_gpus,tp,pp,gbs,";
  const hp::Table good = hp::parse_csv(std::string(head) +
                                           "precision,fsdp,pipeline_split\n"
                                           "1,30,4096,32,4096,DGX-GB200,32,1,4,128,FP8-MX,no,embedding+loss\n"
                                           "2,32,4096,32,4096,DGX-GB200,32,1,1,128,nvfp4,yes,\n",
                                       "t.csv");
  const auto runs = hp::runs_from_table(good);
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].layout.precision == hp::Precision::mxfp8);
  CHECK(runs[0].layout.account_for_embedding);
  CHECK(runs[0].layout.account_for_loss);
  CHECK(!runs[0].layout.fsdp);
  CHECK(runs[1].layout.precision == hp::Precision::nvfp4);
  CHECK(runs[1].layout.fsdp);
  for (const char* bad : {"int4,no,", "bf16,maybe,", "bf16,no,middle"}) {
    const hp::Table t = hp::parse_csv(std::string(head) + "precision,fsdp,pipeline_split\n" +
                                          "1,32,4096,32,4096,DGX-GB200,32,1,1,128," + bad + "\n",
                                      "t.csv");
    CHECK_THROWS_AS(hp::runs_from_table(t), hp::ConfigError);
  }
  const hp::Table t = hp::parse_csv(std::string(head) + "precision\n1,32,4096,32,4096,DGX-GB200,32,1,1,128,int4\n",
                                    "t.csv");
  CHECK_THROWS_WITH(hp::runs_from_table(t), Catch::Contains("precision (row 1)=int4") &&
                                                Catch::Contains("mxfp8, nvfp4"));
}

TEST_CASE("NeMo YAML writes and reads back the issue-15 layout keys", "[perf][nemo]") {
  hp::BaseConfigRequest req;
  req.family = "gpt3";
  req.size_b = 5;
  req.num_nodes = 2;
  hp::TrainingConfig c = hp::base_config(req);
  c.fp8 = true;
  c.fp8_recipe = "mxfp8";
  c.expert_tensor_parallel_size = 1;
  c.fsdp = true;
  c.account_for_embedding_in_pipeline_split = c.account_for_loss_in_pipeline_split = true;
  c.moe_token_dispatcher_type = "flex";
  c.cpu_offloading_num_layers = 4;
  const std::string text = hp::to_nemo_yaml(c);
  const hp::Layout l = hp::layout_from_nemo(hp::parse_nemo_yaml(text));
  CHECK(l.precision == hp::Precision::mxfp8);
  CHECK(l.etp == 1);
  CHECK(l.fsdp);
  CHECK(l.account_for_embedding);
  CHECK(l.account_for_loss);
  CHECK(l.moe_dispatcher == hp::MoeDispatcher::flex);
  CHECK(l.activation_offload_layers == 4);
  // Defaults write none of the keys (the classic YAML stays as it was).
  const std::string plain = hp::to_nemo_yaml(hp::base_config(req));
  for (const char* key : {"expert_tensor_parallel_size", "account_for_", "fp8_recipe", "cpu_offloading"})
    CHECK(plain.find(key) == std::string::npos);
  CHECK(plain.find("fsdp: false") != std::string::npos);  // NeMo's own key, as before
  c.fp8_recipe = "float8";
  CHECK_THROWS_AS(hp::parse_nemo_yaml(hp::to_nemo_yaml(c)), hp::ConfigError);
}
