// Reports of an inference search: NeMo's final_output.csv (+ our columns), a Pareto SVG, the best layout YAML.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "hp/core.hpp"
#include "hp/inference_search.hpp"

namespace hp {

namespace {

double thr_per_gpu(const InferenceCandidate& c) {
  return c.layout.batch_size / c.reported_latency_s() / c.estimate.num_gpus;
}

std::string num(double v, int digits) {
  if (!std::isfinite(v)) return "";
  return fmt::format("{:.{}f}", v, digits);
}

std::string xml_escape(const std::string& s) {
  std::string o;
  for (char ch : s) {
    switch (ch) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += ch;
    }
  }
  return o;
}

}  // namespace

std::string inference_csv(const InferenceSearchResult& r) {
  std::string out =
      "TP,PP,BS,Latency [ms],Throughput per GPU [samples/sec/gpu],"
      "Input Length,Output Length,GPUs,Nodes,TTFT [ms],Time per Output Token [ms],Output Tokens per GPU [tokens/sec/gpu],"
      "Memory per GPU [GiB],KV Cache per GPU [GiB],Max Batch Size,Fits,Reason,Within Latency Bound,Pareto,Rank,"
      "Latency Source,Predicted Latency [ms],Measured Latency [ms],Latency Error [%],Measure Status\n";
  for (const auto& c : r.candidates) {
    const auto& e = c.estimate;
    const bool timed = e.latency_s > 0;
    // NeMo's inference_summary.py: throughput = round(bs * 1000 / latency_ms / tp / pp, 3).
    const double lat_ms = c.reported_latency_s() * 1e3;
    out += fmt::format("{},{},{},{},{},", c.layout.tp, c.layout.pp, c.layout.batch_size, timed ? num(lat_ms, 3) : "",
                       timed ? num(c.layout.batch_size * 1000.0 / lat_ms / c.layout.tp / c.layout.pp, 3) : "");
    out += fmt::format("{},{},{},{},{},{},{},", c.layout.input_len, c.layout.output_len, e.num_gpus, e.num_nodes,
                       timed ? num(e.ttft_s * 1e3, 3) : "", timed ? num(e.tpot_s * 1e3, 4) : "",
                       timed ? num(e.output_tokens_per_s_per_gpu, 2) : "");
    out += fmt::format("{},{},{},{},{},{},{},{},", num(e.memory.total_bytes / kGiB, 3),
                       num(e.memory.kv_cache_bytes / kGiB, 3), e.max_batch_size, e.fits ? "true" : "false",
                       to_string(e.reason), c.within_bound ? "true" : "false", c.pareto ? "true" : "false",
                       c.rank > 0 ? std::to_string(c.rank) : "");
    const bool m = c.measured.available;
    const double err = m && timed ? (e.latency_s - c.measured.latency_s) / c.measured.latency_s * 100 : NAN;
    out += fmt::format("{},{},{},{},{}\n", m ? "measured" : "predicted", timed ? num(e.latency_s * 1e3, 3) : "",
                       m ? num(c.measured.latency_s * 1e3, 3) : "", m ? num(err, 2) : "", c.measured.status);
  }
  return out;
}

std::string inference_best_yaml(const InferenceSearchResult& r) {
  if (r.best < 0) return "";
  const auto& c = r.candidates[static_cast<size_t>(r.best)];
  const auto& e = c.estimate;
  std::string y = "# Best serving layout under the latency bound (bignlp-hp infer-search)\n";
  y += fmt::format("model: {}\ngpu: {}\n", r.model.name.empty() ? r.model.family : r.model.name, r.gpu.name);
  y += fmt::format("tensor_parallel_size: {}\npipeline_parallel_size: {}\nbatch_size: {}\n", c.layout.tp, c.layout.pp,
                   c.layout.batch_size);
  y += fmt::format("input_len: {}\noutput_len: {}\ndata_type: {}\nkv_cache_dtype: {}\n", c.layout.input_len,
                   c.layout.output_len, c.layout.weight_dtype,
                   c.layout.kv_cache_dtype.empty() ? c.layout.weight_dtype : c.layout.kv_cache_dtype);
  y += fmt::format("num_gpus: {}\nnum_nodes: {}\nmax_latency_ms: {}\n", e.num_gpus, e.num_nodes,
                   num(r.settings.max_latency_ms, 3));
  y += fmt::format("latency_ms: {}\nlatency_source: {}\nthroughput_per_gpu: {}\n", num(c.reported_latency_s() * 1e3, 3),
                   c.measured.available ? "measured" : "predicted", num(thr_per_gpu(c), 3));
  y += fmt::format("ttft_ms: {}\ntime_per_output_token_ms: {}\nmemory_per_gpu_gib: {}\nmax_batch_size: {}\n",
                   num(e.ttft_s * 1e3, 3), num(e.tpot_s * 1e3, 4), num(e.memory.total_bytes / kGiB, 3),
                   e.max_batch_size);
  return y;
}

