// MoE serving: expected experts hit, the dispatch/combine all-to-all with attention DP, expert weights sharded over
// EP, EP in the serving search, served-model names (Hugging Face ids) and their catalogue entries, and the
// perf-overview-shaped measurements CSV.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "collectives.hpp"
#include "hp/core.hpp"
#include "hp/hardware.hpp"
#include "hp/inference.hpp"
#include "hp/inference_serving.hpp"
#include "hp/inference_validate.hpp"
#include "hp/served_models.hpp"
#include "hp/serving_search.hpp"

namespace {

hp::InferenceLayout decode_layout(int tp, int ep, bool adp, int batch) {
  hp::InferenceLayout l;
  l.tp = tp;
  l.ep = ep;
  l.attention_dp = adp;
  l.batch_size = batch;
  l.input_len = 128;
  l.output_len = 128;
  l.weight_dtype = "fp8";
  return l;
}

}  // namespace

TEST_CASE("expected experts hit: E (1 - (1 - k/E)^tokens)", "[serving][moe]") {
  using hp::detail::moe_experts_hit;
  CHECK(moe_experts_hit(8, 2, 0) == 0);
  CHECK(moe_experts_hit(8, 2, 1) == Approx(2));               // one token: exactly its k experts
  CHECK(moe_experts_hit(8, 2, 2) == Approx(8 * (1 - 0.75 * 0.75)));
  CHECK(moe_experts_hit(128, 8, 1e6) == Approx(128));         // many tokens: every expert
  CHECK(moe_experts_hit(128, 8, 16) < moe_experts_hit(128, 8, 32));
}

TEST_CASE("all-to-all bytes: (ep-1)/ep of the top-k routed copies", "[serving][moe]") {
  using hp::detail::moe_alltoall_bytes;
  CHECK(moe_alltoall_bytes(1, 100, 2, 4096, 2) == 0);
  CHECK(moe_alltoall_bytes(8, 100, 2, 4096, 2) == Approx(7.0 / 8 * 100 * 2 * 4096 * 2));
}

TEST_CASE("all-to-all time: NVLink inside a domain, each GPU's own NIC across", "[serving][moe][formula]") {
  using hp::detail::alltoall_seconds;
  hp::GpuSpec g;
  g.nvlink_bandwidth_bytes_per_s = 400e9;
  g.internode_bandwidth_bytes_per_s = 50e9;
  g.nvlink_domain_size = 8;
  CHECK(alltoall_seconds(g, 1, 1, 1e9, 1) == 0);
  CHECK(alltoall_seconds(g, 2, 4, 1e9, 0.5) == Approx(1e9 / 200e9));  // 8 GPUs: one domain
  // 64 ranks 2 apart: 4 per domain, so 3 of the 63 peers are on NVLink and 60/63 of the bytes leave through the
  // rank's own NIC - not the 4 pooled NICs a ring over the same group would use (group_bandwidth).
  CHECK(alltoall_seconds(g, 2, 64, 63e9, 1) == Approx(60e9 / 50e9));
  CHECK(alltoall_seconds(g, 2, 64, 63e9, 1) > 63e9 / hp::detail::group_bandwidth(g, 2, 64));
  // Few peers outside but slow NVLink: the NVLink share sets the time.
  g.nvlink_bandwidth_bytes_per_s = 1e9;
  CHECK(alltoall_seconds(g, 1, 16, 15e9, 1) == Approx(7e9 / 1e9));
}

