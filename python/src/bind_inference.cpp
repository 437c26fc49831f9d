// Binding: inference model, inference HP search (front end), validation against published measurements.
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

#include "binding.hpp"
#include "record.hpp"
#include "hp/catalog.hpp"
#include "hp/core.hpp"
#include "hp/hardware.hpp"
#include "hp/inference.hpp"
#include "hp/inference_search.hpp"
#include "hp/inference_validate.hpp"
#include "hp/search_config.hpp"
#include "hp/run/inference_frontend.hpp"

namespace {

namespace py = pybind11;

py::dict estimate_dict(const hp::InferenceEstimate& e) {
  py::dict d;
  d["fits"] = e.fits;
  d["reason"] = hp::to_string(e.reason);
  d["num_gpus"] = e.num_gpus;
  d["num_nodes"] = e.num_nodes;
  d["ttft_s"] = e.ttft_s;
  d["tpot_s"] = e.tpot_s;
  d["latency_s"] = e.latency_s;
  d["prefill_compute_s"] = e.prefill_compute_s;
  d["prefill_comm_s"] = e.prefill_comm_s;
  d["decode_weights_s"] = e.decode_weights_s;
  d["decode_kv_s"] = e.decode_kv_s;
  d["decode_comm_s"] = e.decode_comm_s;
  d["throughput_per_gpu"] = e.throughput_per_gpu;
  d["output_tokens_per_s_per_gpu"] = e.output_tokens_per_s_per_gpu;
  d["weights_bytes"] = e.memory.weights_bytes;
  d["kv_cache_bytes"] = e.memory.kv_cache_bytes;
  d["activations_bytes"] = e.memory.activations_bytes;
  d["memory_bytes"] = e.memory.total_bytes;
  d["max_batch_size"] = e.max_batch_size;
  return d;
}

py::dict estimate_inference(const std::string& model, const std::string& gpu, int tp, int pp, int batch_size,
                            int input_len, int output_len, const std::string& weight_dtype,
                            const std::string& kv_cache_dtype, int gpus_per_node, const std::string& engine) {
  hp::InferenceLayout l;
  l.tp = tp;
  l.pp = pp;
  l.batch_size = batch_size;
  l.input_len = input_len;
  l.output_len = output_len;
  l.weight_dtype = weight_dtype;
  l.kv_cache_dtype = kv_cache_dtype;
  l.gpus_per_node = gpus_per_node;
  const hp::GpuSpec g = hp::find_gpu(gpu);
  return estimate_dict(hp::estimate_inference(hp::find_model(model), l, g, hp::default_inference_calibration(g, engine)));
}

py::dict inference_search(const std::optional<std::string>& config, const std::optional<std::string>& results_dir,
                          bool write, const std::optional<std::string>& model, const std::optional<std::string>& gpu,
                          const std::optional<std::vector<int>>& tensor_parallel_sizes,
                          const std::optional<std::vector<int>>& pipeline_parallel_sizes,
                          const std::optional<std::vector<int>>& batch_sizes,
                          const std::optional<std::vector<int>>& input_seq_lengths,
                          const std::optional<std::vector<int>>& output_seq_lengths,
                          const std::optional<double>& max_latency_ms, const std::optional<int>& top_n,
                          const std::optional<std::string>& data_type, const std::optional<std::string>& kv_cache_dtype,
                          const std::optional<int>& gpus_per_node, const std::optional<std::string>& benchmark_tool,
                          const std::optional<std::string>& model_path, const std::string& executor,
                          const std::optional<std::string>& ft_path, double time_limit_min) {
  hp::SearchConfig c;
  if (config) {
    c = hp::load_search_config(*config);
  } else {
    c.has_inference_settings = true;
  }
  auto& s = c.inference;
  if (model) s.model = *model;
  if (gpu) s.gpu = *gpu;
  if (tensor_parallel_sizes) s.tensor_parallel_sizes = *tensor_parallel_sizes;
  if (pipeline_parallel_sizes) s.pipeline_parallel_sizes = *pipeline_parallel_sizes;
  if (batch_sizes) s.max_batch_sizes = *batch_sizes;
  if (input_seq_lengths) s.input_seq_lengths = *input_seq_lengths;
  if (output_seq_lengths) s.output_seq_lengths = *output_seq_lengths;
  if (max_latency_ms) s.max_latency_ms = *max_latency_ms;
  if (top_n) s.top_n = *top_n;
  if (data_type) s.data_type = *data_type;
  if (kv_cache_dtype) s.kv_cache_dtype = *kv_cache_dtype;
  if (gpus_per_node) s.gpus_per_node = *gpus_per_node;
  if (benchmark_tool) s.benchmark = *benchmark_tool;
  if (!c.has_inference_settings)
    throw hp::ConfigError("inference_settings", "<missing>", "the config has no inference_settings section");
  hp::run::InferenceRunOptions o;
  if (results_dir) o.results_dir = *results_dir;
  if (model_path) o.bench.model_path = *model_path;
  if (ft_path) o.bench.ft_path = *ft_path;
  o.executor = executor;
  o.time_limit_s = time_limit_min * 60;
  o.write = write;
  const auto out = hp::run::run_inference_search(c, o);
  const auto& r = out.result;
  py::dict d;
  d["model"] = r.model.name;
  d["gpu"] = r.gpu.name;
  d["csv"] = hp::inference_csv(r);
  py::list rows;
  for (const auto& c : r.candidates) rows.append(hppy::record_dict(hp::inference_candidate_record(c)));
  d["rows"] = rows;
  d["num_candidates"] = r.candidates.size();
  d["num_top"] = r.num_top;
  d["best"] = r.best >= 0 ? py::object(py::int_(r.best)) : py::object(py::none());
  d["best_yaml"] = hp::inference_best_yaml(r);
  d["svg"] = hp::inference_pareto_svg(r);
  d["summary_dir"] = write ? py::object(py::str(out.summary_dir)) : py::object(py::none());
  d["files"] = out.files;
  d["num_measured"] = out.num_measured;
  d["num_jobs_planned"] = out.num_jobs_planned;
  d["failed"] = out.failed;
  return d;
}

py::dict validate_inference(const std::optional<std::string>& data, bool fit, bool cross_validate,
                            const std::string& published, const std::string& split) {
  if (published != "static" && published != "serving")
    throw hp::ConfigError("published", published, "expected static or serving");
  const auto rows = data                     ? hp::load_inference_measurements_csv(*data)
                    : published == "serving" ? hp::published_serving_measurements()
                                             : hp::published_inference_measurements();
  std::vector<hp::InferenceCalibration> fitted;
  if (fit)
    for (const auto& [family, engine] : hp::calibration_groups(rows))
      fitted.push_back(hp::fit_inference_calibration(rows, family, engine));
  auto rep = cross_validate ? hp::cross_validate_inference(rows) : hp::validate_inference(rows, fitted);
  if (split != "all") rep = hp::select_split(rep, split);
  py::list list;
  for (const auto& r : rep.rows) {
    py::dict x;
    x["id"] = r.measurement.id;
    x["metric"] = hp::to_string(r.measurement.metric);
    x["measured"] = r.measurement.value;
    x["predicted"] = r.predicted;
    x["error"] = r.error;
    x["predicted_fits"] = r.predicted_fits;
    x["evaluated"] = r.evaluated;
    x["reason"] = r.predicted_reason;
    x["mode"] = r.measurement.mode;
    x["engine"] = r.measurement.engine;
    x["split"] = r.measurement.split;
    x["source"] = r.measurement.source;
    list.append(x);
  }
  py::dict d;
  d["rows"] = list;
  d["mean_abs_error"] = rep.mean_abs_error;
  d["median_abs_error"] = rep.median_abs_error;
  d["max_abs_error"] = rep.max_abs_error;
  d["mean_abs_error_throughput"] = rep.mean_abs_error_throughput;
  d["mean_abs_error_ttft"] = rep.mean_abs_error_ttft;
  d["mean_abs_error_tpot"] = rep.mean_abs_error_tpot;
  d["num_not_fitting"] = rep.num_not_fitting;
  d["num_not_evaluated"] = rep.num_not_evaluated;
  return d;
}

}  // namespace

