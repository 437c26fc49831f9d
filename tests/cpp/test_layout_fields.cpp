// The layout field table (hp/layout_fields.hpp) agrees with every place a layout dimension appears: Layout's
// defaults, the NeMo YAML writer and reader, the search config's lists, predicted_summary.csv, the trial record
// (hp-cli --json, Python dicts) and the trial names. A dimension added to one place and not the table (or the
// other way round) fails here.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "hp/catalog.hpp"
#include "hp/layout_fields.hpp"
#include "hp/search.hpp"

TEST_CASE("layout fields: names unique, defaults in range", "[layout_fields]") {
  std::set<std::string> names;
  const hp::Layout defaults;
  for (const hp::LayoutField& f : hp::layout_fields()) {
    INFO(f.name);
    CHECK(names.insert(f.name).second);
    CHECK(defaults.*f.member >= f.min_value);
    CHECK(std::string(f.cli_flag) == "--" + std::string(f.name == std::string("num_gpus") ? "gpus" : f.name));
    CHECK((*f.nemo_key == 0) == (f.nemo_member == nullptr));
    CHECK((*f.search_key == 0) == (f.search_member == nullptr));
    CHECK((*f.search_key == 0) == (f.space_member == nullptr));
  }
}

TEST_CASE("layout fields: the NeMo YAML writer and reader carry each field under its key", "[layout_fields]") {
  hp::BaseConfigRequest req;
  req.size_b = 5;
  req.num_nodes = 2;
  const hp::TrainingConfig base = hp::base_config(req);
  for (const hp::LayoutField& f : hp::layout_fields()) {
    if (!*f.nemo_key) continue;
    INFO(f.nemo_key);
    hp::TrainingConfig c = base;
    c.*f.nemo_member = 2;  // not a default of any field
    const std::string yaml = hp::to_nemo_yaml(c);
    const std::string leaf = std::string(f.nemo_key).substr(std::string(f.nemo_key).rfind('.') + 1);
    CHECK(yaml.find(leaf + ": 2") != std::string::npos);
    const hp::TrainingConfig back = hp::parse_nemo_yaml(yaml);
    CHECK(back.*f.nemo_member == 2);
    CHECK(hp::layout_from_nemo(back).*f.member == 2);
    // A user's custom config: the dotted key is what override_yaml writes.
    const hp::TrainingConfig overridden = hp::parse_nemo_yaml(hp::override_yaml(hp::to_nemo_yaml(base), {{f.nemo_key, "2"}}));
    CHECK(overridden.*f.nemo_member == 2);
  }
}

TEST_CASE("layout fields: the search config reads each searched list under train_settings", "[layout_fields]") {
  for (const hp::LayoutField& f : hp::layout_fields()) {
    if (!*f.search_key) continue;
    INFO(f.search_key);
    const hp::SearchConfig c = hp::parse_search_config(
        "model: gpt3\ntrain_settings:\n  model_size_in_b: 5\n  num_nodes: 2\n  " + std::string(f.search_key) + ": [2]\n");
    CHECK(c.train.*f.search_member == std::vector<int>{2});
    // ... and the list is the space's candidates for that dimension: every enumerated layout has it.
    const hp::SearchSpace space =
        hp::default_space(hp::find_model("gpt3/5b"), c.train, hp::find_gpu("h100-sxm"), 16, 256);
    CHECK(space.*f.space_member == std::vector<int>{2});
    std::uint64_t other = 0;
    hp::enumerate_layouts(hp::find_model("gpt3/5b"), space, [&](const hp::Layout& l) { other += l.*f.member != 2; });
    CHECK(other == 0);
  }
}

TEST_CASE("layout fields: CSV columns, trial records and trial names", "[layout_fields]") {
  hp::SearchResult r;
  r.family = "gpt3";
  r.size_b = 5;
  r.num_nodes = 2;
  const std::string header = hp::predicted_summary_csv(r);
  hp::Trial trial;
  const hp::Record record = hp::trial_record(trial);
  for (const hp::LayoutField& f : hp::layout_fields()) {
    INFO(f.name);
    if (*f.csv_column) CHECK(header.find("," + std::string(f.csv_column) + ",") != std::string::npos);
    bool in_record = false;
    for (const auto& field : record.fields()) in_record |= field.first == f.name;
    CHECK(in_record == (*f.csv_column != 0));  // the plan's record and the CSV show the same dimensions
    hp::RankedLayout ranked;
    ranked.layout.*f.member = 4;
    const std::string name = hp::model_run_name("gpt3", 5, 2, ranked);
    if (*f.name_tag) CHECK(name.find("_" + std::string(f.name_tag) + "_4") != std::string::npos);
  }
}
