// One self-contained HTML page with inline SVG: predicted vs measured step time per trial, and the predicted
// memory breakdown (performance model) of the top layouts against the GPU's memory.
#include <algorithm>
#include <fmt/core.h>

#include "hp/perf.hpp"
#include "hp/run/runner.hpp"
#include "trial_eval.hpp"

namespace hpfe {
namespace {

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '&') o += "&amp;";
    else if (c == '"') o += "&quot;";
    else o += c;
  }
  return o;
}

std::string step_time_chart(const std::vector<hp::TrialResult>& rs) {
  double vmax = 1e-9;
  for (const auto& r : rs) vmax = std::max({vmax, r.predicted_step_time_s, r.measured() ? r.stats.mean_s : 0.0});
  const int row = 34, left = 360, width = 420;
  std::string s = fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" font-family="sans-serif" font-size="11">)",
                              left + width + 140, row * static_cast<int>(rs.size()) + 40);
  s += R"(<rect x="10" y="8" width="10" height="10" fill="#8fb3de"/><text x="24" y="17">predicted</text>)"
       R"(<rect x="100" y="8" width="10" height="10" fill="#e07b39"/><text x="114" y="17">measured (NeMo: mean after 5 warm-up steps)</text>)";
  int y = 30;
  for (const auto& r : rs) {
    s += fmt::format(R"(<text x="{}" y="{}" text-anchor="end">{}</text>)", left - 6, y + 14, esc(short_trial_name(r.config_name).substr(0, 60)));
    double wp = width * r.predicted_step_time_s / vmax;
    s += fmt::format(R"(<rect x="{}" y="{}" width="{:.1f}" height="12" fill="#8fb3de"/>)", left, y, wp);
    if (r.predicted_step_time_s > 0)
      s += fmt::format(R"(<text x="{:.1f}" y="{}">{:.3f} s</text>)", left + wp + 4, y + 10, r.predicted_step_time_s);
    if (r.measured()) {
      double wm = width * r.stats.mean_s / vmax;
      s += fmt::format(R"(<rect x="{}" y="{}" width="{:.1f}" height="12" fill="#e07b39"/><text x="{:.1f}" y="{}">{:.3f} s</text>)",
                       left, y + 14, wm, left + wm + 4, y + 24, r.stats.mean_s);
    } else {
      s += fmt::format(R"(<text x="{}" y="{}" fill="#b00">failed: {}</text>)", left, y + 24, hp::to_string(r.failure.kind));
    }
    y += row;
  }
  return s + "</svg>";
}

std::string memory_chart(const std::vector<hp::TrialResult>& rs, const hp::GpuSpec& gpu) {
  struct Part {
    const char* name;
    const char* color;
    double hp::MemoryBreakdown::*field;
  };
  const Part parts[] = {{"weights", "#4e79a7", &hp::MemoryBreakdown::weights_bytes},
                        {"gradients", "#f28e2b", &hp::MemoryBreakdown::gradients_bytes},
                        {"optimizer", "#59a14f", &hp::MemoryBreakdown::optimizer_bytes},
                        {"activations", "#e15759", &hp::MemoryBreakdown::activations_bytes},
                        {"embedding/logits", "#b07aa1", &hp::MemoryBreakdown::embedding_logits_bytes},
                        {"overhead", "#9c755f", &hp::MemoryBreakdown::overhead_bytes}};
  std::vector<const hp::TrialResult*> top;
  for (const auto& r : rs) top.push_back(&r);
  std::stable_sort(top.begin(), top.end(), [](auto* a, auto* b) {
    double ta = a->measured() ? a->stats.mean_s : 1e30, tb = b->measured() ? b->stats.mean_s : 1e30;
    return ta < tb;
  });
  if (top.size() > 5) top.resize(5);
  const int left = 360, width = 420, row = 24;
  const double scale = width / gpu.memory_bytes;
  std::string s = fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" font-family="sans-serif" font-size="11">)",
                              left + width + 160, row * static_cast<int>(top.size()) + 50);
  int x = 10;
  for (const Part& p : parts) {
    s += fmt::format(R"(<rect x="{}" y="8" width="10" height="10" fill="{}"/><text x="{}" y="17">{}</text>)", x, p.color, x + 14, p.name);
    x += 30 + 7 * static_cast<int>(std::string(p.name).size());
  }
  int y = 30;
  hp::Calibration cal = hp::default_calibration(gpu);
  for (const hp::TrialResult* r : top) {
    hp::Estimate e = hp::estimate(r->config.model, hp::layout_from_nemo(r->config), gpu, cal);
    s += fmt::format(R"(<text x="{}" y="{}" text-anchor="end">{}</text>)", left - 6, y + 12, esc(short_trial_name(r->config_name).substr(0, 60)));
    double cx = left;
    for (const Part& p : parts) {
      double w = std::max(0.0, e.memory.*(p.field) * scale);
      s += fmt::format(R"(<rect x="{:.1f}" y="{}" width="{:.1f}" height="16" fill="{}"><title>{} {:.1f} GiB</title></rect>)",
                       cx, y, w, p.color, p.name, e.memory.*(p.field) / 1073741824.0);
      cx += w;
    }
    std::string label = fmt::format("{:.1f} GiB predicted", e.memory.total_bytes / 1073741824.0);
    if (r->measured_max_memory_bytes > 0) {  // what the trainer printed (max allocated), as a black tick
      double mx = left + r->measured_max_memory_bytes * scale;
      s += fmt::format(R"(<line x1="{0:.1f}" y1="{1}" x2="{0:.1f}" y2="{2}" stroke="#000" stroke-width="2"/>)", mx, y - 2, y + 18);
      label += fmt::format(", {:.1f} measured", r->measured_max_memory_bytes / 1073741824.0);
    }
    s += fmt::format(R"(<text x="{:.1f}" y="{}">{}</text>)", std::max(cx, left + r->measured_max_memory_bytes * scale) + 4, y + 12, label);
    y += row;
  }
  s += fmt::format(R"(<line x1="{0}" y1="26" x2="{0}" y2="{1}" stroke="#000" stroke-dasharray="4"/><text x="{0}" y="{2}" text-anchor="end">{3} {4:.0f} GB</text>)",
                   left + width, y, y + 12, esc(gpu.name), gpu.memory_bytes / 1e9);
  return s + "</svg>";
}

}  // namespace

