// Serving with in-flight batching: steady-state identities, memory, queueing, precision and GPUs,
// disaggregation, the serving search and its bad input, and the measurements CSV with per-row problems.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "hp/core.hpp"
#include "hp/hardware.hpp"
#include "hp/inference.hpp"
#include "hp/inference_serving.hpp"
#include "hp/inference_validate.hpp"
#include "hp/search_config.hpp"
#include "hp/serving_search.hpp"
#include "test_files.hpp"

namespace {

/// Llama 3.1 70B (huggingface.co/meta-llama/Llama-3.1-70B config.json).
hp::ModelSpec llama70b() {
  return hp::architecture_model("llama-3.1-70b",
                                {{"num_layers", "80"},
                                 {"hidden_size", "8192"},
                                 {"num_attention_heads", "64"},
                                 {"num_query_groups", "8"},
                                 {"ffn_hidden_size", "28672"},
                                 {"vocab_size", "128256"},
                                 {"max_position_embeddings", "131072"}},
                                "architecture");
}

hp::ServingLayout serving(int tp, int isl, int osl, const std::string& mode = "max_throughput") {
  hp::ServingLayout l;
  l.tp = tp;
  l.input_len = isl;
  l.output_len = osl;
  l.mode = mode;
  return l;
}

/// Online serving of Llama 3.1 70B on TP 4 H100s at a Poisson rate, scheduling every `steps` iterations.
hp::ServingEstimate online_70b(int isl, int osl, double rate, int steps = 1) {
  const auto gpu = hp::find_gpu("h100-sxm");
  auto l = serving(4, isl, osl, "online");
  l.request_rate = rate;
  l.scheduler_steps = steps;
  return hp::estimate_serving(llama70b(), l, gpu, hp::default_inference_calibration(gpu, "trtllm-0.17"));
}

}  // namespace

TEST_CASE("max throughput: steady-state identities and memory decide the concurrency", "[serving]") {
  const auto gpu = hp::find_gpu("h100-sxm");
  const auto cal = hp::default_inference_calibration(gpu, "trtllm-0.17");
  const auto m = llama70b();
  const auto e = hp::estimate_serving(m, serving(4, 1000, 1000), gpu, cal);
  REQUIRE(e.fits);
  CHECK(e.num_gpus == 4);
  CHECK(e.concurrency <= e.max_concurrency);
  CHECK(e.concurrency * (1 + 1000.0 / 999) <= 8192 * (1 + 1e-9));  // decode + steady prefill within the budget
  CHECK(e.output_tokens_per_s == Approx(e.requests_per_s * 1000));
  CHECK(e.output_tokens_per_s_per_gpu == Approx(e.output_tokens_per_s / 4));
  CHECK(e.requests_per_s == Approx(e.concurrency / (999 * e.step_s)));
  CHECK(e.tokens_per_s_per_user == Approx(1 / e.tpot_s));
  // The KV cache holds max_concurrency full requests, not one more.
  CHECK(e.max_concurrency * 2000 * e.kv_bytes_per_token <= e.kv_capacity_tokens * e.kv_bytes_per_token + 1);
  // An FP8 KV cache holds about twice the tokens of a BF16 one next to the same FP8 weights.
  auto bf16_kv = serving(4, 1000, 1000);
  bf16_kv.kv_cache_dtype = "bf16";
  const auto e16 = hp::estimate_serving(m, bf16_kv, gpu, cal);
  CHECK(e.kv_capacity_tokens / e16.kv_capacity_tokens == Approx(2).epsilon(0.1));
  // A cap on the concurrency lowers throughput per GPU and raises tokens/s per user.
  auto capped = serving(4, 1000, 1000);
  capped.concurrency = 8;
  const auto ec = hp::estimate_serving(m, capped, gpu, cal);
  CHECK(ec.concurrency == Approx(8));
  CHECK(ec.output_tokens_per_s_per_gpu < e.output_tokens_per_s_per_gpu);
  CHECK(ec.tokens_per_s_per_user > e.tokens_per_s_per_user);
  // Too little memory for one request: out of memory.
  CHECK(hp::estimate_serving(m, serving(1, 1000, 1000), hp::find_gpu("l40s"), cal).reason ==
        hp::InferenceInfeasible::out_of_memory);
}

