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

namespace fs = std::filesystem;

namespace hpfe {
namespace {

using Clock = std::chrono::steady_clock;

void journal(const std::string& dir, const std::string& event, const TrialState& t) {
  JournalEvent e{event, t.plan.config_name, t.job_id};
  if (event == "finished") e = {event, t.plan.config_name, t.job_id, to_string(t.job.state), t.job.exit_code, t.job.signal, t.job.scheduler_state};
  append_journal(dir, e);
}

// Replays the journal into the states (by config name).
void replay_journal(const std::string& dir, std::vector<TrialState>& states) {
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

// A trial's candidate config, read once per run.
const hp::TrainingConfig& config_of(std::map<std::string, hp::TrainingConfig>& configs, const TrialPlan& p) {
  auto it = configs.find(p.config_path);
  if (it == configs.end()) it = configs.emplace(p.config_path, hp::load_nemo_yaml(p.config_path)).first;
  return it->second;
}

// Refit the efficiency factors on the measured trials (libhp's one refit), re-predict the pending ones and put
// them in the new order.
void learn(const RunSpec& spec, std::vector<TrialState>& states, std::map<std::string, hp::TrainingConfig>& configs) {
  auto config = [&](const TrialPlan& p) -> const hp::TrainingConfig& { return config_of(configs, p); };
  std::vector<hp::TrialResult> measured;
  for (const TrialState& t : states) {
    if (t.phase != TrialPhase::finished || !t.stats.valid || t.failure.kind != hp::FailureKind::none) continue;
    hp::TrialResult r;
    r.config_name = t.plan.config_name;
    r.config = config(t.plan);
    r.stats = t.stats;
    r.failure = t.failure;
    measured.push_back(std::move(r));
  }
  if (measured.empty()) return;
  const hp::GpuSpec gpu = hp::run_gpu(spec.gpu);
  const hp::Refit fit = hp::refit_on_trials(measured, gpu);
  std::vector<TrialState*> pending;
  for (TrialState& t : states) {
    if (t.phase != TrialPhase::pending) continue;
    t.repredicted_step_time_s = hp::predict_step_time_s(config(t.plan), gpu, fit.calibration);
    pending.push_back(&t);
  }
// Pending trials sit after every started one; reorder them among themselves by the new prediction.
  std::vector<TrialState> sorted;
  for (TrialState* p : pending) sorted.push_back(*p);
  std::stable_sort(sorted.begin(), sorted.end(), [](const TrialState& a, const TrialState& b) {
    return a.repredicted_step_time_s < b.repredicted_step_time_s;
  });
  for (std::size_t i = 0; i < pending.size(); ++i) *pending[i] = sorted[i];
}

// Ask libhp which queued trials still run (memory refit after cuda_oom, time-limit evidence, the stop rule) and
// drop the others, journaled, with the reason in the note.
void judge(const RunSpec& spec, std::vector<TrialState>& states, std::map<std::string, hp::TrainingConfig>& configs) {
  auto config = [&](const TrialPlan& p) -> const hp::TrainingConfig& { return config_of(configs, p); };
  std::vector<hp::FinishedTrial> finished;
  std::vector<hp::QueuedTrial> queued;
  const hp::ModelSpec* model = nullptr;
  for (const TrialState& t : states) {
    const double predicted = t.repredicted_step_time_s > 0 ? t.repredicted_step_time_s : t.plan.predicted_step_time_s;
    if (t.phase == TrialPhase::finished) {
      const hp::TrainingConfig& c = config(t.plan);
      if (!model) model = &c.model;
      if (c.model.name != model->name) continue;  // one model per search
      const bool ok = t.stats.valid && t.failure.kind == hp::FailureKind::none;
      finished.push_back({t.plan.config_name, hp::layout_from_nemo(c), hp::to_string(t.failure.kind),
                          ok ? t.stats.mean_s : 0.0, predicted, t.max_allocated_bytes});
    } else if (t.phase == TrialPhase::pending) {
      queued.push_back({t.plan.config_name, hp::layout_from_nemo(config(t.plan)), predicted});
    }
  }
  if (!spec.judge || !model || queued.empty()) return;
  const hp::GpuSpec gpu = hp::run_gpu(spec.gpu);
  const hp::Calibration calibration = hp::default_calibration(gpu);  // memory does not use the time refit
  hp::EstimateOptions options;
  options.memory_margin = spec.memory_margin;
  const hp::QueueVerdict v = hp::judge_queue(*model, gpu, calibration, finished, queued, hp::kModelRelativeError, options);
  for (TrialState& t : states) {
    if (t.phase != TrialPhase::pending) continue;
    const auto it = std::find(v.drop.begin(), v.drop.end(), t.plan.config_name);
    if (it != v.drop.end()) {
      t.note = "dropped: " + v.drop_reasons[static_cast<std::size_t>(it - v.drop.begin())];
    } else if (v.stop) {
      t.note = v.stop_reason;
    } else {
      continue;
    }
    t.phase = TrialPhase::dropped;
    journal(spec.results_dir, "dropped", t);
  }
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
      << YAML::DoubleQuoted << t.reason << YAML::EndMap;
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
    for (const YAML::Node& t : n["trials"])
      s.trials.push_back({t["config_name"].as<std::string>(), t["config_path"].as<std::string>(),
                          t["num_nodes"].as<int>(), t["gpus_per_node"].as<int>(), t["max_minutes"].as<int>(),
                          t["max_steps"].as<int>(), t["predicted_step_time_s"].as<double>(),
                          t["reason"].as<std::string>("")});
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
  std::vector<TrialState> states;
  for (const TrialPlan& p : spec.trials) states.push_back(TrialState{p});
  if (resume) replay_journal(spec.results_dir, states);
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
  std::map<std::string, hp::TrainingConfig> configs;
  if (spec.learn && resume) {
    learn(spec, states, configs);
    judge(spec, states, configs);
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
    for (TrialState& t : states) {
      if (t.phase != TrialPhase::active) continue;
      JobStatus st = ex.poll(t.job_id);
      if (st.state != t.job.state) changed = true;
      t.job = st;
      if (!st.finished()) continue;
      t.phase = TrialPhase::finished;
      journal(spec.results_dir, "finished", t);
      evaluate(spec.results_dir, t);
      if (spec.learn) {
        learn(spec, states, configs);
        judge(spec, states, configs);
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
  std::string out = fmt::format("{:<3} {:<66} {:<15} {:<10} {:<10} {:>10} {:>10}  {}\n", "#", "trial", "why", "job",
                                "state", "predicted", "measured", "note");
  int i = 0;
  for (const TrialState& t : states) {
    std::string state = t.phase == TrialPhase::pending   ? "queued"
                        : t.phase == TrialPhase::dropped ? "dropped"
                                                         : to_string(t.job.state);
    double pred = t.repredicted_step_time_s > 0 ? t.repredicted_step_time_s : t.plan.predicted_step_time_s;
    std::string measured = t.stats.valid ? fmt::format("{:.4f}s", t.stats.mean_s) : "-";
    std::string note = !t.note.empty() ? t.note : t.failure.kind != hp::FailureKind::none ? hp::to_string(t.failure.kind) : "";
    out += fmt::format("{:<3} {:<66} {:<15} {:<10} {:<10} {:>10} {:>10}  {}\n", ++i,
                       short_trial_name(t.plan.config_name).substr(0, 66), t.plan.reason.substr(0, 15), t.job_id.substr(0, 10), state, pred > 0 ? fmt::format("{:.4f}s", pred) : "-", measured, note);
  }
  return out;
}

}  // namespace hpfe
