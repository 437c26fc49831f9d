// pareto.svg of an inference search: throughput per GPU vs latency of every layout that fits, the latency bound,
// the Pareto front and the best layout. Encoding (explained by the legend): colour = within / over the bound,
// shape = predicted (circle) / measured (square), a red cross = the benchmark failed (drawn at its prediction);
// layouts that do not fit in GPU memory are not drawn, and a note says how many.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "hp/inference_search.hpp"
#include "hp/svg.hpp"

namespace hp {

namespace {

constexpr double kFont = 12;                 // px, every label but the title
constexpr const char* kWithin = "#1f77b4";   // blue: fits, latency within the bound
constexpr const char* kOver = "#8c8c8c";     // grey: fits, latency over the bound
constexpr const char* kFailed = "#d62728";   // red: the benchmark failed
constexpr const char* kFront = "#ff7f0e";    // orange: the Pareto front line (never a point colour)
constexpr const char* kBest = "#2ca02c";     // green ring: the best layout under the bound

enum class Kind { predicted, measured, failed };

struct Point {
  const InferenceCandidate* c;
  double ms;   // latency drawn: measured when available, else predicted
  double thr;  // samples/s/GPU at that latency
  Kind kind;
};

bool failed(const InferenceCandidate& c) {
  const std::string& st = c.measured.status;
  return !(st.empty() || st == "ok" || st == "missing_log");
}

std::string mark(Kind kind, const std::string& colour, double x, double y) {
  switch (kind) {
    case Kind::predicted:
      return fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"4\" fill=\"{}\" fill-opacity=\"0.85\"/>", x, y, colour);
    case Kind::measured:
      return fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"9\" height=\"9\" fill=\"{}\" stroke=\"#000\"/>", x - 4.5,
                         y - 4.5, colour);
    case Kind::failed:
      return fmt::format(
          "<path d=\"M{0:.1f},{1:.1f}l10,10M{0:.1f},{2:.1f}l10,-10\" stroke=\"{3}\" stroke-width=\"2.5\" fill=\"none\"/>",
          x - 5, y - 5, y + 5, kFailed);
  }
  return "";
}

struct Entry {
  std::string swatch;  // drawn centred at (0, 0), translated into place
  std::string text;
};

}  // namespace

