// Inference search: grid, NeMo node rules, bound, top-N, Pareto front, reports, validation error bound.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include "hp/catalog.hpp"
#include "hp/core.hpp"
#include "hp/hardware.hpp"
#include "hp/inference_search.hpp"
#include "hp/inference_validate.hpp"

namespace {
hp::InferenceSearchResult search(double bound_ms, int top_n = 5) {
  hp::InferenceSettings s;
  s.model = "gpt3/5b";
  s.tensor_parallel_sizes = {1, 2, 4, 8};
  s.pipeline_parallel_sizes = {1, 2};
  s.max_batch_sizes = {1, 8, 64, 256};
  s.max_latency_ms = bound_ms;
  s.top_n = top_n;
  hp::SearchConfig c;
  c.inference = s;
  const auto gpu = hp::find_gpu("a100-80gb");
  return hp::inference_search(hp::inference_model(c), gpu, hp::with_nemo_inference_defaults(s, 5),
                              hp::default_inference_calibration(gpu));
}
}  // namespace

TEST_CASE("inference search: ranking, bound, Pareto front", "[inference][search]") {
  const auto r = search(0);
  CHECK(r.candidates.size() == 4 * 2 * 4);
  REQUIRE(r.best == 0);
  CHECK(r.num_top == 5);
  // Ranked by throughput per GPU, descending; the unbounded best is the largest batch on the fewest GPUs.
  for (int i = 1; i < r.num_top; ++i)
    CHECK(r.candidates[i - 1].estimate.throughput_per_gpu >= r.candidates[i].estimate.throughput_per_gpu);
  CHECK(r.candidates[0].layout.batch_size == 256);
  // PP 2 with TP < 8 pipelines partial nodes: NeMo drops it.
  for (const auto& c : r.candidates)
    if (c.layout.pp == 2 && c.layout.tp < 8) CHECK(c.estimate.reason == hp::InferenceInfeasible::partial_node_pipeline);
  // The Pareto front: no fitting layout beats a front member on both axes; the best is on it.
  CHECK(r.candidates[0].pareto);
  int n_front = 0;
  for (const auto& a : r.candidates) {
    if (!a.pareto) continue;
    ++n_front;
    for (const auto& b : r.candidates)
      if (b.estimate.fits)
        CHECK_FALSE((b.estimate.latency_s < a.estimate.latency_s && b.estimate.throughput_per_gpu > a.estimate.throughput_per_gpu));
  }
  CHECK(n_front >= 3);

  // A bound between the fastest and the best-throughput layout changes the winner.
  const double bound_ms = r.candidates[0].estimate.latency_s * 1e3 * 0.5;
  const auto b = search(bound_ms);
  REQUIRE(b.best == 0);
  CHECK(b.candidates[0].estimate.latency_s * 1e3 <= bound_ms);
  CHECK(b.candidates[0].estimate.throughput_per_gpu < r.candidates[0].estimate.throughput_per_gpu);
  for (const auto& c : b.candidates)
    if (c.rank > 0) CHECK(c.estimate.latency_s * 1e3 <= bound_ms);
  // Nothing under 0.001 ms: no best, no crash.
  const auto none = search(0.001);
  CHECK(none.best == -1);
  CHECK(none.num_top == 0);
  CHECK(hp::inference_best_yaml(none).empty());
}

TEST_CASE("inference search: reports", "[inference][search]") {
  const auto r = search(1200, 3);
  const std::string csv = hp::inference_csv(r);
  CHECK(csv.rfind("TP,PP,BS,Latency [ms],Throughput per GPU [samples/sec/gpu],Input Length", 0) == 0);
  size_t lines = 0;
  for (char ch : csv) lines += ch == '\n';
  CHECK(lines == r.candidates.size() + 1);
  // NeMo's throughput column = round(bs * 1000 / latency_ms / tp / pp, 3) of the first row.
  const auto& c = r.candidates[0];
  const std::string first = csv.substr(csv.find('\n') + 1);
  CHECK(first.rfind(std::to_string(c.layout.tp) + "," + std::to_string(c.layout.pp) + "," + std::to_string(c.layout.batch_size) + ",", 0) == 0);
  const std::string svg = hp::inference_pareto_svg(r);
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK_THAT(svg, Catch::Contains("</svg>") && Catch::Contains("polyline") && Catch::Contains("max_latency_ms 1200"));
  const std::string yaml = hp::inference_best_yaml(r);
  CHECK_THAT(yaml, Catch::Contains("tensor_parallel_size: " + std::to_string(c.layout.tp)) &&
                       Catch::Contains("latency_source: predicted"));
}

