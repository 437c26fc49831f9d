// Performance model: hardware catalogue, FLOPs definition, parameter counts, time structure.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>

#include "hp/catalog.hpp"
#include "hp/core.hpp"
#include "hp/model.hpp"
#include "hp/nemo_config.hpp"
#include "hp/perf.hpp"

TEST_CASE("GPU names as sources print them resolve to the catalogue", "[hardware]") {
  CHECK(hp::find_gpu("A100-SXM4-80GB").name == "a100-80gb");
  CHECK(hp::find_gpu("A100-SXM4-80GB (DGX SuperPOD)").name == "a100-80gb");
  CHECK(hp::find_gpu("H100-SXM-80GB (DGX-H100)").name == "h100-sxm");
  CHECK(hp::find_gpu("H100 SXM").name == "h100-sxm");
  CHECK(hp::find_gpu("H100-80GB (HBM3, 700W)").name == "h100-sxm");
  CHECK(hp::find_gpu("GB200 (NVL72)").name == "gb200");
  CHECK(hp::find_gpu("DGX-GB200").nvlink_domain_size == 72);
  CHECK(hp::find_gpu("a100-40gb").peak_fp8_flops_per_s == 0);
  CHECK(hp::find_gpu("h100-sxm").peak_bf16_flops_per_s == Approx(989e12));
  CHECK(hp::gpu_for_memory_gb(40).name == "a100-40gb");
  try {
    hp::find_gpu("tpu-v5");
    FAIL("no exception");
  } catch (const hp::ConfigError& e) {
    CHECK(e.key() == "gpu");
    CHECK(e.value() == "tpu-v5");
  }
}

TEST_CASE("user GPUs from YAML, based on a catalogue GPU", "[hardware]") {
  const std::string path = std::string(HP_BINARY_DIR) + "/perf_gpus.yaml";
  {
    std::ofstream out(path);
    out << "gpus:\n  - name: h100-nvl-test\n    base: h100-sxm\n    memory_gb: 94\n    peak_bf16_tflops: 835\n";
  }
  const auto gpus = hp::load_gpus_yaml(path);
  REQUIRE(gpus.size() == 1);
  CHECK(gpus[0].memory_bytes == Approx(94 * hp::kGiB));
  CHECK(gpus[0].peak_bf16_flops_per_s == Approx(835e12));
  CHECK(gpus[0].family == "hopper");
  hp::register_gpus(gpus);
  CHECK(hp::find_gpu("H100-NVL-test").peak_bf16_flops_per_s == Approx(835e12));
  {
    std::ofstream out(path);
    out << "- name: x\n  memory_gb: lots\n";
  }
  try {
    hp::load_gpus_yaml(path);
    FAIL("no exception");
  } catch (const hp::ConfigError& e) {
    CHECK(e.key() == "gpus[0].memory_gb");
    CHECK(e.value() == "lots");
  }
  std::remove(path.c_str());
}

TEST_CASE("model FLOPs follow Megatron-Core's definition", "[perf][flops]") {
  // GPT-3 175B, causal attention halved: per token 6*(l*(4h^2 + 8h^2 + s*h) + h*V).
  const hp::ModelSpec m = hp::find_model("gpt3/175b");
  const double h = m.hidden_size, s = m.seq_length, l = m.num_layers, V = m.vocab_size;
  const double per_token = 6 * (l * (12 * h * h + s * h) + h * V);
  CHECK(hp::model_flops_per_step(m, 1536) == Approx(1536 * s * per_token).epsilon(1e-12));
}

TEST_CASE("parameters from the layer shapes equal the exact count", "[perf]") {
  for (const auto& e : hp::model_catalog()) {
    if (e.model.is_encoder_decoder()) continue;
    INFO(e.key);
    hp::Layout l;
    l.num_gpus = 8;
    l.tp = 1;
    l.gbs = 8;
    const hp::Estimate est = hp::estimate(e.model, l, hp::find_gpu("b200"), hp::Calibration{});
    CHECK(est.num_parameters == Approx(static_cast<double>(hp::count_parameters(e.model).total)).epsilon(1e-3));
  }
}

