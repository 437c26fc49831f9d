// The search summary (issue 16): the error band comes from the validated error, exact ties and near-ties are
// grouped with the fields that differ, a roomier layout is pointed out, planned trials are related to the best;
// command-line overrides of train_settings; the defaults every command shares.
#include <catch2/catch.hpp>

#include "hp/calibration.hpp"
#include "hp/core.hpp"
#include "hp/defaults.hpp"
#include "hp/inference_search.hpp"
#include "hp/rank.hpp"
#include "hp/runs.hpp"
#include "hp/search.hpp"
#include "hp/search_summary.hpp"

namespace {

hp::RankedLayout row(int tp, int mbs, double step_s, double mem_gib, const std::string& name) {
  hp::RankedLayout r;
  r.layout.tp = tp;
  r.layout.mbs = mbs;
  r.step_time_s = step_s;
  r.memory_bytes = mem_gib * hp::kGiB;
  r.name = name;
  return r;
}

hp::SearchResult synthetic() {
  hp::SearchResult r;
  r.gpu.memory_bytes = 80 * hp::kGiB;
  r.ranked = {row(1, 4, 10.0, 60, "a"), row(1, 4, 10.0, 60, "b"), row(1, 2, 10.2, 55, "c"),
              row(1, 1, 10.4, 40, "d"), row(2, 1, 10.5, 20, "e"), row(4, 1, 12.0, 10, "f")};
  r.ranked[1].layout.distributed_optimizer = false;  // the only difference from the best
  r.feasible = r.ranked.size();
  for (int i : {0, 3, 5}) {
    hp::Trial t;
    t.index = static_cast<int>(r.plan.trials.size());
    t.config_name = r.ranked[i].name;
    t.predicted_step_time_s = r.ranked[i].step_time_s;
    t.predicted_memory_bytes = r.ranked[i].memory_bytes;
    r.plan.trials.push_back(t);
  }
  return r;
}

const char* kConfig = R"(model: gpt3
train_settings:
  model_size_in_b: 5
  num_nodes: 16
  gpus_per_node: 8
  gpu_memory_gb: 80
)";

}  // namespace

TEST_CASE("the error band is the validated held-out error of the shipped model", "[summary]") {
  const hp::ErrorBand band = hp::validated_error_band();
  const auto runs = hp::runs_from_table(hp::parse_csv(hp::published_runs_csv(), "published_runs.csv"));
  const hp::ValidationReport rep = hp::validate_runs(runs, hp::shipped_calibrations());
  CHECK(band.num_runs == rep.holdout_dense_unflagged.num_runs);
  CHECK(band.fraction == Approx(rep.holdout_dense_unflagged.mean_abs_pct / 100));
  CHECK(band.num_runs > 50);
  CHECK(band.source.find(std::to_string(band.num_runs) + " published runs") != std::string::npos);
  // The planner's constant is the same number rounded (docs/model.md); it must not drift from the measurement.
  CHECK(std::abs(hp::kModelRelativeError - band.fraction) < 0.01);
}

TEST_CASE("exact ties, near-ties and the roomier layout", "[summary]") {
  const hp::SearchResult r = synthetic();
  hp::ErrorBand band;
  band.fraction = 0.05;  // 10.0 s best: 10.5 s is the edge
  const hp::SearchSummary s = hp::summarize_search(r, band);
  REQUIRE_FALSE(s.empty);
  CHECK(s.best == 0);
  REQUIRE(s.exact_ties == std::vector<std::size_t>{1});
  CHECK(s.exact_tie_differences[0] == std::vector<std::string>{"distributed optimizer on -> off"});
  CHECK(s.num_within_band == 5);
  // 20 % of 80 GiB = 16 GiB more free: "c" frees 5 GiB, "d" 20 GiB (the fastest that qualifies).
  CHECK(s.roomier == 3);
  CHECK(s.best_headroom_bytes == Approx(20 * hp::kGiB));
  REQUIRE(s.plan.size() == 3);
  CHECK(s.plan[0].exact_tie);
  CHECK(s.plan[1].rank == 4);
  CHECK(s.plan[1].within_band);
  CHECK(s.plan[1].vs_best == Approx(0.04));
  CHECK_FALSE(s.plan[2].within_band);
  CHECK(s.plan[2].headroom_bytes == Approx(70 * hp::kGiB));
  CHECK(s.planned_within_band == 2);

  band.fraction = 0.01;  // narrower: "d" is outside, nothing roomier within
  const hp::SearchSummary n = hp::summarize_search(r, band);
  CHECK(n.num_within_band == 2);
  CHECK(n.roomier == -1);
}

