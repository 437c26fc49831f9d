// hp-cli validate: step-time and memory errors of the performance model on measured runs.
#include <fmt/core.h>

#include "command.hpp"
#include "hp/calibration.hpp"
#include "hp/core.hpp"
#include "json.hpp"

namespace {

struct Opts {
  std::string runs;
  std::string calibration;
  bool json = false;
  bool list_runs = false;
};

std::string stats_json(const hp::ErrorStats& s) {
  hpcli::JsonObject j;
  j.str("group", s.group).integer("num_runs", s.num_runs).num("mean_abs_pct", s.mean_abs_pct);
  return j.num("max_abs_pct", s.max_abs_pct).dump();
}

void print_json(const hp::ValidationReport& r) {
  hpcli::JsonObject j;
  j.str("split", r.split).integer("num_rows", r.num_rows).integer("num_evaluated", r.num_evaluated);
  j.raw("holdout_dense_unflagged", stats_json(r.holdout_dense_unflagged));
  j.raw("fit_dense_unflagged", stats_json(r.fit_dense_unflagged)).raw("korthikanti", stats_json(r.korthikanti));
  j.raw("holdout_dense_modern", stats_json(r.holdout_dense_modern)).raw("holdout_moe", stats_json(r.holdout_moe));
  std::vector<std::string> steps, memory, runs;
  for (const auto& s : r.step_time) steps.push_back(stats_json(s));
  for (const auto& s : r.memory) memory.push_back(stats_json(s));
  j.raw("step_time", hpcli::json_array(steps)).raw("memory", hpcli::json_array(memory));
  std::vector<std::string> oom;
  for (const auto& id : r.predicted_out_of_memory) oom.push_back(hpcli::json_string(id));
  j.raw("predicted_out_of_memory", hpcli::json_array(oom));
  std::vector<std::string> grouped;
  for (const auto& g : r.grouped) {
    std::vector<std::string> groups;
    for (const auto& s : g.groups) groups.push_back(stats_json(s));
    hpcli::JsonObject o;
    o.str("by", g.by).raw("overall", stats_json(g.overall)).raw("groups", hpcli::json_array(groups));
    grouped.push_back(o.dump());
  }
  j.raw("grouped_holdout", hpcli::json_array(grouped));
  hpcli::JsonObject skipped;
  for (const auto& kv : r.skipped) skipped.integer(kv.first, kv.second);
  j.raw("skipped", skipped.dump());
  for (const auto& c : r.runs) {
    hpcli::JsonObject o;
    o.str("row_id", c.row_id).str("source_key", c.source_key).str("gpu", c.gpu_type).str("split", c.split);
    o.num("measured_s", c.measured_s).num("predicted_s", c.predicted_s).num("error_pct", c.error_pct);
    runs.push_back(o.boolean("target", c.target).dump());
  }
  j.raw("runs", hpcli::json_array(runs));
  fmt::print("{}\n", j.dump());
}

void print_table(const hp::ValidationReport& r, bool list_runs) {
  auto row = [](const hp::ErrorStats& s) {
    fmt::print("{:<58} {:>5} {:>9.2f} {:>9.2f}\n", s.group, s.num_runs, s.mean_abs_pct, s.max_abs_pct);
  };
  fmt::print("Split: {}\n", r.split);
  fmt::print("Rows: {} in file, {} evaluated against a measured step time\n\n", r.num_rows, r.num_evaluated);
  fmt::print("{:<58} {:>5} {:>9} {:>9}\n", "step time: split | source | GPU", "runs", "mean |%|", "max |%|");
  for (const auto& s : r.step_time) row(s);
  fmt::print("\n{:<58} {:>5} {:>9} {:>9}\n", "targets", "runs", "mean |%|", "max |%|");
  row(r.holdout_dense_unflagged);
  row(r.fit_dense_unflagged);
  row(r.holdout_dense_modern);
  row(r.holdout_moe);
  row(r.korthikanti);
  fmt::print("\n{:<58} {:>5} {:>9} {:>9}\n", "grouped hold-out (calibration refitted without the group)", "runs",
             "mean |%|", "max |%|");
  for (const auto& g : r.grouped) row(g.overall);
  if (list_runs)
    for (const auto& g : r.grouped)
      for (const auto& s : g.groups) row(hp::ErrorStats{"  " + g.by + ": " + s.group, s.num_runs, s.mean_abs_pct, s.max_abs_pct});
  fmt::print("\n{:<58} {:>5} {:>9} {:>9}\n", "memory", "items", "mean |%|", "max |%|");
  for (const auto& s : r.memory) row(s);
  std::string oom;
  for (const auto& id : r.predicted_out_of_memory) oom += (oom.empty() ? "" : " ") + id;
  fmt::print("measured runs predicted not to fit: {} of {}{}\n", r.predicted_out_of_memory.size(), r.num_evaluated,
             oom.empty() ? "" : " (row_id " + oom + ")");
  fmt::print("\nnot evaluated:\n");
  for (const auto& kv : r.skipped) fmt::print("  {:>4}  {}\n", kv.second, kv.first);
  if (list_runs) {
    fmt::print("\n{:>6} {:<22} {:<10} {:<8} {:>10} {:>10} {:>8}\n", "row_id", "source", "gpu", "split", "measured",
               "predicted", "err %");
    for (const auto& c : r.runs)
      fmt::print("{:>6} {:<22} {:<10} {:<8} {:>10.4g} {:>10.4g} {:>8.2f}\n", c.row_id, c.source_key, c.gpu_type,
                 c.split, c.measured_s, c.predicted_s, c.error_pct);
  }
}

std::function<int()> setup(CLI::App& app) {
  auto o = std::make_shared<Opts>();
  app.description("Compare predicted with measured step times (and memory) on measured runs; by default the "
                  "project's published-runs file with the shipped calibration");
  app.add_option("runs", o->runs, "measured runs CSV (default: the project's published runs)");
  app.add_option("--calibration", o->calibration, "calibration YAML from hp-cli calibrate (default: shipped)");
  app.add_flag("--json", o->json, "print one JSON object");
  app.add_flag("--runs", o->list_runs, "also list every evaluated run");
  return [o] {
    const hp::Table table = o->runs.empty() ? hp::parse_csv(hp::published_runs_csv(), "published_runs.csv")
                                            : hp::read_csv(o->runs);
    const auto cals = o->calibration.empty() ? hp::shipped_calibrations() : hp::load_calibrations_yaml(o->calibration);
    const auto report = hp::validate_runs(hp::runs_from_table(table), cals);
    if (o->json) print_json(report);
    else print_table(report, o->list_runs);
    return hpcli::kOk;
  };
}

}  // namespace

HP_CLI_COMMAND("validate", 33, setup);