TEST_CASE("online: queueing grows TTFT with the rate until the engine saturates", "[serving]") {
  const auto gpu = hp::find_gpu("h100-sxm");
  const auto cal = hp::default_inference_calibration(gpu, "trtllm-0.17");
  const auto m = llama70b();
  auto at = [&](double rate) { return online_70b(467, 256, rate); };
  const auto lo = at(1), mid = at(8), over = at(1000);
  REQUIRE(lo.fits);
  CHECK_FALSE(lo.saturated);
  CHECK(lo.requests_per_s == Approx(1));
  CHECK(lo.output_tokens_per_s == Approx(256));
  CHECK(mid.ttft_s > lo.ttft_s);
  CHECK(mid.tpot_s > lo.tpot_s);
  CHECK(lo.request_latency_s == Approx(lo.ttft_s + 255 * lo.tpot_s));
  CHECK(over.saturated);
  const auto max = hp::estimate_serving(m, serving(4, 467, 256), gpu, cal);
  CHECK(over.output_tokens_per_s <= max.output_tokens_per_s * 1.01);
  // A closed loop of users: the rate follows from the latency (Little's law).
  auto users = serving(4, 467, 256, "online");
  users.concurrency = 16;
  const auto u = hp::estimate_serving(m, users, gpu, cal);
  CHECK(u.requests_per_s * u.request_latency_s == Approx(16).epsilon(0.02));
  // Online without a rate or users, and an unknown mode, are bad input naming the key.
  CHECK_THROWS_WITH(hp::estimate_serving(m, serving(4, 467, 256, "online"), gpu, cal),
                    Catch::Contains("request_rate"));
  CHECK_THROWS_WITH(hp::estimate_serving(m, serving(4, 467, 256, "burst"), gpu, cal), Catch::Contains("mode=burst"));
}

TEST_CASE("precision and GPUs: NVFP4 needs Blackwell, and new catalogue entries", "[serving]") {
  const auto m = llama70b();
  auto fp4 = serving(1, 1000, 1000);
  fp4.weight_dtype = "nvfp4";
  fp4.kv_cache_dtype = "fp8";
  const auto h100 = hp::find_gpu("h100-sxm"), b200 = hp::find_gpu("b200");
  CHECK(hp::estimate_serving(m, fp4, h100, hp::default_inference_calibration(h100, "trtllm-0.17")).reason ==
        hp::InferenceInfeasible::fp4_unsupported);
  const auto cal = hp::default_inference_calibration(b200, "trtllm-0.17");
  const auto e4 = hp::estimate_serving(m, fp4, b200, cal);
  auto fp8 = fp4;
  fp8.weight_dtype = "fp8";
  const auto e8 = hp::estimate_serving(m, fp8, b200, cal);
  REQUIRE(e4.fits);
  CHECK(e4.weights_bytes < 0.6 * e8.weights_bytes);
  CHECK(e4.output_tokens_per_s_per_gpu > e8.output_tokens_per_s_per_gpu);
  CHECK(hp::dtype_bytes("w", "nvfp4") == Approx(0.5625));
  for (const char* name : {"l40s", "h20", "rtx-pro-6000", "RTX PRO 6000 Blackwell", "b200", "gb200"}) {
    const auto g = hp::find_gpu(name);
    CHECK(g.peak_bf16_flops_per_s > 0);
    CHECK_FALSE(g.source.empty());
  }
  CHECK(hp::find_gpu("rtx-pro-6000").peak_fp4_flops_per_s > 0);
  CHECK(hp::find_gpu("l40s").peak_fp4_flops_per_s == 0);
}

TEST_CASE("disaggregated: KV transfer in TTFT, the slower pool sets the rate", "[serving]") {
  const auto gpu = hp::find_gpu("h100-sxm");
  const auto cal = hp::default_inference_calibration(gpu, "trtllm-0.17");
  const auto m = llama70b();
  const auto d = hp::estimate_disaggregated(m, serving(2, 4000, 500), serving(4, 4000, 500), 1, 1, gpu, cal);
  REQUIRE(d.fits);
  CHECK(d.num_gpus == 6);
  CHECK(d.kv_transfer_s > 0);
  CHECK(d.ttft_s > d.kv_transfer_s);
  CHECK(d.requests_per_s == Approx(std::min(d.prefill.requests_per_s, d.decode.requests_per_s)));
  CHECK(d.output_tokens_per_s_per_gpu == Approx(d.requests_per_s * 500 / 6));
  const auto d2 = hp::estimate_disaggregated(m, serving(2, 4000, 500), serving(4, 4000, 500), 2, 1, gpu, cal);
  CHECK(d2.requests_per_s >= d.requests_per_s);
  CHECK_THROWS_WITH(hp::estimate_disaggregated(m, serving(2, 4000, 500), serving(4, 4000, 500), 0, 1, gpu, cal),
                    Catch::Contains("prefill_workers=0"));
}

