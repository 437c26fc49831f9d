// Executor interface helpers, the none executor, quoting and sbatch script rendering, options from config.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <thread>

#include "hp/core.hpp"
#include "hp/nemo_config.hpp"
#include "hp/run/executor.hpp"
#include "fsutil.hpp"
#include "process.hpp"

namespace hp::run {

std::unique_ptr<Executor> make_slurm_executor(const SlurmOptions& options);  // slurm_executor.cpp

namespace {

const char* const kStateNames[] = {"pending", "running", "completed", "failed", "timeout", "cancelled", "node_fail", "lost"};

// A value for an #SBATCH line (sbatch reads those lines itself, no shell): only plain characters.
std::string sbatch_value(const std::string& key, const std::string& value) {
  for (char c : value)
    if (c == '"' || c == '\n' || c == '\r' || c == '\\')
      throw hp::ConfigError(key, value, "a Slurm option value may not contain quotes, backslashes or newlines");
  return "\"" + value + "\"";
}

class NoneExecutor final : public Executor {
 public:
  explicit NoneExecutor(SlurmOptions o) : o_(std::move(o)) {}
  std::string name() const override { return "none"; }
  bool runs_jobs() const override { return false; }
  std::string submit(const JobRequest& r) override {
    if (!r.script_path.empty()) hp::write_file_atomic(r.script_path, render_sbatch_script(r, o_));
    return "none:" + r.name;
  }
  JobStatus poll(const std::string&) override { return JobStatus{JobState::pending, 0, 0, "NOT_RUN"}; }
  void cancel(const std::string&) override {}

 private:
  SlurmOptions o_;
};

}  // namespace

const char* to_string(JobState state) noexcept { return kStateNames[static_cast<int>(state)]; }

JobState job_state_from_string(const std::string& name) {
  for (int i = 0; i <= static_cast<int>(JobState::lost); ++i)
    if (name == kStateNames[i]) return static_cast<JobState>(i);
  throw hp::ConfigError("job.state", name, "unknown job state");
}

JobStatus Executor::wait(const std::string& job_id, double timeout_s) {
  auto start = std::chrono::steady_clock::now();
  for (;;) {
    JobStatus st = poll(job_id);
    if (st.finished()) return st;
    if (timeout_s > 0 && std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > timeout_s)
      return st;
    std::this_thread::sleep_for(std::chrono::duration<double>(poll_interval_s()));
  }
}

std::string shell_quote(const std::string& word) {
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

std::vector<std::string> split_command(const std::string& text) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(cur), cur.clear(), in_word = false;
    } else if (c == '\'') {
      std::size_t end = text.find('\'', i + 1);
      if (end == std::string::npos) throw hp::ConfigError("trial.command", text, "unterminated single quote");
      cur += text.substr(i + 1, end - i - 1);
      i = end;
      in_word = true;
    } else if (c == '"') {
      std::size_t j = i + 1;
      for (; j < text.size() && text[j] != '"'; ++j) {
        if (text[j] == '\\' && j + 1 < text.size() && std::string("\"\\$`").find(text[j + 1]) != std::string::npos) ++j;
        cur += text[j];
      }
      if (j >= text.size()) throw hp::ConfigError("trial.command", text, "unterminated double quote");
      i = j;
      in_word = true;
    } else if (c == '\\' && i + 1 < text.size()) {
      cur += text[++i];
      in_word = true;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(cur);
  return words;
}

static void reject_control_chars(const std::string& key, const std::string& value) {
  for (unsigned char c : value)
    if (c < 0x20 || c == 0x7F)
      throw hp::ConfigError(key, value, "control characters (newline, tab, ...) are not allowed in a job option");
}

int time_limit_minutes(double time_limit_s) {
  return time_limit_s > 0 ? std::max(1, static_cast<int>(std::ceil(time_limit_s / 60.0))) : 0;
}

std::string slurm_job_name(const std::string& trial_name, const SlurmOptions& o) {
  std::string name = o.job_name_prefix + trial_name;
  for (char& c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == ':')) c = '_';
  return name;
}