TEST_CASE("inference search: bad settings name key and value", "[inference][search]") {
  hp::InferenceSettings s = hp::with_nemo_inference_defaults(hp::InferenceSettings{}, 5);
  const auto model = hp::find_model("gpt3/5b");
  const auto gpu = hp::find_gpu("h100-sxm");
  const auto cal = hp::default_inference_calibration(gpu);
  auto bad = s;
  bad.tensor_parallel_sizes = {1, 0};
  CHECK_THROWS_WITH(hp::inference_search(model, gpu, bad, cal), Catch::Contains("inference_settings.tensor_parallel_sizes=[1,0]"));
  bad = s;
  bad.top_n = 0;
  CHECK_THROWS_WITH(hp::inference_search(model, gpu, bad, cal), Catch::Contains("inference_settings.top_n=0"));
  bad = s;
  bad.data_type = "int3";
  CHECK_THROWS_AS(hp::inference_search(model, gpu, bad, cal), hp::ConfigError);
  bad = s;
  bad.max_batch_sizes.clear();
  CHECK_THROWS_WITH(hp::inference_search(model, gpu, bad, cal), Catch::Contains("max_batch_sizes"));
  hp::SearchConfig c;
  c.inference.model = "gpt3_7b";
  CHECK_THROWS_WITH(hp::inference_model(c), Catch::Contains("inference_settings.model=gpt3_7b"));
  c.inference.model = "gpt3_5b";  // NeMo's run name
  CHECK(hp::inference_model(c).name == "gpt3/5b");
}

TEST_CASE("inference search: NeMo's default lists by size", "[inference][search]") {
  const auto s5 = hp::with_nemo_inference_defaults(hp::InferenceSettings{}, 5);
  CHECK(s5.tensor_parallel_sizes == std::vector<int>{1, 2, 4});
  CHECK(s5.pipeline_parallel_sizes == std::vector<int>{1, 2});
  CHECK(s5.max_batch_sizes.back() == 256);
  CHECK(s5.input_seq_lengths == std::vector<int>{60});
  CHECK(s5.output_seq_lengths == std::vector<int>{20});
  const auto s175 = hp::with_nemo_inference_defaults(hp::InferenceSettings{}, 175);
  CHECK(s175.tensor_parallel_sizes == std::vector<int>{4, 8, 16});
  CHECK(s175.max_batch_sizes.back() == 128);
  CHECK(hp::with_nemo_inference_defaults(hp::InferenceSettings{}, 0.126).max_batch_sizes.back() == 512);
}

TEST_CASE("inference validation: error against published TensorRT-LLM and FasterTransformer tables", "[inference][validate]") {
  const auto& data = hp::published_inference_measurements();
  REQUIRE(data.size() == 114);
  int n_ft = 0;
  for (const auto& m : data) {
    CHECK_THAT(m.source, Catch::StartsWith("https://github.com/NVIDIA/"));
    n_ft += m.engine == "fastertransformer";
  }
  CHECK(n_ft == 65);
  // Measured with the shipped calibration (hp-cli infer-validate): mean 6.3 %, max 29.8 %. The limits are targets,
  // not today's output (issue 17): issue 14's "static-batch and latency rows <= 10 % mean error, TTFT <= 15 %";
  // Vidur reports < 9 % latency error (peers.md), in line with 10 %. The max has no independent target: it is a
  // regression guard only.
  const auto rep = hp::validate_inference(data);
  CHECK(rep.mean_abs_error <= 0.10);
  CHECK(rep.max_abs_error < 0.35);
  CHECK(rep.mean_abs_error_throughput <= 0.10);
  CHECK(rep.mean_abs_error_ttft <= 0.15);
  CHECK(rep.num_not_fitting <= 1);
  // Memory (FasterTransformer's measured usage, GPT 350M-6.7B, batch 1-64): within 3 %.
  for (const auto& r : rep.rows)
    if (r.measurement.metric == hp::InferenceMetric::memory_bytes) CHECK(std::fabs(r.error) < 0.03);
  // Pipeline parallel across 3 nodes (Megatron-530B, TP 8 x PP 3 on FasterTransformer) within 15 %.
  for (const auto& r : rep.rows)
    if (r.measurement.layout.pp == 3) CHECK(std::fabs(r.error) < 0.15);
  // Out of sample (5-fold cross-validation, refit per fold): mean 8.6 %, max 32.8 %.
  const auto cv = hp::cross_validate_inference(data);
  CHECK(cv.mean_abs_error < 0.10);
  CHECK(cv.max_abs_error < 0.38);
  // An uncalibrated model is much worse: the calibration carries real information.
  std::vector<hp::InferenceCalibration> generic(3);
  generic[0].gpu_family = "hopper";
  generic[1].gpu_family = "ampere";
  generic[2].gpu_family = "ampere";
  generic[2].engine = "fastertransformer";
  CHECK(hp::validate_inference(data, generic).mean_abs_error > 2 * rep.mean_abs_error);
}

