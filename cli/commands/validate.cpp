// hp-cli validate: step-time and memory errors of the performance model on measured runs.
#include <fmt/core.h>

#include "command.hpp"
#include "hp/calibration.hpp"
#include "hp/core.hpp"

namespace {

struct Opts {
  std::string runs;
  std::string calibration;
  bool json = false;
  bool list_runs = false;
};

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  return out;
}

std::string stats_json(const hp::ErrorStats& s) {
  return fmt::format("{{\"group\": \"{}\", \"num_runs\": {}, \"mean_abs_pct\": {:.4f}, \"max_abs_pct\": {:.4f}}}",
                     json_escape(s.group), s.num_runs, s.mean_abs_pct, s.max_abs_pct);
}

void print_json(const hp::ValidationReport& r) {
  fmt::print("{{\"split\": \"{}\", \"num_rows\": {}, \"num_evaluated\": {}, ", json_escape(r.split), r.num_rows,
             r.num_evaluated);
  fmt::print("\"holdout_dense_unflagged\": {}, \"fit_dense_unflagged\": {}, \"korthikanti\": {}, ",
             stats_json(r.holdout_dense_unflagged), stats_json(r.fit_dense_unflagged), stats_json(r.korthikanti));
  fmt::print("\"step_time\": [");
  for (std::size_t i = 0; i < r.step_time.size(); ++i) fmt::print("{}{}", i ? ", " : "", stats_json(r.step_time[i]));
  fmt::print("], \"memory\": [");
  for (std::size_t i = 0; i < r.memory.size(); ++i) fmt::print("{}{}", i ? ", " : "", stats_json(r.memory[i]));
  fmt::print("], \"skipped\": {{");
  for (std::size_t i = 0; i < r.skipped.size(); ++i)
    fmt::print("{}\"{}\": {}", i ? ", " : "", json_escape(r.skipped[i].first), r.skipped[i].second);
  fmt::print("}}, \"runs\": [");
  for (std::size_t i = 0; i < r.runs.size(); ++i) {
    const auto& c = r.runs[i];
    fmt::print("{}{{\"row_id\": \"{}\", \"source_key\": \"{}\", \"gpu\": \"{}\", \"split\": \"{}\", "
               "\"measured_s\": {:.6g}, \"predicted_s\": {:.6g}, \"error_pct\": {:.4f}, \"target\": {}}}",
               i ? ", " : "", json_escape(c.row_id), json_escape(c.source_key), c.gpu_type, c.split, c.measured_s,
               c.predicted_s, c.error_pct, c.target ? "true" : "false");
  }
  fmt::print("]}}\n");
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
  row(r.korthikanti);
  fmt::print("\n{:<58} {:>5} {:>9} {:>9}\n", "memory", "items", "mean |%|", "max |%|");
  for (const auto& s : r.memory) row(s);
  fmt::print("\nnot evaluated:\n");
  for (const auto& kv : r.skipped) fmt::print("  {:>4}  {}\n", kv.second, kv.first);
  if (list_runs) {
    fmt::print("\n{:>6} {:<22} {:<10} {:<8} {:>10} {:>10} {:>8}\n", "row", "source", "gpu", "split", "measured",
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
