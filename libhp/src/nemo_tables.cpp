// NeMo launcher's candidate tables (_calculate_tp_pp_mbs_grid, NeMo-Megatron-Launcher HEAD,
// auto_configurator/autoconfig/training_config.py), transcribed in nemo_autoconfigurator.md section 4.1.
// "pp a..b" means the family's valid PP values within [a, b]; a fixed list is used as is.
#include <string>
#include <vector>

#include "hp/core.hpp"
#include "hp/search.hpp"

namespace hp {
namespace {

using Ints = std::vector<int>;

struct Row {
  double max_size;   // bucket: size <= max_size
  Ints tp;           // empty = default
  int pp_lo = 0, pp_hi = 0;  // 0 = default pp list
  Ints pp_fixed;     // a fixed pp list (BERT, GPT 40 GB small sizes)
  Ints mbs;          // empty = default
  int mp_lo = 0, mp_hi = 0;  // 0 = default
};

struct Table {
  Ints tp, pp, mbs;
  int mp_lo, mp_hi;
  std::vector<Row> rows;
};

Row r(double s, Ints tp, int lo = 0, int hi = 0, Ints mbs = {}, int mlo = 0, int mhi = 0) {
  return Row{s, std::move(tp), lo, hi, {}, std::move(mbs), mlo, mhi};
}
Row rf(double s, Ints tp, Ints pp, Ints mbs = {}, int mlo = 0, int mhi = 0) {
  return Row{s, std::move(tp), 0, 0, std::move(pp), std::move(mbs), mlo, mhi};
}

const Table& gpt_80gb(int seq) {
  const Ints d_tp{1, 2, 4, 8}, d_mbs{1, 2, 3, 4, 6, 8};
  static const Table t2048{d_tp, {1}, d_mbs, 1, 8, {
      r(1, {1, 2}), r(4, {1, 2, 4}), r(8, {1, 2, 4}), r(13, {1, 2, 4, 8}),
      r(23, {1, 2, 4}, 1, 4, {1, 2, 4}, 4, 8), r(45, {2, 4, 8}, 1, 4, {1, 2, 4}, 8, 32),
      r(95, {2, 4, 8}, 1, 8, {1, 2, 4, 8}, 8, 64), r(130, {2, 4, 8}, 1, 16, {1, 2, 4, 8}, 16, 128),
      r(195, {8}, 4, 16, {1, 2, 4}, 32, 256), r(395, {8}, 8, 32, {1, 2, 4}, 64, 512),
      r(790, {8}, 8, 100, {1, 2, 4}, 128, 1024), r(1100, {8}, 16, 130, {1, 2, 4}, 256, 2048)}};
  static const Table t4096{d_tp, {1}, d_mbs, 1, 8, {
      r(1, {1, 2, 4}, 0, 0, {1, 2, 4, 8}), r(4, {1, 2, 4}, 0, 0, {1, 2, 4, 8}),
      r(8, {1, 2, 4}, 1, 2, {1, 2, 4}), r(13, {2, 4}, 1, 2, {1, 2, 4}),
      r(23, {4, 8}, 1, 2, {1, 2}, 4, 16), r(45, {4, 8}, 2, 4, {1, 2}, 8, 32),
      r(95, {4, 8}, 1, 8, {1, 2}, 8, 64)}};
  static const Table t8192{d_tp, {1}, d_mbs, 1, 8, {
      r(1, {1, 2}, 1, 2, {1, 2, 4}), r(4, {1, 2, 4}, 1, 2, {1, 2, 4}),
      r(8, {2, 4}, 1, 2, {1, 2}), r(13, {2, 4}, 1, 2, {1, 2}),
      r(23, {4, 8}, 1, 4, {1}, 8, 32), r(45, {8}, 4, 8, {1}, 32, 64)}};
  static const Table t16384{d_tp, {1}, d_mbs, 1, 8, {
      r(1, {2, 4}, 0, 0, {1, 2}), r(4, {2, 4}, 1, 2, {1}), r(8, {2, 4}, 1, 2, {1}), r(13, {2, 4}, 1, 2, {1}),
      r(23, {4, 8}, 2, 4, {1}, 8, 32)}};
  static const Table t32768{d_tp, {1}, d_mbs, 1, 8, {
      r(1, {2, 4}, 1, 2, {1}), r(4, {2, 4}, 1, 2, {1}), r(8, {4, 8}, 1, 2, {1}, 4, 16),
      r(13, {4, 8}, 1, 2, {1}, 4, 16), r(23, {8}, 2, 4, {1}, 16, 32)}};
  static const Table fallback{d_tp, {1}, d_mbs, 1, 8, {}};
  switch (seq) {
    case 2048: return t2048;
    case 4096: return t4096;
    case 8192: return t8192;
    case 16384: return t16384;
    case 32768: return t32768;
    default: return fallback;
  }
}

const Table& gpt_40gb() {
  static const Table t{{1, 2, 4, 8}, {1}, {1, 2, 4, 6, 8, 10, 12, 16}, 1, 8, {
      r(1, {1, 2, 4}, 0, 0, {1, 2, 4, 8}), r(4, {1, 2, 4, 8}, 0, 0, {1, 2, 4, 8}),
      rf(8, {2, 4, 8}, {1, 2}, {1, 2, 4}, 2, 8), rf(13, {4, 8}, {1, 2, 4}, {1, 2, 4}, 4, 32),
      r(23, {2, 4, 8}, 1, 8, {}, 8, 64), r(45, {4, 8}, 1, 12, {1, 2, 4}, 16, 128),
      r(95, {4, 8}, 1, 16, {1, 2, 4}, 16, 256), r(130, {4, 8}, 2, 26, {1, 2}, 32, 512),
      r(195, {4, 8}, 2, 32, {1, 2}, 64, 1024), r(395, {4, 8}, 4, 64, {1, 2}, 128, 2048),
      r(790, {4, 8}, 8, 128, {1, 2}, 256, 4096), r(1100, {4, 8}, 8, 192, {1, 2}, 512, 8192)}};
  return t;
}

const Table& t5_table(int gpu_memory_gb) {
  const Ints d_tp{1, 2, 4, 8}, d_mbs{1, 2, 4, 6, 8, 12, 16};
  static const Table t80{d_tp, {1}, d_mbs, 1, 8, {
      r(1, {1, 2}, 0, 0, {16, 32, 64, 128}), r(4, {1, 2, 4}, 0, 0, {4, 6, 8, 12, 16, 24, 32, 48}),
      r(8, {2, 4, 8}, 0, 0, {4, 6, 8, 12, 16, 24, 32}), r(14.5, {4, 8}, 0, 0, {2, 4, 6, 8, 12, 16, 24}),
      r(25.9, {4, 8}, 1, 2, {1, 2, 4, 6, 8}, 4, 16), r(43, {4, 8}, 1, 4, {1, 2, 4, 6, 8}, 8, 32),
      r(85.5, {4, 8}, 2, 8, {1, 2, 4, 6, 8}, 16, 64), r(165.5, {8}, 4, 16, {1, 2, 4, 6}, 32, 128),
      r(250, {8}, 4, 32, {1, 2, 4, 6, 8}, 64, 256)}};
  static const Table t40{d_tp, {1}, d_mbs, 1, 8, {
      r(1, {1, 2}, 0, 0, {16, 32, 64, 128}), r(4, {1, 2, 4}, 0, 0, {4, 8, 12, 16, 24, 32, 48}),
      r(8, {2, 4, 8}, 0, 0, {4, 6, 8, 12, 16, 24}), r(14.5, {4, 8}, 1, 2, {2, 4, 6, 8, 12, 16}, 4, 16),
      r(25.9, {4, 8}, 1, 8, {1, 2, 4, 6, 8}, 8, 32), r(43, {4, 8}, 1, 8, {1, 2, 4, 6, 8}, 16, 32),
      r(85.5, {8}, 2, 8, {1, 2, 4, 6, 8}, 32, 64), r(165.5, {8}, 4, 32, {1, 2, 4}, 64, 128),
      r(250, {8}, 8, 64, {1, 2, 4}, 128, 256)}};
  return gpu_memory_gb == 40 ? t40 : t80;
}

const Table& bert_table(int gpu_memory_gb) {
  static const Table t80{{1, 2, 4, 8}, {1}, {1, 2, 3, 4, 6, 8}, 1, 8, {
      r(1, {1, 2}), r(4, {1, 2, 4}), r(8, {2, 4, 8}, 0, 0, {}, 2, 8), r(13, {2, 4, 8}, 0, 0, {1, 2, 3, 4, 6}, 2, 8),
      r(25, {4, 8}, 0, 0, {1, 2, 3, 4}, 4, 8), rf(46.5, {4, 8}, {1, 2, 4}, {1, 2, 3, 4}, 4, 16),
      rf(87.5, {4, 8}, {2, 4, 6, 8}, {1, 2, 3, 4}, 8, 32), rf(165.5, {4, 8}, {4, 6, 8, 16}, {2, 4, 6, 8}, 16, 128),
      rf(250.5, {8}, {4, 8, 16, 32}, {1, 2, 3, 4}, 32, 256)}};
  static const Table t40{{1, 2, 4, 8}, {1}, {1, 2, 4, 6, 8}, 1, 8, {
      r(1, {1, 2, 4}), r(4, {1, 2, 4, 8}), r(8, {2, 4, 8}, 0, 0, {1, 2, 4}), r(13, {2, 4, 8}, 0, 0, {1, 2, 4}),
      rf(25, {2, 4, 8}, {1, 2}, {1, 2, 4}, 2, 16), rf(46.5, {4, 8}, {1, 2, 4, 8}, {1, 2, 3}, 8, 32),
      rf(87.5, {4, 8}, {2, 4, 6, 8}, {1, 2, 3}, 16, 64), rf(165.5, {8}, {4, 6, 8, 16}, {1, 2}, 32, 256),
      rf(250.5, {8}, {8, 16, 32}, {1, 2}, 64, 512)}};
  return gpu_memory_gb == 40 ? t40 : t80;
}

// Valid PP values: GPT-like: divisors of L; T5/mT5: [1] + 2d for d | L; BERT: [1] + divisors of L.
Ints valid_pp(const std::string& family, int layers) {
  Ints out;
  const bool t5 = family == "t5" || family == "mt5";
  if (t5 || family == "bert") out.push_back(1);
  for (int d = 1; d <= layers; ++d)
    if (layers % d == 0) out.push_back(t5 ? 2 * d : d);
  return out;
}

}  // namespace

NemoLists nemo_candidate_lists(const NemoGridInput& in) {
  const bool t5 = in.family == "t5" || in.family == "mt5";
  const Table& table = t5 ? t5_table(in.gpu_memory_gb)
                     : in.family == "bert" ? bert_table(in.gpu_memory_gb)
                     : in.gpu_memory_gb == 40 ? gpt_40gb()
                                              : gpt_80gb(in.seq_length);
  if (in.family == "bert" && in.size_b > 250.5)
    throw ConfigError("train_settings.model_size_in_b", format_size_b(in.size_b),
                      "NeMo has no BERT candidate table above 250.5B");
  NemoLists out{table.tp, table.pp, table.mbs, table.mp_lo, table.mp_hi};
  for (const Row& row : table.rows) {
    if (in.size_b > row.max_size) continue;
    if (!row.tp.empty()) out.tp = row.tp;
    if (!row.pp_fixed.empty()) {
      out.pp = row.pp_fixed;
    } else if (row.pp_lo > 0) {
      out.pp.clear();
      for (int pp : valid_pp(in.family, in.num_layers))
        if (pp >= row.pp_lo && pp <= row.pp_hi) out.pp.push_back(pp);
    }
    if (!row.mbs.empty()) out.mbs = row.mbs;
    if (row.mp_lo > 0) {
      out.min_mp = row.mp_lo;
      out.max_mp = row.mp_hi;
    }
    break;
  }
  // A user list that is not "auto" replaces the heuristic.
  if (!in.tp.empty()) out.tp = in.tp;
  if (!in.pp.empty()) out.pp = in.pp;
  if (!in.mbs.empty()) out.mbs = in.mbs;
  if (in.min_mp > 0) out.min_mp = in.min_mp;
  if (in.max_mp > 0) out.max_mp = in.max_mp;
  return out;
}

}  // namespace hp
