// Sliding-window attention in the serving model (inference_window.cpp, inference_model.cpp; docs/model.md
// "Sliding-window attention"). Sources: Mistral 7B (Jiang et al. 2023, arXiv 2310.06825 Section 2: a window of W
// keys per query, a rolling KV cache of W positions); Megatron-Core is_layer_window_attention (every n-th layer,
// 1-based, full attention); Megatron-Bridge flop_utils.py (the exact causal mean W - W (W - 1) / (2 T)).
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <string>

#include "formula_models.hpp"
#include "hp/core.hpp"
#include "hp/inference.hpp"
#include "hp/inference_serving.hpp"
#include "hp/served_models.hpp"
#include "hp/serving_search.hpp"
#include "inference_hand.hpp"

namespace {

using hp_test::asym_gpu;
using hp_test::biased_gqa;
using hp_test::layout;
using hp_test::plain_inference_calibration;

hp::ModelSpec windowed(int window, int pattern = 0) {
  hp::ModelSpec m = biased_gqa();  // 10 layers
  m.sliding_window = window;
  m.sliding_window_pattern = pattern;
  return m;
}

// Brute force: sum over positions p = 1..s of min(p, W), over s.
double causal_sum(int s, int w) {
  double keys = 0;
  for (int p = 1; p <= s; ++p) keys += w > 0 ? std::min(p, w) : p;
  return keys / s;
}

std::string key_of(const hp::ModelSpec& m) {
  try {
    hp::validate(m);
  } catch (const hp::ConfigError& e) {
    return e.key() + "=" + e.value();
  }
  return "";
}

}  // namespace

TEST_CASE("sliding window: mean keys per query, causal prompt and decode phase", "[inference][formula][swa]") {
  for (int s : {1, 2, 7, 100, 4096, 5000})
    for (int w : {0, 1, 3, 100, 4096, 10000}) {
      INFO("seq " << s << " window " << w);
      CHECK(hp::causal_window_keys(s, w) == Approx(causal_sum(s, w)).epsilon(1e-13));
    }
  // At or beyond the sequence a window changes nothing: exactly the causal (s + 1) / 2.
  CHECK(hp::causal_window_keys(4096, 4096) == 2048.5);
  CHECK(hp::causal_window_keys(300, 0) == 150.5);
  CHECK(hp::causal_window_keys(300, 301) == 150.5);
  // Megatron-Bridge's form of the same mean: W - W (W - 1) / (2 T).
  CHECK(hp::causal_window_keys(32768, 4096) == Approx(4096 - 4096.0 * 4095 / (2 * 32768)).epsilon(1e-14));

  // Decode: the mean of min(x, W) over a context growing evenly from first to last (numerical midpoint sum).
  auto numeric = [](double a, double b, double w) {
    const int n = 200000;
    double sum = 0;
    for (int i = 0; i < n; ++i) sum += std::min(a + (b - a) * (i + 0.5) / n, w);
    return sum / n;
  };
  CHECK(hp::window_mean_keys(1000, 3000, 2000) == Approx(numeric(1000, 3000, 2000)).epsilon(1e-8));
  CHECK(hp::window_mean_keys(100, 5000, 128) == Approx(numeric(100, 5000, 128)).epsilon(1e-8));
  CHECK(hp::window_mean_keys(1000, 3000, 3000) == 2000);  // window at the end: no effect
  CHECK(hp::window_mean_keys(1000, 3000, 0) == 2000);     // 0 = no window
  CHECK(hp::window_mean_keys(5000, 6000, 4096) == 4096);  // past the window for the whole phase
}

TEST_CASE("sliding window: Megatron-Core's layer pattern", "[inference][formula][swa]") {
  hp::ModelSpec m = biased_gqa();
  CHECK(m.num_sliding_window_layers() == 0);
  m.sliding_window = 128;
  CHECK(m.num_sliding_window_layers() == 10);  // pattern 0: every layer (Mistral)
  m.sliding_window_pattern = 2;                // gpt-oss: layer 0 windowed, layer 1 full, ...
  CHECK(m.is_sliding_window_layer(0));
  CHECK_FALSE(m.is_sliding_window_layer(1));
  CHECK(m.num_sliding_window_layers() == 5);
  m.num_layers = 26;  // Gemma 3 1B: sliding_window_pattern 6, full attention on layers 5, 11, 17, 23
  m.sliding_window_pattern = 6;
  int windowed_layers = 0;
  for (int l = 0; l < 26; ++l) windowed_layers += m.is_sliding_window_layer(l);
  CHECK(windowed_layers == 22);
  CHECK(m.num_sliding_window_layers() == 22);
  CHECK_FALSE(m.is_sliding_window_layer(5));
}