TEST_CASE("decode reads only the experts hit: batch 1 reads the active parameters", "[serving][moe]") {
  const hp::ModelSpec m = hp::resolve_served_model("mistralai/Mixtral-8x7B-Instruct-v0.1").model;
  const hp::GpuSpec g = hp::find_gpu("h100-sxm");
  const auto cal = hp::default_inference_calibration(g);
  const auto one = hp::estimate_inference(m, decode_layout(1, 1, false, 1), g, cal);
  const auto many = hp::estimate_inference(m, decode_layout(1, 1, false, 64), g, cal);
  // Batch 1: the layers read their attention, router and top-2 experts (the active parameters less embedding and
  // LM head, FP8) and the 16-bit LM head, at the calibrated HBM bandwidth.
  const auto pc = hp::count_parameters(m);
  const double layers = double(pc.active - pc.embedding - pc.output_layer - pc.norms);
  const double bytes = layers * 1.0 + double(pc.output_layer) * 2;
  const double bw = g.memory_bandwidth_bytes_per_s * cal.memory_efficiency;
  CHECK(one.decode_weights_s == Approx(bytes / bw).epsilon(0.01));
  // 64 sequences touch nearly all 8 experts: about the whole model is read.
  const double all = double(pc.total - pc.embedding - pc.output_layer - pc.norms) + double(pc.output_layer) * 2;
  CHECK(many.decode_weights_s > 2 * one.decode_weights_s);
  CHECK(many.decode_weights_s <= Approx(all / bw).epsilon(0.01));
}

TEST_CASE("attention DP: two all-to-alls per MoE layer instead of the TP all-reduces", "[serving][moe]") {
  const hp::ModelSpec m = hp::resolve_served_model("mixtral-8x7b").model;
  const hp::GpuSpec g = hp::find_gpu("h100-sxm");
  auto cal = hp::default_inference_calibration(g);
  const int batch = 64;
  const auto adp = hp::estimate_inference(m, decode_layout(8, 8, true, batch), g, cal);
  REQUIRE(adp.fits);
  // Each GPU dispatches its own batch / 8 tokens' top-2 copies, 7/8 of them to other GPUs, over NVLink.
  const double bytes = hp::detail::moe_alltoall_bytes(8, batch / 8.0, 2, m.hidden_size, 2);
  const double per_a2a = cal.allreduce_latency_s + bytes / (g.nvlink_bandwidth_bytes_per_s * cal.comm_efficiency);
  CHECK(adp.decode_comm_s == Approx(m.num_layers * 2 * per_a2a).epsilon(1e-6));
  // EP inside TP without attention DP: every rank holds every token, the combine is the TP all-reduce; the time
  // equals plain TP's.
  const auto tp8 = hp::estimate_inference(m, decode_layout(8, 1, false, batch), g, cal);
  const auto ep8 = hp::estimate_inference(m, decode_layout(8, 8, false, batch), g, cal);
  CHECK(ep8.tpot_s == Approx(tp8.tpot_s));
  CHECK(ep8.decode_comm_s == Approx(tp8.decode_comm_s));
  CHECK(adp.decode_comm_s != Approx(tp8.decode_comm_s));
}

TEST_CASE("memory: routed experts over tp GPUs, the rest replicated with attention DP", "[serving][moe]") {
  const hp::ModelSpec m = hp::resolve_served_model("Qwen/Qwen3-30B-A3B").model;
  const hp::GpuSpec g = hp::find_gpu("h200");
  const auto cal = hp::default_inference_calibration(g);
  const auto pc = hp::count_parameters(m);
  const double experts = double(pc.moe_experts), edge = double(pc.embedding + pc.output_layer);
  const double rest = double(pc.total) - experts - edge;
  const auto tp = hp::estimate_inference(m, decode_layout(4, 1, false, 1), g, cal);
  const auto ep = hp::estimate_inference(m, decode_layout(4, 4, false, 1), g, cal);
  const auto adp = hp::estimate_inference(m, decode_layout(4, 4, true, 1), g, cal);
  CHECK(tp.memory.weights_bytes == Approx((rest + experts) / 4 * 1 + edge / 4 * 2));
  CHECK(ep.memory.weights_bytes == Approx(tp.memory.weights_bytes));  // EP changes which GPU holds an expert
  CHECK(adp.memory.weights_bytes == Approx(rest * 1 + experts / 4 * 1 + edge * 2));
  // 4 K/V heads over 4 GPUs: 1 each; attention DP keeps all 4 heads of a quarter of the requests: the same bytes.
  CHECK(adp.memory.kv_cache_bytes == Approx(tp.memory.kv_cache_bytes));
  // 4 K/V heads over 8 GPUs are replicated (2 ranks per head): attention DP halves the per-request KV cache.
  const auto tp8 = hp::estimate_inference(m, decode_layout(8, 1, false, 1), g, cal);
  const auto adp8 = hp::estimate_inference(m, decode_layout(8, 8, true, 1), g, cal);
  CHECK(adp8.memory.kv_cache_bytes == Approx(tp8.memory.kv_cache_bytes / 2));
}

