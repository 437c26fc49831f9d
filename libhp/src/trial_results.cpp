// NeMo's result CSVs (nemo_autoconfigurator.md 4.6, compare_throughput.py) and the refit of efficiency factors.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "hp/search.hpp"
#include "hp/trial_results.hpp"

namespace hp {
namespace {

std::string none_or(int v) { return v < 0 ? "None" : std::to_string(v); }

std::string num(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string csv_row(const std::vector<std::string>& fields) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) out += (i ? "," : "") + csv_field(fields[i]);
  return out + "\n";
}

const std::vector<std::string>& nemo_columns() {
  static const std::vector<std::string> c = {
      "Model Name", "Model Size", "Seq Length", "TP", "PP", "CP", "EP", "MBS", "Act Ckpt Layers", "Act Ckpt Micro Bathes",
      "Act Ckpt Layers per Pipeline", "Num Layers", "Hidden Size", "FFN Hidden Size", "GBS", "Nodes",
      "GPUs per Node", "Time per Step", "Samples per Second", "Model TFLOPS / GPU", "Model TFLOPS Aggregate",
      "Config Name"};
  return c;
}

// NeMo HEAD's context / expert parallel value: None for T5/mT5 (compare_throughput.py).
std::string cp_or_none(const TrainingConfig& c, int v) { return c.model.is_encoder_decoder() ? "None" : std::to_string(v); }

// The first 17 NeMo columns of a trial (HEAD: CP and EP after PP).
std::vector<std::string> first_columns(const TrainingConfig& c) {
  const ModelSpec& m = c.model;
  int act = c.activations_checkpoint_num_layers;
  std::string ffn = m.is_encoder_decoder() ? std::to_string(m.ffn_hidden_size) : "None";  // NeMo: None for GPT
  int layers = m.num_layers + m.num_decoder_layers;
  return {m.family, format_size_b(c.size_b), std::to_string(m.seq_length), std::to_string(c.tensor_model_parallel_size),
          std::to_string(c.pipeline_model_parallel_size), cp_or_none(c, c.context_parallel_size),
          cp_or_none(c, c.expert_model_parallel_size), std::to_string(c.micro_batch_size), none_or(act),
          none_or(c.num_micro_batches_with_partial_activation_checkpoints),
          none_or(c.activations_checkpoint_layers_per_pipeline), std::to_string(layers), std::to_string(m.hidden_size),
          ffn, std::to_string(c.global_batch_size), std::to_string(c.num_nodes), std::to_string(c.gpus_per_node)};
}

}  // namespace

double nemo_model_flops_per_step(const ModelSpec& m, int gbs) {
  const double B = gbs, h = m.hidden_size, V = m.vocab_size;
  if (!m.is_encoder_decoder()) {
    const double s = m.seq_length, L = m.num_layers;
    return (24 * B * s * h * h + 4 * B * s * s * h) * 3 * L + 6 * B * s * h * V;
  }
  const double se = m.seq_length, sd = m.decoder_seq_length, F = m.ffn_hidden_size;
  const double enc = 8 * B * se * h * h + 4 * B * se * se * h + 6 * B * se * h * F;
  const double dec = 8 * B * sd * h * h + 4 * B * sd * sd * h + (4 * B * se * h * h + 4 * B * sd * h * h + 4 * B * se * sd * h) +
                     6 * B * sd * h * F;
  const double logits = 2 * B * sd * h * V;
  const int ltot = m.num_layers + m.num_decoder_layers;
  return 3 * ((enc + dec) * (ltot / 2) + logits);
}

std::string nemo_config_name(const TrainingConfig& c) {
  return "tp" + std::to_string(c.tensor_model_parallel_size) + "_pp" + std::to_string(c.pipeline_model_parallel_size) +
         "_cp" + cp_or_none(c, c.context_parallel_size) + "_ep" + cp_or_none(c, c.expert_model_parallel_size) + "_mbs" + std::to_string(c.micro_batch_size) + "_act_" + none_or(c.activations_checkpoint_num_layers) +
         "_num_mbs_act_" + none_or(c.num_micro_batches_with_partial_activation_checkpoints) + "_act_per_pipe_" +
         none_or(c.activations_checkpoint_layers_per_pipeline);
}

