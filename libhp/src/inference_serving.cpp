// Serving with in-flight batching: steady state of the engine's iteration loop (Yu et al. 2022, Orca: every
// iteration advances each running request by one token and admits new prompts up to a token budget), KV-cache
// capacity after the weights, queueing for online serving, and disaggregated prefill/decode pools.
// Formulas and sources: docs/model.md, "Serving modes".
#include "hp/inference_serving.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

#include "hp/core.hpp"
#include "hp/inference.hpp"

namespace hp {

void check_serving_engine(const std::string& key, const std::string& engine) {
  const auto dash = engine.find('-');
  const std::string base = engine.substr(0, dash);
  bool ok = base == "trtllm" || base == "vllm" || base == "sglang" || base == "fastertransformer";
  if (ok && dash != std::string::npos) {  // a version: digits and dots, starting with a digit ("0.17", "0.6.1")
    const std::string v = engine.substr(dash + 1);
    ok = !v.empty() && std::isdigit(static_cast<unsigned char>(v[0]));
    for (char ch : v) ok = ok && (std::isdigit(static_cast<unsigned char>(ch)) || ch == '.');
  }
  if (!ok)
    throw ConfigError(key, engine,
                      "unknown serving engine (expected trtllm, vllm, sglang or fastertransformer, optionally with a "
                      "version: trtllm-0.17, vllm-0.6, sglang-0.3)");
}

void check_serving_mode(const std::string& key, const std::string& mode) {
  if (mode == "static_batch" || mode == "max_throughput" || mode == "online") return;
  throw ConfigError(key, mode, "unknown serving mode (expected static_batch, max_throughput or online)");
}

namespace {

void check_layout(const ServingLayout& l) {
  auto positive = [](const char* key, int v) {
    if (v < 1) throw ConfigError(key, std::to_string(v), "must be >= 1");
  };
  positive("tp", l.tp);
  positive("pp", l.pp);
  positive("ep", l.ep);
  positive("input_len", l.input_len);
  positive("output_len", l.output_len);
  positive("max_num_tokens", l.max_num_tokens);
  positive("max_batch_size", l.max_batch_size);
  positive("gpus_per_node", l.gpus_per_node);
  positive("scheduler_steps", l.scheduler_steps);
  check_serving_mode("mode", l.mode);
  if (l.mode == "static_batch")
    throw ConfigError("mode", l.mode, "a static batch is estimate_inference's (infer-search mode static_batch)");
  if (!(l.kv_cache_fraction > 0 && l.kv_cache_fraction <= 1))
    throw ConfigError("kv_cache_fraction", std::to_string(l.kv_cache_fraction), "must be in (0, 1]");
  if (!(l.request_rate >= 0)) throw ConfigError("request_rate", std::to_string(l.request_rate), "must be >= 0");
  if (l.concurrency < 0) throw ConfigError("concurrency", std::to_string(l.concurrency), "must be >= 0");
  if (l.mode == "online" && l.request_rate <= 0 && l.concurrency <= 0)
    throw ConfigError("request_rate", "0", "online serving needs a request_rate (req/s) or a concurrency");
}

InferenceLayout one_request(const ServingLayout& l) {
  InferenceLayout il;
  il.tp = l.tp;
  il.pp = l.pp;
  il.ep = l.ep;
  il.attention_dp = l.attention_dp;
  il.batch_size = 1;
  il.input_len = l.input_len;
  il.output_len = l.output_len;
  il.weight_dtype = l.weight_dtype;
  il.kv_cache_dtype = l.kv_cache_dtype;
  il.gpus_per_node = l.gpus_per_node;
  return il;
}

struct Engine {
  const ModelSpec& model;
  InferenceLayout layout;
  const GpuSpec& gpu;
  const InferenceCalibration& cal;
  double isl = 0, osl = 0, budget = 0;
  double step(double decode, double prefill_tokens, double prefill_seqs) const {
    InferenceStepLoad load;
    load.decode_seqs = decode;
    load.decode_ctx = isl + osl / 2;  // mean cached length over a request's decode phase
    load.prefill_tokens = prefill_tokens;
    load.prefill_ctx = (isl + 1) / 2;  // causal prompt: a token attends to (isl + 1) / 2 keys on average
    load.prefill_seqs = prefill_seqs;
    load.decode_ctx_window = window_mean_keys(isl, isl + osl, model.sliding_window);
    load.prefill_ctx_window = causal_window_keys(isl, model.sliding_window);
    return inference_step_s(model, layout, gpu, cal, load);
  }
  /// A prompt's own prefill next to `decode` running sequences, chunked to what the budget leaves.
  double prefill_service_s(double decode) const {
    const double chunk = std::max(1.0, std::min(isl, budget - decode));
    const double chunks = std::ceil(isl / chunk);
    return chunks * step(decode, chunk, 1.0 / chunks);
  }
};

/// Memory: weights and fixed overhead from estimate_inference of one request; the KV cache gets
/// kv_cache_fraction of what remains after them and the activation workspace of one full token budget.
ServingEstimate capacity(const ModelSpec& model, const ServingLayout& l, const GpuSpec& gpu,
                         const InferenceCalibration& cal) {
  ServingEstimate e;
  const InferenceLayout il = one_request(l);
  const InferenceEstimate one = estimate_inference(model, il, gpu, cal);
  e.num_gpus = il.num_gpus();
  e.reason = one.reason;
  if (e.reason == InferenceInfeasible::none && l.input_len + l.output_len > model.max_position_embeddings)
    e.reason = InferenceInfeasible::sequence_too_long;  // beyond the trained context (any position scheme)
  if (e.reason == InferenceInfeasible::out_of_memory) e.reason = InferenceInfeasible::none;  // re-judged below
  e.weights_bytes = one.memory.weights_bytes;
  const double seq = l.input_len + l.output_len;
  e.kv_bytes_per_token = one.memory.kv_cache_bytes / seq;
  const double act_per_token = one.memory.activations_bytes / l.input_len;
  const double free = gpu.memory_bytes * cal.memory_fraction - e.weights_bytes - one.memory.overhead_bytes -
                      act_per_token * std::min<double>(l.max_num_tokens, l.max_batch_size * seq);
  e.kv_capacity_tokens = std::max(0.0, free * l.kv_cache_fraction / std::max(e.kv_bytes_per_token, 1e-30));
  e.max_concurrency = static_cast<int>(std::floor(e.kv_capacity_tokens / seq));
  if (e.reason == InferenceInfeasible::none && e.max_concurrency < 1) e.reason = InferenceInfeasible::out_of_memory;
  return e;
}

void finish(ServingEstimate& e, double osl) {
  e.request_latency_s = e.ttft_s + (osl - 1) * e.tpot_s;
  e.output_tokens_per_s = e.requests_per_s * osl;
  e.output_tokens_per_s_per_gpu = e.output_tokens_per_s / e.num_gpus;
  e.tokens_per_s_per_user = e.tpot_s > 0 ? 1 / e.tpot_s : 0;
  e.fits = e.reason == InferenceInfeasible::none;
}

}  // namespace

ServingEstimate estimate_serving(const ModelSpec& model, const ServingLayout& l, const GpuSpec& gpu,
                                 const InferenceCalibration& cal) {
  check_layout(l);
  ServingEstimate e = capacity(model, l, gpu, cal);
  const bool timeable = e.reason == InferenceInfeasible::none || e.reason == InferenceInfeasible::fp8_unsupported ||
                        e.reason == InferenceInfeasible::fp4_unsupported || e.reason == InferenceInfeasible::out_of_memory;
  if (!timeable) return e;
  Engine g{model, one_request(l), gpu, cal, double(l.input_len), double(l.output_len), double(l.max_num_tokens)};
  const double isl = l.input_len, osl = l.output_len, budget = l.max_num_tokens;
  const double cap = std::max(1, std::min(e.max_concurrency, l.max_batch_size));
  if (osl <= 1) {
    // Prefill only: every iteration fills the budget with prompts.
    const double per_step = std::max(1.0, std::floor(budget / isl));
    e.step_s = g.step(0, per_step * isl, per_step);
    e.requests_per_s = per_step / e.step_s;
    e.ttft_s = g.prefill_service_s(0);
    finish(e, osl);
    return e;
  }
  if (l.mode == "max_throughput") {
    // Steady state: prompts enter as fast as requests finish, P / isl = C / (osl - 1) per iteration, and
    // C + P <= budget: C <= budget (osl - 1) / (isl + osl - 1).
    double c = std::min(cap, budget * (osl - 1) / (isl + osl - 1));
    if (l.concurrency > 0) c = std::min(c, static_cast<double>(l.concurrency));
    c = std::max(c, 1.0);
    e.concurrency = c;
    e.prefill_tokens_per_step = c * isl / (osl - 1);
    e.step_s = g.step(c, e.prefill_tokens_per_step, c / (osl - 1));
    e.requests_per_s = c / ((osl - 1) * e.step_s);
    e.tpot_s = e.step_s;
    e.ttft_s = g.prefill_service_s(c);  // service time only: an offline benchmark's queue depends on its size
    finish(e, osl);
    return e;
  }
  // Online: fixed point of the iteration time. Arrival rate lambda (given, or N / request latency for a closed
  // loop of N users); Little's law gives the decode sequences C = lambda (osl - 1) step and the prompt tokens per
  // iteration P = lambda isl step.
  double s = g.step(1, 0, 0), ttft = g.prefill_service_s(1), lambda = l.request_rate;
  double queued = 0;
  for (int it = 0; it < 200; ++it) {
    if (l.request_rate <= 0) lambda = l.concurrency / (ttft + (osl - 1) * s);
    double c = lambda * (osl - 1) * s;
    e.saturated = c > cap || c * (1 + isl / (osl - 1)) > budget;
    const double c_max = std::min(cap, budget * (osl - 1) / (isl + osl - 1));
    if (e.saturated) {
      c = c_max;
      lambda = c / ((osl - 1) * s);
    }
    const double p = lambda * isl * s;
    const double s_new = g.step(c, p, lambda * s);
    // Prompt admission: an M/D/1 queue whose server is the iteration's free budget (Kleinrock 1975, Vol. 1,
    // Pollaczek-Khinchine mean wait rho / (2 (1 - rho)) x service); plus the residual of the running iteration.
    // With multi-step scheduling (vLLM v0.6.0 blog, "Batch scheduling multiple steps ahead") prompts are admitted
    // only between rounds of k iterations: a Poisson arrival waits half a round for the next admission, and a
    // round's arrivals (k p tokens) meet one iteration's free budget.
    const double k = l.scheduler_steps;
    const double rho = std::min(0.99, k * p / std::max(1.0, budget - c));
    const double service = g.prefill_service_s(c);
    queued = k * s_new / 2 + rho / (2 * (1 - rho)) * k * s_new;
    // Closed loop over capacity: users beyond the engine's concurrency wait (Little: wait = queued users / rate).
    if (l.request_rate <= 0 && e.saturated) queued += std::max(0.0, l.concurrency - c - lambda * service) / lambda;
    const double ttft_new = queued + service;
    const bool done = std::fabs(s_new - s) < 1e-9 * s && std::fabs(ttft_new - ttft) < 1e-9 * ttft;
    s = 0.5 * s + 0.5 * s_new;
    ttft = 0.5 * ttft + 0.5 * ttft_new;
    e.concurrency = c;
    e.prefill_tokens_per_step = p;
    e.utilization = rho;
    e.requests_per_s = lambda;
    if (done) break;
  }
  e.step_s = s;
  e.tpot_s = s;
  e.ttft_s = ttft;
  e.queue_s = queued;
  finish(e, osl);
  return e;
}

DisaggregatedEstimate estimate_disaggregated(const ModelSpec& model, const ServingLayout& prefill,
                                             const ServingLayout& decode, int prefill_workers, int decode_workers,
                                             const GpuSpec& gpu, const InferenceCalibration& cal) {
  if (prefill_workers < 1) throw ConfigError("prefill_workers", std::to_string(prefill_workers), "must be >= 1");
  if (decode_workers < 1) throw ConfigError("decode_workers", std::to_string(decode_workers), "must be >= 1");
  DisaggregatedEstimate d;
  d.prefill_workers = prefill_workers;
  d.decode_workers = decode_workers;
  ServingLayout p = prefill;
  p.input_len = decode.input_len;
  p.output_len = 1;
  p.weight_dtype = decode.weight_dtype;
  p.kv_cache_dtype = decode.kv_cache_dtype;
  p.mode = "max_throughput";
  ServingLayout q = decode;
  q.mode = "max_throughput";
  check_layout(p);
  check_layout(q);
  d.prefill = capacity(model, p, gpu, cal);
  d.decode = capacity(model, q, gpu, cal);
  d.num_gpus = prefill_workers * d.prefill.num_gpus + decode_workers * d.decode.num_gpus;
  d.reason = d.prefill.reason != InferenceInfeasible::none ? d.prefill.reason : d.decode.reason;
  if (d.reason != InferenceInfeasible::none) return d;
  const double isl = q.input_len, osl = q.output_len;
  // Prefill replica: batches of whole prompts up to its token budget.
  Engine gp{model, one_request(p), gpu, cal, isl, 1, double(p.max_num_tokens)};
  const double batch = std::max(1.0, std::floor(p.max_num_tokens / isl));
  const double t_batch = gp.step(0, batch * isl, batch);
  const double prefill_rate = batch / t_batch;
  // Decode replica: only decode iterations (no prompt interference), as many sequences as allowed.
  Engine gd{model, one_request(q), gpu, cal, isl, osl, double(q.max_num_tokens)};
  double c = std::max(1, std::min(d.decode.max_concurrency, q.max_batch_size));
  if (q.concurrency > 0) c = std::min(c, static_cast<double>(q.concurrency));
  const double step = osl > 1 ? gd.step(c, 0, 0) : 0;
  const double decode_rate = osl > 1 ? c / ((osl - 1) * step) : 1e300;
  d.requests_per_s = std::min(prefill_workers * prefill_rate, decode_workers * decode_rate);
  // KV transfer: every prefill GPU sends its shard of the request's cache (all layers) at once; inside one
  // NVLink domain over NVLink, else over the GPU's network interface.
  const double kv_bytes = d.prefill.kv_bytes_per_token * isl * d.prefill.num_gpus;
  const bool one_domain = d.num_gpus <= gpu.nvlink_domain_size;
  const double bw = (one_domain ? gpu.nvlink_bandwidth_bytes_per_s : gpu.internode_bandwidth_bytes_per_s) *
                    cal.comm_efficiency * d.prefill.num_gpus;
  d.kv_transfer_s = (one_domain ? cal.allreduce_latency_s : cal.internode_latency_s) + kv_bytes / bw;
  // TTFT under load: the prompt's own batch plus, on average, half of the batch running when it arrives.
  d.ttft_s = 1.5 * t_batch + d.kv_transfer_s;
  d.tpot_s = step;
  d.prefill.step_s = t_batch;
  d.prefill.requests_per_s = prefill_rate;
  d.prefill.ttft_s = t_batch;
  d.decode.concurrency = c;
  d.decode.step_s = d.decode.tpot_s = step;
  d.decode.requests_per_s = decode_rate;
  d.output_tokens_per_s_per_gpu = d.requests_per_s * osl / d.num_gpus;
  d.tokens_per_s_per_user = step > 0 ? 1 / step : 0;
  d.fits = true;
  return d;
}

}  // namespace hp
