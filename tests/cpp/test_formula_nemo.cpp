// NeMo's training grid (nemo_policy.cpp) at the boundaries of its rules, and the NeMo-config reader
// (perf_nemo.cpp) with asymmetric values (issue 17, mutation testing). Every expected list is worked out in the
// comments from NeMo's rules as /work's research notes transcribe them (nemo_autoconfigurator.md 4.2-4.4:
// generate_grid_search_configs, _set_activations_checkpoint_params, modify_cfg, the run names) and Python's
// range(start, stop, step).
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "hp/core.hpp"
#include "hp/nemo_config.hpp"
#include "hp/nemo_grid.hpp"
#include "hp/perf.hpp"

namespace {

// A llama-like custom config (GPT-like; block act-ckpt as NeMo's llama2 configs ship) with explicit lists.
hp::NemoGridInput custom(double size_b, int layers, int tp, int pp) {
  hp::NemoGridInput in;
  in.family = "llama";
  in.size_b = size_b;
  in.num_layers = layers;
  in.num_attention_heads = 16;
  in.num_nodes = 4;
  in.devices = 8;  // 32 GPUs
  in.global_batch_size = 256;
  in.act_ckpt_method = "block";
  in.tp = {tp};
  in.pp = {pp};
  in.mbs = {1};
  in.min_mp = 1;
  in.max_mp = 64;
  return in;
}

std::set<int> acts(const std::vector<hp::NemoCandidate>& grid) {
  std::set<int> out;
  for (const auto& c : grid) out.insert(c.act_ckpt_layers);
  return out;
}
std::set<int> partial(const std::vector<hp::NemoCandidate>& grid) {
  std::set<int> out;
  for (const auto& c : grid) out.insert(c.num_mbs_act);
  return out;
}
std::set<int> per_pipe(const std::vector<hp::NemoCandidate>& grid) {
  std::set<int> out;
  for (const auto& c : grid) out.insert(c.act_per_pipe);
  return out;
}

}  // namespace

TEST_CASE("act-ckpt multiple at the model-size thresholds 1, 11.3, 26 and 60 B", "[nemo][formula]") {
  // pp 2, 40 layers: act layers range(0, 40 // 2 + 1, act_multiple); per-pipe range(0, 40 + 1, act_multiple).
  struct Case {
    double size_b;
    int multiple;  // act_multiple for pp 2
  };
  const Case cases[] = {
      {0.99, 2},   // below 1 B: max(1, 4 // 2)
      {1.0, 4},    // 1 <= size < 11.3: 8 // 2
      {11.29, 4},
      {11.3, 8},   // 11.3 <= size < 26: 16 // 2
      {25.99, 8},
      {26, 8},     // 26 <= size < 60: 16 // 2
      {59.99, 8},
      {60, 16},    // size >= 60: 32 // 2
  };
  for (const Case& c : cases) {
    INFO("size " << c.size_b);
    const auto grid = hp::nemo_grid(custom(c.size_b, 40, 2, 2));
    std::set<int> want_acts, want_pipe;
    for (int v = 0; v <= 20; v += c.multiple) want_acts.insert(v);
    for (int v = 0; v <= 40; v += c.multiple) want_pipe.insert(v);
    CHECK(acts(grid) == want_acts);
    CHECK(per_pipe(grid) == want_pipe);
    CHECK(partial(grid) == std::set<int>{1, 2});  // range(0, pp + 1) with its 0 made 1
  }
  // pp 1: 16 // 1 for 30 B; no partial or per-pipe checkpointing without a pipeline.
  const auto one = hp::nemo_grid(custom(30, 40, 2, 1));
  CHECK(acts(one) == std::set<int>{0, 16, 32});
  CHECK(partial(one) == std::set<int>{-1});
  CHECK(per_pipe(one) == std::set<int>{-1});
  // pp 8 at 70 B: 32 // 8 = 4 survives the interleaving's reset only in the per-pipe interval.
  const auto deep = hp::nemo_grid(custom(70, 16, 1, 8));
  CHECK(per_pipe(deep) == std::set<int>{0});  // range(0, 16 // 8 // 2 + 1 + 1, 4)
}

