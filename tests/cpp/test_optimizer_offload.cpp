// Optimizer CPU offload (Megatron-Core optimizer_cpu_offload / optimizer_offload_fraction /
// overlap_cpu_optimizer_d2h_h2d, HybridDeviceOptimizer): memory, time, bad input, and every place the layout
// switch travels (NeMo YAML both ways, trial overrides and names, records, the measured-runs CSV, the search space).
// The switch and its fraction are not integer dimensions, so they are checked here the way
// tests/cpp/test_layout_fields.cpp checks the integer ones. Sources: docs/model.md "Optimizer CPU offload".
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "formula_models.hpp"
#include "hp/catalog.hpp"
#include "hp/core.hpp"
#include "hp/plan.hpp"
#include "hp/runs.hpp"
#include "hp/search.hpp"
#include "hp/search_summary.hpp"
#include "perf_optimizer_offload.hpp"

namespace {

using hp_test::asym_gpu;
using hp_test::asym_layout;
using hp_test::biased_gqa;

hp::Calibration plain() { return hp::Calibration{}; }

// asym_layout's pp 3 needs layers divisible by 3.
hp::ModelSpec model12() {
  hp::ModelSpec m = biased_gqa();
  m.num_layers = 12;
  return m;
}

hp::Layout offloaded(double fraction) {
  hp::Layout l = asym_layout();
  l.optimizer_cpu_offload = true;
  l.optimizer_offload_fraction = fraction;
  return l;
}

hp::TrainingConfig gpt_base() {
  hp::BaseConfigRequest req;
  req.size_b = 5;
  req.num_nodes = 2;
  return hp::base_config(req);
}

}  // namespace

TEST_CASE("optimizer offload memory: the offloaded share of the optimizer state leaves the GPU, nothing else moves",
          "[perf][memory][optimizer_offload]") {
  const hp::ModelSpec m = model12();
  const hp::GpuSpec g = asym_gpu();
  const hp::Estimate off = hp::estimate(m, asym_layout(), g, plain());
  REQUIRE(off.reason == hp::Infeasible::none);
  REQUIRE(off.memory.optimizer_bytes > 0);
  for (double f : {0.25, 0.5, 1.0}) {
    INFO("fraction " << f);
    const hp::Estimate on = hp::estimate(m, offloaded(f), g, plain());
    REQUIRE(on.reason == hp::Infeasible::none);
    CHECK(on.memory.optimizer_bytes == Approx((1 - f) * off.memory.optimizer_bytes).epsilon(1e-14));
    CHECK(on.memory.weights_bytes == off.memory.weights_bytes);
    CHECK(on.memory.gradients_bytes == off.memory.gradients_bytes);  // the reduce-scatter's buffer stays
    CHECK(on.memory.activations_bytes == off.memory.activations_bytes);
    CHECK(on.memory.total_bytes == Approx(off.memory.total_bytes - f * off.memory.optimizer_bytes).epsilon(1e-14));
  }
  // FSDP shards the optimizer state too; the offloaded share of that shard leaves as well.
  hp::Layout fsdp = asym_layout();
  fsdp.pp = 1;
  fsdp.num_gpus = 16;
  fsdp.fsdp = true;
  const hp::Estimate fsdp_off = hp::estimate(m, fsdp, g, plain());
  fsdp.optimizer_cpu_offload = true;
  fsdp.optimizer_offload_fraction = 0.5;
  CHECK(hp::estimate(m, fsdp, g, plain()).memory.optimizer_bytes ==
        Approx(0.5 * fsdp_off.memory.optimizer_bytes).epsilon(1e-14));
}