TEST_CASE("serving search: bounds, Pareto front, unmeetable bounds and context", "[serving]") {
  const auto gpu = hp::find_gpu("h100-sxm");
  const auto cal = hp::default_inference_calibration(gpu, "trtllm-0.17");
  const auto m = llama70b();
  hp::InferenceSettings s;
  s.mode = "max_throughput";
  s.data_type = "fp8";
  s.tensor_parallel_sizes = {1, 2, 4, 8};
  s.pipeline_parallel_sizes = {1};
  s.input_seq_lengths = {1000};
  s.output_seq_lengths = {1000};
  s.max_ttft_ms = 1000;
  s.max_tpot_ms = 50;
  const auto r = hp::serving_search(m, gpu, s, cal);
  REQUIRE(r.best == 0);
  const auto& b = r.candidates[0];
  CHECK(b.within_bounds);
  CHECK(b.ttft_s <= 1.0);
  CHECK(b.tpot_s <= 0.05);
  for (const auto& c : r.candidates) {
    if (c.within_bounds) CHECK(c.tokens_per_s_per_gpu <= b.tokens_per_s_per_gpu);
    if (!c.pareto) continue;
    for (const auto& o : r.candidates)  // nothing dominates a point on the front
      if (o.fits) CHECK_FALSE((o.tokens_per_s_per_gpu > c.tokens_per_s_per_gpu && o.tokens_per_s_per_user > c.tokens_per_s_per_user));
  }
  // A TPOT bound below anything reachable: no layout, and the message names the lowest reachable TPOT.
  s.max_tpot_ms = 0.01;
  const auto none = hp::serving_search(m, gpu, s, cal);
  CHECK(none.best == -1);
  CHECK_THAT(hp::serving_no_feasible_message(none), Catch::Contains("max_tpot_ms=0.01") && Catch::Contains("lowest reachable TPOT"));
  // ISL + OSL beyond the context: bad input with the longest that fits.
  s.max_tpot_ms = 0;
  s.input_seq_lengths = {131000};
  CHECK_THROWS_WITH(hp::serving_search(m, gpu, s, cal), Catch::Contains("input_seq_lengths") && Catch::Contains("131072"));
  // Disaggregated candidates appear next to aggregated ones.
  s.input_seq_lengths = {4000};
  s.output_seq_lengths = {500};
  s.disaggregated = true;
  s.tensor_parallel_sizes = {2, 4};
  s.concurrency = {64};
  const auto rd = hp::serving_search(m, gpu, s, cal);
  CHECK(rd.best_aggregated >= 0);
  CHECK(rd.best_disaggregated >= 0);
  CHECK(rd.candidates[static_cast<size_t>(rd.best_disaggregated)].num_gpus <= 8);
}

