// NeMo's training grid reproduced for the cases worked out in nemo_autoconfigurator.md section 4.4
// (NeMo-Megatron-Launcher HEAD, 80 GB, seq 2048, default lists).
#include <catch2/catch.hpp>

#include <set>
#include <tuple>

#include "hp/core.hpp"
#include "hp/search.hpp"

namespace {

hp::NemoGridInput gpt(double size_b, int nodes, int layers, int heads, int gbs = 2048) {
  hp::NemoGridInput in;
  in.family = "gpt3";
  in.size_b = size_b;
  in.num_nodes = nodes;
  in.num_layers = layers;
  in.num_attention_heads = heads;
  in.global_batch_size = gbs;
  return in;
}

std::set<std::tuple<int, int, int>> tp_pp_vp(const std::vector<hp::NemoCandidate>& grid) {
  std::set<std::tuple<int, int, int>> out;
  for (const auto& c : grid) out.emplace(c.tp, c.pp, c.vp);
  return out;
}

}  // namespace

TEST_CASE("nemo grid: gpt3/5b on 16 nodes has 12 candidates, mbs 3 and 6 removed by the GBS rule", "[search][nemo]") {
  const auto grid = hp::nemo_grid(gpt(5, 16, 24, 32));
  REQUIRE(grid.size() == 12);
  std::set<int> mbs, tp;
  for (const auto& c : grid) {
    mbs.insert(c.mbs);
    tp.insert(c.tp);
    CHECK(c.pp == 1);
    CHECK(c.vp == 0);
    CHECK(c.act_ckpt_layers == -1);
  }
  CHECK(mbs == std::set<int>{1, 2, 4, 8});
  CHECK(tp == std::set<int>{1, 2, 4});
  // Launch order: bucket by MBS (act-ckpt search off for GPT-3), then tp.
  CHECK(grid[0].mbs == 1);
  CHECK(grid[0].tp == 1);
  CHECK(grid[2].tp == 4);
  CHECK(grid[3].mbs == 2);
  CHECK(hp::nemo_run_name("gpt3", 5, 16, grid[0]) ==
        "gpt3_5b_16nodes_tp_1_pp_1_cp_1_ep_1_mbs_1_act_ckpt_None_num_mbs_act_None_act_per_pipe_None");
  CHECK(hp::nemo_run_name("gpt3", 5, 16, grid[0], true) ==
        "gpt3_5b_16nodes_tp_1_pp_1_mbs_1_act_ckpt_None_num_mbs_act_None_act_per_pipe_None");
}

TEST_CASE("nemo grid: gpt3/20b keeps 5 pairs with vp = L // pp for pp > 2", "[search][nemo]") {
  const auto grid = hp::nemo_grid(gpt(20, 64, 44, 48));
  CHECK(grid.size() == 15);
  CHECK(tp_pp_vp(grid) == std::set<std::tuple<int, int, int>>{{1, 4, 11}, {2, 2, 0}, {2, 4, 11}, {4, 1, 0}, {4, 2, 0}});
}

TEST_CASE("nemo grid: gpt3/175b on 128 nodes, float modulo drops pp 6 and 12", "[search][nemo]") {
  const auto lists = hp::nemo_candidate_lists(gpt(175, 128, 96, 96));
  CHECK(lists.tp == std::vector<int>{8});
  CHECK(lists.pp == std::vector<int>{4, 6, 8, 12, 16});
  CHECK(lists.mbs == std::vector<int>{1, 2, 4});
  CHECK(lists.min_mp == 32);
  CHECK(lists.max_mp == 256);
  const auto grid = hp::nemo_grid(gpt(175, 128, 96, 96));
  REQUIRE(grid.size() == 9);
  CHECK(tp_pp_vp(grid) == std::set<std::tuple<int, int, int>>{{8, 4, 24}, {8, 8, 12}, {8, 16, 6}});
  CHECK(grid[0].pp == 4);
  CHECK(grid[0].mbs == 1);
  CHECK(grid[8].pp == 16);
  CHECK(grid[8].mbs == 4);
}

TEST_CASE("nemo grid: t5/11b sweeps act-ckpt 0..48 by 8 over (4,1) and (8,1)", "[search][nemo]") {
  hp::NemoGridInput in;
  in.family = "t5";
  in.size_b = 11;
  in.seq_length = 512;
  in.num_nodes = 20;
  in.num_layers = 24;
  in.num_attention_heads = 64;
  in.global_batch_size = 1920;
  in.act_ckpt_method = "block";
  const auto grid = hp::nemo_grid(in);
  REQUIRE(grid.size() == 98);
  std::set<int> acts;
  for (const auto& c : grid) {
    acts.insert(c.act_ckpt_layers);
    CHECK(c.pp == 1);
    CHECK(c.vp == 0);
    CHECK(c.num_mbs_act == -1);
  }
  CHECK(acts == std::set<int>{0, 8, 16, 24, 32, 40, 48});
  // Bucketed by act-ckpt layers: fewest checkpointed layers first.
  CHECK(grid.front().act_ckpt_layers == 0);
  CHECK(grid.back().act_ckpt_layers == 48);
  CHECK(grid[0].tp == 4);
  CHECK(grid[7].tp == 8);
}

TEST_CASE("nemo grid: 20 nodes with a power-of-two GBS has zero candidates unless fixed", "[search][nemo]") {
  auto in = gpt(4.03, 20, 24, 32);
  CHECK(hp::nemo_grid(in).empty());
  in.fix_bugs = true;
  CHECK(hp::nemo_effective_gbs(in) == 2080);
  CHECK_FALSE(hp::nemo_grid(in).empty());
}