TEST_CASE("step time parts follow the schedule", "[perf][time]") {
  const hp::ModelSpec m = hp::find_model("gpt3/175b");
  const hp::GpuSpec gpu = hp::find_gpu("h100-sxm");
  const hp::Calibration cal = hp::default_calibration(gpu);
  hp::Layout l;
  l.num_gpus = 512;
  l.tp = 8;
  l.pp = 8;
  l.gbs = 512;
  l.sequence_parallel = true;
  const hp::Estimate a = hp::estimate(m, l, gpu, cal);
  REQUIRE(a.reason == hp::Infeasible::none);
  const double m_count = l.num_micro_batches();
  const auto& t = a.time;
  // Bubble = (p-1)/v micro-batch times (compute + exposed TP/CP/EP).
  CHECK(t.bubble_s == Approx(7.0 * (t.compute_s + t.tp_comm_s + t.cp_comm_s + t.ep_comm_s) / m_count));
  l.vp = 4;
  const hp::Estimate b = hp::estimate(m, l, gpu, cal);
  CHECK(b.time.bubble_s == Approx(t.bubble_s / 4));
  CHECK(b.time.step_time_s < a.time.step_time_s);
  CHECK(b.memory.activations_bytes > a.memory.activations_bytes);
  // FP8 is faster on a GPU with FP8; MFU is then taken against the FP8 peak.
  l.precision = hp::Precision::fp8_delayed;
  const hp::Estimate c = hp::estimate(m, l, gpu, cal);
  CHECK(c.time.step_time_s < b.time.step_time_s);
  CHECK(c.mfu == Approx(c.model_flops_per_step / c.time.step_time_s / 512 / gpu.peak_fp8_flops_per_s));
  // Tokens/s and TFLOP/s per GPU are consistent with the step time.
  CHECK(a.tokens_per_s_per_gpu == Approx(512.0 * 2048 / a.time.step_time_s / 512));
  CHECK(a.hfu >= a.mfu);
  // TP beyond the NVLink domain is slower than inside it.
  l.precision = hp::Precision::bf16;
  l.vp = 1;
  l.tp = 16;
  l.pp = 4;
  const hp::Estimate d = hp::estimate(m, l, gpu, cal);
  l.tp = 8;
  l.pp = 8;
  CHECK(d.time.tp_comm_s > hp::estimate(m, l, gpu, cal).time.tp_comm_s * 2);
}

