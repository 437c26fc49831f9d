// Inference HP search front end: run the search, attach measured benchmark logs, write the reports and the
// benchmark jobs. Shared by hp-cli infer-search and bignlp_hp.inference_search.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "hp/inference_bench.hpp"
#include "hp/inference_search.hpp"
#include "hp/search_config.hpp"

namespace hp::run {

struct InferenceRunOptions {
  std::string results_dir;          ///< "" = train_settings.logs, else "results"
  std::string executor = "none";    ///< none: plan only (job scripts written) | local | slurm (launch, wait, parse)
  double time_limit_s = 1800;       ///< per benchmark job (NeMo's run.time_limit 0:30:00)
  int measure_top_n = -1;           ///< jobs prepared for this many ranked layouts; -1 = top_n
  hp::BenchOptions bench;
  hp::ScriptOptions script;         ///< slurm = true writes sbatch headers into submit.sh
  bool write = true;                ///< false: compute only, write nothing
};

struct InferenceRunOutput {
  hp::InferenceSearchResult result;
  hp::BenchTool tool = hp::BenchTool::fastertransformer;
  std::string inference_dir;        ///< <results>/inference
  std::string summary_dir;          ///< <results>/inference/final_summary
  std::vector<std::string> files;   ///< reports written
  int num_jobs_planned = 0;
  int num_measured = 0;             ///< candidates with a successful measurement
  std::vector<std::pair<std::string, std::string>> failed;  ///< run name, status (of jobs whose log failed)
};

/// The whole inference search. Validates everything before writing anything (a ConfigError leaves no file).
InferenceRunOutput run_inference_search(const hp::SearchConfig& config, const InferenceRunOptions& options);

/// One planned benchmark job in its run directory.
struct PlannedBenchJob {
  hp::BenchJob job;
  std::string dir;
};

/// Launch the jobs through the training search's executors (local or slurm, cluster.* keys of the config),
/// at most the executor's max_concurrent at a time, and wait for them. Returns run dir -> executor state for the
/// jobs that ended without success (used to classify a job that left no log).
std::vector<std::pair<std::string, std::string>> execute_bench_jobs(const std::vector<PlannedBenchJob>& jobs,
                                                                    const hp::SearchConfig& config,
                                                                    const InferenceRunOptions& options);

}  // namespace hp::run
