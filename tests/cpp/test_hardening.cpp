// Bad input at every entry point (issue 12): zero, negative, NaN, infinite and huge values, broken files and
// binary data end in a ConfigError/IoError naming the key and the value; nothing crashes, hangs or yields a
// negative or non-finite number.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <regex>
#include <string>
#include <vector>

#include <unistd.h>

#include "hp/calibration.hpp"
#include "hp/core.hpp"
#include "hp/catalog.hpp"
#include "hp/files.hpp"
#include "hp/inference_search.hpp"
#include "hp/inference_validate.hpp"
#include "hp/logs.hpp"
#include "hp/nemo_config.hpp"
#include "hp/perf.hpp"
#include "hp/runs.hpp"
#include "hp/run/executor.hpp"
#include "hp/search_config.hpp"
#include "hp/sizing.hpp"

namespace fs = std::filesystem;

namespace {

const int kBadInts[] = {0, -1, -8, std::numeric_limits<int>::min(), std::numeric_limits<int>::max(),
                        hp::kMaxLayoutSize + 1};
const double kBadDoubles[] = {0.0, -1.0, -1e308, 1e308, std::numeric_limits<double>::quiet_NaN(),
                              std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()};

// Every number in a written text: finite and not negative (the issue's "no written file with a negative or
// non-finite number"); a minus inside a word (dates, names like gpt3_5b-...) is not a number.
void check_numbers(const std::string& text) {
  static const std::regex bad(R"((^|[\s:=,\[\(])(-[0-9]|[-+]?(nan|inf)\b|\.nan|\.inf))", std::regex::icase);
  std::smatch m;
  INFO(text.substr(0, 2000));
  CHECK_FALSE(std::regex_search(text, m, bad));
}

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("hp_harden_" + std::to_string(::getpid()) + "_" + std::to_string(rand()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string base_nemo_yaml() {
  hp::BaseConfigRequest r;
  r.size_b = 5;
  return hp::to_nemo_yaml(hp::base_config(r));
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("Layout: a non-positive or huge size never divides by zero and validate() names it", "[hardening]") {
  const hp::ModelSpec m = hp::find_model("gpt3/5b");
  const hp::GpuSpec gpu = hp::find_gpu("h100-sxm");
  const hp::Calibration cal = hp::default_calibration(gpu);
  int hp::Layout::*fields[] = {&hp::Layout::num_gpus, &hp::Layout::tp,  &hp::Layout::pp,  &hp::Layout::vp,
                               &hp::Layout::cp,       &hp::Layout::ep,  &hp::Layout::mbs, &hp::Layout::gbs};
  for (auto f : fields)
    for (int v : kBadInts) {
      hp::Layout l;
      l.*f = v;
      INFO("value " << v);
      CHECK(l.dp() >= 0);
      CHECK(l.num_micro_batches() >= 0);
      const hp::Estimate e = hp::estimate(m, l, gpu, cal);
      CHECK_FALSE(e.fits);
      CHECK(std::isfinite(e.time.step_time_s));
      CHECK_THROWS_AS(hp::validate(l), hp::ConfigError);
    }
  hp::Layout l;
  l.tp = 0;
  CHECK_THROWS_WITH(hp::validate(l), "tp=0: expected an integer in 1..1048576");
  CHECK(hp::estimate(m, l, gpu, cal).reason == hp::Infeasible::invalid_layout);
  hp::Layout big;
  big.num_gpus = hp::kMaxLayoutSize;
  big.tp = big.pp = big.cp = 1024;  // the product overflows 32 bits
  CHECK(hp::estimate(m, big, gpu, cal).reason == hp::Infeasible::gpus_not_divisible);
}

TEST_CASE("ModelSpec: huge sizes are rejected before any count overflows", "[hardening]") {
  const hp::GpuSpec gpu = hp::find_gpu("h100-sxm");
  int hp::ModelSpec::*fields[] = {&hp::ModelSpec::num_layers, &hp::ModelSpec::hidden_size, &hp::ModelSpec::ffn_hidden_size,
                                  &hp::ModelSpec::num_attention_heads, &hp::ModelSpec::vocab_size,
                                  &hp::ModelSpec::seq_length, &hp::ModelSpec::moe_num_experts, &hp::ModelSpec::kv_channels};
  for (auto f : fields)
    for (int v : {-1, std::numeric_limits<int>::min(), std::numeric_limits<int>::max(), 1 << 30}) {
      hp::ModelSpec m = hp::find_model("gpt3/5b");
      m.*f = v;
      INFO("value " << v);
      CHECK_THROWS_AS(hp::validate(m), hp::ConfigError);
      CHECK_THROWS_AS(hp::count_parameters(m), hp::ConfigError);
      const hp::Estimate e = hp::estimate(m, hp::Layout{}, gpu, hp::default_calibration(gpu));
      CHECK(e.reason == hp::Infeasible::invalid_model);
    }
}

TEST_CASE("NeMo config reader: zero parallel sizes and broken structure are ConfigErrors naming the key", "[hardening]") {
  const std::string yaml = base_nemo_yaml();
  const std::pair<std::string, std::string> cases[] = {
      {"tensor_model_parallel_size", "model.tensor_model_parallel_size"},
      {"pipeline_model_parallel_size", "model.pipeline_model_parallel_size"},
      {"micro_batch_size", "model.micro_batch_size"},
      {"num_nodes", "trainer.num_nodes"},
      {"devices", "trainer.devices"}};
  for (const auto& [name, key] : cases)
    for (const char* v : {"0", "-1", "1000000000"}) {
      // The first "  <name>: <value>" line, whatever value the base config has.
      const std::string bad = std::regex_replace(yaml, std::regex("(\n +" + name + ":) [^\n]+"), "$1 " + std::string(v),
                                                 std::regex_constants::format_first_only);
      REQUIRE(bad != yaml);
      INFO(key << "=" << v);
      try {
        (void)hp::parse_nemo_yaml(bad);
        FAIL("no ConfigError");
      } catch (const hp::ConfigError& e) {
        CHECK(e.key() == key);
        CHECK(e.value() == v);
      }
    }
  CHECK_THROWS_AS(hp::parse_nemo_yaml("just a scalar"), hp::ConfigError);
  CHECK_THROWS_AS(hp::parse_nemo_yaml("[1, 2]"), hp::ConfigError);
  CHECK_THROWS_AS(hp::parse_nemo_yaml("model: 5"), hp::ConfigError);
  // No model.optim (GPT) or model.tokenizer (T5): defaults or a ConfigError, never a yaml-cpp exception.
  std::string no_optim = yaml;
  no_optim.replace(no_optim.find("  optim:"), 8, "  optimx:");
  CHECK_NOTHROW(hp::parse_nemo_yaml(no_optim));
  hp::BaseConfigRequest t5;
  t5.family = "t5";
  t5.size_b = 0.22;
  std::string t5_yaml = hp::to_nemo_yaml(hp::base_config(t5));
  t5_yaml.replace(t5_yaml.find("  tokenizer:"), 12, "  tokenizex:");
  CHECK_NOTHROW(hp::parse_nemo_yaml(t5_yaml));
  CHECK_THROWS_AS(hp::parse_nemo_yaml(replace(yaml, "  optim:", "  optim: 5\n  optimx:")), hp::ConfigError);
}

TEST_CASE("File reads: directories, devices and oversized files are IoErrors with the path", "[hardening]") {
  TempDir dir;
  CHECK_THROWS_AS(hp::read_file_limited(dir.path.string(), 100, "config"), hp::IoError);
  CHECK_THROWS_AS(hp::load_gpus_yaml(dir.path.string()), hp::IoError);
  CHECK_THROWS_AS(hp::load_calibrations_yaml(dir.path.string()), hp::IoError);
  CHECK_THROWS_AS(hp::load_nemo_yaml(dir.path.string()), hp::IoError);
  CHECK_THROWS_AS(hp::load_search_config(dir.path.string()), hp::IoError);
  CHECK_THROWS_AS(hp::read_csv(dir.path.string()), hp::IoError);
  CHECK_THROWS_AS(hp::parse_log_file(dir.path.string()), hp::IoError);
  if (fs::exists("/dev/zero")) {
    CHECK_THROWS_WITH(hp::read_file_limited("/dev/zero", 1 << 20, "YAML config"),
                      Catch::Contains("larger than the 1 MiB limit"));
  }
  const fs::path big = dir.path / "big.yaml";
  hp::write_file_atomic(big.string(), std::string(2 << 20, '#'));
  CHECK_THROWS_WITH(hp::read_file_limited(big.string(), 1 << 20, "YAML config"), Catch::Contains("the limit is 1 MiB"));
  CHECK(hp::read_file_limited(big.string(), 4 << 20, "YAML config").size() == (2u << 20));
  // Atomic writes leave no temporary file behind, and a failed one leaves nothing.
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator{}) == 1);
  CHECK_THROWS_AS(hp::write_file_atomic((big / "child").string(), "x"), hp::IoError);
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator{}) == 1);
}

