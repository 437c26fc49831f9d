// Console log parsers (NeMo 1.x progress bar, NeMo 2.0 progress printer, Megatron-LM iteration and memory
// lines), failure classification and NeMo's step-time rule. Formats with real examples: docs/model.md.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string_view>

#include "hp/files.hpp"
#include "hp/core.hpp"
#include "hp/logs.hpp"

namespace hp {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr std::size_t kMaxEvidenceChars = 400;

// Number right after `key` in `line` (spaces skipped), or false.
bool number_after(std::string_view line, std::string_view key, double& out) {
  std::size_t pos = line.find(key);
  if (pos == std::string_view::npos) return false;
  std::string rest(line.substr(pos + key.size(), 48));
  const char* s = rest.c_str();
  while (*s == ' ') ++s;
  char* end = nullptr;
  double v = std::strtod(s, &end);
  if (end == s || !std::isfinite(v)) return false;
  out = v;
  return true;
}

// A count (iteration, rank) from a log: an integer-valued double in [0, kMaxLogCount], so the conversion to an
// integer is defined.
bool as_count(double v, long long& out) {
  if (!(v >= 0 && v <= kMaxLogCount)) return false;
  out = static_cast<long long>(v);
  return true;
}

std::string trim_evidence(std::string_view line) {
  std::size_t b = line.find_first_not_of(" \t");
  std::size_t e = line.find_last_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  std::string s(line.substr(b, e - b + 1));
  if (s.size() > kMaxEvidenceChars) s = s.substr(0, kMaxEvidenceChars) + "...";
  return s;
}

// Calls fn(line, line_number) for every line; '\r' (tqdm progress updates) also ends a line.
template <class Fn>
void for_each_line(const std::string& text, Fn fn) {
  std::size_t start = 0;
  int number = 1;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '\n' || text[i] == '\r') {
      if (i > start) fn(std::string_view(text).substr(start, i - start), number);
      if (i < text.size() && text[i] == '\n') ++number;
      start = i + 1;
    }
  }
}

struct Pattern {
  FailureKind kind;
  const char* needle;
  const char* also = nullptr;  ///< a second substring the line must hold
};
// Substrings that identify each failure class in real logs (PyTorch, NCCL, Slurm's slurmstepd/srun).
const Pattern kPatterns[] = {
    {FailureKind::cuda_oom, "CUDA out of memory"},
    {FailureKind::cuda_oom, "OutOfMemoryError"},
    {FailureKind::cuda_oom, "CUDA error: out of memory"},
    {FailureKind::nccl_timeout, "collective operation timeout"},
    {FailureKind::nccl_timeout, "NCCL timeout"},
    {FailureKind::nccl_timeout, "NCCL watchdog thread terminated"},
    {FailureKind::nccl_error, "NCCL error"},
    {FailureKind::nccl_error, "ncclSystemError"},
    {FailureKind::nccl_error, "ncclInternalError"},
    {FailureKind::nccl_error, "ncclUnhandledCudaError"},
    {FailureKind::nccl_error, "ncclRemoteError"},
    {FailureKind::nccl_error, "DistBackendError"},
    {FailureKind::slurm_node_fail, "DUE TO NODE FAILURE"},
    {FailureKind::time_limit, "DUE TO TIME LIMIT"},
    // The job, not a step: srun --kill-on-bad-exit cancels the other tasks' step after one task failed.
    {FailureKind::slurm_cancelled, "CANCELLED AT", "*** JOB "},
    {FailureKind::nonzero_exit, "Exited with exit code"},
};

struct Series {
  std::vector<long long> iterations;
  std::vector<double> step_times_s;
  std::vector<double> tflops;
  std::map<long long, std::size_t> index;
  void add(long long it, double step_s, double tflops_per_gpu) {
    if (!plausible_step_time(step_s)) return;  // not a measurement (see kMaxStepTimeS)
    if (!(tflops_per_gpu >= 0)) tflops_per_gpu = 0;
    auto found = index.find(it);
    if (found != index.end()) {  // progress bars repeat a step: keep the last value
      step_times_s[found->second] = step_s;
      tflops[found->second] = tflops_per_gpu;
      return;
    }
    index[it] = iterations.size();
    iterations.push_back(it);
    step_times_s.push_back(step_s);
    tflops.push_back(tflops_per_gpu);
  }
};

// Megatron-LM training_log(): " [date] iteration       10/     500 | consumed samples: ... |
// elapsed time per iteration (ms): 1234.5 | throughput per GPU (TFLOP/s/GPU): 180.3 | ...".
bool megatron_line(std::string_view line, Series& s) {
  double ms = 0;
  if (!number_after(line, "elapsed time per iteration (ms):", ms)) return false;
  double it = 0;
  long long iteration = 0;
  if (!number_after(line, "iteration ", it) || !as_count(it, iteration)) return false;
  double tflops = 0;
  number_after(line, "throughput per GPU (TFLOP/s/GPU):", tflops);
  s.add(iteration, ms / 1000.0, tflops);
  return true;
}

