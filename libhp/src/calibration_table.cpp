// Shipped efficiency parameters per GPU family. Prior values until `hp-cli calibrate` regenerates this
// table from the project's measured runs (libhp/data/published_runs.csv); see docs/model.md "Calibration".
#include "hp/perf.hpp"

namespace hp {

const std::vector<Calibration>& shipped_calibrations() {
  static const std::vector<Calibration> table = {
      // family, gemm, fp8 gemm, half size, attention, comm, tp overlap exposed, memory overhead, step overhead, runs
      {"", 0.75, 0.5, 0.0, 0.5, 0.8, 0.3, 3.0e9, 0.0, 0},
  };
  return table;
}

Calibration default_calibration(const GpuSpec& gpu) {
  const auto& table = shipped_calibrations();
  for (const auto& c : table)
    if (c.gpu_family == gpu.family) return c;
  for (const auto& c : table)
    if (c.gpu_family.empty()) return c;
  return Calibration{};
}

}  // namespace hp
