// Local executor end to end: a real search plan, trials run by the fake trainer fixture (OOM, hang, crash, ok),
// reports, resume after a crash (journal replay), and the local executor's own behaviour.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "hp/calibration.hpp"
#include "hp/core.hpp"
#include "test_files.hpp"
#include "hp/search.hpp"
#include "hp/run/executor.hpp"
#include "hp/run/runner.hpp"
#include "hp/run/search_launch.hpp"

namespace fs = std::filesystem;

namespace {

using hptest::slurp;

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t p = 0; (p = s.find(from, p)) != std::string::npos; p += to.size()) s.replace(p, from.size(), to);
  return s;
}

hp::SearchConfig fake_config(const std::string& results) {
  std::string text = slurp(std::string(HP_SOURCE_DIR) + "/tests/data/search/local_fake.yaml");
  text = replace_all(text, "@FAKE_TRAINER@", std::string(HP_SOURCE_DIR) + "/tests/fixtures/fake_trainer.py");
  text = replace_all(text, "@RESULTS@", results);
  return hp::parse_search_config(text, "local_fake.yaml");
}

int count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (std::size_t p = 0; (p = text.find(needle, p)) != std::string::npos; p += needle.size()) ++n;
  return n;
}

const hp::run::TrialState& find(const std::vector<hp::run::TrialState>& states, const std::string& part) {
  for (const auto& s : states)
    if (s.plan.config_name.find(part) != std::string::npos) return s;
  FAIL("no trial named *" << part << "*");
  throw;
}

}  // namespace