std::string inference_pareto_svg(const InferenceSearchResult& r) {
  std::vector<Point> pts;
  int no_fit = 0;
  std::map<std::string, int> failures;
  for (const auto& c : r.candidates) {
    if (!c.estimate.fits) {
      ++no_fit;
      continue;
    }
    const Kind kind = failed(c) ? Kind::failed : c.measured.available ? Kind::measured : Kind::predicted;
    const double s = kind == Kind::failed ? c.estimate.latency_s : c.reported_latency_s();
    const double thr = c.layout.batch_size / s / c.estimate.num_gpus;
    if (!(s > 0) || !std::isfinite(s) || !std::isfinite(thr)) continue;
    if (kind == Kind::failed) ++failures[c.measured.status];
    pts.push_back({&c, s * 1e3, thr, kind});
  }
  const std::string title = fmt::format("{} on {} ({}): throughput per GPU vs latency",
                                        r.model.name.empty() ? r.model.family : r.model.name, r.gpu.name,
                                        r.settings.data_type);
  const double bound = std::isfinite(r.settings.max_latency_ms) ? r.settings.max_latency_ms : 0;

  // ---- Legend (its width sets the right margin) ----
  std::vector<Entry> legend = {
      {mark(Kind::predicted, kWithin, 0, 0), "predicted, within the bound"},
      {mark(Kind::predicted, kOver, 0, 0), "predicted, over the bound"},
      {mark(Kind::measured, kWithin, 0, 0), "measured, within the bound"},
      {mark(Kind::measured, kOver, 0, 0), "measured, over the bound"},
      {mark(Kind::failed, kFailed, 0, 0), "benchmark failed (at its prediction)"},
      {fmt::format("<line x1=\"-8\" y1=\"0\" x2=\"8\" y2=\"0\" stroke=\"{}\" stroke-width=\"2\"/>", kFront),
       "Pareto front"},
      {fmt::format("<circle r=\"8\" fill=\"none\" stroke=\"{}\" stroke-width=\"3\"/>", kBest), bound > 0 ? "best under the bound" : "best (no latency bound)"}};
  if (bound > 0)
    legend.push_back({fmt::format("<line x1=\"0\" y1=\"-8\" x2=\"0\" y2=\"8\" stroke=\"{}\" stroke-dasharray=\"4,3\"/>",
                                  kFailed), "latency bound (max_latency_ms)"});
  std::vector<std::string> notes;
  if (r.best >= 0) {
    const auto& b = r.candidates[static_cast<size_t>(r.best)];
    notes.push_back(fmt::format("best: TP {} PP {} BS {}", b.layout.tp, b.layout.pp, b.layout.batch_size));
    notes.push_back(fmt::format("{} ms, {} samples/s/GPU", svg::tick_label(b.reported_latency_s() * 1e3),
                                svg::tick_label(b.layout.batch_size / b.reported_latency_s() / b.estimate.num_gpus)));
  } else {
    notes.push_back("no layout within the bound");
  }
  if (bound <= 0) notes.push_back("no latency bound: all count as within");
  for (const auto& [status, n] : failures) notes.push_back(fmt::format("failed: {} x{}", status, n));
  if (no_fit > 0)
    notes.push_back(fmt::format("not drawn: {} layout{} that do{} not", no_fit, no_fit == 1 ? "" : "s",
                                no_fit == 1 ? "es" : ""));
  if (no_fit > 0) notes.push_back("fit in GPU memory");
  double legend_w = 0;
  for (const auto& e : legend) legend_w = std::max(legend_w, 24 + svg::text_width(e.text, kFont));
  for (const auto& n : notes) legend_w = std::max(legend_w, svg::text_width(n, kFont));

  // ---- Axes: log latency between "nice" values around the data, linear throughput from 0 ----
  double xmin = bound > 0 ? bound : 1e300, xmax = bound > 0 ? bound : 0, ymax = 0;
  for (const auto& p : pts) {
    xmin = std::min(xmin, p.ms);
    xmax = std::max(xmax, p.ms);
    ymax = std::max(ymax, p.thr);
  }
  if (pts.empty()) xmin = 1, xmax = bound > 0 ? std::max(bound, 10.0) : 1000;
  double lo = svg::log_floor(xmin), hi = svg::log_ceil(xmax);
  if (hi <= lo * (1 + 1e-9)) lo = svg::log_floor(lo * 0.99), hi = svg::log_ceil(hi * 1.01);
  // At most 12 decades (the lowest are dropped, points below are drawn at the edge): the tick loop stays bounded.
  lo = std::max(lo, hi / 1e12);
  const std::vector<double> yt = svg::linear_ticks(ymax, 5);
  double ylab_w = 0;
  for (double t : yt) ylab_w = std::max(ylab_w, svg::text_width(svg::tick_label(t), kFont));
  // Left margin: 8 px, the rotated axis title (ascent + descent ~1.05 em), 12 px gap, tick labels, 6 px.
  const double title_x = 8 + 0.8 * kFont;
  const double L = std::ceil(title_x + 0.25 * kFont + 12 + ylab_w + 6);
  const double plot_w = 560, T = 56, B = 64, H = 520;
  const double R = std::ceil(legend_w + 36);
  const double W = std::max(L + plot_w + R, svg::text_width(title, 15) + 20);
  const double x0 = L, x1 = L + plot_w, y0 = T, y1 = H - B;
  auto px = [&](double ms) {
    return x0 + std::clamp((std::log10(ms) - std::log10(lo)) / (std::log10(hi) - std::log10(lo)), 0.0, 1.0) * plot_w;
  };
  auto py = [&](double t) { return y1 - t / yt.back() * (y1 - y0); };

  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"DejaVu Sans, Verdana, sans-serif\" font-size=\"{2}\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      W, H, kFont);
  s += fmt::format("<text x=\"{}\" y=\"24\" font-size=\"15\" text-anchor=\"middle\">{}</text>\n", W / 2,
                   svg::escape(title));
  s += fmt::format("<rect class=\"frame\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#444\"/>\n",
                   x0, y0, plot_w, y1 - y0);
  // x grid and labels: both ends first, then 1 x 10^d, then 2 and 5, then the rest, each only where it has room.
  const std::vector<double> xt = svg::log_ticks(lo, hi);
  for (double v : xt)
    s += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#{3}\"/>\n", px(v), y0, y1,
                     std::fabs(std::log10(v) - std::round(std::log10(v))) < 1e-9 ? "ccc" : "eee");
  auto priority = [&](double v) {
    if (v == xt.front() || v == xt.back()) return 0;
    const double k = v / std::pow(10.0, std::floor(std::log10(v) + 1e-9));
    if (std::fabs(k - 1) < 1e-6) return 1;
    if (std::fabs(k - 2) < 1e-6 || std::fabs(k - 5) < 1e-6) return 2;
    return 3;
  };
  std::vector<std::pair<double, double>> taken;  // [left, right] of placed labels
  for (int pri = 0; pri <= 3; ++pri)
    for (double v : xt) {
      if (priority(v) != pri) continue;
      const std::string lab = svg::tick_label(v);
      const double w = svg::text_width(lab, kFont), x = px(v);
      const double a = x - w / 2 - 4, b = x + w / 2 + 4;
      if (std::any_of(taken.begin(), taken.end(), [&](auto& t) { return a < t.second && t.first < b; })) continue;
      taken.push_back({a, b});
      s += fmt::format("<text class=\"xtick\" x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", x, y1 + 17, lab);
    }
  for (double t : yt) {
    s += fmt::format("<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#eee\"/>\n", x0, py(t), x1, py(t));
    s += fmt::format("<text class=\"ytick\" x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n", L - 6, py(t) + 4,
                     svg::tick_label(t));
  }
  s += fmt::format("<text class=\"xtitle\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">latency of the batch [ms] (log scale)"
                   "</text>\n", (x0 + x1) / 2, H - 18);
  s += fmt::format("<text class=\"ytitle\" x=\"{0}\" y=\"{1}\" text-anchor=\"middle\" transform=\"rotate(-90 {0} {1})\">"
                   "throughput per GPU [samples/s/GPU]</text>\n", title_x, (y0 + y1) / 2);
  if (bound > 0) {
    const double bx = px(bound);
    const std::string lab = fmt::format("max_latency_ms {}", svg::tick_label(bound));
    const double w = svg::text_width(lab, kFont);
    const char* anchor = bx + w / 2 > W - 4 ? "end" : bx - w / 2 < 4 ? "start" : "middle";
    s += fmt::format("<line class=\"bound\" x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"{3}\" "
                     "stroke-dasharray=\"6,4\"/>\n<text x=\"{0:.1f}\" y=\"{4}\" fill=\"{3}\" text-anchor=\"{5}\">{6}"
                     "</text>\n", bx, y0, y1, kFailed, y0 - 8, anchor, lab);
  }
  if (pts.empty())
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">no layout fits in GPU memory</text>\n",
                     (x0 + x1) / 2, (y0 + y1) / 2);

  // ---- Front line under the points, then the points, then the best layout's ring ----
  std::vector<const Point*> front;
  for (const auto& p : pts)
    if (p.c->pareto && p.kind != Kind::failed) front.push_back(&p);
  std::sort(front.begin(), front.end(), [](auto* a, auto* b) { return a->ms < b->ms; });
  std::string poly;
  for (auto* p : front) poly += fmt::format("{:.1f},{:.1f} ", px(p->ms), py(p->thr));
  if (!front.empty())
    s += fmt::format("<polyline class=\"front\" points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>\n", poly,
                     kFront);
  for (const auto& p : pts) {
    const char* kind = p.kind == Kind::predicted ? "predicted" : p.kind == Kind::measured ? "measured" : "failed";
    const bool within = p.c->within_bound;
    const auto& l = p.c->layout;
    s += fmt::format("<g class=\"pt {} {}\">{}<title>TP {} PP {} BS {} in {} out {}: {} {:.2f} ms, {:.3f} "
                     "samples/s/GPU{}</title></g>\n",
                     kind, within ? "within" : "over", mark(p.kind, within ? kWithin : kOver, px(p.ms), py(p.thr)), l.tp,
                     l.pp, l.batch_size, l.input_len, l.output_len, kind, p.ms, p.thr,
                     p.kind == Kind::failed ? ", benchmark " + p.c->measured.status : "");
  }
  if (r.best >= 0) {
    const auto& b = r.candidates[static_cast<size_t>(r.best)];
    s += fmt::format("<circle class=\"best\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"9\" fill=\"none\" stroke=\"{}\" "
                     "stroke-width=\"3\"/>\n",
                     px(b.reported_latency_s() * 1e3), py(b.layout.batch_size / b.reported_latency_s() / b.estimate.num_gpus),
                     kBest);
  }

  // ---- Legend and notes, right of the plot ----
  const double lx = x1 + 24;
  double ly = y0 + 10;
  for (const auto& e : legend) {
    s += fmt::format("<g transform=\"translate({} {})\">{}</g><text class=\"legend\" x=\"{}\" y=\"{}\">{}</text>\n",
                     lx + 8, ly, e.swatch, lx + 24, ly + 4, svg::escape(e.text));
    ly += 22;
  }
  ly += 10;
  for (const auto& n : notes) {
    s += fmt::format("<text class=\"note\" x=\"{}\" y=\"{}\">{}</text>\n", lx, ly + 4, svg::escape(n));
    ly += 18;
  }
  return s + "</svg>\n";
}

}  // namespace hp