TEST_CASE("bad expert layouts: ConfigError naming the key and the value", "[serving][moe]") {
  const hp::GpuSpec g = hp::find_gpu("h100-sxm");
  const auto cal = hp::default_inference_calibration(g);
  const hp::ModelSpec moe = hp::resolve_served_model("mixtral-8x7b").model;
  const hp::ModelSpec dense = hp::resolve_served_model("llama-3.1-8b").model;
  CHECK_THROWS_WITH(hp::estimate_inference(moe, decode_layout(3, 3, false, 1), g, cal),
                    Catch::StartsWith("ep=3") && Catch::Contains("8 experts"));
  CHECK_THROWS_WITH(hp::estimate_inference(dense, decode_layout(2, 2, false, 1), g, cal),
                    Catch::StartsWith("ep=2") && Catch::Contains("dense"));
  CHECK_THROWS_WITH(hp::estimate_inference(dense, decode_layout(2, 1, true, 1), g, cal),
                    Catch::StartsWith("attention_dp=true"));
  CHECK_THROWS_WITH(hp::estimate_inference(moe, decode_layout(4, 2, true, 1), g, cal),
                    Catch::StartsWith("attention_dp=true") && Catch::Contains("ep == tp"));
  // ep that does not divide tp: a layout the search skips, an infeasible reason for a single estimate.
  CHECK(hp::estimate_inference(moe, decode_layout(2, 4, false, 1), g, cal).reason ==
        hp::InferenceInfeasible::experts_not_divisible);
  hp::InferenceSettings s;
  s.mode = "max_throughput";
  s.tensor_parallel_sizes = {2};
  s.pipeline_parallel_sizes = {1};
  s.expert_parallel_sizes = {3};
  CHECK_THROWS_WITH(hp::serving_search(moe, g, s, cal),
                    Catch::StartsWith("inference_settings.expert_parallel_sizes=[3]"));
  s.expert_parallel_sizes = {2};
  CHECK_THROWS_WITH(hp::serving_search(dense, g, s, cal),
                    Catch::StartsWith("inference_settings.expert_parallel_sizes=[2]") && Catch::Contains("dense"));
}

TEST_CASE("serving search: EP and attention DP in the space of a MoE model", "[serving][moe]") {
  const hp::ModelSpec m = hp::resolve_served_model("Qwen/Qwen3-235B-A22B-FP8").model;
  const hp::GpuSpec g = hp::find_gpu("h200");
  hp::InferenceSettings s;
  s.mode = "max_throughput";
  s.data_type = "fp8";
  s.tensor_parallel_sizes = {4, 8};
  s.pipeline_parallel_sizes = {1};
  s.input_seq_lengths = {1000};
  s.output_seq_lengths = {1000};
  const auto r = hp::serving_search(m, g, s, hp::default_inference_calibration(g, s.engine));
  CHECK(r.settings.expert_parallel_sizes == std::vector<int>{1, 2, 4, 8});
  bool adp = false, ep_gt_tp = false;
  for (const auto& c : r.candidates) {
    adp |= c.layout.attention_dp;
    ep_gt_tp |= c.layout.ep > c.layout.tp;
    if (c.layout.attention_dp) CHECK(c.layout.ep == c.layout.tp);
  }
  CHECK(adp);
  CHECK_FALSE(ep_gt_tp);
  CHECK(hp::serving_csv(r).find("rank,kind,tp,pp,ep,attention_dp,") == 0);
  s.attention_dp = "false";
  for (const auto& c : hp::serving_search(m, g, s, hp::default_inference_calibration(g, s.engine)).candidates)
    CHECK_FALSE(c.layout.attention_dp);
}

