// Benchmark job templates (FasterTransformer, trtllm-bench, vLLM, SGLang) and their output parsers.
#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "hp/files.hpp"
#include "hp/core.hpp"
#include "hp/inference_bench.hpp"

namespace hp {

const char* to_string(BenchTool tool) noexcept {
  switch (tool) {
    case BenchTool::fastertransformer: return "fastertransformer";
    case BenchTool::trtllm: return "trtllm";
    case BenchTool::vllm: return "vllm";
    case BenchTool::sglang: return "sglang";
  }
  return "unknown";
}

BenchTool bench_tool_from_string(const std::string& key, const std::string& value) {
  std::string v;
  for (char c : value) v += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v == "fastertransformer" || v == "ft") return BenchTool::fastertransformer;
  if (v == "trtllm" || v == "trtllm-bench" || v == "tensorrt-llm") return BenchTool::trtllm;
  if (v == "vllm") return BenchTool::vllm;
  if (v == "sglang") return BenchTool::sglang;
  throw ConfigError(key, value, "unknown benchmark tool (expected fastertransformer, trtllm, vllm or sglang)");
}

namespace {

std::string ft_data_type(const std::string& dtype) {
  // FT's config.ini data_type: fp32, fp16, bf16 (FP8 GPT needs a separate FT build; run its fp16 path).
  return dtype == "bf16" ? "bf16" : (dtype == "fp32" ? "fp32" : "fp16");
}

/// FasterTransformer config.ini, the sections generate_gpt_config.py writes (nemo_autoconfigurator.md 5.1).
std::string ft_config_ini(const ModelSpec& m, const InferenceLayout& l, const BenchOptions& o, const std::string& name) {
  std::ostringstream s;
  s << "[ft_instance_hyperparameter]\n"
    << "max_batch_size=" << l.batch_size << "\nmax_seq_len=" << l.input_len + l.output_len << "\nbeam_width=1\n"
    << "top_k=4\ntop_p=0.0\ntemperature=1.0\ntensor_para_size=" << l.tp << "\npipeline_para_size=" << l.pp
    << "\ndata_type=" << ft_data_type(l.weight_dtype) << "\nsparse=0\nint8_mode=0\nenable_custom_all_reduce=0\n"
    << "model_name=" << name << "\nmodel_dir=" << o.model_path << "\nlen_penalty=0.0\n"
    << "beam_search_diversity_rate=0.0\nshared_contexts_ratio=1.0\n\n"
    << "[request]\nrequest_batch_size=" << l.batch_size << "\nrequest_output_len=" << l.output_len
    << "\nreturn_log_probs=false\ncontext_log_probs=false\nbeam_width=1\ntop_k=4\ntop_p=0.0\ntemperature=1.0\n"
    << "repetition_penalty=1.0\npresence_penalty=0.0\nlen_penalty=0.0\nbeam_search_diversity_rate=0.0\nmin_length=0\n\n"
    << "[" << name << "]\nhead_num=" << m.num_attention_heads << "\nsize_per_head=" << m.head_dim()
    << "\nvocab_size=" << m.vocab_size << "\ndecoder_layers=" << m.num_layers << "\ninter_size=" << m.ffn_hidden_size
    << "\nstart_id=" << o.start_id << "\nend_id=" << o.start_id << "\n";
  return s.str();
}

/// start_ids.csv: batch_size rows of input_len token ids (deterministic LCG, in the vocabulary).
std::string ft_start_ids(const ModelSpec& m, const InferenceLayout& l) {
  std::string s;
  unsigned long long x = 12345;
  const unsigned long long vocab = static_cast<unsigned long long>(std::max(2, std::min(m.vocab_size, 50000)));
  for (int b = 0; b < l.batch_size; ++b) {
    for (int t = 0; t < l.input_len; ++t) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      s += (t ? ", " : "") + std::to_string((x >> 33) % vocab);
    }
    s += "\n";
  }
  return s;
}

std::string quote(const std::string& v) {
  std::string o = "'";
  for (char c : v) o += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return o + "'";
}

std::string quoted_command(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + quote(a);
  return s;
}

