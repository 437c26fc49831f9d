// Records of the inference and serving searches: one candidate with typed values under hp-cli's JSON names, for
// every front end (hp-cli infer-search --json, bignlp_hp rows and DataFrames). Fields: docs/usage.md.
#include <cmath>

#include "hp/core.hpp"
#include "hp/inference_search.hpp"
#include "hp/serving_search.hpp"

namespace hp {

Record inference_candidate_record(const InferenceCandidate& c) {
  const auto& e = c.estimate;
  const bool timed = e.latency_s > 0 && std::isfinite(e.latency_s);  // infeasible layouts have no latency
  const bool measured = c.measured.available;
  const double latency_s = c.reported_latency_s();
  const bool reported = measured || timed;
  Record r;
  r.optional_integer("rank", c.rank > 0 ? c.rank : -1)
      .integer("tp", c.layout.tp)
      .integer("pp", c.layout.pp)
      .integer("batch_size", c.layout.batch_size)
      .integer("input_len", c.layout.input_len)
      .integer("output_len", c.layout.output_len)
      .integer("num_gpus", e.num_gpus)
      .integer("num_nodes", e.num_nodes)
      .optional_number("latency_ms", latency_s * 1e3, reported)
      // NeMo's inference_summary.py: samples per second per GPU of the reported latency.
      .optional_number("throughput_per_gpu", c.layout.batch_size / latency_s / e.num_gpus, reported && e.num_gpus > 0)
      .optional_number("ttft_ms", e.ttft_s * 1e3, timed)
      .optional_number("tpot_ms", e.tpot_s * 1e3, timed)
      .optional_number("output_tokens_per_s_per_gpu", e.output_tokens_per_s_per_gpu, timed)
      .number("memory_gib", e.memory.total_bytes / kGiB)
      .number("kv_cache_gib", e.memory.kv_cache_bytes / kGiB)
      .integer("max_batch_size", e.max_batch_size)
      .boolean("fits", e.fits)
      .text("reason", to_string(e.reason))
      .boolean("within_bound", c.within_bound)
      .boolean("pareto", c.pareto)
      .text("latency_source", measured ? "measured" : "predicted")
      .optional_number("predicted_latency_ms", e.latency_s * 1e3, timed)
      .optional_number("measured_latency_ms", c.measured.latency_s * 1e3, measured)
      .optional_number("latency_error_pct", (e.latency_s - c.measured.latency_s) / c.measured.latency_s * 100,
                       measured && timed && c.measured.latency_s > 0);
  if (c.measured.status.empty())
    r.null("measure_status");
  else
    r.text("measure_status", c.measured.status);
  return r;
}

Record serving_candidate_record(const ServingCandidate& c) {
  const auto& l = c.layout;
  Record r;
  r.optional_integer("rank", c.rank > 0 ? c.rank : -1)
      .text("kind", c.disaggregated ? "disaggregated" : "aggregated")
      .integer("tp", l.tp)
      .integer("pp", l.pp)
      .integer("ep", l.ep)
      .boolean("attention_dp", l.attention_dp)
      .optional_integer("prefill_tp", c.disaggregated ? c.prefill_layout.tp : -1)
      .optional_integer("prefill_pp", c.disaggregated ? c.prefill_layout.pp : -1)
      .integer("prefill_workers", c.prefill_workers)
      .integer("decode_workers", c.decode_workers)
      .integer("num_gpus", c.num_gpus)
      .integer("input_len", l.input_len)
      .integer("output_len", l.output_len)
      .number("concurrency", c.concurrency)
      .number("ttft_ms", c.ttft_s * 1e3)
      .number("tpot_ms", c.tpot_s * 1e3)
      .number("request_latency_ms", c.request_latency_s * 1e3)
      .number("tokens_per_s_per_gpu", c.tokens_per_s_per_gpu)
      .number("tokens_per_s_per_user", c.tokens_per_s_per_user)
      .optional_number("kv_transfer_ms", c.disagg.kv_transfer_s * 1e3, c.disaggregated)
      .boolean("fits", c.fits)
      .text("reason", c.reason)
      .boolean("within_bounds", c.within_bounds)
      .boolean("pareto", c.pareto);
  return r;
}

}  // namespace hp
