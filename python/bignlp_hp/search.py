"""Training HP search: ``bignlp_hp.search(config)`` returns a :class:`SearchResult` (plan, counts, ``.to_pandas()``)."""

import os

from . import _core
from ._args import checked, require
from ._frames import frame, html_table

__all__ = ["SearchResult", "search"]

# Columns that can hold only missing values (NeMo's None): their dtype does not come from the values.
_DTYPES = {"act_ckpt_layers": "Int64", "num_micro_batches_with_partial_activation_checkpoints": "Int64",
           "activations_checkpoint_layers_per_pipeline": "Int64"}
_SHOWN = ("rank", "tp", "pp", "vp", "cp", "ep", "mbs", "recompute", "act_ckpt_layers", "predicted_step_time_s",
          "tokens_per_s_per_gpu", "mfu", "predicted_memory_per_gpu_gib", "planned", "config_name")


class SearchResult:
    """The outcome of one training search.

    Attributes: ``policy``, ``model``, ``gpu``, ``num_nodes``, ``gpus_per_node``, ``gbs``, ``enumerated``
    (layouts in the space), ``evaluated`` (layouts that divide, run through the performance model), ``feasible``,
    ``elapsed_s``, ``evaluate_s`` (without file writing), ``results_dir`` ('' when nothing was written), ``plan``
    (trials in launch order: dicts with tp, pp, cp, ep, vp, mbs, gbs, act_ckpt_layers (None = NeMo's None), ...,
    nodes, config_name, config_path, predicted_step_time_s, predicted_memory_per_gpu_gib, reason; the names of
    ``hp-cli search --json``),
    ``infeasible`` (counts per reason with an example), ``message`` and ``suggestions`` (when nothing fits).
    ``best`` is the first trial, ``rows()`` / ``to_pandas()`` every ranked layout.
    """

    def __init__(self, raw):
        self._rows = raw.pop("rows")
        for key, value in raw.items():
            setattr(self, key, value)

    @property
    def best(self):
        """The first trial of the plan (the best prediction under the model policy), or None."""
        return self.plan[0] if self.plan else None

    def rows(self):
        """Every ranked layout as {column: [values]} (typed: ints, floats, bools, None), in rank order."""
        return {k: list(v) for k, v in self._rows.items()}

    def to_pandas(self):
        """Every ranked layout as a pandas DataFrame, one row per layout in rank (nemo: launch) order.

        Columns: rank, config_name, tp, pp, vp, cp, ep, etp, mbs, gbs, dp, num_micro_batches, recompute,
        act_ckpt_layers, ..., predicted_step_time_s, tokens_per_s_per_gpu, tflops_per_gpu, mfu,
        predicted_memory_per_gpu_gib, fits, planned; nullable dtypes (Int64, Float64, boolean, string), <NA> where
        NeMo has None.

        >>> df = bignlp_hp.search("examples/search/gpt3_5b.yaml").to_pandas()
        >>> [str(df[c].dtype) for c in ("rank", "act_ckpt_layers", "mfu", "planned", "config_name")]
        ['Int64', 'Int64', 'Float64', 'boolean', 'string']
        """
        return frame(self._rows, _DTYPES)

    def __len__(self):
        return len(self._rows.get("rank", []))

    def _summary(self):
        head = (f"SearchResult: {self.model} on {self.num_nodes} x {self.gpus_per_node} {self.gpu}, GBS {self.gbs}, "
                f"policy {self.policy}: {self.evaluated} layouts evaluated, {self.feasible} feasible in "
                f"{self.elapsed_s:.3f} s, {len(self.plan)} trials planned")
        if not self.plan:
            return head + f"\n  no feasible layout: {self.message}"
        b = self.best
        act = "" if b.get("act_ckpt_layers") is None else f" act_ckpt_layers={b['act_ckpt_layers']}"
        return (head + f"\n  best: tp={b['tp']} pp={b['pp']} vp={b['vp']} cp={b['cp']} ep={b['ep']} mbs={b['mbs']} "
                f"recompute={b['recompute']}{act}: {b['predicted_step_time_s']:.4g} s/step, "
                f"{b['predicted_memory_per_gpu_gib']:.1f} GiB/GPU ({b['config_name']})"
                + (f"\n  written to {self.results_dir}" if self.results_dir else ""))

    def __repr__(self):
        return f"<{self._summary()}>"

    def _repr_html_(self):
        shown = {k: self._rows[k] for k in _SHOWN if k in self._rows}
        caption = self._summary().split("\n")[0].replace("SearchResult: ", "")
        return html_table(shown, caption, max_rows=15)


