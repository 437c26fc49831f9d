// The search space (model policy): candidate values per dimension and their enumeration (space.cpp).
// Public header: standard-library types only. Rules and sources: docs/model.md.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>
#include "hp/model.hpp"
#include "hp/perf.hpp"
#include "hp/search_config.hpp"

namespace hp {

enum class SearchPolicy { model, nemo };
const char* to_string(SearchPolicy policy) noexcept;
/// "model" or "nemo"; anything else throws ConfigError naming `key`.
SearchPolicy parse_search_policy(const std::string& value, const std::string& key = "train_settings.policy");

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
  std::vector<Precision> precisions;      ///< GEMM precision recipes ({bf16} when empty)
  std::vector<int> fsdp;                  ///< 0/1 ({0} unless train.fsdp); FSDP is tried with pp = 1 only
  std::vector<int> optimizer_cpu_offload; ///< 0/1 ({0} unless asked for); 1 only with the distributed optimizer
  std::vector<int> etp;                   ///< empty = auto: MoE with tp > 1 tries etp = tp and 1; else unspecified
  /// Also try the embedding and the loss as layer slots (account_for_*_in_pipeline_split) where pp > 1 divides
  /// layers + 2; pp values that divide only layers + 2 are added to the space for it.
  bool pipeline_split = true;
  /// Also try Megatron-Core's uneven first/last stages (uneven_pipeline_split, vp 1) for power-of-two pp values
  /// that divide neither the layers nor, with pipeline_split, layers + 2 (61-layer DeepSeek-V3 at PP 16).
  bool uneven_pipeline = true;
  int min_model_parallel = 1;             ///< bounds on tp*pp (NeMo's min/max_model_parallel_size)
  int max_model_parallel = 1 << 30;
};

/// The default ("auto") space for a model on num_gpus GPUs, with the user's explicit lists applied.
/// Auto rules (docs/model.md): tp = powers of 2 up to the NVLink domain (max 8 per node unless the
/// domain is larger) dividing heads and query groups; pp = divisors of the layers; cp = powers of 2 while
/// seq/cp >= 1024 (max 16); ep = powers of 2 dividing the experts (MoE) else 1; mbs = 1,2,4,8;
/// recompute none/selective/full; SP on when tp > 1; distributed optimizer on and off; precisions: the
/// train_settings.precisions list, else bf16 and fp8 with train_settings.fp8, else base_precision (the base
/// config's); FSDP off and on (pp = 1) only if asked; ETP tp and 1 for MoE; embedding+loss pipeline split where
/// only it divides.
SearchSpace default_space(const ModelSpec& model, const TrainSettings& train, const GpuSpec& gpu, int num_gpus,
                          int gbs, Precision base_precision = Precision::bf16);

/// train_settings.precisions as recipes (an item may hold comma-separated words), duplicates dropped, in the
/// given order; an unknown or empty word throws ConfigError naming `key` and the accepted words.
std::vector<Precision> parse_precisions(const std::vector<std::string>& words,
                                        const std::string& key = "train_settings.precisions");

/// Called for every combination of the space.
using LayoutVisitor = std::function<void(const Layout& layout)>;

/// Visit every combination in a fixed order (tp, cp, pp, vp, ep, mbs, recompute, SP, DO, precision); whether it divides
/// and fits is hp::estimate's verdict (Megatron-Core's rules). Returns the count.
std::uint64_t enumerate_layouts(const ModelSpec& model, const SearchSpace& space, const LayoutVisitor& visit);

}  // namespace hp
