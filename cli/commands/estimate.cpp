// hp-cli estimate: memory, step time, throughput and MFU of one training layout, or of every row of a CSV.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <memory>
#include <utility>

#include "command.hpp"
#include "hp/model.hpp"
#include "hp/calibration.hpp"
#include "hp/catalog.hpp"
#include "hp/core.hpp"
#include "hp/defaults.hpp"
#include "hp/nemo_config.hpp"
#include "hp/perf.hpp"
#include "hp/runs.hpp"
#include "hp/layout_fields.hpp"
#include "json.hpp"

namespace {

struct Opts {
  std::string batch, output, nemo_config, model, gpu, gpu_file, calibration, recompute = "none";
  double size_b = 0;
  hp::ModelSpec dims;  // overrides; 0 / empty = keep the catalogue value
  hp::Layout layout;
  bool bf16 = false;
  bool fp8 = false;
  std::string precision, pipeline_split, moe_dispatcher, recompute_modules;
  double memory_margin = 0;
  // MoE pattern, MTP and MLA dimensions; -1 = not given (0 is a value: q_lora_rank 0 = no query compression).
  int moe_layer_freq = -1, first_k_dense_replace = -1, mtp_num_layers = -1;
  int q_lora_rank = -1, kv_lora_rank = -1, qk_head_dim = -1, qk_pos_emb_head_dim = -1, v_head_dim = -1;
  int sliding_window = -1, sliding_window_pattern = -1;  // -1 = the model's
  bool json = false;
  int sequence_parallel = -1;  // -1: not given (hp::default_sequence_parallel), 0 off, 1 on
  CLI::Option* offload_fraction = nullptr;  // --optimizer-offload-fraction, to refuse it without the switch
};

void add_model_options(CLI::App& app, Opts& o) {
  app.add_option("--model", o.model, "pre-defined config ('gpt3/175b') or family with --size-b ('gpt3')");
  app.add_option("--size-b", o.size_b, "size in billions of a pre-defined config of --model's family");
  app.add_option("--num-layers", o.dims.num_layers, "custom model: layers (or override)")->check(hpcli::int_range(1, std::numeric_limits<int>::max()));
  app.add_option("--hidden-size", o.dims.hidden_size, "custom model: hidden size")->check(hpcli::int_range(1, std::numeric_limits<int>::max()));
  app.add_option("--ffn-hidden-size", o.dims.ffn_hidden_size, "custom model: FFN size (default 4 x hidden)")->check(hpcli::int_range(1, std::numeric_limits<int>::max()));
  app.add_option("--num-attention-heads", o.dims.num_attention_heads, "custom model: attention heads")->check(hpcli::int_range(1, std::numeric_limits<int>::max()));
  app.add_option("--num-query-groups", o.dims.num_query_groups, "custom model: GQA groups (default = heads)")->check(hpcli::int_range(1, std::numeric_limits<int>::max()));
  app.add_option("--kv-channels", o.dims.kv_channels, "custom model: head dimension (default hidden/heads)")->check(hpcli::int_range(1, std::numeric_limits<int>::max()));
  app.add_option("--seq-length", o.dims.seq_length, "sequence length")->check(hpcli::int_range(1, std::numeric_limits<int>::max()));
  app.add_option("--vocab-size", o.dims.vocab_size, "padded vocabulary")->check(hpcli::int_range(1, std::numeric_limits<int>::max()));
  app.add_option("--moe-num-experts", o.dims.moe_num_experts, "MoE: routed experts")->check(hpcli::int_range(1, std::numeric_limits<int>::max()));
  app.add_option("--moe-topk", o.dims.moe_topk, "MoE: experts per token")->check(hpcli::int_range(1, std::numeric_limits<int>::max()));
  app.add_option("--moe-ffn-hidden-size", o.dims.moe_ffn_hidden_size, "MoE: FFN size per expert")->check(hpcli::int_range(1, std::numeric_limits<int>::max()));
  app.add_option("--activation", o.dims.activation, "gelu, swiglu or geglu");
  app.add_option("--moe-shared-expert-ffn-size", o.dims.moe_shared_expert_ffn_size, "MoE: total FFN size of the shared experts")->check(hpcli::int_range(1, std::numeric_limits<int>::max()));
  const auto any = hpcli::int_range(0, std::numeric_limits<int>::max());  // model checks give the key and the limit
  app.add_option("--moe-layer-freq", o.moe_layer_freq, "MoE: every n-th layer is MoE")->check(any);
  app.add_option("--first-k-dense-replace", o.first_k_dense_replace, "MoE: the first k layers are dense")->check(any);
  app.add_option("--mtp-num-layers", o.mtp_num_layers, "multi-token prediction layers")->check(any);
  app.add_option("--q-lora-rank", o.q_lora_rank, "MLA: query latent rank (0 = no query compression)")->check(any);
  app.add_option("--kv-lora-rank", o.kv_lora_rank, "MLA: key/value latent rank (turns MLA on)")->check(any);
  app.add_option("--qk-head-dim", o.qk_head_dim, "MLA: per-head query/key dimension without RoPE")->check(any);
  app.add_option("--qk-pos-emb-head-dim", o.qk_pos_emb_head_dim, "MLA: per-head decoupled RoPE dimension")->check(any);
  app.add_option("--v-head-dim", o.v_head_dim, "MLA: per-head value dimension")->check(any);
  app.add_option("--sliding-window", o.sliding_window, "sliding-window attention: window in tokens (0 = none)")->check(any);
  app.add_option("--sliding-window-pattern", o.sliding_window_pattern,
                 "every n-th layer full attention, the rest windowed (0 = every layer windowed)")->check(any);
}

void add_layout_options(CLI::App& app, Opts& o) {
  hp::Layout& l = o.layout;
  app.add_option("--gpu", o.gpu, "GPU (catalogue name or alias; default: " + hp::default_gpu().name + ", " +
                                     hp::default_gpu_reason() + ")");
  app.add_option("--gpu-file", o.gpu_file, "YAML file with your own GPUs (see docs/usage.md)");
  for (const hp::LayoutField& f : hp::layout_fields())  // --gpus --tp --pp --vp --cp --ep --etp --mbs --gbs
    app.add_option(f.cli_flag, l.*f.member, f.help)->capture_default_str();
  hpcli::add_switch(app, "sequence-parallel", [&o](bool on) { o.sequence_parallel = on; },
                    "sequence parallel (default: on when --tp > 1)", "no sequence parallel");
  app.add_option("--recompute", o.recompute, "activation recompute: none, selective, full")->capture_default_str();
  app.add_option("--recompute-num-layers", l.recompute_num_layers, "full: layers per stage recomputed (0 = all)");
  app.add_option("--recompute-micro-batches", l.recompute_micro_batches, "full: micro-batches recomputed (-1 = all)");
  app.add_option("--recompute-modules", o.recompute_modules,
                 "selective: Megatron-Core modules recomputed, joined by '+' (core_attn, layernorm, mla_up_proj, mlp, "
                 "moe_act, moe, shared_experts; default core_attn)");
  hpcli::add_switch(app, "distributed-optimizer", [&l](bool on) { l.distributed_optimizer = on; },
                    "shard optimizer state over DP (default: on)", "replicate optimizer state on every DP rank");
  app.add_flag("--fp8", o.fp8, "FP8 GEMMs with delayed scaling (= --precision fp8)");
  app.add_option("--precision", o.precision, "GEMM precision: bf16, fp8 (delayed scaling), fp8-cs (current), mxfp8, nvfp4");
  app.add_flag("--fsdp", l.fsdp, "fully sharded data parallel (Megatron-FSDP / FSDP2 / ZeRO-3)");
  app.add_option("--moe-dispatcher", o.moe_dispatcher, "MoE token dispatcher: alltoall (default), allgather, flex");
  app.add_option("--activation-offload-layers", l.activation_offload_layers,
                 "layers per stage whose activations are offloaded to host memory (0 = none)");
  app.add_flag("--optimizer-cpu-offload", l.optimizer_cpu_offload,
               "Megatron-Core optimizer CPU offload: CPU Adam over a share of the optimizer shard (needs the "
               "distributed optimizer)");
  o.offload_fraction = app.add_option("--optimizer-offload-fraction", l.optimizer_offload_fraction,
                                      "share of the optimizer shard offloaded, 0..1 (with --optimizer-cpu-offload)")
                           ->capture_default_str();
  hpcli::add_switch(app, "overlap-cpu-optimizer-d2h-h2d", [&l](bool on) { l.overlap_cpu_optimizer_d2h_h2d = on; },
                    "offload: pipeline gradient copies, CPU step and parameter copies (default: on)",
                    "offload: copy all gradients, step, copy all parameters back");
  app.add_option("--pipeline-split", o.pipeline_split,
                 "count the embedding and/or loss as a pipeline layer: none, embedding, loss, embedding+loss");
  app.add_flag("--grad-reduce-in-fp32", l.grad_reduce_in_fp32, "fp32 gradient buffer and reduction (else bf16)");
  app.add_flag("--tp-comm-overlap", l.tp_comm_overlap, "overlap TP communication with GEMMs");
  hpcli::add_switch(app, "flash-attention", [&l](bool on) { l.flash_attention = on; },
                    "fused attention (default: on)", "unfused attention (keeps the s^2 score tensors)");
  app.add_flag("--lora", l.lora, "LoRA fine-tuning (frozen base weights)");
  app.add_flag("--uneven-pipeline", l.uneven_pipeline, "allow layers not divisible by pp*vp (first/last stage sizes)");
}

hp::ModelSpec resolve_model(const Opts& o) {
  hp::ModelSpec m;
  const bool custom = o.dims.num_layers > 0 || o.dims.hidden_size > 0 || o.dims.num_attention_heads > 0;
  if (o.model.find('/') != std::string::npos) {
    m = hp::find_model(o.model);
  } else if (!o.model.empty() && o.size_b > 0) {
    hp::check_family(o.model);
    const hp::CatalogEntry* e = hp::find_catalog_entry(o.model, o.size_b);
    if (!e) {
      std::string known;
      for (const auto& c : hp::model_catalog())
        if (c.model.family == o.model) known += (known.empty() ? "" : ", ") + fmt::format("{:g}", c.nominal_size_b);
      throw hp::ConfigError("size_b", fmt::format("{:g}", o.size_b), "no pre-defined " + o.model + " config; known: " + known);
    }
    m = e->model;
  } else if (!o.model.empty() && !custom) {
    throw hp::ConfigError("size_b", "", "give --size-b with --model " + o.model + " (or a key like gpt3/5b)");
  } else if (o.model.empty() && !custom) {
    throw hp::ConfigError("model", "", "give --model (with --size-b) or --num-layers/--hidden-size/--num-attention-heads");
  } else {
    m.family = o.model.empty() ? "custom" : o.model;
    m.name = "custom";
    m.num_query_groups = 0;
  }
  const hp::ModelSpec& d = o.dims;
  if (d.num_layers > 0) m.num_layers = d.num_layers;
  if (d.hidden_size > 0) {
    m.hidden_size = d.hidden_size;
    // 64-bit, then validate() below rejects a too large width with the limit in the message.
    if (custom && d.ffn_hidden_size <= 0)
      m.ffn_hidden_size = static_cast<int>(std::min<long long>(4LL * d.hidden_size, std::numeric_limits<int>::max()));
  }
  if (d.ffn_hidden_size > 0) m.ffn_hidden_size = d.ffn_hidden_size;
  if (d.num_attention_heads > 0) m.num_attention_heads = d.num_attention_heads;
  if (d.num_query_groups > 0) m.num_query_groups = d.num_query_groups;
  if (d.kv_channels > 0) m.kv_channels = d.kv_channels;
  if (d.seq_length > 0) m.seq_length = m.max_position_embeddings = d.seq_length;
  if (d.vocab_size > 0) m.vocab_size = d.vocab_size;
  if (d.moe_num_experts > 0) m.moe_num_experts = d.moe_num_experts;
  if (d.moe_topk > 0) m.moe_topk = d.moe_topk;
  if (d.moe_ffn_hidden_size > 0) m.moe_ffn_hidden_size = d.moe_ffn_hidden_size;
  if (d.activation != hp::ModelSpec{}.activation) m.activation = d.activation;
  if (d.moe_shared_expert_ffn_size > 0) m.moe_shared_expert_ffn_size = d.moe_shared_expert_ffn_size;
  if (o.moe_layer_freq >= 0) m.moe_layer_freq = o.moe_layer_freq;
  if (o.first_k_dense_replace >= 0) m.first_k_dense_replace = o.first_k_dense_replace;
  if (o.mtp_num_layers >= 0) m.mtp_num_layers = o.mtp_num_layers;
  if (o.sliding_window >= 0) m.sliding_window = o.sliding_window;
  if (o.sliding_window_pattern >= 0) m.sliding_window_pattern = o.sliding_window_pattern;
  // Any MLA dimension turns multi-latent attention on; the others keep the model's (validate names a missing one).
  for (auto [flag, field] : {std::pair{o.q_lora_rank, &hp::ModelSpec::q_lora_rank}, {o.kv_lora_rank, &hp::ModelSpec::kv_lora_rank},
                             {o.qk_head_dim, &hp::ModelSpec::qk_head_dim}, {o.qk_pos_emb_head_dim, &hp::ModelSpec::qk_pos_emb_head_dim},
                             {o.v_head_dim, &hp::ModelSpec::v_head_dim}})
    if (flag >= 0) {
      m.*field = flag;
      m.multi_latent_attention = true;
      m.num_query_groups = 0;
      if (m.position_embedding == "learned_absolute") m.position_embedding = "rope";  // MLA's decoupled RoPE
    }
  hp::validate(m);
  return m;
}

hp::Layout resolve_layout(const Opts& o) {
  hp::Layout l = o.layout;
  l.sequence_parallel = o.sequence_parallel < 0 ? hp::default_sequence_parallel(l.tp) : o.sequence_parallel == 1;
  if (o.offload_fraction && o.offload_fraction->count() > 0 && !l.optimizer_cpu_offload)
    throw hp::ConfigError("optimizer_offload_fraction", fmt::format("{}", l.optimizer_offload_fraction),
                          "given without --optimizer-cpu-offload");
  hp::validate(l);
  l.recompute = hp::recompute_from_string("recompute", o.recompute);
  l.recompute_modules = hp::parse_recompute_modules("recompute_modules", o.recompute_modules);
  hp::validate(l);  // recompute_modules only with selective
  if (o.fp8) l.precision = hp::Precision::fp8_delayed;
  if (!o.precision.empty()) l.precision = hp::parse_precision("precision", o.precision);
  if (!o.moe_dispatcher.empty()) l.moe_dispatcher = hp::parse_moe_dispatcher("moe_dispatcher", o.moe_dispatcher);
  if (l.activation_offload_layers < 0)
    throw hp::ConfigError("activation_offload_layers", std::to_string(l.activation_offload_layers), "must be >= 0");
  const std::string& ps = o.pipeline_split;
  if (!ps.empty() && ps != "none" && ps != "embedding" && ps != "loss" && ps != "embedding+loss")
    throw hp::ConfigError("pipeline_split", ps, "expected none, embedding, loss or embedding+loss");
  l.account_for_embedding = ps == "embedding" || ps == "embedding+loss";
  l.account_for_loss = ps == "loss" || ps == "embedding+loss";
  return l;
}

// The user's GPUs are looked up beside the catalogue (hp::find_gpu(name, extra)); the catalogue is not changed.
std::vector<hp::GpuSpec> user_gpus(const Opts& o) {
  return o.gpu_file.empty() ? std::vector<hp::GpuSpec>{} : hp::load_gpus_yaml(o.gpu_file);
}

std::vector<hp::Calibration> calibrations(const Opts& o) {
  return o.calibration.empty() ? hp::shipped_calibrations() : hp::load_calibrations_yaml(o.calibration);
}

std::string fmt_value(double v) { return std::isfinite(v) ? fmt::format("{:.6g}", v) : ""; }

int run_batch(const Opts& o) {
  if (o.output.empty()) throw hp::ConfigError("output", "", "--batch needs -o PRED.csv");
  const auto cals = calibrations(o);
  hp::Table table = hp::read_csv(o.batch);
  const auto runs = hp::runs_from_table(table, user_gpus(o));
  const char* added[] = {"pred_step_time_s", "pred_tokens_per_sec_per_gpu", "pred_tflops_per_gpu", "pred_mfu_pct",
                         "pred_memory_per_gpu_gb", "fits", "reason"};
  std::vector<std::size_t> where;
  for (const char* name : added) {
    int i = table.column(name);
    if (i < 0) {
      table.columns.push_back(name);
      for (auto& row : table.rows) row.emplace_back();
      i = static_cast<int>(table.columns.size()) - 1;
    }
    where.push_back(static_cast<std::size_t>(i));
  }
  int predicted = 0;
  for (const auto& r : runs) {
    std::vector<std::string> out(7);
    if (!r.ok()) {
      out[5] = "no";
      out[6] = r.error;
    } else {
      const hp::Estimate e = hp::estimate(r.model, r.layout, r.gpu, hp::calibration_for(cals, r.gpu));
      const bool timed = e.reason == hp::Infeasible::none || e.reason == hp::Infeasible::out_of_memory;
      if (timed) {
        out[0] = fmt_value(e.time.step_time_s);
        out[1] = fmt_value(e.tokens_per_s_per_gpu);
        out[2] = fmt_value(e.tflops_per_gpu);
        out[3] = fmt_value(e.mfu * 100);
        out[4] = fmt_value(e.memory.total_bytes / hp::kGiB);
        ++predicted;
      }
      out[5] = e.fits ? "yes" : "no";
      out[6] = e.reason == hp::Infeasible::none ? "" : hp::to_string(e.reason);
    }
    for (std::size_t k = 0; k < out.size(); ++k) table.rows[r.index][where[k]] = out[k];
  }
  hp::write_csv(table, o.output);
  if (o.json) {
    hpcli::JsonObject j;
    j.str("output", o.output).integer("num_rows", static_cast<long long>(runs.size())).integer("num_predicted", predicted);
    fmt::print("{}\n", j.dump());
  } else {
    fmt::print("wrote {} ({} rows, {} predicted, {} with a reason only)\n", o.output, runs.size(), predicted,
               runs.size() - predicted);
  }
  return hpcli::kOk;
}

// What the estimate took without the user saying it (printed under "assumed", listed in --json).
std::vector<std::string> assumptions(const Opts& o, const hp::Layout& l, const hp::GpuSpec& g) {
  std::vector<std::string> out;
  if (o.gpu.empty()) out.push_back("--gpu " + g.name + " (" + hp::default_gpu_reason() + ")");
  if (o.nemo_config.empty() && o.sequence_parallel < 0)
    out.push_back(fmt::format("sequence parallel {} (on when tp > 1; give --sequence-parallel or --no-sequence-parallel)",
                              l.sequence_parallel ? "on" : "off"));
  return out;
}

void print_text(const hp::ModelSpec& m, const hp::Layout& l, const hp::GpuSpec& g, const hp::Estimate& e,
                const std::vector<std::string>& assumed) {
  // An infeasible layout is not evaluated, so count the parameters here rather than print 0.
  const double params = e.num_parameters > 0 ? e.num_parameters : double(hp::count_parameters(m).total);
  fmt::print("model   {} ({:.2f} B parameters), seq {}, vocab {}\n", m.name.empty() ? m.family : m.name,
             params / 1e9, m.seq_length, m.vocab_size);
  const double peak = l.precision == hp::Precision::bf16    ? g.peak_bf16_flops_per_s
                     : l.precision == hp::Precision::nvfp4 ? g.peak_fp4_flops_per_s
                                                           : g.peak_fp8_flops_per_s;
  fmt::print("gpu     {} x {} ({:.0f} GiB, {:.0f} TFLOP/s {} dense)\n", l.num_gpus, g.name, g.memory_bytes / hp::kGiB,
             peak / 1e12, hp::to_string(l.precision));
  fmt::print("layout  tp {} pp {} vp {} cp {} ep {} dp {} | mbs {} gbs {} ({} micro-batches) | sp {} | recompute {} | "
             "dist-opt {}{}\n", l.tp, l.pp, l.vp, l.cp, l.ep, l.dp(), l.mbs, l.gbs, l.num_micro_batches(),
             l.sequence_parallel ? "yes" : "no",
             l.recompute_modules != 0 ? fmt::format("selective ({})", hp::recompute_modules_to_string(l.recompute_modules))
                                      : std::string(hp::to_string(l.recompute)),
             l.distributed_optimizer ? "yes" : "no", l.fsdp ? " | fsdp" : "");
  if (l.optimizer_cpu_offload)
    fmt::print("offload optimizer state {:.0f}% on the CPU | host link {:.0f} GB/s | host memory {:.1f} GB/s | "
               "overlap {}\n", 100 * l.optimizer_offload_fraction, g.host_bandwidth_bytes_per_s / 1e9,
               g.host_memory_bandwidth_bytes_per_s / 1e9, l.overlap_cpu_optimizer_d2h_h2d ? "yes" : "no");
  for (const std::string& a : assumed) fmt::print("assumed {}\n", a);
  fmt::print("fits    {}{}\n", e.fits ? "yes" : "no",
             e.reason == hp::Infeasible::none ? "" : fmt::format(" ({})", hp::to_string(e.reason)));
  if (e.time.step_time_s <= 0) return;
  const hp::MemoryBreakdown& mem = e.memory;
  fmt::print("\nmemory of the most loaded GPU (pipeline rank {}): {:.2f} GiB\n", mem.pipeline_rank, mem.total_bytes / hp::kGiB);
  const std::pair<const char*, double> mrows[] = {
      {"weights", mem.weights_bytes}, {"gradients", mem.gradients_bytes}, {"optimizer", mem.optimizer_bytes},
      {"activations", mem.activations_bytes}, {"embedding/logits", mem.embedding_logits_bytes},
      {"overhead", mem.overhead_bytes}};
  for (const auto& r : mrows) fmt::print("  {:<18} {:>9.2f} GiB\n", r.first, r.second / hp::kGiB);
  const hp::TimeBreakdown& t = e.time;
  fmt::print("\nstep time {:.4f} s | {:.1f} tokens/s/GPU | {:.1f} TFLOP/s/GPU | MFU {:.1f}% | HFU {:.1f}%\n",
             t.step_time_s, e.tokens_per_s_per_gpu, e.tflops_per_gpu, e.mfu * 100, e.hfu * 100);
  const std::pair<const char*, double> trows[] = {
      {"compute", t.compute_s}, {"tp comm (exposed)", t.tp_comm_s}, {"cp comm (exposed)", t.cp_comm_s},
      {"ep comm", t.ep_comm_s}, {"pp comm", t.pp_comm_s}, {"pipeline bubble", t.bubble_s},
      {"dp comm (exposed)", t.dp_comm_s}, {"fsdp (exposed)", t.fsdp_comm_s},
      {"offload (exposed)", t.offload_s}, {"optimizer", t.optimizer_s}, {"fixed overhead", t.overhead_s}};
  for (const auto& r : trows) {
    if (&r == &trows[std::size(trows) - 1] && l.optimizer_cpu_offload)  // only when asked for: the classic rows stay
      fmt::print("  {:<18} {:>9.4f} s {:>6.1f}%\n", "optimizer offload", t.optimizer_offload_s,
                 100 * t.optimizer_offload_s / t.step_time_s);
    fmt::print("  {:<18} {:>9.4f} s {:>6.1f}%\n", r.first, r.second, 100 * r.second / t.step_time_s);
  }
  if (!m.is_moe()) return;
  fmt::print("\nMoE parts (inside compute / ep comm above), dispatcher {}:\n", hp::to_string(l.moe_dispatcher));
  const std::pair<const char*, double> moe[] = {
      {"router", t.moe_router_s}, {"permute/unpermute", t.moe_permute_s}, {"dispatch comm", t.moe_dispatch_s},
      {"expert GEMMs", t.moe_expert_gemm_s}, {"shared experts", t.moe_shared_expert_s}};
  for (const auto& r : moe)
    fmt::print("  {:<18} {:>9.4f} s {:>6.1f}%\n", r.first, r.second, 100 * r.second / t.step_time_s);
}

int run_single(const Opts& o) {
  const auto cals = calibrations(o);
  hp::ModelSpec m;
  hp::Layout l;
  if (!o.nemo_config.empty()) {
    const hp::TrainingConfig cfg = hp::load_nemo_yaml(o.nemo_config);
    m = cfg.model;
    l = hp::layout_from_nemo(cfg);
  } else {
    m = resolve_model(o);
    l = resolve_layout(o);
  }
  const std::vector<hp::GpuSpec> extra = user_gpus(o);  // read (and checked) even when --gpu is not given
  const hp::GpuSpec g = o.gpu.empty() ? hp::default_gpu() : hp::find_gpu(o.gpu, extra);
  const std::vector<std::string> assumed = assumptions(o, l, g);
  hp::EstimateOptions eo;
  eo.memory_margin = o.memory_margin;
  const hp::Estimate e = hp::estimate(m, l, g, hp::calibration_for(cals, g), eo);
  if (!o.json) {
    print_text(m, l, g, e, assumed);
    return hpcli::kOk;
  }
  hpcli::JsonObject j;
  j.str("model", m.name.empty() ? m.family : m.name).str("gpu", g.name).integer("num_gpus", l.num_gpus);
  j.integer("tp", l.tp).integer("pp", l.pp).integer("vp", l.vp).integer("cp", l.cp).integer("ep", l.ep);
  j.integer("dp", l.dp()).integer("mbs", l.mbs).integer("gbs", l.gbs);
  j.str("recompute", hp::to_string(l.recompute));
  j.str("recompute_modules", hp::recompute_modules_to_string(l.selective_modules()));
  j.boolean("sequence_parallel", l.sequence_parallel).boolean("distributed_optimizer", l.distributed_optimizer);
  j.boolean("fp8", l.fp8()).str("precision", hp::to_string(l.precision)).boolean("fsdp", l.fsdp);
  j.boolean("optimizer_cpu_offload", l.optimizer_cpu_offload).num("optimizer_offload_fraction", l.optimizer_offload_share());
  j.str("reason", e.reason == hp::Infeasible::none ? "" : hp::to_string(e.reason));
  std::vector<std::string> quoted;
  for (const std::string& a : assumed) quoted.push_back(hpcli::json_string(a));
  j.raw("assumed", hpcli::json_array(quoted));
  for (const auto& kv : hp::to_fields(e)) {
    if (kv.first == "fits") j.boolean("fits", kv.second != 0);
    else j.num(kv.first, kv.second);
  }
  fmt::print("{}\n", j.dump());
  return hpcli::kOk;
}

std::function<int()> setup(CLI::App& app) {
  auto o = std::make_shared<Opts>();
  o->dims = hp::ModelSpec{};
  o->dims.num_layers = o->dims.hidden_size = o->dims.ffn_hidden_size = o->dims.num_attention_heads = 0;
  o->dims.seq_length = o->dims.vocab_size = 0;
  app.description("Predict memory per GPU, step time, tokens/s, TFLOP/s and MFU of a training layout "
                  "(or of every row of a CSV with --batch)");
  app.add_option("--batch", o->batch, "CSV of runs (published-runs column names); writes predictions to -o");
  app.add_option("-o,--output", o->output, "output CSV for --batch");
  app.add_option("--nemo-config", o->nemo_config,
                 "NeMo-Megatron training YAML: model and layout from it (hp-cli base-config writes one)");
  add_model_options(app, *o);
  add_layout_options(app, *o);
  app.add_option("--calibration", o->calibration, "calibration YAML from hp-cli calibrate (default: shipped)");
  app.add_option("--memory-margin", o->memory_margin, "fraction of GPU memory kept free (negative: tolerate that much over)")
      ->capture_default_str()
      ->check(hpcli::finite_range(-1, 1));
  app.add_flag("--json", o->json, "print one JSON object");
  return [o] { return o->batch.empty() ? run_single(*o) : run_batch(*o); };
}

}  // namespace

HP_CLI_COMMAND("estimate", 30, setup);
