// Trials on the fewest nodes (hp/trial_sizing.hpp): the node-count rule, the global batch of a trial and the
// full-scale step time predicted from a trial's measurement.
#include <catch2/catch.hpp>

#include "hp/catalog.hpp"
#include "hp/core.hpp"
#include "hp/hardware.hpp"
#include "hp/trial_sizing.hpp"

namespace {

struct Setup {
  hp::ModelSpec model = hp::find_model("gpt3/5b");
  hp::GpuSpec gpu = hp::find_gpu("a100-80gb");
  hp::Calibration cal = hp::default_calibration(gpu);
  hp::EstimateOptions options;
  Setup() { options.memory_margin = 0.05; }
  // A layout of `nodes` 8-GPU nodes.
  hp::Layout layout(int nodes, int tp, int pp, int cp, int mbs, int gbs, bool dist_opt = true) const {
    hp::Layout l;
    l.num_gpus = nodes * 8;
    l.tp = tp;
    l.pp = pp;
    l.cp = cp;
    l.mbs = mbs;
    l.gbs = gbs;
    l.sequence_parallel = tp > 1;
    l.distributed_optimizer = dist_opt;
    return l;
  }
};

}  // namespace

TEST_CASE("trial sizing: the fewest nodes that hold one replica, the same micro-batches per replica", "[trial_sizing]") {
  Setup s;
  // TP 2 x PP 2 = 4 GPUs: one 8-GPU node holds 2 replicas.
  const hp::Layout full = s.layout(16, 2, 2, 1, 1, 2048);
  REQUIRE(full.dp() == 32);
  REQUIRE(full.num_micro_batches() == 64);
  const hp::TrialSize t = hp::trial_size(s.model, full, 16, 8, hp::TrialNodes::min, s.gpu, s.cal, s.options);
  CHECK(t.num_nodes == 1);
  CHECK(t.layout.num_gpus == 8);
  CHECK(t.layout.dp() == 2);
  CHECK(t.gbs == 2 * 64);  // mbs x micro-batches x trial DP
  CHECK(t.layout.gbs == t.gbs);
  CHECK(t.layout.num_micro_batches() == full.num_micro_batches());
  // TP 4 x PP 4 = 16 GPUs: two nodes, one replica.
  const hp::Layout wide = s.layout(16, 4, 4, 1, 2, 2048);
  const hp::TrialSize w = hp::trial_size(s.model, wide, 16, 8, hp::TrialNodes::min, s.gpu, s.cal, s.options);
  CHECK(w.num_nodes == 2);
  CHECK(w.layout.dp() == 1);
  CHECK(w.layout.num_micro_batches() == wide.num_micro_batches());
  // CP counts: TP 2 x PP 2 x CP 4 = 16 GPUs.
  const hp::Layout cp = s.layout(16, 2, 2, 4, 1, 2048);
  CHECK(hp::trial_size(s.model, cp, 16, 8, hp::TrialNodes::min, s.gpu, s.cal, s.options).num_nodes == 2);
  // 12 GPUs of model parallelism on 8-GPU nodes: 3 nodes (24 GPUs, 2 replicas), not 2 (16 is no multiple of 12).
  hp::Layout twelve = s.layout(48, 4, 3, 1, 1, 1536);
  twelve.num_gpus = 48 * 8;
  const hp::TrialSize tw = hp::trial_size(s.model, twelve, 48, 8, hp::TrialNodes::min, s.gpu, s.cal, s.options);
  CHECK(tw.num_nodes == 3);
  CHECK(tw.layout.dp() == 2);
}

