// The model policy's space: auto lists and Megatron-Core's divisibility rules.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "hp/hardware.hpp"
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
  hp::TrainSettings train;  // not const: the FSDP check below opts in
  const auto s = hp::default_space(m, train, dgx_gpu(), 1024, 2048);
  CHECK(s.tp == std::vector<int>{1, 2, 4, 8});
  // Divisors of 96, and of 98 for the embedding + loss split (each stage keeps a transformer layer).
  CHECK(s.pp == std::vector<int>{1, 2, 3, 4, 6, 7, 8, 12, 14, 16, 24, 32, 48, 49, 96});
  CHECK(s.fsdp == std::vector<int>{0});
  train.fsdp = true;
  CHECK(hp::default_space(m, train, dgx_gpu(), 1024, 2048).fsdp == std::vector<int>{0, 1});
  CHECK(s.cp == std::vector<int>{1, 2});
  CHECK(s.ep == std::vector<int>{1});
  CHECK(s.mbs == std::vector<int>{1, 2, 4, 8});
  CHECK(s.precisions == std::vector<hp::Precision>{hp::Precision::bf16});
}

TEST_CASE("space: every layout the model accepts obeys Megatron-Core's rules", "[search][space]") {
  const auto m = gpt_like(24, 4096, 32);
  hp::TrainSettings train;
  train.tensor_parallel_sizes = {1, 2, 3, 4, 8};
  const auto gpu = hp::find_gpu("a100-80gb");
  const auto s = hp::default_space(m, train, gpu, 96, 1536);
  std::map<hp::Infeasible, int> reasons;
  std::uint64_t ok = 0;
  const auto n = hp::enumerate_layouts(m, s, [&](const hp::Layout& l) {
    const auto r = hp::estimate(m, l, gpu, hp::default_calibration(gpu)).reason;
    ++reasons[r];
    if (r != hp::Infeasible::none && r != hp::Infeasible::out_of_memory) return;
    ++ok;
    REQUIRE(96 % (l.tp * l.pp * l.cp) == 0);
    REQUIRE(32 % l.tp == 0);
    REQUIRE((24 + int(l.account_for_embedding) + int(l.account_for_loss)) % (l.pp * l.vp) == 0);
    REQUIRE(l.account_for_embedding == l.account_for_loss);
    if (l.fsdp) REQUIRE(l.pp == 1);
    REQUIRE(1536 % (l.mbs * l.dp()) == 0);
    REQUIRE(l.sequence_parallel == (l.tp > 1));
  });
  CHECK(n > ok);
  CHECK(ok > 100);
  CHECK(reasons[hp::Infeasible::heads_not_divisible] > 0);  // tp 3
  CHECK(reasons[hp::Infeasible::gpus_not_divisible] > 0);   // e.g. pp 24 x tp 8 > 96 GPUs
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
  hp::enumerate_layouts(m, s, [&](const hp::Layout& l) { layers.push_back(l.recompute_num_layers); });
  // 24 layers / (pp 4 * vp 2) = 3 per chunk: k = 1, 2 per chunk -> 2, 4 per stage; then all (0).
  CHECK(layers == std::vector<int>{2, 4, 0});
}

TEST_CASE("rank: counts add up, ranking is sorted and deterministic", "[search][rank]") {
  const auto m = gpt_like(24, 4096, 32);
  hp::TrainSettings train;
  const auto gpu = hp::find_gpu("a100-80gb");
  const auto space = hp::default_space(m, train, gpu, 128, 2048);
  const auto cal = hp::default_calibration(gpu);
  const auto a = hp::rank_space(m, space, gpu, cal, {});
  const auto b = hp::rank_space(m, space, gpu, cal, {});
  REQUIRE(a.feasible > 0);
  CHECK(a.feasible == a.ranked.size());
  std::uint64_t rejected = 0;
  for (const auto& c : a.infeasible) rejected += c.count;
  CHECK(rejected + a.feasible == a.enumerated);
  CHECK(a.evaluated <= a.enumerated);
  for (std::size_t i = 1; i < a.ranked.size(); ++i) REQUIRE_FALSE(hp::rank_less(a.ranked[i], a.ranked[i - 1]));
  for (const auto& r : a.ranked) REQUIRE(r.fits);
  REQUIRE(a.ranked.size() == b.ranked.size());
  for (std::size_t i = 0; i < a.ranked.size(); ++i)
    REQUIRE(hp::describe_layout(a.ranked[i].layout) == hp::describe_layout(b.ranked[i].layout));
  // A bigger safety margin can only drop layouts.
  hp::EstimateOptions tight;
  tight.memory_margin = 0.5;
  CHECK(hp::rank_space(m, space, gpu, cal, tight).feasible < a.feasible);
}

