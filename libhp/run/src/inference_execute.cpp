// Launch inference benchmark jobs through the training search's executors (hp::run::Executor) and wait for them.
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <thread>

#include "hp/core.hpp"
#include "hp/run/executor.hpp"
#include "hp/run/inference_frontend.hpp"

namespace fs = std::filesystem;

namespace hp::run {

std::vector<std::pair<std::string, std::string>> execute_bench_jobs(const std::vector<PlannedBenchJob>& jobs,
                                                                    const hp::SearchConfig& config,
                                                                    const InferenceRunOptions& options) {
  std::vector<std::pair<std::string, std::string>> ended;
  if (jobs.empty()) return ended;
  const ExecutorOptions base = executor_options_from_config(config.extra, options.executor);
  // One executor per tasks-per-node value: Slurm's srun starts that many copies of the command per node.
  std::map<int, std::unique_ptr<Executor>> executors;
  auto executor_for = [&](int tasks) -> Executor& {
    auto& e = executors[tasks];
    if (!e) {
      ExecutorOptions o = base;
      o.slurm.ntasks_per_node = tasks;
      e = make_executor(o);
    }
    return *e;
  };
  struct Active {
    const PlannedBenchJob* job;
    Executor* executor;
    std::string id;
  };
  std::vector<Active> active;
  size_t next = 0;
  const bool slurm = options.executor == "slurm";
  while (next < jobs.size() || !active.empty()) {
    const int limit = executor_for(1).max_concurrent();
    while (next < jobs.size() && (limit <= 0 || static_cast<int>(active.size()) < limit)) {
      const PlannedBenchJob& p = jobs[next++];
      JobRequest r;
      r.name = p.job.run_name;
      r.work_dir = fs::absolute(p.dir).string();
      r.num_nodes = p.job.num_nodes;
      r.gpus_per_node = p.job.gpus_per_node;
      r.time_limit_s = options.time_limit_s;
      int tasks = 1;
      if (slurm && p.job.mpi) {
        // Under Slurm, srun starts one rank per GPU of the MPI program itself (NeMo's FasterTransformer job).
        r.argv = p.job.commands.back();
        for (const auto& [k, v] : p.job.env) r.env[k] = v;
        r.stdout_path = (fs::path(r.work_dir) / p.job.log_file).string();
        tasks = p.job.tasks_per_node;
      } else {
        r.argv = {"bash", (fs::path(r.work_dir) / "run.sh").string()};  // run.sh tees into the log itself
        r.stdout_path = (fs::path(r.work_dir) / "executor.out").string();
      }
      r.stderr_path = (fs::path(r.work_dir) / "executor.err").string();
      r.script_path = slurm ? (fs::path(r.work_dir) / "executor_sbatch.sh").string() : "";
      Executor& e = executor_for(tasks);
      active.push_back({&p, &e, e.submit(r)});
    }
    for (auto it = active.begin(); it != active.end();) {
      const JobStatus st = it->executor->poll(it->id);
      if (st.finished()) {
        if (st.state != JobState::completed || st.exit_code != 0)
          ended.emplace_back(it->job->dir, st.state == JobState::completed ? "error" : to_string(st.state));
        it = active.erase(it);
      } else {
        ++it;
      }
    }
    if (!active.empty()) std::this_thread::sleep_for(std::chrono::duration<double>(active.front().executor->poll_interval_s()));
  }
  return ended;
}

}  // namespace hp::run