TEST_CASE("local executor: search plan end to end with the fake trainer", "[runner][local]") {
  std::string dir = std::string(HP_BINARY_DIR) + "/test_runner_local";
  fs::remove_all(dir);
  hp::SearchConfig config = fake_config(dir);
  hp::SearchResult result = hp::search(config);
  REQUIRE(result.plan.trials.size() == 6);
  hp::run::RunSpec spec = hp::run::run_spec_from_search(config, result, "local");
  CHECK(spec.max_concurrent == 2);
  CHECK(spec.time_limit_s == 2);

  hp::run::LaunchOutcome out = hp::run::launch(spec, false, nullptr);
  REQUIRE(out.states.size() == 6);
  for (const auto& s : out.states) CHECK(s.phase == hp::run::TrialPhase::finished);
  const auto& oom = find(out.states, "tp_2_pp_1_cp_1_ep_1_mbs_4");
  CHECK(oom.failure.kind == hp::FailureKind::cuda_oom);
  CHECK_THAT(oom.failure.evidence, Catch::Contains("CUDA out of memory"));
  const auto& hang = find(out.states, "tp_1_pp_1_cp_1_ep_1_mbs_4");
  CHECK(hang.job.state == hp::run::JobState::timeout);
  CHECK(hang.failure.kind == hp::FailureKind::time_limit);
  const auto& crash = find(out.states, "tp_2_pp_1_cp_1_ep_1_mbs_2");
  CHECK(crash.job.exit_code == 3);
  CHECK(crash.failure.kind == hp::FailureKind::nonzero_exit);
  const auto& best = find(out.states, "tp_1_pp_1_cp_1_ep_1_mbs_2");
  REQUIRE(best.stats.valid);
  CHECK(best.stats.mean_s == Approx(1.95));  // fake trainer: 1 + 0.25 tp + 0.5 pp + 0.4 / mbs
  CHECK(best.failure.kind == hp::FailureKind::none);

  // Learning: trials that started after the first measurements were re-predicted with the refit factors, and
  // the refit brings the prediction of the tp=2 layout near what it measured (the plan's was ~3x too fast).
  const auto& tp2 = find(out.states, "tp_2_pp_1_cp_1_ep_1_mbs_1");
  REQUIRE(tp2.repredicted_step_time_s > 0);
  CHECK(tp2.repredicted_step_time_s == Approx(2.4).epsilon(0.25));
  CHECK(tp2.plan.predicted_step_time_s < 2.4 / 2);

  // Reports: NeMo's files, the fastest measured candidate as the optimal config.
  std::string fr = dir + "/final_result/";
  std::string summary = slurp(fr + "final_summary_1nodes.csv");
  CHECK(summary.rfind("Model Name,Model Size,Seq Length,TP,PP,CP,EP,MBS,Act Ckpt Layers,Act Ckpt Micro Bathes,"
                      "Act Ckpt Layers per Pipeline,Num Layers,Hidden Size,FFN Hidden Size,GBS,Nodes,GPUs per Node,"
                      "Time per Step,Samples per Second,Model TFLOPS / GPU,Model TFLOPS Aggregate,Config Name,VP,",
                      0) == 0);
  CHECK(count(summary, "\n") == 1 + 3);  // header + three measured trials
  CHECK_THAT(summary, Catch::Contains("gpt3,0.126,2048,1,1,1,1,2,"));
  // Fake trainer's max allocated (4000 + 1500 * 2 MB), then the trial's size: one node as the cluster, so the time
  // per step is the measurement itself.
  CHECK_THAT(summary, Catch::Contains(",6.84,1,256,1.9500,,,measured,"));
  std::string failed = slurp(fr + "failed_jobs_1nodes.csv");
  CHECK(count(failed, "\n") == 1 + 3);
  CHECK_THAT(failed, Catch::Contains("cuda_oom") && Catch::Contains("time_limit") && Catch::Contains("nonzero_exit"));
  CHECK(slurp(fr + "optimal_config_0.126b_1nodes.yaml") == slurp(best.plan.config_path));
  // The refit calibration: the fake trainer is ~7x slower than the model's A100, so efficiencies drop.
  auto cal = hp::load_calibrations_yaml(fr + "calibration.yaml");
  REQUIRE(cal.size() == 1);
  CHECK(cal[0].gemm_efficiency < hp::default_calibration(result.gpu).gemm_efficiency / 2);
  std::string html = slurp(fr + "report.html");
  CHECK_THAT(html, Catch::Contains("<svg") && Catch::Contains(best.plan.config_name));

  // collect rebuilds the same summary from the directory alone.
  auto collected = hp::run::collect_results(dir);
  CHECK(collected.size() == 6);
  CHECK(hp::final_summary_csv(collected) == summary);

  // Resume after everything finished: nothing is submitted again.
  std::string journal = slurp(dir + "/journal.jsonl");
  CHECK(count(journal, "\"submitted\"") == 6);
  hp::run::LaunchOutcome again = hp::run::launch(hp::run::RunSpec{dir}, true, nullptr);
  CHECK(count(slurp(dir + "/journal.jsonl"), "\"submitted\"") == 6);
  CHECK(find(again.states, "tp_1_pp_1_cp_1_ep_1_mbs_2").stats.mean_s == Approx(1.95));

  // A crash (kill -9) after a trial was submitted but before it finished: journal without its "finished" line
  // (and a half-written last line). Resume re-runs exactly that trial; the others are kept.
  std::string cut;
  std::istringstream lines(journal);
  for (std::string line; std::getline(lines, line);)
    if (!(line.find("\"finished\"") != std::string::npos && line.find("tp_1_pp_1_cp_1_ep_1_mbs_2") != std::string::npos))
      cut += line + "\n";
  std::ofstream(dir + "/journal.jsonl") << cut << "{\"event\":\"fini";
  hp::run::LaunchOutcome resumed = hp::run::launch(hp::run::RunSpec{dir}, true, nullptr);
  std::string after = slurp(dir + "/journal.jsonl");
  CHECK(count(after, "\"submitted\"") == 7);
  CHECK(count(after, "\"abandoned\"") == 1);
  CHECK(find(resumed.states, "tp_1_pp_1_cp_1_ep_1_mbs_2").stats.mean_s == Approx(1.95));
  CHECK(find(resumed.states, "tp_2_pp_1_cp_1_ep_1_mbs_4").failure.kind == hp::FailureKind::cuda_oom);
}

