// Benchmark jobs for measuring serving layouts, and parsers of their outputs:
// FasterTransformer multi_gpu_gpt_example (NeMo's), TensorRT-LLM trtllm-bench, vLLM bench throughput / serve,
// SGLang bench_offline_throughput / bench_serving.
// Public header: standard-library types only. Pure text in, text out: launching lives in the front ends.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "hp/inference.hpp"
#include "hp/model.hpp"

namespace hp {

enum class BenchTool { fastertransformer, trtllm, vllm, sglang };
const char* to_string(BenchTool tool) noexcept;
/// "fastertransformer" (alias "ft"), "trtllm" ("trtllm-bench"), "vllm", "sglang". Throws ConfigError(key, value).
BenchTool bench_tool_from_string(const std::string& key, const std::string& value);

struct BenchOptions {
  std::string model_path;       ///< checkpoint / HF model dir (trtllm, vllm, sglang) or FT weights dir (model_dir)
  std::string tokenizer;        ///< trtllm dataset preparation; "" = model_path
  std::string ft_path = "/opt/FasterTransformer";  ///< NeMo's fastertransformer_path
  std::string trtllm_path = "/app/tensorrt_llm";   ///< holds benchmarks/cpp/prepare_dataset.py
  std::string vllm_mode = "throughput";            ///< vllm and sglang: throughput (offline) | serving (server + client)
  int num_batches = 4;          ///< trtllm/vllm: requests = batch_size x num_batches (FT: one batch)
  int start_id = 50256;         ///< FT config.ini start/end ids (GPT-2 BPE <|endoftext|>)
};

/// One benchmark run: the commands (argument vectors, never shell strings), files to write next to them,
/// and what the scheduler needs.
struct BenchJob {
  BenchTool tool = BenchTool::fastertransformer;
  std::string run_name;                                    ///< directory name (inference_run_name)
  std::vector<std::vector<std::string>> commands;          ///< run in order in the run directory
  std::vector<std::string> stdout_files;                   ///< per command: "" or a file its stdout goes to
  std::vector<bool> background;                            ///< per command: started in the background (server)
  std::vector<std::pair<std::string, std::string>> env;    ///< exported before the commands
  std::vector<std::pair<std::string, std::string>> files;  ///< relative path -> content
  int num_nodes = 1;
  int num_gpus = 1;
  int gpus_per_node = 1;
  int tasks_per_node = 1;       ///< MPI ranks per node (FT: min(gpus_per_node, tp)), else 1
  bool mpi = false;             ///< commands[last] runs under srun/mpirun with num_gpus ranks
  std::string log_file = "bench.log";  ///< the output the parser reads
};

/// The job for one layout. Throws ConfigError for options that cannot work (e.g. vllm_mode).
BenchJob bench_job(BenchTool tool, const ModelSpec& model, const InferenceLayout& layout, const BenchOptions& options,
                   const std::string& run_name);

/// A bash script that runs the job in its directory, every value single-quoted. With `slurm`, #SBATCH headers
/// (nodes, tasks per node, GPUs, time limit, job name, log files) and srun for the MPI command. #SBATCH values
/// are not shell-parsed, so they must be plain ([A-Za-z0-9_.:/=+-]); anything else is a ConfigError.
struct ScriptOptions {
  bool slurm = false;
  std::string time_limit = "0:30:00";
  std::string partition;
  std::string account;
  std::string container_image;  ///< srun --container-image (pyxis), "" = none
  std::string workdir;          ///< directory the script runs in; "" = the script's own directory
};
std::string bench_script(const BenchJob& job, const ScriptOptions& options);

/// Outcome of one benchmark, from its output text. Status: ok | missing_log | no_result | out_of_memory |
/// nccl_error | timeout | error. Never throws for a bad or missing log: the status says what happened.
struct BenchResult {
  std::string status = "no_result";
  std::string message;          ///< the line that decided the status (or why nothing was found)
  double latency_s = 0;         ///< end-to-end latency of a batch / mean request latency
  double ttft_s = 0;            ///< 0 when the tool does not report it
  double tpot_s = 0;
  double output_tokens_per_s = 0;
  double requests_per_s = 0;
};

BenchResult parse_bench_output(BenchTool tool, const std::string& text, const InferenceLayout& layout);

/// Read and parse `path`; a missing or unreadable file gives status missing_log (NeMo's summary crashes there).
BenchResult parse_bench_log(BenchTool tool, const std::string& path, const InferenceLayout& layout);

}  // namespace hp
