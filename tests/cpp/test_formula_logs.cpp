// The log readers (logs.cpp) on lines written here in each tool's documented format, with exact expected values
// (issue 17, mutation testing). Formats: Megatron-LM training.py training_log() and its memory report
// ("[Rank r] (after n iterations) memory (MB) | allocated: ... | max allocated: ... | reserved: ... | max reserved:
// ..."), NeMo 1.x's PyTorch Lightning tqdm bar (`| 7/15 [`, `global_step=`, `train_step_timing in s=`), NeMo 2.0's
// ProgressPrinter (`iteration 17/99 | ... | train_step_timing in s: ... | TFLOPS_per_GPU: ...`); NeMo's step-time
// rule (compare_throughput.py: skip the first 5 steps, need at least 7 points, round(sum / len, 4)).
#include <catch2/catch.hpp>

#include <string>

#include "hp/core.hpp"
#include "hp/logs.hpp"

namespace {
constexpr double kMiB = 1024.0 * 1024.0;
}

TEST_CASE("Megatron memory report: rank, iteration and the four MiB figures", "[logs][formula]") {
  const hp::TrainingLog log = hp::parse_console_log(
      "[Rank 3] (after 20 iterations) memory (MB) | allocated: 1234.5 | max allocated: 2345.25 | reserved: 3000.0 | "
      "max reserved: 3500.75\n"
      "(after 7 iterations) memory (MB) | max allocated: 10\n"
      "[Rank 5000000000] (after 3 iterations) memory (MB) | allocated: 1\n");
  REQUIRE(log.memory.size() == 3);
  CHECK(log.memory[0].rank == 3);
  CHECK(log.memory[0].iteration == 20);
  CHECK(log.memory[0].allocated_bytes == 1234.5 * kMiB);
  CHECK(log.memory[0].max_allocated_bytes == 2345.25 * kMiB);
  CHECK(log.memory[0].reserved_bytes == 3000.0 * kMiB);
  CHECK(log.memory[0].max_reserved_bytes == 3500.75 * kMiB);
  CHECK(log.memory[1].rank == -1);  // no rank on the line
  CHECK(log.memory[1].iteration == 7);
  CHECK(log.memory[1].allocated_bytes == 0);
  CHECK(log.memory[1].max_allocated_bytes == 10 * kMiB);
  CHECK(log.memory[2].rank == -1);  // not a rank (above 1e9)
  CHECK(log.memory[2].iteration == 3);
  CHECK(log.format == hp::LogFormat::unknown);
  CHECK(log.iterations.empty());
  // A line is one kind: a memory report is not also read as a NeMo step, whatever else it carries.
  const hp::TrainingLog mixed = hp::parse_console_log(
      "[Rank 0] (after 5 iterations) memory (MB) | allocated: 1 | train_step_timing in s=2.0\n");
  CHECK(mixed.memory.size() == 1);
  CHECK(mixed.iterations.empty());
}

TEST_CASE("Megatron iteration lines: ms to s, TFLOP/s, a repeated iteration keeps its last value", "[logs][formula]") {
  const hp::TrainingLog log = hp::parse_console_log(
      " [2024-05-01 10:00:00] iteration       10/     500 | consumed samples: 640 | elapsed time per iteration (ms): "
      "1234.5 | throughput per GPU (TFLOP/s/GPU): 180.25 |\n"
      " iteration 11/500 | elapsed time per iteration (ms): 1000.0 |\n"
      " iteration 10/500 | elapsed time per iteration (ms): 1500.0 | throughput per GPU (TFLOP/s/GPU): 150.5 |\n"
      " iteration 12/500 | elapsed time per iteration (ms): 0.0 |\n"                      // not a measurement
      " iteration 1e16/500 | elapsed time per iteration (ms): 900.0 |\n");                // not a count
  CHECK(log.format == hp::LogFormat::megatron);
  REQUIRE(log.iterations.size() == 2);
  CHECK(log.iterations[0] == 10);
  CHECK(log.iterations[1] == 11);
  CHECK(log.step_times_s[0] == 1.5);
  CHECK(log.step_times_s[1] == 1.0);
  CHECK(log.tflops_per_gpu[0] == 150.5);
  CHECK(log.tflops_per_gpu[1] == 0);  // none printed
}