TEST_CASE("local executor: process group killed at the time limit, cancel, signals", "[runner][local]") {
  auto ex = hp::run::make_executor({"local", 4, 0.5, {}});
  std::string dir = std::string(HP_BINARY_DIR) + "/test_local_exec";
  fs::remove_all(dir);
  hp::run::JobRequest r;
  r.name = "grandchild";
  r.argv = {"/bin/sh", "-c", "sleep 30 & echo $! > child.pid; wait"};
  r.work_dir = dir;
  fs::create_directories(dir);
  r.stdout_path = dir + "/a.out";
  r.time_limit_s = 0.5;
  std::string id = ex->submit(r);
  hp::run::JobStatus st = ex->wait(id, 20);
  CHECK(st.state == hp::run::JobState::timeout);
  CHECK(st.signal == 15);  // WTERMSIG of the raw status, not exit_code()'s signal number
  std::string child = slurp(dir + "/child.pid");
  REQUIRE_FALSE(child.empty());
  // the grandchild (same process group) is gone or a zombie waiting for init
  std::string stat = slurp("/proc/" + std::to_string(std::stoi(child)) + "/stat");
  CHECK((stat.empty() || stat.find(") Z") != std::string::npos));

  r.name = "cancelled";
  r.argv = {"sleep", "30"};
  r.time_limit_s = 0;
  id = ex->submit(r);
  ex->cancel(id);
  st = ex->wait(id, 20);
  CHECK(st.state == hp::run::JobState::cancelled);

  r.name = "exit4";
  r.argv = {"/bin/sh", "-c", "exit 4"};
  st = ex->wait(ex->submit(r), 20);
  CHECK(st.state == hp::run::JobState::failed);
  CHECK(st.exit_code == 4);
  CHECK(st.signal == 0);

  r.argv = {"no-such-program-hp"};
  CHECK_THROWS_AS(ex->submit(r), hp::ExecutorError);
}

TEST_CASE("trial command template: placeholders, quoting, metacharacters stay data", "[runner]") {
  hp::run::TrialPlan t{"gpt3_5b_tp_1; rm -rf ~", "/tmp/c c/x.yaml", 2, 8, 20, 50, 1.0};
  auto argv = hp::run::expand_trial_command("train --cfg={config_path} 'a b' --n {num_nodes}x{gpus_per_node} {config_name}",
                                         t, "/tmp/r");
  REQUIRE(argv.size() == 6);
  CHECK(argv[1] == "--cfg=/tmp/c c/x.yaml");
  CHECK(argv[2] == "a b");
  CHECK(argv[4] == "2x8");
  CHECK(argv[5] == "gpt3_5b_tp_1; rm -rf ~");
  CHECK_THROWS_WITH(hp::run::expand_trial_command("x {bogus}", t, "/tmp/r"),
                    Catch::Contains("trial.command") && Catch::Contains("{bogus}"));
  CHECK_THROWS_AS(hp::run::split_command("a 'b"), hp::ConfigError);
  CHECK(hp::run::shell_quote("it's $(x)") == "'it'\\''s $(x)'");
}