TEST_CASE("a NeMo training config gives the layout", "[perf]") {
  // Every size differs from the others (tp 4, pp 8, cp 2, mbs 1, dp 2, N 3, partial 6, vp 5): a swap of any two
  // keys in the reader changes a checked value.
  hp::TrainingConfig c;
  c.num_nodes = 16;
  c.gpus_per_node = 8;
  c.tensor_model_parallel_size = 4;
  c.pipeline_model_parallel_size = 8;
  c.context_parallel_size = 2;
  c.virtual_pipeline_model_parallel_size = 0;
  c.global_batch_size = 512;
  c.micro_batch_size = 1;
  c.sequence_parallel = true;
  c.activations_checkpoint_granularity = "full";
  c.activations_checkpoint_method = "block";
  c.activations_checkpoint_num_layers = 3;
  c.num_micro_batches_with_partial_activation_checkpoints = 6;
  c.precision = "bf16";
  const hp::Layout l = hp::layout_from_nemo(c);
  CHECK(l.num_gpus == 128);
  CHECK(l.tp == 4);
  CHECK(l.pp == 8);
  CHECK(l.cp == 2);
  CHECK(l.mbs == 1);
  CHECK(l.gbs == 512);
  CHECK(l.dp() == 2);
  CHECK(l.vp == 1);
  CHECK(l.num_micro_batches() == 256);
  CHECK(l.recompute == hp::Recompute::full);
  CHECK(l.recompute_num_layers == 3);
  CHECK(l.recompute_micro_batches == 6);
  CHECK(l.sequence_parallel);
  // Block method: N layers per model chunk (x vp per stage); 0 layers recompute nothing.
  c.virtual_pipeline_model_parallel_size = 5;
  CHECK(hp::layout_from_nemo(c).vp == 5);
  CHECK(hp::layout_from_nemo(c).recompute_num_layers == 15);
  c.activations_checkpoint_num_layers = 0;
  CHECK(hp::layout_from_nemo(c).recompute == hp::Recompute::none);
  c.activations_checkpoint_granularity = "selective";
  CHECK(hp::layout_from_nemo(c).recompute == hp::Recompute::selective);
  // Partial checkpointing of 0 micro-batches is 0, not "all" (-1 = null); "uniform" recomputes every layer.
  c.activations_checkpoint_granularity = "full";
  c.activations_checkpoint_method = "uniform";
  c.activations_checkpoint_num_layers = 1;
  c.num_micro_batches_with_partial_activation_checkpoints = 0;
  CHECK(hp::layout_from_nemo(c).recompute_micro_batches == 0);
  CHECK(hp::layout_from_nemo(c).recompute_num_layers == 0);
  // FP8 from either key; the optimizer flag is carried over.
  CHECK_FALSE(hp::layout_from_nemo(c).fp8());
  c.precision = "fp8-mixed";
  CHECK(hp::layout_from_nemo(c).fp8());
  c.precision = "bf16";
  c.fp8 = true;
  CHECK(hp::layout_from_nemo(c).fp8());
  CHECK(hp::layout_from_nemo(c).distributed_optimizer);
  c.distributed_optimizer = false;
  CHECK_FALSE(hp::layout_from_nemo(c).distributed_optimizer);
}

TEST_CASE("every catalogue model, GPU and layout of a grid gives finite numbers or a reason", "[perf]") {
  int feasible = 0, total = 0;
  for (const auto& entry : hp::model_catalog())
    for (const auto& gpu : hp::gpu_catalog()) {
      const hp::Calibration cal = hp::default_calibration(gpu);
      for (int tp : {1, 2, 8})
        for (int pp : {1, 4})
          for (int vp : {1, 2})
            for (int cp : {1, 2})
              for (auto rc : {hp::Recompute::none, hp::Recompute::selective, hp::Recompute::full}) {
                hp::Layout l;
                l.num_gpus = 64;
                l.gbs = 512;
                l.tp = tp;
                l.pp = pp;
                l.vp = vp;
                l.cp = cp;
                l.recompute = rc;
                l.sequence_parallel = tp > 1;
                l.precision = gpu.peak_fp8_flops_per_s > 0 && tp == 8 ? hp::Precision::fp8_delayed : hp::Precision::bf16;
                const hp::Estimate e = hp::estimate(entry.model, l, gpu, cal);
                ++total;
                if (e.reason != hp::Infeasible::none && e.reason != hp::Infeasible::out_of_memory) continue;
                ++feasible;
                INFO(entry.key << " " << gpu.name << " tp" << tp << " pp" << pp << " vp" << vp << " cp" << cp);
                REQUIRE(std::isfinite(e.time.step_time_s));
                REQUIRE(e.time.step_time_s > 0);
                REQUIRE(std::isfinite(e.memory.total_bytes));
                REQUIRE(e.memory.activations_bytes > 0);
                REQUIRE(e.mfu > 0);
                REQUIRE(e.mfu < 1);
              }
    }
  CHECK(feasible > total / 4);
}

TEST_CASE("a user's GPUs are found beside the catalogue without changing it", "[gpu]") {
  hp::GpuSpec mine = hp::find_gpu("h100-sxm");
  mine.name = "my-h100-variant";
  mine.memory_bytes = 96e9;
  CHECK(hp::find_gpu("My-H100-Variant", {mine}).memory_bytes == 96e9);
  CHECK(hp::find_gpu("h100", {mine}).name == "h100-sxm");  // aliases still reach the catalogue
  CHECK_THROWS_AS(hp::find_gpu("my-h100-variant"), hp::ConfigError);  // the catalogue did not change
}