TEST_CASE("served names: Hugging Face ids and usual spellings, the suffix gives the dtype", "[serving][names]") {
  struct Case {
    const char* name;
    const char* key;
    const char* dtype;
  };
  const Case cases[] = {
      {"meta-llama/Llama-3.1-8B-Instruct", "llama-3.1-8b", ""},
      {"meta-llama/Meta-Llama-3.1-70B-Instruct", "llama-3.1-70b", ""},
      {"nvidia/Llama-3.3-70B-Instruct-FP4", "llama-3.3-70b", "nvfp4"},
      {"nvidia/Llama-3.1-405B-Instruct-FP8", "llama-3.1-405b", "fp8"},
      {"Qwen/Qwen3-235B-A22B-FP8", "qwen3-235b-a22b", "fp8"},
      {"Qwen/Qwen3-235B-A22B-Instruct-2507-FP8", "qwen3-235b-a22b", "fp8"},
      {"Qwen/Qwen3-30B-A3B", "qwen3-30b-a3b", ""},
      {"mistralai/Mixtral-8x7B-Instruct-v0.1", "mixtral/mixtral_8x7b", ""},
      {"mistralai/Mixtral-8x22B-v0.1", "mixtral-8x22b", ""},
      {"mistralai/Mistral-7B-Instruct-v0.3", "mistral-7b", ""},
      {"openai/gpt-oss-120b", "gpt-oss-120b", "mxfp4"},
      {"openai/gpt-oss-20b", "gpt-oss-20b", "mxfp4"},
      {"meta-llama/Llama-4-Scout-17B-16E-Instruct", "llama-4-scout-17b-16e", ""},
      {"nvidia/Llama-4-Maverick-17B-128E-Instruct-FP8", "llama-4-maverick-17b-128e", "fp8"},
      {"llama-4-maverick", "llama-4-maverick-17b-128e", ""},
      {"meta-llama/Meta-Llama-3-70B-Instruct", "llama/llama3_70b", ""},
      {"meta-llama/Llama-2-70b-hf", "llama-2-70b", ""},
      {"llama3_70b", "llama/llama3_70b", ""},
      {"gpt3/5b", "gpt3/5b", ""},
      {"gpt-j-6b", "gpt-j-6b", ""},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    const auto s = hp::resolve_served_model(c.name);
    CHECK(s.key == c.key);
    CHECK(s.weight_dtype == c.dtype);
  }
  std::string dtype;
  CHECK(hp::canonical_served_name("deepseek-ai/DeepSeek-R1-0528", &dtype) == "deepseek-r1");
  CHECK(hp::canonical_served_name("nvidia/DeepSeek-R1-0528-FP4-v2", &dtype) == "deepseek-r1");
  CHECK(dtype == "nvfp4");
  CHECK_THROWS_WITH(hp::resolve_served_model("someorg/Made-Up-7B-Instruct"),
                    Catch::StartsWith("model=someorg/Made-Up-7B-Instruct") && Catch::Contains("made-up-7b"));
}

