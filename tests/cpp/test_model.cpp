#include <catch2/catch.hpp>

#include <cstdint>

#include "hp/catalog.hpp"
#include "hp/core.hpp"
#include "hp/model.hpp"

TEST_CASE("GPT-3 175B exact count is 174.6B within 0.1%", "[model]") {
  const auto c = hp::count_parameters(hp::find_model("gpt3/175b"));
  CHECK(double(c.total) == Approx(174.6e9).epsilon(0.001));
  // Per layer 12h^2 + 13h (Narayanan et al. 2021 eq. for a GPT layer with biases and two LayerNorms).
  const double h = 12288;
  CHECK(double(c.attention + c.mlp + c.norms - 2 * h) == Approx(96 * (12 * h * h + 13 * h)));
  CHECK(c.output_layer == 0);  // tied embeddings
}

TEST_CASE("every pre-defined config matches its published size", "[model]") {
  for (const auto& e : hp::model_catalog()) {
    INFO(e.key);
    const double total_b = double(hp::count_parameters(e.model).total) / 1e9;
    if (e.published_size_b > 0) CHECK(total_b == Approx(e.published_size_b).epsilon(0.05));
    // NeMo's closed form agrees with the exact count for the architectures it was written for.
    if (hp::family_has_size_rule(e.model.family))
      CHECK(hp::nemo_approx_parameters(e.model) / 1e9 == Approx(total_b).epsilon(0.03));
  }
}

TEST_CASE("new families: exact counts equal the published checkpoints", "[model][families]") {
  auto total = [](const char* key) { return hp::count_parameters(hp::find_model(key)).total; };
  // Parameter counts of the published checkpoints (sum of tensor sizes in the released weights).
  CHECK(total("llama/llama2_7b") == 6738415616LL);
  CHECK(total("llama/llama2_13b") == 13015864320LL);
  CHECK(total("llama/llama2_70b") == 68976648192LL);
  CHECK(total("llama/llama3_8b") == 8030261248LL);
  CHECK(total("llama/llama3_70b") == 70553706496LL);
  CHECK(total("chatglm/chatglm3-6b") == 6243584000LL);
  CHECK(total("baichuan2/baichuan2_7b") == 7505973248LL);
  CHECK(total("baichuan2/baichuan2_13b") == 13896668160LL);
  CHECK(total("qwen2/qwen2_7b") == 7721324544LL);
  CHECK(total("qwen2/qwen2_72b") == 72287920128LL);
  // Base-config names are aliases of the catalogue keys.
  CHECK(total("llama3_70b") == total("llama/llama3_70b"));
  CHECK(total("mixtral_7b") == total("mixtral/mixtral_8x7b"));
}

TEST_CASE("Mixtral 8x7B from the catalogue: 46.7B total, 12.9B active, and 8x3B by its modules", "[model][families]") {
  const auto c = hp::count_parameters(hp::find_model("mixtral/mixtral_8x7b"));
  CHECK(c.total == 46702792704LL);  // Mixtral-8x7B-v0.1 checkpoint
  CHECK(double(c.active) / 1e9 == Approx(12.88).epsilon(0.002));
  // 8x3B (NeMo's own shape, no published size): per layer GQA attention + 8 SwiGLU experts + router + 2 norms.
  const std::int64_t h = 2560, f = 8960, kv = 8 * 80, V = 32000;
  const std::int64_t layer = h * (h + 2 * kv) + h * h + 8 * (3 * h * f) + 8 * h + 2 * h;
  CHECK(hp::count_parameters(hp::find_model("mixtral_3b")).total == 32 * layer + h + 2 * V * h);
}

TEST_CASE("QKV bias (Qwen2, ChatGLM) adds q + 2 kv per layer, and ALiBi has no weights", "[model][families]") {
  auto m = hp::find_model("qwen2/qwen2_4b");
  const auto with_bias = hp::count_parameters(m).total;
  m.qkv_bias = false;
  CHECK(with_bias - hp::count_parameters(m).total == 40LL * 3 * 2560);
  auto b = hp::find_model("baichuan2/baichuan2_13b");
  CHECK(b.position_embedding == "alibi");
  CHECK(hp::count_parameters(b).position_embedding == 0);
}

