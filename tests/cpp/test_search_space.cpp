// The model policy's space: auto lists and Megatron-Core's divisibility rules.
#include <catch2/catch.hpp>

#include <map>

#include "hp/search.hpp"

namespace {

hp::ModelSpec gpt_like(int layers, int hidden, int heads, int seq = 2048) {
  hp::ModelSpec m;
  m.family = "gpt3";
  m.num_layers = layers;
  m.hidden_size = hidden;
  m.ffn_hidden_size = 4 * hidden;
  m.num_attention_heads = heads;
  m.seq_length = seq;
  return m;
}

hp::GpuSpec dgx_gpu() {
  hp::GpuSpec g;
  g.name = "test";
  g.nvlink_domain_size = 8;
  g.peak_fp8_flops_per_s = 0;
  return g;
}

}  // namespace

TEST_CASE("space: auto lists for a 175B-like model on 1024 GPUs", "[search][space]") {
  const auto m = gpt_like(96, 12288, 96);
  hp::TrainSettings train;
  const auto s = hp::default_space(m, train, dgx_gpu(), 1024, 2048);
  CHECK(s.tp == std::vector<int>{1, 2, 4, 8});
  CHECK(s.pp == std::vector<int>{1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 96});
  CHECK(s.cp == std::vector<int>{1, 2});
  CHECK(s.ep == std::vector<int>{1});
  CHECK(s.mbs == std::vector<int>{1, 2, 4, 8});
  CHECK(s.fp8 == std::vector<int>{0});
}

TEST_CASE("space: every visited layout obeys the rules it is marked with", "[search][space]") {
  const auto m = gpt_like(24, 4096, 32);
  hp::TrainSettings train;
  train.tensor_parallel_sizes = {1, 2, 3, 4, 8};
  const auto gpu = dgx_gpu();
  const auto s = hp::default_space(m, train, gpu, 96, 1536);
  std::map<hp::Infeasible, int> reasons;
  std::uint64_t ok = 0;
  const auto n = hp::enumerate_layouts(m, s, gpu, [&](const hp::Layout& l, hp::Infeasible r) {
    ++reasons[r];
    if (r != hp::Infeasible::none) return;
    ++ok;
    REQUIRE(96 % (l.tp * l.pp * l.cp) == 0);
    REQUIRE(32 % l.tp == 0);
    REQUIRE(24 % (l.pp * l.vp) == 0);
    REQUIRE(1536 % (l.mbs * l.dp()) == 0);
    if (l.vp > 1) REQUIRE(l.pp > 2);
    REQUIRE(l.sequence_parallel == (l.tp > 1));
  });
  CHECK(n > ok);
  CHECK(ok > 100);
  CHECK(reasons[hp::Infeasible::heads_not_divisible] > 0);  // tp 3
  CHECK(reasons[hp::Infeasible::gpus_not_divisible] > 0);   // e.g. pp 24 x tp 8 > 96 GPUs
}

TEST_CASE("space: divisibility rules name the first broken rule", "[search][space]") {
  const auto m = gpt_like(24, 4096, 32);
  const auto gpu = dgx_gpu();
  hp::Layout l;
  l.num_gpus = 64;
  l.gbs = 512;
  l.tp = 2;
  l.pp = 4;
  CHECK(hp::check_divisibility(m, l, gpu) == hp::Infeasible::none);
  l.pp = 5;
  CHECK(hp::check_divisibility(m, l, gpu) == hp::Infeasible::gpus_not_divisible);
  l.pp = 4;
  l.vp = 4;  // 24 layers over 16 chunks
  CHECK(hp::check_divisibility(m, l, gpu) == hp::Infeasible::layers_not_divisible);
  l.vp = 3;
  CHECK(hp::check_divisibility(m, l, gpu) == hp::Infeasible::none);
  l.mbs = 3;
  CHECK(hp::check_divisibility(m, l, gpu) == hp::Infeasible::gbs_not_divisible);
  l.mbs = 1;
  l.ep = 2;
  CHECK(hp::check_divisibility(m, l, gpu) == hp::Infeasible::experts_not_divisible);
  l.ep = 1;
  l.fp8 = true;
  CHECK(hp::check_divisibility(m, l, gpu) == hp::Infeasible::fp8_unsupported);
  l.fp8 = false;
  l.pp = 2;
  l.vp = 2;
  CHECK(hp::check_divisibility(m, l, gpu) == hp::Infeasible::vp_needs_pp);
}

TEST_CASE("space: full recompute layers are per stage, all = 0", "[search][space]") {
  const auto m = gpt_like(24, 4096, 32);
  hp::TrainSettings train;
  train.tensor_parallel_sizes = {8};
  train.pipeline_parallel_sizes = {4};
  train.virtual_pipeline_sizes = {2};
  train.micro_batch_sizes = {1};
  train.recompute_modes = {"full"};
  train.distributed_optimizer = {1};
  const auto gpu = dgx_gpu();
  auto s = hp::default_space(m, train, gpu, 64, 512);
  s.cp = {1};
  std::vector<int> layers;
  hp::enumerate_layouts(m, s, gpu, [&](const hp::Layout& l, hp::Infeasible) { layers.push_back(l.recompute_num_layers); });
  // 24 layers / (pp 4 * vp 2) = 3 per chunk: k = 1, 2 per chunk -> 2, 4 per stage; then all (0).
  CHECK(layers == std::vector<int>{2, 4, 0});
}
