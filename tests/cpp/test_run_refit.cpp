// The run's refit (runner re-ranking, reports' calibration.yaml) and its report read each trial's layout with
// libhp's layout_from_nemo, the one rule. A drifted copy in the front end once got three answers wrong (issue 9):
// block recompute of 2 layers per chunk with vp 3 (6 layers per stage, not 2), 0 layers (no recompute, not every
// layer) and precision fp8-mixed (FP8, not BF16). Each check below fails with the drifted layout.
#include <catch2/catch.hpp>

#include <fmt/core.h>

#include "hp/catalog.hpp"
#include "hp/hardware.hpp"
#include "hp/perf.hpp"
#include "hp/run/runner.hpp"
#include "hp/trial_results.hpp"

namespace {

hp::TrainingConfig gpt_config() {
  hp::TrainingConfig c;
  c.model = hp::find_model("gpt3/5b");
  c.num_nodes = 2;
  c.gpus_per_node = 8;
  c.tensor_model_parallel_size = 2;
  c.pipeline_model_parallel_size = 2;
  c.virtual_pipeline_model_parallel_size = 0;
  c.micro_batch_size = 2;
  c.global_batch_size = 256;
  c.precision = "bf16";
  return c;
}

hp::TrialResult measured(const hp::TrainingConfig& c, double step_s) {
  hp::TrialResult r;
  r.config_name = "trial";
  r.config = c;
  r.stats.valid = true;
  r.stats.mean_s = step_s;
  return r;
}

// What refit_on_trials must equal: the prior refitted on `layout`.
hp::Refit refit_with(const hp::TrainingConfig& c, const hp::Layout& layout, const hp::GpuSpec& gpu, double step_s) {
  return hp::refit_calibration(c.model, gpu, hp::default_calibration(gpu), {{layout, step_s}});
}

// The drifted front-end copy's reading (for the "would have failed" half of each check).
hp::Layout drifted(const hp::TrainingConfig& c) {
  hp::Layout l = hp::layout_from_nemo(c);
  if (c.activations_checkpoint_granularity == "full") {
    l.recompute = hp::Recompute::full;
    l.recompute_num_layers = c.activations_checkpoint_num_layers;
  }
  l.precision = c.fp8 ? hp::Precision::fp8_delayed : hp::Precision::bf16;
  return l;
}

void check_refit_and_repredict(const hp::TrainingConfig& c, const hp::GpuSpec& gpu) {
  const double step_s = 9.0;
  const hp::Refit fit = hp::refit_on_trials({measured(c, step_s)}, gpu);
  const hp::Refit right = refit_with(c, hp::layout_from_nemo(c), gpu, step_s);
  const hp::Refit wrong = refit_with(c, drifted(c), gpu, step_s);
  REQUIRE(fit.num_trials == 1);
  CHECK(fit.compute_scale == Approx(right.compute_scale));
  CHECK(fit.calibration.gemm_efficiency == Approx(right.calibration.gemm_efficiency));
  CHECK(fit.compute_scale != Approx(wrong.compute_scale));
  // Re-ranking pending trials predicts with the same layout.
  const hp::Calibration cal = hp::default_calibration(gpu);
  CHECK(hp::predict_step_time_s(c, gpu, cal) == Approx(hp::estimate(c.model, hp::layout_from_nemo(c), gpu, cal).time.step_time_s));
  CHECK(hp::predict_step_time_s(c, gpu, cal) != Approx(hp::estimate(c.model, drifted(c), gpu, cal).time.step_time_s));
}

// The report's memory picture shows the performance model's memory of the layout layout_from_nemo reads.
void check_report(const hp::TrainingConfig& c, const hp::GpuSpec& gpu) {
  const std::string html = hp::run::html_report({measured(c, 9.0)}, gpu.name);
  const hp::Calibration cal = hp::default_calibration(gpu);
  auto label = [&](const hp::Layout& l) {
    return fmt::format("{:.1f} GiB predicted", hp::estimate(c.model, l, gpu, cal).memory.total_bytes / 1073741824.0);
  };
  CHECK(html.find(label(hp::layout_from_nemo(c))) != std::string::npos);
  CHECK(html.find(label(drifted(c))) == std::string::npos);
}

}  // namespace

hp::TrainingConfig block_recompute(int layers_per_chunk, int vp) {
  hp::TrainingConfig c = gpt_config();
  c.virtual_pipeline_model_parallel_size = vp;
  c.activations_checkpoint_granularity = "full";
  c.activations_checkpoint_method = "block";
  c.activations_checkpoint_num_layers = layers_per_chunk;
  return c;
}

TEST_CASE("refit and report: block recompute counts layers per model chunk (2 x vp 3 = 6)", "[refit]") {
  const hp::TrainingConfig c = block_recompute(2, 3);
  REQUIRE(hp::layout_from_nemo(c).recompute_num_layers == 6);
  check_refit_and_repredict(c, hp::find_gpu("a100-80gb"));
  check_report(c, hp::find_gpu("a100-80gb"));
}

TEST_CASE("refit and report: block recompute of 0 layers recomputes nothing", "[refit]") {
  const hp::TrainingConfig c = block_recompute(0, 0);
  REQUIRE(hp::layout_from_nemo(c).recompute == hp::Recompute::none);
  check_refit_and_repredict(c, hp::find_gpu("a100-80gb"));
  check_report(c, hp::find_gpu("a100-80gb"));
}

TEST_CASE("refit: precision fp8-mixed is FP8", "[refit]") {
  hp::TrainingConfig c = gpt_config();
  c.precision = "fp8-mixed";
  c.fp8 = false;
  REQUIRE(hp::layout_from_nemo(c).fp8());
  check_refit_and_repredict(c, hp::find_gpu("h100-sxm"));  // a GPU with FP8
}

TEST_CASE("refit on no measured trial keeps the prior, and another model's trial is left out", "[refit]") {
  const hp::GpuSpec gpu = hp::find_gpu("a100-80gb");
  hp::TrainingConfig c = gpt_config();
  hp::TrialResult failed = measured(c, 9.0);
  failed.failure.kind = hp::FailureKind::cuda_oom;
  const hp::Refit none = hp::refit_on_trials({failed}, gpu);
  CHECK(none.num_trials == 0);
  CHECK(none.calibration.gemm_efficiency == Approx(hp::default_calibration(gpu).gemm_efficiency));
  hp::TrainingConfig other = gpt_config();
  other.model = hp::find_model("gpt3/126m");
  CHECK(hp::refit_on_trials({measured(c, 9.0), measured(other, 1.0)}, gpu).num_trials == 1);
}
