#include <catch2/catch.hpp>

#include "hp/catalog.hpp"
#include "hp/core.hpp"
#include "hp/model.hpp"

namespace {

// A Llama-like decoder (RoPE, SwiGLU, RMSNorm, no biases, untied embeddings), as in the published model cards.
hp::ModelSpec llama_like(int layers, int hidden, int ffn, int heads, int vocab) {
  hp::ModelSpec m;
  m.family = "llama";
  m.num_layers = layers;
  m.hidden_size = hidden;
  m.ffn_hidden_size = ffn;
  m.num_attention_heads = heads;
  m.vocab_size = vocab;
  m.seq_length = 4096;
  m.position_embedding = "rope";
  m.activation = "swiglu";
  m.normalization = "rmsnorm";
  m.add_bias_linear = false;
  m.share_embeddings_and_output_weights = false;
  return m;
}

}  // namespace

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
    CHECK(total_b == Approx(e.published_size_b).epsilon(0.05));
    // NeMo's closed form agrees with the exact count for its own architectures.
    CHECK(hp::nemo_approx_parameters(e.model) / 1e9 == Approx(total_b).epsilon(0.03));
  }
}

TEST_CASE("exact count equals NeMo's GPT closed form term by term", "[model]") {
  const auto m = hp::find_model("gpt3/5b");
  // 12Lh^2 + 13Lh + (V+s)h, plus the final LayerNorm's 2h that the closed form leaves out.
  CHECK(double(hp::count_parameters(m).total) == Approx(hp::nemo_approx_parameters(m) + 2 * 4096).epsilon(1e-12));
}

TEST_CASE("GQA, SwiGLU, RMSNorm, untied: Llama-2 7B is 6.74B", "[model]") {
  hp::ModelSpec m = llama_like(32, 4096, 11008, 32, 32000);
  CHECK(hp::count_parameters(m).total == 6738415616LL);  // the published Llama-2-7b checkpoint size
  m.num_query_groups = 8;  // GQA shrinks K and V by 4x
  CHECK(hp::count_parameters(m).total == 6738415616LL - 32LL * 2 * 4096 * (4096 - 1024));
}

TEST_CASE("MoE: Mixtral 8x7B total 46.7B, active 12.9B", "[model]") {
  hp::ModelSpec m = llama_like(32, 4096, 14336, 32, 32000);
  m.num_query_groups = 8;
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
