"""Pure-Python helpers over the performance model (bignlp_hp.estimate)."""

from ._args import checked
from ._core import ArgumentError, Layout, estimate, layout_fields
from ._frames import columns_of, frame, html_table

__all__ = ["EstimateTable", "estimate_table", "to_pandas"]

# The integer dimensions come from libhp's layout field table (layout_fields()), then the switches.
_LAYOUT_FIELDS = tuple(f["name"] for f in layout_fields()) + (
    "sequence_parallel", "recompute", "recompute_modules", "recompute_num_layers", "recompute_micro_batches", "distributed_optimizer",
    "grad_reduce_in_fp32", "fp8", "precision", "fsdp", "account_for_embedding", "account_for_loss",
    "moe_dispatcher", "activation_offload_layers", "optimizer_cpu_offload", "optimizer_offload_fraction",
    "overlap_cpu_optimizer_d2h_h2d", "tp_comm_overlap", "lora", "flash_attention", "uneven_pipeline")
_SHOWN = ("tp", "pp", "vp", "cp", "ep", "mbs", "num_gpus", "recompute", "fits", "reason", "time.step_time_s",
          "tokens_per_s_per_gpu", "mfu", "memory.total_bytes")


class EstimateTable(list):
    """The rows of :func:`estimate_table` (a list of flat dicts) that show as a table in a notebook and turn into a
    DataFrame with ``.to_pandas()``."""

    def to_pandas(self):
        """The rows as a pandas DataFrame (nullable dtypes)."""
        return to_pandas(self)

    def _repr_html_(self):
        names = [c for c in _SHOWN if not self or c in self[0]]
        return html_table(columns_of(self, names), f"{len(self)} layouts")


def _estimate_table(model, layouts, gpu=None, calibration=None):
    rows = EstimateTable()
    for i, item in enumerate(layouts):
        if not isinstance(item, (Layout, dict)):
            raise ArgumentError(f"estimate_table(): layouts[{i}]={item!r} ({type(item).__name__}), expected a Layout "
                                "or a dict of Layout fields")
        layout = item if isinstance(item, Layout) else Layout(**item)
        row = {name: getattr(layout, name) for name in _LAYOUT_FIELDS}
        row["dp"] = layout.dp
        # gpu None: estimate's default, the GPU every command assumes (hp/defaults.hpp)
        e = estimate(model, layout, calibration=calibration) if gpu is None else estimate(model, layout, gpu, calibration)
        for key, value in e.to_dict().items():
            if isinstance(value, dict):
                row.update({f"{key}.{k}": v for k, v in value.items()})
            else:
                row[key] = value
        rows.append(row)
    return rows


estimate_table = checked(_estimate_table, "estimate_table", doc="""\
Estimate many layouts of one model: one flat
dict per layout (layout fields, then the results in SI units).

model: "gpt3/5b", a dict of architecture fields or a ModelSpec. layouts: Layout objects or dicts of Layout fields.
gpu: a name or a GpuSpec (default: the GPU every command assumes, a100-80gb, as NeMo's gpu_memory_gb 80 means);
a layout without sequence_parallel gets it on when tp > 1, as hp-cli assumes. calibration: None (the GPU family's shipped one), a Calibration or a dict.
Nested results are flattened with a dot (``memory.total_bytes``, ``time.bubble_s``); infeasible layouts keep
their ``reason`` ('' when the layout runs and fits).

Returns an :class:`EstimateTable` (a list of dicts, shown as a table in a notebook; ``.to_pandas()``).

>>> rows = bignlp_hp.estimate_table("gpt3/5b", [{"num_gpus": 8, "tp": 1}, {"num_gpus": 8, "tp": 2}])
>>> [(r["tp"], r["fits"], round(r["time.step_time_s"], 3)) for r in rows]
[(1, True, 13.378), (2, True, 13.939)]
""")


def to_pandas(rows):
    """Returns a pandas DataFrame of estimate_table() rows, nullable dtypes (needs ``pip install pandas``).

    >>> bignlp_hp.to_pandas(bignlp_hp.estimate_table("gpt3/5b", [{"num_gpus": 8}]))["fits"].dtype
    BooleanDtype
    """
    return frame(columns_of(list(rows)))
