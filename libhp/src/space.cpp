// The search space of the model policy: candidate values per dimension (docs/model.md, "Space").
// Divisibility and memory are hp::estimate's verdict.
#include <algorithm>

#include "hp/search_space.hpp"
#include "hp/defaults.hpp"

namespace hp {
namespace {

int total_layers(const ModelSpec& m) { return m.num_layers + (m.is_encoder_decoder() ? m.num_decoder_layers : 0); }

std::vector<int> powers_of_two_up_to(int limit) {
  std::vector<int> out;
  for (int v = 1; v <= limit; v *= 2) out.push_back(v);
  return out;
}

std::vector<int> divisors(int n) {
  std::vector<int> out;
  for (int d = 1; d <= n; ++d)
    if (n % d == 0) out.push_back(d);
  return out;
}

// Auto vp: interleaving needs pp > 1 (Megatron-Core schedules.py) and layers/pp divisible by vp.
std::vector<int> vp_values(const SearchSpace& s, int layers, int pp) {
  if (!s.vp.empty()) return s.vp;
  if (pp < 2 || layers % pp != 0) return {1};
  return divisors(layers / pp);
}

// Recomputation choices for one (pp, vp): none, selective, and full with k layers per chunk.
// Layout::recompute_num_layers counts layers per pipeline stage, i.e. k * vp (0 = all layers of the stage).
std::vector<RecomputeChoice> recompute_choices(const SearchSpace& s, int layers, int pp, int vp) {
  std::vector<RecomputeChoice> out;
  const int per_chunk = std::max(1, layers / std::max(1, pp * vp));
  for (Recompute mode : s.recompute_modes) {
    if (mode != Recompute::full) {
      out.push_back({mode, 0});
      continue;
    }
    std::vector<int> ks = s.recompute_num_layers;
    if (ks.empty()) {
      ks = powers_of_two_up_to(per_chunk - 1);  // partial recompute: 1, 2, 4, ... below all
      ks.push_back(per_chunk);
    }
    for (int k : ks) {
      if (k <= 0 || k > per_chunk) continue;
      out.push_back({mode, k == per_chunk ? 0 : k * vp});
    }
  }
  return out;
}

}  // namespace

std::vector<Precision> parse_precisions(const std::vector<std::string>& words, const std::string& key) {
  std::vector<Precision> out;
  for (const std::string& item : words) {
    // Each item may hold comma-separated words ("bf16,mxfp8": hp-cli --precisions).
    for (std::size_t start = 0;;) {
      const std::size_t comma = item.find(',', start);
      std::string w = item.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      w.erase(0, w.find_first_not_of(' '));
      w.erase(w.find_last_not_of(' ') + 1);
      const Precision p = parse_precision(key, w);
      if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

SearchSpace default_space(const ModelSpec& model, const TrainSettings& train, const GpuSpec& gpu, int num_gpus,
                          int gbs, Precision base_precision) {
  SearchSpace s;
  s.num_gpus = num_gpus;
  s.gbs = gbs;
  const int layers = total_layers(model);

  if (!train.tensor_parallel_sizes.empty()) {
    s.tp = train.tensor_parallel_sizes;
  } else {
    // TP stays inside the NVLink domain (Narayanan et al. 2021, "Efficient Large-Scale Language Model
    // Training on GPU Clusters", Takeaway #1); 16 at most.
    const int max_tp = std::min({std::max(1, gpu.nvlink_domain_size), 16, num_gpus});
    for (int tp : powers_of_two_up_to(max_tp))
      if (model.num_attention_heads % tp == 0 && model.query_groups() % tp == 0) s.tp.push_back(tp);
  }
  if (!train.pipeline_parallel_sizes.empty()) {
    s.pp = train.pipeline_parallel_sizes;
  } else {
    for (int pp : divisors(layers))
      if (pp <= num_gpus) s.pp.push_back(pp);
  }
  if (!train.context_parallel_sizes.empty()) {
    s.cp = train.context_parallel_sizes;
  } else {
    // Context parallelism splits the sequence in 2*cp chunks; below ~1k tokens per rank it only adds traffic.
    for (int cp : powers_of_two_up_to(std::min(16, num_gpus)))
      if (cp == 1 || model.seq_length / cp >= 1024) s.cp.push_back(cp);
  }
  if (!train.expert_parallel_sizes.empty()) {
    s.ep = train.expert_parallel_sizes;
  } else if (model.is_moe()) {
    for (int ep : powers_of_two_up_to(std::min(model.moe_num_experts, num_gpus)))
      if (model.moe_num_experts % ep == 0) s.ep.push_back(ep);
  } else {
    s.ep = {1};
  }
  s.etp = train.expert_tensor_parallel_sizes;  // empty = auto per tp (enumerate_layouts)
  if (!train.micro_batch_sizes.empty()) {
    s.mbs = train.micro_batch_sizes;
  } else {
    for (int mbs : {1, 2, 4, 8})
      if (mbs <= gbs) s.mbs.push_back(mbs);
  }
  s.vp = train.virtual_pipeline_sizes;
  if (train.recompute_modes.empty()) {
    s.recompute_modes = {Recompute::none, Recompute::selective, Recompute::full};
  } else {
    for (const std::string& m : train.recompute_modes)
      s.recompute_modes.push_back(recompute_from_string("train_settings.recompute_modes", m));
  }
  // The search runs fused (flash) attention, which keeps no s^2 score tensors: selective recompute then saves
  // no memory and costs no extra pass in the model (docs/model.md), so it would only duplicate every "none"
  // layout in the ranking. Keep it only when it is the sole non-full choice.
  const auto has = [&](Recompute r) {
    return std::find(s.recompute_modes.begin(), s.recompute_modes.end(), r) != s.recompute_modes.end();
  };
  if (has(Recompute::none) && has(Recompute::selective))
    s.recompute_modes.erase(std::remove(s.recompute_modes.begin(), s.recompute_modes.end(), Recompute::selective),
                            s.recompute_modes.end());
  for (int k : train.act_ckpt_layers)
    if (k > 0) s.recompute_num_layers.push_back(k);
  s.sequence_parallel = train.sequence_parallel;
  s.distributed_optimizer = train.distributed_optimizer.empty() ? std::vector<int>{1, 0} : train.distributed_optimizer;
  // Numerics are the user's choice: only the precisions asked for, else the base config's.
  s.precisions = !train.precisions.empty() ? parse_precisions(train.precisions)
                 : train.fp8              ? std::vector<Precision>{Precision::bf16, Precision::fp8_delayed}
                                          : std::vector<Precision>{base_precision};
  s.fsdp = train.fsdp ? std::vector<int>{0, 1} : std::vector<int>{0};
  s.optimizer_cpu_offload = train.optimizer_cpu_offload.empty() ? std::vector<int>{0} : train.optimizer_cpu_offload;
  if (train.pipeline_parallel_sizes.empty()) {
    // Each stage keeps at least one transformer layer besides the embedding / loss slot.
    for (int pp : divisors(layers + 2))
      if (pp > 1 && pp <= num_gpus && layers % pp != 0 && (layers + 2) / pp >= 2) s.pp.push_back(pp);
    // Powers of two that only an uneven first/last split serves (encoder-decoder models excluded).
    if (!model.is_encoder_decoder())
      for (int pp : powers_of_two_up_to(std::min(num_gpus, 64)))
        if (std::find(s.pp.begin(), s.pp.end(), pp) == s.pp.end() && uneven_pipeline_split(layers, pp, nullptr))
          s.pp.push_back(pp);
    std::sort(s.pp.begin(), s.pp.end());
  }
  if (train.min_model_parallel_size > 0) s.min_model_parallel = train.min_model_parallel_size;
  if (train.max_model_parallel_size > 0) s.max_model_parallel = train.max_model_parallel_size;
  return s;
}

std::uint64_t enumerate_layouts(const ModelSpec& model, const SearchSpace& s, const LayoutVisitor& visit) {
  const int layers = total_layers(model);
  std::uint64_t count = 0;
  Layout l;
  l.num_gpus = s.num_gpus;
  l.gbs = s.gbs;
  const std::vector<int> sp_auto_off{0}, sp_auto_on{1}, off{0}, dopt_on{1};
  const std::vector<int>& fsdps = s.fsdp.empty() ? off : s.fsdp;
  const std::vector<int>& offloads = s.optimizer_cpu_offload.empty() ? off : s.optimizer_cpu_offload;
  const std::vector<Precision> bf16_only{Precision::bf16};
  const std::vector<Precision>& precisions = s.precisions.empty() ? bf16_only : s.precisions;
  for (int tp : s.tp) {
    const std::vector<int>& sps = !s.sequence_parallel.empty() ? s.sequence_parallel : default_sequence_parallel(tp) ? sp_auto_on : sp_auto_off;
    // Unspecified ETP for MoE: Megatron-Core's default (= tp) and the recipes' 1.
    // A user's list applies to every layout; auto tries it only with ep > 1.
    const std::vector<int> etps =
        !s.etp.empty() ? s.etp : model.is_moe() && tp > 1 ? std::vector<int>{tp, 1} : std::vector<int>{0};
    for (int cp : s.cp) {
      for (int pp : s.pp) {
        if (tp * pp < s.min_model_parallel || tp * pp > s.max_model_parallel) continue;
        // Pipeline split: plain (layers % pp) and, where pp divides layers + 2, embedding and loss as layers;
        // else Megatron-Core's uneven first/last stages (split 2, vp 1).
        for (int split = 0; split < 3; ++split) {
          const int slots = layers + 2 * (split == 1);
          // The split only where the plain one does not divide (as the recipes use it: 126 layers, PP 8/16).
          const bool needs_split = pp > 1 && layers % pp != 0 && (layers + 2) % pp == 0;
          const bool uneven = s.uneven_pipeline && pp > 1 && layers % pp != 0 && !(needs_split && s.pipeline_split) &&
                              !model.is_encoder_decoder() && uneven_pipeline_split(layers, pp, nullptr);
          if (split == 1 && (!s.pipeline_split || !needs_split)) continue;
          if (split == 2 && !uneven) continue;
          if (split == 0 && ((needs_split && s.pipeline_split) || uneven)) continue;
          const std::vector<int> vp_one{1};
          for (int vp : split == 2 ? vp_one : vp_values(s, slots, pp)) {
            const std::vector<RecomputeChoice> recomputes = recompute_choices(s, layers, pp, vp);
            for (int ep : s.ep) {
              for (int etp : ep > 1 || !s.etp.empty() ? etps : off) {
                for (int mbs : s.mbs) {
                  for (const RecomputeChoice& rc : recomputes) {
                    for (int sp : sps) {
                      if (sp && tp == 1 && !s.sequence_parallel.empty() && sps.size() > 1) continue;  // same as off
                      for (int fsdp : pp == 1 ? fsdps : off) {
                        // FSDP shards the optimizer state itself: the distributed-optimizer choice is moot.
                        for (int dopt : fsdp ? dopt_on : s.distributed_optimizer) {
                          // Megatron: offload needs the distributed optimizer; not tried with FSDP, whose
                          // optimizer Megatron-FSDP builds itself (offload there is unverified).
                          for (int opt_off : dopt && !fsdp ? offloads : off)
                          for (Precision precision : precisions) {
                            l.optimizer_cpu_offload = opt_off != 0;
                            l.tp = tp;
                            l.cp = cp;
                            l.pp = pp;
                            l.vp = vp;
                            l.ep = ep;
                            l.etp = etp;
                            l.mbs = mbs;
                            l.recompute = rc.mode;
                            l.recompute_num_layers = rc.num_layers;
                            l.sequence_parallel = sp != 0 && tp > 1;
                            l.distributed_optimizer = dopt != 0;
                            l.fsdp = fsdp != 0;
                            l.account_for_embedding = l.account_for_loss = split == 1;
                            l.uneven_pipeline = split == 2;
                            l.precision = precision;
                            ++count;
                            visit(l);
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  return count;
}

}  // namespace hp
