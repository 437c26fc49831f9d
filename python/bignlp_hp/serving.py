"""Serving search with in-flight batching: ``serving_search(...)`` returns a :class:`ServingSearch`."""

import csv
import io

from . import _core


class ServingSearch:
    """Result of :func:`serving_search`.

    ``rows``: every candidate as a dict (the columns of serving_output.csv: rank, kind, tp, pp, ep, ..., ttft_ms,
    tpot_ms, tokens_per_s_per_gpu, tokens_per_s_per_user, within_bounds, pareto), ranked ones first. ``best`` is
    rank 1 under the TTFT/TPOT/latency bounds (None when nothing meets them: ``message`` then says the lowest
    reachable TTFT/TPOT), ``pareto`` the front of tokens/s/GPU vs tokens/s/user.
    """

    def __init__(self, raw):
        self._raw = raw
        self.csv = raw["csv"]
        self.rows = list(csv.DictReader(io.StringIO(self.csv)))
        pick = lambda i: self.rows[i] if i is not None else None  # noqa: E731
        self.best = pick(raw["best"])
        self.best_aggregated = pick(raw["best_aggregated"])
        self.best_disaggregated = pick(raw["best_disaggregated"])
        self.top = self.rows[: raw["num_top"]]
        self.pareto = [r for r in self.rows if r["pareto"] == "true"]
        self.model = raw["model"]
        self.gpu = raw["gpu"]
        self.lowest_ttft_ms = raw["lowest_ttft_s"] * 1e3
        self.lowest_tpot_ms = raw["lowest_tpot_s"] * 1e3
        self.message = raw["message"]

    def __len__(self):
        return len(self.rows)

    def __repr__(self):
        best = "none"
        if self.best is not None:
            b = self.best
            best = f"{b['kind']} tp{b['tp']} pp{b['pp']} {float(b['tokens_per_s_per_gpu']):.0f} tok/s/GPU"
        return f"<ServingSearch {self.model} on {self.gpu}: {len(self.rows)} layouts, best {best}>"

    def to_pandas(self):
        """All candidates as a pandas DataFrame."""
        import pandas as pd  # optional dependency

        return pd.read_csv(io.StringIO(self.csv))


def serving_search(config=None, **kwargs):
    """Best serving layout with in-flight batching: output tokens/s per GPU under TTFT/TPOT bounds.

    ``config``: a search config YAML whose ``inference_settings`` has ``mode: max_throughput`` or ``online``, or
    None to give everything as keywords: ``model`` (a catalogue key or validation model such as
    "llama-2-70b") or ``architecture`` (a dict: num_layers, hidden_size, num_attention_heads, num_query_groups,
    ffn_hidden_size, vocab_size, max_position_embeddings, moe_num_experts, moe_topk, ...), ``gpu``, ``mode``,
    ``tensor_parallel_sizes``, ``pipeline_parallel_sizes``, ``expert_parallel_sizes``, ``input_seq_lengths``,
    ``output_seq_lengths``, ``concurrency``, ``request_rate``, ``max_ttft_ms``, ``max_tpot_ms``,
    ``max_latency_ms``, ``data_type`` (fp16, bf16, fp8, nvfp4), ``kv_cache_dtype``, ``max_num_tokens``,
    ``engine`` ("trtllm-0.17"), ``disaggregated``, ``max_gpus``, ``top_n``.
    """
    if "architecture" in kwargs and kwargs["architecture"] is not None:
        kwargs["architecture"] = {k: str(v) for k, v in kwargs["architecture"].items()}
    return ServingSearch(_core._serving_search(config, **kwargs))
