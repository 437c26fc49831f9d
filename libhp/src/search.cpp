// The whole training search: check the settings, resolve model / base config / GPU, build the candidates by the
// policy, rank, plan and write the results directory (docs/usage.md).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "hp/catalog.hpp"
#include "hp/core.hpp"
#include "hp/families.hpp"
#include "hp/search.hpp"
#include "hp/sizing.hpp"
#include "yaml_util.hpp"

namespace hp {
namespace {

void check_list(const std::string& key, const std::vector<int>& values, int lo, int hi, const std::string& why) {
  for (int v : values)
    if (v < lo || v > hi) throw ConfigError("train_settings." + key, std::to_string(v), why);
}

void check_min(const std::string& key, double value, double lo, const std::string& why) {
  if (!(value >= lo)) throw ConfigError("train_settings." + key, fmt::format("{}", value), why);
}

struct Resolved {
  TrainingConfig base;
  std::string custom_yaml;
  double size_b = 0;
  GpuSpec gpu;
};

Resolved resolve(const SearchConfig& config) {
  const TrainSettings& t = config.train;
  Resolved r;
  r.gpu = t.gpu.empty() ? gpu_for_memory_gb(t.gpu_memory_gb) : find_gpu(t.gpu);
  r.size_b = t.model_size_in_b;
  const std::string builtin = builtin_base_config_reference(t.custom_config);
  if (!builtin.empty() && !family_has_size_rule(builtin)) {
    // ${auto_configurator_path}/base_configs/<name>.yaml: NeMo's shipped file, built in (its GBS, TP, PP, VP,
    // act-ckpt method and architecture drive NeMo's grid exactly as the file does).
    r.base = builtin_base_config(builtin);
    if (r.size_b <= 0) r.size_b = r.base.size_b;
  } else if (!t.custom_config.empty() && builtin.empty()) {
    std::filesystem::path path(t.custom_config);
    if (path.is_relative() && !std::filesystem::exists(path) && !config.path.empty())
      path = std::filesystem::path(config.path).parent_path() / path;
    r.custom_yaml = yaml::read_file(path.string());
    r.base = parse_nemo_yaml(r.custom_yaml, path.string());
    if (r.size_b <= 0) r.size_b = static_cast<double>(count_parameters(r.base.model).total) / 1e9;
  } else {
    if (r.size_b <= 0) {
      SizingInput in;
      in.family = t.model;
      in.num_gpus = t.num_nodes * t.gpus_per_node;
      in.tflops_per_gpu = t.tflops_per_gpu;
      in.max_training_days = t.max_training_days;
      in.num_tokens_in_b = t.num_tokens_in_b;
      r.size_b = recommend_model_size(in).estimated_size_b;  // NeMo builds the architecture for the raw estimate
    }
    BaseConfigRequest req;
    req.family = t.model;
    req.size_b = r.size_b;
    req.num_nodes = t.num_nodes;
    req.gpus_per_node = t.gpus_per_node;
    req.gpu_memory_gb = t.gpu_memory_gb;
    req.seq_length = t.seq_length;
    req.vocab_size = t.vocab_size;
    req.max_training_days = t.max_training_days;
    req.num_tokens_in_b = t.num_tokens_in_b;
    r.base = base_config(req);
  }
  if (t.global_batch_size > 0) r.base.global_batch_size = t.global_batch_size;
  r.base.num_nodes = t.num_nodes;
  return r;
}

// NeMo's default `logs: ${base_results_dir}/${search_config_value}_${.gpu_memory_gb}gb` with base_results_dir =
// ./results and search_config_value = <family>/<file name> (results/gpt3/5b_80gb); other interpolations -> ./results.
std::string results_dir_from_logs(const SearchConfig& config, const TrainSettings& t) {
  std::string logs = t.logs;
  auto replace = [&logs](const std::string& from, const std::string& to) {
    for (std::size_t at = logs.find(from); at != std::string::npos; at = logs.find(from, at + to.size()))
      logs.replace(at, from.size(), to);
  };
  const std::string stem = config.path.empty() || config.path == "<string>"
                               ? format_size_b(t.model_size_in_b) + "b"
                               : std::filesystem::path(config.path).stem().string();
  replace("${base_results_dir}", "results");
  replace("${search_config_value}", t.model + "/" + stem);
  replace("${.gpu_memory_gb}", std::to_string(t.gpu_memory_gb));
  replace("${search_config.train_settings.gpu_memory_gb}", std::to_string(t.gpu_memory_gb));
  return logs.empty() || logs.find("${") != std::string::npos ? std::string("results") : logs;
}

// NeMo's grid, evaluated by the model for information; the plan keeps NeMo's launch order.
void run_nemo_policy(SearchResult& result, const Resolved& r, const TrainSettings& t, bool fix_bugs) {
  NemoGridInput in;
  in.family = t.model;
  in.size_b = r.size_b;
  in.gpu_memory_gb = t.gpu_memory_gb;
  in.seq_length = r.base.model.seq_length;
  in.num_layers = r.base.model.num_layers;
  in.num_attention_heads = r.base.model.num_attention_heads;
  in.global_batch_size = r.base.global_batch_size;
  in.num_nodes = t.num_nodes;
  in.devices = fix_bugs ? t.gpus_per_node : 8;  // NeMo checks with the base YAML's trainer.devices (quirk 3)
  in.act_ckpt_method = r.base.activations_checkpoint_method;
  in.base_vp = r.base.virtual_pipeline_model_parallel_size;
  in.tp = t.tensor_parallel_sizes;
  in.pp = t.pipeline_parallel_sizes;
  in.mbs = t.micro_batch_sizes;
  in.cp = t.context_parallel_sizes;
  in.ep = t.expert_parallel_sizes;
  in.act_ckpt_layers = t.act_ckpt_layers;
  in.min_mp = t.min_model_parallel_size;
  in.max_mp = t.max_model_parallel_size;
  in.fix_bugs = fix_bugs;
  result.gbs = nemo_effective_gbs(in);
  const std::vector<NemoCandidate> grid = nemo_grid(in);
  const Calibration calibration = default_calibration(r.gpu);
  EstimateOptions options;
  options.memory_margin = t.memory_margin;
  result.enumerated = result.evaluated = grid.size();
  for (const NemoCandidate& c : grid) {
    // The layout NeMo would run: the candidate's YAML fields read back by the performance model.
    Trial trial;
    trial.num_nodes = result.num_nodes;
    trial.gpus_per_node = result.gpus_per_node;
    trial.layout.tp = c.tp;
    trial.layout.pp = c.pp;
    trial.layout.vp = std::max(1, c.vp);
    // modify_cfg writes CP and EP when set (GPT-like); BERT/T5 keep the base's.
    trial.layout.cp = c.cp > 0 ? c.cp : r.base.context_parallel_size;
    trial.layout.ep = c.ep > 0 ? c.ep : r.base.expert_model_parallel_size;
    trial.layout.mbs = c.mbs;
    trial.layout.gbs = result.gbs;
    trial.layout.sequence_parallel = r.base.sequence_parallel;
    trial.layout.distributed_optimizer = r.base.distributed_optimizer;
    trial.layout.precision = precision_from_nemo(r.base);  // NeMo's grid has no precision dimension
    trial.act_ckpt_layers = c.act_ckpt_layers;
    trial.num_micro_batches_with_partial_activation_checkpoints = c.num_mbs_act;
    trial.activations_checkpoint_layers_per_pipeline = c.act_per_pipe;
    Layout l = layout_from_nemo(trial_config(r.base, trial, SearchPolicy::nemo));
    RankedLayout row = to_ranked(l, estimate(r.base.model, l, r.gpu, calibration, options));
    row.act_ckpt_layers = c.act_ckpt_layers;
    row.num_mbs_act = c.num_mbs_act;
    row.act_per_pipe = c.act_per_pipe;
    row.nemo_launch_index = c.launch_index;
    row.name = nemo_run_name(t.model, r.size_b, t.num_nodes, c, t.legacy_names);  // cp/ep None for T5/BERT
    if (row.fits) {
      ++result.feasible;
    } else {
      auto it = std::find_if(result.infeasible.begin(), result.infeasible.end(),
                             [&](const InfeasibleCount& k) { return k.reason == row.reason; });
      if (it == result.infeasible.end()) it = result.infeasible.insert(result.infeasible.end(), {row.reason, 0, l, row.memory_bytes});
      ++it->count;
    }
    result.ranked.push_back(row);
  }
  if (grid.empty()) {
    result.message = fmt::format(
        "NeMo's grid for {} {}B on {} nodes is empty: no (tp, pp, mbs) from NeMo's tables divides GBS {} over {} GPUs",
        t.model, format_size_b(r.size_b), t.num_nodes, result.gbs, t.num_nodes * in.devices);
    if (!fix_bugs)
      result.suggestions.push_back("set train_settings.nemo_fix_bugs: true (or --nemo-fix-bugs): the GBS is rounded "
                                   "to a multiple of the GPU count");
    result.suggestions.push_back("use the model policy (--policy model), which searches every layout that divides");
  }
}

void run_model_policy(SearchResult& result, const Resolved& r, const TrainSettings& t, const ProgressFn& progress) {
  const int num_gpus = t.num_nodes * t.gpus_per_node;
  const SearchSpace space =
      default_space(r.base.model, t, r.gpu, num_gpus, r.base.global_batch_size, precision_from_nemo(r.base));
  // NeMo's T5/mT5 and BERT configs carry no FP8/FP4 keys (our writers follow them): a trial would run BF16 while
  // ranked in a lower precision, so asking for one there is an error, not a silent mismatch.
  if (r.base.model.is_encoder_decoder() || r.base.model.is_bert())
    for (Precision p : space.precisions)
      if (p != Precision::bf16 && (t.fp8 || !t.precisions.empty()))
        throw ConfigError(t.fp8 ? "train_settings.fp8" : "train_settings.precisions", t.fp8 ? "true" : to_string(p),
                          t.model + "'s NeMo config has no FP8 or FP4 keys, so its trials run BF16; search bf16 only");
  const Calibration calibration = default_calibration(r.gpu);
  EstimateOptions options;
  options.memory_margin = t.memory_margin;
  SearchResult ranked = rank_space(r.base.model, space, r.gpu, calibration, options, progress);
  result.enumerated = ranked.enumerated;
  result.evaluated = ranked.evaluated;
  result.feasible = ranked.feasible;
  result.ranked = std::move(ranked.ranked);
  result.infeasible = std::move(ranked.infeasible);
  result.gbs = space.gbs;
  if (result.feasible > 0) return;
  // Out of memory first (what a user can change), then the divisibility reasons by count.
  std::vector<InfeasibleCount> top = result.infeasible;
  std::stable_partition(top.begin(), top.end(), [](const InfeasibleCount& c) { return c.reason == Infeasible::out_of_memory; });
  std::string reasons;
  for (std::size_t i = 0; i < top.size() && i < 3; ++i) {
    const InfeasibleCount& c = top[i];
    reasons += fmt::format("{}{} x{} (e.g. {}{})", i ? "; " : "", to_string(c.reason), c.count,
                           describe_layout(c.example),
                           c.reason == Infeasible::out_of_memory
                               ? fmt::format(" needs {:.1f} GiB of {:.1f} GiB", c.example_memory_bytes / kGiB,
                                             r.gpu.memory_bytes / kGiB)
                               : std::string());
  }
  result.message = fmt::format("no layout of {} {}B divides and fits on {} x {} ({} layouts, {} evaluated): {}", t.model,
                               format_size_b(r.size_b), num_gpus, r.gpu.name, result.enumerated, result.evaluated,
                               reasons.empty() ? std::string("the space is empty") : reasons);
  result.suggestions = suggest_changes(r.base.model, space, r.gpu, calibration, options);
}

void make_plan(SearchResult& result, const TrainSettings& t) {
  Plan& plan = result.plan;
  plan.policy = to_string(result.policy);
  plan.model_name = fmt::format("{}_{}b", result.family, format_size_b(result.size_b));
  plan.num_nodes = t.num_nodes;
  plan.gpus_per_node = t.gpus_per_node;
  const bool nemo = result.policy == SearchPolicy::nemo;
  // NeMo's launcher runs every trial on the whole cluster; the model policy sizes each trial (trial_sizing.hpp).
  const TrialNodes sizing = nemo ? TrialNodes::full : parse_trial_nodes(t.trial_nodes);
  plan.trial_nodes = to_string(sizing);
  const Calibration calibration = default_calibration(result.gpu);
  EstimateOptions options;
  options.memory_margin = t.memory_margin;
  std::vector<TrialPick> picks;
  if (nemo) {
    // NeMo launches the first limit_search_runs entries of its list, repeats included (a repeat runs once here).
    for (std::size_t i = 0; i < result.ranked.size(); ++i)
      if (result.ranked[i].nemo_launch_index < t.limit_search_runs) picks.push_back({i, "nemo order"});
  } else {
    picks = select_trials(result.ranked, t.limit_search_runs);
  }
  // Reserves: what a plan twice as large would add, in rank order (select_trials' rule, so no near-ties).
  std::vector<TrialPick> reserves;
  if (!nemo) {
    std::vector<bool> picked(result.ranked.size(), false);
    for (const TrialPick& p : picks) picked[p.index] = true;
    for (const TrialPick& p : select_trials(result.ranked, 2 * t.limit_search_runs))
      if (!picked[p.index]) reserves.push_back({p.index, "reserve"});
  }
  const std::size_t num_planned = picks.size();
  picks.insert(picks.end(), reserves.begin(), reserves.end());
  for (std::size_t i = 0; i < picks.size(); ++i) {
    RankedLayout& row = result.ranked[picks[i].index];
    if (row.name.empty()) row.name = model_run_name(result.family, result.size_b, t.num_nodes, row, t.legacy_names);
    Trial trial;
    trial.index = static_cast<int>(i);
    trial.config_name = row.name;
    trial.config_path = (std::filesystem::path(plan.results_dir) / "candidate_configs" / (row.name + ".yaml")).string();
    const TrialSize size = trial_size(result.model, row.layout, t.num_nodes, t.gpus_per_node, sizing, result.gpu,
                                      calibration, options);
    trial.num_nodes = size.num_nodes;
    trial.gpus_per_node = t.gpus_per_node;
    trial.full_num_nodes = t.num_nodes;
    trial.full_gbs = row.layout.gbs;
    trial.max_minutes = t.max_minutes_per_run;
    trial.time_limit = search_time_limit(t.max_minutes_per_run, nemo && !t.nemo_fix_bugs);
    trial.max_steps = t.max_steps_per_run;
    trial.predicted_step_time_s = row.step_time_s;
    trial.predicted_trial_step_time_s = row.step_time_s;
    trial.predicted_memory_bytes = row.memory_bytes;
    trial.predicted_trial_memory_bytes = row.memory_bytes;
    trial.layout = size.layout;
    if (size.num_nodes != t.num_nodes) {
      const Estimate e = estimate(result.model, size.layout, result.gpu, calibration, options);
      trial.predicted_trial_step_time_s = e.time.step_time_s;
      trial.predicted_trial_memory_bytes = e.memory.total_bytes;
    }
    trial.act_ckpt_layers = row.act_ckpt_layers;
    trial.num_micro_batches_with_partial_activation_checkpoints = row.num_mbs_act;
    trial.activations_checkpoint_layers_per_pipeline = row.act_per_pipe;
    trial.reason = picks[i].reason;
    (i < num_planned ? plan.trials : plan.reserves).push_back(trial);
  }
}

// What the search took without the config saying it, in words (hp-cli prints these under its first line).
std::vector<std::string> assumptions(const TrainSettings& t, const SearchResult& result) {
  std::vector<std::string> out;
  if (t.gpu.empty())
    out.push_back(fmt::format("GPU {} from train_settings.gpu_memory_gb {}, as NeMo reads it (else: "
                              "train_settings.gpu or --gpu)", result.gpu.name, t.gpu_memory_gb));
  if (result.policy == SearchPolicy::model && t.sequence_parallel.empty())
    out.push_back("sequence parallel on when tp > 1 (train_settings.sequence_parallel: auto)");
  if (t.global_batch_size == 0 && t.custom_config.empty())
    out.push_back(fmt::format("GBS {} from NeMo's table for the size (set train_settings.global_batch_size)",
                              result.gbs));
  return out;
}

}  // namespace

TrainingConfig search_base_config(const SearchConfig& config) { return resolve(config).base; }

const char* to_string(SearchPolicy policy) noexcept { return policy == SearchPolicy::nemo ? "nemo" : "model"; }

SearchPolicy parse_search_policy(const std::string& value, const std::string& key) {
  if (value == "model") return SearchPolicy::model;
  if (value == "nemo") return SearchPolicy::nemo;
  throw ConfigError(key, value, "expected model or nemo");
}

void validate_train_settings(const TrainSettings& t) {
  parse_search_policy(t.policy);
  check_min("model_size_in_b", t.model_size_in_b, 0, "must be >= 0 (or null)");
  check_min("num_nodes", t.num_nodes, 1, "must be >= 1");
  check_min("gpus_per_node", t.gpus_per_node, 1, "must be >= 1");
  if (t.gpu.empty() && t.gpu_memory_gb != 40 && t.gpu_memory_gb != 80)
    throw ConfigError("train_settings.gpu_memory_gb", std::to_string(t.gpu_memory_gb),
                      "must be 40 or 80 (or name the GPU with train_settings.gpu)");
  check_min("limit_search_runs", t.limit_search_runs, 1, "must be >= 1");
  check_min("max_steps_per_run", t.max_steps_per_run, 1, "must be >= 1");
  check_min("max_minutes_per_run", t.max_minutes_per_run, 10, "must be >= 10 (as NeMo enforces)");
  check_min("global_batch_size", t.global_batch_size, 0, "must be >= 1 (or 0 for NeMo's default)");
  parse_trial_nodes(t.trial_nodes, "train_settings.trial_nodes");
  if (!(t.memory_margin >= 0 && t.memory_margin < 1))
    throw ConfigError("train_settings.memory_margin", fmt::format("{}", t.memory_margin), "must be in [0, 1)");
  const int big = 1 << 20;
  check_list("tensor_parallel_sizes", t.tensor_parallel_sizes, 1, big, "must be >= 1");
  check_list("pipeline_parallel_sizes", t.pipeline_parallel_sizes, 1, big, "must be >= 1");
  check_list("micro_batch_sizes", t.micro_batch_sizes, 1, big, "must be >= 1");
  check_list("act_ckpt_layers", t.act_ckpt_layers, 0, big, "must be >= 0");
  check_list("virtual_pipeline_sizes", t.virtual_pipeline_sizes, 1, big, "must be >= 1");
  check_list("context_parallel_sizes", t.context_parallel_sizes, 1, big, "must be >= 1");
  check_list("expert_parallel_sizes", t.expert_parallel_sizes, 1, big, "must be >= 1");
  check_list("expert_tensor_parallel_sizes", t.expert_tensor_parallel_sizes, 1, big, "must be >= 1");
  check_list("sequence_parallel", t.sequence_parallel, 0, 1, "must be 0 or 1 (false or true)");
  check_list("distributed_optimizer", t.distributed_optimizer, 0, 1, "must be 0 or 1 (false or true)");
  check_min("min_model_parallel_size", t.min_model_parallel_size, 0, "must be >= 1 (or auto)");
  check_min("max_model_parallel_size", t.max_model_parallel_size, 0, "must be >= 1 (or auto)");
  for (const std::string& m : t.recompute_modes) recompute_from_string("train_settings.recompute_modes", m);
  parse_precisions(t.precisions, "train_settings.precisions");
  if (t.fp8 && !t.precisions.empty())
    throw ConfigError("train_settings.fp8", "true", "conflicts with train_settings.precisions; list fp8 there instead");
  if (!t.precisions.empty() && t.policy == "nemo") {
    std::string words;
    for (const std::string& w : t.precisions) words += (words.empty() ? "" : ",") + w;
    throw ConfigError("train_settings.precisions", words,
                      "the nemo policy runs NeMo's grid at the base config's precision; search precisions with "
                      "the model policy (--policy model)");
  }
}

SearchResult search(const SearchConfig& config, const SearchOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  TrainSettings t = config.train;
  if (options.nemo_fix_bugs) t.nemo_fix_bugs = true;
  if (options.legacy_names) t.legacy_names = true;
  if (!options.policy.empty()) t.policy = to_string(parse_search_policy(options.policy, "--policy"));
  if (!options.trial_nodes.empty()) t.trial_nodes = to_string(parse_trial_nodes(options.trial_nodes, "--trial-nodes"));
  validate_train_settings(t);
  const Resolved r = resolve(config);

  SearchResult result;
  result.policy = parse_search_policy(t.policy);
  result.family = t.model;
  result.legacy_names = t.legacy_names;
  result.size_b = r.size_b;
  result.model = r.base.model;
  result.gpu = r.gpu;
  result.num_nodes = t.num_nodes;
  result.gpus_per_node = t.gpus_per_node;
  result.plan.results_dir = !options.results_dir.empty() ? options.results_dir : results_dir_from_logs(config, t);
  if (options.write_files && holds_search_results(result.plan.results_dir)) {
    // Another search's trials, journal and reports must not be silently re-run and overwritten.
    if (!options.force)
      throw ConfigError("results_dir", result.plan.results_dir,
                        "holds another search's results; continue it with --resume DIR (Python: resume()), or replace "
                        "them with --force (force=True)");
    remove_search_results(result.plan.results_dir);
  }
  if (result.policy == SearchPolicy::nemo) {
    run_nemo_policy(result, r, t, t.nemo_fix_bugs);
  } else {
    run_model_policy(result, r, t, options.progress);
  }
  if (result.policy == SearchPolicy::model || !result.ranked.empty()) make_plan(result, t);
  result.assumed = assumptions(t, result);
  result.evaluate_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (options.write_files) {
    std::error_code ec;
    result.created_results_dir = !std::filesystem::exists(result.plan.results_dir, ec);
    TrainingConfig base = r.base;
    base.global_batch_size = result.gbs;
    write_search_results(result, base, r.custom_yaml);
  }
  result.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace hp
