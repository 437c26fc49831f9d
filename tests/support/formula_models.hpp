// Small asymmetric models, layouts and hardware for the formula pins (tests/cpp/test_formula_*.cpp): every size
// differs from the others where a swap is possible (tp != pp != cp, head dim != h / a, groups != heads, odd layer
// counts), so a swapped argument, an off-by-one or a changed operator changes the result.
#pragma once

#include "hp/model.hpp"
#include "hp/perf.hpp"

namespace hp_test {

// 10 layers, head dim 96 != h / a, GQA 16 heads / 4 groups, SwiGLU, biases, untied, learned positions.
inline hp::ModelSpec biased_gqa() {
  hp::ModelSpec m;
  m.family = "llama";
  m.num_layers = 10;
  m.hidden_size = 1024;
  m.ffn_hidden_size = 2816;
  m.num_attention_heads = 16;
  m.num_query_groups = 4;
  m.kv_channels = 96;
  m.vocab_size = 32000;
  m.seq_length = 4096;
  m.max_position_embeddings = 4096;
  m.position_embedding = "learned_absolute";
  m.activation = "swiglu";
  m.normalization = "layernorm";
  m.add_bias_linear = true;
  m.share_embeddings_and_output_weights = false;
  return m;
}

// A small T5: h 512, F 1536 (GeLU, biases), 8 heads of 64, vocab 1000, relative position buckets.
inline hp::ModelSpec small_t5(int encoder_layers, int decoder_layers, int seq, int decoder_seq) {
  hp::ModelSpec m;
  m.family = "t5";
  m.num_layers = encoder_layers;
  m.num_decoder_layers = decoder_layers;
  m.hidden_size = 512;
  m.ffn_hidden_size = 1536;
  m.num_attention_heads = 8;
  m.vocab_size = 1000;
  m.seq_length = seq;
  m.decoder_seq_length = decoder_seq;
  m.position_embedding = "relative";
  return m;
}

// tp 2, pp 3, cp 2: 48 GPUs -> dp 4; gbs 64, mbs 2 -> 8 micro-batches; SP on.
inline hp::Layout asym_layout() {
  hp::Layout l;
  l.num_gpus = 48;
  l.tp = 2;
  l.pp = 3;
  l.cp = 2;
  l.mbs = 2;
  l.gbs = 64;
  l.sequence_parallel = true;
  return l;
}

// A made-up GPU whose every rate differs (so a wrong peak, link or bandwidth shows).
inline hp::GpuSpec asym_gpu() {
  hp::GpuSpec g;
  g.name = "test-gpu";
  g.memory_bytes = 100e9;
  g.memory_bandwidth_bytes_per_s = 3e12;
  g.peak_bf16_flops_per_s = 1e15;
  g.peak_fp8_flops_per_s = 2e15;
  g.peak_fp4_flops_per_s = 4e15;
  g.nvlink_bandwidth_bytes_per_s = 450e9;
  g.nvlink_domain_size = 8;
  g.internode_bandwidth_bytes_per_s = 50e9;
  g.host_bandwidth_bytes_per_s = 64e9;
  g.gpus_per_node = 8;
  return g;
}

}  // namespace hp_test