TEST_CASE("interleaved pipeline for pp > 2: vp, partial micro-batches and per-pipe layers", "[nemo][formula]") {
  // pp 8, 16 layers, 5 B: vp = 16 // 8 = 2; max_micro_b = 8 (2 - 1) + 2 (8 - 1) + 1 = 23; interval 8 vp = 16;
  // max_layers_per_pipe = 16 // 8 // 2 + 1 = 2; act layers range(0, 16 // 8 // 2 + 1, 1) = [0, 1];
  // partial range(0, 24, 16) = [0, 16] -> [1, 16]; per-pipe range(0, 3, max(1, 8 // 8)) = [0, 1, 2].
  const auto grid = hp::nemo_grid(custom(5, 16, 1, 8));
  REQUIRE_FALSE(grid.empty());
  for (const auto& c : grid) CHECK(c.vp == 2);
  CHECK(acts(grid) == std::set<int>{0, 1});
  CHECK(partial(grid) == std::set<int>{1, 16});
  CHECK(per_pipe(grid) == std::set<int>{0, 1, 2});
  CHECK(grid.size() == 2 * 2 * 3);
  // Launch order buckets by act-ckpt layers (0 before 1) across micro-batch sizes.
  hp::NemoGridInput two = custom(5, 16, 1, 8);
  two.mbs = {1, 2};
  const auto both = hp::nemo_grid(two);
  REQUIRE(both.size() == 2 * 2 * 2 * 3);
  for (size_t i = 0; i < both.size(); ++i) CHECK(both[i].act_ckpt_layers == (i < 12 ? 0 : 1));
  CHECK(both[6].mbs == 2);  // mbs 1's six act-0 candidates, then mbs 2's
  // pp 3, 24 layers, 5 B: vp 8; max_micro_b = 3 * 7 + 4 + 1 = 26 < interval 64: [1]; per-pipe
  // range(0, 24 // 3 // 8 + 1 + 1, 8 // 3) = [0, 2].
  hp::NemoGridInput in3 = custom(5, 24, 2, 3);
  in3.num_nodes = 3;  // 24 GPUs: an integer data-parallel size for tp x pp = 6
  const auto three = hp::nemo_grid(in3);
  REQUIRE_FALSE(three.empty());
  CHECK(three.front().vp == 8);
  CHECK(acts(three) == std::set<int>{0, 1});
  CHECK(partial(three) == std::set<int>{1});
  CHECK(per_pipe(three) == std::set<int>{0, 2});
  // Without the block method: vp is still set for pp > 2, the act-ckpt fields are None.
  hp::NemoGridInput plain = in3;
  plain.act_ckpt_method = "";
  const auto p = hp::nemo_grid(plain);
  REQUIRE(p.size() == 1);
  CHECK(p[0].vp == 8);
  CHECK(p[0].act_ckpt_layers == -1);
  CHECK(p[0].num_mbs_act == -1);
  CHECK(p[0].act_per_pipe == -1);
  // pp 2 keeps a custom config's vp (quirk 4) unless fixed; pp 1 too.
  plain.pp = {2};
  plain.global_batch_size = 240;  // 24 GPUs / (2 x 2) = 6 divides it
  plain.base_vp = 5;
  CHECK(hp::nemo_grid(plain).at(0).vp == 5);
  plain.fix_bugs = true;
  CHECK(hp::nemo_grid(plain).at(0).vp == 0);
}

