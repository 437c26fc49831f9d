// NeMo drop-in fidelity (issue 11): NVIDIA's shipped training configs (tests/data/nemo/, transcribed with their
// source) are read with their optimizer; what we write says what current NeMo writes; clocks stay strings.
#include <catch2/catch.hpp>

#include <string>

#include "hp/core.hpp"
#include "hp/hardware.hpp"
#include "hp/nemo_config.hpp"
#include "hp/perf.hpp"
#include "hp/search.hpp"
#include "test_files.hpp"

namespace {

std::string nemo_data(const std::string& name) { return std::string(HP_SOURCE_DIR) + "/tests/data/nemo/" + name; }

hp::TrainingConfig with_optimizer(const std::string& name) {
  std::string text = hptest::slurp(nemo_data("gpt3_5b.yaml"));
  const std::string from = "name: mcore_distributed_optim";
  text.replace(text.find(from), from.size(), "name: " + name);
  return hp::parse_nemo_yaml(text);
}

}  // namespace

TEST_CASE("nemo fidelity: NVIDIA's gpt3 5b is read with the distributed optimizer and fits an A100-80GB",
          "[nemo_fid]") {
  const hp::TrainingConfig c = hp::load_nemo_yaml(nemo_data("gpt3_5b.yaml"));
  CHECK(c.optimizer == "mcore_distributed_optim");
  CHECK(c.distributed_optimizer);
  const hp::GpuSpec gpu = hp::find_gpu("a100-80gb");
  const hp::Layout l = hp::layout_from_nemo(c);
  CHECK(l.distributed_optimizer);
  const hp::Estimate e = hp::estimate(c.model, l, gpu, hp::default_calibration(gpu));
  CHECK(e.fits);
  // The same file with a non-sharding optimizer: the full fp32 master and Adam state on every rank.
  const hp::TrainingConfig f = with_optimizer("fused_adam");
  CHECK_FALSE(f.distributed_optimizer);
  const hp::Estimate ef = hp::estimate(f.model, hp::layout_from_nemo(f), gpu, hp::default_calibration(gpu));
  CHECK(ef.memory.optimizer_bytes > 4 * e.memory.optimizer_bytes);
}

TEST_CASE("nemo fidelity: every optimizer name NeMo knows, and an unknown one names the key and the accepted names",
          "[nemo_fid]") {
  int distributed = 0;
  for (const hp::NemoOptimizer& o : hp::nemo_optimizers()) {
    const hp::TrainingConfig c = with_optimizer(o.name);
    CHECK(c.optimizer == o.name);
    CHECK(c.distributed_optimizer == o.distributed);
    distributed += o.distributed;
  }
  CHECK(distributed == 2);
  CHECK(hp::nemo_optimizers().front().name == "mcore_distributed_optim");
  try {
    with_optimizer("adam_typo");
    FAIL("no error");
  } catch (const hp::ConfigError& e) {
    CHECK(e.key() == "model.optim.name");
    CHECK(e.value() == "adam_typo");
    CHECK_THAT(e.what(), Catch::Contains("mcore_distributed_optim") && Catch::Contains("distributed_fused_adam") &&
                             Catch::Contains("sgd") && Catch::Contains("adamw"));
  }
}

TEST_CASE("nemo fidelity: DistributedFusedAdam's optim.dtype sets the optimizer state bytes", "[nemo_fid]") {
  auto with_dtype = [](const std::string& dtype) {
    std::string text = hptest::slurp(nemo_data("gpt3_5b.yaml"));
    const std::string from = "name: mcore_distributed_optim";
    text.replace(text.find(from), from.size(), "name: distributed_fused_adam\n    dtype: " + dtype);
    return hp::parse_nemo_yaml(text);
  };
  CHECK(with_optimizer("distributed_fused_adam").optimizer_state_bytes == 12);
  CHECK(with_dtype("fp32").optimizer_state_bytes == 12);
  const hp::TrainingConfig bf16 = with_dtype("bf16");
  CHECK(bf16.optimizer_state_bytes == 6);
  CHECK(hp::layout_from_nemo(bf16).optimizer_state_bytes == 6);
  CHECK(with_dtype("16").optimizer_state_bytes == 6);
  try {
    with_dtype("int8");
    FAIL("no error");
  } catch (const hp::ConfigError& e) {
    CHECK(e.key() == "model.optim.dtype");
    CHECK(e.value() == "int8");
  }
}

