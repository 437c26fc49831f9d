// Megatron-Core's uneven first/last pipeline stages: the split rule, the stage sizes the model prices, the search
// space (pp values only an uneven split serves) and the trial configs' num_layers_in_first/last_pipeline_stage.
#include <catch2/catch.hpp>

#include <set>

#include "hp/catalog.hpp"
#include "hp/core.hpp"
#include "hp/hardware.hpp"
#include "hp/nemo_config.hpp"
#include "hp/perf.hpp"
#include "hp/plan.hpp"
#include "hp/search_config.hpp"
#include "hp/search_result.hpp"
#include "hp/search_space.hpp"

TEST_CASE("uneven pipeline split: ceil(L/p) per middle stage, the rest split first-heavy", "[perf][pipeline]") {
  struct Case {
    int layers, pp;
    bool ok;
    int first, middle, last;
  };
  // 61/16 is NeMo's DeepSeek-V3 recipe (num_layers_in_first_pipeline_stage 3, last 2); 70/12 BLOOM's stages.
  for (const Case& c : {Case{61, 16, true, 3, 4, 2}, Case{61, 8, true, 7, 8, 6}, Case{61, 4, true, 15, 16, 14},
                        Case{61, 2, true, 31, 0, 30}, Case{70, 12, true, 5, 6, 5}, Case{61, 32, false, 0, 0, 0},
                        Case{64, 16, false, 0, 0, 0}, Case{61, 1, false, 0, 0, 0}, Case{5, 8, false, 0, 0, 0}}) {
    INFO(c.layers << " layers over " << c.pp);
    hp::UnevenPipelineSplit s;
    REQUIRE(hp::uneven_pipeline_split(c.layers, c.pp, &s) == c.ok);
    if (!c.ok) continue;
    CHECK((s.first == c.first && s.middle == c.middle && s.last == c.last));
    CHECK(s.first + s.last + (c.pp - 2) * s.middle == c.layers);
  }
}

TEST_CASE("uneven stages: the model prices the split's stages, the search tries it, the configs carry it",
          "[perf][pipeline][search]") {
  hp::ModelSpec m = hp::find_model("deepseek/deepseek_v3");
  m.seq_length = 4096;
  const hp::GpuSpec gpu = hp::find_gpu("h100-sxm");
  hp::Layout l;
  l.num_gpus = 1024;
  l.tp = 2;
  l.pp = 16;
  l.ep = 64;
  l.etp = 1;
  l.gbs = 8192;
  l.sequence_parallel = true;
  const hp::Calibration cal = hp::default_calibration(gpu);
  CHECK(hp::estimate(m, l, gpu, cal).reason == hp::Infeasible::layers_not_divisible);
  l.uneven_pipeline = true;
  const hp::Estimate uneven = hp::estimate(m, l, gpu, cal);
  REQUIRE(uneven.memory.total_bytes > 0);
  // The first stage holds 3 of the 61 layers (rank 0 is the most loaded: 16 micro-batches in flight): its
  // activations are 3/4 of the same layout with 4 layers on every stage (pp 16 x 4 = 64 layers).
  hp::ModelSpec even = m;
  even.num_layers = 64;
  hp::Layout le = l;
  le.uneven_pipeline = false;
  const hp::Estimate e64 = hp::estimate(even, le, gpu, cal);
  REQUIRE(uneven.memory.pipeline_rank == 0);
  CHECK(uneven.memory.activations_bytes == Approx(0.75 * e64.memory.activations_bytes).epsilon(0.02));

  // The default space has pp 2, 4, 8 and 16 for 61 layers (only uneven splits serve them), and every layout at
  // those pp is uneven with vp 1; pp 32 (a rest of 1 layer) is not offered.
  hp::TrainSettings train;
  const hp::SearchSpace space = hp::default_space(m, train, gpu, 1024, 8192);
  const std::set<int> pps(space.pp.begin(), space.pp.end());
  for (int pp : {2, 4, 8, 16}) CHECK(pps.count(pp) == 1);
  CHECK(pps.count(32) == 0);
  std::set<int> uneven_pp;
  bool all_uneven_vp1 = true, even_at_uneven_pp = false;
  hp::enumerate_layouts(m, space, [&](const hp::Layout& x) {
    if (x.uneven_pipeline) {
      uneven_pp.insert(x.pp);
      all_uneven_vp1 = all_uneven_vp1 && x.vp == 1 && !x.account_for_embedding;
    } else if (x.pp == 16) {
      even_at_uneven_pp = true;
    }
  });
  CHECK(uneven_pp == std::set<int>{2, 4, 8, 16});
  CHECK(all_uneven_vp1);
  CHECK_FALSE(even_at_uneven_pp);

  // A trial config writes the split; an even layout clears counts the base config had.
  hp::TrainingConfig base;
  base.model = m;
  base.num_layers_in_first_pipeline_stage = 5;
  base.num_layers_in_last_pipeline_stage = 5;
  hp::Trial t;
  t.layout = l;
  hp::TrainingConfig c = hp::trial_config(base, t, hp::SearchPolicy::model);
  CHECK((c.num_layers_in_first_pipeline_stage == 3 && c.num_layers_in_last_pipeline_stage == 2));
  t.layout.pp = 1;
  t.layout.uneven_pipeline = false;
  c = hp::trial_config(base, t, hp::SearchPolicy::model);
  CHECK((c.num_layers_in_first_pipeline_stage == 0 && c.num_layers_in_last_pipeline_stage == 0));
}
