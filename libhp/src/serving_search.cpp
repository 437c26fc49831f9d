// Serving search: grid of aggregated replicas (TP x PP x EP x concurrency) and, on request, disaggregated
// prefill/decode pools; bounds on TTFT, TPOT and request latency; rank by output tokens/s per GPU; Pareto front
// of tokens/s/GPU vs tokens/s/user.
#include "hp/serving_search.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fmt/core.h>
#include <string>

#include "format.hpp"
#include "hp/core.hpp"
#include "hp/inference_search.hpp"

namespace hp {

const std::vector<std::string>& architecture_keys() {
  static const std::vector<std::string> keys = {
      "num_layers", "hidden_size", "num_attention_heads", "num_query_groups", "ffn_hidden_size", "vocab_size",
      "max_position_embeddings", "moe_num_experts", "moe_topk", "moe_ffn_hidden_size", "activation",
      // MoE layer pattern and multi-latent attention (ModelSpec's names)
      "moe_shared_expert_ffn_size", "moe_layer_freq", "first_k_dense_replace", "q_lora_rank", "kv_lora_rank",
      "qk_head_dim", "qk_pos_emb_head_dim", "v_head_dim",
      // sliding-window attention (Hugging Face config.json names; ModelSpec's)
      "sliding_window", "sliding_window_pattern"};
  return keys;
}

ModelSpec architecture_model(const std::string& name, const std::map<std::string, std::string>& fields,
                             const std::string& where) {
  const auto& keys = architecture_keys();
  for (const auto& field : fields)
    if (std::find(keys.begin(), keys.end(), field.first) == keys.end())
      throw ConfigError(where + "." + field.first, field.second, "unknown architecture key");
  auto num = [&](const char* key, bool required, int lo) {
    const auto it = fields.find(key);
    if (it == fields.end() || it->second.empty()) {
      if (required) throw ConfigError(where + "." + key, "", "required (the architecture keys)");
      return 0;
    }
    try {
      size_t used = 0;
      const long v = std::stol(it->second, &used);
      if (used != it->second.size() || v < lo || v > 100000000) throw std::invalid_argument("bad");
      return static_cast<int>(v);
    } catch (const std::exception&) {
      throw ConfigError(where + "." + key, it->second, "expected an integer >= " + std::to_string(lo));
    }
  };
  ModelSpec m;
  m.family = "gpt3";
  m.name = name;
  m.num_layers = num("num_layers", true, 1);
  m.hidden_size = num("hidden_size", true, 1);
  m.num_attention_heads = num("num_attention_heads", true, 1);
  m.ffn_hidden_size = num("ffn_hidden_size", true, 1);
  m.vocab_size = num("vocab_size", true, 1);
  m.num_query_groups = num("num_query_groups", false, 0);
  const int pos = num("max_position_embeddings", false, 0);
  m.max_position_embeddings = m.seq_length = pos > 0 ? pos : 4096;
  m.moe_num_experts = num("moe_num_experts", false, 0);
  m.moe_topk = num("moe_topk", false, 0);
  if (m.moe_num_experts > 0 && m.moe_topk == 0) m.moe_topk = 1;
  m.moe_ffn_hidden_size = num("moe_ffn_hidden_size", false, 0);
  m.moe_shared_expert_ffn_size = num("moe_shared_expert_ffn_size", false, 0);
  m.moe_layer_freq = std::max(1, num("moe_layer_freq", false, 1));
  m.first_k_dense_replace = num("first_k_dense_replace", false, 0);
  // A kv_lora_rank turns multi-latent attention on; its other dimensions are then required (validate names them).
  if (fields.count("kv_lora_rank") && !fields.at("kv_lora_rank").empty()) {
    m.multi_latent_attention = true;
    m.q_lora_rank = num("q_lora_rank", false, 0);
    m.kv_lora_rank = num("kv_lora_rank", true, 0);
    m.qk_head_dim = num("qk_head_dim", true, 0);
    m.qk_pos_emb_head_dim = num("qk_pos_emb_head_dim", true, 0);
    m.v_head_dim = num("v_head_dim", true, 0);
  }
  m.sliding_window = num("sliding_window", false, 0);
  m.sliding_window_pattern = num("sliding_window_pattern", false, 0);
  const auto act = fields.find("activation");
  m.activation = act == fields.end() || act->second.empty() ? "swiglu" : act->second;
  if (m.activation != "swiglu" && m.activation != "gelu")
    throw ConfigError(where + ".activation", m.activation, "expected swiglu or gelu");
  m.position_embedding = "rope";
  m.normalization = "rmsnorm";
  m.add_bias_linear = false;
  m.share_embeddings_and_output_weights = false;
  try {
    validate(m);
  } catch (const ConfigError& e) {
    throw ConfigError(where, name, e.what());
  }
  return m;
}

namespace {

void set_common(ServingCandidate& c) {
  if (c.disaggregated) {
    const auto& d = c.disagg;
    c.fits = d.fits;
    c.reason = to_string(d.reason);
    c.num_gpus = d.num_gpus;
    c.ttft_s = d.ttft_s;
    c.tpot_s = d.tpot_s;
    c.request_latency_s = d.ttft_s + (c.layout.output_len - 1) * d.tpot_s;
    c.tokens_per_s_per_gpu = d.output_tokens_per_s_per_gpu;
    c.tokens_per_s_per_user = d.tokens_per_s_per_user;
    c.concurrency = d.decode.concurrency;
  } else {
    const auto& e = c.estimate;
    c.fits = e.fits && !e.saturated;
    c.reason = e.saturated ? "saturated" : to_string(e.reason);
    c.num_gpus = e.num_gpus;
    c.ttft_s = e.ttft_s;
    c.tpot_s = e.tpot_s;
    c.request_latency_s = e.request_latency_s;
    c.tokens_per_s_per_gpu = e.output_tokens_per_s_per_gpu;
    c.tokens_per_s_per_user = e.tokens_per_s_per_user;
    c.concurrency = e.concurrency;
  }
}

/// MoE: the EP sizes to try ([] = powers of two dividing the experts, up to the largest TP size); a user's list
/// must divide the experts, and a dense model takes only ep 1 and no attention DP (ConfigError otherwise).
void expert_parallel_defaults(const ModelSpec& model, InferenceSettings& s) {
  const std::string key = "inference_settings.expert_parallel_sizes";
  std::string listed;
  for (int ep : s.expert_parallel_sizes) listed += (listed.empty() ? "[" : ",") + std::to_string(ep);
  listed += "]";
  if (!model.is_moe()) {
    for (int ep : s.expert_parallel_sizes)
      if (ep > 1) throw ConfigError(key, listed, "model " + model.name + " is dense (no experts): use [1]");
    if (s.attention_dp == "true")
      throw ConfigError("inference_settings.attention_dp", "true", "model " + model.name + " is dense (no experts)");
    s.expert_parallel_sizes = {1};
    return;
  }
  for (int ep : s.expert_parallel_sizes)
    if (model.moe_num_experts % ep != 0)
      throw ConfigError(key, listed, std::to_string(ep) + " does not divide the model's " +
                                         std::to_string(model.moe_num_experts) + " experts");
  if (!s.expert_parallel_sizes.empty()) return;
  const int max_tp = *std::max_element(s.tensor_parallel_sizes.begin(), s.tensor_parallel_sizes.end());
  for (int ep = 1; ep <= max_tp && model.moe_num_experts % ep == 0; ep *= 2) s.expert_parallel_sizes.push_back(ep);
}

std::vector<int> concurrency_sweep(const InferenceSettings& s) {
  if (!s.concurrency.empty()) return s.concurrency;
  if (s.mode == "online" && s.request_rate > 0) return {0};
  std::vector<int> v;
  for (int c = 1; c <= 4096; c *= 2) v.push_back(c);
  if (s.mode == "max_throughput") v.push_back(0);  // as many as memory and the token budget allow
  return v;
}

}  // namespace

ServingSearchResult serving_search(const ModelSpec& model, const GpuSpec& gpu, const InferenceSettings& in,
                                   const InferenceCalibration& cal) {
  InferenceSettings s = in;
  check_serving_mode("inference_settings.mode", s.mode);
  if (s.mode == "static_batch")
    throw ConfigError("inference_settings.mode", s.mode, "serving_search covers max_throughput and online");
  if (s.input_seq_lengths.empty()) s.input_seq_lengths = {1024};
  if (s.output_seq_lengths.empty()) s.output_seq_lengths = {1024};
  s = with_nemo_inference_defaults(s, inference_size_b(model));
  // EP inside TP without attention DP predicts what plain TP does (docs/model.md, "MoE with EP"): the default
  // list tries ep > 1 only with attention DP; a user's list is searched as given.
  const bool ep_defaulted = s.expert_parallel_sizes.empty();
  expert_parallel_defaults(model, s);
  for (int in_len : s.input_seq_lengths)
    for (int out_len : s.output_seq_lengths)
      if (in_len + out_len > model.max_position_embeddings)
        throw ConfigError("inference_settings.input_seq_lengths",
                          std::to_string(in_len) + "+" + std::to_string(out_len),
                          "ISL + OSL exceeds the model's context of " + std::to_string(model.max_position_embeddings) +
                              " tokens; use input + output lengths <= " +
                              std::to_string(model.max_position_embeddings));
  dtype_bytes("inference_settings.data_type", s.data_type);
  if (!s.kv_cache_dtype.empty()) dtype_bytes("inference_settings.kv_cache_dtype", s.kv_cache_dtype);
  if (s.top_n < 1) throw ConfigError("inference_settings.top_n", std::to_string(s.top_n), "must be >= 1");
  InferenceCalibration c = cal;
  if (s.memory_fraction > 0) c.memory_fraction = s.memory_fraction;

  ServingSearchResult r;
  r.model = model;
  r.gpu = gpu;
  r.settings = s;
  auto base_layout = [&](int tp, int pp, int ep, int isl, int osl) {
    ServingLayout l;
    l.tp = tp;
    l.pp = pp;
    l.ep = ep;
    l.input_len = isl;
    l.output_len = osl;
    l.weight_dtype = s.data_type;
    l.kv_cache_dtype = s.kv_cache_dtype;
    l.gpus_per_node = s.gpus_per_node;
    l.mode = s.mode;
    l.max_num_tokens = s.max_num_tokens;
    l.scheduler_steps = s.scheduler_steps;
    l.request_rate = s.request_rate;
    return l;
  };
  const auto sweep = concurrency_sweep(s);
  for (int isl : s.input_seq_lengths)
    for (int osl : s.output_seq_lengths)
      for (int tp : s.tensor_parallel_sizes)
        for (int pp : s.pipeline_parallel_sizes)
          for (int ep : s.expert_parallel_sizes)
            for (bool adp : {false, true}) {
            // EP splits the TP group; attention DP needs the experts over all of it (ep == tp > 1).
            if (tp % ep != 0 || (ep_defaulted && ep > 1 && !adp)) continue;
            if (adp && (s.attention_dp == "false" || ep != tp || tp == 1)) continue;
            if (!adp && s.attention_dp == "true" && ep == tp && tp > 1) continue;
            for (int conc : sweep) {
              ServingCandidate cand;
              cand.layout = base_layout(tp, pp, ep, isl, osl);
              cand.layout.attention_dp = adp;
              cand.layout.concurrency = conc;
              if (s.mode == "online" && s.request_rate <= 0 && conc == 0) continue;
              cand.estimate = estimate_serving(model, cand.layout, gpu, c);
              set_common(cand);
              // Beyond what memory admits the engine caps the concurrency: the same point again.
              if (conc > 0 && cand.estimate.fits && s.mode == "max_throughput" && cand.estimate.concurrency < conc)
                continue;
              r.candidates.push_back(std::move(cand));
            }
            }
  if (s.disaggregated) {
    // Prefill and decode replicas from the same TP x PP lists; replica counts so both pools fit in max_gpus.
    for (int isl : s.input_seq_lengths)
      for (int osl : s.output_seq_lengths)
        for (int ptp : s.tensor_parallel_sizes)
          for (int ppp : s.pipeline_parallel_sizes)
            for (int dtp : s.tensor_parallel_sizes)
              for (int dpp : s.pipeline_parallel_sizes)
                for (int conc : sweep) {
                  const int gp = ptp * ppp, gd = dtp * dpp;
                  for (int np = 1; np * gp + gd <= s.max_gpus; ++np)
                    for (int nd = 1; np * gp + nd * gd <= s.max_gpus; ++nd) {
                      ServingCandidate cand;
                      cand.disaggregated = true;
                      cand.prefill_layout = base_layout(ptp, ppp, 1, isl, osl);
                      cand.layout = base_layout(dtp, dpp, 1, isl, osl);
                      cand.layout.concurrency = conc;
                      cand.prefill_workers = np;
                      cand.decode_workers = nd;
                      cand.disagg = estimate_disaggregated(model, cand.prefill_layout, cand.layout, np, nd, gpu, c);
                      set_common(cand);
                      if (!cand.fits) break;  // more decode replicas of an infeasible layout stay infeasible
                      if (conc > 0 && cand.disagg.decode.concurrency < conc) break;
                      r.candidates.push_back(std::move(cand));
                    }
                }
  }
  // Bounds, lowest reachable TTFT / TPOT, Pareto front, ranking.
  const double ttft_b = s.max_ttft_ms / 1e3, tpot_b = s.max_tpot_ms / 1e3, lat_b = s.max_latency_ms / 1e3;
  r.lowest_ttft_s = r.lowest_tpot_s = 0;
  for (auto& cand : r.candidates) {
    cand.within_bounds = cand.fits && (ttft_b <= 0 || cand.ttft_s <= ttft_b) && (tpot_b <= 0 || cand.tpot_s <= tpot_b) &&
                         (lat_b <= 0 || cand.request_latency_s <= lat_b);
    if (!cand.fits) continue;
    if (r.lowest_ttft_s == 0 || cand.ttft_s < r.lowest_ttft_s) r.lowest_ttft_s = cand.ttft_s;
    if (r.lowest_tpot_s == 0 || cand.tpot_s < r.lowest_tpot_s) r.lowest_tpot_s = cand.tpot_s;
  }
  // Pareto: sort by tokens/s/user descending; a candidate is on the front when its tokens/s/GPU beats every
  // candidate with more tokens/s/user (O(n log n)).
  std::vector<ServingCandidate*> fit;
  for (auto& cand : r.candidates)
    if (cand.fits) fit.push_back(&cand);
  std::sort(fit.begin(), fit.end(), [](const ServingCandidate* a, const ServingCandidate* b) {
    if (a->tokens_per_s_per_user != b->tokens_per_s_per_user) return a->tokens_per_s_per_user > b->tokens_per_s_per_user;
    if (a->tokens_per_s_per_gpu != b->tokens_per_s_per_gpu) return a->tokens_per_s_per_gpu > b->tokens_per_s_per_gpu;
    return a->num_gpus < b->num_gpus;  // of equal points the smallest deployment is the one on the front
  });
  double best_gpu = -1;
  for (auto* cand : fit)
    if (cand->tokens_per_s_per_gpu > best_gpu) {
      cand->pareto = true;
      best_gpu = cand->tokens_per_s_per_gpu;
    }
  std::stable_sort(r.candidates.begin(), r.candidates.end(), [](const ServingCandidate& a, const ServingCandidate& b) {
    if (a.within_bounds != b.within_bounds) return a.within_bounds;
    if (a.fits != b.fits) return a.fits;
    if (a.tokens_per_s_per_gpu != b.tokens_per_s_per_gpu) return a.tokens_per_s_per_gpu > b.tokens_per_s_per_gpu;
    if (a.tokens_per_s_per_user != b.tokens_per_s_per_user) return a.tokens_per_s_per_user > b.tokens_per_s_per_user;
    return a.num_gpus < b.num_gpus;
  });
  int rank = 0;
  for (size_t i = 0; i < r.candidates.size(); ++i) {
    auto& cand = r.candidates[i];
    if (!cand.within_bounds) continue;
    cand.rank = ++rank;
    if (cand.disaggregated && r.best_disaggregated < 0) r.best_disaggregated = static_cast<int>(i);
    if (!cand.disaggregated && r.best_aggregated < 0) r.best_aggregated = static_cast<int>(i);
  }
  r.best = rank > 0 ? 0 : -1;
  r.num_top = std::min(rank, s.top_n);
  return r;
}

std::string serving_csv(const ServingSearchResult& r) {
  std::string out =
      "rank,kind,tp,pp,ep,attention_dp,prefill_tp,prefill_pp,prefill_workers,decode_workers,num_gpus,input_len,output_len,"
      "concurrency,ttft_ms,tpot_ms,request_latency_ms,tokens_per_s_per_gpu,tokens_per_s_per_user,fits,reason,"
      "within_bounds,pareto\n";
  char buf[512];
  for (const auto& c : r.candidates) {
    const auto& l = c.layout;
    std::snprintf(buf, sizeof buf, "%d,%s,%d,%d,%d,%s,%d,%d,%d,%d,%d,%d,%d,%.1f,%.3f,%.3f,%.1f,%.2f,%.2f,%s,%s,%s,%s\n",
                  c.rank, c.disaggregated ? "disaggregated" : "aggregated", l.tp, l.pp, l.ep, l.attention_dp ? "true" : "false",
                  c.disaggregated ? c.prefill_layout.tp : 0, c.disaggregated ? c.prefill_layout.pp : 0,
                  c.prefill_workers, c.decode_workers, c.num_gpus, l.input_len, l.output_len, c.concurrency,
                  c.ttft_s * 1e3, c.tpot_s * 1e3, c.request_latency_s * 1e3, c.tokens_per_s_per_gpu,
                  c.tokens_per_s_per_user, c.fits ? "true" : "false", c.reason.c_str(),
                  c.within_bounds ? "true" : "false", c.pareto ? "true" : "false");
    out += buf;
  }
  return out;
}

namespace {

// The fitting candidate reaching a lowest value, in words ("aggregated TP 2 PP 1, concurrency 4").
std::string reached_by(const ServingSearchResult& r, double ServingCandidate::*field, double lowest) {
  for (const auto& c : r.candidates) {
    if (!c.fits || c.*field != lowest) continue;
    std::string s = c.disaggregated
                        ? fmt::format("disaggregated {} x (TP {} PP {}) prefill + {} x (TP {} PP {}) decode",
                                      c.prefill_workers, c.prefill_layout.tp, c.prefill_layout.pp, c.decode_workers,
                                      c.layout.tp, c.layout.pp)
                        : fmt::format("aggregated TP {} PP {}{}{}", c.layout.tp, c.layout.pp,
                                      c.layout.ep > 1 ? fmt::format(" EP {}", c.layout.ep) : "",
                                      c.layout.attention_dp ? " attention DP" : "");
    return s + fmt::format(", concurrency {:g}", c.concurrency);
  }
  return "";
}

}  // namespace

std::string serving_no_feasible_message(const ServingSearchResult& r) {
  if (r.best >= 0) return "";
  const auto& s = r.settings;
  if (r.lowest_ttft_s <= 0)
    return "no serving layout fits (every candidate is out of memory or infeasible); add tensor_parallel_sizes or "
           "a smaller data_type";
  std::string msg;
  auto add = [&](const std::string& m) { msg += (msg.empty() ? "" : "; ") + m; };
  if (s.max_ttft_ms > 0 && r.lowest_ttft_s * 1e3 > s.max_ttft_ms)
    add("inference_settings.max_ttft_ms=" + detail::format_number(s.max_ttft_ms) + ": the lowest reachable TTFT is " +
        detail::format_number(std::ceil(r.lowest_ttft_s * 1e4) / 10) + " ms (" +
        reached_by(r, &ServingCandidate::ttft_s, r.lowest_ttft_s) + "); raise max_ttft_ms to at least that");
  if (s.max_tpot_ms > 0 && r.lowest_tpot_s * 1e3 > s.max_tpot_ms)
    add("inference_settings.max_tpot_ms=" + detail::format_number(s.max_tpot_ms) + ": the lowest reachable TPOT is " +
        detail::format_number(std::ceil(r.lowest_tpot_s * 1e4) / 10) + " ms (" +
        reached_by(r, &ServingCandidate::tpot_s, r.lowest_tpot_s) + "); raise max_tpot_ms to at least that");
  if (msg.empty())
    msg = "no layout meets max_ttft_ms, max_tpot_ms and max_latency_ms together (lowest TTFT " +
          detail::format_number(std::ceil(r.lowest_ttft_s * 1e4) / 10) + " ms, lowest TPOT " +
          detail::format_number(std::ceil(r.lowest_tpot_s * 1e4) / 10) + " ms, not in one layout); relax one bound";
  return msg;
}

}  // namespace hp