TEST_CASE("launch order and indices count NeMo's repeated candidates", "[nemo][formula]") {
  // pp 2, 8 layers, 5 B: act [0, 4]; partial [1, 1, 2]; per-pipe [0, 4, 8]. NeMo launches 2 x 3 x 3 = 18 entries,
  // the second n = 1 block of each act value repeating the first: kept are launches 0-2, 6-8, 9-11, 15-17.
  const auto grid = hp::nemo_grid(custom(5, 8, 2, 2));
  REQUIRE(grid.size() == 12);
  const int want[] = {0, 1, 2, 6, 7, 8, 9, 10, 11, 15, 16, 17};
  for (size_t i = 0; i < grid.size(); ++i) CHECK(grid[i].launch_index == want[i]);
  CHECK(grid[0].act_ckpt_layers == 0);
  CHECK(grid[6].act_ckpt_layers == 4);
  CHECK(grid[3].num_mbs_act == 2);
  CHECK(grid[5].act_per_pipe == 8);
  // Without the act-ckpt search the launch order buckets by micro-batch size, stable within a bucket.
  hp::NemoGridInput in = custom(5, 8, 2, 1);
  in.act_ckpt_method = "";
  in.tp = {1, 2};
  in.mbs = {4, 1};
  const auto by_mbs = hp::nemo_grid(in);
  REQUIRE(by_mbs.size() == 4);
  CHECK(std::make_tuple(by_mbs[0].mbs, by_mbs[0].tp) == std::make_tuple(1, 1));
  CHECK(std::make_tuple(by_mbs[1].mbs, by_mbs[1].tp) == std::make_tuple(1, 2));
  CHECK(std::make_tuple(by_mbs[2].mbs, by_mbs[2].tp) == std::make_tuple(4, 1));
  CHECK(by_mbs[3].launch_index == 3);
}

TEST_CASE("validity filter: float GBS modulo, heads, layers and inclusive model-parallel bounds", "[nemo][formula]") {
  // 3 nodes x 8 = 24 GPUs, tp 2 x pp 8 = 16: mbs x 24 / 16 = 1.5 divides GBS 48 as a float (NeMo keeps it);
  // fix_bugs asks for an integer data-parallel size (24 % 16 != 0).
  hp::NemoGridInput in = custom(5, 16, 2, 8);
  in.act_ckpt_method = "";
  in.num_nodes = 3;
  in.global_batch_size = 48;
  CHECK(hp::nemo_grid(in).size() == 1);
  in.global_batch_size = 47;
  CHECK(hp::nemo_grid(in).empty());
  in.global_batch_size = 48;
  in.fix_bugs = true;
  in.global_batch_size = 48;  // 48 % 24 == 0: the effective GBS stays 48
  CHECK(hp::nemo_grid(in).empty());
  in.fix_bugs = false;
  // Heads: 16 % 3 != 0; layers: 16 % 3 != 0 (T5 counts 2 L in the pair check, L in modify_cfg).
  hp::NemoGridInput h = custom(5, 18, 3, 1);
  h.act_ckpt_method = "";
  h.num_nodes = 3;
  CHECK(hp::nemo_grid(h).empty());
  h.num_attention_heads = 24;
  CHECK(hp::nemo_grid(h).size() == 1);
  hp::NemoGridInput l = custom(5, 16, 1, 3);
  l.act_ckpt_method = "";
  l.num_nodes = 3;
  l.global_batch_size = 48;
  CHECK(hp::nemo_grid(l).empty());
  // Model-parallel bounds are inclusive: tp 2 x pp 8 = 16.
  in.min_mp = 16;
  in.max_mp = 16;
  CHECK(hp::nemo_grid(in).size() == 1);
  in.min_mp = 17;
  CHECK(hp::nemo_grid(in).empty());
  in.min_mp = 1;
  in.max_mp = 15;
  CHECK(hp::nemo_grid(in).empty());
}

