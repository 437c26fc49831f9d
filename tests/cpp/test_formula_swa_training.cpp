// Sliding-window attention in the training model (perf_shape.cpp causal_key_share; docs/model.md "Sliding-window
// attention"): a causal query at position p attends to min(p, W) keys on a windowed layer; model FLOPs follow
// Megatron-Bridge's flop_utils.py transformer_flops (W - W (W - 1) / (2 T) mean keys on windowed layers, T / 2 on
// full ones); NeMo YAML window_size [W, 0] and window_attn_skip_freq (Megatron-Core TransformerConfig).
#include <catch2/catch.hpp>

#include <string>

#include "formula_models.hpp"
#include "hp/catalog.hpp"
#include "hp/core.hpp"
#include "hp/hardware.hpp"
#include "hp/nemo_config.hpp"
#include "hp/perf.hpp"

namespace {

hp::ModelSpec llama_like(int window, int pattern) {
  hp::ModelSpec m = hp_test::biased_gqa();  // 10 layers, 16 heads of 96, 4 K/V groups, seq 4096
  m.position_embedding = "rope";
  m.sliding_window = window;
  m.sliding_window_pattern = pattern;
  return m;
}

hp::Layout layout() {  // 8 GPUs, PP 1, micro-batch 1 (the defaults): TP 2, DP 4, 64 sequences
  hp::Layout l;
  l.tp = 2;
  l.gbs = 64;
  return l;
}

}  // namespace

TEST_CASE("training: model FLOPs count min(p, W) keys on windowed layers (Megatron-Bridge)", "[swa][formula]") {
  const double T = 4096, W = 512, a = 16, d = 96, gbs = 64;
  const double full = hp::model_flops_per_step(llama_like(0, 0), 64);
  // 3 passes x 2 FLOPs x (QK^T + AV: 2 a d MACs per key) per token and layer; keys T / 2 -> W - W (W - 1) / (2 T).
  const double per_layer_saving = gbs * T * 6 * (2 * a * d) * (T / 2 - (W - W * (W - 1) / (2 * T)));
  CHECK(hp::model_flops_per_step(llama_like(512, 0), 64) == Approx(full - 10 * per_layer_saving).epsilon(1e-13));
  CHECK(hp::model_flops_per_step(llama_like(512, 2), 64) == Approx(full - 5 * per_layer_saving).epsilon(1e-13));
  // A window at or beyond the sequence: exactly Megatron-LM's count.
  CHECK(hp::model_flops_per_step(llama_like(4096, 0), 64) == full);
  CHECK(hp::model_flops_per_step(llama_like(1 << 20, 2), 64) == full);
}

TEST_CASE("training: a window at or beyond the sequence gives exactly the no-window estimate", "[swa][formula]") {
  const hp::GpuSpec g = hp::find_gpu("h100-sxm");
  const hp::Calibration c = hp::default_calibration(g);
  const hp::Estimate base = hp::estimate(llama_like(0, 0), layout(), g, c);
  REQUIRE(base.fits);
  for (int pattern : {0, 2}) {
    const hp::Estimate same = hp::estimate(llama_like(4096, pattern), layout(), g, c);
    CHECK(same.time.step_time_s == base.time.step_time_s);
    CHECK(same.mfu == base.mfu);
    CHECK(same.memory.total_bytes == base.memory.total_bytes);
  }
  // A 512-token window: less attention work, the same memory (fused attention keeps no s x s scores).
  const hp::Estimate w = hp::estimate(llama_like(512, 0), layout(), g, c);
  CHECK(w.time.compute_s < base.time.compute_s);
  CHECK(w.time.step_time_s < base.time.step_time_s);
  CHECK(w.memory.total_bytes == base.memory.total_bytes);
  CHECK(w.model_flops_per_step < base.model_flops_per_step);
}

TEST_CASE("training: NeMo YAML window_size and window_attn_skip_freq", "[swa][nemo]") {
  hp::BaseConfigRequest req;
  req.size_b = 5;
  req.num_nodes = 2;
  hp::TrainingConfig c = hp::base_config(req);
  c.model.sliding_window = 128;
  c.model.sliding_window_pattern = 2;
  const std::string yaml = hp::to_nemo_yaml(c);
  CHECK(yaml.find("window_size: [128, 0]") != std::string::npos);
  CHECK(yaml.find("window_attn_skip_freq: 2") != std::string::npos);
  const hp::TrainingConfig back = hp::parse_nemo_yaml(yaml);
  CHECK(back.model.sliding_window == 128);
  CHECK(back.model.sliding_window_pattern == 2);
  // Megatron-Core semantics: no window -> the frequency means nothing; 1 -> every layer full; -1 -> no window.
  CHECK(hp::parse_nemo_yaml(hp::override_yaml(yaml, {{"model.window_size", "null"}})).model.sliding_window == 0);
  CHECK(hp::parse_nemo_yaml(hp::override_yaml(yaml, {{"model.window_size", "[-1, 0]"}})).model.sliding_window == 0);
  CHECK(hp::parse_nemo_yaml(hp::override_yaml(yaml, {{"model.window_attn_skip_freq", "1"}})).model.sliding_window == 0);
  const hp::TrainingConfig every = hp::parse_nemo_yaml(hp::override_yaml(yaml, {{"model.window_attn_skip_freq", "null"}}));
  CHECK(every.model.num_sliding_window_layers() == every.model.num_layers);
  CHECK_THROWS_WITH(hp::parse_nemo_yaml(hp::override_yaml(yaml, {{"model.window_size", "[128, 128]"}})),
                    Catch::Contains("model.window_size=[128, 128]"));
  CHECK_THROWS_WITH(hp::parse_nemo_yaml(hp::override_yaml(yaml, {{"model.window_size", "[0, 0]"}})),
                    Catch::Contains("model.window_size"));
  CHECK_THROWS_WITH(hp::parse_nemo_yaml(hp::override_yaml(yaml, {{"model.window_attn_skip_freq", "0"}})),
                    Catch::Contains("model.window_attn_skip_freq=0"));
  CHECK_THROWS_WITH(hp::parse_nemo_yaml(hp::override_yaml(yaml, {{"model.window_attn_skip_freq", "[1, 0]"}})),
                    Catch::Contains("model.window_attn_skip_freq"));
}
