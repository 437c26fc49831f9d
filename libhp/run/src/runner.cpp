// The trial runner: submit in rank order up to the concurrency limit, poll, evaluate, learn, journal.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fmt/core.h>
#include <map>
#include <thread>

#include "fsutil.hpp"
#include "journal.hpp"
#include "process.hpp"
#include "hp/core.hpp"
#include "hp/learn.hpp"
#include "hp/search.hpp"
#include "hp/nemo_config.hpp"
#include "hp/trial_results.hpp"
#include "hp/run/runner.hpp"
#include "trial_eval.hpp"
#include "trial_learning.hpp"

namespace fs = std::filesystem;

namespace hp::run {
namespace {

using Clock = std::chrono::steady_clock;

void journal(const std::string& dir, const std::string& event, const TrialState& t) { journal_trial(dir, event, t); }

// Replays the journal into the states (by config name); reserves promoted in the journal join the states first.
void replay_journal(const std::string& dir, std::vector<TrialState>& states, std::vector<TrialState>& reserves) {
  for (const JournalEvent& e : read_journal(dir)) {
    if (e.event != "promoted") continue;
    auto r = std::find_if(reserves.begin(), reserves.end(), [&](const TrialState& x) { return x.plan.config_name == e.trial; });
    if (r == reserves.end()) continue;
    r->plan.reserve = false;
    r->plan.reason = e.reason;
    states.push_back(*r);
    reserves.erase(r);
  }
  std::map<std::string, TrialState*> by_name;
  for (TrialState& t : states) by_name[t.plan.config_name] = &t;
  for (const JournalEvent& e : read_journal(dir)) {
    auto it = by_name.find(e.trial);
    if (it == by_name.end()) continue;
    TrialState& t = *it->second;
    if (e.event == "submitting") {  // the crash may have come between sbatch and the "submitted" line
      t.job_id = "?";
    } else if (e.event == "submitted") {
      t.phase = TrialPhase::active;
      t.job_id = e.job_id;
    } else if (e.event == "abandoned" || e.event == "interrupted") {
      t.phase = TrialPhase::pending;
      t.job_id.clear();
    } else if (e.event == "dropped") {
      t.phase = TrialPhase::dropped;
    } else if (e.event == "finished") {
      t.phase = TrialPhase::finished;
      t.job_id = e.job_id;
      t.job.state = job_state_from_string(e.state);
      t.job.exit_code = e.exit_code;
      t.job.signal = e.signal;
      t.job.scheduler_state = e.scheduler_state;
    }
  }
}

void evaluate(const std::string& dir, TrialState& t) {
  hp::JobOutcome outcome{t.job.scheduler_state, t.job.exit_code, t.job.signal};
  TrialEvaluation ev = evaluate_trial_dir(trial_dir(dir, t.plan.config_name), outcome);
  t.stats = ev.stats;
  t.failure = ev.failure;
  t.max_allocated_bytes = ev.max_allocated_bytes;
}

// The job of one trial: the expanded command, logs and launch script in its training_logs directory.
JobRequest request_for(const RunSpec& spec, const TrialState& t) {
  JobRequest r;
  r.name = t.plan.config_name;
  std::string dir = trial_dir(spec.results_dir, t.plan.config_name);
  r.argv = expand_trial_command(spec.command_template, t.plan, dir);
  r.num_nodes = t.plan.num_nodes;
  r.gpus_per_node = t.plan.gpus_per_node;
  r.time_limit_s = spec.time_limit_s > 0 ? spec.time_limit_s : 60.0 * t.plan.max_minutes;
  r.stdout_path = fs::absolute(dir + "/log-" + t.plan.config_name + ".out").string();
  r.stderr_path = fs::absolute(dir + "/log-" + t.plan.config_name + ".err").string();
  r.script_path = fs::absolute(dir + "/launch_" + t.plan.config_name + ".sh").string();
  r.env["HP_TRIAL_NAME"] = t.plan.config_name;
  fs::create_directories(dir);
  return r;
}

}  // namespace

std::string short_trial_name(const std::string& name) {
  // Drop the "<model>_<size>_<N>nodes_" prefix and NeMo's unset partial-checkpointing fields, which every
  // trial without partial recomputation carries; the table and the picture need the layout only.
  std::size_t p = name.find("nodes_");
  std::string s = p == std::string::npos ? name : name.substr(p + 6);
  for (const char* unset : {"_num_mbs_act_None", "_act_per_pipe_None"}) {
    const std::size_t at = s.find(unset);
    if (at != std::string::npos) s.erase(at, std::string(unset).size());
  }
  return s;
}

std::string default_trial_command(const std::string& family) {
  std::string script = (family == "t5" || family == "mt5") ? "megatron_t5_pretraining.py" : "megatron_gpt_pretraining.py";
  return "python3 -u /opt/NeMo/examples/nlp/language_modeling/" + script +
         " --config-path={config_dir} --config-name={config_name}.yaml"
         " trainer.num_nodes={num_nodes} trainer.devices={gpus_per_node} trainer.max_steps={max_steps}"
         " exp_manager.explicit_log_dir={results_dir}/results exp_manager.create_checkpoint_callback=False";
}

std::string trial_dir(const std::string& results_dir, const std::string& config_name) {
  return results_dir + "/training_logs/" + config_name;
}

std::vector<std::string> expand_trial_command(const std::string& tmpl, const TrialPlan& t, const std::string& results) {
  fs::path cfg = fs::absolute(t.config_path);
  const std::map<std::string, std::string> values = {
      {"config_path", cfg.string()},           {"config_dir", cfg.parent_path().string()},
      {"config_name", t.config_name},          {"results_dir", fs::absolute(results).string()},
      {"num_nodes", std::to_string(t.num_nodes)}, {"gpus_per_node", std::to_string(t.gpus_per_node)},
      {"max_steps", std::to_string(t.max_steps)}, {"max_minutes", std::to_string(t.max_minutes)}};
  std::vector<std::string> words = split_command(tmpl);
  if (words.empty()) throw hp::ConfigError("trial.command", tmpl, "empty command");
  for (std::string& w : words) {
    std::string out;
    for (std::size_t i = 0; i < w.size(); ++i) {
      if (w[i] != '{') {
        out += w[i];
        continue;
      }
      std::size_t end = w.find('}', i);
      if (end == std::string::npos) throw hp::ConfigError("trial.command", tmpl, "unterminated placeholder in '" + w + "'");
      auto it = values.find(w.substr(i + 1, end - i - 1));
      if (it == values.end())
        throw hp::ConfigError("trial.command", tmpl, "unknown placeholder {" + w.substr(i + 1, end - i - 1) +
                                                         "} (known: config_path, config_dir, config_name, results_dir, "
                                                         "num_nodes, gpus_per_node, max_steps, max_minutes)");
      out += it->second;
      i = end;
    }
    w = out;
  }
  return words;
}

void save_run_spec(const RunSpec& s) {
  YAML::Emitter y;
  y << YAML::BeginMap << YAML::Key << "executor" << YAML::Value << s.executor << YAML::Key << "command_template"
    << YAML::Value << YAML::DoubleQuoted << s.command_template << YAML::Key << "gpu" << YAML::Value << s.gpu << YAML::Key << "size_b" << YAML::Value << s.size_b
    << YAML::Key << "time_limit_s" << YAML::Value << s.time_limit_s << YAML::Key << "max_concurrent" << YAML::Value
    << s.max_concurrent << YAML::Key << "learn" << YAML::Value << s.learn << YAML::Key << "judge" << YAML::Value << s.judge << YAML::Key << "memory_margin"
    << YAML::Value << s.memory_margin << YAML::Key << "settings" << YAML::Value
    << YAML::BeginMap;
  for (const auto& [k, v] : s.settings) y << YAML::Key << k << YAML::Value << YAML::DoubleQuoted << v;
  y << YAML::EndMap << YAML::Key << "trials" << YAML::Value << YAML::BeginSeq;
  for (const TrialPlan& t : s.trials)
    y << YAML::BeginMap << YAML::Key << "config_name" << YAML::Value << t.config_name << YAML::Key << "config_path"
      << YAML::Value << fs::absolute(t.config_path).lexically_normal().string() << YAML::Key << "num_nodes" << YAML::Value << t.num_nodes << YAML::Key
      << "gpus_per_node" << YAML::Value << t.gpus_per_node << YAML::Key << "max_minutes" << YAML::Value
      << t.max_minutes << YAML::Key << "max_steps" << YAML::Value << t.max_steps << YAML::Key
      << "predicted_step_time_s" << YAML::Value << t.predicted_step_time_s << YAML::Key << "reason" << YAML::Value
      << YAML::DoubleQuoted << t.reason << YAML::Key << "full_num_nodes" << YAML::Value << t.full_num_nodes
      << YAML::Key << "full_gbs" << YAML::Value << t.full_gbs << YAML::Key << "predicted_trial_step_time_s"
      << YAML::Value << t.predicted_trial_step_time_s << YAML::Key << "reserve" << YAML::Value << t.reserve
      << YAML::EndMap;
  y << YAML::EndSeq << YAML::EndMap;
  hp::write_file_atomic(s.results_dir + "/run_state.yaml", std::string(y.c_str()) + "\n");
}

RunSpec load_run_spec(const std::string& dir) {
  std::string path = dir + "/run_state.yaml";
  std::string text = read_text(path);
  if (text.empty()) throw hp::IoError(path, "no run state here (was the search started with --executor local|slurm?)");
  RunSpec s;
  s.results_dir = dir;
  try {
    YAML::Node n = YAML::Load(text);
    s.executor = n["executor"].as<std::string>();
    s.command_template = n["command_template"].as<std::string>();
    s.gpu = n["gpu"].as<std::string>("");
    s.size_b = n["size_b"].as<double>(0);
    s.time_limit_s = n["time_limit_s"].as<double>(0);
    s.max_concurrent = n["max_concurrent"].as<int>(0);
    s.learn = n["learn"].as<bool>(true);
    s.memory_margin = n["memory_margin"].as<double>(0.05);
    s.judge = n["judge"].as<bool>(true);
    for (const auto& kv : n["settings"]) s.settings[kv.first.as<std::string>()] = kv.second.as<std::string>();
    for (const YAML::Node& t : n["trials"]) {
      s.trials.push_back({t["config_name"].as<std::string>(), t["config_path"].as<std::string>(),
                          t["num_nodes"].as<int>(), t["gpus_per_node"].as<int>(), t["max_minutes"].as<int>(),
                          t["max_steps"].as<int>(), t["predicted_step_time_s"].as<double>(),
                          t["reason"].as<std::string>("")});
      TrialPlan& p = s.trials.back();  // run states written before trial sizing have none of these
      p.full_num_nodes = t["full_num_nodes"].as<int>(0);
      p.full_gbs = t["full_gbs"].as<int>(0);
      p.predicted_trial_step_time_s = t["predicted_trial_step_time_s"].as<double>(0);
      p.reserve = t["reserve"].as<bool>(false);
    }
  } catch (const YAML::Exception& e) {
    throw hp::ConfigError("run_state.yaml", path, e.what());
  }
  return s;
}

std::vector<TrialState> run_trials(RunSpec spec, Executor& ex, bool resume, const RunCallbacks& cb) {
  // Absolute from here on: run_state.yaml, the journal and the job scripts must not depend on the working
  // directory of the process that resumes them.
  spec.results_dir = fs::absolute(spec.results_dir).lexically_normal().string();
  for (TrialPlan& t : spec.trials) t.config_path = fs::absolute(t.config_path).lexically_normal().string();
  fs::create_directories(spec.results_dir);
  if (!resume) {
    std::error_code ec;
    fs::remove(journal_path(spec.results_dir), ec);
    hp::write_file_atomic(journal_path(spec.results_dir), "");  // exists from the start: collect trusts it
    save_run_spec(spec);
  }
  std::vector<TrialState> states, reserves;  // reserves: launched only to replace a trial the memory refit drops
  for (const TrialPlan& p : spec.trials) {
    TrialState s;
    s.plan = p;
    (p.reserve ? reserves : states).push_back(std::move(s));
  }
  if (resume) replay_journal(spec.results_dir, states, reserves);
  const auto t0 = Clock::now();
  auto now_s = [&] { return std::chrono::duration<double>(Clock::now() - t0).count(); };
  for (TrialState& t : states) {
    if (t.phase == TrialPhase::pending && t.job_id == "?") {  // submitted but not journaled: ask the scheduler
      t.job_id = ex.reattachable() ? ex.find_job(request_for(spec, t)) : "";
      if (!t.job_id.empty()) {
        t.phase = TrialPhase::active;
        journal(spec.results_dir, "submitted", t);
      }
    }
    if (t.phase == TrialPhase::finished) evaluate(spec.results_dir, t);
    if (t.phase == TrialPhase::active && !ex.reattachable()) {  // a local job cannot be re-attached: run it again
      if (ex.name() == "local") kill_stale_local_job(t.job_id, t.plan.config_name);
      journal(spec.results_dir, "abandoned", t);
      t.phase = TrialPhase::pending;
      t.job_id.clear();
    }
  }
  ConfigCache configs;
  hp::Calibration calibration = hp::default_calibration(hp::run_gpu(spec.gpu));
  for (TrialState& t : states) set_full_scale(spec, t, configs, calibration);
  if (spec.learn && resume) {
    calibration = learn_from_trials(spec, states, reserves, configs);
    judge_trials(spec, states, reserves, configs);
  }
  if (cb.on_change) cb.on_change(states);
  if (!ex.runs_jobs()) {  // none: write each trial's launch script, run nothing, journal nothing
    for (TrialState& t : states)
      if (t.phase == TrialPhase::pending) ex.submit(request_for(spec, t));
    return states;
  }
  int limit = spec.max_concurrent > 0 ? spec.max_concurrent : ex.max_concurrent();
  for (;;) {
    if (cb.interrupt && cb.interrupt->load()) {
      for (TrialState& t : states)
        if (t.phase == TrialPhase::active) ex.cancel(t.job_id);
      // Interrupted trials measured nothing on purpose: the journal marks them to run again on --resume.
      for (TrialState& t : states) {
        if (t.phase != TrialPhase::active) continue;
        t.job = ex.wait(t.job_id, 30);
        journal(spec.results_dir, "interrupted", t);
        t.phase = TrialPhase::pending;
      }
      if (cb.on_change) cb.on_change(states);
      return states;
    }
    bool changed = false;
    int active = 0;
    for (const TrialState& t : states) active += t.phase == TrialPhase::active;
    for (TrialState& t : states) {
      if (t.phase != TrialPhase::pending || (limit > 0 && active >= limit)) continue;
      JobRequest r = request_for(spec, t);
      if (ex.reattachable()) journal(spec.results_dir, "submitting", t);
      t.job_id = ex.submit(r);
      t.phase = TrialPhase::active;
      t.submitted_at_s = now_s();
      journal(spec.results_dir, "submitted", t);
      ++active;
      changed = true;
    }
    // By index: a promoted reserve joins the states while they are walked.
    for (std::size_t i = 0; i < states.size(); ++i) {
      TrialState& t = states[i];
      if (t.phase != TrialPhase::active) continue;
      JobStatus st = ex.poll(t.job_id);
      if (st.state != t.job.state) changed = true;
      t.job = st;
      if (!st.finished()) continue;
      t.phase = TrialPhase::finished;
      journal(spec.results_dir, "finished", t);
      evaluate(spec.results_dir, t);
      set_full_scale(spec, t, configs, calibration);
      if (spec.learn) {
        calibration = learn_from_trials(spec, states, reserves, configs);
        judge_trials(spec, states, reserves, configs);  // may append to states: t is not used after this
      }
    }
    if (changed && cb.on_change) cb.on_change(states);
    bool open = std::any_of(states.begin(), states.end(), [](const TrialState& t) {
      return t.phase == TrialPhase::pending || t.phase == TrialPhase::active;
    });
    if (!open) return states;
    std::this_thread::sleep_for(std::chrono::duration<double>(ex.poll_interval_s()));
  }
}

std::string status_table(const std::vector<TrialState>& states) {
  // predicted and full_scale are at the full node count; measured is what the trial measured on its own nodes
  // (nodes: trial/full), full_scale = measured + the model's scale terms (data-parallel communication, optimizer, PP hop).
  std::string out = fmt::format("{:<3} {:<66} {:<15} {:>7} {:<10} {:<10} {:>10} {:>10} {:>10}  {}\n", "#", "trial", "why",
                                "nodes", "job", "state", "predicted", "measured", "full_scale", "note");
  int i = 0;
  bool smaller = false;
  for (const TrialState& t : states) {
    std::string state = t.phase == TrialPhase::pending   ? "queued"
                        : t.phase == TrialPhase::dropped ? "dropped"
                                                         : to_string(t.job.state);
    double pred = t.repredicted_step_time_s > 0 ? t.repredicted_step_time_s : t.plan.predicted_step_time_s;
    std::string measured = t.stats.valid ? fmt::format("{:.4f}s", t.stats.mean_s) : "-";
    std::string full = t.full_scale.step_time_s > 0 ? fmt::format("{:.4f}s", t.full_scale.step_time_s) : "-";
    const int full_nodes = t.plan.full_num_nodes > 0 ? t.plan.full_num_nodes : t.plan.num_nodes;
    smaller = smaller || full_nodes != t.plan.num_nodes;
    std::string note = !t.note.empty() ? t.note : t.failure.kind != hp::FailureKind::none ? hp::to_string(t.failure.kind) : "";
    out += fmt::format("{:<3} {:<66} {:<15} {:>7} {:<10} {:<10} {:>10} {:>10} {:>10}  {}\n", ++i,
                       short_trial_name(t.plan.config_name).substr(0, 66), t.plan.reason.substr(0, 15),
                       fmt::format("{}/{}", t.plan.num_nodes, full_nodes), t.job_id.substr(0, 10), state,
                       pred > 0 ? fmt::format("{:.4f}s", pred) : "-", measured, full, note);
  }
  if (smaller)
    out += "nodes: trial/full; measured on the trial's nodes; predicted and full_scale at full scale, full_scale = "
           "measured - the model's scale terms on the trial + at full scale (docs/model.md)\n";
  return out;
}

}  // namespace hp::run
