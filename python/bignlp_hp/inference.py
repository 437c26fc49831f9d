"""Inference HP search: ``inference_search(...)`` returns an :class:`InferenceSearch` with ``.to_pandas()``."""

from . import _core
from ._args import checked
from ._frames import RowsResult

__all__ = ["InferenceSearch", "inference_search"]

# Columns that can hold only missing values (nothing measured, nothing ranked).
_DTYPES = {"rank": "Int64", "latency_ms": "Float64", "throughput_per_gpu": "Float64", "ttft_ms": "Float64",
           "tpot_ms": "Float64", "output_tokens_per_s_per_gpu": "Float64", "predicted_latency_ms": "Float64",
           "measured_latency_ms": "Float64", "latency_error_pct": "Float64", "measure_status": "string"}
_SHOWN = ("rank", "tp", "pp", "batch_size", "latency_ms", "throughput_per_gpu", "ttft_ms", "tpot_ms", "memory_gib",
          "fits", "within_bound", "latency_source")


class InferenceSearch(RowsResult):
    """Result of :func:`inference_search`.

    ``rows``: every candidate as a dict with typed values under the names of ``hp-cli infer-search --json``
    (rank (None = not ranked), tp, pp, batch_size, input_len, output_len, num_gpus, num_nodes, latency_ms,
    throughput_per_gpu, ttft_ms, tpot_ms, output_tokens_per_s_per_gpu, memory_gib, kv_cache_gib, max_batch_size,
    fits, reason, within_bound, pareto, latency_source, predicted_latency_ms, measured_latency_ms,
    latency_error_pct, measure_status), ranked ones first. ``best``: the row of the best layout under
    ``max_latency_ms`` (None when nothing meets it); ``top``: the top_n rows; ``csv``: NeMo's final_output.csv
    text; ``svg``: the Pareto plot; ``best_yaml``; ``summary_dir`` and ``files`` (None and [] when nothing was
    written).
    """

    _SHOWN = _SHOWN
    _DTYPES = _DTYPES

    def __init__(self, raw):
        self._raw = raw
        self.rows = list(raw["rows"])
        self.csv = raw["csv"]
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

    def _summary(self):
        best = "none within the latency bound"
        if self.best is not None:
            b = self.best
            best = (f"TP {b['tp']} PP {b['pp']} BS {b['batch_size']}: {b['latency_ms']:.1f} ms "
                    f"({b['latency_source']}), {b['throughput_per_gpu']:.2f} samples/s/GPU")
        return f"InferenceSearch {self.model} on {self.gpu}: {len(self.rows)} layouts, best {best}"


def _inference_search(config=None, *, model=None, gpu=None, tensor_parallel_sizes=None, pipeline_parallel_sizes=None,
                      batch_sizes=None, input_seq_lengths=None, output_seq_lengths=None, max_latency_ms=None,
                      top_n=None, data_type=None, kv_cache_dtype=None, gpus_per_node=None, benchmark_tool=None,
                      results_dir=None, write=None, executor="none", model_path=None, ft_path=None,
                      time_limit_min=30.0):
    if write is None:  # files only when asked: a results directory, or jobs to launch
        write = bool(results_dir) or executor != "none"
    return InferenceSearch(_core._inference_search(
        config, results_dir=results_dir or None, write=bool(write), model=model, gpu=gpu,
        tensor_parallel_sizes=tensor_parallel_sizes, pipeline_parallel_sizes=pipeline_parallel_sizes,
        batch_sizes=batch_sizes, input_seq_lengths=input_seq_lengths, output_seq_lengths=output_seq_lengths,
        max_latency_ms=max_latency_ms, top_n=top_n, data_type=data_type, kv_cache_dtype=kv_cache_dtype,
        gpus_per_node=gpus_per_node, benchmark_tool=benchmark_tool, model_path=model_path, executor=executor,
        ft_path=ft_path, time_limit_min=time_limit_min))


inference_search = checked(_inference_search, "inference_search", binding=_core._inference_search, doc="""\
Find the serving layout (TP, PP, batch)
with the best throughput per GPU under a latency bound (NeMo's inference HP search).

config: a search config YAML with ``inference_settings`` (NeMo's keys), or None to give everything as keywords:
``model`` ("gpt3/5b"), ``gpu``, ``tensor_parallel_sizes``, ``pipeline_parallel_sizes``, ``batch_sizes``,
``input_seq_lengths``, ``output_seq_lengths``, ``max_latency_ms``, ``top_n``, ``data_type``, ``kv_cache_dtype``,
``gpus_per_node``, ``benchmark_tool``; keywords override the file.
results_dir: where final_output.csv, pareto.svg, best_layout.yaml and the benchmark jobs go. write: None
(default) writes only when results_dir is given or jobs are launched; False computes only.
executor: "none" (default), "local" or "slurm" launches the benchmark jobs of the top layouts and waits for them
(``ft_path``: FasterTransformer install, ``model_path``, ``time_limit_min``); measured latencies then replace the
predictions.

Returns an :class:`InferenceSearch`: ``.best`` (a dict of typed values, or None), ``.top``, ``.rows``,
``.to_pandas()``.

>>> r = bignlp_hp.inference_search(model="gpt3/5b", gpu="a100-80gb", max_latency_ms=400)
>>> r.best["tp"], r.best["batch_size"], r.best["fits"]
(2, 128, True)
""")
