// Architectures of NeMo's shipped configs for the families beyond GPT-3/T5/mT5 (NeMo-Framework-Launcher 26e42fa):
// auto_configurator/base_configs/<name>.yaml and launcher_scripts/conf/training/<family>/<name>.yaml give
// layers, hidden, FFN, heads, query groups, biases, norms and positions; the vocabulary is the model's own
// tokenizer (NeMo's YAML reads it from the tokenizer file). BERT sizes follow NeMo's auto-configurator rule
// (size table + layer search), which is what a bert search config gets. Published sizes: docs/model.md.
#include "families/families.hpp"

namespace hp::detail {
namespace {

// Llama-like decoder: RoPE, SwiGLU, RMSNorm, no linear biases, untied embeddings (Megatron-Core GPTModel).
ModelSpec decoder(const char* family, int layers, int hidden, int ffn, int heads, int groups, int vocab, int seq) {
  ModelSpec m;
  m.family = family;
  m.num_layers = layers;
  m.hidden_size = hidden;
  m.ffn_hidden_size = ffn;
  m.num_attention_heads = heads;
  m.num_query_groups = groups == heads ? 0 : groups;  // groups == heads is plain multi-head attention
  m.vocab_size = vocab;
  m.seq_length = seq;
  m.max_position_embeddings = seq;
  m.position_embedding = "rope";
  m.activation = "swiglu";
  m.normalization = "rmsnorm";
  m.add_bias_linear = false;
  m.share_embeddings_and_output_weights = false;
  return m;
}

ModelSpec with_qkv_bias(ModelSpec m) {
  m.qkv_bias = true;
  return m;
}

ModelSpec moe(ModelSpec m, int experts, int topk, int max_positions) {
  m.moe_num_experts = experts;
  m.moe_topk = topk;
  m.max_position_embeddings = max_positions;
  return m;
}

ModelSpec alibi(ModelSpec m) {
  m.position_embedding = "alibi";
  return m;
}

// Megatron BERT as NeMo's base_configs/bert.yaml: GELU, LayerNorm, biases, learned positions (512), tied
// embeddings, bert_binary_head false, FFN 4h.
ModelSpec bert(int layers, int hidden, int heads) {
  ModelSpec m;
  m.family = "bert";
  m.num_layers = layers;
  m.hidden_size = hidden;
  m.ffn_hidden_size = 4 * hidden;
  m.num_attention_heads = heads;
  m.vocab_size = 30522;  // BertWordPieceLowerCase (NeMo search_config vocab_size)
  m.seq_length = 512;
  m.max_position_embeddings = 512;
  return m;
}

// DeepSeek-V2/V3 (DeepSeekMoE + multi-latent attention), from each checkpoint's Hugging Face config.json:
// the first `dense` layers have a dense SwiGLU MLP of width `ffn`, the others `experts` routed experts of width
// `moe_ffn` (top-k) and `shared` always-on experts of the same width; MLA with q/kv latent ranks `q_lora`
// (0 = none) / `kv_lora`, 128-dim non-RoPE query/key heads, 64-dim decoupled RoPE, 128-dim values; RMSNorm, no
// biases, untied embeddings. `expert_bias`: the aux-loss-free routing bias (DeepSeek-V3 section 2.1.2).
struct DeepSeekShape {
  int layers, hidden, ffn, heads, vocab, experts, topk, moe_ffn, shared, dense, q_lora, kv_lora;
  bool expert_bias;
};
ModelSpec deepseek(const DeepSeekShape& d) {
  ModelSpec m = decoder("deepseek", d.layers, d.hidden, d.ffn, d.heads, d.heads, d.vocab, 4096);  // 4K pretraining
  m.max_position_embeddings = 163840;  // config.json (YaRN-extended); RoPE has no position table
  m.moe_num_experts = d.experts;
  m.moe_topk = d.topk;
  m.moe_ffn_hidden_size = d.moe_ffn;
  m.moe_shared_expert_ffn_size = d.shared * d.moe_ffn;
  m.first_k_dense_replace = d.dense;
  m.moe_router_enable_expert_bias = d.expert_bias;
  m.multi_latent_attention = true;
  m.q_lora_rank = d.q_lora;
  m.kv_lora_rank = d.kv_lora;
  m.qk_head_dim = 128;
  m.qk_pos_emb_head_dim = 64;
  m.v_head_dim = 128;
  return m;
}

CatalogEntry entry(const char* key, const char* base_config, double nominal_b, double published_b, ModelSpec m) {
  m.name = key;
  return CatalogEntry{key, nominal_b, published_b, std::move(m), base_config};
}

}  // namespace

std::vector<CatalogEntry> family_catalog_entries() {
  return {
      // Llama 2 (Touvron et al. 2023) and Llama 3 (Meta model cards): 6.74/13.02/68.98B and 8.03/70.55B.
      entry("llama/llama2_7b", "llama2_7b", 7, 6.74, decoder("llama", 32, 4096, 11008, 32, 32, 32000, 4096)),
      entry("llama/llama2_13b", "llama2_13b", 13, 13.02, decoder("llama", 40, 5120, 13824, 40, 40, 32000, 4096)),
      entry("llama/llama2_70b", "llama2_70b", 70, 68.98, decoder("llama", 80, 8192, 28672, 64, 8, 32000, 4096)),
      entry("llama/llama3_8b", "llama3_8b", 8, 8.03, decoder("llama", 32, 4096, 14336, 32, 8, 128256, 8192)),
      entry("llama/llama3_70b", "llama3_70b", 70, 70.55, decoder("llama", 80, 8192, 28672, 64, 8, 128256, 8192)),
      // Mixtral: 8 experts, top-2 (Jiang et al. 2024: 8x7B is 46.7B total). NeMo's 8x3B has no published size.
      entry("mixtral/mixtral_8x3b", "mixtral_3b", 3, 0,
            moe(decoder("mixtral", 32, 2560, 8960, 32, 8, 32000, 4096), 8, 2, 32768)),
      entry("mixtral/mixtral_8x7b", "mixtral_7b", 7, 46.7,
            moe(decoder("mixtral", 32, 4096, 14336, 32, 8, 32000, 4096), 8, 2, 32768)),
      // NeMo's qwen2_* configs are the Qwen1.5 shapes (QKV bias, MHA): 3.95/7.72/14.17/72.29B (Qwen model cards).
      entry("qwen2/qwen2_4b", "qwen2_4b", 4, 3.95, with_qkv_bias(decoder("qwen2", 40, 2560, 6912, 20, 20, 151936, 32768))),
      entry("qwen2/qwen2_7b", "qwen2_7b", 7, 7.72, with_qkv_bias(decoder("qwen2", 32, 4096, 11008, 32, 32, 151936, 32768))),
      entry("qwen2/qwen2_14b", "qwen2_14b", 14, 14.17, with_qkv_bias(decoder("qwen2", 40, 5120, 13696, 40, 40, 152064, 32768))),
      entry("qwen2/qwen2_72b", "qwen2_72b", 72, 72.29, with_qkv_bias(decoder("qwen2", 80, 8192, 24576, 64, 64, 152064, 32768))),
      // Baichuan 2 (Yang et al. 2023): 7.51B (RoPE) and 13.90B (ALiBi), vocabulary 125696.
      entry("baichuan2/baichuan2_7b", "baichuan2_7b", 7, 7.51, decoder("baichuan2", 32, 4096, 11008, 32, 32, 125696, 4096)),
      entry("baichuan2/baichuan2_13b", "baichuan2_13b", 13, 13.9,
            alibi(decoder("baichuan2", 40, 5120, 13696, 40, 40, 125696, 4096))),
      // ChatGLM3-6B (THUDM model card, 6.24B): 2 query groups, QKV bias, RoPE on half the head dimension.
      entry("chatglm/chatglm3-6b", "chatglm_6b", 6, 6.24, with_qkv_bias(decoder("chatglm", 28, 4096, 13696, 32, 2, 65024, 8192))),
      // DeepSeek-V2-Lite (DeepSeek-V2 paper, arXiv 2405.04434 appendix B: 15.7B total, 2.4B activated) and
      // DeepSeek-V3 (arXiv 2412.19437 section 4.2: 671B total, 37B activated; R1 is the same architecture). The
      // counts exclude V3's multi-token prediction module (mtp_num_layers 0; set 1 to add it, docs/model.md).
      entry("deepseek/deepseek_v2_lite", "deepseek_v2_lite", 16, 15.7,
            deepseek({27, 2048, 10944, 16, 102400, 64, 6, 1408, 2, 1, 0, 512, false})),
      entry("deepseek/deepseek_v3", "deepseek_v3", 671, 671,
            deepseek({61, 7168, 18432, 128, 129280, 256, 8, 2048, 1, 3, 1536, 512, true})),
      entry("deepseek/deepseek_r1", "deepseek_v3", 671, 671,
            deepseek({61, 7168, 18432, 128, 129280, 256, 8, 2048, 1, 3, 1536, 512, true})),
      // BERT-base is 110M (Devlin et al. 2019); 4B/20B/100B are NeMo's labels for its size rule's architectures.
      entry("bert/110m", "", 0.11, 0.11, bert(12, 768, 12)),
      entry("bert/4b", "", 4, 4, bert(48, 2560, 32)),
      entry("bert/20b", "", 20, 20, bert(44, 6144, 48)),
      entry("bert/100b", "", 100, 100, bert(96, 9216, 96)),
  };
}

}  // namespace hp::detail