TEST_CASE("sliding window at or beyond the sequence gives exactly the no-window estimate", "[inference][formula][swa]") {
  const hp::GpuSpec g = asym_gpu();
  const hp::InferenceCalibration c = plain_inference_calibration();
  const hp::InferenceLayout l = layout(4, 1, 6, 700, 300);
  const hp::InferenceEstimate base = hp::estimate_inference(biased_gqa(), l, g, c);
  for (int pattern : {0, 2, 3})
    for (int w : {1000, 1001, 1 << 20}) {
      INFO("window " << w << " pattern " << pattern);
      const hp::InferenceEstimate e = hp::estimate_inference(windowed(w, pattern), l, g, c);
      CHECK(e.memory.kv_cache_bytes == base.memory.kv_cache_bytes);
      CHECK(e.max_batch_size == base.max_batch_size);
      CHECK(e.ttft_s == base.ttft_s);
      CHECK(e.tpot_s == base.tpot_s);
      CHECK(e.decode_kv_s == base.decode_kv_s);
      CHECK(e.prefill_compute_s == base.prefill_compute_s);
      hp::ServingLayout sl;
      sl.tp = 4;
      sl.input_len = 700;
      sl.output_len = 300;
      const hp::ServingEstimate s0 = hp::estimate_serving(biased_gqa(), sl, g, c);
      const hp::ServingEstimate s1 = hp::estimate_serving(windowed(w, pattern), sl, g, c);
      CHECK(s1.max_concurrency == s0.max_concurrency);
      CHECK(s1.tpot_s == s0.tpot_s);
      CHECK(s1.ttft_s == s0.ttft_s);
    }
}

TEST_CASE("sliding window: KV cache capped at the window, capacity grows", "[inference][formula][swa]") {
  const hp::GpuSpec g = asym_gpu();
  const hp::InferenceCalibration c = plain_inference_calibration();
  const hp::InferenceLayout l = layout(4, 1, 6, 700, 300);  // 1,000 tokens per request
  const double full = hp::estimate_inference(biased_gqa(), l, g, c).memory.kv_cache_bytes;
  // Every layer windowed: W of the 1,000 tokens (rolling buffer of W positions).
  CHECK(hp::estimate_inference(windowed(250), l, g, c).memory.kv_cache_bytes == Approx(full * 0.25).epsilon(1e-14));
  // Pattern 2: 5 of 10 layers keep 250 tokens, 5 keep 1,000.
  CHECK(hp::estimate_inference(windowed(250, 2), l, g, c).memory.kv_cache_bytes ==
        Approx(full * (0.5 * 0.25 + 0.5)).epsilon(1e-14));
  // Pattern 3: layers 2, 5, 8 full; 7 windowed.
  CHECK(hp::estimate_inference(windowed(250, 3), l, g, c).memory.kv_cache_bytes ==
        Approx(full * (0.7 * 0.25 + 0.3)).epsilon(1e-14));

  // Serving: bytes per token of a request fall by the same share, the concurrency the cache holds rises.
  hp::ServingLayout sl;
  sl.tp = 4;
  sl.input_len = 700;
  sl.output_len = 300;
  const hp::ServingEstimate s0 = hp::estimate_serving(biased_gqa(), sl, g, c);
  const hp::ServingEstimate s1 = hp::estimate_serving(windowed(250), sl, g, c);
  CHECK(s1.kv_bytes_per_token == Approx(0.25 * s0.kv_bytes_per_token).epsilon(1e-14));
  CHECK(s1.max_concurrency >= 4 * s0.max_concurrency);
  CHECK(s1.max_concurrency <= 4 * s0.max_concurrency + 4);  // floor of four times the same capacity
}

TEST_CASE("sliding window: decode reads and prefill FLOPs use min(context, window)", "[inference][formula][swa]") {
  const hp::GpuSpec g = asym_gpu();
  const hp::InferenceCalibration c = plain_inference_calibration();
  // Decode past the window for the whole phase (1,500 .. 1,700 keys): the attention of an unwindowed model at W.
  const hp::InferenceEstimate w = hp::estimate_inference(windowed(1000), layout(4, 1, 6, 1500, 200), g, c);
  const hp::InferenceEstimate at_w = hp::estimate_inference(biased_gqa(), layout(4, 1, 6, 900, 200), g, c);  // 900 + 100
  REQUIRE(w.reason == hp::InferenceInfeasible::none);
  CHECK(w.decode_kv_s == Approx(at_w.decode_kv_s).epsilon(1e-14));

  // One engine iteration: the windowed layers at their own mean keys, the full ones at the context.
  hp::InferenceLayout il = layout(4, 1, 1, 100, 100);
  auto step = [&](const hp::ModelSpec& m, double dec_ctx, double pre_ctx, double dec_w, double pre_w) {
    hp::InferenceStepLoad load;
    load.decode_seqs = 64;
    load.decode_ctx = dec_ctx;
    load.prefill_tokens = 2048;
    load.prefill_ctx = pre_ctx;
    load.prefill_seqs = 1;
    load.decode_ctx_window = dec_w;
    load.prefill_ctx_window = pre_w;
    return hp::inference_step_s(m, il, g, c, load);
  };
  const double dec = 6000, pre = 2048.5, dec_w = hp::window_mean_keys(4000, 8000, 512),
               pre_w = hp::causal_window_keys(4096, 512);
  const double all_full = step(biased_gqa(), dec, pre, -1, -1);
  const double all_window = step(biased_gqa(), dec_w, pre_w, -1, -1);
  CHECK(step(windowed(512), dec, pre, dec_w, pre_w) == Approx(all_window).epsilon(1e-14));
  // Half the layers windowed (pattern 2): the mean of the two (one attention kernel per layer, same GEMMs).
  CHECK(step(windowed(512, 2), dec, pre, dec_w, pre_w) == Approx((all_full + all_window) / 2).epsilon(1e-13));
  // Without the load's means a windowed layer reads at most the window.
  CHECK(step(windowed(512), dec, pre, -1, -1) == Approx(step(biased_gqa(), 512, 512, -1, -1)).epsilon(1e-14));
  CHECK(all_window < all_full);
}