TEST_CASE("inference validation: measurements CSV", "[inference][validate]") {
  const std::string dir = std::string(HP_SOURCE_DIR) + "/tests/data/inference/";
  const auto rows = hp::load_inference_measurements_csv(dir + "measured_runs.csv");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].layout.batch_size == 64);
  CHECK(rows[1].metric == hp::InferenceMetric::ttft_s);
  CHECK_THAT(rows[0].source, Catch::Contains("release/0.5.0"));
  CHECK_THROWS_WITH(hp::load_inference_measurements_csv(dir + "measured_runs_bad.csv"),
                    Catch::Contains("measured_runs_bad.csv:2.tp=zero"));
  CHECK_THROWS_AS(hp::load_inference_measurements_csv(dir + "nope.csv"), hp::IoError);
}

TEST_CASE("inference validation: the search picks the measured best layout (FasterTransformer GPT-20B, 60/20)",
          "[inference][validate]") {
  // NeMo's question on NeMo's benchmark: 1, 2, 4, 8 GPUs x batch 1, 8, 64, 256 at input 60, output 20.
  std::vector<hp::InferenceValidationRow> rows;
  for (const auto& r : hp::validate_inference(hp::published_inference_measurements()).rows)
    if (r.measurement.model_name == "gpt-20b" && r.measurement.layout.input_len == 60) rows.push_back(r);
  REQUIRE(rows.size() == 16);
  auto thr = [](const hp::InferenceValidationRow& r, bool measured) {
    const auto& l = r.measurement.layout;
    return l.batch_size / (measured ? r.measurement.value : r.predicted) / (l.tp * l.pp);
  };
  // For each latency bound: the measured best layout is among the 3 best predicted ones (what infer-search then
  // benchmarks), and is the predicted best for most bounds. Measured with the shipped calibration: exact pick at
  // 7 of these 9 bounds; at 2 s and 1.5 s TP 4 x BS 256 is picked (86 % of the best measured throughput per GPU).
  // Known limit, not asserted: at 0.3 s and 0.25 s a layout measured just under the bound is predicted just over
  // it (TP 4 x BS 8: 299 ms measured, 301 ms predicted), and the pick falls to a slower layout.
  int exact = 0;
  for (double bound_s : {0.0, 5.0, 2.0, 1.5, 1.0, 0.7, 0.5, 0.4, 0.35}) {
    const hp::InferenceValidationRow* best_measured = nullptr;
    std::vector<const hp::InferenceValidationRow*> predicted;
    for (const auto& r : rows) {
      if ((bound_s == 0 || r.measurement.value <= bound_s) && (!best_measured || thr(r, true) > thr(*best_measured, true)))
        best_measured = &r;
      if (bound_s == 0 || r.predicted <= bound_s) predicted.push_back(&r);
    }
    std::sort(predicted.begin(), predicted.end(), [&](auto* a, auto* b) { return thr(*a, false) > thr(*b, false); });
    INFO("bound " << bound_s << " s");
    REQUIRE(best_measured);
    REQUIRE(predicted.size() >= 3);
    CHECK(std::find(predicted.begin(), predicted.begin() + 3, best_measured) != predicted.begin() + 3);
    exact += predicted.front() == best_measured;
  }
  // Target (issue 17, not today's 7 of 9): the predicted best is the measured best for most bounds (a majority);
  // the acceptance is the top-3 check above, because infer-search benchmarks the 3 best predicted layouts.
  CHECK(exact >= 5);
  // Pairwise order of throughput per GPU agrees on most pairs (Kendall's tau > 0.8).
  int agree = 0, pairs = 0;
  for (size_t i = 0; i < rows.size(); ++i)
    for (size_t j = i + 1; j < rows.size(); ++j) {
      ++pairs;
      agree += (thr(rows[i], true) > thr(rows[j], true)) == (thr(rows[i], false) > thr(rows[j], false)) ? 1 : -1;
    }
  CHECK(static_cast<double>(agree) / pairs > 0.8);
}

TEST_CASE("inference validation: the embedded data equals libhp/data/inference_published.csv", "[inference][validate]") {
  const std::string path = std::string(HP_SOURCE_DIR) + "/libhp/data/inference_published.csv";
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  CHECK(s.str() == hp::published_inference_csv());
  // The file round-trips through the writer (the CSV is the single source of the shipped rows).
  CHECK(hp::inference_measurements_csv(hp::published_inference_measurements()) == s.str());
  CHECK(hp::load_inference_measurements_csv(path).size() == hp::published_inference_measurements().size());
}