TEST_CASE("Binary data is not a CSV table", "[hardening]") {
  const std::string binary("\x7f" "ELF\x02\x01\x01\x00\x00,\xff\xfe\n1,2\n", 17);
  CHECK_THROWS_WITH(hp::parse_csv(binary, "x.csv"), Catch::Contains("not UTF-8 text"));
  CHECK_THROWS_AS(hp::parse_inference_measurements_csv(binary, "x.csv"), hp::ConfigError);
  // A text CSV with no usable row: calibrating on it is an error, not the priors written back.
  const hp::Table t = hp::parse_csv("a,b\n1,2\n", "x.csv");
  CHECK_THROWS_AS(hp::fit_calibrations(hp::runs_from_table(t)), hp::ConfigError);
  // Negative and absurd measured values are row errors.
  const hp::Table neg = hp::parse_csv(
      "model,num_layers,hidden_size,num_attention_heads,seq_length,num_gpus,gbs,gpu_type,step_time_s\n"
      "m,24,2048,16,2048,8,256,H100-SXM-80GB,-1\n"
      "m,24,2048,16,2048,8,256,H100-SXM-80GB,inf\n"
      "m,24,2000000000,16,2048,8,256,H100-SXM-80GB,1\n"
      "m,24,2048,16,2048,8,256,H100-SXM-80GB,1\n", "x.csv");
  const auto runs = hp::runs_from_table(neg);
  REQUIRE(runs.size() == 4);
  CHECK_FALSE(runs[0].ok());
  CHECK_FALSE(runs[1].ok());
  CHECK_FALSE(runs[2].ok());
  CHECK(runs[3].ok());
}