def _search(config, *, results_dir=None, write_files=None, policy="", nemo_fix_bugs=False, legacy_names=False,
            raise_if_none=True, force=False, trial_nodes="", precisions=None):
    require("search", "config", config, (str, os.PathLike, dict), "a YAML path or a dict")

    if isinstance(config, os.PathLike):
        config = os.fspath(config)
    if write_files is None:
        write_files = bool(results_dir)
    raw = _core._search(config, policy=policy or "", results_dir=os.fspath(results_dir) if results_dir else "",
                        write_files=bool(write_files), nemo_fix_bugs=nemo_fix_bugs, legacy_names=legacy_names,
                        force=force, trial_nodes=trial_nodes or "", precisions=list(precisions or ()))
    if not write_files:
        raw["results_dir"] = ""
    result = SearchResult(raw)
    if raise_if_none and not result.plan:
        raise _core.NoFeasibleLayoutError("; ".join([result.message] + list(result.suggestions)))
    return result


search = checked(_search, "search", binding=_core._search, doc="""\
Training HP search: rank every parallel layout of a search config.

config: a search config (NeMo's search_config format) as a YAML path or a dict with the same keys
    (``model``, ``train_settings``: model_size_in_b, num_nodes, gpu, tensor_parallel_sizes, ...).
results_dir: where to write candidate_configs/, predicted_summary.csv, infeasible_summary.csv and plan.yaml.
    None (default): nothing is written. write_files=True without results_dir writes where hp-cli would
    (train_settings.logs, else ./results).
policy: "model" (rank every layout with the performance model) or "nemo" (NeMo's grid); "" = the config's.
nemo_fix_bugs: nemo policy: fix NeMo's known grid bugs. legacy_names: candidate names without NeMo HEAD's
    ``_cp_<cp>_ep_<ep>_``. force: replace another search's results in results_dir (default: a ConfigError;
    :func:`resume` continues them).
raise_if_none: raise :class:`NoFeasibleLayoutError` (the top reasons and the nearest feasible change) when
    nothing fits; False returns the result with an empty plan.
trial_nodes: "min" (each trial on the fewest nodes its layout needs; ``plan`` trials carry ``nodes`` and
    ``full_nodes``) or "full" (every trial on all nodes); "" = ``train_settings.trial_nodes`` (default min).
    ``gpu_hours`` / ``full_size_gpu_hours``: what the plan costs at the trials' time limits, and at full size.
precisions: GEMM precisions to search, a list such as ``["bf16", "fp8-cs", "mxfp8", "nvfp4"]``; None =
    ``train_settings.precisions``, else the base config's precision (numerics are the user's decision). A
    precision the GPU has no tensor cores for makes its layouts infeasible (``infeasible``); an unknown word raises
    ConfigError.

Returns a :class:`SearchResult`: ``.best`` (the first trial, a dict), ``.plan`` (trials in launch order),
``.to_pandas()`` (every ranked layout), counts ``enumerated`` / ``evaluated`` / ``feasible``.

>>> r = bignlp_hp.search("examples/search/gpt3_5b.yaml")
>>> r.best["tp"], r.best["pp"], r.best["mbs"], round(r.best["predicted_step_time_s"], 3)
(1, 1, 4, 6.657)
""")
