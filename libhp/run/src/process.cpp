// The only translation unit with Boost.Process (18 s / 610 MB to compile): run_capture and the local executor.
// Pitfalls (docs/usage.md, infra notes): exit_code() gives the signal number for a killed child, so
// the raw status from native_exit_code() goes through WIFSIGNALED/WTERMSIG; each trial gets its own process
// group (setpgid in the child) so a time limit or Ctrl-C kills the trainer's whole tree.
#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/process.hpp>
#include <boost/process/extend.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "hp/core.hpp"
#include "process.hpp"

namespace bp = boost::process;
namespace fs = std::filesystem;

namespace hp::run {
namespace {

using Clock = std::chrono::steady_clock;

boost::filesystem::path find_program(const std::string& program) {
  if (program.find('/') != std::string::npos) return boost::filesystem::path(program);
  return bp::search_path(program);
}

// A trial log opened for writing without following a symlink placed there (O_NOFOLLOW): a results directory
// another user can write to must not turn hp-cli into a tool that truncates arbitrary files.
struct LogFile {
  std::FILE* file = nullptr;
  LogFile(const std::string& path, const std::string& trial) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
      throw hp::ExecutorError("local: cannot open the log " + path + " of trial " + trial + ": " + std::strerror(errno) +
                              (errno == ELOOP ? " (a symbolic link is not followed)" : ""));
    file = ::fdopen(fd, "w");
    if (!file) {
      ::close(fd);
      throw hp::ExecutorError("local: cannot open the log " + path + " of trial " + trial);
    }
  }
  ~LogFile() {
    if (file) std::fclose(file);
  }
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;
};

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void make_parent(const std::string& path) {
  if (path.empty()) return;
  fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) fs::create_directories(parent);
}

class LocalExecutor final : public Executor {
 public:
  LocalExecutor(int max_concurrent, double kill_grace_s) : max_concurrent_(max_concurrent), grace_s_(kill_grace_s) {}
  ~LocalExecutor() override {
    for (auto& [id, job] : jobs_) {
      if (job.done) continue;
      ::kill(-job.pgid, SIGKILL);
      std::error_code ec;
      job.child->wait(ec);
    }
  }

  std::string name() const override { return "local"; }
  int max_concurrent() const override { return max_concurrent_; }
  double poll_interval_s() const override { return 0.05; }

  std::string submit(const JobRequest& r) override {
    if (r.argv.empty()) throw hp::ExecutorError("local: empty command for trial " + r.name);
    boost::filesystem::path exe = find_program(r.argv[0]);
    if (exe.empty() || !boost::filesystem::exists(exe))
      throw hp::ExecutorError("local: cannot run '" + r.argv[0] + "' for trial " + r.name + ": not found");
    std::string out = r.stdout_path.empty() ? "/dev/null" : r.stdout_path;
    std::string err = r.stderr_path.empty() ? "/dev/null" : r.stderr_path;
    make_parent(out);
    make_parent(err);
    LogFile out_file(out, r.name);
    std::unique_ptr<LogFile> err_file = err == out ? nullptr : std::make_unique<LogFile>(err, r.name);
    std::FILE* err_stream = err_file ? err_file->file : out_file.file;
    std::vector<std::string> args(r.argv.begin() + 1, r.argv.end());
    bp::environment env = boost::this_process::environment();
    for (const auto& [k, v] : r.env) env[k] = v;
    Job job;
    try {
      job.child = std::make_unique<bp::child>(
          exe, bp::args(args), bp::std_out > out_file.file, bp::std_err > err_stream, bp::std_in < bp::null, env,
          bp::start_dir(r.work_dir.empty() ? fs::current_path().string() : r.work_dir),
          bp::extend::on_exec_setup = [](auto&) { ::setpgid(0, 0); });
    } catch (const std::exception& e) {
      throw hp::ExecutorError("local: cannot start trial " + r.name + ": " + e.what());
    }
    job.pgid = job.child->id();
    ::setpgid(job.pgid, job.pgid);  // also from the parent, so a kill right after submit reaches the group
    job.start = Clock::now();
    job.limit_s = r.time_limit_s;
    std::string id = std::to_string(job.pgid);
    jobs_[id] = std::move(job);
    return id;
  }

