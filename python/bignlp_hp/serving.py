"""Serving search with in-flight batching: ``serving_search(...)`` returns a :class:`ServingSearch`."""

from . import _core
from ._args import checked
from ._frames import RowsResult

__all__ = ["ServingSearch", "serving_search"]

# Columns that can hold only missing values (aggregated-only searches, nothing ranked).
_DTYPES = {"rank": "Int64", "prefill_tp": "Int64", "prefill_pp": "Int64", "kv_transfer_ms": "Float64"}
_SHOWN = ("rank", "kind", "tp", "pp", "ep", "attention_dp", "num_gpus", "concurrency", "ttft_ms", "tpot_ms", "tokens_per_s_per_gpu",
          "tokens_per_s_per_user", "within_bounds", "pareto")


class ServingSearch(RowsResult):
    """Result of :func:`serving_search`.

    ``rows``: every candidate as a dict with typed values under the names of ``hp-cli infer-search --json``
    (rank (None = not ranked), kind, tp, pp, ep, attention_dp, prefill_tp, prefill_pp (None when aggregated), prefill_workers,
    decode_workers, num_gpus, input_len, output_len, concurrency, ttft_ms, tpot_ms, request_latency_ms,
    tokens_per_s_per_gpu, tokens_per_s_per_user, kv_transfer_ms, fits, reason, within_bounds, pareto), ranked ones
    first. ``best``: rank 1 under the TTFT/TPOT/latency bounds (None when nothing meets them: ``message`` then
    says the lowest reachable TTFT/TPOT); ``best_aggregated``, ``best_disaggregated``; ``pareto``: the front of
    tokens/s/GPU vs tokens/s/user; ``csv``: serving_output.csv text.
    """

    _SHOWN = _SHOWN
    _DTYPES = _DTYPES

    def __init__(self, raw):
        self._raw = raw
        self.csv = raw["csv"]
        self.rows = list(raw["rows"])
        pick = lambda i: self.rows[i] if i is not None else None  # noqa: E731
        self.best = pick(raw["best"])
        self.best_aggregated = pick(raw["best_aggregated"])
        self.best_disaggregated = pick(raw["best_disaggregated"])
        self.top = self.rows[: raw["num_top"]]
        self.pareto = [r for r in self.rows if r["pareto"]]
        self.model = raw["model"]
        self.gpu = raw["gpu"]
        self.lowest_ttft_ms = raw["lowest_ttft_s"] * 1e3
        self.lowest_tpot_ms = raw["lowest_tpot_s"] * 1e3
        self.message = raw["message"]

    def _summary(self):
        best = f"none within the bounds ({self.message})"
        if self.best is not None:
            b = self.best
            best = (f"{b['kind']} tp{b['tp']} pp{b['pp']}: {b['tokens_per_s_per_gpu']:.0f} tok/s/GPU, "
                    f"TTFT {b['ttft_ms']:.1f} ms, TPOT {b['tpot_ms']:.2f} ms")
        return f"ServingSearch {self.model} on {self.gpu}: {len(self.rows)} layouts, best {best}"


def _serving_search(config=None, *, model=None, architecture: "Optional[dict]" = None, gpu=None, mode=None,
                    tensor_parallel_sizes=None, pipeline_parallel_sizes=None, expert_parallel_sizes=None,
                    attention_dp=None, input_seq_lengths=None, output_seq_lengths=None, concurrency=None, request_rate=None,
                    max_ttft_ms=None, max_tpot_ms=None, max_latency_ms=None, data_type=None, kv_cache_dtype=None,
                    max_num_tokens=None, engine=None, disaggregated=None, max_gpus=None, top_n=None,
                    scheduler_steps=None):
    if architecture is not None:
        if not isinstance(architecture, dict):
            raise _core.ArgumentError(f"serving_search(): architecture={architecture!r} "
                                      f"({type(architecture).__name__}), expected a dict of architecture fields")
        architecture = {k: str(v) for k, v in architecture.items()}
    if attention_dp is not None and not isinstance(attention_dp, bool) and attention_dp != "auto":
        raise _core.ArgumentError(f"serving_search(): attention_dp={attention_dp!r} "
                                  f"({type(attention_dp).__name__}), expected True, False or \"auto\"")
    return ServingSearch(_core._serving_search(
        config, model=model, architecture=architecture, gpu=gpu, mode=mode, tensor_parallel_sizes=tensor_parallel_sizes,
        pipeline_parallel_sizes=pipeline_parallel_sizes, expert_parallel_sizes=expert_parallel_sizes,
        attention_dp=attention_dp, input_seq_lengths=input_seq_lengths, output_seq_lengths=output_seq_lengths, concurrency=concurrency,
        request_rate=request_rate, max_ttft_ms=max_ttft_ms, max_tpot_ms=max_tpot_ms, max_latency_ms=max_latency_ms,
        data_type=data_type, kv_cache_dtype=kv_cache_dtype, max_num_tokens=max_num_tokens, engine=engine,
        disaggregated=disaggregated, max_gpus=max_gpus, top_n=top_n, scheduler_steps=scheduler_steps))


serving_search = checked(_serving_search, "serving_search", binding=_core._serving_search, doc="""\
Best serving layout with in-flight batching:
output tokens/s per GPU under TTFT/TPOT bounds. Computes only: nothing is written.

config: a search config YAML whose ``inference_settings`` has ``mode: max_throughput`` or ``online``, or None to
give everything as keywords: ``model`` (a catalogue key, a validation model such as "llama-2-70b", or a served
name / Hugging Face id such as "Qwen/Qwen3-30B-A3B-FP8") or
``architecture`` (a dict: num_layers, hidden_size, num_attention_heads, num_query_groups, ffn_hidden_size,
vocab_size, max_position_embeddings, moe_num_experts, moe_topk, ...), ``gpu``, ``mode``,
``tensor_parallel_sizes``, ``pipeline_parallel_sizes``, ``expert_parallel_sizes`` (MoE: EP inside TP; default
powers of two dividing the experts), ``attention_dp`` (MoE: "auto" tries attention data parallelism with ep == tp
next to plain TP, True at ep == tp only attention DP, False never), ``input_seq_lengths``,
``output_seq_lengths``, ``concurrency``, ``request_rate``, ``max_ttft_ms``, ``max_tpot_ms``, ``max_latency_ms``,
``data_type`` (fp16, bf16, fp8, nvfp4, mxfp4), ``kv_cache_dtype``, ``max_num_tokens``, ``engine`` ("trtllm-0.17"),
``disaggregated``, ``max_gpus``, ``top_n``, ``scheduler_steps`` (iterations per scheduling round: vLLM's
``--num-scheduler-steps``; 1 = every iteration).

Returns a :class:`ServingSearch`: ``.best`` (a dict of typed values, or None with ``.message`` saying the lowest
reachable TTFT/TPOT), ``.pareto``, ``.rows``, ``.to_pandas()``.

>>> r = bignlp_hp.serving_search(model="llama-2-70b", gpu="h100-sxm", data_type="fp8", max_tpot_ms=50)
>>> r.best["kind"], r.best["tp"], r.best["within_bounds"]
('aggregated', 4, True)
""")
