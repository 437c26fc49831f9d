// Inference HP search: grid, NeMo's node rules (via estimate_inference), latency bound, top-N, Pareto front.
#include <algorithm>
#include <cmath>
#include <string>

#include "checks.hpp"
#include "hp/perf.hpp"
#include "hp/catalog.hpp"
#include "hp/core.hpp"
#include "hp/inference_search.hpp"
#include "hp/search.hpp"
#include "hp/served_models.hpp"
#include "hp/serving_search.hpp"

namespace hp {

namespace {

std::string join_ints(const std::vector<int>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

void check_positive(const std::string& key, const std::vector<int>& values) {
  // Upper bound: sizes and lengths multiply in the memory and time formulas (docs/usage.md "Limits").
  for (int v : values)
    if (v < 1 || v > kMaxLayoutSize)
      throw ConfigError("inference_settings." + key, join_ints(values),
                        "every value must be an integer in 1.." + std::to_string(kMaxLayoutSize));
}

}  // namespace

InferenceSettings with_nemo_inference_defaults(const InferenceSettings& in, double size_b) {
  InferenceSettings s = in;
  // HEAD conf/search_config/gpt3/<size>.yaml inference_settings (nemo_autoconfigurator.md section 1.4), by the
  // nearest predefined size: 0.126b/0.843b/2b, 5b/8b, 20b, 43b/175b; above that NeMo's "unknown" lists.
  std::vector<int> tp{2, 4, 8}, pp{1, 2};
  std::vector<int> bs{4, 8, 16, 32, 64, 128};
  if (size_b <= 3) {
    tp = {1, 2};
    pp = {1};
    bs = {4, 8, 16, 32, 64, 128, 256, 512};
  } else if (size_b <= 12) {
    tp = {1, 2, 4};
    pp = {1, 2};
    bs.push_back(256);
  } else if (size_b <= 30) {
    tp = {2, 4, 8};
    pp = {1, 2, 4};
    bs.push_back(256);
  } else if (size_b <= 200) {
    tp = {4, 8, 16};
    pp = {1, 2, 4, 8};
    if (size_b <= 100) bs.push_back(256);  // 175b stops at 128
  }
  if (s.tensor_parallel_sizes.empty()) s.tensor_parallel_sizes = tp;
  if (s.pipeline_parallel_sizes.empty()) s.pipeline_parallel_sizes = pp;
  if (s.max_batch_sizes.empty()) s.max_batch_sizes = bs;
  if (s.input_seq_lengths.empty()) s.input_seq_lengths = {60};
  if (s.output_seq_lengths.empty()) s.output_seq_lengths = {20};
  return s;
}

double inference_size_b(const ModelSpec& model) {
  for (const auto& e : model_catalog())
    if (!model.name.empty() && e.key == model.name) return e.nominal_size_b;
  return static_cast<double>(count_parameters(model).total) / 1e9;
}

namespace {
ModelSpec resolve_inference_model(const SearchConfig& config);
}

ModelSpec inference_model(const SearchConfig& config) {
  ModelSpec m = resolve_inference_model(config);
  const InferenceSettings& s = config.inference;
  if (s.sliding_window < 0 && s.sliding_window_pattern < 0) return m;
  if (s.sliding_window >= 0) m.sliding_window = s.sliding_window;
  if (s.sliding_window_pattern >= 0) m.sliding_window_pattern = s.sliding_window_pattern;
  validate(m);  // names sliding_window(_pattern) and the value
  return m;
}

namespace {
ModelSpec resolve_inference_model(const SearchConfig& config) {
  const InferenceSettings& s = config.inference;
  // Any decoder-only architecture by its fields (issue 14) comes first: it names the model exactly.
  if (!s.architecture.empty())
    return architecture_model(s.model.empty() ? "custom" : s.model, s.architecture, "inference_settings.architecture");
  auto catalogue = [&s](const std::string& key) {
    try {
      return find_model(key);
    } catch (const ConfigError&) {
    }
    try {  // a served name or Hugging Face id (Qwen/Qwen3-235B-A22B-FP8)
      return resolve_served_model(s.model).model;
    } catch (const ConfigError& e) {
      throw ConfigError("inference_settings.model", s.model, e.what());
    }
  };
  auto decoder_only = [&s](ModelSpec m) {
    // The inference model is a decoder's prefill + decode (and T5's analytical path); BERT has no decode.
    if (m.is_bert())
      throw ConfigError("inference_settings.model", s.model.empty() ? m.family : s.model,
                        "inference search covers decoder models (gpt3, llama, mixtral, qwen2, baichuan2, chatglm, "
                        "t5, mt5); BERT is an encoder");
    return m;
  };
  if (s.model.find('/') != std::string::npos) return decoder_only(catalogue(s.model));  // catalogue key: gpt3/5b
  // NeMo HEAD takes the architecture from the base config it generates from train_settings (any size, or the
  // custom_config); run.model_train_name ("gpt3_0.126b") is only a label.
  if (config.has_train_settings) {
    const TrainingConfig base = search_base_config(config);
    ModelSpec m = base.model;
    if (m.name.empty()) m.name = s.model.empty() ? base.run_name : s.model;
    return decoder_only(m);
  }
  if (!s.model.empty()) {
    for (const auto& e : model_catalog())  // a NeMo base-config name: llama3_70b, mixtral_7b
      if (e.nemo_base_config == s.model) return e.model;
    std::string key = s.model;  // NeMo's run name gpt3_5b -> catalogue key gpt3/5b
    const auto us = key.find('_');
    if (us != std::string::npos) key[us] = '/';
    return catalogue(key);
  }
  throw ConfigError("inference_settings.model", s.model,
                    "name a pre-defined model (e.g. gpt3/5b), or give train_settings.model_size_in_b");
}
}  // namespace

GpuSpec inference_gpu(const SearchConfig& config) {
  if (!config.inference.gpu.empty()) {
    try {
      return find_gpu(config.inference.gpu);
    } catch (const ConfigError& e) {
      throw ConfigError("inference_settings.gpu", config.inference.gpu, e.what());
    }
  }
  if (!config.train.gpu.empty()) return find_gpu(config.train.gpu);
  return gpu_for_memory_gb(config.train.gpu_memory_gb);
}

InferenceSearchResult inference_search(const ModelSpec& model, const GpuSpec& gpu, const InferenceSettings& settings,
                                       const InferenceCalibration& calibration) {
  const InferenceSettings& s = settings;
  const std::pair<const char*, const std::vector<int>*> lists[] = {
      {"tensor_parallel_sizes", &s.tensor_parallel_sizes}, {"pipeline_parallel_sizes", &s.pipeline_parallel_sizes},
      {"max_batch_sizes", &s.max_batch_sizes},             {"input_seq_lengths", &s.input_seq_lengths},
      {"output_seq_lengths", &s.output_seq_lengths}};
  for (const auto& [key, values] : lists) {
    if (values->empty()) throw ConfigError(std::string("inference_settings.") + key, "[]", "must not be empty");
    check_positive(key, *values);
  }
  detail::require_int("inference_settings.top_n", s.top_n, 1, kMaxLayoutSize);
  if (!(s.max_latency_ms >= 0 && std::isfinite(s.max_latency_ms)))
    throw ConfigError("inference_settings.max_latency_ms", detail::format_number(s.max_latency_ms),
                      "expected a finite number >= 0 (0 = no bound)");
  detail::require_int("inference_settings.gpus_per_node", s.gpus_per_node, 1, kMaxLayoutSize);
  detail::require_int("inference_settings.num_nodes", s.num_nodes, 0, kMaxLayoutSize);
  if (!(s.memory_fraction >= 0 && s.memory_fraction <= 1))
    throw ConfigError("inference_settings.memory_fraction", std::to_string(s.memory_fraction),
                      "must be in (0, 1] (0 = the engine calibration's)");
  dtype_bytes("inference_settings.data_type", s.data_type);
  if (s.beam_width != 1)
    throw ConfigError("inference_settings.beam_width", std::to_string(s.beam_width), "the model covers beam_width 1 only");
  if (!s.kv_cache_dtype.empty()) dtype_bytes("inference_settings.kv_cache_dtype", s.kv_cache_dtype);

  InferenceCalibration cal = calibration;
  if (s.memory_fraction > 0) cal.memory_fraction = s.memory_fraction;
  InferenceSearchResult r;
  r.model = model;
  r.gpu = gpu;
  r.settings = s;
  for (int in : s.input_seq_lengths)
    for (int out : s.output_seq_lengths)
      for (int tp : s.tensor_parallel_sizes)
        for (int pp : s.pipeline_parallel_sizes)
          for (int bs : s.max_batch_sizes) {
            InferenceCandidate c;
            c.layout.tp = tp;
            c.layout.pp = pp;
            c.layout.batch_size = bs;
            c.layout.input_len = in;
            c.layout.output_len = out;
            c.layout.weight_dtype = s.data_type;
            c.layout.kv_cache_dtype = s.kv_cache_dtype;
            c.layout.gpus_per_node = s.gpus_per_node;
            c.estimate = estimate_inference(model, c.layout, gpu, cal);
            if (c.estimate.reason == InferenceInfeasible::none && s.num_nodes > 0 && c.estimate.num_nodes > s.num_nodes) {
              c.estimate.reason = InferenceInfeasible::too_many_nodes;
              c.estimate.fits = false;
            }
            r.candidates.push_back(std::move(c));
          }
  rerank(r);
  return r;
}

void rerank(InferenceSearchResult& r) {
  const double bound_s = r.settings.max_latency_ms / 1e3;
  auto thr = [](const InferenceCandidate& c) {
    return c.layout.batch_size / c.reported_latency_s() / c.estimate.num_gpus;
  };
  // A measured failure (OOM, error, timeout) drops the layout; no log yet keeps the prediction.
  auto usable = [](const InferenceCandidate& c) {
    const auto& st = c.measured.status;
    return c.estimate.fits && (st.empty() || st == "ok" || st == "missing_log");
  };
  for (auto& c : r.candidates) {
    c.within_bound = usable(c) && (bound_s <= 0 || c.reported_latency_s() <= bound_s);
    c.pareto = false;
    c.rank = 0;
  }
  // Pareto front over usable layouts (fitting, benchmark not failed): no other has both lower latency and higher
  // throughput/GPU.
  for (auto& c : r.candidates) {
    if (!usable(c)) continue;
    bool dominated = false;
    for (const auto& o : r.candidates) {
      if (&o == &c || !usable(o)) continue;
      const bool no_worse = o.reported_latency_s() <= c.reported_latency_s() && thr(o) >= thr(c);
      const bool better = o.reported_latency_s() < c.reported_latency_s() || thr(o) > thr(c);
      if (no_worse && better) {
        dominated = true;
        break;
      }
    }
    c.pareto = !dominated;
  }
  // Ranked first (throughput per GPU desc, then latency asc, then fewer GPUs: deterministic), then the rest.
  std::stable_sort(r.candidates.begin(), r.candidates.end(), [&](const InferenceCandidate& a, const InferenceCandidate& b) {
    if (a.within_bound != b.within_bound) return a.within_bound;
    if (a.estimate.fits != b.estimate.fits) return a.estimate.fits;
    const bool a_valid = a.estimate.latency_s > 0, b_valid = b.estimate.latency_s > 0;
    if (a_valid != b_valid) return a_valid;
    if (!a_valid) return false;
    if (thr(a) != thr(b)) return thr(a) > thr(b);
    if (a.reported_latency_s() != b.reported_latency_s()) return a.reported_latency_s() < b.reported_latency_s();
    return a.estimate.num_gpus < b.estimate.num_gpus;
  });
  int rank = 0;
  for (auto& c : r.candidates)
    if (c.within_bound) c.rank = ++rank;
  r.best = rank > 0 ? 0 : -1;
  r.num_top = std::min(rank, r.settings.top_n);
}

std::string inference_run_name(const std::string& model_name, const InferenceLayout& l, bool with_lengths) {
  std::string n = model_name;
  for (char& ch : n)
    if (ch == '/') ch = '_';
  n += "_tp" + std::to_string(l.tp) + "_pp" + std::to_string(l.pp) + "_bs" + std::to_string(l.batch_size);
  if (with_lengths) n += "_in" + std::to_string(l.input_len) + "_out" + std::to_string(l.output_len);
  return n;
}

std::string inference_no_feasible_message(const InferenceSearchResult& r) {
  if (r.best >= 0) return "";
  const InferenceCandidate* fastest = nullptr;
  for (const auto& c : r.candidates)
    if (c.estimate.fits && (!fastest || c.reported_latency_s() < fastest->reported_latency_s())) fastest = &c;
  if (!fastest) return "no layout fits in GPU memory; add tensor_parallel_sizes or pipeline_parallel_sizes";
  const InferenceLayout& l = fastest->layout;
  // Rounded up to 0.1 ms so that a bound of the printed value is met.
  const double lowest_ms = std::ceil(fastest->reported_latency_s() * 1e4) / 10;
  return "inference_settings.max_latency_ms=" + detail::format_number(r.settings.max_latency_ms) +
         ": no layout is that fast; the lowest reachable latency is " + detail::format_number(lowest_ms) + " ms (TP " +
         std::to_string(l.tp) + ", PP " + std::to_string(l.pp) + ", batch " + std::to_string(l.batch_size) +
         ", input " + std::to_string(l.input_len) + ", output " + std::to_string(l.output_len) + " tokens, " +
         std::to_string(fastest->estimate.num_gpus) + " GPUs); raise max_latency_ms to at least that";
}

}  // namespace hp