  JobStatus poll(const std::string& id) override {
    auto it = jobs_.find(id);
    if (it == jobs_.end()) return JobStatus{JobState::lost, 0, 0, "unknown local job " + id};
    Job& job = it->second;
    if (job.done) return job.status;
    std::error_code ec;
    if (!job.child->running(ec)) {
      int raw = job.child->native_exit_code();
      JobStatus st;
      if (WIFSIGNALED(raw)) st.signal = WTERMSIG(raw);
      else if (WIFEXITED(raw)) st.exit_code = WEXITSTATUS(raw);
      if (job.timed_out) st.state = JobState::timeout, st.scheduler_state = "TIMEOUT";
      else if (job.cancelled) st.state = JobState::cancelled, st.scheduler_state = "CANCELLED";
      else if (st.exit_code == 0 && st.signal == 0) st.state = JobState::completed, st.scheduler_state = "COMPLETED";
      else st.state = JobState::failed, st.scheduler_state = "FAILED";
      ::kill(-job.pgid, SIGKILL);  // stragglers of the trial's group (the leader is reaped; the group may live on)
      job.done = true;
      job.status = st;
      return st;
    }
    double elapsed = std::chrono::duration<double>(Clock::now() - job.start).count();
    if (job.limit_s > 0 && elapsed > job.limit_s && !job.term_sent) {
      job.timed_out = true;
      terminate(job);
    }
    if (job.term_sent && std::chrono::duration<double>(Clock::now() - job.term_time).count() > grace_s_)
      ::kill(-job.pgid, SIGKILL);
    return JobStatus{JobState::running, 0, 0, "RUNNING"};
  }

  void cancel(const std::string& id) override {
    auto it = jobs_.find(id);
    if (it == jobs_.end() || it->second.done) return;
    it->second.cancelled = !it->second.timed_out;
    if (!it->second.term_sent) terminate(it->second);
  }

 private:
  struct Job {
    std::unique_ptr<bp::child> child;
    pid_t pgid = 0;
    Clock::time_point start, term_time;
    double limit_s = 0;
    bool timed_out = false, cancelled = false, term_sent = false, done = false;
    JobStatus status;
  };
  void terminate(Job& job) {
    ::kill(-job.pgid, SIGTERM);
    job.term_sent = true;
    job.term_time = Clock::now();
  }

  std::map<std::string, Job> jobs_;
  int max_concurrent_;
  double grace_s_;
};

}  // namespace

bool program_exists(const std::string& program) {
  boost::filesystem::path p = find_program(program);
  return !p.empty() && boost::filesystem::exists(p);
}

ProcessResult run_capture(const std::vector<std::string>& argv) {
  ProcessResult r;
  if (argv.empty() || !program_exists(argv[0])) {
    r.exit_code = -1;
    r.err = (argv.empty() ? std::string("(empty command)") : argv[0]) + ": not found";
    return r;
  }
  // stderr goes to a file: draining two pipes from one thread can deadlock (infra notes).
  // mkstemp: a fixed name in /tmp could be a symlink someone placed there.
  std::string tmpl = (fs::temp_directory_path() / "hp-cli-err-XXXXXX").string();
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) {
    r.exit_code = -1;
    r.err = "cannot create a temporary file: " + std::string(std::strerror(errno));
    return r;
  }
  const fs::path err_file = tmpl;
  std::FILE* err_stream = ::fdopen(fd, "w");
  try {
    bp::ipstream out;
    bp::child c(find_program(argv[0]), bp::args(std::vector<std::string>(argv.begin() + 1, argv.end())),
                bp::std_out > out, bp::std_err > err_stream, bp::std_in < bp::null);
    std::ostringstream ss;
    ss << out.rdbuf();
    c.wait();
    r.out = ss.str();
    int raw = c.native_exit_code();
    r.exit_code = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  } catch (const std::exception& e) {
    r.exit_code = -1;
    r.err = e.what();
  }
  if (err_stream) std::fclose(err_stream);
  else ::close(fd);
  r.err += read_all(err_file);
  std::error_code ec;
  fs::remove(err_file, ec);
  return r;
}

void kill_stale_local_job(const std::string& job_id, const std::string& trial_name) {
  pid_t pgid = 0;
  try {
    pgid = static_cast<pid_t>(std::stol(job_id));
  } catch (const std::exception&) {
    return;
  }
  if (pgid <= 1) return;
  std::string env = read_all("/proc/" + job_id + "/environ");
  std::string want = "HP_TRIAL_NAME=" + trial_name;
  for (std::size_t p = 0; p < env.size();) {
    std::size_t e = env.find('\0', p);
    if (env.compare(p, (e == std::string::npos ? env.size() : e) - p, want) == 0) {
      ::kill(-pgid, SIGKILL);
      return;
    }
    if (e == std::string::npos) break;
    p = e + 1;
  }
}

std::unique_ptr<Executor> make_local_executor(int max_concurrent, double kill_grace_s) {
  return std::make_unique<LocalExecutor>(max_concurrent, kill_grace_s);
}

}  // namespace hp::run
