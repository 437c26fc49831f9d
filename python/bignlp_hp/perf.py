"""Pure-Python helpers over the performance model (bignlp_hp.estimate)."""

from ._core import Layout, estimate, layout_fields

__all__ = ["estimate_table", "to_pandas"]

# The integer dimensions come from libhp's layout field table (layout_fields()), then the switches.
_LAYOUT_FIELDS = tuple(f["name"] for f in layout_fields()) + (
    "sequence_parallel", "recompute", "recompute_num_layers", "recompute_micro_batches", "distributed_optimizer",
    "grad_reduce_in_fp32", "fp8", "precision", "fsdp", "account_for_embedding", "account_for_loss",
    "moe_dispatcher", "activation_offload_layers", "tp_comm_overlap", "lora", "flash_attention", "uneven_pipeline")


def estimate_table(model, layouts, gpu="h100-sxm", calibration=None):
    """Estimate many layouts; one flat dict per layout (layout fields, then results in SI units).

    ``layouts`` holds Layout objects or dicts of Layout fields. Nested results are flattened with a dot
    (``memory.total_bytes``, ``time.bubble_s``). Infeasible layouts keep their ``reason``.
    """
    rows = []
    for item in layouts:
        layout = item if isinstance(item, Layout) else Layout(**item)
        row = {name: getattr(layout, name) for name in _LAYOUT_FIELDS}
        row["dp"] = layout.dp
        for key, value in estimate(model, layout, gpu, calibration).to_dict().items():
            if isinstance(value, dict):
                row.update({f"{key}.{k}": v for k, v in value.items()})
            else:
                row[key] = value
        rows.append(row)
    return rows


def to_pandas(rows):
    """A pandas DataFrame of estimate_table() rows (needs ``pip install pandas``)."""
    import pandas  # imported here: pandas is optional

    return pandas.DataFrame(rows)
