// NeMo's own grid for every family its auto-configurator takes, on NVIDIA's shipped search configs
// (tests/data/nemo/search_config, NeMo-Framework-Launcher 26e42fa). The expected counts and trials are what
// NeMo's generate_grid_search_configs produces for the same files (its launch order, limit_search_runs).
#include <catch2/catch.hpp>

#include <string>
#include <tuple>
#include <vector>

#include "hp/catalog.hpp"
#include "hp/core.hpp"
#include "hp/families.hpp"
#include "hp/hardware.hpp"
#include "hp/inference.hpp"
#include "hp/inference_search.hpp"
#include "hp/search.hpp"

namespace {

std::string shipped(const std::string& family_file) {
  return std::string(HP_SOURCE_DIR) + "/tests/data/nemo/search_config/" + family_file + ".yaml";
}

hp::SearchResult nemo(const std::string& family_file) {
  hp::SearchOptions o;
  o.write_files = false;
  o.policy = "nemo";
  return hp::search(hp::load_search_config(shipped(family_file)), o);
}

// (tp, pp, cp, ep, mbs, vp, act_ckpt_layers, num_mbs_act, act_per_pipe), -1 for None, vp 1 for None.
using Key = std::tuple<int, int, int, int, int, int, int, int, int>;
Key key(const hp::Trial& t) {
  return {t.layout.tp, t.layout.pp, t.layout.cp, t.layout.ep, t.layout.mbs, t.layout.vp, t.act_ckpt_layers,
          t.num_micro_batches_with_partial_activation_checkpoints, t.activations_checkpoint_layers_per_pipeline};
}

}  // namespace

TEST_CASE("llama2_7b: block act-ckpt sweep, 855 candidates, and NeMo's 100 launches are 69 distinct", "[search][nemo][families]") {
  const auto r = nemo("llama/llama2_7b");
  CHECK(r.family == "llama");
  CHECK(r.gbs == 128);  // the shipped base config's GBS
  CHECK(r.model.num_layers == 32);
  CHECK(r.ranked.size() == 855);
  // NeMo launches its list's first 100 entries; pp 2's partial range [1, 1, 2] repeats 31 of them.
  REQUIRE(r.plan.trials.size() == 69);
  CHECK(key(r.plan.trials[0]) == Key{1, 1, 1, 1, 1, 1, 0, -1, -1});
  CHECK(key(r.plan.trials[1]) == Key{1, 1, 1, 1, 2, 1, 0, -1, -1});
  CHECK(key(r.plan.trials[68]) == Key{2, 2, 1, 1, 1, 1, 0, 1, 32});
  CHECK(r.plan.trials[0].config_name == "llama_7b_1nodes_tp_1_pp_1_cp_1_ep_1_mbs_1_act_ckpt_0_num_mbs_act_None_act_per_pipe_None");
}

TEST_CASE("llama2_70b: pp 2 partial checkpointing, 174 candidates, 76 distinct in 100 launches", "[search][nemo][families]") {
  const auto r = nemo("llama/llama2_70b");
  CHECK(r.ranked.size() == 174);
  REQUIRE(r.plan.trials.size() == 76);
  CHECK(key(r.plan.trials[0]) == Key{4, 2, 1, 1, 1, 1, 0, 1, 0});
  CHECK(key(r.plan.trials[1]) == Key{4, 2, 1, 1, 1, 1, 0, 1, 16});
  CHECK(key(r.plan.trials[75]) == Key{4, 2, 1, 1, 1, 1, 16, 1, 16});
}

TEST_CASE("llama3_70b: CP list [1,2,4] searched, the shipped VP 10 kept for pp 1 (NeMo's stale VP)", "[search][nemo][families]") {
  const auto r = nemo("llama/llama3_70b");
  CHECK(r.gbs == 2048);
  REQUIRE(r.plan.trials.size() == 27);  // seq 8192 above 45B falls back to NeMo's default grid (pp 1)
  CHECK(key(r.plan.trials[0]) == Key{1, 1, 1, 1, 1, 10, -1, -1, -1});
  CHECK(key(r.plan.trials[1]) == Key{1, 1, 2, 1, 1, 10, -1, -1, -1});
  CHECK(key(r.plan.trials[26]) == Key{8, 1, 1, 1, 8, 10, -1, -1, -1});
  CHECK(r.plan.trials[1].config_name ==
        "llama_70b_128nodes_tp_1_pp_1_cp_2_ep_1_mbs_1_act_ckpt_None_num_mbs_act_None_act_per_pipe_None");
}