TEST_CASE("sbatch script: every value quoted, options from the config", "[runner]") {
  hp::run::ExecutorOptions o = hp::run::executor_options_from_config(
      {{"cluster.partition", "batch"}, {"cluster.account", "acct"}, {"cluster.mem", "0"},
       {"cluster.srun_args[0]", "--mpi=pmix"}, {"cluster.container_image", "nvcr.io/nvidia/nemo:24.05"},
       {"cluster.container_mounts", "/data:/data"}, {"cluster.job_name_prefix", "hp:"}},
      "slurm");
  hp::run::JobRequest r;
  r.name = "t1";
  r.argv = {"python3", "x.py", "a=$(touch /tmp/pwned)"};
  r.num_nodes = 2;
  r.gpus_per_node = 8;
  r.time_limit_s = 20 * 60;
  r.env["FOO"] = "b'ar";
  std::string s = hp::run::render_sbatch_script(r, o.slurm);
  CHECK_THAT(s, Catch::Contains("#SBATCH --nodes=\"2\"") && Catch::Contains("#SBATCH --ntasks-per-node=\"8\"") &&
                    Catch::Contains("#SBATCH --gpus-per-node=\"8\"") && Catch::Contains("#SBATCH --time=\"20\"") &&
                    Catch::Contains("#SBATCH --partition=\"batch\"") && Catch::Contains("#SBATCH --account=\"acct\"") &&
                    Catch::Contains("#SBATCH --exclusive") && Catch::Contains("#SBATCH --mem=\"0\"") &&
                    Catch::Contains("#SBATCH --job-name=\"hp:t1\""));
  CHECK_THAT(s, Catch::Contains("srun '--ntasks-per-node=8' '--container-image=nvcr.io/nvidia/nemo:24.05' "
                                "'--container-mounts=/data:/data' --no-container-mount-home '--mpi=pmix' 'python3' 'x.py' "
                                "'a=$(touch /tmp/pwned)'"));
  CHECK_THAT(s, Catch::Contains("export FOO='b'\\''ar'"));
  CHECK_THROWS_AS(hp::run::executor_options_from_config({{"cluster.partiton", "x"}}, "slurm"), hp::ConfigError);
  o.slurm.partition = "a\"b";
  CHECK_THROWS_AS(hp::run::render_sbatch_script(r, o.slurm), hp::ConfigError);
}

TEST_CASE("none writes launch scripts, resume launches the plan later, Ctrl-C cancels", "[runner][local]") {
  std::string dir = std::string(HP_BINARY_DIR) + "/test_runner_none";
  fs::remove_all(dir);
  hp::SearchConfig config = fake_config(dir);
  hp::SearchResult result = hp::search(config);
  hp::run::RunSpec spec = hp::run::run_spec_from_search(config, result, "none");
  hp::run::LaunchOutcome planned = hp::run::launch(spec, false, nullptr);
  CHECK(planned.executor == "none");
  const std::string name = result.plan.trials[0].config_name;
  std::string script = slurp(hp::run::trial_dir(dir, name) + "/launch_" + name + ".sh");
  CHECK_THAT(script, Catch::Contains("#SBATCH --nodes=\"1\"") && Catch::Contains("'--config-path'"));
  CHECK_FALSE(fs::exists(dir + "/final_result"));

  // Launch the planned run later with the local executor, and interrupt it (what Ctrl-C does) once running.
  hp::run::RunSpec later{dir};
  later.executor = "local";
  std::atomic<bool> stop{false};
  hp::run::RunCallbacks cb;
  cb.interrupt = &stop;
  cb.on_change = [&stop](const std::vector<hp::run::TrialState>& s) {
    for (const auto& t : s) if (t.phase == hp::run::TrialPhase::active) stop = true;
  };
  auto ex = hp::run::make_executor({"local", 2, 0.5, {}});
  hp::run::RunSpec resumed = hp::run::load_run_spec(dir);
  auto states = hp::run::run_trials(resumed, *ex, true, cb);
  int cancelled = 0;
  for (const auto& t : states) {
    CHECK(t.phase == hp::run::TrialPhase::pending);  // nothing finished; interrupted trials run again on resume
    cancelled += t.job.state == hp::run::JobState::cancelled;
  }
  CHECK(cancelled >= 1);
  CHECK(cancelled <= 2);
  std::string journal = slurp(dir + "/journal.jsonl");
  CHECK(count(journal, "\"interrupted\"") == cancelled);
  CHECK(hp::run::collect_results(dir).empty());  // no trial finished yet
  hp::run::LaunchOutcome rest = hp::run::launch(later, true, nullptr);
  CHECK(rest.executor == "local");
  CHECK(hp::run::load_run_spec(dir).executor == "local");
  int measured = 0;
  for (const auto& t : rest.states) measured += t.stats.valid;
  CHECK(measured == 3);
  CHECK(count(slurp(dir + "/journal.jsonl"), "\"submitted\"") == 6 + cancelled);
  CHECK(rest.reports.num_measured == 3);
}
