// Binding: performance model (ModelSpec, Layout, GpuSpec, Calibration classes; estimate; calibrate; validate).
#include <pybind11/stl.h>

#include "binding.hpp"
#include "kwargs.hpp"
#include "hp/calibration.hpp"
#include "hp/catalog.hpp"
#include "hp/core.hpp"
#include "hp/defaults.hpp"
#include "hp/hardware.hpp"
#include "hp/layout_fields.hpp"
#include "hp/model.hpp"
#include "hp/perf.hpp"
#include "hp/runs.hpp"

namespace {

namespace py = pybind11;

template <class T>
py::dict fields_dict(const py::object& self, const std::vector<const char*>& names) {
  py::dict d;
  for (const char* n : names) d[n] = self.attr(n);
  return d;
}

hp::ModelSpec model_arg(const py::object& model) {
  if (py::isinstance<py::str>(model)) return hp::find_model(model.cast<std::string>());
  if (py::isinstance<py::dict>(model)) return hppy::from_kwargs<hp::ModelSpec>(model.cast<py::dict>());
  try {
    return model.cast<hp::ModelSpec>();
  } catch (const py::cast_error&) {
    throw hppy::wrong_type("model", py::str(model).cast<std::string>(), "expected 'family/size', a dict or a ModelSpec");
  }
}

// A layout from keyword fields; sequence_parallel, when not given, is the default every command assumes
// (hp/defaults.hpp: on when tp > 1), so Layout(tp=2) estimates the same as `hp-cli estimate --tp 2`.
hp::Layout layout_from_fields(const py::dict& fields) {
  hp::Layout l = hppy::from_kwargs<hp::Layout>(fields);
  if (!fields.contains("sequence_parallel")) l.sequence_parallel = hp::default_sequence_parallel(l.tp);
  if (l.recompute_modules != 0 && l.recompute != hp::Recompute::selective)
    throw hp::ConfigError("recompute_modules", hp::recompute_modules_to_string(l.recompute_modules),
                          "valid only with recompute='selective'");
  return l;
}

// recompute_modules from a '+'-joined string or a list / tuple of words.
std::uint32_t modules_arg(const py::object& v) {
  if (py::isinstance<py::str>(v)) return hp::parse_recompute_modules("recompute_modules", v.cast<std::string>());
  if (!py::isinstance<py::list>(v) && !py::isinstance<py::tuple>(v))
    throw hppy::wrong_type("recompute_modules", py::repr(v).cast<std::string>(), "expected a str or a list of str");
  std::string words;
  for (const auto& item : v) {
    if (!py::isinstance<py::str>(item))
      throw hppy::wrong_type("recompute_modules", py::repr(v).cast<std::string>(), "expected a list of str");
    words += (words.empty() ? "" : "+") + item.cast<std::string>();
  }
  return hp::parse_recompute_modules("recompute_modules", words);
}

hp::Layout layout_arg(const py::object& layout) {
  if (py::isinstance<py::dict>(layout)) return layout_from_fields(layout.cast<py::dict>());
  try {
    return layout.cast<hp::Layout>();
  } catch (const py::cast_error&) {
    throw hppy::wrong_type("layout", py::str(layout).cast<std::string>(), "expected a Layout or a dict");
  }
}

hp::GpuSpec gpu_arg(const py::object& gpu) {
  if (py::isinstance<py::str>(gpu)) return hp::find_gpu(gpu.cast<std::string>());
  try {
    return gpu.cast<hp::GpuSpec>();
  } catch (const py::cast_error&) {
    throw hppy::wrong_type("gpu", py::str(gpu).cast<std::string>(), "expected a GPU name or a GpuSpec");
  }
}

hp::Calibration calibration_arg(const py::object& calibration, const hp::GpuSpec& gpu) {
  if (calibration.is_none()) return hp::default_calibration(gpu);
  if (py::isinstance<py::dict>(calibration)) return hppy::from_kwargs<hp::Calibration>(calibration.cast<py::dict>());
  try {
    return calibration.cast<hp::Calibration>();
  } catch (const py::builtin_exception&) {
    throw hppy::wrong_type("calibration", py::str(calibration).cast<std::string>(),
                          "expected None, a Calibration or a dict of Calibration fields");
  }
}


py::dict estimate_dict(const hp::Estimate& e) {
  py::dict out, memory, time;
  out["reason"] = e.reason == hp::Infeasible::none ? "" : hp::to_string(e.reason);
  for (const auto& kv : hp::to_fields(e)) {
    const auto dot = kv.first.find('.');
    // Counts are ints in Python (to_fields carries every value as a double).
    const bool count = kv.first == "num_parameters" || kv.first == "memory.pipeline_rank";
    const py::object v =
        count ? py::object(py::int_(static_cast<long long>(kv.second))) : py::object(py::float_(kv.second));
    if (kv.first == "fits") out["fits"] = kv.second != 0;
    else if (dot == std::string::npos) out[kv.first.c_str()] = v;
    else (kv.first.compare(0, dot, "memory") == 0 ? memory : time)[kv.first.substr(dot + 1).c_str()] = v;
  }
  out["memory"] = memory;
  out["time"] = time;
  return out;
}

py::dict stats_dict(const hp::ErrorStats& s) {
  py::dict d;
  d["group"] = s.group;
  d["num_runs"] = s.num_runs;
  d["mean_abs_pct"] = s.mean_abs_pct;
  d["max_abs_pct"] = s.max_abs_pct;
  return d;
}

void bind_classes(py::module_& m) {
  py::class_<hp::ModelSpec>(m, "ModelSpec", "A transformer architecture (Megatron-Core names); ModelSpec(**fields)")
      .def(py::init([](const py::kwargs& kw) { return hppy::from_kwargs<hp::ModelSpec>(kw); }))
      .def_readwrite("family", &hp::ModelSpec::family)
      .def_readwrite("name", &hp::ModelSpec::name)
      .def_readwrite("num_layers", &hp::ModelSpec::num_layers)
      .def_readwrite("num_decoder_layers", &hp::ModelSpec::num_decoder_layers)
      .def_readwrite("hidden_size", &hp::ModelSpec::hidden_size)
      .def_readwrite("ffn_hidden_size", &hp::ModelSpec::ffn_hidden_size)
      .def_readwrite("num_attention_heads", &hp::ModelSpec::num_attention_heads)
      .def_readwrite("num_query_groups", &hp::ModelSpec::num_query_groups)
      .def_readwrite("kv_channels", &hp::ModelSpec::kv_channels)
      .def_readwrite("vocab_size", &hp::ModelSpec::vocab_size)
      .def_readwrite("seq_length", &hp::ModelSpec::seq_length)
      .def_readwrite("decoder_seq_length", &hp::ModelSpec::decoder_seq_length)
      .def_readwrite("max_position_embeddings", &hp::ModelSpec::max_position_embeddings)
      .def_readwrite("position_embedding", &hp::ModelSpec::position_embedding)
      .def_readwrite("activation", &hp::ModelSpec::activation)
      .def_readwrite("normalization", &hp::ModelSpec::normalization)
      .def_readwrite("add_bias_linear", &hp::ModelSpec::add_bias_linear)
      .def_readwrite("share_embeddings_and_output_weights", &hp::ModelSpec::share_embeddings_and_output_weights)
      .def_readwrite("moe_num_experts", &hp::ModelSpec::moe_num_experts)
      .def_readwrite("moe_topk", &hp::ModelSpec::moe_topk)
      .def_readwrite("moe_ffn_hidden_size", &hp::ModelSpec::moe_ffn_hidden_size)
      .def_readwrite("moe_shared_expert_ffn_size", &hp::ModelSpec::moe_shared_expert_ffn_size)
      .def_readwrite("moe_layer_freq", &hp::ModelSpec::moe_layer_freq)
      .def_readwrite("first_k_dense_replace", &hp::ModelSpec::first_k_dense_replace)
      .def_readwrite("moe_router_enable_expert_bias", &hp::ModelSpec::moe_router_enable_expert_bias)
      .def_readwrite("mtp_num_layers", &hp::ModelSpec::mtp_num_layers)
      .def_readwrite("multi_latent_attention", &hp::ModelSpec::multi_latent_attention)
      .def_readwrite("q_lora_rank", &hp::ModelSpec::q_lora_rank)
      .def_readwrite("kv_lora_rank", &hp::ModelSpec::kv_lora_rank)
      .def_readwrite("qk_head_dim", &hp::ModelSpec::qk_head_dim)
      .def_readwrite("qk_pos_emb_head_dim", &hp::ModelSpec::qk_pos_emb_head_dim)
      .def_readwrite("v_head_dim", &hp::ModelSpec::v_head_dim)
      .def_readwrite("sliding_window", &hp::ModelSpec::sliding_window)
      .def_readwrite("sliding_window_pattern", &hp::ModelSpec::sliding_window_pattern)
      .def_static("from_catalog", &hp::find_model, py::arg("key"), "A pre-defined config, e.g. 'gpt3/175b'")
      .def("__repr__", [](const hp::ModelSpec& s) {
        return "ModelSpec(name='" + s.name + "', num_layers=" + std::to_string(s.num_layers) +
               ", hidden_size=" + std::to_string(s.hidden_size) + ")";
      });

  py::class_<hp::Layout> layout(m, "Layout", "A parallel training layout (Megatron-Core semantics); Layout(**fields)");
  for (const hp::LayoutField& f : hp::layout_fields()) layout.def_readwrite(f.name, f.member, f.help);
  layout.def(py::init([](const py::kwargs& kw) { return layout_from_fields(kw); }))
      .def_readwrite("sequence_parallel", &hp::Layout::sequence_parallel)
      .def_property("recompute", [](const hp::Layout& l) { return hp::to_string(l.recompute); },
                    [](hp::Layout& l, const std::string& s) { l.recompute = hp::recompute_from_string("recompute", s); },
                    "none, selective or full")
      .def_property("recompute_modules",
                    [](const hp::Layout& l) { return hp::recompute_modules_to_string(l.recompute_modules); },
                    [](hp::Layout& l, const py::object& v) { l.recompute_modules = modules_arg(v); },
                    "selective: Megatron-Core modules recomputed, '+'-joined (a list of words is accepted too); "
                    "'' = core_attn")
      .def_readwrite("recompute_num_layers", &hp::Layout::recompute_num_layers)
      .def_readwrite("recompute_micro_batches", &hp::Layout::recompute_micro_batches)
      .def_readwrite("distributed_optimizer", &hp::Layout::distributed_optimizer)
      .def_readwrite("grad_reduce_in_fp32", &hp::Layout::grad_reduce_in_fp32)
      .def_property("fp8", [](const hp::Layout& l) { return l.fp8(); },
                    [](hp::Layout& l, bool on) { l.precision = on ? hp::Precision::fp8_delayed : hp::Precision::bf16; },
                    "low-precision GEMMs; setting True means FP8 with delayed scaling")
      .def_property("precision", [](const hp::Layout& l) { return std::string(hp::to_string(l.precision)); },
                    [](hp::Layout& l, const std::string& s) { l.precision = hp::parse_precision("precision", s); },
                    "bf16, fp8 (delayed scaling), fp8-cs (current scaling), mxfp8 or nvfp4")
      .def_readwrite("fsdp", &hp::Layout::fsdp)
      .def_readwrite("account_for_embedding", &hp::Layout::account_for_embedding)
      .def_readwrite("account_for_loss", &hp::Layout::account_for_loss)
      .def_property("moe_dispatcher", [](const hp::Layout& l) { return std::string(hp::to_string(l.moe_dispatcher)); },
                    [](hp::Layout& l, const std::string& s) { l.moe_dispatcher = hp::parse_moe_dispatcher("moe_dispatcher", s); },
                    "alltoall, allgather or flex")
      .def_readwrite("activation_offload_layers", &hp::Layout::activation_offload_layers)
      .def_readwrite("optimizer_cpu_offload", &hp::Layout::optimizer_cpu_offload,
                     "Megatron-Core optimizer CPU offload (needs distributed_optimizer)")
      .def_property("optimizer_offload_fraction", [](const hp::Layout& l) { return l.optimizer_offload_fraction; },
                    [](hp::Layout& l, double f) {
                      if (!(f >= 0.0 && f <= 1.0))
                        throw hp::ConfigError("optimizer_offload_fraction", py::str(py::float_(f)).cast<std::string>(),
                                              "expected a number in 0..1");
                      l.optimizer_offload_fraction = f;
                    }, "share of the optimizer shard offloaded, 0..1")
      .def_readwrite("overlap_cpu_optimizer_d2h_h2d", &hp::Layout::overlap_cpu_optimizer_d2h_h2d)
      .def_readwrite("overlap_grad_reduce", &hp::Layout::overlap_grad_reduce)
      .def_readwrite("overlap_param_gather", &hp::Layout::overlap_param_gather)
      .def_readwrite("tp_comm_overlap", &hp::Layout::tp_comm_overlap)
      .def_readwrite("lora", &hp::Layout::lora)
      .def_readwrite("flash_attention", &hp::Layout::flash_attention)
      .def_readwrite("uneven_pipeline", &hp::Layout::uneven_pipeline)
      .def_property_readonly("dp", &hp::Layout::dp)
      .def_property_readonly("num_micro_batches", &hp::Layout::num_micro_batches);

  py::class_<hp::GpuSpec>(m, "GpuSpec", "A GPU in its system (SI units); GpuSpec(**fields)")
      .def(py::init([](const py::kwargs& kw) { return hppy::from_kwargs<hp::GpuSpec>(kw); }))
      .def_readwrite("name", &hp::GpuSpec::name)
      .def_readwrite("memory_bytes", &hp::GpuSpec::memory_bytes)
      .def_readwrite("memory_bandwidth_bytes_per_s", &hp::GpuSpec::memory_bandwidth_bytes_per_s)
      .def_readwrite("peak_bf16_flops_per_s", &hp::GpuSpec::peak_bf16_flops_per_s)
      .def_readwrite("peak_fp8_flops_per_s", &hp::GpuSpec::peak_fp8_flops_per_s)
      .def_readwrite("peak_fp4_flops_per_s", &hp::GpuSpec::peak_fp4_flops_per_s)
      .def_readwrite("host_bandwidth_bytes_per_s", &hp::GpuSpec::host_bandwidth_bytes_per_s)
      .def_readwrite("host_memory_bandwidth_bytes_per_s", &hp::GpuSpec::host_memory_bandwidth_bytes_per_s)
      .def_readwrite("nvlink_bandwidth_bytes_per_s", &hp::GpuSpec::nvlink_bandwidth_bytes_per_s)
      .def_readwrite("nvlink_domain_size", &hp::GpuSpec::nvlink_domain_size)
      .def_readwrite("internode_bandwidth_bytes_per_s", &hp::GpuSpec::internode_bandwidth_bytes_per_s)
      .def_readwrite("gpus_per_node", &hp::GpuSpec::gpus_per_node)
      .def_readwrite("family", &hp::GpuSpec::family)
      .def_readwrite("source", &hp::GpuSpec::source)
      .def("__repr__", [](const hp::GpuSpec& g) { return "GpuSpec(name='" + g.name + "')"; });

  py::class_<hp::Calibration>(m, "Calibration", "Efficiency parameters of one GPU family; Calibration(**fields)")
      .def(py::init([](const py::kwargs& kw) { return hppy::from_kwargs<hp::Calibration>(kw); }))
      .def_readwrite("gpu_family", &hp::Calibration::gpu_family)
      .def_readwrite("gemm_efficiency", &hp::Calibration::gemm_efficiency)
      .def_readwrite("fp8_gemm_efficiency", &hp::Calibration::fp8_gemm_efficiency)
      .def_readwrite("gemm_half_size_flops", &hp::Calibration::gemm_half_size_flops)
      .def_readwrite("attention_efficiency", &hp::Calibration::attention_efficiency)
      .def_readwrite("comm_efficiency", &hp::Calibration::comm_efficiency)
      .def_readwrite("tp_overlap_exposed_fraction", &hp::Calibration::tp_overlap_exposed_fraction)
      .def_readwrite("memory_overhead_bytes", &hp::Calibration::memory_overhead_bytes)
      .def_readwrite("step_overhead_s", &hp::Calibration::step_overhead_s)
      .def_readwrite("num_fit_runs", &hp::Calibration::num_fit_runs);
}

void bind_results(py::module_& m) {
  py::class_<hp::MemoryBreakdown>(m, "MemoryBreakdown", "Memory of the most loaded GPU, bytes")
      .def_readonly("weights_bytes", &hp::MemoryBreakdown::weights_bytes)
      .def_readonly("gradients_bytes", &hp::MemoryBreakdown::gradients_bytes)
      .def_readonly("optimizer_bytes", &hp::MemoryBreakdown::optimizer_bytes)
      .def_readonly("activations_bytes", &hp::MemoryBreakdown::activations_bytes)
      .def_readonly("embedding_logits_bytes", &hp::MemoryBreakdown::embedding_logits_bytes)
      .def_readonly("overhead_bytes", &hp::MemoryBreakdown::overhead_bytes)
      .def_readonly("total_bytes", &hp::MemoryBreakdown::total_bytes)
      .def_readonly("pipeline_rank", &hp::MemoryBreakdown::pipeline_rank);
  py::class_<hp::TimeBreakdown>(m, "TimeBreakdown", "Step time parts, seconds")
      .def_readonly("compute_s", &hp::TimeBreakdown::compute_s)
      .def_readonly("tp_comm_s", &hp::TimeBreakdown::tp_comm_s)
      .def_readonly("cp_comm_s", &hp::TimeBreakdown::cp_comm_s)
      .def_readonly("ep_comm_s", &hp::TimeBreakdown::ep_comm_s)
      .def_readonly("pp_comm_s", &hp::TimeBreakdown::pp_comm_s)
      .def_readonly("bubble_s", &hp::TimeBreakdown::bubble_s)
      .def_readonly("dp_comm_s", &hp::TimeBreakdown::dp_comm_s)
      .def_readonly("fsdp_comm_s", &hp::TimeBreakdown::fsdp_comm_s)
      .def_readonly("offload_s", &hp::TimeBreakdown::offload_s)
      .def_readonly("moe_router_s", &hp::TimeBreakdown::moe_router_s)
      .def_readonly("moe_permute_s", &hp::TimeBreakdown::moe_permute_s)
      .def_readonly("moe_dispatch_s", &hp::TimeBreakdown::moe_dispatch_s)
      .def_readonly("moe_expert_gemm_s", &hp::TimeBreakdown::moe_expert_gemm_s)
      .def_readonly("moe_shared_expert_s", &hp::TimeBreakdown::moe_shared_expert_s)
      .def_readonly("optimizer_s", &hp::TimeBreakdown::optimizer_s)
      .def_readonly("optimizer_offload_s", &hp::TimeBreakdown::optimizer_offload_s)
      .def_readonly("overhead_s", &hp::TimeBreakdown::overhead_s)
      .def_readonly("step_time_s", &hp::TimeBreakdown::step_time_s);
  py::class_<hp::Estimate>(m, "Estimate", "Result of estimate(): breakdowns, throughput, MFU, feasibility")
      .def_property_readonly("reason", [](const hp::Estimate& e) {
        return std::string(e.reason == hp::Infeasible::none ? "" : hp::to_string(e.reason));
      }, "why the layout cannot run ('' = it runs and fits)")
      .def_readonly("fits", &hp::Estimate::fits)
      .def_readonly("memory", &hp::Estimate::memory)
      .def_readonly("time", &hp::Estimate::time)
      .def_readonly("model_flops_per_step", &hp::Estimate::model_flops_per_step)
      .def_readonly("hardware_flops_per_step", &hp::Estimate::hardware_flops_per_step)
      .def_readonly("tokens_per_s_per_gpu", &hp::Estimate::tokens_per_s_per_gpu)
      .def_readonly("tflops_per_gpu", &hp::Estimate::tflops_per_gpu)
      .def_readonly("mfu", &hp::Estimate::mfu)
      .def_readonly("hfu", &hp::Estimate::hfu)
      .def_readonly("num_parameters", &hp::Estimate::num_parameters)
      .def("to_dict", &estimate_dict, "Everything as a dict (SI units; 'memory' and 'time' sub-dicts)");
}

void bind_functions(py::module_& m) {
  m.def("find_gpu", [](const std::string& name) { return hp::find_gpu(name); }, py::arg("name"), "A catalogue GPU by name or alias ('H100-SXM-80GB')");
  m.def("gpu_catalog", &hp::gpu_catalog, "All known GPUs");
  m.def("layout_fields", [] {
    py::list out;
    const hp::Layout defaults;
    for (const hp::LayoutField& f : hp::layout_fields())
      out.append(py::dict(py::arg("name") = f.name, py::arg("default") = defaults.*f.member, py::arg("min") = f.min_value,
                          py::arg("help") = f.help, py::arg("cli_flag") = f.cli_flag, py::arg("nemo_key") = f.nemo_key,
                          py::arg("csv_column") = f.csv_column, py::arg("search_key") = f.search_key,
                          py::arg("name_tag") = f.name_tag));
    return out;
  }, "The layout field table (one dict per integer layout dimension: name, default, min, help, cli_flag, nemo_key, "
     "csv_column, search_key, name_tag; '' = the dimension does not reach that place)");
  m.def("load_gpus", [](const std::string& path) {
    auto gpus = hp::load_gpus_yaml(path);
    hp::register_gpus(gpus);
    return gpus;
  }, py::arg("path"), "Read your own GPUs from YAML and make find_gpu see them");
  m.def("default_calibration", [](const py::object& gpu) { return hp::default_calibration(gpu_arg(gpu)); },
        py::arg("gpu"), "The shipped calibration of a GPU's family");
  m.def("estimate",
        [](const py::object& model, const py::object& layout, const py::object& gpu, const py::object& calibration,
           double memory_margin) {
          const hp::GpuSpec g = gpu_arg(gpu);
          const hp::Calibration c = calibration_arg(calibration, g);
          if (!(memory_margin >= -1 && memory_margin <= 1))  // false for NaN
            throw hp::ConfigError("memory_margin", py::str(py::float_(memory_margin)).cast<std::string>(),
                                  "expected a finite number in [-1, 1]");
          hp::EstimateOptions o;
          o.memory_margin = memory_margin;
          return hp::estimate(model_arg(model), layout_arg(layout), g, c, o);
        },
        py::arg("model"), py::arg("layout"), py::arg("gpu") = hp::default_gpu().name, py::arg("calibration") = py::none(),
        py::arg("memory_margin") = 0.0,
        "Memory, step time, tokens/s, TFLOP/s and MFU of one layout. model: 'gpt3/175b', a dict or a ModelSpec; "
        "layout: a Layout or a dict; gpu: a name or a GpuSpec. Infeasible layouts give .reason, not an exception.");
  m.def("model_flops_per_step", [](const py::object& model, int gbs) { return hp::model_flops_per_step(model_arg(model), gbs); },
        py::arg("model"), py::arg("global_batch_size"), "Megatron-Core model FLOPs of one global batch");
  m.def("validate_runs", [](const std::string& path) {
    const hp::Table t = path.empty() ? hp::parse_csv(hp::published_runs_csv(), "published_runs.csv") : hp::read_csv(path);
    const auto r = hp::validate_runs(hp::runs_from_table(t), hp::shipped_calibrations());
    py::dict d;
    d["split"] = r.split;
    d["num_rows"] = r.num_rows;
    d["num_evaluated"] = r.num_evaluated;
    d["holdout_dense_unflagged"] = stats_dict(r.holdout_dense_unflagged);
    d["holdout_dense_modern"] = stats_dict(r.holdout_dense_modern);
    d["holdout_moe"] = stats_dict(r.holdout_moe);
    d["korthikanti"] = stats_dict(r.korthikanti);
    py::list groups, memory;
    for (const auto& s : r.step_time) groups.append(stats_dict(s));
    for (const auto& s : r.memory) memory.append(stats_dict(s));
    d["step_time"] = groups;
    d["memory"] = memory;
    py::list grouped;
    for (const auto& g : r.grouped) {
      py::dict gd;
      gd["by"] = g.by;
      gd["overall"] = stats_dict(g.overall);
      py::list per_group;
      for (const auto& s : g.groups) per_group.append(stats_dict(s));
      gd["groups"] = per_group;
      grouped.append(gd);
    }
    d["grouped_holdout"] = grouped;
    return d;
  }, py::arg("path") = "", "Validation report of the shipped calibration (default: the project's published runs)");
  m.def("calibrate", [](const std::string& path, const std::string& split) {
    hp::FitOptions o;
    o.split = split == "all" ? "" : split;
    std::vector<hp::Calibration> out;
    for (const auto& f : hp::fit_calibrations(hp::runs_from_table(hp::read_csv(path)), o)) out.push_back(f.calibration);
    return out;
  }, py::arg("path"), py::arg("split") = "fit", "Fit calibrations per GPU family on a measured-runs CSV");
}

}  // namespace

HP_PY_BINDING(30, [](py::module_& m) {
  bind_classes(m);
  bind_results(m);
  bind_functions(m);
});
