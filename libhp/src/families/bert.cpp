// BERT's tables in NeMo's auto-configurator (NeMo-Framework-Launcher 26e42fa, autoconfig/utils.py
// calculate_model_size_params and base_config.py _gbs_tp_pp_bert_*; nemo_autoconfigurator.md 3.1-3.2).
#include "families/families.hpp"

#include <iterator>

#include "format.hpp"
#include "hp/core.hpp"

namespace hp::detail {

BertBucket bert_bucket(double size_b) {
  struct Row {
    double limit;
    bool inclusive;  // size <= limit (else size < limit)
    int hidden, heads;
    double lr;
  };
  static const Row rows[] = {{0.25, false, 768, 12, 2e-4},  {0.5, false, 1024, 16, 2e-4}, {1, false, 1536, 16, 1e-4},
                             {2, false, 2048, 16, 1e-4},    {3, false, 2560, 32, 1e-4},   {4.5, false, 2560, 32, 1e-4},
                             {8, false, 4096, 32, 1e-4},    {15, false, 5120, 40, 1e-4},  {25, true, 6144, 48, 1e-4},
                             {46.5, true, 7680, 48, 1e-4},  {87.5, true, 9216, 96, 1e-4}, {165.5, true, 9216, 96, 1e-4},
                             {250.5, true, 12288, 96, 1e-4}};
  for (const Row& r : rows)
    if (r.inclusive ? size_b <= r.limit : size_b < r.limit) return {r.hidden, r.heads, r.lr};
  throw ConfigError("model_size_in_b", format_number(size_b), "BERT sizes must be at most 250.5B (NeMo's table)");
}

GbsTpPp bert_gbs_tp_pp(double size_b, int gpu_memory_gb, int seq_length) {
  if (seq_length != 512)
    throw ConfigError("seq_length", std::to_string(seq_length), "NeMo's BERT tables cover seq_length 512 only");
  static const double limits[] = {1, 3.2, 8, 13, 25.5, 46.5, 87.5, 165.5, 250.5};
  static const GbsTpPp k80[] = {{256, 1, 1},  {1024, 1, 1}, {2048, 2, 1},  {2048, 4, 1}, {2048, 8, 1},
                                {2048, 8, 2}, {2048, 8, 4}, {4096, 8, 8},  {2048, 8, 16}};
  // 40 GB: the same limits except 25 for the fifth row.
  static const GbsTpPp k40[] = {{256, 1, 1},  {1024, 4, 1},  {2048, 8, 1},  {2048, 8, 2},  {2048, 8, 4},
                                {2048, 8, 8}, {2048, 8, 16}, {2048, 8, 32}, {2048, 8, 64}};
  for (std::size_t i = 0; i < std::size(limits); ++i) {
    const double limit = gpu_memory_gb == 40 && i == 4 ? 25 : limits[i];
    if (size_b <= limit) return gpu_memory_gb == 40 ? k40[i] : k80[i];
  }
  throw ConfigError("model_size_in_b", format_number(size_b), "no BERT model larger than 250.5B in NeMo's tables");
}

}  // namespace hp::detail
