// Model policy: evaluate every dividing layout with the performance model, count the rest by reason, rank the
// feasible ones, and pick the trials (docs/model.md, "Ranking" and "Trial selection").
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>
#include <cmath>
#include <set>
#include <map>
#include <tuple>

#include "hp/core.hpp"
#include "hp/rank.hpp"

namespace hp {
namespace {

constexpr std::size_t kNumReasons = 256;  // Infeasible is a uint8_t

auto tie_key(const RankedLayout& r) {
  const Layout& l = r.layout;
  return std::make_tuple(l.tp, l.pp, l.vp, l.cp, l.ep, l.mbs, static_cast<int>(l.recompute), l.recompute_num_layers,
                         l.sequence_parallel, !l.distributed_optimizer, static_cast<int>(l.precision), l.fsdp, l.etp,
                         l.account_for_embedding, l.recompute_modules, l.optimizer_cpu_offload);
}

}  // namespace

bool rank_less(const RankedLayout& a, const RankedLayout& b) noexcept {
  if (a.step_time_s != b.step_time_s) return a.step_time_s < b.step_time_s;
  if (a.memory_bytes != b.memory_bytes) return a.memory_bytes < b.memory_bytes;
  return tie_key(a) < tie_key(b);
}

RankedLayout to_ranked(const Layout& layout, const Estimate& e) {
  RankedLayout r;
  r.layout = layout;
  r.fits = e.fits && e.reason == Infeasible::none;
  r.reason = e.reason;
  r.step_time_s = e.time.step_time_s;
  r.memory_bytes = e.memory.total_bytes;
  r.tokens_per_s_per_gpu = e.tokens_per_s_per_gpu;
  r.tflops_per_gpu = e.tflops_per_gpu;
  r.mfu = e.mfu;
  return r;
}

SearchResult rank_space(const ModelSpec& model, const SearchSpace& space, const GpuSpec& gpu,
                        const Calibration& calibration, const EstimateOptions& options, const ProgressFn& progress) {
  SearchResult result;
  result.model = model;
  result.gpu = gpu;
  result.gbs = space.gbs;

  std::uint64_t total = 0;
  if (progress) total = enumerate_layouts(model, space, [](const Layout&) {});

  std::array<InfeasibleCount, kNumReasons> counts{};
  std::uint64_t done = 0;
  const int layers_per_model = model.num_layers + model.num_decoder_layers;
  auto count = [&](Infeasible reason, const Layout& l, double memory_bytes) {
    InfeasibleCount& c = counts[static_cast<std::size_t>(reason)];
    // The example: the first one met; for out_of_memory the one closest to fitting.
    if (c.count++ == 0 || (reason == Infeasible::out_of_memory && memory_bytes < c.example_memory_bytes)) {
      c.reason = reason;
      c.example = l;
      c.example_memory_bytes = memory_bytes;
    }
  };
  result.enumerated = enumerate_layouts(model, space, [&](const Layout& l) {
    if (progress && (++done & 0xFFF) == 0) progress(done, total);
    const Estimate e = estimate(model, l, gpu, calibration, options);
    if (e.reason != Infeasible::none && e.reason != Infeasible::out_of_memory) {
      count(e.reason, l, 0);  // does not divide: rejected before the model runs
      return;
    }
    ++result.evaluated;
    if (!e.fits || e.reason != Infeasible::none) {
      count(Infeasible::out_of_memory, l, e.memory.total_bytes);
      return;
    }
    RankedLayout r = to_ranked(l, e);
    if (l.recompute == Recompute::full) {
      const int per_chunk = layers_per_model / std::max(1, l.pp * l.vp);
      r.act_ckpt_layers = l.recompute_num_layers == 0 ? per_chunk : l.recompute_num_layers / std::max(1, l.vp);
    }
    result.ranked.push_back(r);
  });
  if (progress) progress(total, total);
  result.feasible = result.ranked.size();
  std::sort(result.ranked.begin(), result.ranked.end(), rank_less);
  for (const InfeasibleCount& c : counts)
    if (c.count > 0) result.infeasible.push_back(c);
  std::stable_sort(result.infeasible.begin(), result.infeasible.end(),
                   [](const InfeasibleCount& a, const InfeasibleCount& b) { return a.count > b.count; });
  return result;
}

std::vector<TrialPick> select_trials(const std::vector<RankedLayout>& ranked, int limit, double model_error) {
  const std::size_t n = std::min<std::size_t>(ranked.size(), static_cast<std::size_t>(std::max(0, limit)));
  std::vector<const char*> why(ranked.size(), nullptr);
  // A shape is what changes memory and speed the most: (tp, pp, mbs, recompute). CP, VP, EP, SP and the
  // optimizer sharding are its variants; measuring two variants the model cannot tell apart spends a trial on
  // the noise of the model.
  using Shape = std::tuple<int, int, int, int>;
  auto shape = [&](std::size_t i) {
    const Layout& l = ranked[i].layout;
    return Shape{l.tp, l.pp, l.mbs, static_cast<int>(l.recompute)};
  };
  std::map<Shape, std::vector<double>> chosen;  // predicted times taken per shape
  std::set<std::pair<int, int>> pairs;
  std::size_t taken = 0;
  auto take = [&](std::size_t i, const char* reason) {
    why[i] = reason;
    chosen[shape(i)].push_back(ranked[i].step_time_s);
    pairs.emplace(ranked[i].layout.tp, ranked[i].layout.pp);
    ++taken;
  };
  // 1. The top ceil(n/2) predictions, one per shape.
  for (std::size_t i = 0; i < ranked.size() && taken < (n + 1) / 2; ++i)
    if (!chosen.count(shape(i))) take(i, "top");
  // 1b. The best layout of each precision not yet measured: the user asked for them to weigh numerics against
  //     speed, and each recipe's efficiency is fitted on few runs.
  std::set<Precision> precisions;
  for (std::size_t i = 0; i < ranked.size(); ++i)
    if (why[i]) precisions.insert(ranked[i].layout.precision);
  for (std::size_t i = 0; i < ranked.size() && taken < n; ++i)
    if (!why[i] && precisions.insert(ranked[i].layout.precision).second) take(i, "best of precision");
  // 2. The best layout of each (tp, pp) not yet measured, in rank order: the runs also test the model.
  for (std::size_t i = 0; i < ranked.size() && taken < n; ++i)
    if (!why[i] && !pairs.count({ranked[i].layout.tp, ranked[i].layout.pp})) take(i, "best of tp x pp");
  // 3. Shapes not yet chosen, in rank order.
  for (std::size_t i = 0; i < ranked.size() && taken < n; ++i)
    if (!why[i] && !chosen.count(shape(i))) take(i, "explore");
  // 4. A variant of a chosen shape only when its prediction is more than the model's error away from every
  //    variant of that shape already taken; near-ties are left out even if slots stay free.
  for (std::size_t i = 0; i < ranked.size() && taken < n; ++i) {
    if (why[i]) continue;
    const double t = ranked[i].step_time_s;
    const auto& times = chosen[shape(i)];
    if (std::all_of(times.begin(), times.end(), [&](double u) { return std::abs(t - u) > model_error * u; }))
      take(i, "explore");
  }
  std::vector<TrialPick> out;
  for (std::size_t i = 0; i < ranked.size(); ++i)
    if (why[i]) out.push_back({i, why[i]});
  return out;
}

std::vector<std::string> suggest_changes(const ModelSpec& model, const SearchSpace& space, const GpuSpec& gpu,
                                         const Calibration& calibration, const EstimateOptions& options) {
  std::vector<std::string> out;
  auto best = [&](const SearchSpace& s) -> std::optional<RankedLayout> {
    SearchResult r = rank_space(model, s, gpu, calibration, options);
    if (r.ranked.empty()) return std::nullopt;
    return r.ranked.front();
  };
  auto describe = [](const RankedLayout& r) {
    return fmt::format("{}, predicted {:.3g} s/step, {:.1f} GiB", describe_layout(r.layout), r.step_time_s,
                       r.memory_bytes / kGiB);
  };
  SearchSpace s = space;
  // Only precisions the GPU has no tensor cores for (MXFP8 on Hopper, FP8 on Ampere): BF16 runs everywhere.
  if (!space.precisions.empty() && std::none_of(space.precisions.begin(), space.precisions.end(), [&](Precision p) {
        return supports_precision(gpu, p);
      })) {
    s.precisions = {Precision::bf16};
    if (auto r = best(s)) {
      out.push_back(fmt::format("precision bf16 ({} has no tensor cores for the ones asked for) fits: {}", gpu.name,
                                describe(*r)));
      return out;
    }
    return suggest_changes(model, s, gpu, calibration, options);  // BF16 alone does not fit either
  }
  // A global batch that no data-parallel size divides (e.g. 2048 on 160 GPUs): the nearest multiples of the GPU count.
  if (space.gbs % space.num_gpus != 0) {
    const int below = space.gbs / space.num_gpus * space.num_gpus, above = below + space.num_gpus;
    for (int gbs : space.gbs - below <= above - space.gbs ? std::vector<int>{below, above} : std::vector<int>{above, below}) {
      if (gbs <= 0) continue;
      s.gbs = gbs;
      if (auto r = best(s)) out.push_back(fmt::format("global_batch_size {} fits: {}", gbs, describe(*r)));
    }
    s = space;
  }
  s.mbs = {1};
  if (auto r = best(s); r && space.mbs != s.mbs) out.push_back("micro batch size 1 fits: " + describe(*r));
  s = space;
  s.recompute_modes = {Recompute::full};
  s.recompute_num_layers.clear();
  if (space.recompute_modes != s.recompute_modes)
    if (auto r = best(s)) out.push_back("full activation recomputation fits: " + describe(*r));
  s = space;
  s.cp.clear();
  for (int cp = 1; cp <= 64 && cp <= space.num_gpus; cp *= 2) s.cp.push_back(cp);
  if (s.cp != space.cp)
    if (auto r = best(s)) out.push_back("a longer sequence split (context parallel up to 64) fits: " + describe(*r));
  // More GPUs (the global batch grows to one sequence per data-parallel rank when it must).
  s = space;
  if (std::find(s.recompute_modes.begin(), s.recompute_modes.end(), Recompute::full) == s.recompute_modes.end())
    s.recompute_modes.push_back(Recompute::full);
  for (int factor = 2; factor <= 64; factor *= 2) {
    s.num_gpus = space.num_gpus * factor;
    if (auto r = best(s)) {
      out.push_back(fmt::format("{}x the GPUs ({} GPUs) fits: {}", factor, s.num_gpus, describe(*r)));
      break;
    }
  }
  return out;
}

}  // namespace hp