TEST_CASE("the best is the fastest layout that fits", "[summary]") {
  hp::SearchResult r = synthetic();
  r.ranked[0].fits = r.ranked[1].fits = false;  // nemo policy keeps infeasible grid rows
  const hp::SearchSummary s = hp::summarize_search(r, hp::ErrorBand{0.05, 1, "x"});
  CHECK(s.best == 2);
  CHECK(s.exact_ties.empty());
  REQUIRE(s.plan.size() == 3);
  CHECK_FALSE(s.plan[0].fits);  // planned although predicted not to fit: no rank, not a tie
  CHECK(s.plan[0].rank == 0);
  CHECK_FALSE(s.plan[0].within_band);
  CHECK(s.plan[1].fits);
  r.ranked.clear();
  CHECK(hp::summarize_search(r, hp::ErrorBand{}).empty);
  // Nothing fits but the nemo grid planned trials: each planned trial still has its entry (the CLI prints one line
  // per trial; a missing entry crashed `search --policy nemo` on a cluster too small for the model).
  hp::SearchResult none = synthetic();
  for (auto& x : none.ranked) x.fits = false;
  const hp::SearchSummary e = hp::summarize_search(none, hp::ErrorBand{0.05, 1, "x"});
  CHECK(e.empty);
  REQUIRE(e.plan.size() == none.plan.trials.size());
  for (const auto& ts : e.plan) CHECK_FALSE(ts.fits);
  CHECK(e.plan[2].trial == 3);
}

TEST_CASE("layouts in words and their differences", "[summary]") {
  hp::RankedLayout a = row(2, 4, 1, 1, "a");
  a.layout.sequence_parallel = true;
  CHECK(hp::layout_in_words(a) == "TP 2, PP 1, VP 1, CP 1, MBS 4, no recompute, SP on, distributed optimizer on");
  CHECK(hp::layout_short(a) == "tp2 pp1 vp1 cp1 mbs4 rc=none sp=1 do=1");
  hp::RankedLayout b = a;
  b.layout.recompute = hp::Recompute::full;
  b.act_ckpt_layers = 2;
  b.layout.mbs = 1;
  CHECK(hp::layout_in_words(b).find("full recompute (2 layers per chunk)") != std::string::npos);
  CHECK(hp::layout_differences(a, b) == std::vector<std::string>{"mbs 4 -> 1", "recompute none -> full2"});
  CHECK(hp::layout_differences(a, a).empty());
  CHECK_FALSE(hp::plan_reason_meaning("top").empty());
  CHECK(hp::plan_reason_meaning("no such reason").empty());
}