TEST_CASE("NeMo 1.x bar: global_step, the progress count, and numbering when neither is there", "[logs][formula]") {
  // tqdm's count "7/15" is the number of steps done: the step that just finished is 6.
  hp::TrainingLog log = hp::parse_console_log(
      "Epoch 0:  47%|####7     | 7/15 [06:19<07:13, reduced_train_loss=11.50, train_step_timing in s=49.50]\r"
      "Epoch 0:  53%|#####3    | 8/15 [07:09<06:13, reduced_train_loss=11.40, train_step_timing in s=48.25]\n");
  CHECK(log.format == hp::LogFormat::nemo);
  REQUIRE(log.iterations.size() == 2);
  CHECK(log.iterations[0] == 6);
  CHECK(log.iterations[1] == 7);
  CHECK(log.step_times_s[1] == 48.25);
  log = hp::parse_console_log("Epoch 0: | x, global_step=4.000, train_step_timing in s=2.5]\n"
                              "Epoch 0: | x, global_step=4.000, train_step_timing in s=2.75]\n");
  REQUIRE(log.iterations.size() == 1);
  CHECK(log.iterations[0] == 4);
  CHECK(log.step_times_s[0] == 2.75);
  // A bar with no count after "| ": numbered in order from 0.
  log = hp::parse_console_log("Epoch 0: | rate, train_step_timing in s=3.5]\nEpoch 0: | rate, train_step_timing in s=4.5]\n");
  REQUIRE(log.iterations.size() == 2);
  CHECK(log.iterations[0] == 0);
  CHECK(log.iterations[1] == 1);
  CHECK(log.step_times_s[0] == 3.5);
}

TEST_CASE("NeMo 2.0 printer: iteration, TFLOPS, memory columns in bytes", "[logs][formula]") {
  const hp::TrainingLog log = hp::parse_console_log(
      "Training epoch 0, iteration 17/99 | lr: 2.699e-06 | global_step: 17 | train_step_timing in s: 12.5 | "
      "TFLOPS_per_GPU: 865.75 | max_memory_allocated: 1.5e10 | max_memory_reserved: 2.25e10\n"
      "Training epoch 0, iteration 18/99 | train_step_timing in s: 12.25 | TFLOPS_per_GPU: -3 | "
      "max_memory_reserved: 3e10\n"
      "Training epoch 0, iteration 19/99 | train_step_timing in s: 1e9\n");  // beyond kMaxStepTimeS: dropped
  CHECK(log.format == hp::LogFormat::nemo);
  REQUIRE(log.iterations.size() == 2);
  CHECK(log.iterations[0] == 17);
  CHECK(log.iterations[1] == 18);  // no global_step: the iteration number
  CHECK(log.step_times_s[0] == 12.5);
  CHECK(log.tflops_per_gpu[0] == 865.75);
  CHECK(log.tflops_per_gpu[1] == 0);  // negative: not a rate
  REQUIRE(log.memory.size() == 2);
  CHECK(log.memory[0].iteration == 17);
  CHECK(log.memory[0].rank == -1);
  CHECK(log.memory[0].max_allocated_bytes == 1.5e10);
  CHECK(log.memory[0].max_reserved_bytes == 2.25e10);
  CHECK(log.memory[1].iteration == 18);
  CHECK(log.memory[1].max_allocated_bytes == 0);
  CHECK(log.memory[1].max_reserved_bytes == 3e10);
}

TEST_CASE("the format with more steps wins, a tie goes to Megatron", "[logs][formula]") {
  const std::string megatron = " iteration 1/9 | elapsed time per iteration (ms): 100.0 |\n";
  const std::string nemo = "x | global_step: 1 | train_step_timing in s: 0.2\nx | global_step: 2 | train_step_timing in s: 0.3\n";
  CHECK(hp::parse_console_log(megatron + nemo).format == hp::LogFormat::nemo);
  const hp::TrainingLog tie = hp::parse_console_log(megatron + " iteration 2/9 | elapsed time per iteration (ms): 50.0 |\n" + nemo);
  CHECK(tie.format == hp::LogFormat::megatron);
  REQUIRE(tie.step_times_s.size() == 2);
  CHECK(tie.step_times_s[1] == 0.05);
}

TEST_CASE("failure evidence: line numbers count newlines only, the strongest class wins, trimmed", "[logs][formula]") {
  // '\r' (tqdm) ends a line but not a line number; class order: OOM before NCCL before Slurm before exit codes.
  hp::Failure f = hp::classify_text("start\rsrun: error: Exited with exit code 1\n\n\t  CUDA out of memory. Tried  \r\n"
                                    "CUDA out of memory again\n", "x.log");
  CHECK(f.kind == hp::FailureKind::cuda_oom);
  CHECK(f.evidence == "CUDA out of memory. Tried");
  CHECK(f.source == "x.log:3");
  f = hp::classify_text("a\nncclSystemError\nNCCL watchdog thread terminated\n");
  CHECK(f.kind == hp::FailureKind::nccl_timeout);
  CHECK(f.source == "<text>:3");
  // The job, not a step, is cancelled only with "*** JOB ".
  CHECK(hp::classify_text("*** STEP 4.0 CANCELLED AT 2026\n").kind == hp::FailureKind::none);
  CHECK(hp::classify_text("*** JOB 7 ON n1 CANCELLED AT 2026\n").kind == hp::FailureKind::slurm_cancelled);
  // Evidence is cut at 400 characters.
  const std::string longline = "NCCL error " + std::string(500, 'x');
  f = hp::classify_text(longline);
  CHECK(f.evidence == longline.substr(0, 400) + "...");
  CHECK(hp::classify_text("   \n").kind == hp::FailureKind::none);
}