TEST_CASE("trial sizing: full keeps the cluster, and memory can need more replicas", "[trial_sizing]") {
  Setup s;
  const hp::Layout full = s.layout(16, 2, 2, 1, 1, 2048);
  const hp::TrialSize f = hp::trial_size(s.model, full, 16, 8, hp::TrialNodes::full, s.gpu, s.cal, s.options);
  CHECK(f.num_nodes == 16);
  CHECK(f.gbs == 2048);
  // GPT-3 20B at TP 1 PP 2 with the distributed optimizer: at 16 nodes the 12 B/param state is sharded 64 ways;
  // on one node (DP 4) 10B parameters per GPU hold 10e9 x (4 + 12/4) B = 70 GB before activations, so the trial
  // needs more replicas than one node holds.
  const hp::ModelSpec big = hp::find_model("gpt3/20b");
  const hp::Layout dp_only = s.layout(16, 1, 2, 1, 1, 1024);
  REQUIRE(hp::estimate(big, dp_only, s.gpu, s.cal, s.options).fits);
  hp::Layout one_node = dp_only;
  one_node.num_gpus = 8;
  one_node.gbs = one_node.dp() * dp_only.num_micro_batches();
  REQUIRE_FALSE(hp::estimate(big, one_node, s.gpu, s.cal, s.options).fits);
  const hp::TrialSize m = hp::trial_size(big, dp_only, 16, 8, hp::TrialNodes::min, s.gpu, s.cal, s.options);
  CHECK(m.num_nodes > 1);
  CHECK(m.num_nodes < 16);
  CHECK(hp::estimate(big, m.layout, s.gpu, s.cal, s.options).fits);
  hp::Layout fewer = dp_only;  // one node fewer does not fit
  fewer.num_gpus = (m.num_nodes - 1) * 8;
  fewer.gbs = fewer.dp() * dp_only.num_micro_batches();
  CHECK_FALSE(hp::estimate(big, fewer, s.gpu, s.cal, s.options).fits);
}

TEST_CASE("trial sizing: the full-scale step time is the measurement plus the model's data-parallel terms", "[trial_sizing]") {
  Setup s;
  const hp::Layout full = s.layout(16, 2, 2, 1, 1, 2048);
  const hp::TrialSize t = hp::trial_size(s.model, full, 16, 8, hp::TrialNodes::min, s.gpu, s.cal, s.options);
  const hp::Estimate et = hp::estimate(s.model, t.layout, s.gpu, s.cal);
  const hp::Estimate ef = hp::estimate(s.model, full, s.gpu, s.cal);
  const double measured = 1.234;
  const hp::FullScaleStep f = hp::full_scale_step(s.model, t.layout, full, measured, s.gpu, s.cal);
  CHECK(f.predicted);
  CHECK(f.measured_s == measured);
  CHECK(f.trial_scale_terms_s == Approx(et.time.dp_comm_s + et.time.fsdp_comm_s + et.time.optimizer_s + et.time.pp_comm_s));
  CHECK(f.full_scale_terms_s == Approx(ef.time.dp_comm_s + ef.time.fsdp_comm_s + ef.time.optimizer_s + ef.time.pp_comm_s));
  // The pipeline hop leaves NVLink at 16 nodes: slower at full scale than in the one-node trial.
  CHECK(ef.time.pp_comm_s > et.time.pp_comm_s);
  CHECK(f.step_time_s == Approx(measured - f.trial_scale_terms_s + f.full_scale_terms_s));
  // Everything but the scale terms is the same per replica at both sizes: the model's own full-scale
  // prediction is its trial prediction moved by the same terms.
  CHECK(ef.time.step_time_s == Approx(et.time.step_time_s - f.trial_scale_terms_s + f.full_scale_terms_s).epsilon(1e-9));
  // Without the distributed optimizer the gradient all-reduce at DP 32 over the nodes is longer than at DP 2 in a node.
  const hp::Layout nodo = s.layout(16, 2, 2, 1, 1, 2048, false);
  const hp::TrialSize tn = hp::trial_size(s.model, nodo, 16, 8, hp::TrialNodes::min, s.gpu, s.cal, s.options);
  const hp::FullScaleStep fn = hp::full_scale_step(s.model, tn.layout, nodo, measured, s.gpu, s.cal);
  CHECK(hp::estimate(s.model, tn.layout, s.gpu, s.cal).time.dp_comm_s < hp::estimate(s.model, nodo, s.gpu, s.cal).time.dp_comm_s);
  CHECK(fn.full_scale_terms_s > fn.trial_scale_terms_s);
  // A trial at full size is its own measurement.
  const hp::FullScaleStep same = hp::full_scale_step(s.model, full, full, measured, s.gpu, s.cal);
  CHECK_FALSE(same.predicted);
  CHECK(same.step_time_s == measured);
}

TEST_CASE("trial sizing: GPU-hours and the setting's words", "[trial_sizing]") {
  CHECK(hp::gpu_hours(2, 8, 1800) == Approx(8.0));
  CHECK(hp::parse_trial_nodes("min") == hp::TrialNodes::min);
  CHECK(hp::parse_trial_nodes("full") == hp::TrialNodes::full);
  try {
    hp::parse_trial_nodes("fewest", "train_settings.trial_nodes");
    FAIL("no error");
  } catch (const hp::ConfigError& e) {
    CHECK_THAT(e.what(), Catch::Contains("train_settings.trial_nodes") && Catch::Contains("fewest"));
  }
}
