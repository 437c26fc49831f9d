// The search summary (hp/search_summary.hpp): best layout, ties within the model's validated error, a roomier
// alternative, and how each planned trial relates to the best. Rules: docs/model.md "Search summary".
#include "hp/search_summary.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "hp/calibration.hpp"

namespace hp {

ErrorBand validated_error_band() {
  const ErrorStats e = validated_step_time_error();
  ErrorBand b;
  b.fraction = e.mean_abs_pct / 100;
  b.num_runs = e.num_runs;
  b.source = fmt::format("the held-out mean |error| of the predicted step time on {} published runs, row "
                         "\"holdout, dense, unflagged\" of hp-cli validate", e.num_runs);
  return b;
}

namespace {

std::string recompute_words(const RankedLayout& r) {
  switch (r.layout.recompute) {
    case Recompute::none: return "no recompute";
    case Recompute::selective: return "selective recompute";
    default: break;
  }
  return r.act_ckpt_layers > 0 ? fmt::format("full recompute ({} layers per chunk)", r.act_ckpt_layers)
                               : std::string("full recompute");
}

std::string recompute_short(const RankedLayout& r) {
  if (r.layout.recompute == Recompute::full && r.act_ckpt_layers > 0) return fmt::format("full{}", r.act_ckpt_layers);
  return to_string(r.layout.recompute);
}

bool same_time(double a, double b) { return std::abs(a - b) <= kExactTieRelative * std::max(a, b); }

}  // namespace

std::string layout_in_words(const RankedLayout& row) {
  const Layout& l = row.layout;
  std::string s = fmt::format("TP {}, PP {}, VP {}, CP {}", l.tp, l.pp, l.vp, l.cp);
  if (l.ep > 1) s += fmt::format(", EP {}", l.ep);
  s += fmt::format(", MBS {}, {}, SP {}, distributed optimizer {}", l.mbs, recompute_words(row),
                   l.sequence_parallel ? "on" : "off", l.distributed_optimizer ? "on" : "off");
  if (l.fp8()) s += fmt::format(", {} GEMMs", to_string(l.precision));
  if (l.fsdp) s += ", FSDP";
  if (l.optimizer_cpu_offload) s += fmt::format(", optimizer state {:g}% on the CPU", 100 * l.optimizer_offload_fraction);
  return s;
}

std::string layout_short(const RankedLayout& row) {
  const Layout& l = row.layout;
  std::string s = fmt::format("tp{} pp{} vp{} cp{}", l.tp, l.pp, l.vp, l.cp);
  if (l.ep > 1) s += fmt::format(" ep{}", l.ep);
  s += fmt::format(" mbs{} rc={} sp={} do={}", l.mbs, recompute_short(row), l.sequence_parallel ? 1 : 0,
                   l.distributed_optimizer ? 1 : 0);
  if (l.fp8()) s += fmt::format(" {}", to_string(l.precision));
  if (l.fsdp) s += " fsdp";
  if (l.optimizer_cpu_offload) s += fmt::format(" optoff={:g}", l.optimizer_offload_fraction);
  return s;
}

std::vector<std::string> layout_differences(const RankedLayout& a, const RankedLayout& b) {
  std::vector<std::string> out;
  const Layout& x = a.layout;
  const Layout& y = b.layout;
  auto num = [&](const char* name, int u, int v) {
    if (u != v) out.push_back(fmt::format("{} {} -> {}", name, u, v));
  };
  auto flag = [&](const char* name, bool u, bool v) {
    if (u != v) out.push_back(fmt::format("{} {} -> {}", name, u ? "on" : "off", v ? "on" : "off"));
  };
  num("tp", x.tp, y.tp);
  num("pp", x.pp, y.pp);
  num("vp", x.vp, y.vp);
  num("cp", x.cp, y.cp);
  num("ep", x.ep, y.ep);
  num("etp", x.etp, y.etp);
  num("mbs", x.mbs, y.mbs);
  if (recompute_short(a) != recompute_short(b))
    out.push_back(fmt::format("recompute {} -> {}", recompute_short(a), recompute_short(b)));
  flag("sp", x.sequence_parallel, y.sequence_parallel);
  flag("distributed optimizer", x.distributed_optimizer, y.distributed_optimizer);
  if (x.precision != y.precision)
    out.push_back(fmt::format("precision {} -> {}", to_string(x.precision), to_string(y.precision)));
  flag("fsdp", x.fsdp, y.fsdp);
  flag("optimizer offload", x.optimizer_cpu_offload, y.optimizer_cpu_offload);
  return out;
}

std::string plan_reason_meaning(const std::string& reason) {
  static const std::map<std::string, std::string> meanings = {
      {"top", "among the fastest predictions, one per (tp, pp, mbs, recompute) shape"},
      {"best of precision", "the fastest layout of a precision not yet in the plan: measures each precision asked for"},
      {"best of tp x pp", "the fastest layout of a (tp, pp) pair not yet in the plan: also tests the model"},
      {"explore", "a shape (or a variant predicted outside the error band of its shape) not yet in the plan"},
      {"nemo order", "NeMo's grid order: the first limit_search_runs candidates"},
  };
  const auto it = meanings.find(reason);
  return it == meanings.end() ? std::string() : it->second;
}

SearchSummary summarize_search(const SearchResult& result, const ErrorBand& band) {
  SearchSummary s;
  s.band = band;
  const auto& rows = result.ranked;
  // The best is the fastest layout that fits (the model policy ranks only those; the nemo grid keeps every one).
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < rows.size(); ++i)
    if (rows[i].fits) order.push_back(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return rows[a].step_time_s < rows[b].step_time_s; });
  if (order.empty()) {
    // Nothing fits (the nemo grid still plans its trials): every trial is listed as predicted not to fit.
    for (const Trial& t : result.plan.trials) {
      TrialSummary ts;
      ts.trial = t.index + 1;
      ts.fits = false;
      ts.memory_bytes = t.predicted_memory_bytes;
      ts.headroom_bytes = result.gpu.memory_bytes - ts.memory_bytes;
      s.plan.push_back(ts);
    }
    return s;
  }
  s.empty = false;
  s.best = order.front();
  const RankedLayout& best = rows[s.best];
  const double gpu_bytes = result.gpu.memory_bytes;
  s.best_headroom_bytes = gpu_bytes - best.memory_bytes;
  const double limit_s = best.step_time_s * (1 + band.fraction);
  std::map<std::size_t, int> rank_of;
  for (std::size_t k = 0; k < order.size(); ++k) {
    const std::size_t i = order[k];
    rank_of[i] = static_cast<int>(k) + 1;
    if (rows[i].step_time_s > limit_s) continue;
    ++s.num_within_band;
    if (k == 0) continue;
    if (same_time(rows[i].step_time_s, best.step_time_s)) {
      s.exact_ties.push_back(i);
      s.exact_tie_differences.push_back(layout_differences(best, rows[i]));
    }
    const double more_free = best.memory_bytes - rows[i].memory_bytes;
    if (s.roomier < 0 && more_free >= kRoomierFractionOfGpu * gpu_bytes) s.roomier = static_cast<long long>(i);
  }
  std::map<std::string, std::size_t> by_name;
  for (std::size_t i = 0; i < rows.size(); ++i)
    if (!rows[i].name.empty()) by_name.emplace(rows[i].name, i);
  for (const Trial& t : result.plan.trials) {
    TrialSummary ts;
    ts.trial = t.index + 1;
    const auto it = by_name.find(t.config_name);
    if (it != by_name.end() && rank_of.count(it->second)) ts.rank = rank_of[it->second];
    ts.memory_bytes = t.predicted_memory_bytes;
    if (it != by_name.end()) {
      ts.fits = rows[it->second].fits;
      ts.memory_bytes = rows[it->second].memory_bytes;
    }
    ts.vs_best = t.predicted_step_time_s / best.step_time_s - 1;
    ts.exact_tie = ts.fits && same_time(t.predicted_step_time_s, best.step_time_s);
    ts.within_band = ts.fits && t.predicted_step_time_s <= limit_s;
    ts.headroom_bytes = gpu_bytes - ts.memory_bytes;
    s.planned_within_band += ts.within_band;
    s.plan.push_back(ts);
  }
  return s;
}

}  // namespace hp
