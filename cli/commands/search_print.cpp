// hp-cli search's text output (search_print.hpp). The library decides (hp::summarize_search); this file words it.
// Every line fits kLineWidth columns: prose is wrapped, the table's layout column is the short form.
#include "search_print.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <set>

#include "command.hpp"
#include "hp/core.hpp"
#include "hp/search_summary.hpp"

namespace hpcli {
namespace {

double gib(double bytes) { return bytes / hp::kGiB; }

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : sep) + s;
  return out;
}

void print_best(const hp::SearchResult& r, const hp::SearchSummary& s) {
  const hp::RankedLayout& b = r.ranked[s.best];
  fmt::print("{}", wrap("best: " + hp::layout_in_words(b), "      "));
  fmt::print("{}", wrap(fmt::format("      predicted {:.3f} s per step ({:.0f} tokens/s/GPU, MFU {:.1f} %), {:.1f} GiB "
                                    "per GPU of {:.1f} GiB: {:.1f} GiB headroom",
                                    b.step_time_s, b.tokens_per_s_per_gpu, 100 * b.mfu, gib(b.memory_bytes),
                                    gib(r.gpu.memory_bytes), gib(s.best_headroom_bytes)),
                        "      "));
}

void print_ties(const hp::SearchResult& r, const hp::SearchSummary& s) {
  const double pct = 100 * s.band.fraction;
  fmt::print("{}", wrap(fmt::format("ties: {} of {} feasible layouts are predicted within {:.1f} % of the best. {:.1f} % is "
                                    "the model's validated error, {}: the model cannot rank them; the trials "
                                    "measure which is fastest.",
                                    s.num_within_band, r.feasible, pct, pct, s.band.source)));
  for (std::size_t k = 0; k < s.exact_ties.size(); ++k) {
    const hp::RankedLayout& t = r.ranked[s.exact_ties[k]];
    const auto& diff = s.exact_tie_differences[k];
    fmt::print("{}", wrap(fmt::format("  exact tie: {} predicts the same step time as the best; it differs in {}, "
                                      "which changes no time the model counts for this layout",
                                      hp::layout_short(t), diff.empty() ? "nothing the ranking shows" : join(diff, ", ")),
                          "    "));
  }
  if (s.roomier >= 0) {
    const hp::RankedLayout& x = r.ranked[static_cast<std::size_t>(s.roomier)];
    const double slower = 100 * (x.step_time_s / r.ranked[s.best].step_time_s - 1);
    std::string trial = " (not planned)";
    for (const hp::Trial& t : r.plan.trials)
      if (t.config_name == x.name) trial = fmt::format(" (trial {})", t.index + 1);
    fmt::print("{}", wrap(fmt::format("  more headroom within the band: {}{} is {:.1f} % slower and uses {:.1f} GiB per "
                                      "GPU ({:.1f} GiB headroom, {:.1f} GiB more than the best)",
                                      hp::layout_short(x), trial, slower, gib(x.memory_bytes),
                                      gib(r.gpu.memory_bytes - x.memory_bytes),
                                      gib(r.ranked[s.best].memory_bytes - x.memory_bytes)),
                          "    "));
  }
}