const TrialResult* best_trial(const std::vector<TrialResult>& results) {
  const TrialResult* best = nullptr;
  for (const TrialResult& r : results)
    if (r.measured() && (!best || r.full_scale_step_time_s() < best->full_scale_step_time_s())) best = &r;
  return best;
}

namespace {

// The config as NeMo's columns describe it: the full-scale layout (nodes and global batch of the cluster).
TrainingConfig full_size(const TrialResult& r) {
  TrainingConfig c = r.config;
  c.num_nodes = r.full_nodes();
  if (r.full_global_batch_size > 0) c.global_batch_size = r.full_global_batch_size;
  return c;
}

// What a trial says about its own size, after NeMo's columns.
void append_trial_size(std::vector<std::string>& row, const TrialResult& r) {
  row.push_back(std::to_string(r.config.num_nodes));
  row.push_back(std::to_string(r.config.global_batch_size));
}

}  // namespace

double TrialResult::gpu_hours() const noexcept {
  return hp::gpu_hours(config.num_nodes, config.gpus_per_node, duration_s > 0 ? duration_s : time_limit_s);
}

double TrialResult::full_size_gpu_hours() const noexcept {
  return hp::gpu_hours(full_nodes(), config.gpus_per_node, duration_s > 0 ? duration_s : time_limit_s);
}

std::string final_summary_csv(const std::vector<TrialResult>& results) {
  std::vector<std::string> header = nemo_columns();
  for (const char* c : {"VP", "Predicted Time per Step", "Prediction Error %", "Time per Step Stddev",
                        "Max Allocated Memory GiB", "Trial Nodes", "Trial GBS", "Measured Time per Step",
                        "Predicted Scale Terms Trial s", "Predicted Scale Terms Full s", "Time per Step Source", "GPU Hours",
                        "Precision"})
    header.push_back(c);
  std::string out = csv_row(header);
  std::vector<const TrialResult*> ok;
  for (const TrialResult& r : results)
    if (r.measured()) ok.push_back(&r);
  std::stable_sort(ok.begin(), ok.end(), [](auto* a, auto* b) { return a->full_scale_step_time_s() < b->full_scale_step_time_s(); });
  for (const TrialResult* r : ok) {
    const TrainingConfig c = full_size(*r);
    const double t = r->full_scale_step_time_s();
    const double flops = nemo_model_flops_per_step(c.model, c.global_batch_size);
    const double aggregate = std::round(flops / t / 1e12 * 100) / 100;                  // round(x, 2)
    const double per_gpu = std::round(flops / t / 1e12 / (c.num_nodes * c.gpus_per_node) * 100) / 100;
    std::vector<std::string> row = first_columns(c);
    row.push_back(num(t, 4));
    row.push_back(num(std::round(c.global_batch_size / t * 100) / 100, 2));  // Samples/s = round(GBS / t, 2)
    row.push_back(num(per_gpu, 2));
    row.push_back(num(aggregate, 2));
    row.push_back(nemo_config_name(c));
    row.push_back(c.virtual_pipeline_model_parallel_size > 0 ? std::to_string(c.virtual_pipeline_model_parallel_size) : "None");
    row.push_back(r->predicted_step_time_s > 0 ? num(r->predicted_step_time_s, 4) : "");
    row.push_back(r->predicted_step_time_s > 0 ? num(100 * (r->predicted_step_time_s - t) / t, 1) : "");
    row.push_back(num(r->stats.stddev_s, 4));
    row.push_back(r->measured_max_memory_bytes > 0 ? num(r->measured_max_memory_bytes / 1073741824.0, 2) : "");
    append_trial_size(row, *r);
    row.push_back(num(r->stats.mean_s, 4));
    const bool predicted = r->full_scale.predicted;
    row.push_back(predicted ? num(r->full_scale.trial_scale_terms_s, 4) : "");
    row.push_back(predicted ? num(r->full_scale.full_scale_terms_s, 4) : "");
    row.push_back(predicted ? "measured on " + std::to_string(r->config.num_nodes) + " nodes + predicted scale terms"
                            : "measured");
    row.push_back(num(r->gpu_hours(), 3));
    row.push_back(to_string(precision_from_nemo(c)));  // NeMo's Config Name does not name it
    out += csv_row(row);
  }
  return out;
}

