// Binding: serving with in-flight batching (max throughput, online, disaggregated) and the serving search.
#include <pybind11/stl.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "binding.hpp"
#include "record.hpp"
#include "hp/catalog.hpp"
#include "hp/core.hpp"
#include "hp/hardware.hpp"
#include "hp/inference_search.hpp"
#include "hp/inference_serving.hpp"
#include "hp/inference_validate.hpp"
#include "hp/search_config.hpp"
#include "hp/served_models.hpp"
#include "hp/serving_search.hpp"

namespace {

namespace py = pybind11;

/// A model by name (catalogue key, validation model, served name or Hugging Face id) or by architecture fields.
hp::ModelSpec resolve_model(const std::string& model, const std::optional<std::map<std::string, std::string>>& arch) {
  if (arch) return hp::architecture_model(model, *arch, "architecture");
  try {
    return hp::resolve_served_model(model).model;
  } catch (const hp::ConfigError&) {
    throw hp::ConfigError("model", model, "unknown model: give a catalogue key (gpt3/5b), a validation model "
                                          "(llama-2-70b), a served name (Qwen/Qwen3-235B-A22B-FP8) or "
                                          "architecture={...}");
  }
}

py::dict serving_dict(const hp::ServingEstimate& e) {
  py::dict d;
  d["fits"] = e.fits;
  d["reason"] = hp::to_string(e.reason);
  d["saturated"] = e.saturated;
  d["num_gpus"] = e.num_gpus;
  d["weights_bytes"] = e.weights_bytes;
  d["kv_capacity_tokens"] = e.kv_capacity_tokens;
  d["kv_bytes_per_token"] = e.kv_bytes_per_token;
  d["max_concurrency"] = e.max_concurrency;
  d["concurrency"] = e.concurrency;
  d["step_s"] = e.step_s;
  d["ttft_s"] = e.ttft_s;
  d["tpot_s"] = e.tpot_s;
  d["queue_s"] = e.queue_s;
  d["request_latency_s"] = e.request_latency_s;
  d["requests_per_s"] = e.requests_per_s;
  d["output_tokens_per_s"] = e.output_tokens_per_s;
  d["output_tokens_per_s_per_gpu"] = e.output_tokens_per_s_per_gpu;
  d["tokens_per_s_per_user"] = e.tokens_per_s_per_user;
  return d;
}

py::dict estimate_serving(const std::string& model, const std::optional<std::map<std::string, std::string>>& arch,
                          const std::string& gpu, const std::string& mode, int tp, int pp, int ep, bool attention_dp,
                          int input_len,
                          int output_len, const std::string& weight_dtype, const std::string& kv_cache_dtype,
                          int max_num_tokens, int max_batch_size, double kv_cache_fraction, double request_rate,
                          int concurrency, const std::string& engine, int prefill_tp, int prefill_pp,
                          int prefill_workers, int decode_workers, int scheduler_steps) {
  hp::ServingLayout l;
  l.tp = tp;
  l.pp = pp;
  l.ep = ep;
  l.attention_dp = attention_dp;
  l.input_len = input_len;
  l.output_len = output_len;
  l.weight_dtype = weight_dtype;
  l.kv_cache_dtype = kv_cache_dtype;
  l.mode = mode == "disaggregated" ? "max_throughput" : mode;
  l.max_num_tokens = max_num_tokens;
  l.max_batch_size = max_batch_size;
  l.kv_cache_fraction = kv_cache_fraction;
  l.request_rate = request_rate;
  l.concurrency = concurrency;
  l.scheduler_steps = scheduler_steps;
  const hp::GpuSpec g = hp::find_gpu(gpu);
  const hp::ModelSpec m = resolve_model(model, arch);
  const auto cal = hp::default_inference_calibration(g, engine);
  if (mode != "disaggregated") return serving_dict(hp::estimate_serving(m, l, g, cal));
  hp::ServingLayout p = l;
  p.tp = prefill_tp;
  p.pp = prefill_pp;
  const auto d = hp::estimate_disaggregated(m, p, l, prefill_workers, decode_workers, g, cal);
  py::dict x;
  x["fits"] = d.fits;
  x["reason"] = hp::to_string(d.reason);
  x["num_gpus"] = d.num_gpus;
  x["ttft_s"] = d.ttft_s;
  x["tpot_s"] = d.tpot_s;
  x["kv_transfer_s"] = d.kv_transfer_s;
  x["requests_per_s"] = d.requests_per_s;
  x["output_tokens_per_s_per_gpu"] = d.output_tokens_per_s_per_gpu;
  x["tokens_per_s_per_user"] = d.tokens_per_s_per_user;
  x["prefill"] = serving_dict(d.prefill);
  x["decode"] = serving_dict(d.decode);
  return x;
}

py::dict serving_search(const std::optional<std::string>& config, const std::optional<std::string>& model,
                        const std::optional<std::map<std::string, std::string>>& arch,
                        const std::optional<std::string>& gpu, const std::optional<std::string>& mode,
                        const std::optional<std::vector<int>>& tensor_parallel_sizes,
                        const std::optional<std::vector<int>>& pipeline_parallel_sizes,
                        const std::optional<std::vector<int>>& expert_parallel_sizes,
                        const py::object& attention_dp,
                        const std::optional<std::vector<int>>& input_seq_lengths,
                        const std::optional<std::vector<int>>& output_seq_lengths,
                        const std::optional<std::vector<int>>& concurrency, const std::optional<double>& request_rate,
                        const std::optional<double>& max_ttft_ms, const std::optional<double>& max_tpot_ms,
                        const std::optional<double>& max_latency_ms, const std::optional<std::string>& data_type,
                        const std::optional<std::string>& kv_cache_dtype, const std::optional<int>& max_num_tokens,
                        const std::optional<std::string>& engine, const std::optional<bool>& disaggregated,
                        const std::optional<int>& max_gpus, const std::optional<int>& top_n,
                        const std::optional<int>& scheduler_steps) {
  hp::SearchConfig c;
  if (config) c = hp::load_search_config(*config);
  auto& s = c.inference;
  if (!config) s.mode = "max_throughput";
  if (model) s.model = *model;
  if (arch) s.architecture = *arch;
  if (gpu) s.gpu = *gpu;
  if (mode) s.mode = *mode;
  if (tensor_parallel_sizes) s.tensor_parallel_sizes = *tensor_parallel_sizes;
  if (pipeline_parallel_sizes) s.pipeline_parallel_sizes = *pipeline_parallel_sizes;
  if (expert_parallel_sizes) s.expert_parallel_sizes = *expert_parallel_sizes;
  if (py::isinstance<py::bool_>(attention_dp)) s.attention_dp = attention_dp.cast<bool>() ? "true" : "false";
  else if (py::isinstance<py::str>(attention_dp) && attention_dp.cast<std::string>() == "auto") s.attention_dp = "auto";
  else if (!attention_dp.is_none())
    throw hp::ConfigError("attention_dp", py::str(attention_dp).cast<std::string>(), "expected True, False or \"auto\"");
  if (input_seq_lengths) s.input_seq_lengths = *input_seq_lengths;
  if (output_seq_lengths) s.output_seq_lengths = *output_seq_lengths;
  if (concurrency) s.concurrency = *concurrency;
  if (request_rate) s.request_rate = *request_rate;
  if (max_ttft_ms) s.max_ttft_ms = *max_ttft_ms;
  if (max_tpot_ms) s.max_tpot_ms = *max_tpot_ms;
  if (max_latency_ms) s.max_latency_ms = *max_latency_ms;
  if (data_type) s.data_type = *data_type;
  if (kv_cache_dtype) s.kv_cache_dtype = *kv_cache_dtype;
  if (max_num_tokens) s.max_num_tokens = *max_num_tokens;
  if (engine) s.engine = *engine;
  if (disaggregated) s.disaggregated = *disaggregated;
  if (max_gpus) s.max_gpus = *max_gpus;
  if (top_n) s.top_n = *top_n;
  if (scheduler_steps) s.scheduler_steps = *scheduler_steps;
  hp::ModelSpec m;
  if (s.architecture.empty() && !s.model.empty() && s.model.find('/') == std::string::npos &&
      s.model.find('_') == std::string::npos)
    m = resolve_model(s.model, std::nullopt);
  else
    m = hp::inference_model(c);
  const hp::GpuSpec g = hp::inference_gpu(c);
  const auto r = hp::serving_search(m, g, s, hp::default_inference_calibration(g, s.engine));
  py::dict d;
  d["model"] = r.model.name;
  d["gpu"] = r.gpu.name;
  d["csv"] = hp::serving_csv(r);
  py::list rows;
  for (const auto& c : r.candidates) rows.append(hppy::record_dict(hp::serving_candidate_record(c)));
  d["rows"] = rows;
  d["num_top"] = r.num_top;
  d["best"] = r.best >= 0 ? py::object(py::int_(r.best)) : py::object(py::none());
  d["best_aggregated"] = r.best_aggregated >= 0 ? py::object(py::int_(r.best_aggregated)) : py::object(py::none());
  d["best_disaggregated"] =
      r.best_disaggregated >= 0 ? py::object(py::int_(r.best_disaggregated)) : py::object(py::none());
  d["lowest_ttft_s"] = r.lowest_ttft_s;
  d["lowest_tpot_s"] = r.lowest_tpot_s;
  d["message"] = hp::serving_no_feasible_message(r);
  return d;
}

}  // namespace

