// Every shipped inference calibration (inference_calibration.cpp's fit table) is a minimum of its own fit's loss on the
// published rows it was fitted on (issue 17: a wrong constant in the table passed every accuracy bound). The
// loss and the bounds are those of fit_inference_calibration (inference_validate.cpp): mean squared log error over
// the group's non-hold-out rows, each parameter searched inside [lo, hi] by a shrinking grid (coordinate descent).
// Each parameter is moved by x2 and x0.5 (clamped to its bounds): the loss must not drop by more than the 2 % the
// grid search leaves; every value lies inside its bounds. A parameter the rows do not determine (a flat loss: the
// inter-node latency on single-node data, say) must keep the fit's starting value.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "hp/hardware.hpp"
#include "hp/inference_validate.hpp"

namespace {

using IC = hp::InferenceCalibration;
struct Param {
  const char* name;
  double IC::*field;
  double lo, hi;  // fit_inference_calibration's bounds
};
const Param kParams[] = {{"gemm_efficiency", &IC::gemm_efficiency, 0.2, 0.95},
                         {"attention_efficiency", &IC::attention_efficiency, 0.01, 0.9},
                         {"memory_efficiency", &IC::memory_efficiency, 0.4, 0.95},
                         {"layer_overhead_s", &IC::layer_overhead_s, 0.0, 300e-6},
                         {"step_overhead_s", &IC::step_overhead_s, 0.0, 5e-3},
                         {"allreduce_latency_s", &IC::allreduce_latency_s, 1e-6, 50e-6},
                         {"prefill_overhead_s", &IC::prefill_overhead_s, 0.0, 30e-3},
                         {"gqa_kv_reuse", &IC::gqa_kv_reuse, 0.0, 1.0},
                         {"comm_efficiency", &IC::comm_efficiency, 0.3, 1.0},
                         {"kv_read_efficiency", &IC::kv_read_efficiency, 0.05, 1.0},
                         {"internode_latency_s", &IC::internode_latency_s, 5e-6, 100e-6},
                         {"memory_overhead_bytes", &IC::memory_overhead_bytes, 0.5e9, 4e9},
                         {"request_memory_factor", &IC::request_memory_factor, 1.0, 2.0}};

double msle(const hp::InferenceValidationReport& r) {
  double s = 0;
  int n = 0;
  for (const auto& row : r.rows) {
    const double l = std::log1p(row.error);
    s += l * l;
    ++n;
  }
  return n ? s / n : 0;
}

void check_fits_are_minima(const std::vector<hp::InferenceMeasurement>& data) {
  int groups = 0;
  for (const auto& [family, engine] : hp::calibration_groups(data)) {
    std::vector<hp::InferenceMeasurement> rows;
    hp::GpuSpec gpu;
    for (const auto& m : data) {
      if (!m.problem.empty() || m.split == "holdout" || m.engine != engine) continue;
      const hp::GpuSpec g = hp::find_gpu(m.gpu);
      if (hp::default_inference_calibration(g).gpu_family != family) continue;
      rows.push_back(m);
      gpu = g;
    }
    REQUIRE_FALSE(rows.empty());
    const IC shipped = hp::default_inference_calibration(gpu, engine);
    if (engine.rfind("vllm", 0) == 0 || engine.rfind("sglang", 0) == 0) {  // shipped without a fit: too few rows
      CHECK(shipped.engine == "trtllm");
      continue;
    }
    REQUIRE(shipped.engine == engine);  // the group's own fit, not a fallback
    ++groups;
    const double base = msle(hp::validate_inference(rows, {shipped}));
    for (const Param& p : kParams) {
      INFO(family << " " << engine << " " << p.name);
      CHECK(shipped.*p.field >= p.lo);  // the fit searches inside its bounds only
      CHECK(shipped.*p.field <= p.hi);
      bool flat = true;
      for (double factor : {2.0, 0.5}) {
        IC moved = shipped;
        moved.*p.field = std::clamp(shipped.*p.field * factor, p.lo, p.hi);
        if (moved.*p.field == shipped.*p.field) {  // at a bound (or 0): nothing to compare
          flat = false;
          continue;
        }
        INFO("x" << factor);
        const double loss = msle(hp::validate_inference(rows, {moved}));
        CHECK(loss >= base * (1 - 0.02));
        flat = flat && std::fabs(loss - base) <= 1e-12 * base;
      }
      // A parameter the rows do not determine keeps the fit's starting value (the coordinate descent moves only
      // to a strictly lower loss), except A100 TensorRT-LLM's gqa_kv_reuse: no GQA row, Hopper's value is shipped.
      if (!flat) continue;
      if (family == "ampere" && engine == "trtllm" && p.field == &IC::gqa_kv_reuse) {
        hp::GpuSpec hopper = gpu;
        hopper.family = "hopper";
        CHECK(shipped.*p.field == hp::default_inference_calibration(hopper, "trtllm").*p.field);
      } else {
        CHECK(shipped.*p.field == IC{}.*p.field);
      }
    }
  }
  CHECK(groups >= 3);
}

}  // namespace

TEST_CASE("shipped static-batching fits are minima of their fit's loss", "[inference][validate][formula]") {
  check_fits_are_minima(hp::published_inference_measurements());
}

TEST_CASE("shipped in-flight-batching fits are minima of their fit's loss", "[serving][validate][formula]") {
  check_fits_are_minima(hp::published_serving_measurements());
}