TEST_CASE("nemo grid: user lists replace the heuristic", "[search][nemo]") {
  auto in = gpt(5, 16, 24, 32);
  in.tp = {2};
  in.mbs = {1, 2};
  const auto grid = hp::nemo_grid(in);
  REQUIRE(grid.size() == 2);
  CHECK(grid[0].tp == 2);
}

TEST_CASE("nemo grid: block method sweeps partial checkpointing with pp > 1", "[search][nemo]") {
  auto in = gpt(5, 16, 24, 32);
  in.act_ckpt_method = "block";
  in.pp = {2};
  in.tp = {1};
  const auto grid = hp::nemo_grid(in);
  REQUIRE_FALSE(grid.empty());
  // pp 2, size 5: act_multiple = 8 // 2 = 4, act layers 0, 4, ..., 12; num_mbs_act 1, 2; per-pipe 0..24 by 4.
  std::set<int> acts, nmb, per_pipe;
  for (const auto& c : grid) {
    acts.insert(c.act_ckpt_layers);
    nmb.insert(c.num_mbs_act);
    per_pipe.insert(c.act_per_pipe);
  }
  CHECK(acts == std::set<int>{0, 4, 8, 12});
  CHECK(nmb == std::set<int>{1, 2});
  // num_mbs_act range(0, 3) = [0, 1, 2] -> [1, 1, 2]: NeMo's dict of run names keeps one of the two 1s.
  CHECK(grid.size() == 4 * 4 * 2 * 7);
  CHECK(per_pipe == std::set<int>{0, 4, 8, 12, 16, 20, 24});
}

TEST_CASE("nemo time limit keeps NeMo's day bug unless fixed", "[search][nemo]") {
  CHECK(hp::search_time_limit(20, true) == "0-0:20:00");
  CHECK(hp::search_time_limit(1500, true) == "0-25:0:00");
  CHECK(hp::search_time_limit(1500, false) == "1-01:00:00");
  CHECK(hp::search_time_limit(20, false) == "0-00:20:00");
  CHECK(hp::format_size_b(0.126) == "0.126");
  CHECK(hp::format_size_b(175) == "175");
}

TEST_CASE("nemo tables: long sequences and 40 GB", "[search][nemo]") {
  auto in = gpt(70, 16, 80, 64);
  in.seq_length = 8192;  // above the 8192 table: NeMo falls back to the default grid (quirk 5)
  auto lists = hp::nemo_candidate_lists(in);
  CHECK(lists.tp == std::vector<int>{1, 2, 4, 8});
  CHECK(lists.pp == std::vector<int>{1});
  in = gpt(8, 16, 32, 32);
  in.gpu_memory_gb = 40;
  lists = hp::nemo_candidate_lists(in);
  CHECK(lists.pp == std::vector<int>{1, 2});
  CHECK(lists.mbs == std::vector<int>{1, 2, 4});
  CHECK(lists.min_mp == 2);
}

TEST_CASE("nemo grid: a custom config's VP stays on pp <= 2 unless fixed (quirk 4)", "[search][nemo]") {
  auto in = gpt(70, 8, 80, 64);
  in.seq_length = 8192;
  in.base_vp = 10;
  in.tp = {4, 8};
  in.pp = {1, 2, 4};
  in.max_mp = 64;
  in.global_batch_size = 128;
  auto grid = hp::nemo_grid(in);
  REQUIRE_FALSE(grid.empty());
  for (const auto& c : grid) CHECK(c.vp == (c.pp > 2 ? 80 / c.pp : 10));
  in.fix_bugs = true;
  grid = hp::nemo_grid(in);
  REQUIRE_FALSE(grid.empty());
  for (const auto& c : grid) CHECK(c.vp == (c.pp > 2 ? 80 / c.pp : 0));
}

TEST_CASE("nemo grid: block method with pp > 2 interleaves and steps act layers by 1", "[search][nemo]") {
  auto in = gpt(5, 16, 24, 32);
  in.act_ckpt_method = "block";
  in.pp = {4};
  in.tp = {1};
  const auto grid = hp::nemo_grid(in);
  REQUIRE_FALSE(grid.empty());
  // NeMo for pp > 2: vp = layers / pp = 6, act layers range(0, layers / pp / vp + 1) step 1 = 0, 1;
  // num_mbs_act range(0, pp (vp - 1) + 2 (pp - 1) + 1 + 1, 8 vp) = [0] -> [1]; per-pipe range(0, 1 + 1 + 1,
  // 8 // pp = 2) = 0, 2.
  std::set<int> acts, nmb, per_pipe, vps;
  for (const auto& c : grid) {
    acts.insert(c.act_ckpt_layers);
    nmb.insert(c.num_mbs_act);
    per_pipe.insert(c.act_per_pipe);
    vps.insert(c.vp);
  }
  CHECK(vps == std::set<int>{6});
  CHECK(acts == std::set<int>{0, 1});
  CHECK(nmb == std::set<int>{1});
  CHECK(per_pipe == std::set<int>{0, 2});
}

TEST_CASE("nemo grid: 11.3-26B block sweep steps act layers by 16 / pp", "[search][nemo]") {
  auto in = gpt(20, 16, 44, 48);
  in.act_ckpt_method = "block";
  in.pp = {1};
  in.tp = {8};
  std::set<int> acts;
  for (const auto& c : hp::nemo_grid(in)) acts.insert(c.act_ckpt_layers);
  // NeMo: act_multiple = 16 // pp for 11.3 <= size < 26; range(0, layers / pp + 1, 16).
  CHECK(acts == std::set<int>{0, 16, 32});
}