// "[Rank 0] (after 10 iterations) memory (MB) | allocated: ... | max allocated: ... | reserved: ... | max reserved: ..."
bool megatron_memory_line(std::string_view line, std::vector<MemoryReport>& out) {
  if (line.find("memory (MB)") == std::string_view::npos) return false;
  MemoryReport m;
  double v = 0;
  long long count = 0;
  if (number_after(line, "[Rank", v) && v <= 1e9 && as_count(v, count)) m.rank = static_cast<int>(count);
  if (number_after(line, "(after", v) && as_count(v, count)) m.iteration = count;
  if (number_after(line, "| allocated:", v)) m.allocated_bytes = v * kMiB;
  if (number_after(line, "max allocated:", v)) m.max_allocated_bytes = v * kMiB;
  if (number_after(line, "| reserved:", v)) m.reserved_bytes = v * kMiB;
  if (number_after(line, "max reserved:", v)) m.max_reserved_bytes = v * kMiB;
  out.push_back(m);
  return true;
}

// NeMo 1.x (PyTorch Lightning tqdm bar): "Epoch 0: :  47%|...| 7/15 [06:19<07:13, reduced_train_loss=11.50,
// global_step=5.000, consumed_samples=12288.0, train_step_timing in s=49.50]".
// NeMo 2.0 (ProgressPrinter): "Training epoch 0, iteration 17/99 | lr: 2.699e-06 | global_step: 17 | ...
// | train_step_timing in s: 12.64 | TFLOPS_per_GPU: 865.7 | consumed_samples: 2304".
void nemo_line(std::string_view line, Series& s, std::vector<MemoryReport>& memory) {
  double step_s = 0;
  bool v1 = number_after(line, "train_step_timing in s=", step_s);
  if (!v1 && !number_after(line, "train_step_timing in s:", step_s)) return;
  double it = -1;
  if (!number_after(line, v1 ? "global_step=" : "global_step:", it) && !number_after(line, "iteration ", it)) {
    // progress count "| 7/15 [": steps done so far; the step that just finished is count - 1
    std::size_t bar = line.find("| ");
    double count = 0;
    if (bar != std::string_view::npos && number_after(line.substr(bar), "| ", count)) it = count - 1;
  }
  if (it < 0) it = static_cast<double>(s.iterations.empty() ? 0 : s.iterations.back() + 1);
  long long iteration = 0;
  if (!as_count(it, iteration)) return;
  double tflops = 0;
  number_after(line, "TFLOPS_per_GPU:", tflops);
  s.add(iteration, step_s, tflops);
  double alloc = 0, reserved = 0;
  bool a = number_after(line, "max_memory_allocated:", alloc);
  bool r = number_after(line, "max_memory_reserved:", reserved);
  if (a || r) {
    MemoryReport m;
    m.iteration = iteration;
    m.max_allocated_bytes = alloc;
    m.max_reserved_bytes = reserved;
    memory.push_back(m);
  }
}

}  // namespace

const char* to_string(LogFormat format) noexcept {
  switch (format) {
    case LogFormat::tensorboard: return "tensorboard";
    case LogFormat::nemo: return "nemo";
    case LogFormat::megatron: return "megatron";
    case LogFormat::unknown: break;
  }
  return "unknown";
}

const char* to_string(FailureKind kind) noexcept {
  switch (kind) {
    case FailureKind::none: return "none";
    case FailureKind::cuda_oom: return "cuda_oom";
    case FailureKind::nccl_timeout: return "nccl_timeout";
    case FailureKind::nccl_error: return "nccl_error";
    case FailureKind::slurm_node_fail: return "slurm_node_fail";
    case FailureKind::time_limit: return "time_limit";
    case FailureKind::slurm_cancelled: return "slurm_cancelled";
    case FailureKind::nonzero_exit: return "nonzero_exit";
    case FailureKind::no_steps: return "no_steps";
  }
  return "none";
}

FailureKind failure_kind_from_string(const std::string& name) {
  for (int k = 0; k <= static_cast<int>(FailureKind::no_steps); ++k)
    if (name == to_string(static_cast<FailureKind>(k))) return static_cast<FailureKind>(k);
  throw ConfigError("failure", name, "unknown failure class");
}

Failure classify_text(const std::string& text, const std::string& path) {
  Failure best;
  for_each_line(text, [&](std::string_view line, int number) {
    for (const Pattern& p : kPatterns) {
      if (line.find(p.needle) == std::string_view::npos) continue;
      if (p.also && line.find(p.also) == std::string_view::npos) continue;
      if (best.kind == FailureKind::none || p.kind < best.kind) {
        best.kind = p.kind;
        best.evidence = trim_evidence(line);
        best.source = (path.empty() ? std::string("<text>") : path) + ":" + std::to_string(number);
      }
      break;
    }
  });
  return best;
}

