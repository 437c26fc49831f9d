// Inference HP search front end: search, benchmark jobs per ranked layout, measured logs, reports.
#include <filesystem>
#include <map>
#include <string>

#include "hp/core.hpp"
#include "hp/inference.hpp"
#include "hp/nemo_config.hpp"
#include "hp/run/executor.hpp"
#include "hp/run/inference_frontend.hpp"

namespace fs = std::filesystem;

namespace hp::run {

namespace {

void write(const std::string& path, const std::string& content, bool executable = false) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) throw hp::IoError(fs::path(path).parent_path().string(), "cannot create directory: " + ec.message());
  hp::write_file_atomic(path, content);
  if (executable) fs::permissions(path, fs::perms::owner_exec | fs::perms::group_exec, fs::perm_options::add, ec);
}

std::string model_label(const hp::ModelSpec& m) { return m.name.empty() ? m.family : m.name; }

}  // namespace

InferenceRunOutput run_inference_search(const hp::SearchConfig& config, const InferenceRunOptions& options) {
  InferenceRunOutput out;
  // ---- Validate everything first: nothing is written on bad input ----
  const hp::ModelSpec model = hp::inference_model(config);
  const hp::GpuSpec gpu = hp::inference_gpu(config);
  const hp::InferenceSettings settings = hp::with_nemo_inference_defaults(config.inference, hp::inference_size_b(model));
  out.tool = hp::bench_tool_from_string("inference_settings.benchmark_tool", settings.benchmark);
  if (options.executor != "none" && options.executor != "local" && options.executor != "slurm")
    throw hp::ConfigError("executor", options.executor, "expected none, local or slurm");
  if (options.executor != "none") executor_options_from_config(config.extra, options.executor);  // cluster.* keys
  {
    hp::ScriptOptions probe = options.script;  // #SBATCH values are checked before anything is written
    probe.slurm = true;
    hp::bench_script(hp::BenchJob{}, probe);
  }
  // Predictions use the calibration of the engine that will measure (vLLM has none yet: TensorRT-LLM's).
  out.result = hp::inference_search(model, gpu, settings, hp::default_inference_calibration(gpu, hp::to_string(out.tool)));
  const std::string root = !options.results_dir.empty() ? options.results_dir
                           : !config.train.logs.empty() ? config.train.logs
                                                        : std::string("results");
  out.inference_dir = (fs::path(root) / "inference").string();
  out.summary_dir = (fs::path(out.inference_dir) / "final_summary").string();
  const std::string label = model_label(model);
  const bool with_lengths = settings.input_seq_lengths.size() > 1 || settings.output_seq_lengths.size() > 1;

  // ---- Benchmark jobs for the top ranked layouts (never overwrites an existing run directory) ----
  // Benchmark templates exist for decoder-only (GPT-like) models; T5/mT5 are predicted only.
  const int n_jobs = model.is_encoder_decoder() ? 0 : options.measure_top_n >= 0 ? options.measure_top_n : settings.top_n;
  std::vector<PlannedBenchJob> to_run;
  for (const auto& c : out.result.candidates) {
    if (!options.write || c.rank < 1 || c.rank > n_jobs) continue;
    const std::string run = hp::inference_run_name(label, c.layout, with_lengths);
    const fs::path dir = fs::path(out.inference_dir) / run;
    ++out.num_jobs_planned;
    const hp::BenchJob job = hp::bench_job(out.tool, model, c.layout, options.bench, run);
    if (!fs::exists(dir / "run.sh")) {
      for (const auto& [name, content] : job.files) write((dir / name).string(), content);
      hp::ScriptOptions local = options.script;
      local.slurm = false;
      local.workdir = fs::absolute(dir).string();
      write((dir / "run.sh").string(), hp::bench_script(job, local), true);
      hp::ScriptOptions slurm = options.script;
      slurm.slurm = true;
      slurm.workdir = local.workdir;
      write((dir / "submit.sh").string(), hp::bench_script(job, slurm), true);
    }
    if (hp::parse_bench_log(out.tool, (dir / job.log_file).string(), c.layout).status == "missing_log")
      to_run.push_back({job, dir.string()});
  }
  std::map<std::string, std::string> ended;
  if (options.executor != "none")
    for (const auto& [dir, state] : execute_bench_jobs(to_run, config, options)) ended[dir] = state;

  // ---- Measured results: any run directory with a log (this launch or an earlier one) ----
  for (auto& c : out.result.candidates) {
    const std::string run = hp::inference_run_name(label, c.layout, with_lengths);
    const fs::path dir = fs::path(out.inference_dir) / run;
    if (!fs::is_directory(dir)) continue;
    const hp::BenchJob job = hp::bench_job(out.tool, model, c.layout, options.bench, run);
    hp::BenchResult r = hp::parse_bench_log(out.tool, (dir / job.log_file).string(), c.layout);
    // A job that ended badly without saying why in its log takes the scheduler's verdict.
    if ((r.status == "missing_log" || r.status == "no_result") && ended.count(dir.string()))
      r.status = ended[dir.string()];
    c.measured.status = r.status;
    c.measured.log_path = (dir / job.log_file).string();
    if (r.status == "ok") {
      c.measured.available = true;
      c.measured.latency_s = r.latency_s;
      c.measured.ttft_s = r.ttft_s;
      c.measured.tpot_s = r.tpot_s;
      ++out.num_measured;
    } else if (r.status != "missing_log") {
      out.failed.emplace_back(run, r.status);
    }
  }
  hp::rerank(out.result);
  if (!options.write) return out;

  // ---- Reports (NeMo's final_summary layout) ----
  std::string sweep = "TP,PP,BS\n";
  for (const auto& c : out.result.candidates)
    sweep += std::to_string(c.layout.tp) + "," + std::to_string(c.layout.pp) + "," + std::to_string(c.layout.batch_size) + "\n";
  const fs::path sum(out.summary_dir);
  write((sum / "inference_sweep_configs.csv").string(), sweep);
  write((sum / "final_output.csv").string(), hp::inference_csv(out.result));
  write((sum / "pareto.svg").string(), hp::inference_pareto_svg(out.result));
  out.files = {(sum / "final_output.csv").string(), (sum / "pareto.svg").string(),
               (sum / "inference_sweep_configs.csv").string()};
  const std::string best = hp::inference_best_yaml(out.result);
  if (!best.empty()) {
    write((sum / "best_layout.yaml").string(), best);
    out.files.push_back((sum / "best_layout.yaml").string());
  } else {
    std::error_code ec;
    fs::remove(sum / "best_layout.yaml", ec);  // a stale best from an earlier run would mislead
  }
  return out;
}

}  // namespace hp::run