TEST_CASE("optimizer offload time: copies over the host link and CPU Adam over host memory, overlapped or not",
          "[perf][time][optimizer_offload]") {
  hp::GpuSpec g = asym_gpu();
  g.memory_bandwidth_bytes_per_s = 2e12;
  g.host_bandwidth_bytes_per_s = 50e9;
  g.host_memory_bandwidth_bytes_per_s = 100e9;
  const double local = 1e9;
  hp::Layout l = offloaded(0.5);
  // GPU Adam over the kept half: 30 B x 0.5e9 / 2e12; gradients down and parameters up 4 B x 0.5e9 / 50e9 each;
  // CPU Adam 28 B x 0.5e9 / 100e9.
  const double gpu = 30 * 0.5e9 / 2e12, d2h = 4 * 0.5e9 / 50e9, h2d = d2h, cpu = 28 * 0.5e9 / 100e9;
  hp::detail::OptimizerStepTime t = hp::detail::optimizer_step_time(local, l, g);
  CHECK(t.gpu_s == Approx(gpu).epsilon(1e-14));
  CHECK(t.offload_s == Approx(std::max({gpu, d2h, cpu, h2d}) - gpu).epsilon(1e-12));  // pipelined: CPU Adam sets it
  CHECK(t.offload_s == Approx(0.14 - 0.0075).epsilon(1e-12));
  l.overlap_cpu_optimizer_d2h_h2d = false;  // serial: down, CPU step beside the GPU step, up
  t = hp::detail::optimizer_step_time(local, l, g);
  CHECK(t.offload_s == Approx(d2h + std::max(cpu, gpu) + h2d - gpu).epsilon(1e-12));
  CHECK(t.offload_s == Approx(0.2125).epsilon(1e-12));
  // A tiny offloaded share hides behind the GPU step when overlapped.
  l = offloaded(1e-4);
  t = hp::detail::optimizer_step_time(local, l, g);
  CHECK(t.offload_s == 0);
  CHECK(t.gpu_s == Approx(30 * local * (1 - 1e-4) / 2e12).epsilon(1e-14));
  // Off, or a fraction of 0: the GPU step over the whole shard and nothing else, exactly.
  for (const hp::Layout& none : {asym_layout(), offloaded(0.0)}) {
    t = hp::detail::optimizer_step_time(local, none, g);
    CHECK(t.gpu_s == 30 * local / 2e12);
    CHECK(t.offload_s == 0);
  }
}

TEST_CASE("optimizer offload time in estimate(): the GPU step shrinks, the offload term adds, the rest stays",
          "[perf][time][optimizer_offload]") {
  const hp::ModelSpec m = model12();
  hp::GpuSpec g = asym_gpu();
  g.host_memory_bandwidth_bytes_per_s = 80e9;
  const hp::TimeBreakdown off = hp::estimate(m, asym_layout(), g, plain()).time;
  // The local shard behind the GPU step (30 B per parameter over HBM).
  const double local = off.optimizer_s * g.memory_bandwidth_bytes_per_s / 30;
  const hp::TimeBreakdown on = hp::estimate(m, offloaded(0.75), g, plain()).time;
  CHECK(on.optimizer_s == Approx(0.25 * off.optimizer_s).epsilon(1e-12));
  const double cpu = 28 * 0.75 * local / 80e9;
  CHECK(on.optimizer_offload_s == Approx(cpu - on.optimizer_s).epsilon(1e-9));
  CHECK(on.compute_s == off.compute_s);
  CHECK(on.dp_comm_s == off.dp_comm_s);
  CHECK(on.step_time_s == Approx(off.step_time_s - off.optimizer_s + on.optimizer_s + on.optimizer_offload_s)
                              .epsilon(1e-12));
  CHECK(on.step_time_s > off.step_time_s);
}

TEST_CASE("optimizer offload: a fraction of 0 is exactly no offload", "[perf][optimizer_offload]") {
  const hp::ModelSpec m = model12();
  const auto a = hp::to_fields(hp::estimate(m, asym_layout(), asym_gpu(), plain()));
  const auto b = hp::to_fields(hp::estimate(m, offloaded(0.0), asym_gpu(), plain()));
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    INFO(a[i].first);
    CHECK(a[i].second == b[i].second);
  }
}

TEST_CASE("optimizer offload bad input: a fraction outside 0..1, offload without the distributed optimizer",
          "[perf][optimizer_offload][bad_input]") {
  const hp::ModelSpec m = model12();
  for (double f : {-0.1, 1.5, std::numeric_limits<double>::quiet_NaN()}) {
    INFO(f);
    const hp::Layout l = offloaded(f);
    try {
      hp::validate(l);
      FAIL("no error");
    } catch (const hp::ConfigError& e) {
      CHECK(e.key() == "optimizer_offload_fraction");
    }
    CHECK(hp::estimate(m, l, asym_gpu(), plain()).reason == hp::Infeasible::optimizer_offload_invalid);
  }
  hp::Layout l = offloaded(1.0);
  l.distributed_optimizer = false;
  try {
    hp::validate(l);
    FAIL("no error");
  } catch (const hp::ConfigError& e) {
    CHECK(e.key() == "optimizer_cpu_offload");
    CHECK(std::string(e.what()).find("distributed optimizer") != std::string::npos);
  }
  CHECK(hp::estimate(m, l, asym_gpu(), plain()).reason == hp::Infeasible::optimizer_offload_invalid);
  // A fraction without the switch is ignored by the model (Megatron-Core reads it only with the switch).
  l = asym_layout();
  l.optimizer_offload_fraction = 0.5;
  CHECK(hp::estimate(m, l, asym_gpu(), plain()).memory.optimizer_bytes ==
        hp::estimate(m, asym_layout(), asym_gpu(), plain()).memory.optimizer_bytes);
}