std::string failed_jobs_csv(const std::vector<TrialResult>& results) {
  std::vector<std::string> header(nemo_columns().begin(), nemo_columns().begin() + 17);
  for (const char* c : {"Error Message", "Failure Class", "Evidence Source", "Config Name", "Trial Nodes", "Trial GBS",
                        "GPU Hours"})
    header.push_back(c);
  std::string out = csv_row(header);
  for (const TrialResult& r : results) {
    if (r.measured()) continue;
    std::vector<std::string> row = first_columns(full_size(r));
    row.push_back(r.failure.evidence);
    row.push_back(to_string(r.failure.kind));
    row.push_back(r.failure.source);
    row.push_back(r.config_name);
    append_trial_size(row, r);
    row.push_back(num(r.gpu_hours(), 3));
    out += csv_row(row);
  }
  return out;
}

Refit refit_calibration(const ModelSpec& model, const GpuSpec& gpu, const Calibration& prior,
                        const std::vector<MeasuredLayout>& measured) {
  Refit fit;
  fit.calibration = prior;
  // x = compute-like time, y = exposed communication, t = measured minus the fixed overhead.
  std::vector<double> xs, ys, ts;
  for (const MeasuredLayout& m : measured) {
    if (m.measured_step_time_s <= 0) continue;
    Estimate e = estimate(model, m.layout, gpu, prior);
    const TimeBreakdown& tb = e.time;
    double x = tb.compute_s + tb.bubble_s + tb.optimizer_s;
    double y = tb.tp_comm_s + tb.cp_comm_s + tb.ep_comm_s + tb.pp_comm_s + tb.dp_comm_s;
    if (x + y <= 0) continue;
    xs.push_back(x), ys.push_back(y), ts.push_back(std::max(1e-9, m.measured_step_time_s - tb.overhead_s));
  }
  fit.num_trials = static_cast<int>(xs.size());
  if (xs.empty()) return fit;
  // One factor: least squares of t ~ a (x + y).
  double sxx = 0, sxt = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) sxx += (xs[i] + ys[i]) * (xs[i] + ys[i]), sxt += (xs[i] + ys[i]) * ts[i];
  double a = sxt / sxx, b = a;
  if (xs.size() >= 2) {  // two factors: normal equations of t ~ a x + b y
    double s11 = 0, s12 = 0, s22 = 0, r1 = 0, r2 = 0;
    for (std::size_t i = 0; i < xs.size(); ++i) {
      s11 += xs[i] * xs[i], s12 += xs[i] * ys[i], s22 += ys[i] * ys[i], r1 += xs[i] * ts[i], r2 += ys[i] * ts[i];
    }
    double det = s11 * s22 - s12 * s12;
    if (std::fabs(det) > 1e-12 * (s11 * s22 + 1e-30)) {
      double a2 = (r1 * s22 - r2 * s12) / det, b2 = (s11 * r2 - s12 * r1) / det;
      if (a2 > 0.2 && b2 > 0.2 && a2 < 5 && b2 < 5) a = a2, b = b2;  // keep only a physically plausible fit
    }
  }
  fit.compute_scale = a;
  fit.comm_scale = b;
  fit.calibration.gemm_efficiency = std::min(1.0, prior.gemm_efficiency / a);
  fit.calibration.fp8_gemm_efficiency = std::min(1.0, prior.fp8_gemm_efficiency / a);
  fit.calibration.attention_efficiency = std::min(1.0, prior.attention_efficiency / a);
  fit.calibration.comm_efficiency = std::min(1.0, prior.comm_efficiency / b);
  fit.calibration.num_fit_runs = prior.num_fit_runs + fit.num_trials;
  return fit;
}

}  // namespace hp
