// Training HP search: the space of parallel layouts, NeMo's candidate grid, model-based ranking and the
// launch plan. Public header: standard-library types only. Rules and sources: docs/model.md.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "hp/hardware.hpp"
#include "hp/model.hpp"
#include "hp/nemo_config.hpp"
#include "hp/perf.hpp"
#include "hp/record.hpp"
#include "hp/search_config.hpp"

namespace hp {

enum class SearchPolicy { model, nemo };
const char* to_string(SearchPolicy policy) noexcept;
/// "model" or "nemo"; anything else throws ConfigError naming `key`.
SearchPolicy parse_search_policy(const std::string& value, const std::string& key = "train_settings.policy");

// ---------------------------------------------------------------------------------------------------------
// The space (model policy)

/// One recomputation choice: none, selective, or full with a number of layers per pipeline stage (0 = all).
struct RecomputeChoice {
  Recompute mode = Recompute::none;
  int num_layers = 0;
};

/// Candidate values per dimension. Empty vp / recompute_num_layers mean "auto", derived per pipeline size.
struct SearchSpace {
  int num_gpus = 8;
  int gbs = 256;
  std::vector<int> tp, pp, cp, ep, mbs;
  std::vector<int> vp;                    ///< empty = auto: divisors of layers/pp when pp > 1, else {1}
  std::vector<Recompute> recompute_modes; ///< none, selective, full
  std::vector<int> recompute_num_layers;  ///< full: layers per chunk; empty = auto {1,2,4,...} + all
  std::vector<int> sequence_parallel;     ///< 0/1; empty = auto: on iff tp > 1
  std::vector<int> distributed_optimizer; ///< 0/1
  std::vector<int> fp8;                   ///< 0/1
  std::vector<int> fsdp;                  ///< 0/1 ({0} unless train.fsdp); FSDP is tried with pp = 1 only
  std::vector<int> etp;                   ///< empty = auto: MoE with tp > 1 tries etp = tp and 1; else unspecified
  /// Also try the embedding and the loss as layer slots (account_for_*_in_pipeline_split) where pp > 1 divides
  /// layers + 2; pp values that divide only layers + 2 are added to the space for it.
  bool pipeline_split = true;
  int min_model_parallel = 1;             ///< bounds on tp*pp (NeMo's min/max_model_parallel_size)
  int max_model_parallel = 1 << 30;
};

/// The default ("auto") space for a model on num_gpus GPUs, with the user's explicit lists applied.
/// Auto rules (docs/model.md): tp = powers of 2 up to the NVLink domain (max 8 per node unless the
/// domain is larger) dividing heads and query groups; pp = divisors of the layers; cp = powers of 2 while
/// seq/cp >= 1024 (max 16); ep = powers of 2 dividing the experts (MoE) else 1; mbs = 1,2,4,8;
/// recompute none/selective/full; SP on when tp > 1; distributed optimizer on and off; FP8 only if asked;
/// FSDP off and on (pp = 1) only if asked; ETP tp and 1 for MoE; embedding+loss pipeline split where only it
/// divides.
SearchSpace default_space(const ModelSpec& model, const TrainSettings& train, const GpuSpec& gpu, int num_gpus,
                          int gbs);

/// Called for every combination of the space.
using LayoutVisitor = std::function<void(const Layout& layout)>;

/// Visit every combination in a fixed order (tp, cp, pp, vp, ep, mbs, recompute, SP, DO, FP8); whether it divides
/// and fits is hp::estimate's verdict (Megatron-Core's rules). Returns the count.
std::uint64_t enumerate_layouts(const ModelSpec& model, const SearchSpace& space, const LayoutVisitor& visit);

// ---------------------------------------------------------------------------------------------------------
// NeMo's grid (nemo policy), nemo_autoconfigurator.md section 4

/// What NeMo's _calculate_tp_pp_mbs_grid / generate_grid_search_configs read.
struct NemoGridInput {
  std::string family = "gpt3";      ///< gpt3 and other GPT-like, t5, mt5, bert
  double size_b = 5;
  int gpu_memory_gb = 80;
  int seq_length = 2048;
  int num_layers = 24;              ///< per stack for T5/mT5
  int num_attention_heads = 32;
  int global_batch_size = 2048;
  int num_nodes = 16;               ///< trainer.num_nodes of the base config
  int devices = 8;                  ///< trainer.devices of the base YAML (NeMo uses it, not gpus_per_node)
  std::string act_ckpt_method;      ///< base YAML's activations_checkpoint_method ("block" enables the sweep)
  int base_vp = 0;                  ///< vp already in a custom config (kept stale for pp <= 2, quirk 4)
  std::vector<int> tp, pp, mbs, act_ckpt_layers;  ///< user lists (empty = auto)
  int min_mp = 0, max_mp = 0;       ///< user bounds (0 = auto)
  bool fix_bugs = false;            ///< integer DP check; stale VP dropped (docs/model.md)
};

struct NemoCandidate {
  int tp = 1, pp = 1, mbs = 1;
  int cp = 1, ep = 1;           ///< -1 = None (BERT, T5/mT5 have no CP/EP in NeMo's grid)
  int vp = 0;                   ///< 0 = None
  int act_ckpt_layers = -1;     ///< -1 = None
  int num_mbs_act = -1;         ///< num_micro_batches_with_partial_activation_checkpoints, -1 = None
  int act_per_pipe = -1;        ///< activations_checkpoint_layers_per_pipeline, -1 = None
};

/// NeMo's candidate lists for one config (before the validity filter).
struct NemoLists {
  std::vector<int> tp, pp, mbs;
  int min_mp = 1, max_mp = 8;
};
NemoLists nemo_candidate_lists(const NemoGridInput& in);

/// The GBS NeMo's grid uses: the base GBS, or with fix_bugs rounded to a multiple of the GPU count when it
/// does not divide it (NeMo's power-of-two GBS leaves zero candidates on 20 nodes, quirk 2).
int nemo_effective_gbs(const NemoGridInput& in);

/// The full NeMo grid in NeMo's launch order (all candidates; the plan takes the first limit_search_runs).
std::vector<NemoCandidate> nemo_grid(const NemoGridInput& in);

/// NeMo HEAD's run name (launcher autoconfig/training_config.py, utils.modify_cfg):
/// <family>_<size>b_<nodes>nodes_tp_<tp>_pp_<pp>_cp_<cp>_ep_<ep>_mbs_<mbs>_act_ckpt_<a>_num_mbs_act_<n>_act_per_pipe_<k>,
/// cp and ep None for T5/mT5. legacy = the name before NeMo added cp and ep (_cp_/_ep_ only when one is > 1).
std::string nemo_run_name(const std::string& family, double size_b, int num_nodes, const NemoCandidate& c,
                          bool legacy = false);
/// Python's str() of the size as NeMo writes it: 5 -> "5", 0.126 -> "0.126".
std::string format_size_b(double size_b);
/// Slurm time limit for a search run: faithful = NeMo's f"{m//3600}-{(m%3600)//60}:{m%60}:00", else D-HH:MM:SS.
std::string search_time_limit(int minutes, bool faithful_nemo);

// ---------------------------------------------------------------------------------------------------------
// Results

/// One evaluated layout (feasible ones are ranked; NeMo candidates are kept in launch order).
struct RankedLayout {
  Layout layout;
  int act_ckpt_layers = -1;   ///< NeMo's fields (-1 = None); model policy: full recompute layers per chunk
  int num_mbs_act = -1;
  int act_per_pipe = -1;
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
  int num_nodes = 1;
  int gpus_per_node = 8;
  std::string time_limit;           ///< Slurm D-HH:MM:SS (NeMo's own format under the nemo policy)
  int max_minutes = 20;
  int max_steps = 50;
  double predicted_step_time_s = 0;
  double predicted_memory_bytes = 0;
  Layout layout;
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
  std::vector<Trial> trials;
};

struct SearchResult {
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
  std::string message;              ///< no feasible layout: top reasons and the nearest feasible change
  std::vector<std::string> suggestions;
};

/// Progress: done out of total units of work (the CLI draws a bar when the search takes > 1 s).
using ProgressFn = std::function<void(std::uint64_t done, std::uint64_t total)>;

// ---------------------------------------------------------------------------------------------------------
// Steps

/// Evaluate every dividing layout of the space, count the rest by reason, rank the feasible ones by predicted
/// step time (ties: memory, then tp, pp, vp, cp, ep, mbs, recompute, SP, DO, FP8 ascending).
SearchResult rank_space(const ModelSpec& model, const SearchSpace& space, const GpuSpec& gpu,
                        const Calibration& calibration, const EstimateOptions& options,
                        const ProgressFn& progress = {});

/// A row from one estimate (fits = the estimate's verdict).
RankedLayout to_ranked(const Layout& layout, const Estimate& estimate);

/// Rank comparator used by rank_space (exposed for tests).
bool rank_less(const RankedLayout& a, const RankedLayout& b) noexcept;

/// The trials of the model policy, in launch order (= rank order). Rule (docs/model.md): the first ceil(limit/2)
/// are the top predictions, one per shape (tp, pp, vp, cp, ep, mbs); the rest go to the best layout of each
/// (tp, pp) not yet chosen, in rank order; slots still free are filled by rank.
struct TrialPick {
  std::size_t index = 0;   ///< into ranked
  const char* reason = ""; ///< "top", "best of tp x pp", "next best"
};
std::vector<TrialPick> select_trials(const std::vector<RankedLayout>& ranked, int limit);

/// Names for the model policy: NeMo HEAD's name (with _cp_/_ep_) extended with _vp_ when not 1,
/// act_ckpt_selective for selective recompute, and _nosp/_nodo/_fp8 when those differ from the defaults.
/// legacy = NeMo's older name, _cp_/_ep_ appended only when not 1.
std::string model_run_name(const std::string& family, double size_b, int num_nodes, const RankedLayout& r,
                           bool legacy = false);
/// The name of a result row: its planned name, else model_run_name with the result's naming style.
std::string result_row_name(const SearchResult& result, const RankedLayout& row);

/// The NeMo training config of one trial: base with the layout fields, nodes, steps and time limit. Under the
/// nemo policy the act-ckpt fields change only when NeMo's sweep set them.
TrainingConfig trial_config(const TrainingConfig& base, const Trial& trial, SearchPolicy policy);

/// The same trial as dotted overrides for override_yaml (a user's custom_config; val_check_interval).
std::vector<std::pair<std::string, std::string>> trial_overrides(const TrainingConfig& config, bool model_policy);

// ---------------------------------------------------------------------------------------------------------
// Whole search

struct SearchOptions {
  std::string policy;        ///< "" = train_settings.policy
  std::string results_dir;   ///< "" = train_settings.logs (NeMo interpolations resolved), else "results"
  bool write_files = true;   ///< candidate_configs/, predicted_summary.csv, infeasible_summary.csv, plan.yaml
  bool nemo_fix_bugs = false;  ///< or train_settings.nemo_fix_bugs
  bool legacy_names = false;   ///< or train_settings.legacy_names: NeMo's names before _cp_/_ep_
  ProgressFn progress;
};

/// The base config a search starts from, as NeMo's generate_base_config: train_settings.custom_config read back,
/// else generated from train_settings (model_size_in_b, seq_length, vocab_size, ...; any size).
TrainingConfig search_base_config(const SearchConfig& config);

/// Check train_settings values (ConfigError naming "train_settings.<key>" and the value).
void validate_train_settings(const TrainSettings& train);

/// Run the search: resolve the model and base config, build the candidates by the policy, rank, plan and write
/// the results directory. No feasible layout is not an exception: result.feasible == 0 (plan empty) with
/// result.message and suggestions; infeasible_summary.csv is still written.
SearchResult search(const SearchConfig& config, const SearchOptions& options = {});

/// The nearest feasible change when nothing fits: tries more nodes, mbs 1, full recompute, larger cp.
std::vector<std::string> suggest_changes(const ModelSpec& model, const SearchSpace& space, const GpuSpec& gpu,
                                         const Calibration& calibration, const EstimateOptions& options);

/// Writers (each file atomically). CSV columns: docs/usage.md.
std::string predicted_summary_csv(const SearchResult& result);
std::string infeasible_summary_csv(const SearchResult& result);
std::string plan_yaml(const Plan& plan);
std::string describe_layout(const Layout& layout);  ///< "tp=8 pp=8 vp=12 cp=1 ep=1 mbs=1 ..."
/// Write the results directory (result.plan.results_dir): candidate configs from base (or the custom config's
/// text when not empty), predicted_summary.csv (if any row), infeasible_summary.csv, plan.yaml (if any trial).
void write_search_results(const SearchResult& result, const TrainingConfig& base, const std::string& custom_yaml);

}  // namespace hp