TEST_CASE("optimizer offload in NeMo YAML: written under model.optim, read back, Megatron's rules on reading",
          "[nemo][optimizer_offload]") {
  hp::TrainingConfig c = gpt_base();
  CHECK(hp::to_nemo_yaml(c).find("optimizer_cpu_offload") == std::string::npos);  // off: nothing written
  c.optimizer_cpu_offload = true;
  c.optimizer_offload_fraction = 0.25;
  c.overlap_cpu_optimizer_d2h_h2d = false;
  const std::string yaml = hp::to_nemo_yaml(c);
  CHECK(yaml.find("optimizer_cpu_offload: true") != std::string::npos);
  CHECK(yaml.find("optimizer_offload_fraction: 0.25") != std::string::npos);
  CHECK(yaml.find("overlap_cpu_optimizer_d2h_h2d: false") != std::string::npos);
  CHECK(yaml.find("use_precision_aware_optimizer: true") != std::string::npos);
  const hp::TrainingConfig back = hp::parse_nemo_yaml(yaml);
  CHECK(back.optimizer_cpu_offload);
  CHECK(back.optimizer_offload_fraction == 0.25);
  CHECK_FALSE(back.overlap_cpu_optimizer_d2h_h2d);
  const hp::Layout l = hp::layout_from_nemo(back);
  CHECK(l.optimizer_cpu_offload);
  CHECK(l.optimizer_offload_fraction == 0.25);
  CHECK_FALSE(l.overlap_cpu_optimizer_d2h_h2d);

  // A config with only the switch: OptimizerConfig's defaults for the rest (fraction 0.0, overlap off).
  const std::string base = hp::to_nemo_yaml(gpt_base());
  const hp::TrainingConfig only = hp::parse_nemo_yaml(hp::override_yaml(base, {{"model.optim.optimizer_cpu_offload", "true"}}));
  CHECK(only.optimizer_cpu_offload);
  CHECK(only.optimizer_offload_fraction == 0.0);
  CHECK_FALSE(only.overlap_cpu_optimizer_d2h_h2d);

  auto key_of = [](const std::function<void()>& fn) {
    try {
      fn();
    } catch (const hp::ConfigError& e) {
      return e.key();
    }
    return std::string("no error");
  };
  CHECK(key_of([&] {
          hp::parse_nemo_yaml(hp::override_yaml(base, {{"model.optim.optimizer_cpu_offload", "true"},
                                                       {"model.optim.optimizer_offload_fraction", "1.5"}}));
        }) == "model.optim.optimizer_offload_fraction");
  CHECK(key_of([&] {
          hp::parse_nemo_yaml(hp::override_yaml(base, {{"model.optim.optimizer_cpu_offload", "true"},
                                                       {"model.optim.use_precision_aware_optimizer", "false"}}));
        }) == "model.optim.use_precision_aware_optimizer");
  // fused_adam is not the distributed optimizer: Megatron refuses offload with it.
  CHECK(key_of([&] {
          hp::layout_from_nemo(hp::parse_nemo_yaml(hp::override_yaml(
              base, {{"model.optim.name", "fused_adam"}, {"model.optim.optimizer_cpu_offload", "true"}})));
        }) == "optimizer_cpu_offload");
}

TEST_CASE("optimizer offload: trial config, overrides, names, records, layout text", "[search][optimizer_offload]") {
  hp::Trial t;
  t.config_name = "t";
  t.num_nodes = 2;
  t.layout.num_gpus = 16;
  t.layout.optimizer_cpu_offload = true;
  t.layout.optimizer_offload_fraction = 0.5;
  const hp::TrainingConfig c = hp::trial_config(gpt_base(), t, hp::SearchPolicy::model);
  CHECK(c.optimizer_cpu_offload);
  CHECK(c.optimizer_offload_fraction == 0.5);
  bool written = false;
  for (const auto& kv : hp::trial_overrides(c, true))
    written |= kv.first == "model.optim.optimizer_offload_fraction" && kv.second == "0.5";
  CHECK(written);
  hp::RankedLayout r;
  r.layout = t.layout;
  CHECK(hp::model_run_name("gpt3", 5, 2, r).find("_optoff50") != std::string::npos);
  r.layout.optimizer_offload_fraction = 1.0;
  const std::string whole = hp::model_run_name("gpt3", 5, 2, r);
  CHECK(whole.substr(whole.size() - 7) == "_optoff");
  r.layout.optimizer_cpu_offload = false;
  CHECK(hp::model_run_name("gpt3", 5, 2, r).find("optoff") == std::string::npos);
  CHECK(hp::describe_layout(t.layout).find(" optimizer_offload=0.5") != std::string::npos);
  hp::RankedLayout a, b;
  b.layout = t.layout;
  CHECK(hp::layout_short(b).find(" optoff=0.5") != std::string::npos);
  CHECK(hp::layout_in_words(b).find("optimizer state 50% on the CPU") != std::string::npos);
  CHECK(hp::layout_differences(a, b) == std::vector<std::string>{"optimizer offload off -> on"});
  int found = 0;
  const hp::Record record = hp::trial_record(t);
  for (const auto& f : record.fields())
    found += f.first == "optimizer_cpu_offload" || f.first == "optimizer_offload_fraction";
  CHECK(found == 2);
}

