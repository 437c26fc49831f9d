// Log parsers on log excerpts in the real formats (tests/data/logs/) and on TensorBoard event files.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <string>

#include "hp/core.hpp"
#include "hp/logs.hpp"

namespace {

std::string data(const std::string& name) { return std::string(HP_SOURCE_DIR) + "/tests/data/logs/" + name; }

std::string temp_file(const std::string& name, const std::string& bytes) {
  std::string path = std::string(HP_BINARY_DIR) + "/test_logs_" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::vector<hp::ScalarPoint> points(const std::vector<double>& values) {
  std::vector<hp::ScalarPoint> out;
  for (std::size_t i = 0; i < values.size(); ++i) out.push_back({static_cast<long long>(i), 1.7e9 + i, values[i]});
  return out;
}

}  // namespace

TEST_CASE("crc32c matches the Castagnoli check value", "[logs]") {
  const char* s = "123456789";
  CHECK(hp::crc32c(s, 9) == 0xE3069283U);  // RFC 3720 B.4 check value
  CHECK(hp::masked_crc32c(s, 9) != hp::crc32c(s, 9));
}

TEST_CASE("TensorBoard events: simple_value and tensor forms round-trip", "[logs]") {
  std::vector<double> v = {9.5, 3.25, 3.0, 3.125, 3.0, 2.875, 3.0, 3.0};
  for (bool tensor : {false, true}) {
    std::string bytes = hp::encode_tensorboard_scalars(hp::kStepTimingTag, points(v), tensor);
    auto got = hp::parse_tensorboard_scalars(bytes);
    REQUIRE(got.size() == v.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
      CHECK(got[i].step == static_cast<long long>(i));
      CHECK(got[i].value == Approx(v[i]));
    }
    CHECK(hp::parse_tensorboard_scalars(bytes, "other tag").empty());
  }
}

TEST_CASE("TensorBoard events: CRC mismatch throws, truncated tail is ignored", "[logs]") {
  std::string bytes = hp::encode_tensorboard_scalars(hp::kStepTimingTag, points({1, 2, 3}));
  std::string truncated = bytes.substr(0, bytes.size() - 7);
  CHECK(hp::parse_tensorboard_scalars(truncated).size() == 2);
  std::string corrupt = bytes;
  corrupt[bytes.size() - 10] ^= 0x40;  // a byte inside the last record's data
  CHECK_THROWS_AS(hp::parse_tensorboard_scalars(corrupt, hp::kStepTimingTag, "x.tfevents"), hp::LogParseError);
  CHECK_THROWS_WITH(hp::parse_tensorboard_scalars(corrupt, hp::kStepTimingTag, "x.tfevents"),
                    Catch::Contains("x.tfevents") && Catch::Contains("CRC"));
}

TEST_CASE("parse_log_file detects an event file by name and by content", "[logs]") {
  std::string bytes = hp::encode_tensorboard_scalars(hp::kStepTimingTag, points({5, 4, 3, 2, 1, 1, 1}));
  auto by_name = hp::parse_log_file(temp_file("events.out.tfevents.1700000000.node1.123.0", bytes));
  auto by_content = hp::parse_log_file(temp_file("renamed.bin", bytes));
  for (const auto& log : {by_name, by_content}) {
    CHECK(log.format == hp::LogFormat::tensorboard);
    REQUIRE(log.step_times_s.size() == 7);
    CHECK(log.step_times_s[0] == Approx(5));
  }
}

TEST_CASE("NeMo 1.x progress bar (carriage-return updates, global_step=)", "[logs]") {
  auto log = hp::parse_log_file(data("nemo1_progress.out"));
  CHECK(log.format == hp::LogFormat::nemo);
  REQUIRE(log.iterations.size() == 10);
  CHECK(log.iterations.front() == 0);
  CHECK(log.iterations.back() == 9);
  CHECK(log.step_times_s[0] == Approx(9.812));
  CHECK(log.step_times_s[9] == Approx(2.902));
  CHECK(log.failure.kind == hp::FailureKind::none);
  auto st = hp::nemo_step_time(log.step_times_s);
  REQUIRE(st.valid);
  CHECK(st.num_used == 5);
  CHECK(st.mean_s == Approx((2.907 + 2.911 + 2.905 + 2.898 + 2.902) / 5).margin(1e-4));
}

TEST_CASE("NeMo 2.0 progress printer with TFLOPS and memory", "[logs]") {
  auto log = hp::parse_log_file(data("nemo2_progress.out"));
  CHECK(log.format == hp::LogFormat::nemo);
  REQUIRE(log.step_times_s.size() == 8);
  CHECK(log.step_times_s[1] == Approx(3.104));
  CHECK(log.tflops_per_gpu[1] == Approx(400.7).margin(0.1));
  REQUIRE_FALSE(log.memory.empty());
  CHECK(log.memory.back().max_allocated_bytes == Approx(62777982976.0));
  CHECK(log.memory.back().max_reserved_bytes == Approx(64286097408.0));
}

TEST_CASE("Megatron-LM iteration and memory lines", "[logs]") {
  auto log = hp::parse_log_file(data("megatron_iters.out"));
  CHECK(log.format == hp::LogFormat::megatron);
  REQUIRE(log.iterations.size() == 9);
  CHECK(log.iterations[0] == 1);
  CHECK(log.step_times_s[0] == Approx(4.2117));
  CHECK(log.step_times_s[1] == Approx(1.3024));
  CHECK(log.tflops_per_gpu[1] == Approx(180.0).margin(0.1));
  REQUIRE(log.memory.size() == 1);
  CHECK(log.memory[0].rank == 0);
  CHECK(log.memory[0].iteration == 1);
  CHECK(log.memory[0].max_allocated_bytes == Approx(50664.2548828125 * 1024 * 1024));
  CHECK(log.memory[0].max_reserved_bytes == Approx(54556.0 * 1024 * 1024));
}

TEST_CASE("failure classes with their evidence line", "[logs]") {
  struct Case {
    const char* file;
    hp::FailureKind kind;
    const char* evidence;
    int line;
  };
  const Case cases[] = {
      {"oom.err", hp::FailureKind::cuda_oom, "torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB", 8},
      {"nccl_timeout.err", hp::FailureKind::nccl_timeout, "Watchdog caught collective operation timeout", 1},
      {"nccl_error.err", hp::FailureKind::nccl_error, "NCCL error in:", 4},
      {"slurm_timeout.out", hp::FailureKind::time_limit, "*** JOB 48213 ON node011 CANCELLED AT", 2},
      {"slurm_cancelled.out", hp::FailureKind::slurm_cancelled, "*** JOB 48230 ON node004 CANCELLED AT", 3},
      {"node_fail.out", hp::FailureKind::slurm_node_fail, "DUE TO NODE FAILURE", 3},
  };
  for (const Case& c : cases) {
    INFO(c.file);
    auto log = hp::parse_log_file(data(c.file));
    CHECK(log.failure.kind == c.kind);
    CHECK_THAT(log.failure.evidence, Catch::Contains(c.evidence));
    CHECK(log.failure.source == data(c.file) + ":" + std::to_string(c.line));
  }
}

TEST_CASE("a cancelled step (srun --kill-on-bad-exit) is not a cancelled job", "[logs]") {
  auto f = hp::classify_text("slurmstepd-n1: error: *** STEP 4.0 ON n1 CANCELLED AT 2026-11-28T06:05:53 ***\n"
                             "srun: error: n2: tasks 2-3: Exited with exit code 2\n");
  CHECK(f.kind == hp::FailureKind::nonzero_exit);
  CHECK(f.source == "<text>:2");
}

TEST_CASE("NeMo step-time rule: skip 5, need at least 7 points", "[logs]") {
  CHECK_FALSE(hp::nemo_step_time({9, 1, 1, 1, 1, 1}).valid);
  auto st = hp::nemo_step_time({9, 9, 9, 9, 9, 2, 4});
  REQUIRE(st.valid);
  CHECK(st.num_points == 7);
  CHECK(st.num_used == 2);
  CHECK(st.mean_s == Approx(3.0));
  CHECK(st.stddev_s == Approx(1.0));
  CHECK(st.spread == Approx(2.0 / 3.0));
  CHECK(hp::nemo_step_time({1, 1, 1, 1, 1, 1.23456, 1.23456}).mean_s == Approx(1.2346));
}

TEST_CASE("classify_trial: text evidence, scheduler state, exit status, no steps", "[logs]") {
  auto oom = hp::parse_log_file(data("oom.err"));
  hp::StepTimeStats none;
  CHECK(hp::classify_trial({oom}, {"FAILED", 1, 0}, none).kind == hp::FailureKind::cuda_oom);
  CHECK(hp::classify_trial({}, {"NODE_FAIL", 0, 0}, none).kind == hp::FailureKind::slurm_node_fail);
  CHECK(hp::classify_trial({}, {"TIMEOUT", 0, 15}, none).kind == hp::FailureKind::time_limit);
  CHECK(hp::classify_trial({}, {"CANCELLED by 0", 0, 0}, none).kind == hp::FailureKind::slurm_cancelled);
  auto crash = hp::classify_trial({}, {"", 3, 0}, none);
  CHECK(crash.kind == hp::FailureKind::nonzero_exit);
  CHECK(crash.evidence == "exit code 3");
  CHECK(hp::classify_trial({}, {"", 0, 9}, none).evidence == "killed by signal 9");
  auto few = hp::classify_trial({hp::parse_console_log("train_step_timing in s=1.0\n")}, {}, none);
  CHECK(few.kind == hp::FailureKind::no_steps);
  CHECK_THAT(few.evidence, Catch::Contains("1 steps logged"));
  // A time limit that hit after enough steps still gives a measurement (NeMo uses any run with >= 7 points).
  auto ok = hp::nemo_step_time({1, 1, 1, 1, 1, 1, 1});
  CHECK(hp::classify_trial({hp::parse_log_file(data("slurm_timeout.out"))}, {"TIMEOUT", 0, 15}, ok).kind ==
        hp::FailureKind::none);
  CHECK(hp::failure_kind_from_string("nccl_timeout") == hp::FailureKind::nccl_timeout);
  CHECK_THROWS_AS(hp::failure_kind_from_string("bogus"), hp::ConfigError);
}

TEST_CASE("NeMo lines without a step number are numbered from 0", "[logs]") {
  // No global_step, iteration or progress count on the line: the steps count up from 0 in order of appearance.
  auto log = hp::parse_log_file(
      temp_file("no_step.out", "x | train_step_timing in s: 4.5 | y\nx | train_step_timing in s: 2.5 | y\n"));
  CHECK(log.format == hp::LogFormat::nemo);
  REQUIRE(log.iterations.size() == 2);
  CHECK(log.iterations[0] == 0);
  CHECK(log.iterations[1] == 1);
  CHECK(log.step_times_s[1] == Approx(2.5));
}