TEST_CASE("T5 and BERT: doubled layers, no CP / EP, CP and EP never together", "[nemo][formula]") {
  hp::NemoGridInput t5 = custom(5, 12, 2, 2);
  t5.family = "t5";
  // mult 2: act layers range(0, 2 x 12 // 2 + 1, 8 // 2) = 0..12 by 4; no partial or per-pipe lists, no vp.
  const auto grid = hp::nemo_grid(t5);
  REQUIRE(grid.size() == 4);
  CHECK(acts(grid) == std::set<int>{0, 4, 8, 12});
  for (const auto& c : grid) {
    CHECK(c.cp == -1);
    CHECK(c.ep == -1);
    CHECK(c.vp == 0);
    CHECK(c.num_mbs_act == -1);
  }
  t5.pp = {3};  // 2 x 12 % 3 == 0 and modify_cfg's 12 % 3 == 0: kept, no interleaving for T5
  t5.tp = {1};
  t5.num_nodes = 3;
  const auto t3 = hp::nemo_grid(t5);
  REQUIRE_FALSE(t3.empty());
  CHECK(t3[0].vp == 0);
  CHECK(acts(t3) == std::set<int>{0, 2, 4, 6, 8});  // range(0, 24 // 3 + 1, max(1, 8 // 3))
  hp::NemoGridInput bert = custom(5, 12, 2, 1);
  bert.family = "bert";
  bert.act_ckpt_method = "";
  CHECK(hp::nemo_grid(bert).at(0).cp == -1);
  // CP 2 and EP 2 lists: (cp 2, ep 1), (cp 1, ep 2) and (1, 1), never (2, 2); mp counts both.
  hp::NemoGridInput ce = custom(5, 8, 2, 1);
  ce.act_ckpt_method = "";
  ce.cp = {1, 2};
  ce.ep = {1, 2};
  std::set<std::pair<int, int>> pairs;
  for (const auto& c : hp::nemo_grid(ce)) pairs.insert({c.cp, c.ep});
  CHECK(pairs == std::set<std::pair<int, int>>{{1, 1}, {1, 2}, {2, 1}});
  ce.max_mp = 3;  // tp 2 x cp 2 = 4 > 3: only (1, 1)
  pairs.clear();
  for (const auto& c : hp::nemo_grid(ce)) pairs.insert({c.cp, c.ep});
  CHECK(pairs == std::set<std::pair<int, int>>{{1, 1}});
}

TEST_CASE("effective GBS, run names and Slurm time limits", "[nemo][formula]") {
  hp::NemoGridInput in;
  in.num_nodes = 3;
  in.devices = 8;  // 24 GPUs
  in.global_batch_size = 2048;
  CHECK(hp::nemo_effective_gbs(in) == 2048);  // NeMo keeps it
  in.fix_bugs = true;
  CHECK(hp::nemo_effective_gbs(in) == 85 * 24);  // round(2048 / 24) = 85 multiples
  in.global_batch_size = 36;
  CHECK(hp::nemo_effective_gbs(in) == 48);       // round(1.5) = 2 (half away from zero)
  in.global_batch_size = 10;
  CHECK(hp::nemo_effective_gbs(in) == 24);       // at least one per GPU
  in.global_batch_size = 72;
  CHECK(hp::nemo_effective_gbs(in) == 72);       // already a multiple

  hp::NemoCandidate c;
  c.tp = 2;
  c.pp = 8;
  c.mbs = 4;
  c.cp = 1;
  c.ep = 1;
  c.act_ckpt_layers = 0;
  c.num_mbs_act = 16;
  c.act_per_pipe = -1;
  CHECK(hp::nemo_run_name("llama", 11.3, 3, c) ==
        "llama_11.3b_3nodes_tp_2_pp_8_cp_1_ep_1_mbs_4_act_ckpt_0_num_mbs_act_16_act_per_pipe_None");
  CHECK(hp::nemo_run_name("llama", 5, 3, c, true) ==
        "llama_5b_3nodes_tp_2_pp_8_mbs_4_act_ckpt_0_num_mbs_act_16_act_per_pipe_None");
  c.ep = 2;
  CHECK(hp::nemo_run_name("gpt3", 0.126, 1, c, true) ==
        "gpt3_0.126b_1nodes_tp_2_pp_8_cp_1_ep_2_mbs_4_act_ckpt_0_num_mbs_act_16_act_per_pipe_None");
  c.ep = 1;
  c.cp = 2;
  CHECK(hp::nemo_run_name("gpt3", 1, 1, c, true).find("_cp_2_ep_1_") != std::string::npos);
  c.cp = -1;
  c.ep = -1;
  c.act_ckpt_layers = -1;
  CHECK(hp::nemo_run_name("t5", 3, 2, c) == "t5_3b_2nodes_tp_2_pp_8_cp_None_ep_None_mbs_4_act_ckpt_None_num_mbs_act_16_act_per_pipe_None");
  // 3725 minutes: NeMo writes f"{m // 3600}-{(m % 3600) // 60}:{m % 60}:00" (quirk 7); fixed, days of 1440 minutes.
  CHECK(hp::search_time_limit(3725, true) == "1-2:5:00");
  CHECK(hp::search_time_limit(3725, false) == "2-14:05:00");
  CHECK(hp::search_time_limit(59, false) == "0-00:59:00");
  CHECK(hp::search_time_limit(-5, false) == "0-00:00:00");
  CHECK(hp::search_time_limit(-5, true) == "0-0:0:00");
}