TEST_CASE("served catalogue: exact published parameter counts, total and active", "[serving][names][model]") {
  struct Count {
    const char* key;
    double total_b, active_b;
    bool active_without_embedding;  ///< gpt-oss's card counts the unembedding but not the embedding
  };
  const Count counts[] = {
      // Model cards (Hugging Face): Meta Llama 3.1/3.3, Mistral AI, Qwen3 technical report Table 2, OpenAI gpt-oss.
      {"llama-3.1-8b", 8.03, 8.03, false},      {"llama-3.1-70b", 70.55, 70.55, false},
      {"llama-3.3-70b", 70.55, 70.55, false},   {"llama-3.1-405b", 405.85, 405.85, false},
      {"mistral-7b", 7.24, 7.24, false},        {"mixtral-8x22b", 141, 39, false},
      {"mistral-7b-v0.1", 7.24, 7.24, false},  // the window has no parameters
      {"qwen3-30b-a3b", 30.5, 3.3, false},      {"qwen3-235b-a22b", 235, 22, false},
      {"gpt-oss-20b", 20.91, 3.61, true},       {"gpt-oss-120b", 116.83, 5.13, true},
      {"llama-4-scout-17b-16e", 109, 17, false}, {"llama-4-maverick-17b-128e", 400, 17, false},
  };
  for (const auto& c : counts) {
    INFO(c.key);
    const auto pc = hp::count_parameters(hp::resolve_served_model(c.key).model);
    CHECK(double(pc.total) / 1e9 == Approx(c.total_b).epsilon(c.total_b == 109 ? 0.015 : 0.01));
    const double active = double(pc.active - (c.active_without_embedding ? pc.embedding : 0));
    CHECK(active / 1e9 == Approx(c.active_b).epsilon(0.02));
  }
  for (const auto& e : hp::served_model_catalog()) CHECK(e.model.name == e.key);
}

TEST_CASE("mxfp4: 0.5 + 1/32 bytes, weight-only without FP4 tensor cores, never a KV-cache format", "[serving][moe]") {
  CHECK(hp::dtype_bytes("weight_dtype", "mxfp4") == Approx(0.53125));
  CHECK_THROWS_WITH(hp::dtype_bytes("kv_cache_dtype", "mxfp4"), Catch::StartsWith("kv_cache_dtype=mxfp4"));
  const hp::ModelSpec m = hp::resolve_served_model("openai/gpt-oss-120b").model;
  hp::ServingLayout l;
  l.weight_dtype = "mxfp4";
  const hp::GpuSpec h100 = hp::find_gpu("h100-sxm"), b200 = hp::find_gpu("b200");
  const auto h = hp::estimate_serving(m, l, h100, hp::default_inference_calibration(h100));
  const auto b = hp::estimate_serving(m, l, b200, hp::default_inference_calibration(b200));
  CHECK(h.fits);  // runs on Hopper (weight-only MXFP4 kernels)
  CHECK(b.fits);
  CHECK(h.weights_bytes == Approx(b.weights_bytes));
  CHECK(b.output_tokens_per_s_per_gpu > h.output_tokens_per_s_per_gpu);
}

TEST_CASE("perf-overview-shaped CSV (synthetic values): Hugging Face ids, EP and attention DP rows evaluated",
          "[serving][names]") {
  const auto rows =
      hp::load_inference_measurements_csv(std::string(HP_SOURCE_DIR) + "/tests/data/inference/perf_overview_synthetic.csv");
  REQUIRE(rows.size() == 12);
  CHECK(rows[0].layout.weight_dtype == "nvfp4");  // empty column, -FP4 suffix
  CHECK(rows[3].layout.ep == 8);
  CHECK(rows[3].layout.attention_dp);
  CHECK(rows[3].id.find("/ep8/adp/") != std::string::npos);
  CHECK(rows[8].layout.weight_dtype == "mxfp4");  // gpt-oss: the checkpoint's format
  CHECK_THAT(rows[10].problem, Catch::Contains("unknown model someorg/Made-Up-Model-7B-Instruct"));
  CHECK_THAT(rows[11].problem, Catch::Contains("ep 2 on a dense model"));
  const auto rep = hp::validate_inference(rows);
  CHECK(rep.num_not_evaluated == 2);
  for (size_t i = 0; i < 10; ++i) {
    INFO(rows[i].id);
    CHECK(rep.rows[i].evaluated);
    CHECK(rep.rows[i].predicted_fits);
    CHECK(rep.rows[i].predicted > 0);
  }
  // The writer keeps EP and attention DP.
  const auto again = hp::parse_inference_measurements_csv(hp::inference_measurements_csv(rows), "again.csv");
  CHECK(again[3].layout.ep == 8);
  CHECK(again[3].layout.attention_dp);
}