/// "Label (unit):   123.4" lines -> label -> value (first occurrence wins).
std::map<std::string, double> label_values(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.rfind(':');
    if (colon == std::string::npos) continue;
    std::string label = line.substr(0, colon);
    const auto b = label.find_first_not_of(" \t[]");
    if (b == std::string::npos) continue;
    label = label.substr(b);
    while (!label.empty() && std::isspace(static_cast<unsigned char>(label.back()))) label.pop_back();
    std::istringstream v(line.substr(colon + 1));
    double x = 0;
    if (v >> x) out.emplace(label, x);
  }
  return out;
}

double first_of(const std::map<std::string, double>& kv, std::initializer_list<const char*> labels) {
  for (const char* l : labels) {
    auto it = kv.find(l);
    if (it != kv.end()) return it->second;
  }
  return 0;
}

std::string line_containing(const std::string& text, const std::string& needle) {
  const auto p = text.find(needle);
  if (p == std::string::npos) return "";
  const auto b = text.rfind('\n', p);
  const auto e = text.find('\n', p);
  return text.substr(b == std::string::npos ? 0 : b + 1, e == std::string::npos ? std::string::npos : e - b - 1);
}

/// Failure classes from well-known messages (checked only when no result was found).
void classify_failure(const std::string& text, BenchResult& r) {
  const std::pair<const char*, const char*> patterns[] = {
      {"out of memory", "out_of_memory"},      {"OutOfMemory", "out_of_memory"},
      {"CUBLAS_STATUS_ALLOC_FAILED", "out_of_memory"}, {"NCCL error", "nccl_error"},
      {"DUE TO TIME LIMIT", "timeout"},        {"Traceback (most recent call last)", "error"},
      {"[FT][ERROR]", "error"},                {"[TensorRT-LLM][ERROR]", "error"},
      {"Segmentation fault", "error"},         {"CANCELLED", "error"},
      {"command not found", "error"},          {"No such file or directory", "error"}};
  for (const auto& [needle, status] : patterns) {
    const std::string l = line_containing(text, needle);
    if (!l.empty()) {
      r.status = status;
      r.message = l;
      return;
    }
  }
  r.status = "no_result";
  r.message = "no result line in the log";
}

}  // namespace