TEST_CASE("Sizing and base config: zero, negative, NaN, infinite and huge inputs", "[hardening]") {
  double hp::SizingInput::*fields[] = {&hp::SizingInput::tflops_per_gpu, &hp::SizingInput::max_training_days,
                                       &hp::SizingInput::num_tokens_in_b};
  for (auto f : fields)
    for (double v : kBadDoubles) {
      hp::SizingInput in;
      in.*f = v;
      INFO("value " << v);
      CHECK_THROWS_AS(hp::recommend_model_size(in), hp::ConfigError);
    }
  for (int v : kBadInts) {
    hp::SizingInput in;
    in.num_gpus = v;
    CHECK_THROWS_AS(hp::recommend_model_size(in), hp::ConfigError);
  }
  double hp::BaseConfigRequest::*dfields[] = {&hp::BaseConfigRequest::size_b, &hp::BaseConfigRequest::max_training_days,
                                              &hp::BaseConfigRequest::num_tokens_in_b};
  for (auto f : dfields)
    for (double v : kBadDoubles) {
      hp::BaseConfigRequest r;
      r.*f = v;
      INFO("value " << v);
      CHECK_THROWS_AS(hp::base_config(r), hp::ConfigError);
    }
  int hp::BaseConfigRequest::*ifields[] = {&hp::BaseConfigRequest::num_nodes, &hp::BaseConfigRequest::gpus_per_node};
  for (auto f : ifields)
    for (int v : kBadInts) {
      hp::BaseConfigRequest r;
      r.*f = v;
      CHECK_THROWS_AS(hp::base_config(r), hp::ConfigError);
    }
  // The largest accepted values still write only finite, non-negative numbers.
  hp::BaseConfigRequest r;
  r.max_training_days = hp::kMaxTrainingDays;
  r.num_tokens_in_b = hp::kMaxTokensB;
  const hp::TrainingConfig c = hp::base_config(r);
  CHECK(c.max_steps > 0);
  check_numbers(hp::to_nemo_yaml(c));
  hp::BaseConfigRequest tiny;
  tiny.max_training_days = 1e-9;
  tiny.num_tokens_in_b = 1e-9;
  check_numbers(hp::to_nemo_yaml(hp::base_config(tiny)));
}