TEST_CASE("online: multi-step scheduling admits prompts only between rounds of k iterations", "[serving][formula]") {
  const auto gpu = hp::find_gpu("h100-sxm");
  const auto cal = hp::default_inference_calibration(gpu, "trtllm-0.17");
  const auto m = llama70b();
  const auto one = online_70b(202, 194, 4, 1), ten = online_70b(202, 194, 4, 10);
  REQUIRE((one.fits && ten.fits));
  // The wait: half a round of k iterations, plus the M/D/1 wait of a round's arrivals for one iteration's free
  // budget (utilization = k x the prompt tokens per iteration over that budget), in rounds.
  for (const auto* e : {&one, &ten}) {
    const double k = e == &one ? 1 : 10, rho = e->utilization;
    CHECK(e->queue_s == Approx(k * e->step_s / 2 + rho / (2 * (1 - rho)) * k * e->step_s).epsilon(1e-6));
  }
  CHECK(ten.utilization == Approx(10 * one.utilization).epsilon(0.05));
  CHECK(ten.ttft_s - one.ttft_s > 4 * one.step_s);  // about 4.5 iterations more
  CHECK(ten.tpot_s == Approx(one.tpot_s).epsilon(0.01));  // the decode iteration itself is unchanged
  auto bad = serving(4, 202, 194, "online");
  bad.request_rate = 4;
  bad.scheduler_steps = 0;
  CHECK_THROWS_WITH(hp::estimate_serving(m, bad, gpu, cal), Catch::Contains("scheduler_steps=0"));
  // The measurements CSV column and the serving search key carry it; 0 is bad input naming the key.
  const std::string head = "model,gpu,tp,pp,batch_size,input_len,output_len,weight_dtype,kv_cache_dtype,metric,value,"
                           "source,mode,request_rate,scheduler_steps\n";
  const std::string row = "llama-7b,h100-sxm,1,1,64,128,128,fp8,fp8,ttft_s,0.1,src,online,4,";
  CHECK(hp::parse_inference_measurements_csv(head + row + "10\n", "t.csv")[0].scheduler_steps == 10);
  CHECK(hp::parse_inference_measurements_csv(head + row + "\n", "t.csv")[0].scheduler_steps == 1);
  CHECK_THROWS_WITH(hp::parse_inference_measurements_csv(head + row + "0\n", "t.csv"),
                    Catch::Contains("t.csv:2.scheduler_steps=0"));
  const auto parsed = hp::parse_search_config(
      "inference_settings:\n  mode: online\n  request_rate: 4\n  scheduler_steps: 10\n");
  CHECK(parsed.inference.scheduler_steps == 10);
  CHECK_THROWS_WITH(hp::parse_search_config("inference_settings:\n  scheduler_steps: 0\n"),
                    Catch::Contains("scheduler_steps=0"));
}

TEST_CASE("measurements CSV: architecture columns, per-row problems, serving modes", "[serving]") {
  const std::string csv =
      "model,gpu,tp,pp,batch_size,input_len,output_len,weight_dtype,kv_cache_dtype,metric,value,source,engine,mode,"
      "num_layers,hidden_size,num_attention_heads,num_query_groups,ffn_hidden_size,vocab_size,moe_num_experts,moe_topk\n"
      "mixtral,h100-sxm,2,1,2048,128,128,fp8,fp8,output_tokens_per_s,20000,src,trtllm-0.17,max_throughput,32,4096,32,"
      "8,14336,32000,8,2\n"
      "no-such-model,h100-sxm,1,1,1,128,128,fp8,fp8,output_tokens_per_s,100,src,trtllm,static_batch,,,,,,,,\n"
      "llama-7b,no-such-gpu,1,1,1,128,128,fp16,,output_tokens_per_s,100,src,trtllm,static_batch,,,,,,,,\n";
  const auto rows = hp::parse_inference_measurements_csv(csv, "t.csv");
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].model.moe_num_experts == 8);
  CHECK(rows[0].problem.empty());
  CHECK_THAT(rows[1].problem, Catch::Contains("no-such-model"));
  CHECK_THAT(rows[2].problem, Catch::Contains("no-such-gpu"));
  const auto rep = hp::validate_inference(rows);
  CHECK(rep.num_not_evaluated == 2);
  CHECK(rep.rows[0].evaluated);
  CHECK(rep.rows[0].predicted > 0);
  CHECK_FALSE(rep.rows[1].evaluated);
  // A bad mode is still bad input (row and key named).
  std::string bad = csv;
  bad.replace(bad.find("max_throughput"), 14, "burst");
  CHECK_THROWS_WITH(hp::parse_inference_measurements_csv(bad, "t.csv"), Catch::Contains("t.csv:2.mode"));
}