std::string slurm_job_comment(const JobRequest& r) { return "hp-trial:" + r.stdout_path; }

std::vector<std::string> sbatch_options(const JobRequest& r, const SlurmOptions& o) {
  // A newline would end the #SBATCH line and start a shell command in the job script: no value may hold a
  // control character (checked here too, for options that did not come through the config reader).
  for (const auto& [key, v] : {std::pair<const char*, const std::string*>{"results_dir", &r.stdout_path},
                               {"results_dir", &r.stderr_path}, {"work_dir", &r.work_dir}, {"trial", &r.name},
                               {"cluster.partition", &o.partition}, {"cluster.account", &o.account},
                               {"cluster.mem", &o.mem}})
    reject_control_chars(key, *v);
  for (const std::string& a : o.sbatch_args) reject_control_chars("cluster.sbatch_args", a);
  for (const std::string* p : {&r.stdout_path, &r.stderr_path})
    if (p->find('%') != std::string::npos)  // Slurm would expand %j, %x, ... in it
      throw hp::ConfigError("results_dir", *p, "a log path for Slurm may not contain '%'");
  std::vector<std::string> opts;
  opts.push_back("--job-name=" + slurm_job_name(r.name, o));
  opts.push_back("--nodes=" + std::to_string(r.num_nodes));
  int tasks = o.ntasks_per_node > 0 ? o.ntasks_per_node : r.gpus_per_node;
  opts.push_back("--ntasks-per-node=" + std::to_string(tasks));
  if (o.gpus_per_node_flag) opts.push_back("--gpus-per-node=" + std::to_string(r.gpus_per_node));
  if (int m = time_limit_minutes(r.time_limit_s)) opts.push_back("--time=" + std::to_string(m));
  if (!o.partition.empty()) opts.push_back("--partition=" + o.partition);
  if (!o.account.empty()) opts.push_back("--account=" + o.account);
  if (o.exclusive) opts.push_back("--exclusive");
  if (!o.mem.empty()) opts.push_back("--mem=" + o.mem);
  if (!r.stdout_path.empty()) opts.push_back("--output=" + r.stdout_path);
  if (!r.stdout_path.empty()) opts.push_back("--comment=" + slurm_job_comment(r));
  if (!r.stderr_path.empty()) opts.push_back("--error=" + r.stderr_path);
  if (!r.work_dir.empty()) opts.push_back("--chdir=" + r.work_dir);
  for (const std::string& a : o.sbatch_args) opts.push_back(a);
  return opts;
}

std::string render_sbatch_script(const JobRequest& r, const SlurmOptions& o) {
  std::string s = "#!/bin/bash\n# Generated by hp-cli for trial " + shell_quote(r.name) +
                  ". Every value is quoted: nothing from the config is expanded by a shell.\n";
  for (const std::string& opt : sbatch_options(r, o)) {
    std::size_t eq = opt.find('=');
    if (eq == std::string::npos) s += "#SBATCH " + opt + "\n";
    else s += "#SBATCH " + opt.substr(0, eq + 1) + sbatch_value("cluster" + opt.substr(1, eq - 1), opt.substr(eq + 1)) + "\n";
  }
  for (const auto& [k, v] : r.env) {
    for (char c : k)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_'))
        throw hp::ConfigError("trial.env", k, "not a valid environment variable name");
    s += "export " + k + "=" + shell_quote(v) + "\n";
  }
  if (!r.work_dir.empty()) s += "cd " + shell_quote(r.work_dir) + " || exit 1\n";
  s += "srun";
  int tasks = o.ntasks_per_node > 0 ? o.ntasks_per_node : r.gpus_per_node;
  s += " " + shell_quote("--ntasks-per-node=" + std::to_string(tasks));
  if (!o.container_image.empty()) {
    s += " " + shell_quote("--container-image=" + o.container_image);
    if (!o.container_mounts.empty()) s += " " + shell_quote("--container-mounts=" + o.container_mounts);
    s += " --no-container-mount-home";
  }
  for (const std::string& a : o.srun_args) s += " " + shell_quote(a);
  for (const std::string& a : r.argv) s += " " + shell_quote(a);
  return s + "\n";
}

