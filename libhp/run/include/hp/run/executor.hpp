// Executors: run one trial (an argument vector) somewhere and report how it ended. Part of hp::run (libhp/run):
// hp::hp stays a pure API. Implementations: none (writes scripts, runs nothing), local (Boost.Process, one
// process group per trial), slurm (sbatch script with every value quoted; squeue/scontrol/sacct; scancel).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace hp::run {

/// What to run for one trial.
struct JobRequest {
  std::string name;                          ///< trial name (Slurm job name after the prefix)
  std::vector<std::string> argv;             ///< never joined into a shell string unquoted
  std::map<std::string, std::string> env;    ///< extra environment variables
  std::string work_dir;                      ///< "" = current directory
  int num_nodes = 1;
  int gpus_per_node = 8;
  double time_limit_s = 0;                   ///< 0 = none; Slurm rounds up to whole minutes
  std::string stdout_path;                   ///< logs (created; parent directories too)
  std::string stderr_path;
  std::string script_path;                   ///< where slurm / none write the rendered script ("" = none)
};

enum class JobState { pending, running, completed, failed, timeout, cancelled, node_fail, lost };
const char* to_string(JobState state) noexcept;
JobState job_state_from_string(const std::string& name);

struct JobStatus {
  JobState state = JobState::pending;
  int exit_code = 0;              ///< exit status; 0 when killed by a signal
  int signal = 0;                 ///< terminating signal
  std::string scheduler_state;    ///< raw state text (Slurm's JobState, "" for local)
  bool finished() const noexcept { return state != JobState::pending && state != JobState::running; }
};

/// One interface for every way of running trials. Python subclasses it through the binding.
class Executor {
 public:
  virtual ~Executor() = default;
  virtual std::string name() const = 0;
  /// Start (or queue) a job; returns its id. Throws hp::ExecutorError when it cannot.
  virtual std::string submit(const JobRequest& request) = 0;
  virtual JobStatus poll(const std::string& job_id) = 0;
  virtual void cancel(const std::string& job_id) = 0;
  /// Most jobs at once (0 = no limit).
  virtual int max_concurrent() const { return 0; }
  /// True when jobs outlive this process, so a resumed search polls them again instead of re-running.
  virtual bool reattachable() const { return false; }
  /// The job already submitted for exactly this request (same trial, same log path) that the scheduler still
  /// knows, or "". Lets a resumed search re-attach to a job submitted right before a crash, before its id was
  /// journaled.
  virtual std::string find_job(const JobRequest& request) { (void)request; return ""; }
  /// False for the none executor: it only writes scripts.
  virtual bool runs_jobs() const { return true; }
  virtual double poll_interval_s() const { return 0.2; }
  /// Poll until finished (timeout_s 0 = no timeout; returns the last status on timeout).
  JobStatus wait(const std::string& job_id, double timeout_s = 0);
};

/// Slurm cluster settings (NeMo launcher's cluster/bcm.yaml keys, plus pyxis container flags).
struct SlurmOptions {
  std::string partition;
  std::string account;
  bool exclusive = true;
  std::string mem;                          ///< "" = not set; "0" = all memory of the node
  std::string job_name_prefix = "hp:";
  bool gpus_per_node_flag = true;           ///< emit --gpus-per-node (off for clusters without GPU gres)
  int ntasks_per_node = 0;                  ///< 0 = gpus_per_node
  std::vector<std::string> srun_args;       ///< extra srun arguments, one per element
  std::vector<std::string> sbatch_args;     ///< extra sbatch arguments, one per element
  std::string container_image;              ///< pyxis --container-image ("" = no container)
  std::string container_mounts;             ///< pyxis --container-mounts
  std::string sbatch = "sbatch", squeue = "squeue", scontrol = "scontrol", sacct = "sacct", scancel = "scancel";
};

struct ExecutorOptions {
  std::string kind = "none";                ///< none | local | slurm
  int max_concurrent = 1;                   ///< local: trials at once
  double kill_grace_s = 5;                  ///< local: SIGTERM, then SIGKILL after this
  SlurmOptions slurm;
};

/// Build an executor by kind (throws hp::ConfigError for an unknown kind).
std::unique_ptr<Executor> make_executor(const ExecutorOptions& options);

/// Read executor options from a search config's extra keys ("cluster.partition", "cluster.srun_args", ...).
ExecutorOptions executor_options_from_config(const std::map<std::string, std::string>& extra, const std::string& kind);

/// The sbatch script for a request, every value quoted (also what the none executor writes).
std::string render_sbatch_script(const JobRequest& request, const SlurmOptions& options);

/// Quote one word for a POSIX shell: 'it'\''s'.
std::string shell_quote(const std::string& word);

/// Split a command template into words like a shell would (quotes, backslashes) without running one.
/// Throws hp::ConfigError("trial.command", ...) on an unterminated quote.
std::vector<std::string> split_command(const std::string& text);

}  // namespace hp::run
