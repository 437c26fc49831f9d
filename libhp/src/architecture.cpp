// Architecture from size and GBS/TP/PP defaults: NeMo launcher's tables and layer search
// (nemo_autoconfigurator.md sections 3.1 and 3.2, launcher HEAD).
#include <cmath>
#include <vector>

#include "families/families.hpp"
#include "hp/catalog.hpp"
#include "format.hpp"
#include "hp/core.hpp"
#include "hp/sizing.hpp"

namespace hp {
namespace {

struct GptBucket {
  double below;  // size < below
  int hidden, heads;
  double lr;
};
// calculate_model_size_params, GPT-3 (HEAD values; 22.04 differed for >= 205B).
const GptBucket kGpt[] = {{0.25, 768, 12, 6e-4},  {0.5, 1024, 16, 3e-4},  {1, 1536, 16, 2.5e-4}, {2, 2048, 16, 2e-4},
                          {3, 2560, 32, 1.6e-4},  {4.5, 3072, 32, 1.4e-4}, {8, 4096, 32, 1.2e-4}, {15, 5120, 40, 1e-4},
                          {25, 6144, 48, 1e-4},   {52, 8192, 64, 8e-5},   {105, 10240, 80, 7e-5}, {205, 12288, 96, 6e-5},
                          {405, 20480, 128, 5e-5}, {805, 20480, 128, 4e-5}, {1105, 25600, 160, 3e-5}};

struct T5Bucket {
  double limit;
  bool inclusive;  // size <= limit (else size < limit)
  int hidden, heads, ffn, kv;
};
// T5 table; mT5 uses 0.25 / 0.5 / 1.2 for the first three limits.
const T5Bucket kT5[] = {{0.1, false, 512, 6, 1024, 64},      {0.4, false, 768, 12, 2048, 64},
                        {1, false, 1024, 16, 2816, 64},      {5, false, 2048, 32, 5120, 64},
                        {15, false, 4096, 64, 10240, 64},    {25.9, false, 5120, 80, 10880, 64},
                        {43, false, 6144, 96, 10880, 64},    {85.5, true, 6144, 96, 16384, 64},
                        {165.5, true, 7680, 96, 20480, 128}, {250, true, 12288, 96, 32768, 128}};

void check_size(double size_b) {
  if (!(size_b > 0) || !std::isfinite(size_b)) throw ConfigError("model_size_in_b", detail::format_number(size_b), "must be a positive number");
}

// NeMo's layer search: the first L with target(1-m) < P(L) < target(1+m), margins growing by 0.01 (accumulated
// in floating point, as NeMo does), over five candidate-L phases in order.
int search_layers(ModelSpec m, double size_b) {
  const double target = size_b * 1e9;
  auto try_phase = [&](int margins, const std::vector<int>& layers) -> int {
    double margin = 0.01;
    for (int i = 0; i < margins; ++i, margin += 0.01) {
      for (int L : layers) {
        m.num_layers = L;
        if (m.is_encoder_decoder()) m.num_decoder_layers = L;
        const double p = nemo_approx_parameters(m);
        if (target * (1 - margin) < p && p < target * (1 + margin)) return L;
      }
    }
    return 0;
  };
  auto range = [](int from, int to_inclusive, int step) {
    std::vector<int> v;
    for (int x = from; x <= to_inclusive; x += step) v.push_back(x);
    return v;
  };
  std::vector<int> pow2;
  for (int x = 2; x <= 512; x *= 2) pow2.push_back(x);
  for (auto [margins, layers] : {std::pair<int, std::vector<int>>{10, pow2}, {6, range(16, 192, 16)}, {6, range(2, 200, 2)},
                                 {6, range(5, 200, 5)}, {10, range(1, 199, 1)}}) {
    if (int L = try_phase(margins, layers)) return L;
  }
  throw ConfigError("model_size_in_b", detail::format_number(size_b), "no number of layers reaches this size within 10% (NeMo's layer search)");
}

}  // namespace

int default_seq_length(const std::string& family) {
  check_family(family);
  return family == "t5" || family == "mt5" || family == "bert" ? 512 : 2048;
}

int default_vocab_size(const std::string& family) {
  check_family(family);
  if (family == "bert") return 30522;  // NeMo's bert search configs
  return family == "gpt3" ? 51200 : family == "t5" ? 29000 : 250000;
}

double nemo_learning_rate(const std::string& family, double size_b) {
  check_family(family);
  check_size(size_b);
  if (family == "bert") return detail::bert_bucket(size_b).lr;
  if (family != "gpt3") return 1e-4;
  for (const auto& b : kGpt)
    if (size_b < b.below) return b.lr;
  throw ConfigError("model_size_in_b", detail::format_number(size_b), "GPT-3 sizes must be below 1105B (NeMo's table)");
}

ModelSpec architecture_from_size(const std::string& family, double size_b, int seq_length, int vocab_size) {
  check_family(family);
  check_size(size_b);
  if (!family_has_size_rule(family))
    throw ConfigError("model", family, "NeMo has no architecture rule for " + family +
                                           " sizes; use one of its base configs (hp-cli models)");
  const int seq = seq_length > 0 ? seq_length : default_seq_length(family);
  const int vocab = vocab_size > 0 ? vocab_size : default_vocab_size(family);
  ModelSpec m = find_model(family == "gpt3" ? "gpt3/5b" : family == "bert" ? "bert/4b" : family + "/3b");  // defaults
  m.name.clear();
  m.seq_length = seq;
  m.max_position_embeddings = seq;
  m.vocab_size = vocab;
  if (family == "gpt3") {
    const GptBucket* bucket = nullptr;
    for (const auto& b : kGpt)
      if (size_b < b.below) {
        bucket = &b;
        break;
      }
    if (!bucket) throw ConfigError("model_size_in_b", detail::format_number(size_b), "GPT-3 sizes must be below 1105B (NeMo's table)");
    m.hidden_size = bucket->hidden;
    m.num_attention_heads = bucket->heads;
    m.ffn_hidden_size = 4 * bucket->hidden;
    m.kv_channels = 0;
  } else if (family == "bert") {
    const detail::BertBucket b = detail::bert_bucket(size_b);
    m.hidden_size = b.hidden;
    m.num_attention_heads = b.heads;
    m.ffn_hidden_size = 4 * b.hidden;  // the YAML's ${multiply:4, ${.hidden_size}}
  } else {
    const T5Bucket* bucket = nullptr;
    const bool mt5 = family == "mt5";
    for (size_t i = 0; i < std::size(kT5); ++i) {
      double limit = kT5[i].limit;
      if (mt5 && i < 3) limit = (i == 0 ? 0.25 : i == 1 ? 0.5 : 1.2);
      if (kT5[i].inclusive ? size_b <= limit : size_b < limit) {
        bucket = &kT5[i];
        break;
      }
    }
    if (!bucket) throw ConfigError("model_size_in_b", detail::format_number(size_b), "T5/mT5 sizes must be at most 250B (NeMo's table)");
    m.hidden_size = bucket->hidden;
    m.num_attention_heads = bucket->heads;
    m.ffn_hidden_size = bucket->ffn;
    m.kv_channels = bucket->kv;
    m.max_position_embeddings = seq;
  }
  const int L = search_layers(m, size_b);
  m.num_layers = L;
  if (m.is_encoder_decoder()) m.num_decoder_layers = L;
  return m;
}

GbsTpPp default_gbs_tp_pp(const std::string& family, double size_b, int gpu_memory_gb, int seq_length) {
  check_family(family);
  check_size(size_b);
  if (gpu_memory_gb != 40 && gpu_memory_gb != 80)
    throw ConfigError("gpu_memory_gb", std::to_string(gpu_memory_gb), "NeMo's tables cover 40 and 80 GB GPUs only");
  struct Row {
    double max_size;
    GbsTpPp by_seq[5];  // seq 2048, 4096, 8192, 16384, 32768; gbs 0 = not in the table
  };
  if (family == "gpt3") {
    static const Row k80[] = {
        {1.0, {{256, 1, 1}, {128, 1, 1}, {64, 1, 1}, {32, 2, 1}, {16, 2, 1}}},
        {4.0, {{1024, 1, 1}, {512, 1, 1}, {256, 1, 1}, {128, 2, 1}, {64, 2, 1}}},
        {8.0, {{2048, 2, 1}, {1024, 2, 1}, {512, 2, 1}, {256, 2, 2}, {128, 4, 2}}},
        {13.0, {{2048, 4, 1}, {1024, 4, 1}, {512, 4, 1}, {256, 4, 1}, {128, 4, 2}}},
        {20.6, {{2048, 8, 1}, {1024, 4, 2}, {512, 4, 4}, {256, 8, 2}, {128, 8, 2}}},
        {45.6, {{2048, 8, 2}, {1024, 8, 2}, {512, 8, 2}, {}, {}}},
        {123.6, {{2048, 8, 4}, {}, {}, {}, {}}},
        {196.6, {{2048, 8, 8}, {}, {}, {}, {}}},
        {392.2, {{2048, 8, 16}, {}, {}, {}, {}}},
        {735, {{2048, 8, 32}, {}, {}, {}, {}}},
        {1100, {{2048, 8, 64}, {}, {}, {}, {}}},
    };
    static const Row k40[] = {
        {1, {{256, 1, 1}}},       {4, {{1024, 4, 1}}},      {8, {{2048, 8, 1}}},       {13, {{2048, 8, 2}}},
        {20.6, {{2048, 8, 4}}},   {45.6, {{2048, 8, 4}}},   {123.6, {{2048, 8, 8}}},  {196.6, {{2048, 8, 16}}},
        {392.2, {{2048, 8, 32}}}, {735, {{2048, 8, 64}}},   {1100, {{2048, 8, 128}}},
    };
    int col = -1;
    for (int i = 0, s = 2048; i < 5; ++i, s *= 2)
      if (seq_length == s) col = i;
    if (col < 0 || (gpu_memory_gb == 40 && col != 0))
      throw ConfigError("seq_length", std::to_string(seq_length),
                        gpu_memory_gb == 40 ? "NeMo's 40 GB GPT-3 table covers seq_length 2048 only"
                                            : "NeMo's GPT-3 table covers seq_length 2048, 4096, 8192, 16384, 32768");
    const auto& rows = gpu_memory_gb == 80 ? k80 : k40;
    const size_t n = gpu_memory_gb == 80 ? std::size(k80) : std::size(k40);
    for (size_t i = 0; i < n; ++i) {
      if (size_b <= rows[i].max_size) {
        const GbsTpPp r = rows[i].by_seq[col];
        if (r.global_batch_size == 0)
          throw ConfigError("model_size_in_b", detail::format_number(size_b),
                            "NeMo has no GPT-3 defaults for this size at seq_length=" + std::to_string(seq_length));
        return r;
      }
    }
    throw ConfigError("model_size_in_b", detail::format_number(size_b), "no GPT-3 model larger than 1100B in NeMo's tables");
  }
  if (family == "bert") return detail::bert_gbs_tp_pp(size_b, gpu_memory_gb, seq_length);
  if (family != "t5" && family != "mt5")
    throw ConfigError("model", family, "NeMo has no GBS/TP/PP table for " + family + "; its base configs carry them");
  if (seq_length != 512)
    throw ConfigError("seq_length", std::to_string(seq_length), "NeMo's T5/mT5 tables cover seq_length 512 only");
  // T5/mT5 (size <=, gbs, tp, pp). On 40 GB NeMo's <=0.5 branch is dead code (an `if` that should be `elif`).
  static const double kLimits[] = {1, 5, 11.5, 18.5, 25.9, 43, 85.5, 165.5, 250};
  static const int kTp80[] = {1, 2, 4, 8, 8, 8, 8, 8, 8}, kPp80[] = {1, 1, 1, 1, 2, 4, 8, 16, 32};
  static const int kTp40[] = {2, 4, 8, 8, 8, 8, 8, 8, 8}, kPp40[] = {1, 1, 1, 2, 4, 8, 16, 32, 64};
  for (size_t i = 0; i < std::size(kLimits); ++i) {
    if (size_b <= kLimits[i]) {
      const int gbs = i == 0 ? 2048 : 1920;
      return gpu_memory_gb == 80 ? GbsTpPp{gbs, kTp80[i], kPp80[i]} : GbsTpPp{gbs, kTp40[i], kPp40[i]};
    }
  }
  throw ConfigError("model_size_in_b", detail::format_number(size_b), "no T5/mT5 model larger than 250B in NeMo's tables");
}

}  // namespace hp
