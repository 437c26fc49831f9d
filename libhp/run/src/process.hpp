// Internal to hp::run: run a program and capture its output (implemented with Boost.Process in
// process.cpp, the only file that includes Boost.Process).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hp/run/executor.hpp"

namespace hp::run {

struct ProcessResult {
  int exit_code = 0;   ///< -1 when the program could not be started
  std::string out;
  std::string err;
};

/// Run argv[0] (searched on PATH when it has no '/') with argv[1..]; no shell. Never throws for a
/// non-zero exit; exit_code -1 and err set when it cannot start.
ProcessResult run_capture(const std::vector<std::string>& argv);

/// True when `program` can be found on PATH (or is an existing path).
bool program_exists(const std::string& program);

/// After a crash: SIGKILL the process group of a local trial that is still running, only if its leader's
/// environment names the trial (HP_TRIAL_NAME), so a recycled id is never hit.
void kill_stale_local_job(const std::string& job_id, const std::string& trial_name);

std::unique_ptr<Executor> make_local_executor(int max_concurrent, double kill_grace_s);

}  // namespace hp::run

namespace hp::run {
/// sbatch options for a request ("--nodes=2", ...), in the order the script shows them.
std::vector<std::string> sbatch_options(const JobRequest& request, const SlurmOptions& options);
/// The Slurm job name of a trial: prefix + name, characters other than [A-Za-z0-9_.:-] replaced by '_'.
std::string slurm_job_name(const std::string& trial_name, const SlurmOptions& options);
/// The job's --comment: identifies the trial and its results directory (find_job after a crash).
std::string slurm_job_comment(const JobRequest& request);
/// Slurm --time in whole minutes (rounded up, at least 1); 0 = no limit.
int time_limit_minutes(double time_limit_s);
}  // namespace hp::run