TEST_CASE("sliding window: bad values name the key and the value", "[inference][swa][bad_input]") {
  CHECK(key_of(windowed(-1)) == "sliding_window=-1");
  CHECK(key_of(windowed(128, -2)) == "sliding_window_pattern=-2");
  CHECK(key_of(windowed(0, 2)) == "sliding_window_pattern=2");   // a pattern without a window
  CHECK(key_of(windowed(128, 1)) == "sliding_window_pattern=1");  // every layer full: say window 0
  CHECK(key_of(windowed(128, 11)) == "sliding_window_pattern=11");  // no full layer among 10
  CHECK(key_of(windowed(128, 10)).empty());                         // the last layer full
  CHECK(key_of(windowed(1 << 20)).empty());                         // beyond any context: no effect, fine
  hp::ModelSpec t5 = windowed(128);
  t5.num_decoder_layers = 4;
  CHECK(key_of(t5) == "sliding_window=128");

  // Architecture keys (served catalogue, CSV rows, serving YAML, Python): the reader names where.key.
  std::map<std::string, std::string> arch = {{"num_layers", "32"},      {"hidden_size", "4096"},
                                             {"num_attention_heads", "32"}, {"num_query_groups", "8"},
                                             {"ffn_hidden_size", "14336"}, {"vocab_size", "32000"}};
  CHECK(hp::architecture_model("m", arch, "row 2").num_sliding_window_layers() == 0);
  arch["sliding_window"] = "4096";
  CHECK(hp::architecture_model("m", arch, "row 2").num_sliding_window_layers() == 32);
  arch["sliding_window_pattern"] = "2";
  CHECK(hp::architecture_model("m", arch, "row 2").num_sliding_window_layers() == 16);
  auto error = [&](const char* key, const char* value) {
    auto a = arch;
    a[key] = value;
    try {
      hp::architecture_model("m", a, "row 2");
    } catch (const hp::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK_THAT(error("sliding_window", "-4096"), Catch::Contains("row 2.sliding_window=-4096"));
  CHECK_THAT(error("sliding_window", "4k"), Catch::Contains("row 2.sliding_window=4k"));
  CHECK_THAT(error("sliding_window_pattern", "33"), Catch::Contains("sliding_window_pattern=33"));
  CHECK_THAT(error("sliding_window_pattern", "33"), Catch::Contains("num_layers=32"));
}

TEST_CASE("sliding window: served catalogue (gpt-oss alternating 128, Mistral 7B v0.1 4096)", "[inference][swa]") {
  // gpt-oss config.json: "sliding_window": 128, "layer_types" alternating sliding/full from layer 0.
  for (const char* name : {"openai/gpt-oss-20b", "openai/gpt-oss-120b"}) {
    const hp::ModelSpec m = hp::resolve_served_model(name).model;
    CHECK(m.sliding_window == 128);
    CHECK(m.sliding_window_pattern == 2);
    CHECK(m.num_sliding_window_layers() == m.num_layers / 2);
  }
  // Mistral-7B-v0.1 config.json "sliding_window": 4096; v0.2 and v0.3: null.
  CHECK(hp::resolve_served_model("mistralai/Mistral-7B-v0.1").model.sliding_window == 4096);
  CHECK(hp::resolve_served_model("mistralai/Mistral-7B-Instruct-v0.1").model.sliding_window == 4096);
  CHECK(hp::resolve_served_model("mistral-7b-v0.1").model.sliding_window == 4096);
  CHECK(hp::resolve_served_model("mistralai/Mistral-7B-Instruct-v0.3").model.sliding_window == 0);
  CHECK(hp::resolve_served_model("mistral-7b").model.sliding_window == 0);
}
