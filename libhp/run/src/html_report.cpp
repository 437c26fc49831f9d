// One self-contained HTML page with inline SVG: what won, predicted vs measured step time per trial, the
// predicted memory breakdown (performance model) of the top layouts against the GPU's memory, and the trial
// table, all in one order (fastest measured first, then the failed trials with their reasons).
#include <fmt/core.h>

#include <map>

#include "hp/core.hpp"
#include "hp/perf.hpp"
#include "hp/run/runner.hpp"
#include "hp/svg.hpp"
#include "report_charts.hpp"

namespace hp::run {
namespace {

std::string summary(const std::vector<const hp::TrialResult*>& order, const hp::TrialResult* best) {
  std::map<std::string, int> failed;
  int measured = 0;
  for (const auto* r : order) r->measured() ? ++measured : ++failed[failure_reason(*r)];
  std::string h = "<p class=\"summary\">";
  if (best)
    h += fmt::format("<b>Fastest measured: {}</b> at {:.3f} s per step{}. ", hp::svg::escape(best->config_name),
                     best->stats.mean_s,
                     best->predicted_step_time_s > 0 ? fmt::format(" (predicted {:.3f} s)", best->predicted_step_time_s) : "");
  else
    h += "<b>No trial was measured</b>: every trial failed. ";
  h += fmt::format("{} of {} trials measured", measured, order.size());
  std::string parts;
  for (const auto& [reason, n] : failed) parts += fmt::format("{}{} {}", parts.empty() ? "" : ", ", n, reason);
  if (!parts.empty()) h += fmt::format("; failed: {}", hp::svg::escape(parts));
  return h + ".</p>\n";
}

}  // namespace

std::string html_report(const std::vector<hp::TrialResult>& results, const std::string& gpu_name) {
  hp::GpuSpec gpu = hp::run_gpu(gpu_name);
  const std::vector<const hp::TrialResult*> order = report_order(results);
  const hp::TrialResult* best = hp::best_trial(results);
  std::string h = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>bignlp-hp search report</title>"
                  "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
                  "padding:2px 6px;font-size:12px}td.num{text-align:right}tr.winner{background:#e3f4e1;font-weight:bold}"
                  "tr.failed td.result{color:#c00000}</style></head><body>\n<h1>Training HP search: measured trials</h1>\n";
  h += summary(order, best);
  h += "<h2>Step time per trial: predicted vs measured (fastest measured first)</h2>\n" + step_time_chart(order, best) + "\n";
  h += "<h2>Memory per GPU of the fastest layouts and of those that ran out of memory (performance model, " +
       hp::svg::escape(gpu.name) + ")</h2>\n" + memory_chart(order, best, gpu) + "\n";
  // Trial sizing: measured on the trial's nodes; the full-scale step time adds the model's scale terms (predicted).
  h += "<h2>Trials (fastest measured first, at full scale)</h2>\n<p>measured: on the trial's nodes; full scale: measured "
       "- the predicted scale terms of the trial (data-parallel communication, optimizer shard, pipeline hop) + those "
       "at full scale (docs/model.md, \"Trials on the fewest nodes\")</p>\n<table><tr><th>#</th><th>trial</th>"
       "<th>nodes (trial/full)</th><th>predicted step time [s] (full scale)</th><th>measured step time [s]</th>"
       "<th>stddev [s]</th><th>steps</th><th>predicted scale terms [s] (trial/full)</th><th>full-scale step time [s]"
       "</th><th>source</th><th>GPU-hours</th><th>max allocated [GiB]</th><th>result</th><th>evidence</th></tr>\n";
  for (size_t i = 0; i < order.size(); ++i) {
    const hp::TrialResult& r = *order[i];
    const bool win = &r == best;
    const std::string result = win ? "\xE2\x98\x85 fastest measured"
                               : r.measured() ? "measured"
                                              : "\xE2\x9C\x95 failed: " + failure_reason(r);
    const bool sized = r.full_scale.predicted;
    h += fmt::format("<tr class=\"{}\"><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}/{}</td><td class=\"num\">{}</td>"
                     "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
                     "<td class=\"num\">{}</td><td>{}</td><td class=\"num\">{:.3f}</td><td class=\"num\">{}</td>"
                     "<td class=\"result\">{}</td><td>{}</td></tr>\n",
                     win ? "winner" : r.measured() ? "measured" : "failed", i + 1, hp::svg::escape(r.config_name),
                     r.config.num_nodes, r.full_nodes(),
                     r.predicted_step_time_s > 0 ? fmt::format("{:.4f}", r.predicted_step_time_s) : "",
                     r.stats.valid ? fmt::format("{:.4f}", r.stats.mean_s) : "",
                     r.stats.valid ? fmt::format("{:.4f}", r.stats.stddev_s) : "", r.stats.num_points,
                     sized ? fmt::format("{:.4f} / {:.4f}", r.full_scale.trial_scale_terms_s, r.full_scale.full_scale_terms_s) : "",
                     r.measured() ? fmt::format("{:.4f}", r.full_scale_step_time_s()) : "",
                     !r.measured() ? "" : sized ? "measured + predicted scale terms" : "measured", r.gpu_hours(),
                     r.measured_max_memory_bytes > 0 ? fmt::format("{:.2f}", r.measured_max_memory_bytes / hp::kGiB) : "",
                     result, hp::svg::escape(r.failure.evidence));
  }
  return h + "</table>\n</body></html>\n";
}

}  // namespace hp::run
