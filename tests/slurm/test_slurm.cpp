// Slurm executor against a real one-machine cluster (2 nodes x 2 fake GPUs; started by the slurm.start fixture).
// The only environment variable is SLURM_CONF; everything else is derived from it.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "hp/core.hpp"
#include "test_files.hpp"
#include "hp/nemo_config.hpp"
#include "hp/run/executor.hpp"
#include "hp/run/runner.hpp"

namespace fs = std::filesystem;

namespace {

using hptest::slurp;

int count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (std::size_t p = 0; (p = text.find(needle, p)) != std::string::npos; p += needle.size()) ++n;
  return n;
}

// A fresh directory next to the cluster's state (visible to the jobs, which run on this host).
std::string work_dir(const std::string& name) {
  const char* conf = std::getenv("SLURM_CONF");
  REQUIRE(conf != nullptr);
  std::string dir = (fs::path(conf).parent_path().parent_path() / "hp-tests" / name).string();
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

hp::run::SlurmOptions cluster() {
  hp::run::SlurmOptions o;
  o.job_name_prefix = "hp-test:";
  return o;
}

// One candidate config per trial (GPT 126M, tp/mbs as named) and the run spec running the fake trainer.
hp::run::RunSpec spec_with(const std::string& dir, const std::vector<std::pair<std::string, int>>& trials,
                        const std::string& behave) {
  hp::run::RunSpec spec;
  spec.results_dir = dir;
  spec.executor = "slurm";
  spec.size_b = 0.126;
  spec.learn = false;
  spec.command_template = "python3 " + std::string(HP_SOURCE_DIR) + "/tests/fixtures/fake_trainer.py --config-path "
                          "{config_path} --results-dir {results_dir} --max-steps {max_steps} " + behave;
  for (const auto& [name, nodes] : trials) {
    hp::BaseConfigRequest req;
    req.size_b = 0.126;
    req.num_nodes = nodes;
    req.gpus_per_node = 2;
    hp::TrainingConfig c = hp::base_config(req);
    c.run_name = name;
    std::string path = dir + "/candidate_configs/" + name + ".yaml";
    hp::write_file_atomic(path, hp::to_nemo_yaml(c));
    spec.trials.push_back({name, path, nodes, 2, 10, 8, 0.5});
  }
  spec.settings = {{"cluster.job_name_prefix", "hp-test:"}};
  return spec;
}

const hp::run::TrialState& find(const std::vector<hp::run::TrialState>& states, const std::string& name) {
  for (const auto& s : states)
    if (s.plan.config_name == name) return s;
  FAIL("no trial " << name);
  throw;
}

}  // namespace

TEST_CASE("submit, multi-node trial, failure classes, reports", "[slurm]") {
  std::string dir = work_dir("classes");
  hp::run::RunSpec spec = spec_with(dir,
                                 {{"gpt3_0.126b_1nodes_tp_1_pp_1_mbs_1", 1},
                                  {"gpt3_0.126b_2nodes_tp_1_pp_1_mbs_2", 2},
                                  {"gpt3_0.126b_1nodes_tp_2_pp_1_mbs_4", 1},
                                  {"gpt3_0.126b_1nodes_tp_2_pp_1_mbs_2", 1}},
                                 "--behave tp_2_pp_1_mbs_4=oom --behave tp_2_pp_1_mbs_2=crash");
  hp::run::LaunchOutcome out = hp::run::launch(spec, false, nullptr);
  const auto& ok = find(out.states, "gpt3_0.126b_1nodes_tp_1_pp_1_mbs_1");
  CHECK(ok.job.state == hp::run::JobState::completed);
  CHECK(ok.job.scheduler_state == "COMPLETED");
  REQUIRE(ok.stats.valid);
  CHECK(ok.stats.mean_s == Approx(2.15));
  const auto& multi = find(out.states, "gpt3_0.126b_2nodes_tp_1_pp_1_mbs_2");
  CHECK(multi.stats.valid);
  std::string multi_log = slurp(hp::run::trial_dir(dir, multi.plan.config_name) + "/log-" + multi.plan.config_name + ".out");
  CHECK_THAT(multi_log, Catch::Contains("using world size: 4, nodes: 2"));  // 2 nodes x 2 tasks
  const auto& oom = find(out.states, "gpt3_0.126b_1nodes_tp_2_pp_1_mbs_4");
  CHECK(oom.job.state == hp::run::JobState::failed);
  CHECK(oom.failure.kind == hp::FailureKind::cuda_oom);
  const auto& crash = find(out.states, "gpt3_0.126b_1nodes_tp_2_pp_1_mbs_2");
  CHECK(crash.job.exit_code == 3);
  CHECK(crash.failure.kind == hp::FailureKind::nonzero_exit);
  std::string script = slurp(hp::run::trial_dir(dir, multi.plan.config_name) + "/launch_" + multi.plan.config_name + ".sh");
  CHECK_THAT(script, Catch::Contains("#SBATCH --nodes=\"2\"") && Catch::Contains("#SBATCH --gpus-per-node=\"2\""));
  CHECK_THAT(slurp(dir + "/final_result/final_summary_1nodes.csv"), Catch::Contains("gpt3,0.126,"));
  CHECK(fs::exists(dir + "/final_result/final_summary_2nodes.csv"));
  CHECK(fs::exists(dir + "/final_result/optimal_config_0.126b_1nodes.yaml"));
  CHECK(count(slurp(dir + "/final_result/failed_jobs_1nodes.csv"), "\n") == 3);
}

