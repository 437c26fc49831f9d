// hp-cli infer-validate: the inference model against published (or your) measurements; optional refit.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "command.hpp"
#include "json.hpp"
#include "hp/core.hpp"
#include "hp/inference_validate.hpp"
#include "hp/nemo_config.hpp"

namespace {

struct Opts {
  std::string data;       // CSV of measurements; "" = the published TensorRT-LLM tables shipped with libhp
  bool fit = false;
  bool cross_validate = false;
  std::string export_csv;
  std::string published = "static";  // static | serving: which shipped table when --data is not given
  std::string split = "all";         // all | fit | holdout: rows shown and summarised
  bool json = false;
};

void print_calibration(const hp::InferenceCalibration& c) {
  fmt::print("  {}/{}: gemm_efficiency={:.3f} attention_efficiency={:.3f} memory_efficiency={:.3f} "
             "layer_overhead_s={:.3g} step_overhead_s={:.3g} prefill_overhead_s={:.3g} allreduce_latency_s={:.3g} "
             "gqa_kv_reuse={:.3f} comm_efficiency={:.3f} internode_latency_s={:.3g} kv_read_efficiency={:.3f} "
             "memory_overhead_bytes={:.3g} request_memory_factor={:.3f}\n",
             c.gpu_family, c.engine, c.gemm_efficiency, c.attention_efficiency, c.memory_efficiency, c.layer_overhead_s,
             c.step_overhead_s, c.prefill_overhead_s, c.allreduce_latency_s, c.gqa_kv_reuse, c.comm_efficiency, c.internode_latency_s, c.kv_read_efficiency,
             c.memory_overhead_bytes, c.request_memory_factor);
}

std::function<int()> setup(CLI::App& app) {
  auto opts = std::make_shared<Opts>();
  app.description("Compare the inference model with measured runs (default: published TensorRT-LLM tables)");
  app.add_option("--data", opts->data,
                 "measurements CSV: model,gpu,tp,pp,batch_size,input_len,output_len,weight_dtype,kv_cache_dtype,"
                 "metric,value,source");
  app.add_flag("--fit", opts->fit, "refit the efficiency parameters per GPU family on the data, then validate");
  app.add_flag("--cross-validate", opts->cross_validate,
               "5-fold: predict the rows of each fold (row index mod 5) with a calibration fitted on the other "
               "folds (out-of-sample error)");
  app.add_option("--export", opts->export_csv, "also write the measurements as a CSV (the --data format) to this file");
  app.add_option("--published", opts->published,
                 "shipped data when --data is not given: static (static-batch tables) or serving (in-flight batching: "
                 "TensorRT-LLM 0.17 max throughput, 0.14 online)")
      ->capture_default_str();
  app.add_option("--split", opts->split, "rows to report: all, fit or holdout (never fitted)")->capture_default_str();
  app.add_flag("--json", opts->json, "print one JSON object");
  return [opts] {
    if (opts->published != "static" && opts->published != "serving")
      throw hp::ConfigError("--published", opts->published, "expected static or serving");
    if (opts->split != "all" && opts->split != "fit" && opts->split != "holdout")
      throw hp::ConfigError("--split", opts->split, "expected all, fit or holdout");
    const auto data = !opts->data.empty()              ? hp::load_inference_measurements_csv(opts->data)
                      : opts->published == "serving" ? hp::published_serving_measurements()
                                                     : hp::published_inference_measurements();
    if (!opts->export_csv.empty()) hp::write_file_atomic(opts->export_csv, hp::inference_measurements_csv(data));
    std::vector<hp::InferenceCalibration> fitted;
    if (opts->fit) {
      for (const auto& [family, engine] : hp::calibration_groups(data))
        fitted.push_back(hp::fit_inference_calibration(data, family, engine));
    }
    auto rep = opts->cross_validate ? hp::cross_validate_inference(data) : hp::validate_inference(data, fitted);
    if (opts->split != "all") rep = hp::select_split(rep, opts->split);
    if (opts->json) {
      std::string rows;
      for (const auto& r : rep.rows)
        rows += fmt::format("{}{{\"id\":{},\"metric\":\"{}\",\"measured\":{},\"predicted\":{},\"error\":{},"
                            "\"predicted_fits\":{},\"evaluated\":{},\"reason\":{},\"mode\":{},\"engine\":{},"
                            "\"split\":{},\"source\":{}}}",
                            rows.empty() ? "" : ",", hpcli::json_string(r.measurement.id), hp::to_string(r.measurement.metric),
                            r.measurement.value, r.predicted, r.error, r.predicted_fits ? "true" : "false",
                            r.evaluated ? "true" : "false", hpcli::json_string(r.predicted_reason),
                            hpcli::json_string(r.measurement.mode), hpcli::json_string(r.measurement.engine),
                            hpcli::json_string(r.measurement.split), hpcli::json_string(r.measurement.source));
      fmt::print("{{\"num_rows\":{},\"num_not_evaluated\":{},\"mean_abs_error\":{},\"median_abs_error\":{},"
                 "\"max_abs_error\":{},\"mean_abs_error_throughput\":{},\"mean_abs_error_ttft\":{},"
                 "\"mean_abs_error_tpot\":{},\"num_not_fitting\":{},\"rows\":[{}]}}\n",
                 rep.rows.size(), rep.num_not_evaluated, rep.mean_abs_error, rep.median_abs_error, rep.max_abs_error,
                 rep.mean_abs_error_throughput, rep.mean_abs_error_ttft, rep.mean_abs_error_tpot, rep.num_not_fitting,
                 rows);
      return hpcli::kOk;
    }
    if (opts->fit) {
      fmt::print("fitted calibration:\n");
      for (const auto& c : fitted) print_calibration(c);
    }
    fmt::print("{:<58} {:>12} {:>12} {:>8}  {}\n", "measurement", "measured", "predicted", "error", "fits");
    for (const auto& r : rep.rows) {
      if (!r.evaluated) {
        fmt::print("{:<58} {:>12.4g} {:>12} {:>8}  not evaluated: {}\n", r.measurement.id, r.measurement.value, "-", "-",
                   r.predicted_reason);
        continue;
      }
      const auto metric = r.measurement.metric;
      const bool time = metric == hp::InferenceMetric::ttft_s || metric == hp::InferenceMetric::latency_s ||
                        metric == hp::InferenceMetric::tpot_s;
      const bool mem = metric == hp::InferenceMetric::memory_bytes;
      const double k = time ? 1e3 : mem ? 1 / hp::kGiB : 1;
      const char* unit = time ? "ms" : mem ? "GiB" : (metric == hp::InferenceMetric::output_tokens_per_s ? "tok/s" : "tok/s/gpu");
      fmt::print("{:<58} {:>12.1f} {:>12.1f} {:>+7.1f}%  {} {}\n", r.measurement.id, r.measurement.value * k,
                 r.predicted * k, r.error * 100, r.predicted_fits ? "yes" : "no", unit);
    }
    // Mean |error| per table (the id's first part: trtllm-v0.6.1, trtllm-v0.5.0, trtllm-ttft-v0.5, ft, ...).
    std::vector<std::pair<std::string, std::pair<double, int>>> tables;
    for (const auto& r : rep.rows) {
      if (!r.evaluated) continue;
      const std::string t = r.measurement.id.substr(0, r.measurement.id.find('/')) + " " + hp::to_string(r.measurement.metric);
      auto it = std::find_if(tables.begin(), tables.end(), [&](const auto& x) { return x.first == t; });
      if (it == tables.end()) it = tables.insert(tables.end(), {t, {0.0, 0}});
      it->second.first += std::fabs(r.error);
      ++it->second.second;
    }
    for (const auto& [t, v] : tables)
      fmt::print("  {:<40} rows {:>3}  mean |error| {:.1f}%\n", t, v.second, v.first / v.second * 100);
    fmt::print("rows {}  mean |error| {:.1f}%  median {:.1f}%  max {:.1f}%  throughput {:.1f}%  ttft {:.1f}%  "
               "tpot {:.1f}%  predicted not fitting {}  not evaluated {}\n",
               rep.rows.size() - rep.num_not_evaluated, rep.mean_abs_error * 100, rep.median_abs_error * 100,
               rep.max_abs_error * 100, rep.mean_abs_error_throughput * 100, rep.mean_abs_error_ttft * 100,
               rep.mean_abs_error_tpot * 100, rep.num_not_fitting, rep.num_not_evaluated);
    return hpcli::kOk;
  };
}

}  // namespace

HP_CLI_COMMAND("infer-validate", 62, setup);
