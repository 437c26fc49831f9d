// Inference model and search: structure of the estimate, NeMo's node rules, search outputs, bad input.
#include <catch2/catch.hpp>

#include <string>

#include "hp/catalog.hpp"
#include "hp/core.hpp"
#include "hp/hardware.hpp"
#include "hp/inference.hpp"
#include "hp/inference_search.hpp"

namespace {
hp::InferenceLayout layout(int tp, int pp, int bs, int in = 60, int out = 20) {
  hp::InferenceLayout l;
  l.tp = tp;
  l.pp = pp;
  l.batch_size = bs;
  l.input_len = in;
  l.output_len = out;
  return l;
}
}  // namespace

TEST_CASE("inference estimate: decode is bandwidth-bound, latency adds up", "[inference]") {
  const auto model = hp::find_model("gpt3/5b");
  const auto gpu = hp::find_gpu("h100-sxm");
  const auto cal = hp::default_inference_calibration(gpu);
  const auto e = hp::estimate_inference(model, layout(1, 1, 1), gpu, cal);
  REQUIRE(e.fits);
  CHECK(e.latency_s == Approx(e.ttft_s + 19 * e.tpot_s));
  // One decode step at batch 1 reads every weight once: at least weights / bandwidth.
  CHECK(e.tpot_s >= e.memory.weights_bytes / gpu.memory_bandwidth_bytes_per_s);
  CHECK(e.decode_weights_s > e.decode_kv_s);
  CHECK(e.throughput_per_gpu == Approx(1.0 / e.latency_s));
  // Bigger batch: more throughput per GPU, more latency (decode amortises the weight reads).
  const auto e64 = hp::estimate_inference(model, layout(1, 1, 64), gpu, cal);
  CHECK(e64.throughput_per_gpu > 10 * e.throughput_per_gpu);
  CHECK(e64.latency_s > e.latency_s);
  CHECK(e64.memory.kv_cache_bytes == Approx(64 * e.memory.kv_cache_bytes));
  // TP 2 halves the weights per GPU and adds all-reduce time.
  const auto tp2 = hp::estimate_inference(model, layout(2, 1, 1), gpu, cal);
  CHECK(tp2.memory.weights_bytes < 0.55 * e.memory.weights_bytes);
  CHECK(tp2.decode_comm_s > 0);
  CHECK(e.decode_comm_s == Approx(0).margin(1e-12));
}

TEST_CASE("inference estimate: FP8 halves weights, needs FP8 hardware", "[inference]") {
  const auto model = hp::find_model("gpt3/5b");
  auto l = layout(1, 1, 8);
  const auto h100 = hp::find_gpu("h100-sxm");
  const auto bf16 = hp::estimate_inference(model, l, h100, hp::default_inference_calibration(h100));
  l.weight_dtype = "fp8";
  const auto fp8 = hp::estimate_inference(model, l, h100, hp::default_inference_calibration(h100));
  CHECK(fp8.fits);
  CHECK(fp8.memory.kv_cache_bytes == Approx(bf16.memory.kv_cache_bytes / 2));
  CHECK(fp8.tpot_s < bf16.tpot_s);
  const auto a100 = hp::find_gpu("a100-80gb");
  const auto e = hp::estimate_inference(model, l, a100, hp::default_inference_calibration(a100));
  CHECK_FALSE(e.fits);
  CHECK(e.reason == hp::InferenceInfeasible::fp8_unsupported);
}

TEST_CASE("inference estimate: NeMo node rules and memory", "[inference]") {
  const auto model = hp::find_model("gpt3/5b");  // 32 heads, 24 layers
  const auto gpu = hp::find_gpu("a100-80gb");
  const auto cal = hp::default_inference_calibration(gpu);
  CHECK(hp::estimate_inference(model, layout(3, 1, 1), gpu, cal).reason == hp::InferenceInfeasible::heads_not_divisible);
  CHECK(hp::estimate_inference(model, layout(8, 5, 1), gpu, cal).reason == hp::InferenceInfeasible::layers_not_divisible);
  CHECK(hp::estimate_inference(model, layout(4, 2, 1), gpu, cal).reason == hp::InferenceInfeasible::partial_node_pipeline);
  CHECK(hp::estimate_inference(model, layout(8, 2, 8), gpu, cal).num_nodes == 2);
  CHECK(hp::estimate_inference(model, layout(16, 2, 8), gpu, cal).num_nodes == 4);
  auto big = hp::estimate_inference(model, layout(1, 1, 4096, 1024, 1024), gpu, cal);
  CHECK(big.reason == hp::InferenceInfeasible::out_of_memory);
  CHECK(big.max_batch_size > 0);
  CHECK(big.max_batch_size < 4096);
  auto at_max = hp::estimate_inference(model, layout(1, 1, big.max_batch_size, 1024, 1024), gpu, cal);
  CHECK(at_max.fits);
  auto over = hp::estimate_inference(model, layout(1, 1, big.max_batch_size + 1, 1024, 1024), gpu, cal);
  CHECK_FALSE(over.fits);
  auto too_long = hp::estimate_inference(model, layout(1, 1, 1, 2000, 100), gpu, cal);
  CHECK(too_long.reason == hp::InferenceInfeasible::sequence_too_long);
}

TEST_CASE("inference estimate: bad layouts are ConfigErrors naming key and value", "[inference]") {
  const auto model = hp::find_model("gpt3/5b");
  const auto gpu = hp::find_gpu("h100-sxm");
  const auto cal = hp::default_inference_calibration(gpu);
  CHECK_THROWS_WITH(hp::estimate_inference(model, layout(0, 1, 1), gpu, cal), Catch::Contains("tp=0"));
  auto l = layout(1, 1, 1);
  l.weight_dtype = "fp6";
  CHECK_THROWS_AS(hp::estimate_inference(model, l, gpu, cal), hp::ConfigError);
  CHECK_THROWS_WITH(hp::estimate_inference(model, l, gpu, cal), Catch::Contains("weight_dtype=fp6"));
}

TEST_CASE("inference estimate: T5 encoder-decoder is modelled", "[inference]") {
  const auto model = hp::find_model("t5/220m");
  const auto gpu = hp::find_gpu("a100-80gb");
  const auto e = hp::estimate_inference(model, layout(1, 1, 16, 512, 128), gpu, hp::default_inference_calibration(gpu));
  CHECK(e.fits);
  CHECK(e.ttft_s > 0);
  CHECK(e.tpot_s > 0);
  CHECK(e.memory.kv_cache_bytes > 0);
}