TEST_CASE("NeMo config reader: every layout key with asymmetric values", "[nemo_config][formula]") {
  hp::TrainingConfig c;
  c.num_nodes = 3;
  c.gpus_per_node = 8;
  c.tensor_model_parallel_size = 2;
  c.pipeline_model_parallel_size = 3;
  c.virtual_pipeline_model_parallel_size = 4;
  c.context_parallel_size = 1;
  c.expert_model_parallel_size = 1;
  c.micro_batch_size = 2;
  c.global_batch_size = 96;
  c.sequence_parallel = true;
  c.distributed_optimizer = false;
  c.optimizer_state_bytes = 8;
  c.expert_tensor_parallel_size = 1;
  c.account_for_embedding_in_pipeline_split = true;
  c.account_for_loss_in_pipeline_split = false;
  c.cpu_offloading_num_layers = 2;
  c.moe_token_dispatcher_type = "allgather";
  c.activations_checkpoint_granularity = "full";
  c.activations_checkpoint_method = "block";
  c.activations_checkpoint_num_layers = 3;
  c.num_micro_batches_with_partial_activation_checkpoints = 0;
  hp::Layout l = hp::layout_from_nemo(c);
  CHECK(l.num_gpus == 24);
  CHECK(l.tp == 2);
  CHECK(l.pp == 3);
  CHECK(l.vp == 4);
  CHECK(l.mbs == 2);
  CHECK(l.gbs == 96);
  CHECK(l.sequence_parallel);
  CHECK_FALSE(l.distributed_optimizer);
  CHECK(l.optimizer_state_bytes == 8);
  CHECK(l.etp == 1);
  CHECK(l.account_for_embedding);
  CHECK_FALSE(l.account_for_loss);
  CHECK(l.activation_offload_layers == 2);
  CHECK(l.moe_dispatcher == hp::MoeDispatcher::allgather);
  CHECK(l.precision == hp::Precision::bf16);
  CHECK(l.recompute == hp::Recompute::full);
  CHECK(l.recompute_num_layers == 3 * 4);  // the first 3 layers of each of the 4 model chunks
  CHECK(l.recompute_micro_batches == 0);   // 0 is a value, not null
  // Uniform: every layer; null partial count: all micro-batches.
  c.activations_checkpoint_method = "uniform";
  c.num_micro_batches_with_partial_activation_checkpoints = -1;
  l = hp::layout_from_nemo(c);
  CHECK(l.recompute_num_layers == 0);
  CHECK(l.recompute_micro_batches == -1);
  // block with 0 layers recomputes nothing (NeMo's T5 configs); selective; null vp is 1.
  c.activations_checkpoint_method = "block";
  c.activations_checkpoint_num_layers = 0;
  c.virtual_pipeline_model_parallel_size = 0;
  l = hp::layout_from_nemo(c);
  CHECK(l.recompute == hp::Recompute::none);
  CHECK(l.vp == 1);
  c.activations_checkpoint_granularity = "selective";
  CHECK(hp::layout_from_nemo(c).recompute == hp::Recompute::selective);
  // Precision: fp8 from the flag or the precision string, the recipe names; fp4 over all.
  c.fp8 = true;
  CHECK(hp::layout_from_nemo(c).precision == hp::Precision::fp8_delayed);
  c.fp8 = false;
  c.precision = "fp8-mixed";
  CHECK(hp::layout_from_nemo(c).precision == hp::Precision::fp8_delayed);
  c.fp8_recipe = "tensorwise";
  CHECK(hp::layout_from_nemo(c).precision == hp::Precision::fp8_current);
  c.fp8_recipe = "mxfp8";
  CHECK(hp::layout_from_nemo(c).precision == hp::Precision::mxfp8);
  c.precision = "bf16-mixed";
  CHECK(hp::layout_from_nemo(c).precision == hp::Precision::bf16);  // a recipe alone does not turn FP8 on
  c.fp4 = true;
  CHECK(hp::layout_from_nemo(c).precision == hp::Precision::nvfp4);
  // Context and expert parallel sizes, FSDP.
  c = hp::TrainingConfig{};
  c.num_nodes = 2;
  c.context_parallel_size = 2;
  c.expert_model_parallel_size = 4;
  c.fsdp = true;
  l = hp::layout_from_nemo(c);
  CHECK(l.cp == 2);
  CHECK(l.ep == 4);
  CHECK(l.fsdp);
  CHECK(l.num_gpus == 16);
}

