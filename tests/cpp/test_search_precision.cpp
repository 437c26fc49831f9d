// Precision as a search dimension (issue 15): the space, validity per GPU, names, CSV/plan/records, the NeMo YAML
// keys of each recipe and their round trip, the plan's "best of precision" and bad input. Precision is the word-
// valued layout dimension, so it is checked here the way tests/cpp/test_layout_fields.cpp checks the integer ones.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "hp/catalog.hpp"
#include "hp/core.hpp"
#include "hp/families.hpp"
#include "hp/search.hpp"
#include "hp/search_summary.hpp"
#include "hp/trial_results.hpp"

namespace {

using P = hp::Precision;
const std::vector<P> kAll = {P::bf16, P::fp8_delayed, P::fp8_current, P::mxfp8, P::nvfp4};

hp::SearchConfig config_text(const std::string& extra, const std::string& gpu = "b200") {
  return hp::parse_search_config("model: gpt3\ntrain_settings:\n  model_size_in_b: 5\n  num_nodes: 2\n  gpu: " + gpu +
                                 "\n  limit_search_runs: 6\n" + extra);
}

hp::SearchResult run(const hp::SearchConfig& c) {
  hp::SearchOptions o;
  o.write_files = false;
  return hp::search(c, o);
}

hp::TrainingConfig gpt_base() {
  hp::BaseConfigRequest req;
  req.size_b = 5;
  req.num_nodes = 2;
  return hp::base_config(req);
}

hp::Trial trial_with(P precision) {
  hp::Trial t;
  t.config_name = "t";
  t.num_nodes = 2;
  t.layout.num_gpus = 16;
  t.layout.tp = 2;
  t.layout.sequence_parallel = true;
  t.layout.precision = precision;
  return t;
}

}  // namespace

TEST_CASE("precision search: the space takes the asked precisions, else the base config's", "[search][precision]") {
  const hp::ModelSpec m = hp::find_model("gpt3/5b");
  const hp::GpuSpec gpu = hp::find_gpu("b200");
  hp::TrainSettings t;
  CHECK(hp::default_space(m, t, gpu, 16, 256).precisions == std::vector<P>{P::bf16});
  CHECK(hp::default_space(m, t, gpu, 16, 256, P::mxfp8).precisions == std::vector<P>{P::mxfp8});
  t.fp8 = true;  // the older key: BF16 and FP8 with delayed scaling, whatever the base
  CHECK(hp::default_space(m, t, gpu, 16, 256, P::nvfp4).precisions == std::vector<P>{P::bf16, P::fp8_delayed});
  t.fp8 = false;
  t.precisions = {"nvfp4", "BF16", "fp4", "fp8-cs, mxfp8"};  // case, aliases, duplicates, one comma-separated item
  const hp::SearchSpace s = hp::default_space(m, t, gpu, 16, 256);
  CHECK(s.precisions == std::vector<P>{P::nvfp4, P::bf16, P::fp8_current, P::mxfp8});
  // Every combination once per precision, and nothing else changes.
  std::map<P, std::uint64_t> per;
  const std::uint64_t n = hp::enumerate_layouts(m, s, [&](const hp::Layout& l) { ++per[l.precision]; });
  hp::SearchSpace one = s;
  one.precisions = {P::bf16};
  const std::uint64_t n1 = hp::enumerate_layouts(m, one, [](const hp::Layout&) {});
  CHECK(n == 4 * n1);
  CHECK(per.size() == 4);
  for (const auto& kv : per) CHECK(kv.second == n1);
}

TEST_CASE("precision search: validity per GPU follows the datasheets", "[search][precision]") {
  // Datasheet facts, independent of the catalogue's numbers: FP8 tensor cores from Hopper (H100, H200, H20) and
  // Ada (L40S) on; block-scaled MXFP8/NVFP4 tensor cores only on Blackwell (B200, GB200, RTX PRO 6000).
  const std::map<std::string, std::pair<bool, bool>> fp8_and_block = {
      {"a100-40gb", {false, false}}, {"a100-80gb", {false, false}}, {"h100-sxm", {true, false}},
      {"h200", {true, false}},       {"h20", {true, false}},        {"l40s", {true, false}},
      {"b200", {true, true}},        {"gb200", {true, true}},       {"rtx-pro-6000", {true, true}}};
  const hp::ModelSpec m = hp::find_model("gpt3/5b");
  for (const auto& [name, expected] : fp8_and_block) {
    const hp::GpuSpec gpu = hp::find_gpu(name);
    for (P p : kAll) {
      INFO(name << " " << hp::to_string(p));
      const bool ok = p == P::bf16 || ((p == P::fp8_delayed || p == P::fp8_current) ? expected.first : expected.second);
      CHECK(hp::supports_precision(gpu, p) == ok);
      hp::Layout l;
      l.num_gpus = 8;
      l.gbs = 256;
      l.precision = p;
      const hp::Estimate e = hp::estimate(m, l, gpu, hp::default_calibration(gpu));
      CHECK((e.reason == hp::Infeasible::fp8_unsupported) == !ok);
    }
  }
}