BenchJob bench_job(BenchTool tool, const ModelSpec& model, const InferenceLayout& l, const BenchOptions& o,
                   const std::string& run_name) {
  if (o.num_batches < 1) throw ConfigError("num_batches", std::to_string(o.num_batches), "must be >= 1");
  BenchJob j;
  j.tool = tool;
  j.run_name = run_name;
  j.num_gpus = l.tp * l.pp;
  const int gpn = std::max(1, l.gpus_per_node);
  // NeMo's nodes_necessary and ntasks-per-node = min(gpus_per_node, tp).
  j.num_nodes = l.tp > gpn ? std::max(l.pp, l.pp * l.tp / gpn) : l.pp;
  j.gpus_per_node = std::min(gpn, j.num_gpus);
  const std::string bs = std::to_string(l.batch_size), in = std::to_string(l.input_len),
                    out = std::to_string(l.output_len), tp = std::to_string(l.tp), pp = std::to_string(l.pp);
  const std::string requests = std::to_string(l.batch_size * o.num_batches);
  const std::string model_path = o.model_path.empty() ? model.name : o.model_path;
  switch (tool) {
    case BenchTool::fastertransformer: {
      const std::string name = run_name.empty() ? "gpt" : run_name;
      j.files = {{"config.ini", ft_config_ini(model, l, o, name)}, {"start_ids.csv", ft_start_ids(model, l)}};
      j.env = {{"NCCL_LAUNCH_MODE", "GROUP"}};
      j.commands = {{o.ft_path + "/build/bin/multi_gpu_gpt_example", "config.ini", "start_ids.csv"}};
      j.stdout_files = {""};
      j.background = {false};
      j.mpi = true;
      j.tasks_per_node = std::min(gpn, j.num_gpus);
      break;
    }
    case BenchTool::trtllm: {
      const std::string tok = o.tokenizer.empty() ? model_path : o.tokenizer;
      j.commands = {{"python3", o.trtllm_path + "/benchmarks/cpp/prepare_dataset.py", "--stdout", "--tokenizer", tok,
                     "token-norm-dist", "--input-mean", in, "--output-mean", out, "--input-stdev", "0",
                     "--output-stdev", "0", "--num-requests", requests},
                    {"trtllm-bench", "--model", model_path, "throughput", "--dataset", "dataset.jsonl", "--tp", tp,
                     "--pp", pp, "--max_batch_size", bs, "--concurrency", bs, "--num_requests", requests,
                     "--streaming"}};
      j.stdout_files = {"dataset.jsonl", ""};
      j.background = {false, false};
      break;
    }
    case BenchTool::vllm: {
      const std::vector<std::string> par = {"--tensor-parallel-size", tp, "--pipeline-parallel-size", pp,
                                            "--max-num-seqs", bs};
      if (o.vllm_mode == "throughput") {
        std::vector<std::string> c = {"vllm", "bench", "throughput", "--model", model_path, "--input-len", in,
                                      "--output-len", out, "--num-prompts", requests};
        c.insert(c.end(), par.begin(), par.end());
        j.commands = {c};
        j.stdout_files = {""};
        j.background = {false};
      } else if (o.vllm_mode == "serving") {
        std::vector<std::string> serve = {"vllm", "serve", model_path, "--port", "8000"};
        serve.insert(serve.end(), par.begin(), par.end());
        j.commands = {serve,
                      {"timeout", "1200", "bash", "-c", "until curl -sf localhost:8000/health; do sleep 5; done"},
                      {"vllm", "bench", "serve", "--model", model_path, "--port", "8000", "--dataset-name", "random",
                       "--random-input-len", in, "--random-output-len", out, "--num-prompts", requests,
                       "--max-concurrency", bs, "--percentile-metrics", "ttft,tpot,itl,e2el"}};
        j.stdout_files = {"server.log", "", ""};
        j.background = {true, false, false};
      } else {
        throw ConfigError("vllm_mode", o.vllm_mode, "expected throughput or serving");
      }
      break;
    }
    case BenchTool::sglang: {
      // SGLang's own benchmarks (python/sglang/bench_offline_throughput.py, bench_serving.py): random prompts of
      // exactly ISL/OSL tokens (--random-range-ratio 1), max-running-requests = the batch.
      const std::vector<std::string> data = {"--dataset-name", "random", "--random-input-len", in,
                                             "--random-output-len", out, "--random-range-ratio", "1",
                                             "--num-prompts", requests};
      const std::vector<std::string> par = {"--tp-size", tp, "--pp-size", pp, "--max-running-requests", bs};
      std::vector<std::string> c;
      if (o.vllm_mode == "throughput") {
        c = {"python3", "-m", "sglang.bench_offline_throughput", "--model-path", model_path};
        c.insert(c.end(), par.begin(), par.end());
        c.insert(c.end(), data.begin(), data.end());
        j.commands = {c};
        j.stdout_files = {""};
        j.background = {false};
      } else if (o.vllm_mode == "serving") {
        std::vector<std::string> serve = {"python3", "-m", "sglang.launch_server", "--model-path", model_path,
                                          "--port", "30000"};
        serve.insert(serve.end(), par.begin(), par.end());
        c = {"python3", "-m", "sglang.bench_serving", "--backend", "sglang", "--port", "30000", "--max-concurrency", bs};
        c.insert(c.end(), data.begin(), data.end());
        j.commands = {serve, {"timeout", "1200", "bash", "-c", "until curl -sf localhost:30000/health; do sleep 5; done"}, c};
        j.stdout_files = {"server.log", "", ""};
        j.background = {true, false, false};
      } else {
        throw ConfigError("vllm_mode", o.vllm_mode, "expected throughput or serving");
      }
      break;
    }
  }
  return j;
}

std::string plain(const std::string& key, const std::string& v) {
  for (char c : v)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || std::string("_.:/=+-").find(c) != std::string::npos))
      throw ConfigError(key, v, "not allowed in an #SBATCH line (letters, digits and _.:/=+- only)");
  return v;
}

