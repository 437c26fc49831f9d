// The layout field table: one row per integer dimension of a training layout, naming it everywhere it appears
// (Layout member and JSON / Python key, NeMo YAML key, predicted_summary.csv column, hp-cli flag, search-config
// list, trial-name tag) with its valid range; the default is Layout's member initializer. The CLI flags, the
// Python Layout attributes and estimate_table's columns are generated from it; the YAML reader/writer, the
// search space, the CSV, the trial records and the trial names are checked against it (tests/cpp/test_layout_fields.cpp), so adding a
// parallel dimension is a row here plus its formula (docs/architecture.md counts the files). The precision recipe
// is a word, not an integer: tests/cpp/test_search_precision.cpp checks it in the same places. The selectively
// recomputed modules (Layout::recompute_modules, a bit set named by recompute_module_names(); YAML
// model.recompute_modules, CSV column recompute_modules, --recompute-modules, trial names act_ckpt_selective-<words>)
// are words too, not searched: tests/cpp/test_recompute_modules.cpp checks them in the same places. Optimizer CPU
// offload (a switch and a fraction) is checked there by tests/cpp/test_optimizer_offload.cpp.
// Public header: standard-library types only.
#pragma once

#include <vector>

#include "hp/nemo_config.hpp"
#include "hp/perf.hpp"
#include "hp/search_config.hpp"
#include "hp/search_space.hpp"

namespace hp {

struct LayoutField {
  const char* name;                             ///< Layout member, JSON and Python key: "tp"
  int Layout::*member;
  int min_value;                                ///< valid range: >= min_value
  const char* help;                             ///< hp-cli help text
  const char* cli_flag;                         ///< hp-cli estimate flag ("--tp")
  const char* nemo_key;                         ///< NeMo YAML key ("" = not a NeMo config field)
  int TrainingConfig::*nemo_member;             ///< the same in TrainingConfig (nullptr with no key)
  const char* csv_column;                       ///< predicted_summary.csv column ("" = none)
  const char* search_key;                       ///< train_settings list ("" = not searched)
  std::vector<int> TrainSettings::*search_member;  ///< the same in TrainSettings (nullptr with no key)
  std::vector<int> SearchSpace::*space_member;     ///< the candidates in the search space (nullptr with no key)
  const char* name_tag;                         ///< model-policy trial names carry _<tag>_<value> when not 1
};

/// Every row, in Layout's order.
const std::vector<LayoutField>& layout_fields();

}  // namespace hp