TEST_CASE("precision search: a precision the GPU lacks is an infeasible reason, never a crash", "[search][precision]") {
  const hp::SearchResult h100 = run(config_text("  precisions: [bf16, mxfp8, nvfp4]\n", "h100-sxm"));
  REQUIRE(h100.feasible > 0);
  for (const auto& r : h100.ranked) CHECK(r.layout.precision == P::bf16);
  bool reported = false;
  for (const auto& c : h100.infeasible)
    if (c.reason == hp::Infeasible::fp8_unsupported) {
      reported = true;
      CHECK((c.example.precision == P::mxfp8 || c.example.precision == P::nvfp4));
    }
  CHECK(reported);
  // Nothing the GPU can run: no plan, the reason, and the nearest change is a precision it has.
  const hp::SearchResult a100 = run(config_text("  precisions: [fp8, mxfp8]\n", "a100-80gb"));
  CHECK(a100.feasible == 0);
  CHECK(a100.plan.trials.empty());
  CHECK_THAT(a100.message, Catch::Contains("no tensor cores for this precision"));
  REQUIRE(!a100.suggestions.empty());
  CHECK_THAT(a100.suggestions.front(), Catch::StartsWith("precision bf16 (a100-80gb has no tensor cores"));
}

TEST_CASE("precision search: bad input names the key and the accepted words", "[search][precision]") {
  CHECK_THROWS_WITH(config_text("  precisions: [bf16, fp9]\n"),
                    Catch::Contains("train_settings.precisions=fp9") &&
                        Catch::Contains("accepted: bf16, fp8 (delayed scaling), fp8-cs (current scaling), mxfp8, nvfp4"));
  CHECK_THROWS_WITH(config_text("  precisions: 'bf16,,mxfp8'\n"), Catch::Contains("train_settings.precisions"));
  CHECK_THROWS_WITH(config_text("  precisions: {a: 1}\n"), Catch::Contains("train_settings.precisions"));
  CHECK_THROWS_WITH(config_text("  fp8: true\n  precisions: [mxfp8]\n"),
                    Catch::Contains("train_settings.fp8=true") && Catch::Contains("conflicts with train_settings.precisions"));
  // NeMo's grid has no precision dimension: asking for one under the nemo policy is an error, not ignored.
  hp::SearchOptions o;
  o.write_files = false;
  o.policy = "nemo";
  CHECK_THROWS_WITH(hp::search(config_text("  precisions: [bf16, nvfp4]\n"), o),
                    Catch::Contains("train_settings.precisions=bf16,nvfp4") && Catch::Contains("nemo policy"));
  // Overrides (hp-cli --precisions) are named by their flag.
  CHECK_THROWS_WITH(hp::parse_search_config("model: gpt3\ntrain_settings:\n  model_size_in_b: 5\n", "<string>",
                                            {{"precisions", "bf16,int4", "--precisions"}}),
                    Catch::Contains("--precisions=bf16,int4") && Catch::Contains("mxfp8, nvfp4"));
}

TEST_CASE("precision search: names, CSV column, records and plan carry the precision", "[search][precision]") {
  const std::map<P, std::string> tag = {{P::bf16, ""}, {P::fp8_delayed, "_fp8"}, {P::fp8_current, "_fp8-cs"},
                                        {P::mxfp8, "_mxfp8"}, {P::nvfp4, "_nvfp4"}};
  for (P p : kAll) {
    hp::RankedLayout r;
    r.layout.precision = p;
    const std::string name = hp::model_run_name("gpt3", 5, 2, r);
    INFO(name);
    CHECK(name.size() >= tag.at(p).size());
    CHECK(name.substr(name.size() - tag.at(p).size()) == tag.at(p));
    if (p == P::bf16) CHECK(name.find("fp") == std::string::npos);
  }
  const hp::SearchResult r = run(config_text("  precisions: [bf16, nvfp4]\n"));
  REQUIRE(!r.ranked.empty());
  const std::string csv = hp::predicted_summary_csv(r);
  CHECK(csv.find(",fp8,precision,predicted_step_time_s,") != std::string::npos);
  CHECK(csv.find(",1,nvfp4,") != std::string::npos);
  CHECK(csv.find(",0,bf16,") != std::string::npos);
  bool has = false;
  // The record must outlive the loop: fields() returns a reference into it (a temporary here would dangle).
  const auto record = hp::ranked_layout_record(r, r.ranked.front(), 1, true);
  for (const auto& f : record.fields()) has |= f.first == "precision";
  CHECK(has);
  const std::string plan = hp::plan_yaml(r.plan);
  CHECK(plan.find("    precision: nvfp4\n") != std::string::npos);
  CHECK(plan.find("    precision: bf16\n") != std::string::npos);  // "best of precision" measures BF16 too
}

