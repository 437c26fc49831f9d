// Trial runner: launches the planned trials through an Executor, keeps the state of the search in the results
// directory (run_state.yaml + journal.jsonl, appended and fsynced per event), reads what each trial measured,
// refits the performance model and re-ranks what has not run, and writes NeMo's reports.
#pragma once

#include <atomic>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "hp/logs.hpp"
#include "hp/record.hpp"
#include "hp/trial_results.hpp"
#include "hp/trial_sizing.hpp"
#include "hp/run/executor.hpp"

namespace hp::run {

/// One planned trial (from the search plan; config_path is the candidate YAML).
struct TrialPlan {
  std::string config_name;
  std::string config_path;
  int num_nodes = 1;
  int gpus_per_node = 8;
  int max_minutes = 20;
  int max_steps = 50;
  double predicted_step_time_s = 0;
  std::string reason;               ///< why the plan has it: "top", "best of tp x pp", "explore", "nemo order",
                                    ///< "replaces an OOM (<trial>)"
  int full_num_nodes = 0;           ///< the cluster the layout is for (0 = num_nodes: the trial runs full size)
  int full_gbs = 0;                 ///< the global batch at full scale (0 = the trial's)
  double predicted_trial_step_time_s = 0;  ///< the prediction on the trial's nodes (0 = predicted_step_time_s)
  bool reserve = false;             ///< not launched unless it replaces a trial that ran or would run out of memory
};

/// What a run needs besides the trials. Persisted in <results_dir>/run_state.yaml for --resume.
struct RunSpec {
  std::string results_dir;
  std::string executor = "none";
  std::string command_template;     ///< trial.command ("" = default_trial_command(family))
  double size_b = 0;                ///< model size in billions as the search names it (0 = from the run names)
  std::string gpu;                  ///< catalogue name for re-ranking and the memory picture ("" = a100-80gb)
  double time_limit_s = 0;          ///< 0 = max_minutes of each trial
  int max_concurrent = 0;           ///< 0 = the executor's limit
  bool learn = true;                ///< refit efficiency factors, re-rank and judge pending trials (hp::judge_queue)
  bool judge = true;                ///< drop queued trials on libhp's verdict (off under the nemo policy: NeMo runs all)
  double memory_margin = 0.05;      ///< the search's train_settings.memory_margin (usable memory for the refit)
  std::map<std::string, std::string> settings;  ///< executor.* / cluster.* keys of the search config
  std::vector<TrialPlan> trials;    ///< in launch order
};

/// dropped: not launched, on libhp's verdict (hp::judge_queue): the memory refit after an out-of-memory failure,
/// a time-limit failure, or the stop rule; TrialState::note says why.
enum class TrialPhase { pending, active, finished, dropped };

struct TrialState {
  TrialPlan plan;
  TrialPhase phase = TrialPhase::pending;
  std::string job_id;
  JobStatus job;
  hp::StepTimeStats stats;
  hp::Failure failure;
  double submitted_at_s = 0;           ///< seconds since the run started (this process)
  double repredicted_step_time_s = 0;  ///< after learning (0 = not re-ranked)
  double max_allocated_bytes = 0;      ///< largest max-allocated memory the logs print (0 = none)
  std::string note;                    ///< why it was dropped (phase dropped)
  hp::FullScaleStep full_scale;        ///< measured trials: the full-scale step time (measured + predicted scale terms)
};

/// The default trial command: NeMo's Megatron GPT (or T5 / mT5) pre-training script on the candidate YAML.
std::string default_trial_command(const std::string& family);

/// trial.command with {config_path} {config_dir} {config_name} {results_dir} {num_nodes} {gpus_per_node}
/// {max_steps} {max_minutes} replaced, split into words without a shell (values never reach a shell).
/// Throws hp::ConfigError("trial.command", ...) for an unknown placeholder.
std::vector<std::string> expand_trial_command(const std::string& command_template, const TrialPlan& trial,
                                              const std::string& trial_results_dir);

/// <results_dir>/training_logs/<config_name>
std::string trial_dir(const std::string& results_dir, const std::string& config_name);

struct RunCallbacks {
  std::function<void(const std::vector<TrialState>&)> on_change;  ///< after every submit / finish
  const std::atomic<bool>* interrupt = nullptr;                    ///< set by Ctrl-C: cancel and stop
};

/// Run (or, with resume, continue) the search's trials. Finished trials in the journal are never re-run;
/// with a reattachable executor (Slurm) submitted ones are polled again instead of submitted again.
std::vector<TrialState> run_trials(RunSpec spec, Executor& executor, bool resume, const RunCallbacks& callbacks = {});

/// Write run_state.yaml; read it back (throws hp::IoError / hp::ConfigError).
void save_run_spec(const RunSpec& spec);
RunSpec load_run_spec(const std::string& results_dir);

/// Rebuild the results from the results directory alone (candidate_configs/, training_logs/, journal):
/// one TrialResult per trial directory, in name order.
std::vector<hp::TrialResult> collect_results(const std::string& results_dir);

/// Files written by write_reports (paths), and the message for the user.
struct ReportFiles {
  std::vector<std::string> files;
  std::string message;     ///< "best: ..." or "every trial failed: ..."
  int num_measured = 0;
  int num_failed = 0;
  double gpu_hours = 0;            ///< the trials on their nodes (journaled durations, else time limits)
  double full_size_gpu_hours = 0;  ///< the same trials on the full node count
};
/// final_result/final_summary_<N>nodes.csv, failed_jobs_<N>nodes.csv (N = the full node count),
/// optimal_config_<size>b_<N>nodes.yaml (the fastest candidate at full scale; not written when every trial
/// failed), gpu_hours.csv, report.html.
/// `gpu`: the run's GPU for the refit and the memory picture ("" = a100-80gb).
ReportFiles write_reports(const std::string& results_dir, const std::vector<hp::TrialResult>& results,
                          const std::string& gpu);

/// collect_results + write_reports, reading run_state.yaml once: what hp-cli collect and bignlp_hp.collect call.
struct Collected {
  std::vector<hp::TrialResult> results;
  ReportFiles reports;
};
Collected collect(const std::string& results_dir);

/// The one output schema of a trial of a run (hp-cli search --json "run.trials" and bignlp_hp's trials).
hp::Record trial_state_record(const TrialState& state);

/// A one-page HTML report with inline SVG: predicted vs measured step time per trial, memory breakdown of the
/// top layouts (predicted by the performance model for `gpu`).
std::string html_report(const std::vector<hp::TrialResult>& results, const std::string& gpu);

/// The run of a search's plan: trials from the plan, trial.command / executor.* / cluster.* from the config.
/// Declared with plain types so libhp's search headers stay out of this header.
struct LaunchOutcome {
  std::string executor;            ///< name of the executor that ran (none: scripts only)
  std::vector<TrialState> states;
  ReportFiles reports;
  bool interrupted = false;
};

/// Run spec (resume: read from DIR/run_state.yaml; spec.executor other than none/"" switches the executor, so a
/// plan made with none can be launched later), executor, Ctrl-C handling, live status table on `status`
/// (nullptr = quiet), reports at the end. Used by `hp-cli search --executor local|slurm` and Python.
LaunchOutcome launch(const RunSpec& spec, bool resume, std::FILE* status);
/// Same with a caller's executor (Python subclasses).
LaunchOutcome launch_with(const RunSpec& spec, Executor& executor, bool resume, std::FILE* status);

/// "<family>_<size>b_<N>nodes_tp_1_..." -> "tp_1_..." (the part that differs between trials of one search).
std::string short_trial_name(const std::string& name);

/// The live status table the CLI prints.
std::string status_table(const std::vector<TrialState>& states);

}  // namespace hp::run