void print_plan(const hp::SearchResult& r, const hp::SearchSummary& s) {
  const auto& trials = r.plan.trials;
  fmt::print("{}", wrap(fmt::format("plan: {} trials, launched in this order ({} within the band of the best; vs best: "
                                    "= same predicted time, ~ within the band, no fit = predicted not to fit):",
                                    trials.size(), s.planned_within_band)));
  std::vector<std::string> layouts;
  std::size_t width = 6;
  for (const hp::Trial& t : trials) {
    hp::RankedLayout row;
    row.layout = t.layout;
    row.act_ckpt_layers = t.act_ckpt_layers;
    layouts.push_back(hp::layout_short(row));
    width = std::max(width, layouts.back().size());
  }
  fmt::print("{:>5} {:>5} {:>8} {:>8} {:>8} {:>8} {:>5}  {:<{}}  {}\n", "trial", "rank", "step_s", "vs_best", "mem_GiB",
             "free_GiB", "nodes", "layout", width, "why");
  for (std::size_t i = 0; i < trials.size(); ++i) {
    const hp::Trial& t = trials[i];
    const hp::TrialSummary& ts = s.plan[i];
    const std::string vs = !ts.fits       ? "no fit"
                           : ts.exact_tie ? "=best"
                                          : fmt::format("{}{:+.1f}%", ts.within_band ? "~" : "", 100 * ts.vs_best);
    // A layout the rules reject (NeMo's grid plans those too) has no prediction: dashes, not zeros.
    const bool predicted = t.predicted_step_time_s > 0 && ts.memory_bytes > 0;
    const std::string step = predicted ? fmt::format("{:.4f}", t.predicted_step_time_s) : "-";
    const std::string mem = predicted ? fmt::format("{:.1f}", gib(ts.memory_bytes)) : "-";
    const std::string free = predicted ? fmt::format("{:.1f}", gib(ts.headroom_bytes)) : "-";
    fmt::print("{:>5} {:>5} {:>8} {:>8} {:>8} {:>8} {:>5}  {:<{}}  {}\n", ts.trial,
               ts.rank > 0 ? std::to_string(ts.rank) : "-", step, vs, mem, free, t.num_nodes, layouts[i], width,
               t.reason);
  }
  if (!trials.empty())
    fmt::print("{}", wrap(fmt::format("trials on {} nodes: {:.1f} GPU-hours at their time limits (full-size trials: "
                                      "{:.1f}); step_s and mem_GiB are predicted for the full {} nodes",
                                      r.plan.trial_nodes == "min" ? "the fewest" : "all", r.plan.gpu_hours(),
                                      r.plan.full_size_gpu_hours(), r.num_nodes)));
  if (!r.plan.reserves.empty())
    fmt::print("{}", wrap(fmt::format("reserves: {} more candidates, launched only when a trial dropped by the memory "
                                      "refit frees a slot",
                                      r.plan.reserves.size())));
  std::set<std::string> reasons;
  for (const hp::Trial& t : trials)
    if (reasons.insert(t.reason).second && !hp::plan_reason_meaning(t.reason).empty())
      fmt::print("{}", wrap(fmt::format("  why {}: {}", t.reason, hp::plan_reason_meaning(t.reason)), "    "));
}

}  // namespace

void print_search_text(const hp::SearchResult& r, AfterSearch after) {
  fmt::print("{}", wrap(fmt::format("{} on {} nodes x {} {} (GBS {}), policy {}: {} layouts, {} evaluated, {} feasible "
                                    "in {:.3f} s",
                                    r.plan.model_name, r.num_nodes, r.gpus_per_node, r.gpu.name, r.gbs,
                                    hp::to_string(r.policy), r.enumerated, r.evaluated, r.feasible, r.elapsed_s)));
  for (const std::string& a : r.assumed) fmt::print("{}", wrap("assumed: " + a, "    "));
  const hp::SearchSummary s = hp::summarize_search(r, hp::validated_error_band());
  if (!s.empty) {
    fmt::print("\n");
    print_best(r, s);
    print_ties(r, s);
  }
  fmt::print("\n");
  print_plan(r, s);
  for (const auto& c : r.infeasible)
    fmt::print("{}", wrap(fmt::format("infeasible: {} x {} (e.g. {})", c.count, hp::to_string(c.reason),
                                      hp::describe_layout(c.example)),
                          "    "));
  const std::string& dir = r.plan.results_dir;
  switch (after) {
    case AfterSearch::launch:
      fmt::print("launching the plan now; results in {}/\n", dir);
      break;
    case AfterSearch::written:
      fmt::print("{}", wrap(fmt::format("wrote {}/plan.yaml, candidate_configs/ and predicted_summary.csv (every "
                                        "feasible layout, ranked)",
                                        dir)));
      fmt::print("{}", wrap(fmt::format("next: hp-cli search --resume {} --executor slurm   (or --executor local to "
                                        "run the trials on this machine)",
                                        dir)));
      break;
    case AfterSearch::not_written:
      fmt::print("{}", wrap("nothing written (--no-write); next: run the same command without --no-write to write "
                            "the plan and the candidate configs"));
      break;
  }
}

}  // namespace hpcli