HP_PY_BINDING(60, [](py::module_& m) {
  m.def("estimate_inference", &estimate_inference, py::kw_only(), py::arg("model"), py::arg("gpu") = "h100-sxm",
        py::arg("tp") = 1, py::arg("pp") = 1, py::arg("batch_size") = 1, py::arg("input_len") = 60,
        py::arg("output_len") = 20, py::arg("weight_dtype") = "fp16", py::arg("kv_cache_dtype") = "",
        py::arg("gpus_per_node") = 8, py::arg("engine") = "trtllm",
        "Predict one serving layout (engine: trtllm or fastertransformer calibration): ttft_s, tpot_s, latency_s, throughput_per_gpu, memory, fits, reason.");
  m.def("_inference_search", &inference_search, py::arg("config") = py::none(), py::kw_only(),
        py::arg("results_dir") = py::none(), py::arg("write") = true, py::arg("model") = py::none(),
        py::arg("gpu") = py::none(), py::arg("tensor_parallel_sizes") = py::none(),
        py::arg("pipeline_parallel_sizes") = py::none(), py::arg("batch_sizes") = py::none(),
        py::arg("input_seq_lengths") = py::none(), py::arg("output_seq_lengths") = py::none(),
        py::arg("max_latency_ms") = py::none(), py::arg("top_n") = py::none(), py::arg("data_type") = py::none(),
        py::arg("kv_cache_dtype") = py::none(), py::arg("gpus_per_node") = py::none(),
        py::arg("benchmark_tool") = py::none(), py::arg("model_path") = py::none(), py::arg("executor") = "none",
        py::arg("ft_path") = py::none(), py::arg("time_limit_min") = 30.0,
        "Inference HP search (use bignlp_hp.inference_search, which wraps the result).");
  m.def("validate_inference", &validate_inference, py::kw_only(), py::arg("data") = py::none(),
        py::arg("fit") = false, py::arg("cross_validate") = false, py::arg("published") = "static",
        py::arg("split") = "all",
        "Compare the inference model with measurements (default: published TensorRT-LLM static tables; "
        "published='serving': in-flight batching tables; split: all, fit or holdout).");
});