HP_PY_BINDING(61, [](py::module_& m) {
  m.def("estimate_serving", &estimate_serving, py::kw_only(), py::arg("model"), py::arg("architecture") = py::none(),
        py::arg("gpu") = "h100-sxm", py::arg("mode") = "max_throughput", py::arg("tp") = 1, py::arg("pp") = 1,
        py::arg("ep") = 1, py::arg("attention_dp") = false, py::arg("input_len") = 1024, py::arg("output_len") = 1024, py::arg("weight_dtype") = "fp8",
        py::arg("kv_cache_dtype") = "", py::arg("max_num_tokens") = 8192, py::arg("max_batch_size") = 2048,
        py::arg("kv_cache_fraction") = 0.9, py::arg("request_rate") = 0.0, py::arg("concurrency") = 0,
        py::arg("engine") = "trtllm-0.17", py::arg("prefill_tp") = 1, py::arg("prefill_pp") = 1,
        py::arg("prefill_workers") = 1, py::arg("decode_workers") = 1, py::arg("scheduler_steps") = 1,
        "Predict one serving replica with in-flight batching (mode max_throughput, online; or disaggregated with "
        "prefill_* and *_workers): ttft_s, tpot_s, output_tokens_per_s_per_gpu, tokens_per_s_per_user, ...");
  m.def("_serving_search", &serving_search, py::arg("config") = py::none(), py::kw_only(), py::arg("model") = py::none(),
        py::arg("architecture") = py::none(), py::arg("gpu") = py::none(), py::arg("mode") = py::none(),
        py::arg("tensor_parallel_sizes") = py::none(), py::arg("pipeline_parallel_sizes") = py::none(),
        py::arg("expert_parallel_sizes") = py::none(), py::arg("attention_dp") = py::none(),
        py::arg("input_seq_lengths") = py::none(),
        py::arg("output_seq_lengths") = py::none(), py::arg("concurrency") = py::none(),
        py::arg("request_rate") = py::none(), py::arg("max_ttft_ms") = py::none(), py::arg("max_tpot_ms") = py::none(),
        py::arg("max_latency_ms") = py::none(), py::arg("data_type") = py::none(),
        py::arg("kv_cache_dtype") = py::none(), py::arg("max_num_tokens") = py::none(), py::arg("engine") = py::none(),
        py::arg("disaggregated") = py::none(), py::arg("max_gpus") = py::none(), py::arg("top_n") = py::none(),
        py::arg("scheduler_steps") = py::none(), "Serving search (use bignlp_hp.serving_search, which wraps the result).");
});
