// The whole search from a search config: NeMo's grid through the real base config, the model policy's plan,
// bad input, and the results directory.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "hp/core.hpp"
#include "hp/search.hpp"

namespace {

hp::SearchResult run(const std::string& yaml, bool write = false, const std::string& dir = "") {
  hp::SearchOptions o;
  o.write_files = write;
  o.results_dir = dir;
  return hp::search(hp::parse_search_config(yaml), o);
}

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("search nemo policy: gpt3/175b on 128 nodes gives NeMo's 9 runs in NeMo's order", "[search][nemo]") {
  const auto r = run("model: gpt3\ntrain_settings:\n  model_size_in_b: 175\n  num_nodes: 128\n  policy: nemo\n"
                     "  max_minutes_per_run: 30\n");
  REQUIRE(r.plan.trials.size() == 9);
  CHECK(r.gbs == 2048);
  CHECK(r.plan.trials[0].config_name ==
        "gpt3_175b_128nodes_tp_8_pp_4_cp_1_ep_1_mbs_1_act_ckpt_None_num_mbs_act_None_act_per_pipe_None");
  CHECK(r.plan.trials[0].layout.vp == 24);
  CHECK(r.plan.trials[8].config_name ==
        "gpt3_175b_128nodes_tp_8_pp_16_cp_1_ep_1_mbs_4_act_ckpt_None_num_mbs_act_None_act_per_pipe_None");
  CHECK(r.plan.trials[8].layout.vp == 6);
  CHECK(r.plan.trials[0].time_limit == "0-0:30:00");
  for (const auto& t : r.plan.trials) CHECK(t.num_nodes == 128);
}

TEST_CASE("search nemo policy: limit_search_runs cuts NeMo's order", "[search][nemo]") {
  const auto r = run("model: gpt3\ntrain_settings:\n  model_size_in_b: 5\n  num_nodes: 16\n  policy: nemo\n"
                     "  limit_search_runs: 4\n");
  REQUIRE(r.plan.trials.size() == 4);
  CHECK(r.ranked.size() == 12);
  CHECK(r.plan.trials[3].layout.mbs == 2);  // bucket mbs 1 holds tp 1, 2, 4
}

TEST_CASE("search model policy: plan in rank order with NeMo-style names", "[search]") {
  const auto r = run("model: gpt3\ntrain_settings:\n  model_size_in_b: 5\n  num_nodes: 16\n  limit_search_runs: 8\n");
  REQUIRE(r.plan.trials.size() == 8);
  CHECK(r.feasible == r.ranked.size());
  std::set<std::string> names;
  for (std::size_t i = 0; i < r.plan.trials.size(); ++i) {
    const auto& t = r.plan.trials[i];
    CHECK(t.index == static_cast<int>(i));
    CHECK(t.config_name.rfind("gpt3_5b_16nodes_tp_", 0) == 0);
    CHECK(t.time_limit == "0-00:20:00");
    CHECK(t.max_steps == 50);
    names.insert(t.config_name);
    if (i > 0) CHECK(t.predicted_step_time_s >= r.plan.trials[i - 1].predicted_step_time_s);
  }
  CHECK(names.size() == 8);
  CHECK(r.plan.trials[0].config_name == hp::model_run_name("gpt3", 5, 16, r.ranked[0]));
}

TEST_CASE("search: bad values name the key and the value", "[search]") {
  auto message = [](const std::string& yaml, const std::string& policy = "") {
    try {
      hp::SearchOptions o;
      o.write_files = false;
      o.policy = policy;
      hp::search(hp::parse_search_config(yaml), o);
    } catch (const hp::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string head = "model: gpt3\ntrain_settings:\n  model_size_in_b: 5\n  num_nodes: 16\n";
  CHECK_THAT(message(head + "  micro_batch_sizes: [0]\n"), Catch::Contains("micro_batch_sizes") && Catch::Contains("0"));
  CHECK_THAT(message(head + "  polcy: nemo\n"), Catch::Contains("train_settings.polcy"));
  CHECK_THAT(message(head, "fastest"), Catch::Contains("--policy=fastest"));
  CHECK_THAT(message(head + "  max_minutes_per_run: 5\n"), Catch::Contains("max_minutes_per_run=5"));
  hp::TrainSettings t;
  t.recompute_modes = {"sometimes"};
  CHECK_THROWS_WITH(hp::validate_train_settings(t), Catch::Contains("recompute_modes=sometimes"));
}

TEST_CASE("search: results directory", "[search]") {
  const auto dir = std::filesystem::path(HP_BINARY_DIR) / "test_search_results";
  std::filesystem::remove_all(dir);
  const auto r = run("model: gpt3\ntrain_settings:\n  model_size_in_b: 0.126\n  num_nodes: 1\n  limit_search_runs: 3\n",
                     true, dir.string());
  REQUIRE(r.plan.trials.size() == 3);
  for (const auto& t : r.plan.trials) {
    const std::string yaml = read(t.config_path);
    CHECK_THAT(yaml, Catch::Contains("name: " + t.config_name));
    CHECK_THAT(yaml, Catch::Contains("micro_batch_size: " + std::to_string(t.layout.mbs)));
    CHECK_THAT(yaml, Catch::Contains("val_check_interval: 50"));
  }
  const std::string plan = read(dir / "plan.yaml");
  CHECK_THAT(plan, Catch::Contains(r.plan.trials[2].config_name));
  const std::string csv = read(dir / "predicted_summary.csv");
  CHECK(static_cast<std::size_t>(std::count(csv.begin(), csv.end(), '\n')) == r.ranked.size() + 1);
  CHECK(std::filesystem::exists(dir / "infeasible_summary.csv"));

  // Nothing fits: counts and suggestions, no plan, exit code mapping is the front end's.
  const auto none = run("model: gpt3\ntrain_settings:\n  model_size_in_b: 175\n  num_nodes: 1\n");
  CHECK(none.feasible == 0);
  CHECK(none.plan.trials.empty());
  CHECK_THAT(none.message, Catch::Contains("out of memory"));
  REQUIRE_FALSE(none.suggestions.empty());

  // 20 nodes: GBS 2048 divides no data-parallel size of 160 GPUs; the nearest multiples of 160 are suggested.
  const auto odd = run("model: gpt3\ntrain_settings:\n  model_size_in_b: 5\n  num_nodes: 20\n");
  CHECK(odd.feasible == 0);
  REQUIRE_FALSE(odd.suggestions.empty());
  CHECK_THAT(odd.suggestions[0], Catch::Contains("global_batch_size 2080"));
}
