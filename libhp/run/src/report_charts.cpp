// report.html's charts: step time per trial (predicted vs measured) and predicted memory per GPU, both as
// horizontal bars on a labelled axis from 0 with "nice" ticks just past the data. Layout widths come from
// hp::svg::text_width so that labels, values and the legend never overlap.
#include "report_charts.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "hp/core.hpp"
#include "hp/perf.hpp"
#include "hp/run/runner.hpp"
#include "hp/svg.hpp"

namespace hp::run {
namespace {

namespace svg = hp::svg;

constexpr double kFont = 12;
constexpr double kPlotW = 440;                  // px of the bar area
constexpr const char* kPredicted = "#8fb3de";   // light blue
constexpr const char* kMeasured = "#e07b39";    // orange
constexpr const char* kFail = "#c00000";        // red: failure marker and reason
constexpr const char* kWinnerBg = "#e3f4e1";    // light green row background of the fastest measured trial
constexpr const char* kWinner = "#2a7a2a";      // its label colour

std::string open_svg(double w, double h) {
  return fmt::format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0:.0f}\" height=\"{1:.0f}\" "
                     "viewBox=\"0 0 {0:.0f} {1:.0f}\" font-family=\"DejaVu Sans, Verdana, sans-serif\" "
                     "font-size=\"{2}\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
                     std::ceil(w), std::ceil(h), kFont);
}

// The failure marker, 10 x 10 px centred at (x, y); class "swatch" in a legend.
std::string cross(double x, double y, const char* cls = "failure-marker") {
  return fmt::format("<path class=\"{4}\" d=\"M{0:.1f},{1:.1f}l10,10M{0:.1f},{2:.1f}l10,-10\" "
                     "stroke=\"{3}\" stroke-width=\"2.5\" fill=\"none\"/>",
                     x - 5, y - 5, y + 5, kFail, cls);
}

// Legend items laid out left to right from x = 10 at baseline y; returns the SVG and the right edge reached.
struct Item {
  std::string swatch;  // drawn with its centre at (0, 0)
  std::string text;
};
std::pair<std::string, double> legend(const std::vector<Item>& items, double y) {
  std::string s;
  double x = 10;
  for (const Item& it : items) {
    s += fmt::format("<g transform=\"translate({:.1f} {:.1f})\">{}</g><text class=\"legend\" x=\"{:.1f}\" y=\"{:.1f}\">{}"
                     "</text>\n", x + 6, y - 4, it.swatch, x + 16, y, svg::escape(it.text));
    x += 16 + svg::text_width(it.text, kFont) + 18;
  }
  return {s, x};
}

// Vertical grid, tick labels under the plot and the axis title; ticks from svg::linear_ticks.
std::string x_axis(const std::vector<double>& ticks, double left, double top, double bottom, const std::string& title) {
  std::string s;
  const double scale = kPlotW / ticks.back();
  for (double t : ticks) {
    const double x = left + t * scale;
    s += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#e4e4e4\"/>"
                     "<text class=\"xtick\" x=\"{0:.1f}\" y=\"{3:.1f}\" text-anchor=\"middle\">{4}</text>\n",
                     x, top, bottom, bottom + 16, svg::tick_label(t));
  }
  s += fmt::format("<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\" stroke=\"#444\"/>"
                   "<line x1=\"{0}\" y1=\"{3:.1f}\" x2=\"{0}\" y2=\"{1:.1f}\" stroke=\"#444\"/>\n",
                   left, bottom, left + kPlotW, top);
  s += fmt::format("<text class=\"xtitle\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n",
                   left + kPlotW / 2, bottom + 36, svg::escape(title));
  return s;
}

std::string row_label(const hp::TrialResult* r, int rank) {
  return fmt::format("{}. {}", rank, short_trial_name(r->config_name).substr(0, 60));
}

}  // namespace