TEST_CASE("cancel a running job", "[slurm]") {
  std::string dir = work_dir("cancel");
  auto ex = hp::run::make_executor({"slurm", 1, 1, cluster()});
  hp::run::JobRequest r;
  r.name = "cancel-me";
  r.argv = {"sleep", "300"};
  r.num_nodes = 1;
  r.gpus_per_node = 1;
  r.stdout_path = dir + "/c.out";
  std::string id = ex->submit(r);
  for (int i = 0; i < 100 && ex->poll(id).state != hp::run::JobState::running; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  REQUIRE(ex->poll(id).state == hp::run::JobState::running);
  ex->cancel(id);
  hp::run::JobStatus st = ex->wait(id, 30);
  CHECK(st.state == hp::run::JobState::cancelled);
  CHECK_THAT(st.scheduler_state, Catch::StartsWith("CANCELLED"));
  CHECK(ex->poll("999999").state == hp::run::JobState::lost);
}

TEST_CASE("resume re-attaches to a job still queued", "[slurm]") {
  std::string dir = work_dir("resume");
  auto ex = hp::run::make_executor({"slurm", 1, 1, cluster()});
  hp::run::JobRequest blocker;  // holds both nodes so the trial has to queue
  blocker.name = "blocker";
  blocker.argv = {"sleep", "300"};
  blocker.num_nodes = 2;
  blocker.gpus_per_node = 2;
  blocker.stdout_path = dir + "/blocker.out";
  std::string blocker_id = ex->submit(blocker);

  hp::run::RunSpec spec = spec_with(dir, {{"gpt3_0.126b_2nodes_tp_1_pp_1_mbs_1", 2}}, "");
  struct Crash {};
  hp::run::RunCallbacks cb;
  cb.on_change = [](const std::vector<hp::run::TrialState>& s) {
    if (s[0].phase == hp::run::TrialPhase::active) throw Crash{};  // the search dies right after submitting
  };
  CHECK_THROWS_AS(hp::run::run_trials(spec, *ex, false, cb), Crash);
  std::string journal = slurp(dir + "/journal.jsonl");
  REQUIRE(count(journal, "\"submitted\"") == 1);
  std::size_t at = journal.find("\"job_id\":\"", journal.find("\"submitted\"")) + 10;
  std::string trial_id = journal.substr(at, journal.find('"', at) - at);
  CHECK(ex->poll(trial_id).state == hp::run::JobState::pending);
  // Worst case: the crash came after sbatch returned but before the "submitted" line reached the journal.
  REQUIRE(count(journal, "\"submitting\"") == 1);
  std::ofstream(dir + "/journal.jsonl") << journal.substr(0, journal.find("{\"event\":\"submitted\""));

  ex->cancel(blocker_id);
  hp::run::LaunchOutcome out = hp::run::launch(hp::run::RunSpec{dir}, true, nullptr);
  REQUIRE(out.states.size() == 1);
  CHECK(out.states[0].job_id == trial_id);  // the same job (found by name and --comment), polled again
  CHECK(out.states[0].job.state == hp::run::JobState::completed);
  CHECK(out.states[0].stats.valid);
  CHECK(count(slurp(dir + "/journal.jsonl"), "\"submitted\"") == 1);
}

TEST_CASE("shell metacharacters in values never execute", "[slurm]") {
  std::string dir = work_dir("meta");
  auto ex = hp::run::make_executor({"slurm", 1, 1, cluster()});
  std::string marker = dir + "/pwned";
  hp::run::JobRequest r;
  r.name = "meta; touch " + marker;
  r.argv = {"printf", "%s\\n", "$(touch " + marker + ")", "; touch " + marker, "`touch " + marker + "`", "it's"};
  r.env["HP_META"] = "$(touch " + marker + ")";
  r.num_nodes = 1;
  r.gpus_per_node = 1;
  r.work_dir = dir + "/a dir with spaces";
  fs::create_directories(r.work_dir);
  r.stdout_path = dir + "/meta.out";
  hp::run::JobStatus st = ex->wait(ex->submit(r), 60);
  CHECK(st.state == hp::run::JobState::completed);
  CHECK(slurp(dir + "/meta.out") == "$(touch " + marker + ")\n; touch " + marker + "\n`touch " + marker + "`\nit's\n");
  CHECK_FALSE(fs::exists(marker));
}

TEST_CASE("time limit (TIMEOUT about 61-92 s after --time=1)", "[slurm]") {
  std::string dir = work_dir("timeout");
  hp::run::RunSpec spec = spec_with(dir, {{"gpt3_0.126b_1nodes_tp_1_pp_1_mbs_4", 1}}, "--behave mbs_4=hang");
  spec.time_limit_s = 60;
  hp::run::LaunchOutcome out = hp::run::launch(spec, false, nullptr);
  REQUIRE(out.states.size() == 1);
  CHECK(out.states[0].job.state == hp::run::JobState::timeout);
  CHECK(out.states[0].failure.kind == hp::FailureKind::time_limit);
  CHECK_THAT(out.states[0].failure.evidence, Catch::Contains("DUE TO TIME LIMIT"));
  CHECK(out.reports.num_measured == 0);
  CHECK_THAT(out.reports.message, Catch::Contains("every trial failed"));
  CHECK_FALSE(fs::exists(dir + "/final_result/optimal_config_0.126b_1nodes.yaml"));
}
