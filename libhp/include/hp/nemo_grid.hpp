// NeMo's candidate grid (nemo policy), nemo_autoconfigurator.md section 4 (nemo_policy.cpp), and NeMo's names.
// Public header: standard-library types only. Rules and sources: docs/model.md.
#pragma once

#include <string>
#include <vector>

namespace hp {

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
  std::vector<int> cp, ep;          ///< context/expert_parallel_sizes (empty = NeMo's [1], or None for BERT/T5)
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
  /// Position of its first entry in NeMo's launch list, repeats included: NeMo HEAD appends a candidate once per
  /// generation (the partial-checkpointing range [0, 1, ...] whose 0 became 1 repeats some) and launches each
  /// entry, so limit_search_runs counts the repeats.
  int launch_index = 0;
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

}  // namespace hp
