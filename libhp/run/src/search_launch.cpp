#include "hp/run/search_launch.hpp"

#include "hp/core.hpp"

namespace hpfe {

RunSpec run_spec_from_search(const hp::SearchConfig& config, const hp::SearchResult& result, const std::string& executor) {
  RunSpec spec;
  spec.results_dir = result.plan.results_dir;
  spec.executor = executor;
  spec.gpu = result.gpu.name;
  spec.size_b = result.size_b;
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
      if (k == "executor.time_limit_s") spec.time_limit_s = std::stod(v);
      if (k == "executor.max_concurrent") spec.max_concurrent = std::stoi(v);
    } catch (const std::exception&) {
      throw hp::ConfigError(k, v, "expected a number");
    }
    if (k == "search.learn") spec.learn = v == "true" || v == "1" || v == "True";
  }
  for (const hp::Trial& t : result.plan.trials)
    spec.trials.push_back({t.config_name, t.config_path, t.num_nodes, t.gpus_per_node, t.max_minutes, t.max_steps,
                           t.predicted_step_time_s});
  return spec;
}

}  // namespace hpfe

namespace hpfe {

SearchLaunchOutcome search_and_launch(const hp::SearchConfig& config, const hp::SearchOptions& options,
                                      const LaunchChoice& choice) {
  SearchLaunchOutcome out;
  out.search = hp::search(config, options);
  if (choice.on_searched) choice.on_searched(out.search);
  if (out.search.plan.trials.empty() || !options.write_files) return out;
  out.spec = run_spec_from_search(config, out.search, choice.custom ? "python" : choice.executor);
  out.run = choice.custom ? launch_with(out.spec, *choice.custom, false, choice.status)
                          : launch(out.spec, false, choice.status);
  out.launched = true;
  return out;
}

}  // namespace hpfe
