// hp-cli infer-search: serving layout search (TP x PP x batch x lengths) under a latency bound.
#include <fmt/core.h>

#include <chrono>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "command.hpp"
#include "json.hpp"
#include "hp/core.hpp"
#include "hp/search_config.hpp"
#include "hp/run/inference_frontend.hpp"
#include "infer_serving.hpp"

namespace {

struct Opts {
  std::string config;
  std::string results_dir;
  std::string executor = "none";
  std::string model_path;
  std::string ft_path;
  double time_limit_min = 30;
  int measure_top_n = -1;
  bool json = false;
  bool profile = false;
  std::string model;                      ///< overrides inference_settings.model (and drops its architecture)
  std::vector<int> expert_parallel_sizes; ///< overrides inference_settings.expert_parallel_sizes
  std::string attention_dp;               ///< overrides inference_settings.attention_dp
  int sliding_window = -1;                ///< overrides the model's sliding window (-1 = keep)
  int sliding_window_pattern = -1;
};

// The library's record (the same names and types as bignlp_hp's rows).
std::string candidate_json(const hp::InferenceCandidate& c) { return hp::run::json_record(hp::inference_candidate_record(c)); }

std::function<int()> setup(CLI::App& app) {
  auto opts = std::make_shared<Opts>();
  app.description("Inference HP search: best serving layout (TP, PP, batch) under a latency bound; with "
                  "inference_settings.mode max_throughput or online: in-flight batching under TTFT/TPOT bounds");
  app.add_option("config", opts->config, "search config YAML with inference_settings (NeMo's keys)")->required();
  app.add_option("--results-dir", opts->results_dir, "results directory (default: train_settings.logs or ./results)");
  app.add_option("--executor", opts->executor,
                 "none: write benchmark jobs only; local / slurm: launch them (cluster.* keys of the config), wait, "
                 "and report measured latencies")
      ->capture_default_str();
  app.add_option("--time-limit-min", opts->time_limit_min, "time limit per benchmark job, minutes")->capture_default_str();
  app.add_option("--ft-path", opts->ft_path, "FasterTransformer install (NeMo's fastertransformer_path)");
  app.add_option("--model-path", opts->model_path, "checkpoint / engine / weights path used by the benchmark jobs");
  app.add_option("--measure-top-n", opts->measure_top_n, "benchmark jobs for this many ranked layouts (default top_n)");
  app.add_flag("--json", opts->json, "print one JSON object");
  app.add_flag("--profile", opts->profile, "serving modes: print the search time to stderr");
  app.add_option("--model", opts->model,
                 "override inference_settings.model: a catalogue key or a served name / Hugging Face id "
                 "(Qwen/Qwen3-235B-A22B-FP8)");
  app.add_option("--expert-parallel-sizes", opts->expert_parallel_sizes,
                 "serving modes, MoE: override inference_settings.expert_parallel_sizes (e.g. 1,8)")
      ->delimiter(',');
  app.add_option("--attention-dp", opts->attention_dp,
                 "serving modes, MoE: override inference_settings.attention_dp (auto, true, false)");
  app.add_option("--sliding-window", opts->sliding_window,
                 "sliding-window attention: window in tokens over the model's own (0 = none; Hugging Face sliding_window)")
      ->check(hpcli::int_range(0, std::numeric_limits<int>::max()));
  app.add_option("--sliding-window-pattern", opts->sliding_window_pattern,
                 "every n-th layer is full attention, the rest windowed (0 = every layer windowed; 2 = gpt-oss)")
      ->check(hpcli::int_range(0, std::numeric_limits<int>::max()));
  return [opts]() -> int {
    hp::SearchConfig config = hp::load_search_config(opts->config);
    if (!config.has_inference_settings)
      throw hp::ConfigError("inference_settings", "<missing>", "the config has no inference_settings section");
    if (!opts->model.empty()) {
      config.inference.model = opts->model;
      config.inference.architecture.clear();
    }
    config.inference.sliding_window = opts->sliding_window;
    config.inference.sliding_window_pattern = opts->sliding_window_pattern;
    for (int ep : opts->expert_parallel_sizes)
      if (ep < 1) throw hp::ConfigError("--expert-parallel-sizes", std::to_string(ep), "every value must be >= 1");
    if (!opts->expert_parallel_sizes.empty()) config.inference.expert_parallel_sizes = opts->expert_parallel_sizes;
    if (!opts->attention_dp.empty()) {
      if (opts->attention_dp != "auto" && opts->attention_dp != "true" && opts->attention_dp != "false")
        throw hp::ConfigError("--attention-dp", opts->attention_dp, "expected auto, true or false");
      config.inference.attention_dp = opts->attention_dp;
    }
    if (config.inference.mode != "static_batch") {
      if (opts->executor != "none")
        throw hp::ConfigError("--executor", opts->executor,
                              "serving modes are predicted only; benchmark jobs cover mode static_batch");
      return hpcli::run_serving_search(config, opts->results_dir, opts->json, opts->profile);
    }
    hp::run::InferenceRunOptions ro;
    ro.results_dir = opts->results_dir;
    ro.executor = opts->executor;
    ro.measure_top_n = opts->measure_top_n;
    ro.bench.model_path = opts->model_path;
    // The job scripts run in their own directories: a relative install path must not change meaning.
    if (!opts->ft_path.empty()) ro.bench.ft_path = std::filesystem::absolute(opts->ft_path).string();
    ro.time_limit_s = opts->time_limit_min * 60;
    const auto t0 = std::chrono::steady_clock::now();
    const auto out = hp::run::run_inference_search(config, ro);
    const double elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const auto& r = out.result;
    int n_fit = 0, n_pareto = 0;
    for (const auto& c : r.candidates) {
      n_fit += c.estimate.fits;
      n_pareto += c.pareto;
    }
    if (opts->json) {
      std::string top, files;
      for (int i = 0; i < r.num_top; ++i) top += (i ? "," : "") + candidate_json(r.candidates[static_cast<size_t>(i)]);
      for (const auto& f : out.files) files += (files.empty() ? "" : ",") + hpcli::json_string(f);
      fmt::print("{{\"model\":{},\"gpu\":{},\"num_candidates\":{},\"num_fit\":{},\"num_pareto\":{},"
                 "\"num_measured\":{},\"num_jobs_planned\":{},\"max_latency_ms\":{},\"best\":{},\"top\":[{}],"
                 "\"summary_dir\":{},\"files\":[{}],\"message\":{}}}\n",
                 hpcli::json_string(r.model.name), hpcli::json_string(r.gpu.name), r.candidates.size(), n_fit, n_pareto, out.num_measured,
                 out.num_jobs_planned, r.settings.max_latency_ms,
                 r.best >= 0 ? candidate_json(r.candidates[static_cast<size_t>(r.best)]) : std::string("null"), top,
                 hpcli::json_string(out.summary_dir), files, hpcli::json_string(hp::inference_no_feasible_message(r)));
      return r.best >= 0 ? hpcli::kOk : hpcli::kNoFeasible;
    }
    fmt::print("inference search: {} on {} ({}), {} layouts in {:.3g} s, {} fit, {} on the Pareto front, bound {}\n",
               r.model.name, r.gpu.name, r.settings.data_type, r.candidates.size(), elapsed_s, n_fit, n_pareto,
               r.settings.max_latency_ms > 0 ? fmt::format("{:g} ms", r.settings.max_latency_ms) : "none");
    fmt::print("{:>4} {:>3} {:>3} {:>5} {:>5} {:>5} {:>12} {:>14} {:>10} {:>10} {:>9}  {}\n", "rank", "TP", "PP", "BS",
               "in", "out", "latency ms", "samples/s/GPU", "TTFT ms", "TPOT ms", "mem GiB", "source");
    for (int i = 0; i < r.num_top; ++i) {
      const auto& c = r.candidates[static_cast<size_t>(i)];
      fmt::print("{:>4} {:>3} {:>3} {:>5} {:>5} {:>5} {:>12.2f} {:>14.3f} {:>10.2f} {:>10.3f} {:>9.2f}  {}{}\n", c.rank,
                 c.layout.tp, c.layout.pp, c.layout.batch_size, c.layout.input_len, c.layout.output_len,
                 c.reported_latency_s() * 1e3, c.layout.batch_size / c.reported_latency_s() / c.estimate.num_gpus,
                 c.estimate.ttft_s * 1e3, c.estimate.tpot_s * 1e3, c.estimate.memory.total_bytes / hp::kGiB,
                 c.measured.available ? "measured" : "predicted", c.pareto ? " pareto" : "");
    }
    for (const auto& [run, status] : out.failed) fmt::print("failed benchmark: {} ({})\n", run, status);
    fmt::print("benchmark jobs ({}): {} planned under {} (run.sh local, submit.sh Slurm); {} measured\n",
               hp::to_string(out.tool), out.num_jobs_planned, out.inference_dir, out.num_measured);
    for (const auto& f : out.files) fmt::print("wrote {}\n", f);
    if (r.best < 0) {
      fmt::print(stderr, "hp-cli: no feasible layout: {}\n", hp::inference_no_feasible_message(r));
      return hpcli::kNoFeasible;
    }
    return hpcli::kOk;
  };
}

}  // namespace

HP_CLI_COMMAND("infer-search", 60, setup);