std::string bench_script(const BenchJob& j, const ScriptOptions& o) {
  std::string s = "#!/bin/bash\n";
  if (o.slurm) {
    s += "#SBATCH --job-name=" + plain("run_name", "bignlp-hp-infer:" + j.run_name) + "\n";
    s += "#SBATCH --nodes=" + std::to_string(j.num_nodes) + "\n";
    s += "#SBATCH --ntasks-per-node=" + std::to_string(j.mpi ? j.tasks_per_node : 1) + "\n";
    s += "#SBATCH --gpus-per-node=" + std::to_string(j.gpus_per_node) + "\n";
    s += "#SBATCH --time=" + plain("time_limit", o.time_limit) + "\n";
    if (!o.partition.empty()) s += "#SBATCH --partition=" + plain("partition", o.partition) + "\n";
    if (!o.account.empty()) s += "#SBATCH --account=" + plain("account", o.account) + "\n";
    s += "#SBATCH --output=log_job_%j.out\n#SBATCH --error=log_job_%j.err\n";
  }
  s += "# " + std::string(to_string(j.tool)) + " benchmark generated by bignlp-hp (hp-cli infer-search)\n";
  s += "set -uo pipefail\n";
  s += o.workdir.empty() ? std::string("cd \"$(dirname \"$0\")\"\n") : "cd " + quote(o.workdir) + "\n";
  for (const auto& [k, v] : j.env) s += "export " + k + "=" + quote(v) + "\n";
  // The body runs in a function piped into tee, not `exec > >(tee ...)`: bash does not wait for a process
  // substitution, so the job could end before tee wrote the last lines and the log would be read without its
  // result line. A pipeline's tee has finished when the script exits.
  s += "bench() {\n";
  bool server = false;
  for (size_t i = 0; i < j.commands.size(); ++i) {
    std::string cmd = quoted_command(j.commands[i]);
    const bool last = i + 1 == j.commands.size();
    if (last && j.mpi && (o.slurm || j.num_gpus > 1)) {  // one GPU: no MPI launcher needed
      std::string launcher = o.slurm ? "srun --mpi=pmix" : "mpirun -n " + std::to_string(j.num_gpus) + " --allow-run-as-root";
      if (o.slurm && !o.container_image.empty()) launcher += " --container-image=" + quote(o.container_image);
      cmd = launcher + " " + cmd;
    }
    if (!j.stdout_files[i].empty()) cmd += " > " + quote(j.stdout_files[i]) + (j.background[i] ? " 2>&1" : "");
    if (j.background[i]) {
      cmd += " &\nSERVER_PID=$!";
      server = true;
    }
    s += cmd + "\n";
  }
  s += "rc=$?\n";
  if (server) s += "kill \"$SERVER_PID\" 2>/dev/null\n";
  s += "return $rc\n}\n";
  s += "bench 2>&1 | tee -a " + quote(j.log_file) + "\n";
  s += "exit \"${PIPESTATUS[0]}\"\n";
  return s;
}

