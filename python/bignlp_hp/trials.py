"""Running a search's trials and reading what they measured.

``run_search(config, executor="local")`` plans and runs the trials (``executor`` may also be an instance of a
Python subclass of :class:`bignlp_hp.Executor`); ``resume(results_dir)`` continues after a crash;
``collect(results_dir)`` rebuilds NeMo's final_result/ files from the logs and returns a :class:`TrialResults`.
"""

import os

from . import _core

__all__ = ["TrialResults", "run_search", "resume", "collect"]


class TrialResults:
    """Trials of a search: ``trials`` or ``rows``, ``files`` written, ``message``, ``num_measured``, ``num_failed``."""

    def __init__(self, raw):
        for key, value in raw.items():
            setattr(self, key, value)

    @property
    def measured(self):
        return self.num_measured > 0

    def to_pandas(self):
        """One row per trial."""
        import pandas as pd

        if hasattr(self, "rows"):
            return pd.DataFrame(self.rows)
        return pd.DataFrame(self.trials)

    def __repr__(self):
        return (f"TrialResults(results_dir={self.results_dir!r}, measured={self.num_measured}, "
                f"failed={self.num_failed})")


def run_search(config, *, executor="local", results_dir="", force=False, trial_nodes=""):
    """Search (config: YAML path or dict), then run the planned trials with ``executor`` ("local", "slurm", "none"
    or an Executor subclass instance) and write final_result/. Returns a :class:`TrialResults`. force: replace
    another search's results in results_dir (default: a ConfigError; :func:`resume` continues them).
    trial_nodes: "min" or "full" ("" = ``train_settings.trial_nodes``, default min). ``gpu_hours`` and
    ``full_size_gpu_hours``: what the trials held on their nodes, and had they run full size."""
    if isinstance(config, os.PathLike):
        config = os.fspath(config)
    return TrialResults(_core._run_search(config, executor=executor,
                                          results_dir=os.fspath(results_dir) if results_dir else "", force=force,
                                          trial_nodes=trial_nodes or ""))


def resume(results_dir, *, executor=None):
    """Continue a search after a crash: finished trials are kept, Slurm jobs are polled again."""
    return TrialResults(_core._resume(os.fspath(results_dir), executor=executor))


def collect(results_dir):
    """Rebuild final_result/ (NeMo's CSVs, optimal config, report.html) from a results directory."""
    return TrialResults(_core._collect(os.fspath(results_dir)))