TEST_CASE("NeMo's step-time rule: boundaries and exact statistics", "[logs][formula]") {
  CHECK_FALSE(hp::nemo_step_time({1, 1, 1, 1, 1, 1}).valid);  // 6 points
  const hp::StepTimeStats st = hp::nemo_step_time({0.5, 9, 9, 9, 9, 2, 4, 3});
  REQUIRE(st.valid);  // an odd value among the 5 skipped ones does not matter
  CHECK(st.num_points == 8);
  CHECK(st.num_used == 3);
  CHECK(st.mean_s == 3.0);
  CHECK(st.stddev_s == Approx(std::sqrt(2.0 / 3)).epsilon(1e-15));  // population deviation
  CHECK(st.min_s == 2);
  CHECK(st.max_s == 4);
  CHECK(st.spread == Approx(2.0 / 3).epsilon(1e-15));
  CHECK(hp::nemo_step_time({1, 1, 1, 1, 1, 1.00004, 1.00008}).mean_s == 1.0001);  // round(mean, 4)
  CHECK(hp::nemo_step_time({0, 1, 1, 1, 1, 1, 1}).valid);
  CHECK_FALSE(hp::nemo_step_time({1, 1, 1, 1, 1, 1, 0}).valid);
  CHECK_FALSE(hp::nemo_step_time({1, 1, 1, 1, 1, 1, 1e6}).valid);
}

TEST_CASE("classify_trial: root causes before the scheduler, the scheduler before exit codes", "[logs][formula]") {
  auto log_with = [](hp::FailureKind k) {
    hp::TrainingLog l;
    l.failure = {k, "line", "f:1"};
    return l;
  };
  const hp::StepTimeStats none;
  const hp::StepTimeStats ok = hp::nemo_step_time({1, 1, 1, 1, 1, 1, 1});
  using K = hp::FailureKind;
  // The lowest class over all logs.
  CHECK(hp::classify_trial({log_with(K::nonzero_exit), log_with(K::nccl_error), log_with(K::time_limit)}, {}, none).kind ==
        K::nccl_error);
  // OOM / NCCL lines win even over a valid measurement; other text does not.
  CHECK(hp::classify_trial({log_with(K::nccl_error)}, {}, ok).kind == K::nccl_error);
  CHECK(hp::classify_trial({log_with(K::slurm_node_fail)}, {}, ok).kind == K::none);
  // Slurm lines in the text before the scheduler's state; an exit-code line after it.
  CHECK(hp::classify_trial({log_with(K::slurm_cancelled)}, {"TIMEOUT", 0, 0}, none).kind == K::slurm_cancelled);
  CHECK(hp::classify_trial({log_with(K::nonzero_exit)}, {"TIMEOUT", 0, 0}, none).kind == K::time_limit);
  const hp::Failure s = hp::classify_trial({}, {"NODE_FAIL", 0, 0}, none);
  CHECK(s.evidence == "job state NODE_FAIL");
  CHECK(s.source == "scheduler");
  CHECK(hp::classify_trial({}, {"FAILED", 0, 0}, none).kind == K::nonzero_exit);
  CHECK(hp::classify_trial({}, {"OUT_OF_MEMORY", 0, 0}, none).evidence == "job state OUT_OF_MEMORY");
  CHECK(hp::classify_trial({}, {"COMPLETED", 0, 0}, none).kind == K::no_steps);
  CHECK(hp::classify_trial({log_with(K::nonzero_exit)}, {"COMPLETED", 0, 0}, none).kind == K::nonzero_exit);
  CHECK(hp::classify_trial({}, {"", 0, 6}, none).source == "exit status");
  // No steps: the most any log has.
  hp::TrainingLog three, one;
  three.step_times_s = {1, 2, 3};
  one.step_times_s = {1};
  const hp::Failure few = hp::classify_trial({one, three}, {}, none);
  CHECK(few.kind == K::no_steps);
  CHECK(few.evidence == "3 steps logged, NeMo needs at least 7");
  CHECK(few.source == "logs");
}

TEST_CASE("every failure class and log format name round-trips", "[logs][formula]") {
  for (int k = 0; k <= static_cast<int>(hp::FailureKind::no_steps); ++k) {
    const auto kind = static_cast<hp::FailureKind>(k);
    CHECK(hp::failure_kind_from_string(hp::to_string(kind)) == kind);
  }
  CHECK(std::string(hp::to_string(hp::FailureKind::no_steps)) == "no_steps");
  CHECK(std::string(hp::to_string(hp::LogFormat::megatron)) == "megatron");
  CHECK(std::string(hp::to_string(hp::LogFormat::nemo)) == "nemo");
  CHECK(std::string(hp::to_string(hp::LogFormat::tensorboard)) == "tensorboard");
  CHECK(std::string(hp::to_string(hp::LogFormat::unknown)) == "unknown");
}
