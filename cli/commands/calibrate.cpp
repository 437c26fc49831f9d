// hp-cli calibrate RUNS.csv: refit the performance model's efficiency parameters per GPU family.
#include <fmt/core.h>

#include <cstdio>
#include <fstream>

#include "command.hpp"
#include "hp/files.hpp"
#include "hp/calibration.hpp"
#include "hp/core.hpp"
#include "json.hpp"

namespace {

struct Opts {
  std::string runs;
  std::string output;
  std::string cpp;
  std::string split = "fit";
  bool json = false;
};

std::function<int()> setup(CLI::App& app) {
  auto o = std::make_shared<Opts>();
  app.description("Fit the performance model's efficiency parameters per GPU family on measured runs (CSV with "
                  "the published-runs columns and step_time_s or tokens_per_sec_per_gpu)");
  app.add_option("runs", o->runs, "measured runs CSV")->required();
  app.add_option("-o,--output", o->output, "write the fitted calibrations as YAML (use with estimate/validate)");
  app.add_option("--cpp", o->cpp, "write the C++ source of the shipped table (developers)");
  app.add_option("--split", o->split, "skip rows whose split column has another value (rows without one are used); 'all' = every row")
      ->capture_default_str();
  app.add_flag("--json", o->json, "print one JSON object");
  return [o] {
    const auto runs = hp::runs_from_table(hp::read_csv(o->runs));
    hp::FitOptions fo;
    fo.split = o->split == "all" ? "" : o->split;
    const auto fits = hp::fit_calibrations(runs, fo);
    std::vector<hp::Calibration> list;
    for (const auto& f : fits) list.push_back(f.calibration);
    if (!o->output.empty()) hp::write_file_atomic(o->output, hp::calibrations_to_yaml(list));
    if (!o->cpp.empty()) hp::write_file_atomic(o->cpp, hp::calibrations_to_cpp(list));
    if (o->json) {
      std::vector<std::string> items;
      for (const auto& f : fits) {
        const auto& c = f.calibration;
        hpcli::JsonObject j;
        j.str("gpu_family", c.gpu_family).integer("num_runs", f.num_runs);
        j.num("mean_abs_pct_before", f.mean_abs_pct_before).num("mean_abs_pct_after", f.mean_abs_pct_after);
        j.num("gemm_efficiency", c.gemm_efficiency).num("fp8_gemm_efficiency", c.fp8_gemm_efficiency);
        j.num("gemm_half_size_flops", c.gemm_half_size_flops).num("attention_efficiency", c.attention_efficiency);
        j.num("comm_efficiency", c.comm_efficiency).num("elementwise_passes", c.elementwise_passes);
        j.num("step_overhead_s", c.step_overhead_s).num("memory_overhead_bytes", c.memory_overhead_bytes);
        items.push_back(j.dump());
      }
      hpcli::JsonObject out;
      out.raw("calibrations", hpcli::json_array(items));
      fmt::print("{}\n", out.dump());
      return hpcli::kOk;
    }
    fmt::print("{:<10} {:>5} {:>9} {:>9} {:>6} {:>6} {:>9} {:>6} {:>6} {:>6} {:>8} {:>8}\n", "family", "runs",
               "MAE% pri", "MAE% fit", "gemm", "fp8", "half GF", "attn", "comm", "passes", "step s", "mem GiB");
    for (const auto& f : fits) {
      const auto& c = f.calibration;
      fmt::print("{:<10} {:>5} {:>9.2f} {:>9.2f} {:>6.3f} {:>6.3f} {:>9.1f} {:>6.3f} {:>6.3f} {:>6.1f} {:>8.4f} {:>8.2f}\n",
                 c.gpu_family.empty() ? "generic" : c.gpu_family, f.num_runs, f.mean_abs_pct_before,
                 f.mean_abs_pct_after, c.gemm_efficiency, c.fp8_gemm_efficiency, c.gemm_half_size_flops / 1e9,
                 c.attention_efficiency, c.comm_efficiency, c.elementwise_passes, c.step_overhead_s,
                 c.memory_overhead_bytes / hp::kGiB);
    }
    if (!o->output.empty()) fmt::print("wrote {}\n", o->output);
    if (!o->cpp.empty()) fmt::print("wrote {}\n", o->cpp);
    return hpcli::kOk;
  };
}

}  // namespace

HP_CLI_COMMAND("calibrate", 32, setup);