std::vector<const hp::TrialResult*> report_order(const std::vector<hp::TrialResult>& results) {
  std::vector<const hp::TrialResult*> v;
  for (const auto& r : results) v.push_back(&r);
  std::stable_sort(v.begin(), v.end(), [](const hp::TrialResult* a, const hp::TrialResult* b) {
    if (a->measured() != b->measured()) return a->measured();
    // At full scale: a trial on fewer nodes ranks by its measurement plus the predicted scale terms.
    const double ka = a->measured() ? a->full_scale_step_time_s() : a->predicted_step_time_s > 0 ? a->predicted_step_time_s : 1e300;
    const double kb = b->measured() ? b->full_scale_step_time_s() : b->predicted_step_time_s > 0 ? b->predicted_step_time_s : 1e300;
    if (ka != kb) return ka < kb;
    return a->config_name < b->config_name;
  });
  return v;
}

std::string failure_reason(const hp::TrialResult& r) {
  if (r.measured()) return "";
  const char* words = "too few step times logged";
  switch (r.failure.kind) {
    case hp::FailureKind::none: break;
    case hp::FailureKind::cuda_oom: words = "out of memory"; break;
    case hp::FailureKind::nccl_timeout: words = "NCCL timeout"; break;
    case hp::FailureKind::nccl_error: words = "NCCL error"; break;
    case hp::FailureKind::slurm_node_fail: words = "node failure"; break;
    case hp::FailureKind::time_limit: words = "time limit"; break;
    case hp::FailureKind::slurm_cancelled: words = "cancelled"; break;
    case hp::FailureKind::nonzero_exit: words = "trainer exited with an error"; break;
    case hp::FailureKind::no_steps: words = "no steps logged"; break;
  }
  return fmt::format("{} ({})", words, hp::to_string(r.failure.kind == hp::FailureKind::none ? hp::FailureKind::no_steps
                                                                                             : r.failure.kind));
}