TEST_CASE("NeMo config reader: size limits are inclusive at kMaxLayoutSize", "[nemo_config][formula]") {
  constexpr int kMax = hp::kMaxLayoutSize;
  auto accepted = [](const hp::TrainingConfig& c) {
    try {
      hp::layout_from_nemo(c);
      return true;
    } catch (const hp::ConfigError&) {
      return false;
    }
  };
  hp::TrainingConfig c;
  c.gpus_per_node = 1;
  c.global_batch_size = kMax;  // 1..kMax
  CHECK(accepted(c));
  c.global_batch_size = kMax + 1;
  CHECK_FALSE(accepted(c));
  c.global_batch_size = 1;
  c.gpus_per_node = 8;
  c.num_nodes = kMax / 8;  // num_nodes x devices = kMax GPUs
  CHECK(accepted(c));
  c.num_nodes = kMax / 8 + 1;
  CHECK_FALSE(accepted(c));
  c.num_nodes = 1;
  c.virtual_pipeline_model_parallel_size = kMax;  // null or 0..kMax
  CHECK(accepted(c));
  c.virtual_pipeline_model_parallel_size = kMax + 1;
  CHECK_FALSE(accepted(c));
  c.virtual_pipeline_model_parallel_size = -1;
  CHECK_FALSE(accepted(c));
  // Checkpointed layers x virtual stages <= kMax; a null vp counts once.
  c.virtual_pipeline_model_parallel_size = 0;
  c.activations_checkpoint_num_layers = kMax / 2 + 1;
  CHECK(accepted(c));
  c.virtual_pipeline_model_parallel_size = 2;
  CHECK_FALSE(accepted(c));
  c.virtual_pipeline_model_parallel_size = 0;
  c.activations_checkpoint_num_layers = -2;
  CHECK_FALSE(accepted(c));
  c.activations_checkpoint_num_layers = -1;
  c.num_micro_batches_with_partial_activation_checkpoints = kMax;
  CHECK(accepted(c));
  c.num_micro_batches_with_partial_activation_checkpoints = kMax + 1;
  CHECK_FALSE(accepted(c));
}
