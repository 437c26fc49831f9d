// Training log parsers: TensorBoard event files, NeMo console progress lines, Megatron-LM iteration
// lines; failure classification with the evidence line; step time as NeMo's compare_throughput computes it.
// Public header: standard-library types only. Formats and sources: docs/model.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hp {

/// The TensorBoard scalar NeMo's compare_throughput.py reads (22.05 onwards; 22.04 used "train_step_timing").
inline constexpr const char* kStepTimingTag = "train_step_timing in s";

enum class LogFormat { unknown, tensorboard, nemo, megatron };
const char* to_string(LogFormat format) noexcept;

/// Why a trial did not give a step time. Ordered by how specific the cause is (most specific first).
enum class FailureKind {
  none,
  cuda_oom,          ///< "CUDA out of memory" / torch.OutOfMemoryError
  nccl_timeout,      ///< NCCL watchdog: collective operation timeout
  nccl_error,        ///< "NCCL error" / ncclSystemError / DistBackendError
  slurm_node_fail,   ///< Slurm NODE_FAIL ("DUE TO NODE FAILURE")
  time_limit,     ///< Slurm TIMEOUT ("DUE TO TIME LIMIT") or the local executor's time limit
  slurm_cancelled,   ///< Slurm CANCELLED (scancel, or Ctrl-C in the local executor)
  nonzero_exit,      ///< the trainer exited with a non-zero status or was killed by a signal
  no_steps,          ///< the trainer ended without logging enough steps
};
const char* to_string(FailureKind kind) noexcept;
/// Inverse of to_string (throws ConfigError for an unknown name).
FailureKind failure_kind_from_string(const std::string& name);

struct Failure {
  FailureKind kind = FailureKind::none;
  std::string evidence;  ///< the log line (or scheduler state) that shows it, trimmed
  std::string source;    ///< "path:line", or "scheduler" / "exit status"
};

/// A Megatron-LM memory report: "[Rank 0] (after 10 iterations) memory (MB) | allocated: ... | max reserved: ...".
/// NeMo 2.0's max_memory_allocated / max_memory_reserved columns (bytes) give rank -1.
struct MemoryReport {
  int rank = -1;
  long long iteration = -1;
  double allocated_bytes = 0;
  double max_allocated_bytes = 0;
  double reserved_bytes = 0;
  double max_reserved_bytes = 0;
};

/// What one log says. iterations, step_times_s and tflops_per_gpu have the same length, in log order,
/// one entry per logged iteration (a repeated iteration keeps its last value). tflops_per_gpu is 0 where
/// the log prints none.
struct TrainingLog {
  std::string path;
  LogFormat format = LogFormat::unknown;
  std::vector<long long> iterations;
  std::vector<double> step_times_s;
  std::vector<double> tflops_per_gpu;
  std::vector<MemoryReport> memory;
  Failure failure;  ///< from the text alone (exit status and scheduler state: classify_trial)
};

/// One scalar point of a TensorBoard event file.
struct ScalarPoint {
  long long step = 0;
  double wall_time_s = 0;
  double value = 0;
};

/// Read every point of scalar `tag` from a TensorBoard event file (TFRecord framing; both length and data
/// masked CRC32C are checked). Reads the simple_value form and the tensor form (float or double, scalar
/// shape) that tensorboardX / torch.utils.tensorboard and TF2 write. A truncated last record (a trainer killed
/// while writing) is ignored; a CRC mismatch throws LogParseError naming the file and offset.
std::vector<ScalarPoint> read_tensorboard_scalars(const std::string& path, const std::string& tag = kStepTimingTag);
std::vector<ScalarPoint> parse_tensorboard_scalars(const std::string& bytes, const std::string& tag = kStepTimingTag,
                                                   const std::string& origin = "<bytes>");

/// Encode a TensorBoard event file holding `points` of scalar `tag` (a file_version record first), in the
/// simple_value form or the tensor form. For test fixtures and for tools that write measured data.
std::string encode_tensorboard_scalars(const std::string& tag, const std::vector<ScalarPoint>& points,
                                       bool tensor_form = false);

/// CRC32C (Castagnoli) and TFRecord's mask ((crc >> 15 | crc << 17) + 0xa282ead8).
std::uint32_t crc32c(const void* data, std::size_t size) noexcept;
std::uint32_t masked_crc32c(const void* data, std::size_t size) noexcept;

/// Parse console text (stdout/stderr of NeMo or Megatron-LM; '\r' progress updates count as lines).
TrainingLog parse_console_log(const std::string& text, const std::string& path = "");

/// Parse any log file: TensorBoard event files are detected by name ("events.out.tfevents") or content;
/// everything else is console text. Throws IoError when unreadable, LogParseError when corrupt.
TrainingLog parse_log_file(const std::string& path);

/// The most specific failure line in `text` (FailureKind order), or kind none.
Failure classify_text(const std::string& text, const std::string& path = "");

/// How a trial ended, as the executor saw it.
struct JobOutcome {
  std::string scheduler_state;  ///< "", COMPLETED, FAILED, TIMEOUT, CANCELLED, NODE_FAIL, OUT_OF_MEMORY
  int exit_code = 0;            ///< exit status (0 when killed by a signal)
  int signal = 0;               ///< terminating signal, 0 if none
};

/// Step time as NeMo computes it: points after the first 5 warm-up steps are averaged; fewer than 7 points
/// (NeMo: `if len(timing_list) <= 6: continue`) is no measurement. Spread = population standard deviation
/// and (max - min) / mean of the points used.
inline constexpr int kNemoWarmupSteps = 5;
inline constexpr int kNemoMinPoints = 7;
/// A logged step time is a measurement only when finite and in (0, kMaxStepTimeS]: a zero, negative, NaN or
/// absurd value (a clock glitch, a corrupt record) is dropped when the log is read and never ranks a trial.
inline constexpr double kMaxStepTimeS = 86400;
/// Largest iteration / rank number read from a log (larger ones are not counts: the line is skipped).
inline constexpr double kMaxLogCount = 1e15;
/// True for a step time that may be used (see kMaxStepTimeS).
inline bool plausible_step_time(double s) { return s > 0 && s <= kMaxStepTimeS; }
struct StepTimeStats {
  bool valid = false;
  int num_points = 0;
  int num_used = 0;
  double mean_s = 0;       ///< rounded to 4 decimals as NeMo does
  double stddev_s = 0;
  double min_s = 0;
  double max_s = 0;
  double spread = 0;       ///< (max - min) / mean
};
StepTimeStats nemo_step_time(const std::vector<double>& step_times_s);

/// Classify a finished trial from its logs and its outcome. Text evidence wins over the scheduler state
/// (an OOM that made the job FAILED is an OOM); a trial with a valid step time and no failure line is none
/// even when the scheduler ended it (NeMo uses any run with enough steps).
Failure classify_trial(const std::vector<TrainingLog>& logs, const JobOutcome& outcome, const StepTimeStats& stats);

}  // namespace hp
