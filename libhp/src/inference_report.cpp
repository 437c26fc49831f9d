// Reports of an inference search: NeMo's final_output.csv (+ our columns), the best layout YAML (the Pareto SVG:
// inference_pareto_svg.cpp).
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

}  // namespace hp