TEST_CASE("llama3_8b: 14 candidates with CP", "[search][nemo][families]") {
  const auto r = nemo("llama/llama3_8b");
  REQUIRE(r.plan.trials.size() == 14);
  CHECK(key(r.plan.trials[0]) == Key{2, 1, 1, 1, 1, 1, -1, -1, -1});
  CHECK(key(r.plan.trials[1]) == Key{2, 1, 2, 1, 1, 1, -1, -1, -1});
  CHECK(key(r.plan.trials[13]) == Key{4, 2, 1, 1, 2, 1, -1, -1, -1});
}

TEST_CASE("mixtral: EP lists from the search config, and 8x3B keeps its shipped VP 8", "[search][nemo][families]") {
  const auto small = nemo("mixtral/3b");
  CHECK(small.model.moe_num_experts == 8);
  REQUIRE(small.plan.trials.size() == 24);
  CHECK(key(small.plan.trials[0]) == Key{1, 1, 1, 1, 1, 8, -1, -1, -1});
  CHECK(key(small.plan.trials[1]) == Key{1, 1, 1, 2, 1, 8, -1, -1, -1});
  CHECK(key(small.plan.trials[23]) == Key{4, 1, 1, 2, 8, 8, -1, -1, -1});
  const auto big = nemo("mixtral/7b");
  REQUIRE(big.plan.trials.size() == 42);
  CHECK(key(big.plan.trials[1]) == Key{1, 1, 1, 2, 1, 1, -1, -1, -1});
  CHECK(key(big.plan.trials[41]) == Key{4, 2, 1, 1, 4, 1, -1, -1, -1});
}

TEST_CASE("qwen2: 4 / 4 / 2 / 13 candidates, and 14b's pp 4 gets vp = L // pp", "[search][nemo][families]") {
  CHECK(nemo("qwen2/4b").plan.trials.size() == 4);
  CHECK(nemo("qwen2/7b").plan.trials.size() == 4);
  const auto q14 = nemo("qwen2/14b");
  REQUIRE(q14.plan.trials.size() == 2);
  CHECK(key(q14.plan.trials[0]) == Key{8, 2, 1, 1, 1, 1, -1, -1, -1});
  CHECK(key(q14.plan.trials[1]) == Key{8, 4, 1, 1, 1, 10, -1, -1, -1});
  const auto q72 = nemo("qwen2/72b");
  REQUIRE(q72.plan.trials.size() == 13);
  CHECK(key(q72.plan.trials[12]) == Key{8, 1, 1, 1, 8, 1, -1, -1, -1});
}

TEST_CASE("baichuan2 and chatglm: block sweep, and chatglm's size is the search config's 1 (sic)", "[search][nemo][families]") {
  const auto b13 = nemo("baichuan2/13b");
  CHECK(b13.gbs == 64);
  CHECK(b13.ranked.size() == 234);
  REQUIRE(b13.plan.trials.size() == 70);
  CHECK(key(b13.plan.trials[69]) == Key{4, 2, 1, 1, 4, 1, 0, 1, 24});
  CHECK(nemo("baichuan2/7b").ranked.size() == 855);
  const auto glm = nemo("chatglm/6b");
  CHECK(glm.size_b == 1);
  CHECK(glm.gbs == 16);
  CHECK(glm.ranked.size() == 404);
  REQUIRE(glm.plan.trials.size() == 68);
  CHECK(key(glm.plan.trials[67]) == Key{2, 2, 1, 1, 1, 1, 0, 2, 24});
  CHECK(glm.plan.trials[0].config_name == "chatglm_1b_1nodes_tp_1_pp_1_cp_1_ep_1_mbs_1_act_ckpt_0_num_mbs_act_None_act_per_pipe_None");
}

TEST_CASE("bert: NeMo's size rule builds the base config, and fixed PP lists and VP for pp > 2", "[search][nemo][families]") {
  const auto b100 = nemo("bert/100b");
  CHECK(b100.model.num_layers == 96);
  CHECK(b100.model.hidden_size == 9216);
  REQUIRE(b100.plan.trials.size() == 20);
  CHECK(key(b100.plan.trials[0]) == Key{4, 4, 1, 1, 2, 24, -1, -1, -1});
  CHECK(key(b100.plan.trials[1]) == Key{4, 8, 1, 1, 2, 12, -1, -1, -1});
  CHECK(key(b100.plan.trials[19]) == Key{8, 16, 1, 1, 8, 6, -1, -1, -1});
  CHECK(b100.plan.trials[0].config_name ==
        "bert_100b_128nodes_tp_4_pp_4_cp_None_ep_None_mbs_2_act_ckpt_None_num_mbs_act_None_act_per_pipe_None");
  CHECK(nemo("bert/0.11b").plan.trials.size() == 7);
  CHECK(nemo("bert/4b").plan.trials.size() == 12);
  CHECK(nemo("bert/20b").plan.trials.size() == 6);
  const auto unknown = nemo("bert/unknown_size");  // size estimated from 64 GPUs x 7 days: 0.38B
  CHECK(unknown.size_b == Approx(0.38));
  CHECK(unknown.plan.trials.size() == 7);
}

