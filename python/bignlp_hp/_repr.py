"""Readable reprs (and HTML tables for notebooks) of the binding's classes: installed on the _core types when the
package is imported, so ``Estimate``, ``Layout``, the breakdowns, ``Calibration`` ... show their values, not
``<bignlp_hp._core.Estimate object at 0x...>``."""

from . import _core
from ._frames import html_table

GIB = 1024 ** 3
MEMORY_PARTS = ("weights", "gradients", "optimizer", "activations", "embedding_logits", "overhead")
TIME_PARTS = ("compute_s", "tp_comm_s", "cp_comm_s", "ep_comm_s", "pp_comm_s", "bubble_s", "dp_comm_s", "fsdp_comm_s",
              "offload_s", "moe_router_s", "moe_permute_s", "moe_dispatch_s", "moe_expert_gemm_s",
              "moe_shared_expert_s", "optimizer_s", "optimizer_offload_s", "overhead_s")
LAYOUT_SWITCHES = ("recompute", "recompute_modules", "recompute_num_layers", "recompute_micro_batches",
                   "sequence_parallel", "distributed_optimizer", "grad_reduce_in_fp32", "precision", "fsdp", "account_for_embedding",
                   "account_for_loss", "moe_dispatcher", "activation_offload_layers", "optimizer_cpu_offload",
                   "optimizer_offload_fraction", "overlap_cpu_optimizer_d2h_h2d", "overlap_grad_reduce",
                   "overlap_param_gather", "tp_comm_overlap", "lora", "flash_attention", "uneven_pipeline")


def _call(name, pairs):
    return f"{name}({', '.join(f'{k}={v!r}' for k, v in pairs)})"


def _num(value, digits=4):
    return float(f"{value:.{digits}g}")


def memory_repr(m):
    parts = [("total_gib", _num(m.total_bytes / GIB))]
    parts += [(f"{p}_gib", _num(getattr(m, f"{p}_bytes") / GIB)) for p in MEMORY_PARTS if getattr(m, f"{p}_bytes")]
    return _call("MemoryBreakdown", parts + [("pipeline_rank", m.pipeline_rank)])


def time_repr(t):
    parts = [("step_time_s", _num(t.step_time_s))] + [(p, _num(getattr(t, p))) for p in TIME_PARTS if getattr(t, p)]
    return _call("TimeBreakdown", parts)


def estimate_repr(e):
    if not e.fits and not e.time.step_time_s:  # nothing was timed (the layout does not divide)
        return _call("Estimate", [("fits", False), ("reason", e.reason)])
    pairs = [("fits", e.fits)] + ([("reason", e.reason)] if e.reason else [])
    pairs += [("step_time_s", _num(e.time.step_time_s)), ("tokens_per_s_per_gpu", _num(e.tokens_per_s_per_gpu)),
              ("tflops_per_gpu", _num(e.tflops_per_gpu)), ("mfu", _num(e.mfu, 3)),
              ("memory_gib", _num(e.memory.total_bytes / GIB))]
    return _call("Estimate", pairs)


def estimate_html(e):
    rows = [("fits", e.fits), ("reason", e.reason or None), ("step_time_s", e.time.step_time_s),
            ("tokens_per_s_per_gpu", e.tokens_per_s_per_gpu), ("tflops_per_gpu", e.tflops_per_gpu), ("mfu", e.mfu),
            ("memory_gib", e.memory.total_bytes / GIB)]
    rows += [(f"memory.{p}_gib", getattr(e.memory, f"{p}_bytes") / GIB) for p in MEMORY_PARTS]
    rows += [(f"time.{p}", getattr(e.time, p)) for p in TIME_PARTS if getattr(e.time, p)]
    return html_table({"quantity": [r[0] for r in rows], "value": [r[1] for r in rows]}, "Estimate", max_rows=len(rows))


_LAYOUT_DEFAULTS = {}


def layout_repr(layout):
    if not _LAYOUT_DEFAULTS:
        default = _core.Layout()
        _LAYOUT_DEFAULTS.update({k: getattr(default, k) for k in LAYOUT_SWITCHES})
    pairs = [(f["name"], getattr(layout, f["name"])) for f in _core.layout_fields()]
    pairs += [(k, getattr(layout, k)) for k in LAYOUT_SWITCHES if getattr(layout, k) != _LAYOUT_DEFAULTS[k]]
    return _call("Layout", pairs)


def calibration_repr(c):
    names = ("gpu_family", "gemm_efficiency", "fp8_gemm_efficiency", "gemm_half_size_flops", "attention_efficiency",
             "comm_efficiency", "tp_overlap_exposed_fraction", "memory_overhead_bytes", "step_overhead_s",
             "num_fit_runs")
    return _call("Calibration", [(n, getattr(c, n)) for n in names])


def gpu_repr(g):
    return _call("GpuSpec", [("name", g.name), ("family", g.family), ("memory_gib", _num(g.memory_bytes / GIB)),
                             ("peak_bf16_tflops", _num(g.peak_bf16_flops_per_s / 1e12)),
                             ("memory_bandwidth_tb_per_s", _num(g.memory_bandwidth_bytes_per_s / 1e12)),
                             ("gpus_per_node", g.gpus_per_node)])


def model_repr(m):
    pairs = [("name", m.name), ("family", m.family), ("num_layers", m.num_layers), ("hidden_size", m.hidden_size),
             ("num_attention_heads", m.num_attention_heads), ("seq_length", m.seq_length)]
    if m.moe_num_experts:
        pairs += [("moe_num_experts", m.moe_num_experts), ("moe_topk", m.moe_topk)]
    return _call("ModelSpec", pairs)


def job_request_repr(r):
    return _call("JobRequest", [("name", r.name), ("argv", list(r.argv)), ("num_nodes", r.num_nodes),
                                ("gpus_per_node", r.gpus_per_node), ("time_limit_s", r.time_limit_s)])


def executor_repr(ex):
    try:
        name = ex.name()
    except Exception:  # a subclass that does not define name() yet
        name = type(ex).__name__
    return f"<{type(ex).__name__} {name!r}>"


def install():
    """Put the reprs on the binding's classes (called once by bignlp_hp/__init__.py)."""
    _core.MemoryBreakdown.__repr__ = memory_repr
    _core.TimeBreakdown.__repr__ = time_repr
    _core.Estimate.__repr__ = estimate_repr
    _core.Estimate._repr_html_ = estimate_html
    _core.Layout.__repr__ = layout_repr
    _core.Calibration.__repr__ = calibration_repr
    _core.GpuSpec.__repr__ = gpu_repr
    _core.ModelSpec.__repr__ = model_repr
    _core.JobRequest.__repr__ = job_request_repr
    _core.Executor.__repr__ = executor_repr
