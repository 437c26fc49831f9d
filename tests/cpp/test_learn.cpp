// Learning from trials (hp/learn.hpp): the memory refit after out-of-memory failures, the queue verdict and the
// stop rule.
#include <catch2/catch.hpp>

#include "hp/catalog.hpp"
#include "hp/core.hpp"
#include "hp/hardware.hpp"
#include "hp/learn.hpp"

namespace {

struct Setup {
  hp::ModelSpec model = hp::find_model("gpt3/5b");
  hp::GpuSpec gpu = hp::find_gpu("a100-80gb");
  hp::Calibration cal = hp::default_calibration(gpu);
  hp::EstimateOptions options;
  Setup() { options.memory_margin = 0.05; }
  hp::Layout layout(int mbs, int cp = 1, bool dist_opt = true) const {
    hp::Layout l;
    l.num_gpus = 16;
    l.tp = 2;
    l.sequence_parallel = true;
    l.cp = cp;
    l.mbs = mbs;
    l.gbs = 256;
    l.distributed_optimizer = dist_opt;
    return l;
  }
  double predicted(const hp::Layout& l) const { return hp::estimate(model, l, gpu, cal).memory.total_bytes; }
  double limit() const { return gpu.memory_bytes * 0.95; }
};

}  // namespace

TEST_CASE("learn: an out-of-memory layout is predicted not to fit after the refit", "[learn][memory]") {
  Setup s;
  const hp::Layout big = s.layout(4);
  REQUIRE(s.predicted(big) < s.limit());  // the prior model said it fits
  const auto fit = hp::refit_memory(s.model, s.gpu, s.cal, {{"mbs4", big, true, 0}}, s.options);
  CHECK(fit.num_out_of_memory == 1);
  CHECK(fit.activation_scale > 1);
  CHECK(fit.activation_scale <= hp::kMaxActivationScale);
  CHECK(fit.offset_bytes <= hp::kMaxOffsetFraction * s.gpu.memory_bytes);
  CHECK(hp::refitted_memory_bytes(s.model, big, s.gpu, s.cal, fit) > s.limit());
  // A smaller micro-batch still fits: one failure does not condemn every layout.
  CHECK(hp::refitted_memory_bytes(s.model, s.layout(1), s.gpu, s.cal, fit) < s.limit());
  // No evidence: the identity.
  const auto none = hp::refit_memory(s.model, s.gpu, s.cal, {}, s.options);
  CHECK(none.activation_scale == 1);
  CHECK(none.offset_bytes == 0);
}

TEST_CASE("learn: measured max-allocated memory fits the activation scale, bounded", "[learn][memory]") {
  Setup s;
  std::vector<hp::MemoryEvidence> ev;
  for (int mbs : {1, 2}) {
    const hp::Layout l = s.layout(mbs);
    const auto e = hp::estimate(s.model, l, s.gpu, s.cal);
    const double act = e.memory.activations_bytes + e.memory.embedding_logits_bytes;
    ev.push_back({"m", l, false, e.memory.total_bytes - act + 1.5 * act});  // a stand-in truth: 1.5 x activations
  }
  CHECK(hp::refit_memory(s.model, s.gpu, s.cal, ev, s.options).activation_scale == Approx(1.5));
  for (auto& e : ev) e.measured_max_bytes *= 50;  // absurd values stay within the bound
  CHECK(hp::refit_memory(s.model, s.gpu, s.cal, ev, s.options).activation_scale == hp::kMaxActivationScale);
}

TEST_CASE("learn: the queue drops what the corrected model no longer fits, and says why", "[learn][queue]") {
  Setup s;
  std::vector<hp::FinishedTrial> done = {{"tp2_mbs4", s.layout(4), "cuda_oom", 0, 1.0, 0}};
  std::vector<hp::QueuedTrial> queue = {{"tp2_mbs4_nodo", s.layout(4, 1, false), 1.0},
                                        {"tp2_mbs1", s.layout(1), 1.2}};
  const auto v = hp::judge_queue(s.model, s.gpu, s.cal, done, queue, 0.07, s.options);
  REQUIRE(v.drop.size() == 1);
  CHECK(v.drop[0] == "tp2_mbs4_nodo");  // more memory than the failed one (optimizer not sharded)
  CHECK_THAT(v.drop_reasons[0], Catch::Contains("tp2_mbs4") && Catch::Contains("ran out of memory"));
  CHECK_FALSE(v.stop);  // nothing measured yet
}

TEST_CASE("learn: a time limit is evidence against slower layouts", "[learn][queue]") {
  Setup s;
  std::vector<hp::FinishedTrial> done = {{"slow", s.layout(1), "time_limit", 0, 2.0, 0}};
  std::vector<hp::QueuedTrial> queue = {{"slower", s.layout(2), 2.5}, {"faster", s.layout(2, 2), 1.5}};
  const auto v = hp::judge_queue(s.model, s.gpu, s.cal, done, queue, 0.07, s.options);
  REQUIRE(v.drop.size() == 1);
  CHECK(v.drop[0] == "slower");
  CHECK_THAT(v.drop_reasons[0], Catch::Contains("time_limit"));
}

TEST_CASE("learn: stop when the measured best beats every optimistic prediction", "[learn][stop]") {
  Setup s;
  std::vector<hp::FinishedTrial> done = {{"best", s.layout(1), "none", 1.0, 1.05, 0},
                                         {"second", s.layout(2), "none", 1.1, 1.12, 0},
                                         {"third", s.layout(4), "none", 1.2, 1.2, 0}};
  // Errors seen: 5 %, 2 %, 0 %: the model's 7 % rules. 1.2 x (1 - 0.07) = 1.116 > 1.0: stop, two trials saved.
  auto v = hp::judge_queue(s.model, s.gpu, s.cal, done, {{"a", s.layout(2, 2), 1.2}, {"b", s.layout(1, 2), 1.3}},
                           0.07, s.options);
  CHECK(v.stop);
  CHECK(v.trials_saved == 2);
  CHECK_THAT(v.stop_reason, Catch::Contains("stopped early") && Catch::Contains("best"));
  // 1.05 x 0.93 = 0.977 < 1.0: within the model's error, keep going.
  v = hp::judge_queue(s.model, s.gpu, s.cal, done, {{"a", s.layout(2, 2), 1.05}}, 0.07, s.options);
  CHECK_FALSE(v.stop);
  CHECK(v.trials_saved == 0);
  // A larger error seen on this search's trials widens the margin: 1.2 predicted for a trial that took 0.9
  // (25 %) keeps a 1.2 prediction in play (1.2 x 0.75 = 0.9 < 1.0).
  auto wide = done;
  wide.push_back({"off", s.layout(1, 2), "none", 1.5, 1.2, 0});
  CHECK_FALSE(hp::judge_queue(s.model, s.gpu, s.cal, wide, {{"a", s.layout(2, 2), 1.2}}, 0.07, s.options).stop);
  // Fewer than three measurements: the error is not trusted yet.
  done.pop_back();
  CHECK_FALSE(hp::judge_queue(s.model, s.gpu, s.cal, done, {{"a", s.layout(2, 2), 3.0}}, 0.07, s.options).stop);
}