std::string step_time_chart(const std::vector<const hp::TrialResult*>& rows, const hp::TrialResult* best) {
  double vmax = 0, label_w = svg::text_width("trial (fastest measured first)", kFont, true);
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto* r = rows[i];
    vmax = std::max({vmax, r->predicted_step_time_s, r->measured() ? r->stats.mean_s : 0.0});
    label_w = std::max(label_w, svg::text_width(row_label(r, static_cast<int>(i) + 1), kFont, r == best));
  }
  const std::vector<double> ticks = svg::linear_ticks(vmax, 5);
  const double scale = kPlotW / ticks.back();
  const double left = std::ceil(12 + label_w + 12), top = 52, row = 36;
  const double bottom = top + row * static_cast<double>(rows.size()) + 4;
  std::string body;
  double right = left + kPlotW + 10;
  auto value = [&](double x, double y, const std::string& text, const char* extra = "") {
    body += fmt::format("<text class=\"value\" x=\"{:.1f}\" y=\"{:.1f}\"{}>{}</text>\n", x, y, extra, svg::escape(text));
    right = std::max(right, x + svg::text_width(text, kFont, std::string(extra).find("bold") != std::string::npos) + 10);
  };
  double y = top + 4;
  for (size_t i = 0; i < rows.size(); ++i) {
    const hp::TrialResult* r = rows[i];
    const bool win = r == best;
    if (win)  // the highlight spans the whole row: its width (@W@) is known once every value is laid out
      body += fmt::format("<rect class=\"winner\" x=\"4\" y=\"{:.1f}\" width=\"@W@\" height=\"{}\" fill=\"{}\"/>\n",
                          y - 3, row - 4, kWinnerBg);
    body += fmt::format("<text class=\"trial\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\"{}>{}</text>\n", left - 12,
                        y + 15, win ? fmt::format(" fill=\"{}\" font-weight=\"bold\"", kWinner) : "",
                        svg::escape(row_label(r, static_cast<int>(i) + 1)));
    if (r->predicted_step_time_s > 0) {
      const double w = r->predicted_step_time_s * scale;
      body += fmt::format("<rect class=\"predicted\" x=\"{}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"11\" fill=\"{}\"/>\n",
                          left, y, w, kPredicted);
      value(left + w + 4, y + 10, fmt::format("{:.3f} s predicted", r->predicted_step_time_s));
    }
    if (r->measured()) {
      const double w = r->stats.mean_s * scale;
      body += fmt::format("<rect class=\"measured\" x=\"{}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"11\" fill=\"{}\"/>\n",
                          left, y + 14, w, kMeasured);
      value(left + w + 4, y + 24,
            fmt::format("{:.3f} s measured{}", r->stats.mean_s, win ? "  \xE2\x98\x85 fastest measured" : ""),
            win ? " font-weight=\"bold\"" : "");
    } else {
      body += cross(left + 8, y + 19.5) + "\n";
      value(left + 20, y + 24, "failed: " + failure_reason(*r), " fill=\"#c00000\"");
    }
    y += row;
  }
  const auto [leg, leg_right] = legend({{fmt::format("<rect x=\"-5\" y=\"-5\" width=\"10\" height=\"10\" fill=\"{}\"/>",
                                                     kPredicted), "predicted (performance model)"},
                                        {fmt::format("<rect x=\"-5\" y=\"-5\" width=\"10\" height=\"10\" fill=\"{}\"/>",
                                                     kMeasured), "measured (NeMo: mean after 5 warm-up steps)"},
                                        {cross(0, 0, "swatch"), "failed (reason)"},
                                        {fmt::format("<rect x=\"-6\" y=\"-6\" width=\"12\" height=\"12\" fill=\"{}\" "
                                                     "stroke=\"{}\"/>", kWinnerBg, kWinner), "fastest measured"}},
                                       18);
  right = std::max(right, leg_right);
  std::string s = open_svg(right, bottom + 46) + leg;
  s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\" font-weight=\"bold\">trial (fastest measured first)"
                   "</text>\n", left - 12, top - 12);
  s += x_axis(ticks, left, top - 4, bottom, "time per step [s]");
  std::string b = body;
  for (size_t at; (at = b.find("@W@")) != std::string::npos;) b.replace(at, 3, fmt::format("{:.0f}", right - 8));
  return s + b + "</svg>";
}