TEST_CASE("nemo fidelity: the writer keeps a read optimizer name that agrees, else NeMo's current default",
          "[nemo_fid]") {
  hp::TrainingConfig c = with_optimizer("distributed_fused_adam");
  CHECK(hp::nemo_optimizer_name(c) == "distributed_fused_adam");
  c.distributed_optimizer = false;  // a search layout without the distributed optimizer
  CHECK(hp::nemo_optimizer_name(c) == "fused_adam");
  c.optimizer.clear();
  c.distributed_optimizer = true;
  CHECK(hp::nemo_optimizer_name(c) == "mcore_distributed_optim");
  const std::string gpt = hp::to_nemo_yaml(hp::base_config({}));
  CHECK_THAT(gpt, Catch::Contains("name: mcore_distributed_optim") && Catch::Contains("transformer_engine: true"));
  hp::BaseConfigRequest t5;
  t5.family = "mt5";
  t5.size_b = 0.17;
  const std::string mt5 = hp::to_nemo_yaml(hp::base_config(t5));
  CHECK_THAT(mt5, Catch::Contains("mcore_t5: true") && Catch::Contains("name: megatron_mt5") &&
                      Catch::Contains("splits_string: 999892,99,9") && Catch::Contains("project: nemo_mt5"));
  CHECK(hp::parse_nemo_yaml(mt5).model.family == "mt5");
}

TEST_CASE("nemo fidelity: clock values stay quoted through a dotted override", "[nemo_fid]") {
  const std::string text = "run:\n  time_limit: \"12-00:00:00\"\ntrainer:\n  max_time: \"12:23:30:00\"\n";
  const std::string out = hp::override_yaml(text, {{"trainer.max_steps", "50"}, {"run.other", "1:30"}});
  CHECK_THAT(out, Catch::Contains("max_time: \"12:23:30:00\"") && Catch::Contains("time_limit: \"12-00:00:00\"") &&
                      Catch::Contains("other: \"1:30\""));
  hp::BaseConfigRequest r;
  r.max_training_days = 12.5;
  const std::string base = hp::to_nemo_yaml(hp::base_config(r));
  CHECK_THAT(base, Catch::Contains("max_time: \"12:11:30:00\"") && Catch::Contains("time_limit: \"12-12:00:00\""));
}

TEST_CASE("nemo fidelity: base config run names and defaults as NeMo's generate_base_config", "[nemo_fid]") {
  hp::BaseConfigRequest r;
  r.size_b = 0.126;
  r.num_nodes = 8;
  const hp::TrainingConfig c = hp::base_config(r);
  CHECK(c.run_name == "gpt3_0.126b");
  CHECK(c.micro_batch_size == 4);
  CHECK_THAT(hp::to_nemo_yaml(c), Catch::Contains("val_check_interval: 50") && Catch::Contains("bucket_cap_mb: 125"));
  CHECK(hp::nemo_size_label(5) == "5b");
  CHECK(hp::nemo_size_label(0.843) == "0.843b");
}

TEST_CASE("nemo fidelity: each optimizer's state bytes set the optimizer memory", "[nemo_fid]") {
  const hp::GpuSpec gpu = hp::find_gpu("a100-80gb");
  const hp::Calibration cal = hp::default_calibration(gpu);
  auto optimizer_gib = [&](const hp::TrainingConfig& c) {
    return hp::estimate(c.model, hp::layout_from_nemo(c), gpu, cal).memory.optimizer_bytes / hp::kGiB;
  };
  const double adam = optimizer_gib(with_optimizer("adam"));
  CHECK(adam > 0);
  CHECK(optimizer_gib(with_optimizer("adamw")) == Approx(adam));
  CHECK(optimizer_gib(with_optimizer("sgd")) == Approx(adam * 4 / 12));
  CHECK(optimizer_gib(with_optimizer("sgd\n    momentum: 0.9")) == Approx(adam * 8 / 12));
  CHECK(optimizer_gib(with_optimizer("adagrad")) == Approx(adam * 8 / 12));
  CHECK(optimizer_gib(with_optimizer("adan")) == Approx(adam * 20 / 12));
  CHECK(optimizer_gib(with_optimizer("adafactor\n    beta1: 0.9")) == Approx(adam * 8 / 12));
  // Sharded: the same 12 B over the data-parallel group.
  const hp::TrainingConfig d = with_optimizer("mcore_distributed_optim");
  CHECK(optimizer_gib(d) == Approx(adam / hp::layout_from_nemo(d).dp()).epsilon(0.01));
  CHECK_THROWS_WITH(with_optimizer("sgd\n    momentum: fast"), Catch::Contains("model.optim.momentum=fast"));
}

TEST_CASE("nemo fidelity: optional sections (optim, optim.sched, data, tokenizer) may be absent", "[nemo_fid]") {
  const std::string gpt =
      "model:\n  num_layers: 2\n  hidden_size: 256\n  ffn_hidden_size: 1024\n  num_attention_heads: 4\n"
      "  encoder_seq_length: 512\n  global_batch_size: 8\n  micro_batch_size: 1\n  tensor_model_parallel_size: 1\n"
      "  pipeline_model_parallel_size: 1\n";
  const hp::TrainingConfig a = hp::parse_nemo_yaml(gpt);
  CHECK(a.optimizer.empty());
  CHECK(a.optimizer_state_bytes == 12);
  const hp::TrainingConfig b = hp::parse_nemo_yaml(gpt + "  optim:\n    name: sgd\n    lr: 0.1\n");
  CHECK(b.optimizer == "sgd");
  CHECK(b.lr == Approx(0.1));
  CHECK_FALSE(b.distributed_optimizer);
}
