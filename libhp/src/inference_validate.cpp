// Validation of the inference model against measurements, calibration fit, and the measurements CSV reader.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "hp/catalog.hpp"
#include "hp/core.hpp"
#include "hp/hardware.hpp"
#include "hp/inference_serving.hpp"
#include "hp/inference_validate.hpp"

namespace hp {

const char* to_string(InferenceMetric metric) noexcept {
  switch (metric) {
    case InferenceMetric::output_tokens_per_s: return "output_tokens_per_s";
    case InferenceMetric::output_tokens_per_s_per_gpu: return "output_tokens_per_s_per_gpu";
    case InferenceMetric::ttft_s: return "ttft_s";
    case InferenceMetric::latency_s: return "latency_s";
    case InferenceMetric::memory_bytes: return "memory_bytes";
    case InferenceMetric::tpot_s: return "tpot_s";
  }
  return "unknown";
}

InferenceMetric inference_metric_from_string(const std::string& key, const std::string& value) {
  for (auto m : {InferenceMetric::output_tokens_per_s, InferenceMetric::output_tokens_per_s_per_gpu,
                 InferenceMetric::ttft_s, InferenceMetric::latency_s, InferenceMetric::memory_bytes,
                 InferenceMetric::tpot_s})
    if (value == to_string(m)) return m;
  throw ConfigError(key, value,
                    "unknown metric (expected output_tokens_per_s, output_tokens_per_s_per_gpu, ttft_s, tpot_s, latency_s "
                    "or memory_bytes)");
}

namespace {

struct Prediction {
  double value = 0;
  bool fits = false;
  std::string reason;
};

/// The model's value for a measurement: a static batch (estimate_inference) or in-flight batching
/// (estimate_serving) by the row's mode.
Prediction predict(const InferenceMeasurement& m, const InferenceCalibration& cal) {
  const GpuSpec gpu = find_gpu(m.gpu);
  Prediction p;
  if (m.mode == "static_batch") {
    const InferenceEstimate e = estimate_inference(m.model, m.layout, gpu, cal);
    p.fits = e.fits;
    p.reason = to_string(e.reason);
    switch (m.metric) {
      case InferenceMetric::output_tokens_per_s: p.value = e.output_tokens_per_s; break;
      case InferenceMetric::output_tokens_per_s_per_gpu: p.value = e.output_tokens_per_s_per_gpu; break;
      case InferenceMetric::ttft_s: p.value = e.ttft_s; break;
      case InferenceMetric::latency_s: p.value = e.latency_s; break;
      case InferenceMetric::memory_bytes: p.value = e.memory.total_bytes; break;
      case InferenceMetric::tpot_s: p.value = e.tpot_s; break;
    }
    return p;
  }
  ServingLayout l;
  l.tp = m.layout.tp;
  l.pp = m.layout.pp;
  l.ep = m.layout.ep;
  l.attention_dp = m.layout.attention_dp;
  l.input_len = m.layout.input_len;
  l.output_len = m.layout.output_len;
  l.weight_dtype = m.layout.weight_dtype;
  l.kv_cache_dtype = m.layout.kv_cache_dtype;
  l.mode = m.mode;
  l.max_num_tokens = m.max_num_tokens;
  l.max_batch_size = m.layout.batch_size;
  l.kv_cache_fraction = m.kv_cache_fraction;
  l.scheduler_steps = m.scheduler_steps;
  l.request_rate = m.request_rate;
  l.concurrency = m.concurrency;
  const ServingEstimate e = estimate_serving(m.model, l, gpu, cal);
  p.fits = e.fits;
  p.reason = e.saturated ? "saturated" : to_string(e.reason);
  switch (m.metric) {
    case InferenceMetric::output_tokens_per_s: p.value = e.output_tokens_per_s; break;
    case InferenceMetric::output_tokens_per_s_per_gpu: p.value = e.output_tokens_per_s_per_gpu; break;
    case InferenceMetric::ttft_s: p.value = e.ttft_s; break;
    case InferenceMetric::latency_s: p.value = e.request_latency_s; break;
    case InferenceMetric::memory_bytes: p.value = e.weights_bytes + e.kv_capacity_tokens * e.kv_bytes_per_token; break;
    case InferenceMetric::tpot_s: p.value = e.tpot_s; break;
  }
  return p;
}

InferenceCalibration calibration_for(const GpuSpec& gpu, const std::string& engine,
                                     const std::vector<InferenceCalibration>& overrides) {
  const InferenceCalibration d = default_inference_calibration(gpu, engine);
  for (const auto& c : overrides)
    if (c.gpu_family == d.gpu_family && c.engine == engine) return c;
  return d;
}

}  // namespace

namespace {

InferenceValidationRow validation_row(const InferenceMeasurement& m, const InferenceCalibration& cal) {
  InferenceValidationRow row;
  row.measurement = m;
  if (!m.problem.empty()) {
    row.evaluated = false;
    row.predicted_reason = m.problem;
    return row;
  }
  const Prediction p = predict(m, cal);
  row.predicted = p.value;
  row.error = (row.predicted - m.value) / m.value;
  row.predicted_fits = p.fits;
  row.predicted_reason = p.reason;
  return row;
}

/// A row's calibration: the shipped one for its GPU and engine, unless `overrides` has that family and engine.
InferenceCalibration row_calibration(const InferenceMeasurement& m, const std::vector<InferenceCalibration>& overrides) {
  if (!m.problem.empty()) return InferenceCalibration{};
  return calibration_for(find_gpu(m.gpu), m.engine, overrides);
}

InferenceValidationReport summarize(std::vector<InferenceValidationRow> rows) {
  InferenceValidationReport rep;
  std::vector<double> abs_errors;
  double sum_thr = 0, sum_ttft = 0, sum_tpot = 0;
  int n_thr = 0, n_ttft = 0, n_tpot = 0;
  for (auto& row : rows) {
    const auto& m = row.measurement;
    if (!row.evaluated) {
      ++rep.num_not_evaluated;
      rep.rows.push_back(std::move(row));
      continue;
    }
    if (!row.predicted_fits) ++rep.num_not_fitting;
    const double a = std::fabs(row.error);
    abs_errors.push_back(a);
    if (m.metric == InferenceMetric::tpot_s) {
      sum_tpot += a;
      ++n_tpot;
    } else if (m.metric == InferenceMetric::ttft_s) {
      sum_ttft += a;
      ++n_ttft;
    } else if (m.metric == InferenceMetric::output_tokens_per_s || m.metric == InferenceMetric::output_tokens_per_s_per_gpu) {
      sum_thr += a;
      ++n_thr;
    }
    rep.rows.push_back(std::move(row));
  }
  if (!abs_errors.empty()) {
    double sum = 0;
    for (double a : abs_errors) sum += a;
    rep.mean_abs_error = sum / abs_errors.size();
    rep.max_abs_error = *std::max_element(abs_errors.begin(), abs_errors.end());
    std::sort(abs_errors.begin(), abs_errors.end());
    const size_t n = abs_errors.size();
    rep.median_abs_error = n % 2 ? abs_errors[n / 2] : (abs_errors[n / 2 - 1] + abs_errors[n / 2]) / 2;
  }
  rep.mean_abs_error_throughput = n_thr ? sum_thr / n_thr : 0;
  rep.mean_abs_error_ttft = n_ttft ? sum_ttft / n_ttft : 0;
  rep.mean_abs_error_tpot = n_tpot ? sum_tpot / n_tpot : 0;
  return rep;
}

}  // namespace

InferenceValidationReport validate_inference(const std::vector<InferenceMeasurement>& measurements,
                                             const std::vector<InferenceCalibration>& calibrations) {
  std::vector<InferenceValidationRow> rows;
  for (const auto& m : measurements) rows.push_back(validation_row(m, row_calibration(m, calibrations)));
  return summarize(std::move(rows));
}

InferenceValidationReport select_split(const InferenceValidationReport& report, const std::string& split) {
  if (split != "fit" && split != "holdout") throw ConfigError("split", split, "expected fit or holdout");
  std::vector<InferenceValidationRow> rows;
  for (const auto& r : report.rows)
    if (r.measurement.split.empty() || r.measurement.split == split) rows.push_back(r);
  return summarize(std::move(rows));
}

InferenceValidationReport cross_validate_inference(const std::vector<InferenceMeasurement>& measurements, int folds) {
  if (folds < 2) throw ConfigError("folds", std::to_string(folds), "must be >= 2");
  std::vector<InferenceValidationRow> rows(measurements.size());
  // Fold k holds rows i with i % folds == k; its rows are predicted by calibrations fitted on the other folds.
  for (int k = 0; k < folds; ++k) {
    std::vector<InferenceMeasurement> rest;
    for (size_t j = 0; j < measurements.size(); ++j)
      if (static_cast<int>(j % folds) != k) rest.push_back(measurements[j]);
    std::vector<InferenceCalibration> fitted;
    for (const auto& [family, engine] : calibration_groups(rest)) fitted.push_back(fit_inference_calibration(rest, family, engine));
    for (size_t i = static_cast<size_t>(k); i < measurements.size(); i += static_cast<size_t>(folds)) {
      const auto& m = measurements[i];
      rows[i] = validation_row(m, row_calibration(m, fitted));
    }
  }
  return summarize(std::move(rows));
}

InferenceCalibration fit_inference_calibration(const std::vector<InferenceMeasurement>& measurements,
                                               const std::string& gpu_family, const std::string& engine) {
  std::vector<InferenceMeasurement> rows;
  GpuSpec gpu;
  for (const auto& m : measurements) {
    if (!m.problem.empty() || m.split == "holdout") continue;  // hold-out rows are never fitted
    const GpuSpec g = find_gpu(m.gpu);
    if (default_inference_calibration(g).gpu_family == gpu_family && m.engine == engine) rows.push_back(m);
  }
  if (rows.empty())
    throw ConfigError("gpu_family", gpu_family + "/" + engine, "no measurements for this GPU family and engine");
  InferenceCalibration cal;
  cal.gpu_family = gpu_family;
  cal.engine = engine;
  set_engine_properties(cal, engine);  // not fitted: properties of the engine's kernels and allocator
  // Mean squared log error: symmetric in over- and under-prediction.
  auto loss = [&](const InferenceCalibration& c) {
    double s = 0;
    for (const auto& m : rows) {
      const double p = predict(m, c).value;
      const double l = std::log(std::max(p, 1e-30) / m.value);
      s += l * l;
    }
    return s / rows.size();
  };
  struct Param {
    double InferenceCalibration::*field;
    double lo, hi;
  };
  const Param params[] = {{&InferenceCalibration::gemm_efficiency, 0.2, 0.95},
                          {&InferenceCalibration::attention_efficiency, 0.01, 0.9},
                          {&InferenceCalibration::memory_efficiency, 0.4, 0.95},
                          {&InferenceCalibration::layer_overhead_s, 0.0, 300e-6},
                          {&InferenceCalibration::step_overhead_s, 0.0, 5e-3},
                          {&InferenceCalibration::allreduce_latency_s, 1e-6, 50e-6},
                          {&InferenceCalibration::prefill_overhead_s, 0.0, 30e-3},
                          {&InferenceCalibration::gqa_kv_reuse, 0.0, 1.0},
                          {&InferenceCalibration::comm_efficiency, 0.3, 1.0},
                          {&InferenceCalibration::kv_read_efficiency, 0.05, 1.0},
                          {&InferenceCalibration::internode_latency_s, 5e-6, 100e-6},
                          {&InferenceCalibration::memory_overhead_bytes, 0.5e9, 4e9},
                          {&InferenceCalibration::request_memory_factor, 1.0, 2.0}};
  // Coordinate descent, each coordinate by a shrinking grid search inside its bounds; started from a few points
  // (fast vs slow attention kernels), the lowest loss wins: the loss has local minima.
  auto descend = [&](InferenceCalibration c) {
    double best = loss(c);
    for (int round = 0; round < 12; ++round) {
      const double before = best;
      for (const auto& p : params) {
        double lo = p.lo, hi = p.hi;
        for (int refine = 0; refine < 4; ++refine) {
          double arg = c.*p.field;
          for (int k = 0; k <= 10; ++k) {
            InferenceCalibration t = c;
            t.*p.field = lo + (hi - lo) * k / 10;
            const double l = loss(t);
            if (l < best) {
              best = l;
              arg = t.*p.field;
            }
          }
          c.*p.field = arg;
          const double w = (hi - lo) / 10;
          lo = std::max(p.lo, arg - w);
          hi = std::min(p.hi, arg + w);
        }
      }
      if (best > before * (1 - 1e-4)) break;  // converged: a full round gained < 0.01 %
    }
    return std::make_pair(best, c);
  };
  auto result = descend(cal);
  InferenceCalibration slow = cal;
  slow.attention_efficiency = 0.05;
  slow.kv_read_efficiency = 0.5;
  const auto alt = descend(slow);
  if (alt.first < result.first) result = alt;
  cal = result.second;
  return cal;
}

std::vector<std::pair<std::string, std::string>> calibration_groups(const std::vector<InferenceMeasurement>& measurements) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& m : measurements) {
    if (!m.problem.empty() || m.split == "holdout") continue;
    std::pair<std::string, std::string> g{default_inference_calibration(find_gpu(m.gpu)).gpu_family, m.engine};
    if (std::find(out.begin(), out.end(), g) == out.end()) out.push_back(g);
  }
  return out;
}

}  // namespace hp