TEST_CASE("optimizer offload in the measured-runs CSV: columns read, bad values named", "[runs][optimizer_offload]") {
  const std::string head = "row_id,num_layers,hidden_size,num_attention_heads,seq_length,gpu_type,num_gpus,tp,pp,gbs,"
                           "distributed_optimizer,optimizer_cpu_offload,optimizer_offload_fraction\n";
  auto rows = [&](const std::string& body) { return hp::runs_from_table(hp::parse_csv(head + body, "test.csv")); };
  auto r = rows("1,24,4096,32,2048,h100,16,2,1,256,yes,yes,0.5\n");
  REQUIRE(r.size() == 1);
  CHECK(r[0].error == "");
  CHECK(r[0].layout.optimizer_cpu_offload);
  CHECK(r[0].layout.optimizer_offload_fraction == 0.5);
  CHECK(r[0].layout.overlap_cpu_optimizer_d2h_h2d);
  r = rows("1,24,4096,32,2048,h100,16,2,1,256,yes,yes,2\n");
  CHECK(r[0].error.find("optimizer_offload_fraction=2") != std::string::npos);
  r = rows("1,24,4096,32,2048,h100,16,2,1,256,no,yes,1\n");
  CHECK(r[0].error.find("optimizer_cpu_offload") != std::string::npos);
}

TEST_CASE("optimizer offload in the search: opt-in, with the distributed optimizer only", "[search][optimizer_offload]") {
  const hp::ModelSpec m = hp::find_model("gpt3/5b");
  const hp::GpuSpec gpu = hp::find_gpu("h100-sxm");
  const hp::SearchConfig plain_cfg = hp::parse_search_config(
      "model: gpt3\ntrain_settings:\n  model_size_in_b: 5\n  num_nodes: 2\n");
  CHECK(plain_cfg.train.optimizer_cpu_offload.empty());
  std::uint64_t offloaded_layouts = 0;
  hp::enumerate_layouts(m, hp::default_space(m, plain_cfg.train, gpu, 16, 256),
                        [&](const hp::Layout& l) { offloaded_layouts += l.optimizer_cpu_offload; });
  CHECK(offloaded_layouts == 0);

  const hp::SearchConfig cfg = hp::parse_search_config(
      "model: gpt3\ntrain_settings:\n  model_size_in_b: 5\n  num_nodes: 2\n  optimizer_cpu_offload: [false, true]\n"
      "  fsdp: true\n");
  CHECK(cfg.train.optimizer_cpu_offload == std::vector<int>{0, 1});
  std::uint64_t with = 0, without_dopt = 0, with_fsdp = 0, plain_count = 0;
  hp::enumerate_layouts(m, hp::default_space(m, cfg.train, gpu, 16, 256), [&](const hp::Layout& l) {
    with += l.optimizer_cpu_offload;
    without_dopt += l.optimizer_cpu_offload && !l.distributed_optimizer;
    with_fsdp += l.optimizer_cpu_offload && l.fsdp;
    plain_count += !l.optimizer_cpu_offload;
  });
  CHECK(with > 0);
  CHECK(without_dopt == 0);
  CHECK(with_fsdp == 0);  // Megatron-FSDP's own optimizer: offload there is not searched
  hp::TrainSettings fsdp_only = cfg.train;
  fsdp_only.optimizer_cpu_offload.clear();
  std::uint64_t base_count = 0;
  hp::enumerate_layouts(m, hp::default_space(m, fsdp_only, gpu, 16, 256), [&](const hp::Layout&) { ++base_count; });
  CHECK(plain_count == base_count);

  try {
    hp::parse_search_config("model: gpt3\ntrain_settings:\n  model_size_in_b: 5\n  optimizer_cpu_offload: [maybe]\n");
    FAIL("no error");
  } catch (const hp::ConfigError& e) {
    CHECK(e.key() == "train_settings.optimizer_cpu_offload");
  }
}
