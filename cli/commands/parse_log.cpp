// hp-cli parse-log FILE... [--json]: what the log parsers make of any training log.
#include <fmt/core.h>

#include "command.hpp"
#include "hp/logs.hpp"
#include "hp/run/json.hpp"

namespace {

struct Opts {
  std::vector<std::string> files;
  bool json = false;
};

std::string to_json(const hp::TrainingLog& log, const hp::StepTimeStats& st) {
  using hp::run::json_number;
  std::string memory = hp::run::json_array(log.memory, [](const hp::MemoryReport& m) {
    return fmt::format(R"({{"rank":{},"iteration":{},"allocated_bytes":{},"max_allocated_bytes":{},"reserved_bytes":{},"max_reserved_bytes":{}}})",
                       m.rank, m.iteration, json_number(m.allocated_bytes), json_number(m.max_allocated_bytes),
                       json_number(m.reserved_bytes), json_number(m.max_reserved_bytes));
  });
  auto num = [](double v) { return json_number(v); };
  return fmt::format(
      R"({{"path":{},"format":{},"iterations":{},"step_times_s":{},"tflops_per_gpu":{},"memory":{},)"
      R"("step_time":{{"valid":{},"num_points":{},"num_used":{},"mean_s":{},"stddev_s":{},"min_s":{},"max_s":{},"spread":{}}},)"
      R"("failure":{},"evidence":{},"source":{}}})",
      hp::run::json_string(log.path), hp::run::json_string(hp::to_string(log.format)),
      hp::run::json_array(log.iterations, [](long long i) { return std::to_string(i); }),
      hp::run::json_array(log.step_times_s, num), hp::run::json_array(log.tflops_per_gpu, num), memory,
      st.valid ? "true" : "false", st.num_points, st.num_used, num(st.mean_s), num(st.stddev_s), num(st.min_s),
      num(st.max_s), num(st.spread), hp::run::json_string(hp::to_string(log.failure.kind)),
      hp::run::json_string(log.failure.evidence), hp::run::json_string(log.failure.source));
}

void print_text(const hp::TrainingLog& log, const hp::StepTimeStats& st) {
  fmt::print("{}: format {}, {} steps logged\n", log.path, hp::to_string(log.format), log.step_times_s.size());
  for (std::size_t i = 0; i < log.iterations.size(); ++i) {
    fmt::print("  iteration {:>6}  {:9.4f} s", log.iterations[i], log.step_times_s[i]);
    if (log.tflops_per_gpu[i] > 0) fmt::print("  {:7.1f} TFLOP/s/GPU", log.tflops_per_gpu[i]);
    fmt::print("\n");
  }
  for (const hp::MemoryReport& m : log.memory)
    fmt::print("  memory rank {} after iteration {}: max allocated {:.2f} GiB, max reserved {:.2f} GiB\n", m.rank,
               m.iteration, m.max_allocated_bytes / 1073741824.0, m.max_reserved_bytes / 1073741824.0);
  if (st.valid)
    fmt::print("  step time (NeMo: mean after {} warm-up steps): {:.4f} s over {} steps, stddev {:.4f} s, spread {:.1f}%\n",
               hp::kNemoWarmupSteps, st.mean_s, st.num_used, st.stddev_s, 100 * st.spread);
  else
    fmt::print("  step time: none ({} points; NeMo needs at least {})\n", st.num_points, hp::kNemoMinPoints);
  if (log.failure.kind != hp::FailureKind::none)
    fmt::print("  failure: {}  [{}]\n    {}\n", hp::to_string(log.failure.kind), log.failure.source, log.failure.evidence);
}

std::function<int()> setup(CLI::App& app) {
  auto opts = std::make_shared<Opts>();
  app.description("Parse training logs (TensorBoard events, NeMo or Megatron-LM console output): step times, "
                  "TFLOP/s, memory, failure class with its evidence line");
  app.add_option("files", opts->files, "log files (events.out.tfevents*, *.out, *.err, *.log)")->required();
  app.add_flag("--json", opts->json, "print one JSON object (a file) or {\"logs\": [...]} (several)");
  return [opts] {
    std::vector<std::string> parts;
    for (const std::string& f : opts->files) {
      hp::TrainingLog log = hp::parse_log_file(f);
      hp::StepTimeStats st = hp::nemo_step_time(log.step_times_s);
      if (opts->json) parts.push_back(to_json(log, st));
      else print_text(log, st);
    }
    if (opts->json) {
      if (parts.size() == 1) fmt::print("{}\n", parts[0]);
      else {
        std::string all = "{\"logs\":[";
        for (std::size_t i = 0; i < parts.size(); ++i) all += (i ? "," : "") + parts[i];
        fmt::print("{}]}}\n", all);
      }
    }
    return hpcli::kOk;
  };
}

}  // namespace

HP_CLI_COMMAND("parse-log", 80, setup);