TEST_CASE("BERT: encoder stack plus the masked-LM head, and NeMo's BERT closed form", "[model][families]") {
  const auto m = hp::find_model("bert/110m");
  const auto c = hp::count_parameters(m);
  const std::int64_t h = 768, V = 30522;
  // embeddings + positions, 12 x (12h^2 + 13h), one extra LayerNorm, LM head dense + LayerNorm + vocab bias.
  CHECK(c.total == V * h + 512 * h + 12 * (12 * h * h + 13 * h) + 2 * h + (h * h + h) + 2 * h + V);
  CHECK(double(c.total) / 1e6 == Approx(110).epsilon(0.01));  // BERT-base, Devlin et al. (2019)
  auto with_nsp = m;
  with_nsp.bert_binary_head = true;  // pooler, 2-way classifier, 2 token types
  CHECK(hp::count_parameters(with_nsp).total - c.total == (h * h + h) + (2 * h + 2) + 2 * h);
  // NeMo's formula: L (F + h (4h + 3 heads + 2F + 6)) + h (V + s + h + 5).
  const double F = 4 * 768;
  CHECK(hp::nemo_approx_parameters(m) == Approx(12 * (F + 768 * (4 * 768 + 36 + 2 * F + 6)) + 768.0 * (V + 512 + 768 + 5)));
}

TEST_CASE("exact count equals NeMo's GPT closed form term by term", "[model]") {
  const auto m = hp::find_model("gpt3/5b");
  // 12Lh^2 + 13Lh + (V+s)h, plus the final LayerNorm's 2h that the closed form leaves out.
  CHECK(double(hp::count_parameters(m).total) == Approx(hp::nemo_approx_parameters(m) + 2 * 4096).epsilon(1e-12));
}

TEST_CASE("GQA, SwiGLU, RMSNorm, untied: Llama-2 7B is 6.74B", "[model]") {
  hp::ModelSpec m = hp::find_model("llama/llama2_7b");
  CHECK(hp::count_parameters(m).total == 6738415616LL);  // the published Llama-2-7b checkpoint size
  m.num_query_groups = 8;  // GQA shrinks K and V by 4x
  CHECK(hp::count_parameters(m).total == 6738415616LL - 32LL * 2 * 4096 * (4096 - 1024));
}

TEST_CASE("MoE: Mixtral 8x7B total 46.7B, active 12.9B", "[model]") {
  hp::ModelSpec m = hp::find_model("llama/llama3_8b");  // a dense GQA decoder of the same width
  m.ffn_hidden_size = 14336;
  m.vocab_size = 32000;
  m.moe_num_experts = 8;
  m.moe_topk = 2;
  const auto c = hp::count_parameters(m);
  CHECK(double(c.total) / 1e9 == Approx(46.7).epsilon(0.005));   // Mistral AI, Mixtral of Experts (2024)
  CHECK(double(c.active) / 1e9 == Approx(12.9).epsilon(0.01));
}

TEST_CASE("T5 counts cross-attention and both stacks", "[model]") {
  const auto c = hp::count_parameters(hp::find_model("t5/220m"));
  CHECK(c.cross_attention > 0);
  CHECK(c.cross_attention == 12 * (4LL * 768 * 768 + 3 * 768 + 768));
}

TEST_CASE("bad model input names the key and the value", "[model][errors]") {
  auto m = hp::find_model("gpt3/126m");
  m.num_attention_heads = 7;
  CHECK_THROWS_WITH(hp::count_parameters(m), Catch::Contains("num_attention_heads=7"));
  m = hp::find_model("gpt3/126m");
  m.num_layers = 0;
  CHECK_THROWS_AS(hp::count_parameters(m), hp::ConfigError);
  CHECK_THROWS_WITH(hp::find_model("gpt3/6b"), Catch::Contains("model=gpt3/6b"));
}
