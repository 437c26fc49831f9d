"""Inference HP search: ``inference_search(...)`` returns an :class:`InferenceSearch` with ``.to_pandas()``."""

import csv
import io

from . import _core

__all__ = ["InferenceSearch", "inference_search"]


class InferenceSearch:
    """Result of :func:`inference_search`.

    ``rows`` are the lines of ``final_output.csv`` as dicts (NeMo's columns first: TP, PP, BS,
    Latency [ms], Throughput per GPU [samples/sec/gpu]), ranked layouts first. ``best`` is the row of
    the best layout under ``max_latency_ms`` (None when nothing fits), ``svg`` the Pareto plot.
    """

    def __init__(self, raw):
        self._raw = raw
        self.csv = raw["csv"]
        self.rows = list(csv.DictReader(io.StringIO(self.csv)))
        self.best = self.rows[raw["best"]] if raw["best"] is not None else None
        self.top = self.rows[: raw["num_top"]]
        self.svg = raw["svg"]
        self.best_yaml = raw["best_yaml"]
        self.model = raw["model"]
        self.gpu = raw["gpu"]
        self.summary_dir = raw["summary_dir"]
        self.files = list(raw["files"])
        self.num_measured = raw["num_measured"]
        self.num_jobs_planned = raw["num_jobs_planned"]
        self.failed = list(raw["failed"])

    def __len__(self):
        return len(self.rows)

    def __repr__(self):
        best = "none"
        if self.best is not None:
            b = self.best
            best = f"TP {b['TP']} PP {b['PP']} BS {b['BS']} ({b['Latency [ms]']} ms)"
        return f"<InferenceSearch {self.model} on {self.gpu}: {len(self.rows)} layouts, best {best}>"

    def to_pandas(self):
        """All layouts as a pandas DataFrame (the columns of final_output.csv)."""
        import pandas as pd  # optional dependency

        return pd.read_csv(io.StringIO(self.csv))


def inference_search(config=None, **kwargs):
    """Find the serving layout (TP, PP, batch) with the best throughput per GPU under a latency bound.

    ``config``: a search config YAML with ``inference_settings`` (NeMo's keys), or None to give
    everything as keywords: ``model`` ("gpt3/5b"), ``gpu``, ``tensor_parallel_sizes``,
    ``pipeline_parallel_sizes``, ``batch_sizes``, ``input_seq_lengths``, ``output_seq_lengths``,
    ``max_latency_ms``, ``top_n``, ``data_type``, ``kv_cache_dtype``, ``gpus_per_node``,
    ``benchmark_tool``; keywords override the file. ``results_dir`` and ``write=False`` (compute only)
    control the output files (final_output.csv, pareto.svg, best_layout.yaml, benchmark jobs).
    ``executor="local"`` or ``"slurm"`` launches the benchmark jobs of the top layouts and waits for them
    (``ft_path``: FasterTransformer install, ``model_path``, ``time_limit_min``); measured latencies then
    replace the predictions.
    """
    return InferenceSearch(_core._inference_search(config, **kwargs))