TEST_CASE("train_settings overrides are checked like the file's values", "[summary][overrides]") {
  const hp::SearchConfig c = hp::parse_search_config(
      kConfig, "<string>", {{"num_nodes", "32", "--nodes"}, {"gpu", "h100-sxm", "--gpu"}, {"gpus_per_node", "4", "--g"}});
  CHECK(c.train.num_nodes == 32);
  CHECK(c.train.gpus_per_node == 4);
  CHECK(c.train.gpu == "h100-sxm");
  CHECK(hp::parse_search_config(kConfig, "<string>", {}).train.num_nodes == 16);

  auto fails = [](const std::vector<hp::TrainOverride>& o, const std::string& key, const std::string& value) {
    try {
      hp::parse_search_config(kConfig, "<string>", o);
      FAIL("no error for " << key << "=" << value);
    } catch (const hp::ConfigError& e) {
      CHECK(e.key() == key);
      CHECK(e.value() == value);
    }
  };
  fails({{"num_nodes", "0", "--nodes"}}, "--nodes", "0");
  fails({{"num_nodes", "many", "--nodes"}}, "--nodes", "many");
  fails({{"num_nodes", "[1, 2]", "--nodes"}}, "--nodes", "[1, 2]");  // a scalar, never YAML structure
  fails({{"gpus_per_node", "-8", "--gpus-per-node"}}, "--gpus-per-node", "-8");
  fails({{"gpu", "tpu-v5", "--gpu"}}, "--gpu", "tpu-v5");
  fails({{"num_nodes", "1048576", "--nodes"}}, "--nodes", "1048576");  // x 8 GPUs per node is over the limit
  CHECK_THROWS_AS(hp::parse_search_config("model: gpt3\ninference_settings:\n  model: gpt3/5b\n", "<string>",
                                          {{"num_nodes", "2", "--nodes"}}),
                  hp::ConfigError);
}

TEST_CASE("one source of defaults: GPU and sequence parallel", "[summary][defaults]") {
  CHECK(hp::default_gpu().name == hp::gpu_for_memory_gb(hp::TrainSettings{}.gpu_memory_gb).name);
  CHECK(hp::default_gpu_reason().find(hp::default_gpu().name) != std::string::npos);
  CHECK_FALSE(hp::default_sequence_parallel(1));
  CHECK(hp::default_sequence_parallel(2));
  // A search that names no GPU assumes the default one and says so; naming one removes the assumption.
  hp::SearchOptions o;
  o.write_files = false;
  const hp::SearchResult r = hp::search(hp::parse_search_config(kConfig), o);
  CHECK(r.gpu.name == hp::default_gpu().name);
  REQUIRE_FALSE(r.assumed.empty());
  CHECK(r.assumed[0].find("GPU " + hp::default_gpu().name) == 0);
  const hp::SearchResult h = hp::search(hp::parse_search_config(kConfig, "<string>", {{"gpu", "h100-sxm", "--gpu"}}), o);
  CHECK(h.gpu.name == "h100-sxm");
  for (const auto& a : h.assumed) CHECK(a.find("GPU") != 0);
  // The search's SP follows the same rule as the runs reader.
  for (const auto& x : r.ranked) CHECK(x.layout.sequence_parallel == hp::default_sequence_parallel(x.layout.tp));
  hp::Table t = hp::parse_csv("row_id,model_name,num_layers,hidden_size,num_attention_heads,seq_length,num_gpus,tp,pp,mbs,gbs\n"
                                "1,x,4,1024,16,2048,8,2,1,1,8\n", "t.csv");
  const auto runs = hp::runs_from_table(t);
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].layout.sequence_parallel == hp::default_sequence_parallel(2));
}

TEST_CASE("infer-search without a layout under the bound names the lowest reachable latency", "[summary]") {
  hp::InferenceSearchResult r;
  r.settings.max_latency_ms = 1;
  hp::InferenceCandidate fast, slow;
  fast.estimate.fits = slow.estimate.fits = true;
  fast.estimate.latency_s = 0.12341;
  fast.estimate.num_gpus = 8;
  fast.layout.tp = 8;
  slow.estimate.latency_s = 0.5;
  r.candidates = {slow, fast};
  const std::string m = hp::inference_no_feasible_message(r);
  CHECK(m.find("max_latency_ms=1") != std::string::npos);
  CHECK(m.find("123.5 ms") != std::string::npos);  // rounded up: a bound of the printed value is met
  CHECK(m.find("TP 8") != std::string::npos);
  r.best = 0;
  CHECK(hp::inference_no_feasible_message(r).empty());
}