TEST_CASE("every shipped search config of the nine families plans under both policies", "[search][families]") {
  const char* files[] = {"gpt3/0.126b", "gpt3/5b", "gpt3/175b", "gpt3/unknown_size", "t5/0.22b", "t5/11b",
                         "mt5/0.17b", "mt5/unknown_size", "bert/0.11b", "bert/4b", "bert/20b", "bert/100b",
                         "bert/unknown_size", "llama/llama2_7b", "llama/llama2_7b_nemo", "llama/llama2_13b",
                         "llama/llama2_70b", "llama/llama3_8b", "llama/llama3_70b", "mixtral/3b", "mixtral/7b",
                         "qwen2/4b", "qwen2/7b", "qwen2/14b", "qwen2/72b", "baichuan2/7b", "baichuan2/13b",
                         "chatglm/6b"};
  for (const char* f : files) {
    INFO(f);
    CHECK_FALSE(nemo(f).plan.trials.empty());
    hp::SearchOptions o;
    o.write_files = false;
    o.policy = "model";
    const auto m = hp::search(hp::load_search_config(shipped(f)), o);
    CHECK(m.feasible > 0);
    CHECK_FALSE(m.plan.trials.empty());
  }
}

TEST_CASE("custom_config names a built-in base config, and unknown names list the known ones", "[search][families][errors]") {
  CHECK(hp::builtin_base_config_reference("${auto_configurator_path}/base_configs/llama3_70b.yaml") == "llama3_70b");
  CHECK(hp::builtin_base_config_reference("/home/me/llama3_70b.yaml").empty());
  const auto c = hp::builtin_base_config("mixtral_7b");
  CHECK(c.model.moe_num_experts == 8);
  CHECK(c.tensor_model_parallel_size == 8);
  CHECK(c.pipeline_model_parallel_size == 4);
  const std::string yaml =
      "model: llama\ntrain_settings:\n  model_size_in_b: 7\n  custom_config: ${auto_configurator_path}/base_configs/llama9_7b.yaml\n";
  hp::SearchOptions o;
  o.write_files = false;
  CHECK_THROWS_AS(hp::search(hp::parse_search_config(yaml), o), hp::ConfigError);
  CHECK_THROWS_WITH(hp::search(hp::parse_search_config(yaml), o),
                    Catch::Contains("train_settings.custom_config=llama9_7b") && Catch::Contains("llama3_70b"));
  CHECK_THROWS_WITH(hp::parse_search_config("model: gpt4\ntrain_settings:\n  model_size_in_b: 7\n"),
                    Catch::Contains("model=gpt4") && Catch::Contains("chatglm"));
}

TEST_CASE("inference search for the decoder-only families, and BERT is refused", "[inference][families]") {
  const auto gpu = hp::find_gpu("h100-sxm");
  const auto cal = hp::default_inference_calibration(gpu);
  for (const char* key : {"llama/llama3_70b", "mixtral/mixtral_8x7b", "qwen2/qwen2_72b", "baichuan2/baichuan2_13b",
                          "chatglm/chatglm3-6b"}) {
    INFO(key);
    hp::SearchConfig c;
    c.inference.model = key;
    const hp::ModelSpec m = hp::inference_model(c);
    const double size_b = double(hp::count_parameters(m).total) / 1e9;
    const hp::InferenceSettings s = hp::with_nemo_inference_defaults(hp::InferenceSettings{}, size_b);
    const auto r = hp::inference_search(m, gpu, s, cal);
    REQUIRE(r.best >= 0);
    const auto& best = r.candidates[r.best];
    CHECK(best.within_bound);
    CHECK(best.estimate.fits);
    CHECK(m.num_attention_heads % best.layout.tp == 0);
    // Weights alone need more than one 80 GB GPU above ~40B parameters in 16-bit.
    if (size_b > 45) CHECK(best.layout.tp * best.layout.pp > 1);
  }
  hp::SearchConfig named;
  named.inference.model = "llama3_70b";  // NeMo's base-config name
  CHECK(hp::inference_model(named).num_layers == 80);
  hp::SearchConfig bert;
  bert.inference.model = "bert/110m";
  CHECK_THROWS_WITH(hp::inference_model(bert), Catch::Contains("inference_settings.model=bert/110m"));
}
