// Memory model: Korthikanti et al. 2022 Figure 1 values (GiB per GPU, as encoded in Calculon's validation;
// published_runs.md section 6), reproduced within 1%, plus the structural rules of the model.
#include <catch2/catch.hpp>

#include "hp/core.hpp"
#include "hp/perf.hpp"

namespace {

hp::ModelSpec gpt(int layers, int hidden, int heads) {
  hp::ModelSpec m;
  m.num_layers = layers;
  m.hidden_size = hidden;
  m.ffn_hidden_size = 4 * hidden;
  m.num_attention_heads = heads;
  m.seq_length = 2048;
  m.max_position_embeddings = 2048;
  m.vocab_size = 51200;
  return m;
}

struct Fig1 {
  const char* name;
  hp::ModelSpec model;
  int gpus, pp, vp, mbs, gbs;
  double baseline_gib, sp_selective_gib, state_gib;
};

std::vector<Fig1> figure1() {
  return {
      {"22B", gpt(48, 6144, 64), 8, 1, 1, 4, 4, 59.25, 9.5625, 45.56},
      {"175B", gpt(96, 12288, 96), 64, 8, 3, 1, 64, 66.84, 12.35, 45.56},
      {"530B", gpt(105, 20480, 128), 280, 35, 3, 1, 280, 114.02, 23.08, 31.64},
      {"1T", gpt(128, 25600, 160), 512, 64, 1, 1, 512, 131.25, 26.56, 32.96},
  };
}

hp::Layout korthikanti_layout(const Fig1& f, bool sp_selective) {
  hp::Layout l;
  l.num_gpus = f.gpus;
  l.tp = 8;
  l.pp = f.pp;
  l.vp = f.vp;
  l.mbs = f.mbs;
  l.gbs = f.gbs;
  l.flash_attention = false;  // 2022: attention scores are materialised
  l.distributed_optimizer = false;
  l.grad_reduce_in_fp32 = true;  // 18 bytes per parameter (Megatron-LM 2022)
  l.sequence_parallel = sp_selective;
  l.recompute = sp_selective ? hp::Recompute::selective : hp::Recompute::none;
  return l;
}

}  // namespace

TEST_CASE("Korthikanti 2022 Figure 1 memory values within 1%", "[perf][memory]") {
  const hp::GpuSpec gpu = hp::find_gpu("a100-80gb");
  const hp::Calibration cal = hp::default_calibration(gpu);
  for (const auto& f : figure1()) {
    INFO(f.name);
    const hp::Estimate base = hp::estimate(f.model, korthikanti_layout(f, false), gpu, cal);
    const hp::Estimate sel = hp::estimate(f.model, korthikanti_layout(f, true), gpu, cal);
    REQUIRE(base.memory.pipeline_rank == 0);
    CHECK(base.memory.activations_bytes / hp::kGiB == Approx(f.baseline_gib).epsilon(0.01));
    CHECK(sel.memory.activations_bytes / hp::kGiB == Approx(f.sp_selective_gib).epsilon(0.01));
    const auto& m = base.memory;
    const double state = m.weights_bytes + m.gradients_bytes + m.optimizer_bytes - m.embedding_state_bytes;
    CHECK(state / hp::kGiB == Approx(f.state_gib).epsilon(0.01));
  }
}

TEST_CASE("the distributed optimizer shards optimizer state over DP", "[perf][memory]") {
  const hp::GpuSpec gpu = hp::find_gpu("h100-sxm");
  const hp::Calibration cal = hp::default_calibration(gpu);
  hp::ModelSpec m = gpt(32, 4096, 32);
  hp::Layout l;
  l.num_gpus = 64;
  l.tp = 2;
  l.gbs = 256;
  l.distributed_optimizer = false;
  const hp::Estimate plain = hp::estimate(m, l, gpu, cal);
  l.distributed_optimizer = true;
  const hp::Estimate dist = hp::estimate(m, l, gpu, cal);
  // Megatron theoretical_memory_usage: 18 bytes/param vs 6 + 12/DP (DP = 32).
  CHECK(plain.memory.optimizer_bytes / dist.memory.optimizer_bytes == Approx(32.0).epsilon(1e-9));
  CHECK(plain.memory.weights_bytes == dist.memory.weights_bytes);
}

