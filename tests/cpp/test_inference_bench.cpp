// Benchmark job templates and output parsers (fixtures in tests/data/inference/).
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "hp/catalog.hpp"
#include "hp/core.hpp"
#include "hp/inference_bench.hpp"

namespace {
std::string fixture(const std::string& name) { return std::string(HP_SOURCE_DIR) + "/tests/data/inference/" + name; }
hp::InferenceLayout layout(int tp, int bs, int in, int out) {
  hp::InferenceLayout l;
  l.tp = tp;
  l.batch_size = bs;
  l.input_len = in;
  l.output_len = out;
  return l;
}
}  // namespace

TEST_CASE("bench parsers: FasterTransformer (NeMo's line)", "[inference][bench]") {
  const auto l = layout(2, 64, 60, 20);
  auto r = hp::parse_bench_log(hp::BenchTool::fastertransformer, fixture("ft_ok.log"), l);
  CHECK(r.status == "ok");
  CHECK(r.latency_s == Approx(0.26147));
  CHECK(r.output_tokens_per_s == Approx(64 * 20 / 0.26147));
  CHECK(hp::parse_bench_log(hp::BenchTool::fastertransformer, fixture("ft_oom.log"), l).status == "out_of_memory");
  CHECK(hp::parse_bench_log(hp::BenchTool::fastertransformer, fixture("ft_timeout.log"), l).status == "timeout");
  CHECK(hp::parse_bench_log(hp::BenchTool::fastertransformer, fixture("ft_no_result.log"), l).status == "no_result");
  // NeMo's summary crashes on a missing log; ours reports it.
  const auto missing = hp::parse_bench_log(hp::BenchTool::fastertransformer, fixture("does_not_exist.log"), l);
  CHECK(missing.status == "missing_log");
  CHECK_THAT(missing.message, Catch::Contains("does_not_exist.log"));
  CHECK(hp::parse_bench_output(hp::BenchTool::fastertransformer, "", l).status == "no_result");
  CHECK(hp::parse_bench_output(hp::BenchTool::fastertransformer, "FT-CPP-decoding-beamsearch-time garbage ms", l).status ==
        "no_result");
}

TEST_CASE("bench parsers: trtllm-bench", "[inference][bench]") {
  const auto l = layout(1, 64, 128, 128);
  auto r = hp::parse_bench_log(hp::BenchTool::trtllm, fixture("trtllm_bench_throughput.log"), l);
  CHECK(r.status == "ok");
  CHECK(r.latency_s == Approx(1.4792210));
  CHECK(r.ttft_s == Approx(0.2291112));
  CHECK(r.tpot_s == Approx(0.0098433));
  CHECK(r.output_tokens_per_s == Approx(5530.7382));
  CHECK(r.requests_per_s == Approx(43.2089));
  auto legacy = hp::parse_bench_log(hp::BenchTool::trtllm, fixture("trtllm_bench_legacy.log"), l);
  CHECK(legacy.status == "ok");
  CHECK(legacy.output_tokens_per_s == Approx(23405.927228471104));
  CHECK(legacy.latency_s == Approx(64 / 182.8588064724305));
}

TEST_CASE("bench parsers: vLLM throughput and serving", "[inference][bench]") {
  const auto l = layout(1, 64, 60, 20);
  auto t = hp::parse_bench_log(hp::BenchTool::vllm, fixture("vllm_throughput.log"), l);
  CHECK(t.status == "ok");
  CHECK(t.requests_per_s == Approx(79.87));
  CHECK(t.latency_s == Approx(64 / 79.87));
  CHECK(t.output_tokens_per_s == Approx(1597.40));
  auto s = hp::parse_bench_log(hp::BenchTool::vllm, fixture("vllm_serving.log"), l);
  CHECK(s.status == "ok");
  CHECK(s.latency_s == Approx(0.49415));
  CHECK(s.ttft_s == Approx(0.08812));
  CHECK(s.tpot_s == Approx(0.02137));
  CHECK(s.output_tokens_per_s == Approx(411.90));
  CHECK(hp::parse_bench_log(hp::BenchTool::vllm, fixture("vllm_oom.log"), l).status == "out_of_memory");
}