TEST_CASE("measurements CSV: count columns are whole numbers in range (fuzz finding)", "[serving]") {
  // fuzz_csv found 08888888888888888 users: the cast of 8.9e15 to int was undefined behaviour (UBSan).
  const std::string head =
      "model,gpu,tp,pp,batch_size,input_len,output_len,weight_dtype,kv_cache_dtype,metric,value,source,mode,"
      "concurrency,max_num_tokens,ep\n";
  const std::string row = "llama-7b,h100-sxm,1,1,64,128,128,fp8,fp8,output_tokens_per_s,100,src,online,";
  const auto ok = hp::parse_inference_measurements_csv(head + row + "8,4096,2\n", "t.csv");
  CHECK((ok[0].concurrency == 8 && ok[0].max_num_tokens == 4096 && ok[0].layout.ep == 2));
  for (const char* cells : {"08888888888888888,4096,1", "2.5,4096,1", "8,1e12,1", "8,4096,1e300", "8,4096,inf"})
    CHECK_THROWS_AS(hp::parse_inference_measurements_csv(head + row + cells + "\n", "t.csv"), hp::ConfigError);
  CHECK_THROWS_WITH(hp::parse_inference_measurements_csv(head + row + "08888888888888888,4096,1\n", "t.csv"),
                    Catch::Contains("t.csv:2.concurrency=08888888888888888") && Catch::Contains("expected an integer in 0..1048576"));
  CHECK_THROWS_AS(hp::load_inference_measurements_csv(std::string(HP_SOURCE_DIR) + "/tests/data/inference/fuzz_concurrency_overflow.csv"),
                  hp::ConfigError);
}

TEST_CASE("published serving data: embedded copy, sources, split", "[serving]") {
  CHECK(hp::published_serving_csv() == hptest::slurp(std::string(HP_SOURCE_DIR) + "/libhp/data/serving_published.csv"));
  const auto& rows = hp::published_serving_measurements();
  int fit = 0, holdout = 0;
  for (const auto& m : rows) {
    CHECK_FALSE(m.source.empty());
    CHECK(m.problem.empty());
    fit += m.split == "fit";
    holdout += m.split == "holdout";
  }
  CHECK(fit > 100);
  CHECK(holdout > 100);
  // --export writes what the reader needs to rebuild every row (mode, rate, split, architecture).
  const auto again = hp::parse_inference_measurements_csv(hp::inference_measurements_csv(rows), "export.csv");
  REQUIRE(again.size() == rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    CHECK(again[i].mode == rows[i].mode);
    CHECK(again[i].request_rate == rows[i].request_rate);
    CHECK(again[i].split == rows[i].split);
    CHECK(again[i].kv_cache_fraction == rows[i].kv_cache_fraction);
    CHECK(again[i].model.num_layers == rows[i].model.num_layers);
    CHECK(again[i].model.moe_num_experts == rows[i].model.moe_num_experts);
    CHECK(again[i].id == rows[i].id);
  }
  // Fitting never sees hold-out rows: a set of only hold-out rows has nothing to fit.
  std::vector<hp::InferenceMeasurement> only_holdout;
  for (const auto& m : rows)
    if (m.split == "holdout") only_holdout.push_back(m);
  CHECK_THROWS_WITH(hp::fit_inference_calibration(only_holdout, "hopper", "trtllm-0.17"),
                    Catch::Contains("no measurements"));
}

TEST_CASE("engine version is an input: own fit, else the latest fitted version", "[serving]") {
  const auto h100 = hp::find_gpu("h100-sxm");
  CHECK(hp::default_inference_calibration(h100, "trtllm-0.10").engine == "trtllm-0.10");
  CHECK(hp::default_inference_calibration(h100, "trtllm-0.17").engine == "trtllm-0.17");
  CHECK(hp::default_inference_calibration(h100, "trtllm-0.15").engine == "trtllm-0.17");
  CHECK(hp::default_inference_calibration(h100, "trtllm").engine == "trtllm");  // the static-batch fit
  // GPUs without rows take Hopper's fit of that engine version.
  CHECK(hp::default_inference_calibration(hp::find_gpu("b200"), "trtllm-0.17").engine == "trtllm-0.17");
  CHECK(hp::default_inference_calibration(hp::find_gpu("l40s"), "trtllm-0.10").gpu_family == "ada");
  // Same setting, two releases: different predictions.
  const auto m = llama70b();
  const auto e10 = hp::estimate_serving(m, serving(2, 128, 2048), h100, hp::default_inference_calibration(h100, "trtllm-0.10"));
  const auto e17 = hp::estimate_serving(m, serving(2, 128, 2048), h100, hp::default_inference_calibration(h100, "trtllm-0.17"));
  CHECK(e10.output_tokens_per_s != Approx(e17.output_tokens_per_s).epsilon(0.01));
}