std::unique_ptr<Executor> make_executor(const ExecutorOptions& o) {
  if (o.kind == "none") return std::make_unique<NoneExecutor>(o.slurm);
  if (o.kind == "local") {
    if (o.max_concurrent < 1) throw hp::ConfigError("executor.max_concurrent", std::to_string(o.max_concurrent), "must be >= 1");
    return make_local_executor(o.max_concurrent, o.kill_grace_s);
  }
  if (o.kind == "slurm") return make_slurm_executor(o.slurm);
  throw hp::ConfigError("executor", o.kind, "unknown executor (none, local, slurm)");
}

namespace {
bool parse_bool(const std::string& key, const std::string& v) {
  if (v == "true" || v == "True" || v == "1" || v == "yes") return true;
  if (v == "false" || v == "False" || v == "0" || v == "no" || v == "null" || v.empty()) return false;
  throw hp::ConfigError(key, v, "expected true or false");
}
int parse_int(const std::string& key, const std::string& v, int lo, int hi) {
  try {
    std::size_t n = 0;
    int x = std::stoi(v, &n);
    if (n == v.size() && x >= lo && x <= hi) return x;
  } catch (const std::exception&) {
  }
  throw hp::ConfigError(key, v, "expected an integer in " + std::to_string(lo) + ".." + std::to_string(hi));
}
// A YAML list element ("cluster.srun_args[0]") is one argument; a plain string is split like a command line.
void append_args(const std::string& key, const std::string& v, std::vector<std::string>& out) {
  if (key.find('[') != std::string::npos) out.push_back(v);
  else for (auto& w : split_command(v)) out.push_back(w);
}
}  // namespace

ExecutorOptions executor_options_from_config(const std::map<std::string, std::string>& extra, const std::string& kind) {
  ExecutorOptions o;
  o.kind = kind;
  SlurmOptions& s = o.slurm;
  for (const auto& [key, v] : extra) {
    if (key.rfind("cluster.", 0) == 0 || key.rfind("executor.", 0) == 0 || key == "training_container")
      reject_control_chars(key, v);  // they end up in job scripts and argument vectors
    if (key == "executor.max_concurrent") o.max_concurrent = parse_int(key, v, 1, 1 << 16);
    else if (key == "executor.kill_grace_s") o.kill_grace_s = parse_int(key, v, 0, 3600);
    else if (key == "training_container" || key == "cluster.container_image") s.container_image = v;
    else if (key.rfind("cluster.", 0) != 0) continue;
    else if (key == "cluster.partition") s.partition = v;
    else if (key == "cluster.account") s.account = v;
    else if (key == "cluster.exclusive") s.exclusive = parse_bool(key, v);
    else if (key == "cluster.mem") s.mem = v == "null" ? "" : v;
    else if (key == "cluster.job_name_prefix") s.job_name_prefix = v;
    // NeMo's cluster.gpus_per_node: null (no --gpus-per-node) or the GPU count; anything else is a typo.
    else if (key == "cluster.gpus_per_node") s.gpus_per_node_flag = v == "null" || v.empty() ? false : parse_int(key, v, 1, 1 << 20) > 0;
    else if (key == "cluster.gpus_per_node_flag") s.gpus_per_node_flag = parse_bool(key, v);
    else if (key == "cluster.ntasks_per_node") s.ntasks_per_node = parse_int(key, v, 0, 1 << 20);
    else if (key == "cluster.container_mounts") s.container_mounts = v;
    else if (key.rfind("cluster.srun_args", 0) == 0) append_args(key, v, s.srun_args);
    else if (key.rfind("cluster.sbatch_args", 0) == 0) append_args(key, v, s.sbatch_args);
    else throw hp::ConfigError(key, v, "unknown cluster key (partition, account, exclusive, mem, job_name_prefix, "
                                       "gpus_per_node, ntasks_per_node, srun_args, sbatch_args, container_image, "
                                       "container_mounts)");
  }
  return o;
}

}  // namespace hp::run