BenchResult parse_bench_output(BenchTool tool, const std::string& text, const InferenceLayout& l) {
  BenchResult r;
  const auto kv = label_values(text);
  switch (tool) {
    case BenchTool::fastertransformer: {
      // NeMo's inference_summary.py: the line with FT-CPP-decoding-beamsearch-time, second-to-last token in ms.
      const std::string line = line_containing(text, "FT-CPP-decoding-beamsearch-time");
      if (!line.empty()) {
        std::istringstream in(line);
        std::vector<std::string> tok;
        for (std::string t; in >> t;) tok.push_back(t);
        try {
          if (tok.size() >= 2) r.latency_s = std::stod(tok[tok.size() - 2]) / 1e3;
        } catch (const std::exception&) {
          r.latency_s = 0;
        }
        if (r.latency_s > 0) {
          r.status = "ok";
          r.message = line;
          r.output_tokens_per_s = l.batch_size * l.output_len / r.latency_s;
          r.requests_per_s = l.batch_size / r.latency_s;
        }
      }
      break;
    }
    case BenchTool::trtllm: {
      r.requests_per_s = first_of(kv, {"Request Throughput (req/sec)"});
      r.output_tokens_per_s = first_of(kv, {"Total Output Throughput (tokens/sec)", "Token Throughput (tokens/sec)",
                                            "Generation Token Throughput (tokens/sec)"});
      r.latency_s = first_of(kv, {"Average request latency (ms)"}) / 1e3;
      r.ttft_s = first_of(kv, {"Average time-to-first-token [TTFT] (ms)", "Average time-to-first-token (ms)"}) / 1e3;
      r.tpot_s = first_of(kv, {"Average time-per-output-token [TPOT] (ms)", "Average time-per-output-token (ms)"}) / 1e3;
      if (r.latency_s <= 0 && r.requests_per_s > 0) r.latency_s = l.batch_size / r.requests_per_s;  // batch-capped run
      if (r.latency_s > 0) r.status = "ok";
      r.message = line_containing(text, "Request Throughput (req/sec)");
      break;
    }
    case BenchTool::vllm: {
      // `vllm bench serve`: "Mean E2EL (ms):", "Mean TTFT (ms):", "Mean TPOT (ms):", "Request throughput (req/s):".
      r.ttft_s = first_of(kv, {"Mean TTFT (ms)"}) / 1e3;
      r.tpot_s = first_of(kv, {"Mean TPOT (ms)"}) / 1e3;
      r.requests_per_s = first_of(kv, {"Request throughput (req/s)"});
      r.output_tokens_per_s = first_of(kv, {"Output token throughput (tok/s)"});
      r.latency_s = first_of(kv, {"Mean E2EL (ms)"}) / 1e3;
      if (r.latency_s <= 0 && r.ttft_s > 0) r.latency_s = r.ttft_s + (l.output_len - 1) * r.tpot_s;
      r.message = line_containing(text, "Request throughput (req/s)");
      // `vllm bench throughput` / benchmark_throughput.py: "Throughput: X requests/s, Y total tokens/s, Z output
      // tokens/s"; max-num-seqs = batch, so one batch takes batch / (requests/s).
      const std::string t = line_containing(text, "Throughput: ");
      if (r.latency_s <= 0 && !t.empty()) {
        std::istringstream in(t.substr(t.find("Throughput: ") + 12));
        double req = 0;
        if (in >> req && req > 0) {
          r.requests_per_s = req;
          r.latency_s = l.batch_size / req;
          r.message = t;
          const auto p = t.find("total tokens/s,");
          if (p != std::string::npos) {
            std::istringstream o(t.substr(p + 15));
            o >> r.output_tokens_per_s;
          }
        }
      }
      if (r.latency_s > 0) r.status = "ok";
      break;
    }
    case BenchTool::sglang: {
      // bench_serving's "Serving Benchmark Result" and bench_offline_throughput's "Offline Throughput Benchmark
      // Result" blocks share the labels; only the serving one has latencies. Offline: max-running-requests = batch,
      // so one batch takes batch / (requests/s), as for vLLM.
      r.requests_per_s = first_of(kv, {"Request throughput (req/s)"});
      r.output_tokens_per_s = first_of(kv, {"Output token throughput (tok/s)"});
      r.latency_s = first_of(kv, {"Mean E2E Latency (ms)"}) / 1e3;
      r.ttft_s = first_of(kv, {"Mean TTFT (ms)"}) / 1e3;
      // Some releases print no TPOT section: the mean inter-token latency is the same quantity per token.
      r.tpot_s = first_of(kv, {"Mean TPOT (ms)", "Mean ITL (ms)"}) / 1e3;
      if (r.latency_s <= 0 && r.requests_per_s > 0) r.latency_s = l.batch_size / r.requests_per_s;
      r.message = line_containing(text, "Request throughput (req/s)");
      if (r.latency_s > 0) r.status = "ok";
      break;
    }
  }
  if (r.status != "ok") classify_failure(text, r);
  return r;
}

BenchResult parse_bench_log(BenchTool tool, const std::string& path, const InferenceLayout& layout) {
  std::string text;
  try {
    text = read_file_limited(path, kMaxLogFileBytes, "benchmark log");
  } catch (const IoError& e) {
    BenchResult r;
    r.status = "missing_log";
    r.message = e.what();
    return r;
  }
  return parse_bench_output(tool, text, layout);
}

}  // namespace hp
