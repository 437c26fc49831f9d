// NeMo's training grid, reproduced: validity filter (generate_grid_search_configs / modify_cfg), activation
// checkpointing and virtual pipeline (_set_activations_checkpoint_params), launch order and names
// (nemo_autoconfigurator.md sections 4.2-4.4). Known NeMo bugs are kept unless fix_bugs is set.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>

#include "hp/nemo_grid.hpp"

namespace hp {
namespace {

bool is_t5(const std::string& family) { return family == "t5" || family == "mt5"; }

// Python's `range(start, stop, step)` as a list.
std::vector<int> py_range(int start, int stop, int step) {
  std::vector<int> out;
  for (int v = start; v < stop; v += std::max(1, step)) out.push_back(v);
  return out;
}

// GBS mod (mbs * G / (tp * pp)) == 0. NeMo computes this in floats (a non-integer data-parallel size passes
// when it happens to divide); fix_bugs requires an integer data-parallel size.
// mp is tp * pp, or tp * pp * cp * ep in NeMo's pair check when CP and EP are set (HEAD).
bool gbs_divides(const NemoGridInput& in, int gbs, int num_gpus, int mp, int mbs) {
  if (in.fix_bugs) {
    if (num_gpus % mp != 0) return false;
    return gbs % (mbs * (num_gpus / mp)) == 0;
  }
  // NeMo: `gbs % (mbs * num_gpus / model_parallelism)`, evaluated left to right in Python floats.
  const double divisor = static_cast<double>(mbs * num_gpus) / static_cast<double>(mp);
  return std::fmod(static_cast<double>(gbs), divisor) == 0.0;  // Python float % equals fmod for positives
}

struct ActParams {
  int vp = 0;
  std::vector<int> act, num_mbs_act, act_per_pipe;  // -1 = None
};

ActParams act_params(const NemoGridInput& in, int pp) {
  const bool t5 = is_t5(in.family);
  const int mult = t5 ? 2 : 1;
  const int layers = in.num_layers;
  const bool block = in.act_ckpt_method == "block";
  int act_multiple = std::max(1, 4 / pp);
  if (block) {
    if (in.size_b >= 1.0 && in.size_b < 11.3) act_multiple = 8 / pp;
    else if (in.size_b >= 11.3 && in.size_b < 26) act_multiple = 16 / pp;
    else if (in.size_b >= 26 && in.size_b < 60) act_multiple = 16 / pp;
    else if (in.size_b >= 60) act_multiple = 32 / pp;
    act_multiple = std::max(1, act_multiple);
  }
  ActParams p;
  int max_micro_b = pp, interval_micro_b = 1, max_layers_per_pipe = layers;
  int layer_multiple = act_multiple;
  if (!t5 && pp > 2) {  // interleaved pipeline, whatever the act-ckpt method
    p.vp = layers / pp;
    max_micro_b = pp * (p.vp - 1) + 2 * (pp - 1) + 1;
    interval_micro_b = 8 * p.vp;
    max_layers_per_pipe = mult * layers / pp / p.vp + 1;
    layer_multiple = 1;
  } else if (!t5 && in.base_vp > 0 && !in.fix_bugs) {
    p.vp = in.base_vp;  // quirk 4: a custom config's VP stays for pp <= 2
  }
  if (!block) {
    p.act = p.num_mbs_act = p.act_per_pipe = {-1};
    return p;
  }
  const int per_stage = mult * layers / pp / (p.vp > 0 && pp > 2 ? p.vp : 1);
  p.act = in.act_ckpt_layers.empty() ? py_range(0, per_stage + 1, layer_multiple) : in.act_ckpt_layers;
  if (!t5 && pp > 1) {
    p.num_mbs_act = py_range(0, max_micro_b + 1, interval_micro_b);
    if (!p.num_mbs_act.empty() && p.num_mbs_act.front() == 0) p.num_mbs_act.front() = 1;
    p.act_per_pipe = py_range(0, max_layers_per_pipe + 1, act_multiple);
  } else {
    p.num_mbs_act = p.act_per_pipe = {-1};
  }
  return p;
}

std::string opt(int v) { return v < 0 ? std::string("None") : std::to_string(v); }

}  // namespace

int nemo_effective_gbs(const NemoGridInput& in) {
  const int num_gpus = in.num_nodes * in.devices;
  // fix_bugs: NeMo's power-of-two GBS leaves no candidate on clusters that are not powers of two (quirk 2);
  // round it to the nearest multiple of the GPU count (22.04 used 1440/1920-style values for 160 GPUs).
  if (in.fix_bugs && num_gpus > 0 && in.global_batch_size % num_gpus != 0) {
    const long rounded = std::lround(static_cast<double>(in.global_batch_size) / num_gpus) * num_gpus;
    return static_cast<int>(std::max<long>(num_gpus, rounded));
  }
  return in.global_batch_size;
}

std::vector<NemoCandidate> nemo_grid(const NemoGridInput& in) {
  const NemoLists lists = nemo_candidate_lists(in);
  const bool t5 = is_t5(in.family);
  const int mult = t5 ? 2 : 1;
  const int num_gpus = in.num_nodes * in.devices;
  const int gbs = nemo_effective_gbs(in);

  // Valid (tp, pp, cp, ep), in list order: at least one mbs passes every rule. NeMo HEAD counts CP and EP in
  // the model parallelism here (not in modify_cfg's re-check) and never combines CP > 1 with EP > 1.
  const bool none_cp_ep = t5 || in.family == "bert";  // NeMo's [None] lists
  const std::vector<int> cps = !in.cp.empty() ? in.cp : std::vector<int>{none_cp_ep ? -1 : 1};
  const std::vector<int> eps = !in.ep.empty() ? in.ep : std::vector<int>{none_cp_ep ? -1 : 1};
  struct Pair {
    int tp, pp, cp, ep;
  };
  std::vector<Pair> pairs;
  for (int tp : lists.tp)
    for (int pp : lists.pp)
      for (int cp : cps)
        for (int ep : eps) {
          const bool set = cp > 0 && ep > 0;
          const int mp = set ? tp * pp * cp * ep : tp * pp;
          const int c = cp > 0 ? cp : 1, e = ep > 0 ? ep : 1;
          if (c != 1 && e != 1) continue;
          for (int mbs : lists.mbs) {
            if (gbs_divides(in, gbs, num_gpus, mp, mbs) && in.num_attention_heads % tp == 0 &&
                (mult * in.num_layers) % pp == 0 && lists.min_mp <= mp && mp <= lists.max_mp) {
              pairs.push_back({tp, pp, cp, ep});
              break;
            }
          }
        }

  // Every candidate, re-checked by modify_cfg (which uses L, not mult * L).
  struct Keyed {
    int bucket;
    NemoCandidate c;
  };
  std::vector<Keyed> keyed;
  const bool act_search = in.act_ckpt_method == "block";
  for (const Pair& pr : pairs) {
    const int tp = pr.tp, pp = pr.pp;
    const ActParams p = act_params(in, pp);
    for (int mbs : lists.mbs) {
      if (!gbs_divides(in, gbs, num_gpus, tp * pp, mbs) || in.num_attention_heads % tp != 0 ||
          in.num_layers % pp != 0)
        continue;
      for (int act : p.act)
        for (int n : p.num_mbs_act)
          for (int k : p.act_per_pipe) {
            NemoCandidate c{tp, pp, mbs, pr.cp, pr.ep, p.vp, act, n, k};
            // Launch order: bucket by act-ckpt layers when that search is active, else by MBS. NeMo raises
            // IndexError when the value exceeds mult * L; we keep the candidate (documented).
            keyed.push_back({act_search ? std::max(act, 0) : mbs, c});
          }
    }
  }
  std::stable_sort(keyed.begin(), keyed.end(), [](const Keyed& a, const Keyed& b) { return a.bucket < b.bucket; });
  // A repeated candidate (the partial-checkpointing range [0, 1, ...] whose 0 became 1) is one file and one
  // trial here; NeMo HEAD launches it once per entry, so its launch index counts the repeats.
  std::vector<NemoCandidate> out;
  std::set<std::tuple<int, int, int, int, int, int, int, int>> seen;
  out.reserve(keyed.size());
  int launch = 0;
  for (const Keyed& k : keyed) {
    NemoCandidate c = k.c;
    c.launch_index = launch++;
    if (seen.emplace(c.tp, c.pp, c.cp, c.ep, c.mbs, c.act_ckpt_layers, c.num_mbs_act, c.act_per_pipe).second)
      out.push_back(c);
  }
  return out;
}

std::string format_size_b(double size_b) { return fmt::format("{}", size_b); }

std::string nemo_run_name(const std::string& family, double size_b, int num_nodes, const NemoCandidate& c,
                          bool legacy) {
  // HEAD always writes _cp_<cp>_ep_<ep>_ (None for T5/mT5); the older names only when CP or EP is searched (> 1).
  const bool with_cp_ep = !legacy || c.cp > 1 || c.ep > 1;
  const std::string cp_ep = with_cp_ep ? fmt::format("_cp_{}_ep_{}", opt(c.cp), opt(c.ep)) : std::string();
  return fmt::format("{}_{}b_{}nodes_tp_{}_pp_{}{}_mbs_{}_act_ckpt_{}_num_mbs_act_{}_act_per_pipe_{}", family,
                     format_size_b(size_b), num_nodes, c.tp, c.pp, cp_ep, c.mbs, opt(c.act_ckpt_layers),
                     opt(c.num_mbs_act), opt(c.act_per_pipe));
}

std::string search_time_limit(int minutes, bool faithful_nemo) {
  const int m = std::max(0, minutes);
  if (faithful_nemo) return fmt::format("{}-{}:{}:00", m / 3600, (m % 3600) / 60, m % 60);  // quirk 7
  return fmt::format("{}-{:02}:{:02}:00", m / 1440, (m % 1440) / 60, m % 60);
}

}  // namespace hp
