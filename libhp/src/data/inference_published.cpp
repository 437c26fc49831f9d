// Architectures of the models in the published inference measurements (libhp/data/inference_published.csv,
// sources in libhp/data/inference_published.md), and the parsed measurements themselves.
#include <string>
#include <vector>

#include "hp/core.hpp"
#include "hp/inference_validate.hpp"

namespace hp {

namespace {

ModelSpec decoder(const char* name, int layers, int hidden, int heads, int groups, int ffn, int vocab, int max_pos,
                  const char* act, bool tied, bool bias) {
  ModelSpec m;
  m.family = "gpt3";
  m.name = name;
  m.num_layers = layers;
  m.hidden_size = hidden;
  m.num_attention_heads = heads;
  m.num_query_groups = groups;
  m.ffn_hidden_size = ffn;
  m.vocab_size = vocab;
  m.seq_length = max_pos;
  m.max_position_embeddings = max_pos;
  m.position_embedding = "rope";
  m.activation = act;
  m.normalization = std::string(act) == "swiglu" ? "rmsnorm" : "layernorm";
  m.share_embeddings_and_output_weights = tied;
  m.add_bias_linear = bias;
  return m;
}

}  // namespace

ModelSpec validation_model(const std::string& name) {
  // huggingface.co/EleutherAI/gpt-j-6b config.json: n_layer 28, n_embd 4096, n_head 16, n_inner 4*n_embd,
  // vocab 50400, n_positions 2048, untied lm_head (also the build command on the TensorRT-LLM page).
  if (name == "gpt-j-6b") return decoder("gpt-j-6b", 28, 4096, 16, 0, 16384, 50400, 2048, "gelu", false, false);
  // huggingface.co/huggyllama/llama-7b config.json: 32 layers, 4096, 32 heads, intermediate 11008, vocab 32000.
  if (name == "llama-7b") return decoder("llama-7b", 32, 4096, 32, 0, 11008, 32000, 2048, "swiglu", false, false);
  // huggingface.co/meta-llama/Llama-2-70b-hf config.json: 80 layers, 8192, 64 heads, 8 KV heads, 28672, 32000.
  if (name == "llama-2-70b")
    return decoder("llama-2-70b", 80, 8192, 64, 8, 28672, 32000, 4096, "swiglu", false, false);
  // huggingface.co/tiiuae/falcon-180B config.json: 80 layers, hidden 14848, 232 heads, num_kv_heads 8,
  // FFN 4 * hidden, vocab 65024, no biases, tied embeddings.
  if (name == "falcon-180b")
    return decoder("falcon-180b", 80, 14848, 232, 8, 4 * 14848, 65024, 2048, "gelu", true, false);
  // FasterTransformer gpt_guide.md Performance section: head_num x size_per_head, num_layers, vocab 51200;
  // Megatron GPT (learned positions, FFN 4h, biases, tied embeddings).
  struct Ft {
    const char* name;
    int layers, heads, head_dim;
  };
  const Ft ft[] = {{"gpt-530b", 105, 128, 160}, {"gpt-175b", 96, 96, 128}, {"gpt-89b", 48, 96, 128},
                   {"gpt-20b", 44, 48, 128},    {"gpt-6.7b", 32, 32, 128}, {"gpt-1.3b", 24, 32, 64},
                   {"gpt-350m", 24, 16, 64}};
  for (const auto& f : ft)
    if (name == f.name) {
      ModelSpec m = decoder(f.name, f.layers, f.heads * f.head_dim, f.heads, 0, 4 * f.heads * f.head_dim, 51200, 2048,
                            "gelu", true, true);
      m.position_embedding = "learned_absolute";
      return m;
    }
  throw ConfigError("model", name,
                    "not a validation model (gpt-j-6b, llama-7b, llama-2-70b, falcon-180b, gpt-530b, gpt-175b, gpt-89b, "
                    "gpt-20b, gpt-6.7b, gpt-1.3b, gpt-350m)");
}

const std::vector<InferenceMeasurement>& published_inference_measurements() {
  static const std::vector<InferenceMeasurement> rows =
      parse_inference_measurements_csv(published_inference_csv(), "libhp/data/inference_published.csv");
  return rows;
}

}  // namespace hp

namespace hp {

const std::vector<InferenceMeasurement>& published_serving_measurements() {
  static const std::vector<InferenceMeasurement> rows =
      parse_inference_measurements_csv(published_serving_csv(), "libhp/data/serving_published.csv");
  return rows;
}

}  // namespace hp