TEST_CASE("recompute and pipeline schedule change activations as the formulas say", "[perf][memory]") {
  const hp::GpuSpec gpu = hp::find_gpu("a100-80gb");
  const hp::Calibration cal = hp::default_calibration(gpu);
  const hp::ModelSpec m = gpt(96, 12288, 96);
  hp::Layout l;
  l.num_gpus = 64;
  l.tp = 8;
  l.pp = 8;
  l.gbs = 64;
  l.flash_attention = false;
  l.sequence_parallel = true;
  const hp::Estimate none = hp::estimate(m, l, gpu, cal);
  l.recompute = hp::Recompute::full;
  const hp::Estimate full = hp::estimate(m, l, gpu, cal);
  // Full recompute keeps 2sbh/t per layer (SP) plus one layer's full activations.
  const double sbh = 2048.0 * 12288;
  CHECK(full.memory.activations_bytes == Approx(96 * 2 * sbh / 8 + sbh * (34.0 / 8 + 5.0 * 96 * 2048 / (12288 * 8))));
  CHECK(full.time.compute_s > none.time.compute_s);
  // Partial recompute sits in between.
  l.recompute_num_layers = 6;  // of 12 layers per stage
  const hp::Estimate half = hp::estimate(m, l, gpu, cal);
  CHECK(half.memory.activations_bytes > full.memory.activations_bytes);
  CHECK(half.memory.activations_bytes < none.memory.activations_bytes);
  // Interleaving raises the first stage's in-flight activations by (1 + (p-1)/(p v)).
  l.recompute = hp::Recompute::none;
  l.recompute_num_layers = 0;
  l.vp = 2;
  const hp::Estimate inter = hp::estimate(m, l, gpu, cal);
  CHECK(inter.memory.activations_bytes / none.memory.activations_bytes == Approx(1 + 7.0 / 16));
}

TEST_CASE("infeasible layouts are reasons, not exceptions", "[perf]") {
  const hp::GpuSpec gpu = hp::find_gpu("a100-80gb");
  const hp::Calibration cal = hp::default_calibration(gpu);
  const hp::ModelSpec m = gpt(96, 12288, 96);
  hp::Layout l;
  l.num_gpus = 64;
  l.tp = 8;
  l.pp = 8;
  l.gbs = 64;
  l.tp = 3;
  CHECK(hp::estimate(m, l, gpu, cal).reason == hp::Infeasible::gpus_not_divisible);
  l.tp = 8;
  l.vp = 16;  // 128 model chunks for 96 layers
  CHECK(hp::estimate(m, l, gpu, cal).reason == hp::Infeasible::layers_not_divisible);
  l.vp = 5;  // 40 chunks: uneven, allowed only when asked for
  CHECK(hp::estimate(m, l, gpu, cal).reason == hp::Infeasible::layers_not_divisible);
  l.uneven_pipeline = true;
  CHECK(hp::estimate(m, l, gpu, cal).reason != hp::Infeasible::layers_not_divisible);
  l.uneven_pipeline = false;
  l.vp = 1;
  l.precision = hp::Precision::fp8_delayed;
  CHECK(hp::estimate(m, l, gpu, cal).reason == hp::Infeasible::fp8_unsupported);
  l.precision = hp::Precision::bf16;
  l.pp = 1;
  l.num_gpus = 8;
  l.gbs = 8;
  const hp::Estimate oom = hp::estimate(m, l, gpu, cal);
  CHECK(oom.reason == hp::Infeasible::out_of_memory);
  CHECK_FALSE(oom.fits);
  CHECK(oom.memory.total_bytes > gpu.memory_bytes);
  l.mbs = 0;
  CHECK(hp::estimate(m, l, gpu, cal).reason == hp::Infeasible::invalid_layout);
}

TEST_CASE("context and expert parallelism split activations and expert state", "[perf][memory]") {
  const hp::GpuSpec gpu = hp::find_gpu("h100-sxm");
  const hp::Calibration cal = hp::default_calibration(gpu);
  hp::ModelSpec m = gpt(32, 4096, 32);
  m.ffn_hidden_size = 14336;
  m.activation = "swiglu";
  m.seq_length = m.max_position_embeddings = 8192;
  hp::Layout l;
  l.num_gpus = 16;
  l.gbs = 64;
  const hp::Estimate cp1 = hp::estimate(m, l, gpu, cal);
  l.cp = 2;
  const hp::Estimate cp2 = hp::estimate(m, l, gpu, cal);
  CHECK(cp2.memory.activations_bytes == Approx(cp1.memory.activations_bytes / 2).epsilon(0.01));
  CHECK(cp1.time.cp_comm_s == 0);
  // MoE: 8 experts, top-2; EP 8 keeps 1/8 of the expert weights per GPU.
  m.moe_num_experts = 8;
  m.moe_topk = 2;
  l.cp = 1;
  const hp::Estimate ep1 = hp::estimate(m, l, gpu, cal);
  l.ep = 8;
  const hp::Estimate ep8 = hp::estimate(m, l, gpu, cal);
  REQUIRE(ep8.reason != hp::Infeasible::experts_not_divisible);
  const double expert_params = 32.0 * 8 * 3 * 4096 * 14336;
  CHECK(ep1.memory.weights_bytes - ep8.memory.weights_bytes == Approx(2 * expert_params * 7 / 8).epsilon(1e-6));
  CHECK(ep8.time.ep_comm_s > 0);
  l.ep = 3;
  CHECK(hp::estimate(m, l, gpu, cal).reason == hp::Infeasible::experts_not_divisible);
}
