// hp-cli collect DIR: rebuild final_result/ (NeMo's summary CSVs, optimal config, report.html) from the logs.
#include <fmt/core.h>

#include "command.hpp"
#include "hp/run/json.hpp"
#include "hp/run/runner.hpp"
#include "hp/trial_results.hpp"

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
    const hp::run::Collected c = hp::run::collect(opts->dir);
    const auto& results = c.results;
    const hp::run::ReportFiles& rep = c.reports;
    if (opts->json) {
      std::string trials = hp::run::json_array(results, [](const hp::TrialResult& r) { return hp::run::json_record(hp::trial_result_record(r)); });
      fmt::print(R"({{"results_dir":{},"num_measured":{},"num_failed":{},"files":{},"trials":{},"message":{}}})" "\n",
                 hp::run::json_string(opts->dir), rep.num_measured, rep.num_failed,
                 hp::run::json_array(rep.files, [](const std::string& f) { return hp::run::json_string(f); }), trials,
                 hp::run::json_string(rep.message));
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
