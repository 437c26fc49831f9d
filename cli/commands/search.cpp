// hp-cli search: training HP search (seed capability 1.3): rank every layout, write candidate configs and a plan.
// Launching the plan is the executor's job (--executor none plans and stops).
#include <fmt/core.h>
#include <unistd.h>

#include <chrono>
#include <memory>

#include "command.hpp"
#include "hp/core.hpp"
#include "hp/search.hpp"
#include "hp/search_summary.hpp"
#include "hp/run/search_launch.hpp"
#include "json.hpp"
#include "launch_cli.hpp"
#include "search_print.hpp"

namespace {

struct Opts {
  std::string config;
  std::string policy;
  std::string executor = "none";
  std::string results_dir;
  bool json = false;
  bool profile = false;
  bool nemo_fix_bugs = false;
  bool legacy_names = false;
  bool no_write = false;
  bool force = false;
  std::string resume;
  std::string nodes, gpus_per_node, gpu, precisions;  // overrides, checked by the library like the file's values
  std::string trial_nodes;
};

// A progress bar on stderr, drawn only when the search has run for more than a second and stderr is a terminal.
hp::ProgressFn progress_bar() {
  if (!isatty(2)) return {};
  auto start = std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
  auto drawn = std::make_shared<bool>(false);
  return [start, drawn](std::uint64_t done, std::uint64_t total) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - *start).count();
    if (elapsed < 1.0 || total == 0) return;
    const int width = 40, filled = static_cast<int>(width * done / total);
    fmt::print(stderr, "\r[{}{}] {:3}% {}/{} layouts", std::string(filled, '#'), std::string(width - filled, '.'),
               100 * done / total, done, total);
    *drawn = true;
    if (done >= total) fmt::print(stderr, "\n");
  };
}

std::string result_json(const hp::SearchResult& r) {
  std::vector<std::string> trials, reasons, suggestions;
  for (const auto& t : r.plan.trials) trials.push_back(hp::run::json_record(hp::trial_record(t)));
  for (const auto& c : r.infeasible) {
    hpcli::JsonObject j;
    j.str("reason", hp::to_string(c.reason)).integer("count", static_cast<long long>(c.count)).str("example", hp::describe_layout(c.example));
    reasons.push_back(j.dump());
  }
  for (const auto& s : r.suggestions) suggestions.push_back(hpcli::json_string(s));
  std::vector<std::string> assumed;
  for (const auto& a : r.assumed) assumed.push_back(hpcli::json_string(a));
  const hp::SearchSummary s = hp::summarize_search(r, hp::validated_error_band());
  hpcli::JsonObject summary;
  summary.num("error_band", s.band.fraction).integer("error_band_runs", s.band.num_runs).str("error_band_source", s.band.source);
  if (!s.empty) {
    summary.str("best", hp::result_row_name(r, r.ranked[s.best])).str("best_layout", hp::layout_in_words(r.ranked[s.best]));
    summary.integer("within_band", static_cast<long long>(s.num_within_band));
    std::vector<std::string> ties;
    for (std::size_t i : s.exact_ties) ties.push_back(hpcli::json_string(hp::result_row_name(r, r.ranked[i])));
    summary.raw("exact_ties", hpcli::json_array(ties));
    summary.raw("roomier", s.roomier < 0 ? "null" : hpcli::json_string(hp::result_row_name(r, r.ranked[static_cast<std::size_t>(s.roomier)])));
  }
  hpcli::JsonObject j;
  j.str("policy", hp::to_string(r.policy))
      .str("model", r.plan.model_name)
      .str("gpu", r.gpu.name)
      .integer("num_nodes", r.num_nodes)
      .integer("gpus_per_node", r.gpus_per_node)
      .integer("gbs", r.gbs)
      .integer("enumerated", static_cast<long long>(r.enumerated))
      .integer("evaluated", static_cast<long long>(r.evaluated))
      .integer("feasible", static_cast<long long>(r.feasible))
      .num("elapsed_s", r.elapsed_s)
      .num("evaluate_s", r.evaluate_s)
      .str("results_dir", r.plan.results_dir)
      .str("trial_nodes", r.plan.trial_nodes)
      .num("gpu_hours", r.plan.gpu_hours())
      .num("full_size_gpu_hours", r.plan.full_size_gpu_hours())
      .raw("plan", hpcli::json_array(trials))
      .raw("infeasible", hpcli::json_array(reasons))
      .raw("assumed", hpcli::json_array(assumed))
      .raw("summary", summary.dump())
      .str("message", r.message)
      .raw("suggestions", hpcli::json_array(suggestions));
  return j.dump();
}

