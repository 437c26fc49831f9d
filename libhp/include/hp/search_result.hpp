// What a search produces: ranked layouts, infeasible counts, the trials of the launch plan, the result.
// Public header: standard-library types only. Rules and sources: docs/model.md.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>
#include "hp/hardware.hpp"
#include "hp/perf.hpp"
#include "hp/record.hpp"
#include "hp/search_space.hpp"

namespace hp {

/// One evaluated layout (feasible ones are ranked; NeMo candidates are kept in launch order).
struct RankedLayout {
  Layout layout;
  int act_ckpt_layers = -1;   ///< NeMo's fields (-1 = None); model policy: full recompute layers per chunk
  int num_mbs_act = -1;
  int act_per_pipe = -1;
  int nemo_launch_index = -1; ///< nemo policy: NemoCandidate::launch_index (planned when < limit_search_runs)
  bool fits = true;
  Infeasible reason = Infeasible::none;
  double step_time_s = 0;
  double memory_bytes = 0;
  double tokens_per_s_per_gpu = 0;
  double tflops_per_gpu = 0;
  double mfu = 0;
  std::string name;           ///< config name (filled for planned trials and the summary)
};

/// Counts per reason, with the first example met.
struct InfeasibleCount {
  Infeasible reason = Infeasible::none;
  std::uint64_t count = 0;
  Layout example;
  double example_memory_bytes = 0;  ///< out_of_memory: the example's predicted memory per GPU
};

/// One launch: the plan is a plain list of these in launch order (executors read it).
struct Trial {
  int index = 0;                    ///< launch order, from 0
  std::string config_name;          ///< run.name = file name without .yaml
  std::string config_path;          ///< <results_dir>/candidate_configs/<config_name>.yaml
  int num_nodes = 1;                ///< nodes the trial runs on (train_settings.trial_nodes: min = the fewest it needs)
  int gpus_per_node = 8;
  int full_num_nodes = 1;           ///< the cluster the layout is for (the search's num_nodes)
  int full_gbs = 0;                 ///< the global batch at full scale (layout.gbs is the trial's)
  std::string time_limit;           ///< Slurm D-HH:MM:SS (NeMo's own format under the nemo policy)
  int max_minutes = 20;
  int max_steps = 50;
  double predicted_step_time_s = 0;        ///< at full scale (the rank)
  double predicted_trial_step_time_s = 0;  ///< on the trial's nodes, with the trial's global batch
  double predicted_memory_bytes = 0;       ///< per GPU at full scale (the rank's)
  double predicted_trial_memory_bytes = 0; ///< per GPU on the trial's nodes (the distributed optimizer shards less)
  Layout layout;                    ///< the layout the trial runs (num_gpus and gbs of the trial)
  int act_ckpt_layers = -1;         ///< -1 = null
  int num_micro_batches_with_partial_activation_checkpoints = -1;
  int activations_checkpoint_layers_per_pipeline = -1;
  std::string reason;               ///< why it is in the plan: "top", "best of tp x pp", "nemo order"
};

/// The one output schema of a planned trial (hp-cli search --json and bignlp_hp.search render it).
Record trial_record(const Trial& trial);

struct Plan {
  std::string policy;
  std::string results_dir;
  std::string model_name;           ///< gpt3_5b
  int num_nodes = 1;
  int gpus_per_node = 8;
  std::string trial_nodes = "full"; ///< min | full (train_settings.trial_nodes; always full under the nemo policy)
  std::vector<Trial> trials;
  /// Model policy: the next candidates in rank order, not launched unless a trial the memory refit drops frees a
  /// slot ("replaces an OOM"); their candidate configs are written too.
  std::vector<Trial> reserves;
  /// GPU-hours of the plan at each trial's time limit: on the trials' nodes, and had every trial used the whole
  /// cluster.
  double gpu_hours() const;
  double full_size_gpu_hours() const;
};

struct SearchResult {
  bool created_results_dir = false;  ///< the results directory did not exist before this search wrote it
  SearchPolicy policy = SearchPolicy::model;
  std::string family;
  double size_b = 0;
  ModelSpec model;
  GpuSpec gpu;
  int num_nodes = 1, gpus_per_node = 8, gbs = 0;
  std::uint64_t enumerated = 0;     ///< combinations in the space
  std::uint64_t evaluated = 0;      ///< combinations that divide, evaluated by the performance model
  std::uint64_t feasible = 0;       ///< evaluated and fitting in memory
  double elapsed_s = 0;             ///< whole search, writing included
  double evaluate_s = 0;            ///< enumerate, evaluate, rank and plan (no file writing)
  std::vector<RankedLayout> ranked; ///< model: feasible layouts by predicted step time; nemo: grid in launch order
  std::vector<InfeasibleCount> infeasible;  ///< by count, descending
  Plan plan;
  bool legacy_names = false;        ///< candidate names without NeMo HEAD's _cp_/_ep_ (train_settings.legacy_names)
  std::vector<std::string> assumed; ///< what the search took without the config saying it (GPU, SP, GBS)
  std::string message;              ///< no feasible layout: top reasons and the nearest feasible change
  std::vector<std::string> suggestions;
};

/// One ranked layout (a row of predicted_summary.csv) with typed values: `rank` 1-based, act-ckpt fields null
/// when NeMo has None, `planned` whether it is in the plan; the plan's names (predicted_memory_per_gpu_gib).
Record ranked_layout_record(const SearchResult& result, const RankedLayout& layout, long long rank, bool planned);

std::string describe_layout(const Layout& layout);  ///< "tp=8 pp=8 vp=12 cp=1 ep=1 mbs=1 ..."

/// Progress: done out of total units of work (the CLI draws a bar when the search takes > 1 s).
using ProgressFn = std::function<void(std::uint64_t done, std::uint64_t total)>;

}  // namespace hp