std::string html_report(const std::vector<hp::TrialResult>& results, const std::string& gpu_name) {
  hp::GpuSpec gpu = hp::run_gpu(gpu_name);
  std::string h = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>bignlp-hp search report</title>"
                  "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
                  "padding:2px 6px;font-size:12px}</style></head><body>\n<h1>Training HP search: measured trials</h1>\n";
  h += "<h2>Step time per trial: predicted vs measured</h2>\n" + step_time_chart(results) + "\n";
  h += "<h2>Memory per GPU of the top layouts (performance model, " + esc(gpu.name) +
       "; black tick: max allocated as the trainer logged it)</h2>\n" + memory_chart(results, gpu) + "\n";
  // Measured on the trial's nodes; the full-scale step time adds the model's scale terms (predicted).
  h += "<h2>Trials</h2>\n<p>measured: on the trial's nodes; full scale: measured - the predicted scale terms of the "
       "trial (data-parallel communication, optimizer shard, pipeline hop) + those at full scale (docs/model.md, \"Trials on the fewest nodes\")</p>\n<table><tr><th>trial</th>"
       "<th>nodes (trial/full)</th><th>predicted s (full scale)</th><th>measured s</th><th>stddev s</th><th>steps</th>"
       "<th>predicted scale terms s (trial/full)</th><th>full-scale s</th><th>source</th><th>GPU-hours</th><th>failure</th>"
       "<th>evidence</th></tr>\n";
  for (const auto& r : results) {
    const bool sized = r.full_scale.predicted;
    h += fmt::format("<tr><td>{}</td><td>{}/{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                     "<td>{}</td><td>{:.3f}</td><td>{}</td><td>{}</td></tr>\n",
                     esc(r.config_name), r.config.num_nodes, r.full_nodes(),
                     r.predicted_step_time_s > 0 ? fmt::format("{:.4f}", r.predicted_step_time_s) : "",
                     r.stats.valid ? fmt::format("{:.4f}", r.stats.mean_s) : "", r.stats.valid ? fmt::format("{:.4f}", r.stats.stddev_s) : "",
                     r.stats.num_points,
                     sized ? fmt::format("{:.4f} / {:.4f}", r.full_scale.trial_scale_terms_s, r.full_scale.full_scale_terms_s) : "",
                     r.measured() ? fmt::format("{:.4f}", r.full_scale_step_time_s()) : "",
                     !r.measured() ? "" : sized ? "measured + predicted scale terms" : "measured", r.gpu_hours(),
                     r.measured() ? "" : hp::to_string(r.failure.kind), esc(r.failure.evidence));
  }
  return h + "</table>\n</body></html>\n";
}

}  // namespace hpfe