TrainingLog parse_console_log(const std::string& text, const std::string& path) {
  Series nemo, megatron;
  TrainingLog log;
  log.path = path;
  for_each_line(text, [&](std::string_view line, int) {
    if (megatron_line(line, megatron)) return;
    if (megatron_memory_line(line, log.memory)) return;
    nemo_line(line, nemo, log.memory);
  });
  const Series* s = nullptr;
  if (!megatron.iterations.empty() && megatron.iterations.size() >= nemo.iterations.size()) {
    log.format = LogFormat::megatron;
    s = &megatron;
  } else if (!nemo.iterations.empty()) {
    log.format = LogFormat::nemo;
    s = &nemo;
  }
  if (s) {
    log.iterations = s->iterations;
    log.step_times_s = s->step_times_s;
    log.tflops_per_gpu = s->tflops;
  }
  log.failure = classify_text(text, path);
  return log;
}

TrainingLog parse_log_file(const std::string& path) {
  const std::string bytes = read_file_limited(path, kMaxLogFileBytes, "log file");
  std::string name = path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
  bool tb = name.find("events.out.tfevents") != std::string::npos;
  if (!tb && bytes.size() >= 12) tb = masked_crc32c(bytes.data(), 8) == static_cast<std::uint32_t>(
      static_cast<unsigned char>(bytes[8]) | static_cast<unsigned char>(bytes[9]) << 8 |
      static_cast<unsigned char>(bytes[10]) << 16 | static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[11])) << 24);
  if (!tb) return parse_console_log(bytes, path);
  TrainingLog log;
  log.path = path;
  log.format = LogFormat::tensorboard;
  for (const ScalarPoint& p : parse_tensorboard_scalars(bytes, kStepTimingTag, path)) {
    if (!plausible_step_time(p.value)) continue;  // NaN, negative, zero or absurd: not a measurement
    log.iterations.push_back(p.step);
    log.step_times_s.push_back(p.value);
    log.tflops_per_gpu.push_back(0);
  }
  return log;
}

StepTimeStats nemo_step_time(const std::vector<double>& step_times_s) {
  StepTimeStats st;
  st.num_points = static_cast<int>(step_times_s.size());
  if (st.num_points < kNemoMinPoints) return st;
  std::vector<double> used(step_times_s.begin() + kNemoWarmupSteps, step_times_s.end());
  // The readers drop implausible values; a caller's own list with one is not a valid measurement either.
  for (double v : used)
    if (!plausible_step_time(v)) return st;
  double sum = 0;
  for (double v : used) sum += v;
  double mean = sum / static_cast<double>(used.size());
  double var = 0;
  for (double v : used) var += (v - mean) * (v - mean);
  st.valid = true;
  st.num_used = static_cast<int>(used.size());
  st.mean_s = std::round(mean * 1e4) / 1e4;  // compare_throughput.py: round(sum / len, 4)
  st.stddev_s = std::sqrt(var / static_cast<double>(used.size()));
  st.min_s = *std::min_element(used.begin(), used.end());
  st.max_s = *std::max_element(used.begin(), used.end());
  st.spread = mean > 0 ? (st.max_s - st.min_s) / mean : 0;
  return st;
}

Failure classify_trial(const std::vector<TrainingLog>& logs, const JobOutcome& outcome, const StepTimeStats& stats) {
  Failure text;
  for (const TrainingLog& log : logs)
    if (log.failure.kind != FailureKind::none && (text.kind == FailureKind::none || log.failure.kind < text.kind))
      text = log.failure;
  // OOM and NCCL lines name the root cause whatever the scheduler did afterwards.
  if (text.kind != FailureKind::none && text.kind <= FailureKind::nccl_error) return text;
  if (stats.valid) return {};
  if (text.kind != FailureKind::none && text.kind <= FailureKind::slurm_cancelled) return text;
  const std::string& st = outcome.scheduler_state;
  auto scheduler = [&](FailureKind k) { return Failure{k, "job state " + st, "scheduler"}; };
  if (st.rfind("NODE_FAIL", 0) == 0) return scheduler(FailureKind::slurm_node_fail);
  if (st.rfind("TIMEOUT", 0) == 0) return scheduler(FailureKind::time_limit);
  if (st.rfind("CANCELLED", 0) == 0) return scheduler(FailureKind::slurm_cancelled);
  if (outcome.signal != 0)
    return {FailureKind::nonzero_exit, "killed by signal " + std::to_string(outcome.signal), "exit status"};
  if (outcome.exit_code != 0)
    return {FailureKind::nonzero_exit, "exit code " + std::to_string(outcome.exit_code), "exit status"};
  if (st == "FAILED" || st == "OUT_OF_MEMORY") return scheduler(FailureKind::nonzero_exit);
  if (text.kind != FailureKind::none) return text;
  std::size_t points = 0;
  for (const TrainingLog& log : logs) points = std::max(points, log.step_times_s.size());
  return {FailureKind::no_steps,
          std::to_string(points) + " steps logged, NeMo needs at least " + std::to_string(kNemoMinPoints),
          "logs"};
}

}  // namespace hp
