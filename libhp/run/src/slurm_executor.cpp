// Slurm executor: writes the sbatch script (every value quoted), submits it with `sbatch --parsable` through
// an argument vector (the options again on the command line, so no value is ever parsed by a shell), polls
// with scontrol (then sacct when accounting exists, then squeue), cancels with scancel.
#include <sstream>

#include "fsutil.hpp"
#include "hp/core.hpp"
#include "hp/nemo_config.hpp"
#include "hp/run/executor.hpp"
#include "process.hpp"

namespace hp::run {
namespace {

std::string trim(const std::string& s) {
  std::size_t b = s.find_first_not_of(" \t\r\n");
  std::size_t e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// "KEY=value" from `scontrol show job -o` output (space separated).
std::string field(const std::string& text, const std::string& key) {
  std::size_t pos = 0;
  while ((pos = text.find(key + "=", pos)) != std::string::npos) {
    if (pos == 0 || text[pos - 1] == ' ' || text[pos - 1] == '\n') {
      std::size_t b = pos + key.size() + 1;
      std::size_t e = text.find_first_of(" \n", b);
      return text.substr(b, e == std::string::npos ? std::string::npos : e - b);
    }
    ++pos;
  }
  return "";
}

JobStatus from_slurm(const std::string& state_text, const std::string& exit_text) {
  JobStatus st;
  st.scheduler_state = state_text;
  std::string s = state_text.substr(0, state_text.find(' '));  // "CANCELLED by 0"
  std::size_t colon = exit_text.find(':');
  if (colon != std::string::npos) {
    st.exit_code = std::atoi(exit_text.substr(0, colon).c_str());
    st.signal = std::atoi(exit_text.substr(colon + 1).c_str());
  }
  if (s == "PENDING" || s == "CONFIGURING" || s == "REQUEUED" || s == "REQUEUE_HOLD" || s == "RESIZING")
    st.state = JobState::pending;
  else if (s == "RUNNING" || s == "COMPLETING" || s == "SUSPENDED" || s == "STOPPED" || s == "SIGNALING" ||
           s == "STAGE_OUT")
    st.state = JobState::running;
  else if (s == "COMPLETED") st.state = JobState::completed;
  else if (s == "TIMEOUT" || s == "DEADLINE") st.state = JobState::timeout;
  else if (s == "CANCELLED") st.state = JobState::cancelled;
  else if (s == "NODE_FAIL") st.state = JobState::node_fail;
  else st.state = JobState::failed;  // FAILED, OUT_OF_MEMORY, BOOT_FAIL, PREEMPTED, ...
  return st;
}

class SlurmExecutor final : public Executor {
 public:
  explicit SlurmExecutor(SlurmOptions o) : o_(std::move(o)) {}
  std::string name() const override { return "slurm"; }
  bool reattachable() const override { return true; }
  double poll_interval_s() const override { return 0.5; }

  std::string submit(const JobRequest& r) override {
    if (r.argv.empty()) throw hp::ExecutorError("slurm: empty command for trial " + r.name);
    std::string script = r.script_path.empty() ? r.stdout_path + ".sbatch" : r.script_path;
    hp::write_file_atomic(script, render_sbatch_script(r, o_));
    for (const std::string& p : {r.stdout_path, r.stderr_path})
      if (!p.empty()) hp::write_file_atomic(p, "");  // Slurm does not create missing directories
    std::vector<std::string> argv = {o_.sbatch, "--parsable"};
    for (const std::string& opt : sbatch_options(r, o_)) argv.push_back(opt);
    argv.push_back(script);
    ProcessResult res = run_capture(argv);
    std::string id = trim(res.out);
    id = id.substr(0, id.find(';'));  // "123;cluster"
    if (res.exit_code != 0 || id.empty() || id.find_first_not_of("0123456789_") != std::string::npos)
      throw hp::ExecutorError("sbatch failed for trial " + r.name + " (exit " + std::to_string(res.exit_code) +
                              "): " + trim(res.err.empty() ? res.out : res.err));
    return id;
  }

  JobStatus poll(const std::string& id) override {
    ProcessResult sc = run_capture({o_.scontrol, "show", "job", "-o", id});
    if (sc.exit_code == 0) {
      std::string state = field(sc.out, "JobState");
      if (!state.empty()) {
        JobStatus st = from_slurm(state, field(sc.out, "ExitCode"));
        std::string reason = field(sc.out, "Reason");
        if (st.state == JobState::pending && !reason.empty() && reason != "None") st.scheduler_state += " (" + reason + ")";
        return st;
      }
    }
    // Gone from the controller (older than MinJobAge): accounting, when it exists.
    ProcessResult sa = run_capture({o_.sacct, "-X", "-n", "-P", "-j", id, "-o", "State,ExitCode"});
    if (sa.exit_code == 0) {
      std::string line = trim(sa.out.substr(0, sa.out.find('\n')));
      std::size_t bar = line.find('|');
      if (bar != std::string::npos) return from_slurm(line.substr(0, bar), line.substr(bar + 1));
    }
    ProcessResult sq = run_capture({o_.squeue, "-h", "-t", "all", "-j", id, "-o", "%T"});
    std::string state = trim(sq.out);
    if (sq.exit_code == 0 && !state.empty()) return from_slurm(state, "");
    return JobStatus{JobState::lost, 0, 0, "job " + id + " unknown to scontrol, sacct and squeue"};
  }

  std::string find_job(const JobRequest& r) override {
    ProcessResult res = run_capture({o_.squeue, "-h", "-t", "all", "-n", slurm_job_name(r.name, o_), "-o", "%i|%k"});
    if (res.exit_code != 0) return "";
    const std::string comment = slurm_job_comment(r);
    std::istringstream lines(res.out);
    std::string found;
    for (std::string line; std::getline(lines, line);) {
      std::size_t bar = line.find('|');
      if (bar != std::string::npos && trim(line.substr(bar + 1)) == comment) found = trim(line.substr(0, bar));
    }
    return found;
  }

  void cancel(const std::string& id) override {
    ProcessResult r = run_capture({o_.scancel, id});
    if (r.exit_code != 0) throw hp::ExecutorError("scancel " + id + " failed: " + trim(r.err));
  }

 private:
  SlurmOptions o_;
};

}  // namespace

std::unique_ptr<Executor> make_slurm_executor(const SlurmOptions& options) {
  for (const std::string& p : {options.sbatch, options.scontrol, options.scancel})
    if (!program_exists(p)) throw hp::ExecutorError("slurm executor: '" + p + "' not found on PATH");
  return std::make_unique<SlurmExecutor>(options);
}

}  // namespace hp::run