TEST_CASE("inference memory: what fits agrees with FasterTransformer's OOM entries (GPT-20B, A100-80GB)",
          "[inference][validate]") {
  // FasterTransformer docs/gpt_guide.md, GPT-20B table: "OOM" cells vs runs that completed (FP16, A100-80GB).
  struct Case {
    int tp, batch, input, output;
    bool ran;
  };
  const Case cases[] = {
      {1, 256, 128, 20, false}, {1, 128, 80, 200, false}, {1, 128, 200, 200, false}, {2, 256, 200, 200, false},
      {1, 128, 128, 20, true},  {1, 64, 80, 200, true},   {1, 64, 200, 200, true},   {2, 128, 200, 200, true},
      {1, 256, 60, 20, true},   {2, 256, 80, 200, true},  {4, 256, 200, 200, true},
  };
  const auto model = hp::validation_model("gpt-20b");
  const auto gpu = hp::find_gpu("a100-80gb");
  const auto cal = hp::default_inference_calibration(gpu, "fastertransformer");
  int agree = 0;
  for (const auto& k : cases) {
    hp::InferenceLayout l;
    l.tp = k.tp;
    l.batch_size = k.batch;
    l.input_len = k.input;
    l.output_len = k.output;
    const auto e = hp::estimate_inference(model, l, gpu, cal);
    INFO("TP " << k.tp << " BS " << k.batch << " " << k.input << "/" << k.output << ": predicted "
               << e.memory.total_bytes / hp::kGiB << " GiB, fits " << e.fits << ", ran " << k.ran);
    CHECK(e.fits == k.ran);
    agree += e.fits == k.ran;
  }
  CHECK(agree == 11);
}

TEST_CASE("inference calibration: refitting H100 TensorRT-LLM on the published rows gives the shipped values",
          "[inference][validate]") {
  // The shipped table must be what the fit finds on the data (issue 17: a doubled comm_efficiency survived every
  // accuracy bound, because 10 % mean error leaves room for one wrong constant).
  const auto fitted = hp::fit_inference_calibration(hp::published_inference_measurements(), "hopper", "trtllm");
  const auto shipped = hp::default_inference_calibration(hp::find_gpu("h100-sxm"), "trtllm");
  CHECK(fitted.gemm_efficiency == Approx(shipped.gemm_efficiency).epsilon(0.02));
  CHECK(fitted.attention_efficiency == Approx(shipped.attention_efficiency).epsilon(0.02));
  CHECK(fitted.memory_efficiency == Approx(shipped.memory_efficiency).epsilon(0.02));
  CHECK(fitted.comm_efficiency == Approx(shipped.comm_efficiency).epsilon(0.02));
  CHECK(fitted.gqa_kv_reuse == Approx(shipped.gqa_kv_reuse).epsilon(0.02));
  CHECK(fitted.kv_read_efficiency == Approx(shipped.kv_read_efficiency).epsilon(0.02));
}

TEST_CASE("inference search: a failed benchmark leaves the front and is drawn as a failure", "[inference][search]") {
  auto r = search(1200, 3);
  REQUIRE(r.candidates[0].pareto);  // rank 1 (best throughput within the bound) is on the front
  r.candidates[0].measured.status = "out_of_memory";
  hp::rerank(r);
  const auto failed = std::find_if(r.candidates.begin(), r.candidates.end(),
                                   [](const auto& c) { return c.measured.status == "out_of_memory"; });
  REQUIRE(failed != r.candidates.end());
  CHECK_FALSE(failed->pareto);
  CHECK_FALSE(failed->within_bound);
  CHECK(failed->rank == 0);
  const std::string svg = hp::inference_pareto_svg(r);
  size_t n_failed = 0, n_pred = 0;
  for (size_t at = 0; (at = svg.find("<g class=\"pt failed", at)) != std::string::npos; ++at) ++n_failed;
  for (size_t at = 0; (at = svg.find("<g class=\"pt predicted", at)) != std::string::npos; ++at) ++n_pred;
  CHECK(n_failed == 1);
  size_t fits = 0;
  for (const auto& c : r.candidates) fits += c.estimate.fits;
  CHECK(n_pred + n_failed == fits);  // layouts that do not fit are not drawn
  CHECK_THAT(svg, Catch::Contains("failed: out_of_memory x1") && Catch::Contains("layouts that do not"));
}