TEST_CASE("Search config: non-finite and out-of-range numbers are ConfigErrors", "[hardening]") {
  const std::string ok = "train_settings:\n  model_size_in_b: 5\n  num_nodes: 1\n";
  CHECK_NOTHROW(hp::parse_search_config(ok));
  for (const char* line : {"  num_nodes: 0\n", "  num_nodes: -3\n", "  num_nodes: 2000000\n", "  max_training_days: .inf\n",
                           "  max_training_days: .nan\n", "  num_tokens_in_b: 1e30\n", "  tflops_per_gpu: -5\n",
                           "  memory_margin: .nan\n", "  tensor_parallel_sizes: [0]\n", "  micro_batch_sizes: [-1]\n",
                           "  gpus_per_node: false\n", "  seq_length: 99999999999\n"}) {
    INFO(line);
    CHECK_THROWS_AS(hp::parse_search_config("train_settings:\n  model_size_in_b: 5\n" + std::string(line)), hp::ConfigError);
  }
  for (const char* v : {".inf", "-.inf", ".nan", "-1"}) {
    INFO(v);
    CHECK_THROWS_AS(hp::parse_search_config("model: gpt3\ninference_settings:\n  max_latency_ms: " + std::string(v) + "\n"),
                    hp::ConfigError);
  }
}

TEST_CASE("Pareto SVG: an infinite bound or latency cannot make the tick loop run forever", "[hardening]") {
  hp::InferenceSettings s;
  s.model = "gpt3/5b";
  s.tensor_parallel_sizes = {1};
  s.pipeline_parallel_sizes = {1};
  s.max_batch_sizes = {1, 8};
  s.input_seq_lengths = {60};
  s.output_seq_lengths = {20};
  const hp::GpuSpec gpu = hp::find_gpu("h100-sxm");
  hp::InferenceSearchResult r = hp::inference_search(hp::find_model("gpt3/5b"), gpu, s, hp::InferenceCalibration{});
  s.max_latency_ms = std::numeric_limits<double>::infinity();
  CHECK_THROWS_AS(hp::inference_search(hp::find_model("gpt3/5b"), gpu, s, hp::InferenceCalibration{}), hp::ConfigError);
  r.settings.max_latency_ms = std::numeric_limits<double>::infinity();
  REQUIRE_FALSE(r.candidates.empty());
  r.candidates.front().estimate.latency_s = 1e-300;  // 300 decades below the others
  const std::string svg = hp::inference_pareto_svg(r);
  CHECK(svg.size() < 200000);
  CHECK(svg.find("</svg>") != std::string::npos);
}

TEST_CASE("Calibration and GPU files: NaN and infinite values are ConfigErrors", "[hardening]") {
  TempDir dir;
  for (const char* v : {".nan", ".inf", "-1", "1e400"}) {
    const std::string cal = (dir.path / "cal.yaml").string();
    hp::write_file_atomic(cal, std::string("calibrations:\n  - gpu_family: hopper\n    gemm_efficiency: ") + v + "\n");
    INFO(v);
    CHECK_THROWS_AS(hp::load_calibrations_yaml(cal), hp::ConfigError);
    const std::string gpus = (dir.path / "gpus.yaml").string();
    hp::write_file_atomic(gpus, std::string("gpus:\n  - name: x\n    base: h100-sxm\n    memory_gb: ") + v + "\n");
    CHECK_THROWS_AS(hp::load_gpus_yaml(gpus), hp::ConfigError);
  }
  const std::string cal = (dir.path / "cal.yaml").string();
  hp::write_file_atomic(cal, "calibrations: 5\n");
  CHECK_THROWS_AS(hp::load_calibrations_yaml(cal), hp::ConfigError);
  hp::write_file_atomic(cal, "calibrations:\n  - {[1]: 2}\n");
  CHECK_THROWS_AS(hp::load_calibrations_yaml(cal), hp::ConfigError);
}