TEST_CASE("bench parsers: SGLang offline throughput and serving", "[inference][bench]") {
  const auto l = layout(1, 64, 60, 20);
  auto t = hp::parse_bench_log(hp::BenchTool::sglang, fixture("sglang_offline.log"), l);
  CHECK(t.status == "ok");
  CHECK(t.requests_per_s == Approx(75.07));
  CHECK(t.latency_s == Approx(64 / 75.07));  // no latency printed offline: one batch at the request rate
  CHECK(t.output_tokens_per_s == Approx(1501.47));
  CHECK(t.ttft_s == 0);
  auto s = hp::parse_bench_log(hp::BenchTool::sglang, fixture("sglang_serving.log"), l);
  CHECK(s.status == "ok");
  CHECK(s.latency_s == Approx(2.93045));
  CHECK(s.ttft_s == Approx(0.41266));
  CHECK(s.tpot_s == Approx(0.13251));  // no TPOT section in this release's output: the mean ITL
  CHECK(s.output_tokens_per_s == Approx(431.34));
  CHECK(hp::parse_bench_log(hp::BenchTool::sglang, fixture("vllm_oom.log"), l).status == "out_of_memory");
  CHECK(hp::parse_bench_log(hp::BenchTool::sglang, fixture("ft_ok.log"), l).status == "no_result");
  CHECK(hp::bench_tool_from_string("k", "SGLang") == hp::BenchTool::sglang);
  CHECK(std::string(hp::to_string(hp::BenchTool::sglang)) == "sglang");
}

TEST_CASE("bench jobs: SGLang argument vectors", "[inference][bench]") {
  const auto model = hp::find_model("gpt3/5b");
  auto l = layout(2, 16, 60, 20);
  hp::BenchOptions o;
  o.model_path = "/ckpt/it's here";
  const auto off = hp::bench_job(hp::BenchTool::sglang, model, l, o, "x");
  REQUIRE(off.commands.size() == 1);
  const std::vector<std::string> want = {"python3", "-m", "sglang.bench_offline_throughput", "--model-path",
                                         "/ckpt/it's here", "--tp-size", "2", "--pp-size", "1",
                                         "--max-running-requests", "16", "--dataset-name", "random",
                                         "--random-input-len", "60", "--random-output-len", "20",
                                         "--random-range-ratio", "1", "--num-prompts", "64"};
  CHECK(off.commands[0] == want);
  o.vllm_mode = "serving";
  const auto srv = hp::bench_job(hp::BenchTool::sglang, model, l, o, "x");
  REQUIRE(srv.commands.size() == 3);
  CHECK(srv.background == std::vector<bool>{true, false, false});
  CHECK(srv.commands[0][2] == "sglang.launch_server");
  CHECK(srv.commands[2][2] == "sglang.bench_serving");
  CHECK_THAT(hp::bench_script(srv, hp::ScriptOptions{}),
             Catch::Contains("'/ckpt/it'\\''s here'") && Catch::Contains("kill \"$SERVER_PID\""));
  o.vllm_mode = "offline";
  CHECK_THROWS_WITH(hp::bench_job(hp::BenchTool::sglang, model, l, o, "x"), Catch::Contains("vllm_mode=offline"));
}