std::function<int()> setup(CLI::App& app) {
  auto o = std::make_shared<Opts>();
  app.description("Training HP search: rank every parallel layout and write candidate configs and a launch plan");
  app.add_option("config", o->config, "Search config YAML (NeMo's search_config format); not with --resume");
  app.add_option("--policy", o->policy, "model (rank every layout with the performance model) or nemo (NeMo's grid); "
                                        "default: train_settings.policy");
  app.add_option("--executor", o->executor,
                 "none: plan only (candidate configs, plan.yaml, each trial's sbatch script); local: run the trials here (Boost.Process, "
                 "executor.max_concurrent at once); slurm: sbatch each trial (cluster.* keys), poll, collect")
      ->capture_default_str();
  app.add_option("--resume", o->resume,
                 "Continue the search in this results directory after a crash or kill -9: finished trials are kept, "
                 "queued or running Slurm jobs are polled again, nothing finished runs twice");
  app.add_option("--results-dir", o->results_dir, "Results directory (default: train_settings.logs, else ./results)");
  app.add_option("--nodes", o->nodes, "Override train_settings.num_nodes");
  app.add_option("--gpus-per-node", o->gpus_per_node, "Override train_settings.gpus_per_node");
  app.add_option("--gpu", o->gpu, "Override train_settings.gpu (a catalogue name, see hp-cli gpus)");
  app.add_option("--precisions", o->precisions,
                 "Override train_settings.precisions: GEMM precisions to search, comma-separated (bf16, fp8, fp8-cs, "
                 "mxfp8, nvfp4; default: the base config's precision)");
  app.add_flag("--json", o->json, "Print one JSON object");
  app.add_flag("--profile", o->profile, "Print the time spent to stderr");
  app.add_flag("--nemo-fix-bugs", o->nemo_fix_bugs, "nemo policy: fix NeMo's known grid bugs");
  app.add_flag("--legacy-names", o->legacy_names, "candidate names without NeMo HEAD's _cp_<cp>_ep_<ep>_");
  app.add_flag("--no-write", o->no_write, "Do not write the results directory");
  app.add_option("--trial-nodes", o->trial_nodes,
                 "min: each trial on the fewest nodes its layout needs, the full-scale step time predicted from it; "
                 "full: every trial on all nodes (default: train_settings.trial_nodes, min; the nemo policy runs full)");
  app.add_flag("--force", o->force,
               "Replace another search's results in the results directory (default: refuse; --resume continues it)");
  return [o]() -> int {
    if (!o->resume.empty()) {
      if (!o->config.empty()) throw hp::ConfigError("--resume", o->resume, "give either a config or --resume DIR");
      hp::run::RunSpec spec;
      spec.results_dir = o->resume;
      spec.executor = o->executor;  // none keeps the executor the run was started with
      return hpcli::print_run(hp::run::launch(spec, true, o->json ? nullptr : stderr), o->resume, o->json, "");
    }
    if (o->config.empty()) throw hp::ConfigError("config", "", "a search config is required (or --resume DIR)");
    if (o->executor != "none" && o->executor != "local" && o->executor != "slurm")
      throw hp::ConfigError("--executor", o->executor, "expected none, local or slurm");
    if (o->executor != "none" && o->no_write)
      throw hp::ConfigError("--no-write", "true", "running trials needs the results directory (drop --no-write)");
    std::vector<hp::TrainOverride> overrides;
    if (!o->nodes.empty()) overrides.push_back({"num_nodes", o->nodes, "--nodes"});
    if (!o->gpus_per_node.empty()) overrides.push_back({"gpus_per_node", o->gpus_per_node, "--gpus-per-node"});
    if (!o->gpu.empty()) overrides.push_back({"gpu", o->gpu, "--gpu"});
    if (!o->precisions.empty()) {
      overrides.push_back({"precisions", o->precisions, "--precisions"});
      overrides.push_back({"fp8", "false", "--precisions"});  // the list replaces the file's fp8: true
    }
    const hp::SearchConfig config = hp::load_search_config(o->config, overrides);
    hp::SearchOptions options;
    options.policy = o->policy;
    options.results_dir = o->results_dir;
    options.write_files = !o->no_write;
    options.nemo_fix_bugs = o->nemo_fix_bugs;
    options.legacy_names = o->legacy_names;
    options.force = o->force;
    options.trial_nodes = o->trial_nodes;
    options.progress = progress_bar();
    const bool run = o->executor != "none";
    hp::run::LaunchChoice choice;  // none still writes each trial's launch script
    choice.executor = o->executor;
    choice.status = run && !o->json ? stderr : nullptr;
    choice.on_searched = [&](const hp::SearchResult& r) {
      if (o->profile)
        fmt::print(stderr,
                   "profile: {} layouts enumerated, {} evaluated, {} feasible; search {:.4f} s ({:.3f} us per layout), "
                   "writing {:.4f} s\n",
                   r.enumerated, r.evaluated, r.feasible, r.evaluate_s,
                   r.enumerated ? 1e6 * r.evaluate_s / static_cast<double>(r.enumerated) : 0.0,
                   r.elapsed_s - r.evaluate_s);
      if (run && !o->json && !r.plan.trials.empty()) hpcli::print_search_text(r, hpcli::AfterSearch::launch);
    };
    const hp::run::SearchLaunchOutcome out = hp::run::search_and_launch(config, options, choice);
    const hp::SearchResult& r = out.search;
    const bool none = r.plan.trials.empty();
    if (run && out.launched) return hpcli::print_run(out.run, out.spec.results_dir, o->json, o->json ? result_json(r) : "");
    if (o->json) {
      fmt::print("{}\n", result_json(r));
      return none ? hpcli::kNoFeasible : hpcli::kOk;
    }
    if (none) {
      std::string text = r.message;
      for (const auto& s : r.suggestions) text += "\n  nearest feasible change: " + s;
      throw hp::NoFeasibleLayoutError(text);
    }
    hpcli::print_search_text(r, o->no_write ? hpcli::AfterSearch::not_written : hpcli::AfterSearch::written);
    return hpcli::kOk;
  };
}

}  // namespace

HP_CLI_COMMAND("search", 40, setup);
