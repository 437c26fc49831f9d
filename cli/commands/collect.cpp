// hp-cli collect DIR: rebuild final_result/ (NeMo's summary CSVs, optimal config, report.html) from the logs.
#include <fmt/core.h>

#include "command.hpp"
#include "hpfe/json.hpp"
#include "hpfe/runner.hpp"

namespace {

struct Opts {
  std::string dir;
  bool json = false;
};

std::function<int()> setup(CLI::App& app) {
  auto opts = std::make_shared<Opts>();
  app.description("Rebuild a search's final_result/ from its results directory (candidate_configs/, training_logs/): "
                  "final_summary_<N>nodes.csv, failed_jobs_<N>nodes.csv, optimal_config_<size>b_<N>nodes.yaml, report.html");
  app.add_option("dir", opts->dir, "results directory of a search")->required();
  app.add_flag("--json", opts->json, "print one JSON object");
  return [opts] {
    auto results = hpfe::collect_results(opts->dir);
    hpfe::ReportFiles rep = hpfe::write_reports(opts->dir, results);
    if (opts->json) {
      std::string trials = hpfe::json_array(results, [](const hp::TrialResult& r) {
        return fmt::format(R"({{"config_name":{},"measured":{},"step_time_s":{},"stddev_s":{},"predicted_step_time_s":{},"failure":{},"evidence":{}}})",
                           hpfe::json_string(r.config_name), r.measured() ? "true" : "false",
                           r.stats.valid ? hpfe::json_number(r.stats.mean_s) : "null", hpfe::json_number(r.stats.stddev_s),
                           r.predicted_step_time_s > 0 ? hpfe::json_number(r.predicted_step_time_s) : "null",
                           hpfe::json_string(hp::to_string(r.failure.kind)), hpfe::json_string(r.failure.evidence));
      });
      fmt::print(R"({{"results_dir":{},"num_measured":{},"num_failed":{},"files":{},"trials":{},"message":{}}})" "\n",
                 hpfe::json_string(opts->dir), rep.num_measured, rep.num_failed,
                 hpfe::json_array(rep.files, [](const std::string& f) { return hpfe::json_string(f); }), trials,
                 hpfe::json_string(rep.message));
    } else {
      fmt::print("{}", rep.message);
      for (const std::string& f : rep.files) fmt::print("wrote {}\n", f);
    }
    if (results.empty()) return static_cast<int>(hpcli::kIo);
    return rep.num_measured == 0 ? static_cast<int>(hpcli::kTrialsFailed) : static_cast<int>(hpcli::kOk);
  };
}

}  // namespace

HP_CLI_COMMAND("collect", 70, setup);