std::string inference_pareto_svg(const InferenceSearchResult& r) {
  const double W = 820, H = 520, L = 80, R = 200, T = 50, B = 60;
  std::vector<const InferenceCandidate*> pts;
  for (const auto& c : r.candidates)
    if (c.estimate.fits && c.reported_latency_s() > 0 && std::isfinite(c.reported_latency_s()) &&
        std::isfinite(thr_per_gpu(c)))
      pts.push_back(&c);
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      W, H);
  const std::string title = fmt::format("{} on {} ({}): throughput per GPU vs latency",
                                        r.model.name.empty() ? r.model.family : r.model.name, r.gpu.name,
                                        r.settings.data_type);
  svg += fmt::format("<text x=\"{}\" y=\"28\" font-size=\"15\" text-anchor=\"middle\">{}</text>\n", (W - R + L) / 2,
                     xml_escape(title));
  if (pts.empty()) {
    svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">no layout fits</text>\n</svg>\n", W / 2, H / 2);
    return svg;
  }
  double xmin = 1e300, xmax = 0, ymax = 0;
  for (auto* p : pts) {
    const double x = p->reported_latency_s() * 1e3;
    xmin = std::min(xmin, x);
    xmax = std::max(xmax, x);
    ymax = std::max(ymax, thr_per_gpu(*p));
  }
  // The readers reject a non-finite bound; checked again here because the tick loop below walks decades.
  const double bound = std::isfinite(r.settings.max_latency_ms) ? r.settings.max_latency_ms : 0;
  if (bound > 0) {
    xmin = std::min(xmin, bound);
    xmax = std::max(xmax, bound);
  }
  // Log latency axis over whole decades.
  // At most kMaxDecades decades (the lowest ones are dropped): the tick loop is bounded whatever the data.
  constexpr double kMaxDecades = 12;
  const double lx1 = std::max(std::floor(std::log10(xmin)) + 1, std::ceil(std::log10(xmax)));
  const double lx0 = std::max(std::floor(std::log10(xmin)), lx1 - kMaxDecades);
  const double y1 = ymax * 1.1;
  auto px = [&](double ms) { return L + (std::log10(ms) - lx0) / (lx1 - lx0) * (W - L - R); };
  auto py = [&](double t) { return H - B - t / y1 * (H - T - B); };
  svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#444\"/>\n", L, T,
                     W - L - R, H - T - B);
  for (double d = lx0; d <= lx1 + 1e-9; d += 1) {
    for (int k = 1; k <= 9; ++k) {
      const double v = std::pow(10.0, d) * k;
      if (std::log10(v) > lx1 + 1e-9) break;
      const double x = px(v);
      svg += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#{3}\"/>\n", x, T, H - B,
                         k == 1 ? "ccc" : "eee");
      if (k == 1 || k == 2 || k == 5)
        svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{:g}</text>\n", x, H - B + 16, v);
    }
  }
  for (int i = 0; i <= 5; ++i) {
    const double t = y1 * i / 5, y = py(t);
    svg += fmt::format("<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#eee\"/>\n", L, y, W - R, y);
    svg += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{:.3g}</text>\n", L - 6, y + 4, t);
  }
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">latency of the batch [ms] (log scale)</text>\n",
                     (W - R + L) / 2, H - 18);
  svg += fmt::format(
      "<text x=\"18\" y=\"{0}\" text-anchor=\"middle\" transform=\"rotate(-90 18 {0})\">throughput per GPU "
      "[samples/s/GPU]</text>\n",
      (H - B + T) / 2);
  if (bound > 0)
    svg += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#d62728\" stroke-dasharray=\"6,4\"/>\n"
        "<text x=\"{0:.1f}\" y=\"{3}\" fill=\"#d62728\" text-anchor=\"middle\">max_latency_ms {4:g}</text>\n",
        px(bound), T, H - B, T - 6, bound);
  for (auto* p : pts) {
    const double x = px(p->reported_latency_s() * 1e3), y = py(thr_per_gpu(*p));
    svg += fmt::format(
        "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3.5\" fill=\"{}\" fill-opacity=\"0.7\"><title>TP {} PP {} BS {} in {} "
        "out {}: {:.2f} ms, {:.3f} samples/s/GPU</title></circle>\n",
        x, y, p->within_bound ? "#1f77b4" : "#aaaaaa", p->layout.tp, p->layout.pp, p->layout.batch_size,
        p->layout.input_len, p->layout.output_len, p->reported_latency_s() * 1e3, thr_per_gpu(*p));
  }
  std::vector<const InferenceCandidate*> front;
  for (auto* p : pts)
    if (p->pareto) front.push_back(p);
  std::sort(front.begin(), front.end(),
            [](auto* a, auto* b) { return a->reported_latency_s() < b->reported_latency_s(); });
  std::string poly;
  for (auto* p : front) poly += fmt::format("{:.1f},{:.1f} ", px(p->reported_latency_s() * 1e3), py(thr_per_gpu(*p)));
  svg += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"#ff7f0e\" stroke-width=\"2\"/>\n", poly);
  for (auto* p : front)
    svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"4.5\" fill=\"#ff7f0e\"/>\n",
                       px(p->reported_latency_s() * 1e3), py(thr_per_gpu(*p)));
  if (r.best >= 0) {
    const auto& b = r.candidates[static_cast<size_t>(r.best)];
    const double x = px(b.reported_latency_s() * 1e3), y = py(thr_per_gpu(b));
    svg += fmt::format(
        "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"8\" fill=\"none\" stroke=\"#2ca02c\" stroke-width=\"3\"/>\n", x, y);
  }
  const double lx = W - R + 15;
  const char* items[][2] = {{"#aaaaaa", "fits, over the bound"},
                            {"#1f77b4", "fits, within the bound"},
                            {"#ff7f0e", "Pareto front"},
                            {"#2ca02c", "best under the bound"}};
  for (int i = 0; i < 4; ++i) {
    svg += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"5\" fill=\"{}\"/><text x=\"{}\" y=\"{}\">{}</text>\n", lx,
                       T + 10 + 22 * i, items[i][0], lx + 12, T + 14 + 22 * i, items[i][1]);
  }
  if (r.best >= 0) {
    const auto& b = r.candidates[static_cast<size_t>(r.best)];
    svg += fmt::format("<text x=\"{}\" y=\"{}\">best: TP {} PP {} BS {}</text>\n", lx, T + 110, b.layout.tp,
                       b.layout.pp, b.layout.batch_size);
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace hp