TEST_CASE("select_trials: top shapes first, then the best of each tp x pp", "[search][rank]") {
  auto row = [](int tp, int pp, int mbs, hp::Recompute rc, double t, int cp = 1) {
    hp::RankedLayout r;
    r.layout.tp = tp;
    r.layout.pp = pp;
    r.layout.cp = cp;
    r.layout.mbs = mbs;
    r.layout.recompute = rc;
    r.step_time_s = t;
    return r;
  };
  using R = hp::Recompute;
  const std::vector<hp::RankedLayout> ranked = {
      row(2, 1, 4, R::none, 1.0), row(2, 1, 4, R::none, 1.01, 2), row(2, 1, 2, R::none, 1.1),
      row(2, 1, 1, R::none, 1.2), row(4, 1, 4, R::none, 1.3), row(1, 2, 4, R::none, 1.4), row(4, 1, 2, R::none, 1.5)};
  const auto picks = hp::select_trials(ranked, 4);
  REQUIRE(picks.size() == 4);
  // Top 2 shapes: rows 0 and 2 (row 1 is row 0 with CP 2, a near-tie of one shape); then the best of (4,1), (1,2).
  CHECK(picks[0].index == 0);
  CHECK(picks[1].index == 2);
  CHECK(picks[2].index == 4);
  CHECK(picks[3].index == 5);
  CHECK(std::string(picks[0].reason) == "top");
  CHECK(std::string(picks[3].reason) == "best of tp x pp");
  // With budget to spare, every distinct shape is explored but the near-tie variant is not.
  const auto all = hp::select_trials(ranked, 100);
  CHECK(all.size() == ranked.size() - 1);
  for (const auto& p : all) CHECK(p.index != 1);
  CHECK(std::string(all.back().reason) == "explore");
  CHECK(hp::select_trials(ranked, 1).size() == 1);
}

TEST_CASE("select_trials: a variant the ranking separates by more than the model's error is explored",
          "[search][rank]") {
  std::vector<hp::RankedLayout> ranked(3);
  ranked[0].step_time_s = 1.0;
  ranked[1].layout.cp = 2;  // same shape (tp 1, pp 1, mbs 1, no recompute), 20 % slower
  ranked[1].step_time_s = 1.2;
  ranked[2].layout.distributed_optimizer = false;  // same shape, 3 % slower: a near-tie
  ranked[2].step_time_s = 1.03;
  const auto picks = hp::select_trials(ranked, 3);
  REQUIRE(picks.size() == 2);
  CHECK(picks[1].index == 1);
  CHECK(std::string(picks[1].reason) == "explore");
  // With an error above 20 % the CP variant is a tie too.
  CHECK(hp::select_trials(ranked, 3, 0.25).size() == 1);
}

TEST_CASE("space: MoE models search expert parallelism", "[search][space]") {
  auto m = gpt_like(32, 4096, 32, 4096);
  m.moe_num_experts = 8;
  m.moe_topk = 2;
  m.num_query_groups = 8;
  hp::TrainSettings train;
  const auto gpu = hp::find_gpu("h100-sxm");
  const auto s = hp::default_space(m, train, gpu, 64, 256);
  CHECK(s.ep == std::vector<int>{1, 2, 4, 8});
  CHECK(s.cp == std::vector<int>{1, 2, 4});
  const auto r = hp::rank_space(m, s, gpu, hp::default_calibration(gpu), {});
  REQUIRE(r.feasible > 0);
  bool has_ep = false;
  for (const auto& x : r.ranked) has_ep |= x.layout.ep > 1;
  CHECK(has_ep);
  CHECK(hp::model_run_name("mixtral", 47, 8, r.ranked.front()).rfind("mixtral_47b_8nodes_tp_", 0) == 0);
}

TEST_CASE("space: 126 layers reach PP16 VP8 with the embedding+loss split, and MoE tries ETP tp and 1", "[search][space]") {
  auto m = gpt_like(126, 16384, 128, 8192);
  m.num_query_groups = 8;
  hp::TrainSettings train;
  train.tensor_parallel_sizes = {8};
  train.micro_batch_sizes = {1};
  train.recompute_modes = {"none"};
  const auto gpu = hp::find_gpu("h100-sxm");
  const auto s = hp::default_space(m, train, gpu, 1024, 512);
  bool pp16_vp8 = false;
  hp::enumerate_layouts(m, s, [&](const hp::Layout& l) {
    if (l.pp != 16 || l.vp != 8) return;
    REQUIRE(l.account_for_embedding);
    const auto r = hp::estimate(m, l, gpu, hp::default_calibration(gpu)).reason;
    pp16_vp8 |= r == hp::Infeasible::none || r == hp::Infeasible::out_of_memory;
  });
  CHECK(pp16_vp8);

  auto moe = gpt_like(32, 4096, 32, 4096);
  moe.moe_num_experts = 8;
  moe.moe_topk = 2;
  hp::TrainSettings t2;
  t2.tensor_parallel_sizes = {2};
  const auto s2 = hp::default_space(moe, t2, gpu, 16, 64);
  std::set<int> etps;
  hp::enumerate_layouts(moe, s2, [&](const hp::Layout& l) {
    if (l.ep > 1) etps.insert(l.etp);
  });
  CHECK(etps == std::set<int>{1, 2});
}
