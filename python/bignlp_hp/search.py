"""Training HP search: ``bignlp_hp.search(config)`` returns a :class:`SearchResult` (plan, counts, ``.to_pandas()``)."""

import os

from . import _core

__all__ = ["SearchResult", "search"]


class SearchResult:
    """The outcome of one search.

    Attributes: ``policy``, ``model``, ``gpu``, ``num_nodes``, ``gpus_per_node``, ``gbs``, ``enumerated``
    (layouts in the space), ``evaluated`` (layouts that divide, run through the performance model), ``feasible``,
    ``elapsed_s``, ``results_dir``, ``plan`` (trials in launch order, dicts with tp, pp, cp, ep, vp, mbs, gbs,
    act_ckpt_layers, ..., nodes, config_name, config_path, predicted_step_time_s), ``infeasible`` (counts per
    reason with an example), ``message`` and ``suggestions`` (when nothing fits).
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
        """Every ranked layout as a dict of columns (model policy: feasible layouts by predicted step time)."""
        return dict(self._rows)

    def to_pandas(self):
        """Every ranked layout as a pandas DataFrame, one row per layout, in rank (nemo: launch) order."""
        import pandas as pd

        return pd.DataFrame(self._rows)

    def __repr__(self):
        return (f"SearchResult(model={self.model!r}, policy={self.policy!r}, evaluated={self.evaluated}, "
                f"feasible={self.feasible}, trials={len(self.plan)}, elapsed_s={self.elapsed_s:.3f})")


def search(config, *, policy="", results_dir="", write_files=True, nemo_fix_bugs=False, legacy_names=False,
           raise_if_none=True, force=False, trial_nodes=""):
    """Training HP search over a search config (a YAML path or a dict with NeMo's ``train_settings`` keys).

    policy: "model" (default of the config) ranks every layout with the performance model; "nemo" reproduces
    NeMo's grid. results_dir: where candidate configs, predicted_summary.csv, infeasible_summary.csv and
    plan.yaml go. legacy_names: candidate names without NeMo HEAD's ``_cp_<cp>_ep_<ep>_``. raise_if_none: raise :class:`NoFeasibleLayoutError` (message with the top reasons and the
    nearest feasible change) when nothing fits; else return the result with an empty plan. force: replace
    another search's results in results_dir (default: a ConfigError; :func:`resume` continues them).
    trial_nodes: "min" (each trial on the fewest nodes its layout needs; ``plan`` trials carry ``nodes`` and
    ``full_nodes``) or "full" (every trial on all nodes); "" = ``train_settings.trial_nodes`` (default min).
    ``gpu_hours`` / ``full_size_gpu_hours``: what the plan costs at the trials' time limits, and full size.
    """
    if isinstance(config, os.PathLike):
        config = os.fspath(config)
    raw = _core._search(config, policy=policy or "", results_dir=os.fspath(results_dir) if results_dir else "",
                        write_files=write_files, nemo_fix_bugs=nemo_fix_bugs, legacy_names=legacy_names, force=force,
                        trial_nodes=trial_nodes or "")
    result = SearchResult(raw)
    if raise_if_none and not result.plan:
        raise _core.NoFeasibleLayoutError("; ".join([result.message] + list(result.suggestions)))
    return result