TEST_CASE("precision search: the plan measures the best layout of each precision", "[search][precision]") {
  std::vector<hp::RankedLayout> ranked;
  for (int i = 0; i < 12; ++i) {  // NVFP4 fastest everywhere, BF16 last
    hp::RankedLayout r;
    r.layout.tp = 1 + i % 4;
    r.layout.mbs = 1 + i / 4;
    r.layout.precision = i < 10 ? P::nvfp4 : P::bf16;
    r.step_time_s = 1.0 + 0.01 * i;
    ranked.push_back(r);
  }
  const auto picks = hp::select_trials(ranked, 4);
  REQUIRE(picks.size() == 4);
  CHECK(std::string(picks.back().reason) == "best of precision");
  CHECK(ranked[picks.back().index].layout.precision == P::bf16);
  CHECK_FALSE(hp::plan_reason_meaning("best of precision").empty());
  // One precision: no such pick (the plans of a single-precision search are as before).
  for (auto& r : ranked) r.layout.precision = P::bf16;
  for (const auto& p : hp::select_trials(ranked, 4)) CHECK(std::string(p.reason) != "best of precision");
}

TEST_CASE("precision search: each recipe's NeMo keys, and YAML -> layout -> YAML round trips", "[search][precision][nemo]") {
  struct Keys {
    P precision;
    std::vector<std::string> present, absent;
  };
  // Megatron-Bridge mixed_precision.py recipes, in NeMo's keys (fp8_e4m3 / fp8_hybrid = Megatron-Core fp8 format).
  const std::vector<Keys> recipes = {
      {P::bf16, {"  fp8: false\n"}, {"fp8_recipe:", "fp4:", "first_last_layers_bf16:"}},
      {P::fp8_delayed, {"  fp8: true\n", "  fp8_hybrid: true\n"}, {"fp8_recipe:", "fp4:", "first_last_layers_bf16:"}},
      {P::fp8_current,
       {"  fp8: true\n", "  fp8_hybrid: true\n", "  fp8_recipe: tensorwise\n", "  first_last_layers_bf16: true\n",
        "  num_layers_at_start_in_bf16: 1\n", "  num_layers_at_end_in_bf16: 1\n"},
       {"fp4:"}},
      {P::mxfp8, {"  fp8: true\n", "  fp8_e4m3: true\n", "  fp8_hybrid: false\n", "  fp8_recipe: mxfp8\n"},
       {"fp4:", "first_last_layers_bf16:"}},
      {P::nvfp4, {"  fp8: false\n", "  fp4: e2m1\n", "  fp4_recipe: nvfp4\n"}, {"fp8_recipe:", "first_last_layers_bf16:"}},
  };
  const hp::TrainingConfig gpt = gpt_base();
  const hp::TrainingConfig llama = hp::builtin_base_config("llama2_7b");
  for (const hp::TrainingConfig* base : {&gpt, &llama}) {
    for (const Keys& k : recipes) {
      INFO(base->model.family << " " << hp::to_string(k.precision));
      const hp::TrainingConfig c = hp::trial_config(*base, trial_with(k.precision), hp::SearchPolicy::model);
      const std::string yaml = hp::to_nemo_yaml(c);
      for (const std::string& s : k.present) CHECK(yaml.find(s) != std::string::npos);
      for (const std::string& s : k.absent) CHECK(yaml.find(s) == std::string::npos);
      const hp::TrainingConfig back = hp::parse_nemo_yaml(yaml);
      CHECK(hp::precision_from_nemo(back) == k.precision);
      CHECK(hp::layout_from_nemo(back).precision == k.precision);
      // ... and the read config, run again at its own precision, writes the same file.
      CHECK(hp::to_nemo_yaml(hp::trial_config(back, trial_with(k.precision), hp::SearchPolicy::model)) == yaml);
    }
  }
}