std::string memory_chart(const std::vector<const hp::TrialResult*>& rows, const hp::TrialResult* best,
                         const hp::GpuSpec& gpu) {
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
  // The fastest five measured, then up to three that ran out of memory (where memory explains the failure).
  std::vector<std::pair<const hp::TrialResult*, int>> shown;  // trial, rank in the report order
  int n_measured = 0, n_oom = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto* r = rows[i];
    if (r->measured() ? n_measured++ < 5 : r->failure.kind == hp::FailureKind::cuda_oom && n_oom++ < 3)
      shown.push_back({r, static_cast<int>(i) + 1});
  }
  const hp::Calibration cal = hp::default_calibration(gpu);
  std::vector<hp::Estimate> est;
  double vmax = gpu.memory_bytes / hp::kGiB, label_w = svg::text_width("trial (rank)", kFont, true);
  for (const auto& [r, rank] : shown) {
    est.push_back(hp::estimate(r->config.model, hp::layout_from_nemo(r->config), gpu, cal));
    vmax = std::max({vmax, est.back().memory.total_bytes / hp::kGiB, r->measured_max_memory_bytes / hp::kGiB});
    label_w = std::max(label_w, svg::text_width(row_label(r, rank), kFont, r == best));
  }
  const std::vector<double> ticks = svg::linear_ticks(vmax, 5);
  const double scale = kPlotW / ticks.back();
  const double left = std::ceil(12 + label_w + 12), top = 74, row = 26;
  const double bottom = top + row * static_cast<double>(std::max<size_t>(shown.size(), 1)) + 4;
  const double values_x = left + kPlotW + 12;
  double right = values_x;
  std::string body;
  if (shown.empty())
    body += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\">no trial to show: none was measured or ran out of memory</text>\n",
                        left + 8, top + 16);
  double y = top + 4;
  for (size_t i = 0; i < shown.size(); ++i) {
    const auto& [r, rank] = shown[i];
    const hp::Estimate& e = est[i];
    const bool win = r == best;
    body += fmt::format("<text class=\"trial\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\"{}>{}</text>\n", left - 12,
                        y + 12, win ? fmt::format(" fill=\"{}\" font-weight=\"bold\"", kWinner) : "",
                        svg::escape(row_label(r, rank)));
    double cx = left;
    for (const Part& p : parts) {
      const double gib = e.memory.*(p.field) / hp::kGiB, w = std::max(0.0, gib * scale);
      body += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"16\" fill=\"{}\"><title>{} {:.1f} GiB"
                          "</title></rect>\n", cx, y, w, p.color, p.name, gib);
      cx += w;
    }
    std::string label = fmt::format("{:.1f} GiB predicted", e.memory.total_bytes / hp::kGiB);
    if (r->measured_max_memory_bytes > 0) {  // what the trainer printed (max allocated), as a black tick
      const double mx = left + r->measured_max_memory_bytes / hp::kGiB * scale;
      body += fmt::format("<line class=\"measured-memory\" x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" "
                          "stroke=\"#000\" stroke-width=\"2\"/>\n", mx, y - 3, y + 19);
      label += fmt::format(", {:.1f} GiB measured", r->measured_max_memory_bytes / hp::kGiB);
    }
    if (win) label += "  \xE2\x98\x85 fastest measured";
    double tx = values_x;
    if (!r->measured()) {
      body += cross(values_x + 5, y + 8) + "\n";
      tx += 16;
      label += "; failed: " + failure_reason(*r);
    }
    body += fmt::format("<text class=\"value\" x=\"{:.1f}\" y=\"{:.1f}\"{}>{}</text>\n", tx, y + 12,
                        !r->measured() ? " fill=\"#c00000\"" : win ? " font-weight=\"bold\"" : "", svg::escape(label));
    right = std::max(right, tx + svg::text_width(label, kFont, win && r->measured()) + 10);
    y += row;
  }
  std::vector<Item> items;
  for (const Part& p : parts)
    items.push_back({fmt::format("<rect x=\"-5\" y=\"-5\" width=\"10\" height=\"10\" fill=\"{}\"/>", p.color), p.name});
  const auto [leg1, r1] = legend(items, 18);
  const auto [leg2, r2] = legend({{"<line x1=\"0\" y1=\"-7\" x2=\"0\" y2=\"7\" stroke=\"#000\" stroke-width=\"2\"/>",
                                   "max allocated, as the trainer logged it"},
                                  {cross(0, 0, "swatch"), "failed (reason)"}},
                                 38);
  // The GPU's capacity: a dashed line across the rows, its label above the plot.
  const double gx = left + gpu.memory_bytes / hp::kGiB * scale;
  const std::string cap = fmt::format("{} capacity {} GiB", gpu.name, svg::tick_label(gpu.memory_bytes / hp::kGiB));
  const double cap_w = svg::text_width(cap, kFont);
  const double cap_x = std::max(gx, left + cap_w);  // right-aligned at the line, never left of the plot
  right = std::max({right, r1, r2, cap_x + 10});
  std::string s = open_svg(right, bottom + 46) + leg1 + leg2;
  s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\" font-weight=\"bold\">trial (rank)</text>\n",
                   left - 12, top - 8);
  s += x_axis(ticks, left, top - 4, bottom, "memory per GPU [GiB]");
  s += body;
  s += fmt::format("<line class=\"capacity\" x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#000\" "
                   "stroke-dasharray=\"4\"/><text x=\"{3:.1f}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>\n",
                   gx, top - 4, bottom, cap_x, top - 8, svg::escape(cap));
  return s + "</svg>";
}

}  // namespace hp::run