TEST_CASE("bench jobs: FT config.ini, argument vectors, quoted scripts", "[inference][bench]") {
  const auto model = hp::find_model("gpt3/5b");
  auto l = layout(8, 16, 60, 20);
  l.pp = 2;
  hp::BenchOptions o;
  o.model_path = "/ckpt/it's here";
  const auto ft = hp::bench_job(hp::BenchTool::fastertransformer, model, l, o, "gpt3_5b_tp8_pp2_bs16");
  CHECK(ft.num_nodes == 2);  // NeMo's nodes_necessary
  CHECK(ft.tasks_per_node == 8);
  REQUIRE(ft.files.size() == 2);
  CHECK_THAT(ft.files[0].second, Catch::Contains("tensor_para_size=8") && Catch::Contains("pipeline_para_size=2") &&
                                     Catch::Contains("request_batch_size=16") && Catch::Contains("max_seq_len=80") &&
                                     Catch::Contains("inter_size=16384") && Catch::Contains("head_num=32"));
  std::istringstream ids(ft.files[1].second);
  int rows = 0;
  for (std::string line; std::getline(ids, line);) ++rows;
  CHECK(rows == 16);
  hp::ScriptOptions so;
  so.slurm = true;
  so.partition = "batch";
  const auto script = hp::bench_script(ft, so);
  CHECK_THAT(script, Catch::Contains("#SBATCH --nodes=2") && Catch::Contains("#SBATCH --ntasks-per-node=8") &&
                         Catch::Contains("srun --mpi=pmix '/opt/FasterTransformer/build/bin/multi_gpu_gpt_example'") &&
                         Catch::Contains("export NCCL_LAUNCH_MODE='GROUP'"));
  so.partition = "batch; rm -rf /";
  CHECK_THROWS_WITH(hp::bench_script(ft, so), Catch::Contains("partition=batch; rm -rf /"));

  const auto trt = hp::bench_job(hp::BenchTool::trtllm, model, l, o, "x");
  REQUIRE(trt.commands.size() == 2);
  CHECK(trt.commands[1][0] == "trtllm-bench");
  CHECK(trt.commands[1][2] == "/ckpt/it's here");  // a value stays one argument
  const auto local = hp::bench_script(trt, hp::ScriptOptions{});
  CHECK_THAT(local, Catch::Contains("'/ckpt/it'\\''s here'") && Catch::Contains("> 'dataset.jsonl'"));

  o.vllm_mode = "serving";
  const auto vs = hp::bench_job(hp::BenchTool::vllm, model, l, o, "x");
  CHECK(vs.background.front());
  CHECK_THAT(hp::bench_script(vs, hp::ScriptOptions{}), Catch::Contains("kill \"$SERVER_PID\""));
  o.vllm_mode = "offline";
  CHECK_THROWS_WITH(hp::bench_job(hp::BenchTool::vllm, model, l, o, "x"), Catch::Contains("vllm_mode=offline"));
  CHECK_THROWS_WITH(hp::bench_tool_from_string("inference_settings.benchmark_tool", "triton"),
                    Catch::Contains("inference_settings.benchmark_tool=triton"));
}

// The log is complete when the script exits: a job's result line is read right after the process ends, so a tee
// that outlives the script (bash does not wait for `exec > >(tee ...)`) loses the last lines under load (seen as
// a flaky `no_result` for a job that printed its result, under load). The race needs a busy machine to show, so
// this test pins the contract (all lines, the command's exit code) and the structure that guarantees it.
TEST_CASE("bench script: the log holds every line and the exit code when the script ends", "[inference]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("hp_bench_tee_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  hp::BenchJob j;
  j.commands = {{"bash", "-c", "seq 1 200000; echo 'last line'; exit 3"}};
  j.stdout_files = {""};
  j.background = {false};
  {
    std::ofstream(dir / "run.sh") << hp::bench_script(j, hp::ScriptOptions{});
  }
  const std::string cmd = "bash '" + (dir / "run.sh").string() + "' > /dev/null";
  const int raw = std::system(cmd.c_str());
  std::ifstream log(dir / "bench.log");
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  fs::remove_all(dir);
  CHECK(WIFEXITED(raw));
  CHECK(WEXITSTATUS(raw) == 3);
  CHECK(text.size() > 1000000);
  CHECK(text.find("200000\nlast line\n") != std::string::npos);
  const std::string script = hp::bench_script(j, hp::ScriptOptions{});
  CHECK(script.find(">(") == std::string::npos);  // no process substitution for the log
  CHECK_THAT(script, Catch::Contains("| tee -a 'bench.log'"));
}
