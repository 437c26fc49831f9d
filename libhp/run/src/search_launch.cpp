#include "hp/run/search_launch.hpp"

#include <filesystem>

#include "hp/core.hpp"
#include "hp/search.hpp"
#include "journal.hpp"

namespace hp::run {

RunSpec run_spec_from_search(const hp::SearchConfig& config, const hp::SearchResult& result, const std::string& executor) {
  RunSpec spec;
  spec.results_dir = std::filesystem::absolute(result.plan.results_dir).lexically_normal().string();
  spec.executor = executor;
  // Checked before any job exists (sbatch_options checks again per job): Slurm expands %j, %x, ... in log paths.
  if (executor == "slurm" && spec.results_dir.find('%') != std::string::npos)
    throw hp::ConfigError("results_dir", spec.results_dir, "a log path for Slurm may not contain '%'");
  spec.gpu = result.gpu.name;
  spec.size_b = result.size_b;
  spec.judge = result.policy == hp::SearchPolicy::model;
  spec.memory_margin = config.train.memory_margin;
  auto it = config.extra.find("trial.command");
  spec.command_template = it != config.extra.end() ? it->second : "";
  for (int i = 0; it == config.extra.end(); ++i) {  // a YAML list: one element per argument
    auto word = config.extra.find("trial.command[" + std::to_string(i) + "]");
    if (word == config.extra.end()) break;
    spec.command_template += (i ? " " : "") + shell_quote(word->second);
  }
  if (spec.command_template.empty()) spec.command_template = default_trial_command(result.family);
  for (const auto& [k, v] : config.extra) {
    if (k.rfind("executor.", 0) == 0 || k.rfind("cluster.", 0) == 0 || k == "training_container") spec.settings[k] = v;
    try {
      std::size_t used = 0;
      if (k == "executor.time_limit_s") {
        spec.time_limit_s = std::stod(v, &used);
        // A negative or non-finite limit would silently remove the time limit (0 = each trial's max_minutes).
        if (used != v.size() || !(spec.time_limit_s >= 0 && spec.time_limit_s <= 365.0 * 86400))
          throw hp::ConfigError(k, v, "expected seconds in [0, 31536000] (0 = max_minutes of each trial)");
      }
      if (k == "executor.max_concurrent") {
        spec.max_concurrent = std::stoi(v, &used);
        if (used != v.size() || spec.max_concurrent < 1) throw hp::ConfigError(k, v, "expected an integer >= 1");
      }
    } catch (const std::logic_error&) {  // std::stod / std::stoi: not a number, out of range
      throw hp::ConfigError(k, v, "expected a number");
    }
    if (k == "search.learn") spec.learn = v == "true" || v == "1" || v == "True";
    if (k == "search.judge") spec.judge = spec.judge && (v == "true" || v == "1" || v == "True");
  }
  auto add = [&](const hp::Trial& t, bool reserve) {
    TrialPlan p{t.config_name, std::filesystem::absolute(t.config_path).lexically_normal().string(), t.num_nodes,
                t.gpus_per_node, t.max_minutes, t.max_steps, t.predicted_step_time_s, t.reason};
    p.full_num_nodes = t.full_num_nodes;
    p.full_gbs = t.full_gbs;
    p.predicted_trial_step_time_s = t.predicted_trial_step_time_s;
    p.reserve = reserve;
    spec.trials.push_back(p);
  };
  for (const hp::Trial& t : result.plan.trials) add(t, false);
  if (spec.judge && spec.learn)  // reserves only replace trials the memory refit drops
    for (const hp::Trial& t : result.plan.reserves) add(t, true);
  return spec;
}

}  // namespace hp::run

namespace hp::run {

SearchLaunchOutcome search_and_launch(const hp::SearchConfig& config, const hp::SearchOptions& options,
                                      const LaunchChoice& choice) {
  SearchLaunchOutcome out;
  out.search = hp::search(config, options);
  if (choice.on_searched) choice.on_searched(out.search);
  if (out.search.plan.trials.empty() || !options.write_files) return out;
  try {
    out.spec = run_spec_from_search(config, out.search, choice.custom ? "python" : choice.executor);
    out.run = choice.custom ? launch_with(out.spec, *choice.custom, false, choice.status)
                            : launch(out.spec, false, choice.status);
  } catch (const hp::Error&) {
    // An error before any job was submitted (a bad cluster key, a '%' in the results path) leaves nothing behind:
    // the search's own files go, and the directory too when this call created it.
    bool submitted = false;
    try {
      for (const JournalEvent& e : read_journal(out.search.plan.results_dir))
        submitted = submitted || e.event == "submitting" || e.event == "submitted";
    } catch (const hp::Error&) {
      submitted = true;  // cannot tell: keep everything
    }
    if (!submitted) {
      hp::remove_search_results(out.search.plan.results_dir);
      std::error_code ec;
      if (out.search.created_results_dir) std::filesystem::remove(out.search.plan.results_dir, ec);  // only if empty
    }
    throw;
  }
  out.launched = true;
  return out;
}

}  // namespace hp::run
