// Published inference measurements used to validate and calibrate the inference model.
// Every row is copied from a table of NVIDIA's TensorRT-LLM performance page; the source is on the row.
// All are static-batching runs of gptSessionBenchmark (batch, input and output lengths fixed), which is the
// regime the model predicts (NeMo's FasterTransformer benchmark is the same kind of run).
//
// Left out on purpose: the A100 rows with TP > 1 of the v0.6.1 page, whose column says "out tok/s" while the
// H100 table of the same page says "out tok/s/GPU" (per GPU or total is ambiguous for TP > 1); L40S rows (no
// L40S in the GPU catalogue).
#include <string>
#include <vector>

#include "hp/core.hpp"
#include "hp/inference_validate.hpp"

namespace hp {

namespace {

// TensorRT-LLM docs/source/performance.md at commit 138f96d45f90b9667426f7c47297d8c06bafac73
// ("This data has been updated for v0.6.1"): Peak Throughput tables; Low Latency tables hold v0.5 data.
const char* const kV061 =
    "https://github.com/NVIDIA/TensorRT-LLM/blob/138f96d45f90b9667426f7c47297d8c06bafac73/docs/source/performance.md";
// TensorRT-LLM release/0.5.0 docs/source/performance.md: High Throughput, H100 GPUs (FP8), "Throughput (out tok/s)".
const char* const kV050 = "https://github.com/NVIDIA/TensorRT-LLM/blob/release/0.5.0/docs/source/performance.md";

// FasterTransformer docs/gpt_guide.md (NVIDIA/FasterTransformer @07fdd2fc6aa46f961f304d5f3791efad016e38a3),
// "Performance": A100-80GB SuperPOD nodes (8 GPUs on NVSwitch, 8x 200 Gb/s InfiniBand), FP16, FT latency of the
// whole batch (context + generation) -- the benchmark NeMo's inference search runs (multi_gpu_gpt_example).
const char* const kFt =
    "https://github.com/NVIDIA/FasterTransformer/blob/07fdd2fc6aa46f961f304d5f3791efad016e38a3/docs/gpt_guide.md";

struct FtRow {
  const char* model;
  int batch, tp, pp, input, output;
  double latency_ms;
};

const FtRow kFtRows[] = {
    // Megatron-530B: TP 16 (2 nodes), TP 32 (4 nodes), TP 8 x PP 3 (3 nodes); input 60, output 20.
    {"gpt-530b", 1, 16, 1, 60, 20, 1379}, {"gpt-530b", 16, 16, 1, 60, 20, 1868}, {"gpt-530b", 128, 16, 1, 60, 20, 5406},
    {"gpt-530b", 1, 32, 1, 60, 20, 1037}, {"gpt-530b", 16, 32, 1, 60, 20, 1454}, {"gpt-530b", 128, 32, 1, 60, 20, 4099},
    {"gpt-530b", 1, 8, 3, 60, 20, 2085},  {"gpt-530b", 16, 8, 3, 60, 20, 2753},  {"gpt-530b", 128, 8, 3, 60, 20, 5319},
    // GPT-175B and GPT-89B, TP 8 with NVLink.
    {"gpt-175b", 1, 8, 1, 128, 8, 488.86},  {"gpt-175b", 8, 8, 1, 128, 8, 749.86},  {"gpt-175b", 32, 8, 1, 128, 8, 1547.44},
    {"gpt-175b", 1, 8, 1, 512, 32, 1719.96}, {"gpt-175b", 16, 8, 1, 512, 32, 3706.23},
    {"gpt-89b", 1, 8, 1, 128, 8, 279.44},   {"gpt-89b", 32, 8, 1, 128, 8, 786.57},
    {"gpt-89b", 1, 8, 1, 512, 32, 887.52},  {"gpt-89b", 16, 8, 1, 512, 32, 1952.2},
    // GPT-20B on 1, 2, 4, 8 GPUs (TP); NeMo's default lengths 60 / 20, short 20 / 8 and long 200 / 200.
    {"gpt-20b", 1, 1, 1, 60, 20, 560},   {"gpt-20b", 8, 1, 1, 60, 20, 635},   {"gpt-20b", 64, 1, 1, 60, 20, 1352},
    {"gpt-20b", 256, 1, 1, 60, 20, 4141}, {"gpt-20b", 1, 2, 1, 60, 20, 358},  {"gpt-20b", 8, 2, 1, 60, 20, 429},
    {"gpt-20b", 64, 2, 1, 60, 20, 887},  {"gpt-20b", 256, 2, 1, 60, 20, 2424}, {"gpt-20b", 1, 4, 1, 60, 20, 248},
    {"gpt-20b", 8, 4, 1, 60, 20, 299},   {"gpt-20b", 64, 4, 1, 60, 20, 574},  {"gpt-20b", 256, 4, 1, 60, 20, 1574},
    {"gpt-20b", 1, 8, 1, 60, 20, 212},   {"gpt-20b", 8, 8, 1, 60, 20, 247},   {"gpt-20b", 64, 8, 1, 60, 20, 454},
    {"gpt-20b", 256, 8, 1, 60, 20, 1152},
    {"gpt-20b", 1, 1, 1, 20, 8, 225},    {"gpt-20b", 64, 1, 1, 20, 8, 452},   {"gpt-20b", 1, 8, 1, 20, 8, 89},
    {"gpt-20b", 64, 8, 1, 20, 8, 169},
    {"gpt-20b", 1, 1, 1, 200, 200, 5648}, {"gpt-20b", 64, 1, 1, 200, 200, 10766}, {"gpt-20b", 1, 8, 1, 200, 200, 2080},
    {"gpt-20b", 64, 8, 1, 200, 200, 3621},
    // GPT-6.7B, 1.3B, 350M on one GPU.
    {"gpt-6.7b", 1, 1, 1, 128, 8, 98.29},  {"gpt-6.7b", 64, 1, 1, 128, 8, 718.07},
    {"gpt-6.7b", 1, 1, 1, 512, 32, 384.70}, {"gpt-6.7b", 64, 1, 1, 512, 32, 3306.41},
    {"gpt-1.3b", 1, 1, 1, 128, 8, 36.76},  {"gpt-1.3b", 64, 1, 1, 128, 8, 201.71},
    {"gpt-1.3b", 1, 1, 1, 512, 32, 135.85}, {"gpt-1.3b", 64, 1, 1, 512, 32, 1036.21},
    {"gpt-350m", 1, 1, 1, 128, 8, 25.43},  {"gpt-350m", 64, 1, 1, 128, 8, 104.51},
    {"gpt-350m", 1, 1, 1, 512, 32, 92.01},  {"gpt-350m", 64, 1, 1, 512, 32, 529.18},
};

struct Row {
  const char* table;   // short tag for the id
  const char* source;
  const char* model;
  const char* gpu;
  const char* dtype;   // weights and KV cache (the H100 engines were built with --enable_fp8 --fp8_kv_cache)
  int batch, tp, input, output;
  InferenceMetric metric;
  double value;        // tokens/s or milliseconds (ttft)
};

constexpr auto kTokGpu = InferenceMetric::output_tokens_per_s_per_gpu;
constexpr auto kTok = InferenceMetric::output_tokens_per_s;
constexpr auto kTtft = InferenceMetric::ttft_s;

const Row kRows[] = {
    // v0.6.1, H100 GPUs (FP8), Throughput (out tok/s/GPU).
    {"v0.6.1", kV061, "gpt-j-6b", "h100-sxm", "fp8", 1024, 1, 128, 128, kTokGpu, 26150},
    {"v0.6.1", kV061, "gpt-j-6b", "h100-sxm", "fp8", 120, 1, 128, 2048, kTokGpu, 8011},
    {"v0.6.1", kV061, "gpt-j-6b", "h100-sxm", "fp8", 64, 1, 2048, 128, kTokGpu, 2551},
    {"v0.6.1", kV061, "gpt-j-6b", "h100-sxm", "fp8", 64, 1, 2048, 2048, kTokGpu, 3327},
    {"v0.6.1", kV061, "llama-7b", "h100-sxm", "fp8", 768, 1, 128, 128, kTokGpu, 19694},
    {"v0.6.1", kV061, "llama-7b", "h100-sxm", "fp8", 112, 1, 128, 2048, kTokGpu, 6818},
    {"v0.6.1", kV061, "llama-7b", "h100-sxm", "fp8", 80, 1, 2048, 128, kTokGpu, 2244},
    {"v0.6.1", kV061, "llama-7b", "h100-sxm", "fp8", 48, 1, 2048, 2048, kTokGpu, 2740},
    {"v0.6.1", kV061, "llama-2-70b", "h100-sxm", "fp8", 1024, 2, 128, 128, kTokGpu, 2657},
    {"v0.6.1", kV061, "llama-2-70b", "h100-sxm", "fp8", 480, 4, 128, 2048, kTokGpu, 1486},
    {"v0.6.1", kV061, "llama-2-70b", "h100-sxm", "fp8", 96, 2, 2048, 128, kTokGpu, 306},
    {"v0.6.1", kV061, "llama-2-70b", "h100-sxm", "fp8", 64, 2, 2048, 2048, kTokGpu, 547},
    {"v0.6.1", kV061, "falcon-180b", "h100-sxm", "fp8", 1024, 4, 128, 128, kTokGpu, 987},
    {"v0.6.1", kV061, "falcon-180b", "h100-sxm", "fp8", 1024, 8, 128, 2048, kTokGpu, 724},
    {"v0.6.1", kV061, "falcon-180b", "h100-sxm", "fp8", 64, 4, 2048, 128, kTokGpu, 112},
    {"v0.6.1", kV061, "falcon-180b", "h100-sxm", "fp8", 64, 4, 2048, 2048, kTokGpu, 264},
    // v0.6.1, A100 GPUs (FP16), Throughput (out tok/s); TP 1 rows only (per GPU = total).
    {"v0.6.1", kV061, "gpt-j-6b", "a100-80gb", "fp16", 512, 1, 128, 128, kTok, 6374},
    {"v0.6.1", kV061, "gpt-j-6b", "a100-80gb", "fp16", 60, 1, 2048, 128, kTok, 670},
    {"v0.6.1", kV061, "llama-7b", "a100-80gb", "fp16", 384, 1, 128, 128, kTok, 5586},
    {"v0.6.1", kV061, "llama-7b", "a100-80gb", "fp16", 60, 1, 128, 2048, kTok, 1928},
    {"v0.6.1", kV061, "llama-7b", "a100-80gb", "fp16", 52, 1, 2048, 128, kTok, 591},
    // v0.5.0, H100 GPUs (FP8), Throughput (out tok/s), whole layout.
    {"v0.5.0", kV050, "gpt-j-6b", "h100-sxm", "fp8", 64, 1, 128, 128, kTok, 10907},
    {"v0.5.0", kV050, "gpt-j-6b", "h100-sxm", "fp8", 64, 1, 128, 2048, kTok, 6179},
    {"v0.5.0", kV050, "gpt-j-6b", "h100-sxm", "fp8", 64, 1, 2048, 128, kTok, 2229},
    {"v0.5.0", kV050, "gpt-j-6b", "h100-sxm", "fp8", 64, 1, 2048, 2048, kTok, 2980},
    {"v0.5.0", kV050, "llama-7b", "h100-sxm", "fp8", 64, 1, 128, 128, kTok, 9193},
    {"v0.5.0", kV050, "llama-7b", "h100-sxm", "fp8", 64, 1, 128, 2048, kTok, 5367},
    {"v0.5.0", kV050, "llama-7b", "h100-sxm", "fp8", 64, 1, 2048, 128, kTok, 2058},
    {"v0.5.0", kV050, "llama-7b", "h100-sxm", "fp8", 32, 1, 2048, 2048, kTok, 2230},
    {"v0.5.0", kV050, "llama-2-70b", "h100-sxm", "fp8", 64, 4, 128, 128, kTok, 3317},
    {"v0.5.0", kV050, "llama-2-70b", "h100-sxm", "fp8", 64, 4, 128, 2048, kTok, 2616},
    {"v0.5.0", kV050, "llama-2-70b", "h100-sxm", "fp8", 64, 4, 2048, 128, kTok, 843},
    {"v0.5.0", kV050, "llama-2-70b", "h100-sxm", "fp8", 64, 4, 2048, 2048, kTok, 1583},
    // Low Latency (v0.5 data on the v0.6.1 page): batch 1, 1st Token Latency (ms).
    {"ttft-v0.5", kV061, "gpt-j-6b", "h100-sxm", "fp8", 1, 1, 128, 1, kTtft, 7},
    {"ttft-v0.5", kV061, "gpt-j-6b", "h100-sxm", "fp8", 1, 1, 2048, 1, kTtft, 29},
    {"ttft-v0.5", kV061, "llama-7b", "h100-sxm", "fp8", 1, 1, 128, 1, kTtft, 7},
    {"ttft-v0.5", kV061, "llama-7b", "h100-sxm", "fp8", 1, 1, 2048, 1, kTtft, 36},
    {"ttft-v0.5", kV061, "llama-2-70b", "h100-sxm", "fp8", 1, 4, 128, 1, kTtft, 26},
    {"ttft-v0.5", kV061, "llama-2-70b", "h100-sxm", "fp8", 1, 4, 2048, 1, kTtft, 109},
    {"ttft-v0.5", kV061, "falcon-180b", "h100-sxm", "fp8", 1, 8, 128, 1, kTtft, 27},
    {"ttft-v0.5", kV061, "falcon-180b", "h100-sxm", "fp8", 1, 8, 2048, 1, kTtft, 205},
    {"ttft-v0.5", kV061, "gpt-j-6b", "a100-80gb", "fp16", 1, 1, 128, 1, kTtft, 12},
    {"ttft-v0.5", kV061, "gpt-j-6b", "a100-80gb", "fp16", 1, 1, 2048, 1, kTtft, 129},
    {"ttft-v0.5", kV061, "llama-7b", "a100-80gb", "fp16", 1, 1, 128, 1, kTtft, 16},
    {"ttft-v0.5", kV061, "llama-7b", "a100-80gb", "fp16", 1, 1, 2048, 1, kTtft, 133},
    {"ttft-v0.5", kV061, "llama-2-70b", "a100-80gb", "fp16", 1, 4, 128, 1, kTtft, 47},
    {"ttft-v0.5", kV061, "llama-2-70b", "a100-80gb", "fp16", 1, 4, 2048, 1, kTtft, 377},
    {"ttft-v0.5", kV061, "falcon-180b", "a100-80gb", "fp16", 1, 8, 128, 1, kTtft, 61},
    {"ttft-v0.5", kV061, "falcon-180b", "a100-80gb", "fp16", 1, 8, 2048, 1, kTtft, 509},
};

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
  static const std::vector<InferenceMeasurement> rows = [] {
    std::vector<InferenceMeasurement> out;
    for (const Row& r : kRows) {
      InferenceMeasurement m;
      m.model_name = r.model;
      m.model = validation_model(r.model);
      m.gpu = r.gpu;
      m.layout.tp = r.tp;
      m.layout.pp = 1;
      m.layout.batch_size = r.batch;
      m.layout.input_len = r.input;
      m.layout.output_len = r.output;
      m.layout.weight_dtype = r.dtype;
      m.layout.kv_cache_dtype = r.dtype;
      m.metric = r.metric;
      m.value = r.metric == kTtft ? r.value / 1e3 : r.value;
      m.source = r.source;
      m.id = std::string("trtllm-") + r.table + "/" + r.gpu + "/" + r.model + "/tp" + std::to_string(r.tp) + "/bs" +
             std::to_string(r.batch) + "/" + std::to_string(r.input) + "-" + std::to_string(r.output);
      out.push_back(std::move(m));
    }
    for (const FtRow& r : kFtRows) {
      InferenceMeasurement m;
      m.model_name = r.model;
      m.model = validation_model(r.model);
      m.gpu = "a100-80gb";
      m.layout.tp = r.tp;
      m.layout.pp = r.pp;
      m.layout.batch_size = r.batch;
      m.layout.input_len = r.input;
      m.layout.output_len = r.output;
      m.layout.weight_dtype = "fp16";
      m.layout.kv_cache_dtype = "fp16";
      m.engine = "fastertransformer";
      m.metric = InferenceMetric::latency_s;
      m.value = r.latency_ms / 1e3;
      m.source = kFt;
      m.id = std::string("ft/a100-80gb/") + r.model + "/tp" + std::to_string(r.tp) + "/pp" + std::to_string(r.pp) +
             "/bs" + std::to_string(r.batch) + "/" + std::to_string(r.input) + "-" + std::to_string(r.output);
      out.push_back(std::move(m));
    }
    return out;
  }();
  return rows;
}

}  // namespace hp