TEST_CASE("precision search: a custom config gets each recipe, and keeps its own at its own precision", "[search][precision][nemo]") {
  hp::TrainingConfig base = gpt_base();
  for (P from : kAll) {
    const hp::TrainingConfig from_c = hp::trial_config(base, trial_with(from), hp::SearchPolicy::model);
    const std::string custom = hp::to_nemo_yaml(from_c);
    const hp::TrainingConfig parsed = hp::parse_nemo_yaml(custom);
    for (P to : kAll) {
      INFO(hp::to_string(from) << " -> " << hp::to_string(to));
      const hp::TrainingConfig c = hp::trial_config(parsed, trial_with(to), hp::SearchPolicy::model);
      const hp::TrainingConfig got = hp::parse_nemo_yaml(hp::override_yaml(custom, hp::trial_overrides(c, parsed, true)));
      CHECK(hp::precision_from_nemo(got) == to);
      // The recipe's keys, not the custom config's leftovers.
      const hp::TrainingConfig want = hp::trial_config(base, trial_with(to), hp::SearchPolicy::model);
      CHECK(got.fp8 == want.fp8);
      CHECK(got.fp4 == want.fp4);
      CHECK(got.fp8_e4m3 == want.fp8_e4m3);
      CHECK(got.fp8_recipe == want.fp8_recipe);
      CHECK(got.num_layers_at_start_in_bf16 == want.num_layers_at_start_in_bf16);
      CHECK(got.num_layers_at_end_in_bf16 == want.num_layers_at_end_in_bf16);
    }
  }
  // A user's own choice at the base precision stays (Nemotron-H's current-scaling recipe keeps 2 and 2 in BF16).
  base.fp8 = true;
  base.fp8_recipe = "tensorwise";
  base.num_layers_at_start_in_bf16 = base.num_layers_at_end_in_bf16 = 2;
  const hp::TrainingConfig same = hp::trial_config(base, trial_with(P::fp8_current), hp::SearchPolicy::model);
  CHECK(same.num_layers_at_start_in_bf16 == 2);
  CHECK(same.num_layers_at_end_in_bf16 == 2);
  CHECK_THROWS_WITH(hp::parse_nemo_yaml(hp::override_yaml(hp::to_nemo_yaml(gpt_base()), {{"model.fp4", "e5m2"}})),
                    Catch::Contains("model.fp4=e5m2"));
}

TEST_CASE("precision search: the final summary names each trial's precision", "[search][precision]") {
  // NeMo's Config Name column has no precision: two trials of one layout in two precisions need the last column.
  std::vector<hp::TrialResult> results(2);
  for (std::size_t i = 0; i < results.size(); ++i) {
    const P p = i == 0 ? P::mxfp8 : P::nvfp4;
    results[i].config = hp::trial_config(gpt_base(), trial_with(p), hp::SearchPolicy::model);
    results[i].stats.valid = true;
    results[i].stats.mean_s = 1.0 + static_cast<double>(i);
  }
  const std::string csv = hp::final_summary_csv(results);
  CHECK(csv.find(",GPU Hours,Precision\n") != std::string::npos);
  CHECK(csv.find(",mxfp8\n") != std::string::npos);
  CHECK(csv.find(",nvfp4\n") != std::string::npos);
}

TEST_CASE("precision search: families whose NeMo config has no FP8 keys refuse a lower precision", "[search][precision]") {
  hp::SearchOptions o;
  o.write_files = false;
  for (const auto& [family, size] : {std::pair<const char*, const char*>{"t5", "0.22"}, {"bert", "0.11"}}) {
    INFO(family);
    const std::string head =
        std::string("model: ") + family + "\ntrain_settings:\n  model_size_in_b: " + size + "\n  num_nodes: 1\n";
    CHECK_THROWS_WITH(hp::search(hp::parse_search_config(head + "  precisions: [bf16, fp8]\n"), o),
                      Catch::Contains("train_settings.precisions=fp8") && Catch::Contains("no FP8 or FP4 keys"));
    CHECK_THROWS_WITH(hp::search(hp::parse_search_config(head + "  fp8: true\n"), o),
                      Catch::Contains("train_settings.fp8=true"));
    CHECK_NOTHROW(hp::search(hp::parse_search_config(head + "  precisions: [bf16]\n"), o));
  }
}