TEST_CASE("Logs: zero, negative, NaN and absurd step times are not measurements", "[hardening]") {
  std::string text;
  const double values_ms[] = {1000, -1000, 0, 1e308, 1000, 1000, 1000, 1000, 1000, 1000};
  for (int i = 0; i < 10; ++i)
    text += " iteration " + std::to_string(i + 1) + "/ 10 | elapsed time per iteration (ms): " +
            std::to_string(values_ms[i]) + " |\n";
  text += " iteration 1e300/ 10 | elapsed time per iteration (ms): 1000 |\n";  // not a count
  const hp::TrainingLog log = hp::parse_console_log(text);
  CHECK(log.step_times_s.size() == 7);
  for (double s : log.step_times_s) CHECK(s == 1.0);
  CHECK_FALSE(hp::nemo_step_time({1, 1, 1, 1, 1, 1, -1, 1}).valid);
  CHECK_FALSE(hp::nemo_step_time({1, 1, 1, 1, 1, 1, std::nan(""), 1}).valid);
  CHECK_FALSE(hp::nemo_step_time({1, 1, 1, 1, 1, 1, 1e308, 1}).valid);
  std::vector<hp::ScalarPoint> pts;
  for (int i = 0; i < 10; ++i) pts.push_back({i, 1.0 * i, i == 7 ? std::nan("") : i == 8 ? -2.0 : 1.5});
  TempDir dir;
  const std::string tb = (dir.path / "events.out.tfevents.1").string();
  hp::write_file_atomic(tb, hp::encode_tensorboard_scalars(hp::kStepTimingTag, pts, false));
  const hp::TrainingLog tlog = hp::parse_log_file(tb);
  CHECK(tlog.step_times_s.size() == 8);
  for (double s : tlog.step_times_s) CHECK(s == 1.5);
}

TEST_CASE("Messages: binary values are printed escaped", "[hardening]") {
  const hp::ConfigError e("key", std::string("a\x01\xff", 3), "why");
  CHECK(std::string(e.what()) == "key=a\\x01\\xff: why");
  CHECK(e.value() == std::string("a\x01\xff", 3));
}

TEST_CASE("Local executor: a symlink placed at a trial's log path is not followed", "[hardening][runner]") {
  TempDir dir;
  const fs::path target = dir.path / "precious.txt";
  hp::write_file_atomic(target.string(), "keep me\n");
  const fs::path log = dir.path / "log.out";
  fs::create_symlink(target, log);
  auto ex = hp::run::make_executor({"local", 1, 0.5, {}});
  hp::run::JobRequest r;
  r.name = "t";
  r.argv = {"true"};
  r.stdout_path = log.string();
  r.stderr_path = (dir.path / "log.err").string();
  CHECK_THROWS_WITH(ex->submit(r), Catch::Contains("symbolic link"));
  CHECK(hp::read_file_limited(target.string(), 100, "file") == "keep me\n");
}

TEST_CASE("Slurm options: control characters and bad cluster values are rejected", "[hardening][runner]") {
  const std::pair<std::string, std::string> bad[] = {
      {"cluster.sbatch_args[0]", "--exclusive\ntouch /tmp/x"}, {"cluster.partition", "a\nb"},
      {"cluster.gpus_per_node", "false"},                       {"cluster.gpus_per_node", "-2"},
      {"executor.max_concurrent", "0"},                         {"executor.kill_grace_s", "-1"},
      {"cluster.ntasks_per_node", "x"}};
  for (const auto& [k, v] : bad) {
    INFO(k << "=" << v);
    CHECK_THROWS_AS(hp::run::executor_options_from_config({{k, v}}, "slurm"), hp::ConfigError);
  }
  CHECK(hp::run::executor_options_from_config({{"cluster.gpus_per_node", "8"}}, "slurm").slurm.gpus_per_node_flag);
  CHECK_FALSE(hp::run::executor_options_from_config({{"cluster.gpus_per_node", "null"}}, "slurm").slurm.gpus_per_node_flag);
  hp::run::SlurmOptions o;
  o.sbatch_args = {"--exclusive\ntouch /tmp/x"};
  hp::run::JobRequest r;
  r.name = "t";
  r.argv = {"true"};
  CHECK_THROWS_AS(hp::run::render_sbatch_script(r, o), hp::ConfigError);
}
